"""What the data run through, per source: the honest replacement for one "data as of" date.

    from analysis.datasets import coverage
    coverage.summary()          # one row per source: last date (or year), partial records, review date
    coverage.line()             # "Votes through 24 February 2026 (3 partial records); trips through ..."

The as-of date of a report is the build date (analysis.datasets.asof); each source stops at its own
date, which is what the header states. ``reviewed`` comes from data/manual/reviews.csv: the date the
hand-curated tables were last searched for newer events (a later event that is not in a table was
looked for and not confirmed, rather than not looked for).
"""
from __future__ import annotations

import pandas as pd

from analysis import config
from analysis.datasets import asof as _asof
from analysis.datasets import data
from analysis.words import day

COLUMNS = ["source", "table", "through", "through_text", "partial_records", "reviewed", "note"]


def _reviews(ts: pd.Timestamp) -> dict[str, pd.Timestamp]:
    path = config.manual_dir() / "reviews.csv"
    if not path.exists():
        return {}
    r = pd.read_csv(path, dtype=str, keep_default_na=False)
    r["reviewed"] = pd.to_datetime(r["reviewed"], errors="coerce")
    r = r[r["reviewed"].notna() & (r["reviewed"] <= ts)]
    return dict(zip(r["table"], r["reviewed"]))


def _last(df: pd.DataFrame, cols: list[str], ts: pd.Timestamp):
    vals = [df.loc[df[c] <= ts, c].max() for c in cols if c in df]
    vals = [v for v in vals if pd.notna(v)]
    return max(vals) if vals else None


def _load(name: str) -> pd.DataFrame | None:
    try:
        return data.load(name)
    except (FileNotFoundError, KeyError):
        return None


def summary(as_of=None) -> pd.DataFrame:
    """One row per source with the last date (or year) it covers on ``as_of`` (default: today), the
    number of partial records among the UN votes, and the date the hand-curated table was last reviewed."""
    ts = _asof.resolve(as_of)
    reviewed = _reviews(ts)
    rows = []

    res = data.resolutions()
    res = res[res["date"] <= ts]
    record = res["record"] if "record" in res else pd.Series("full", index=res.index)
    partial = res[record == "partial"]
    full_last = res.loc[record == "full", "date"].max()
    rows.append({"source": "UN General Assembly votes", "table": "un_resolutions", "through": res["date"].max(),
                 "partial_records": len(partial), "reviewed": reviewed.get("un_votes_partial"),
                 "note": (f"full roll calls (UN Digital Library) through {day(full_last)}; later votes are partial "
                          "records: official totals, not every member's vote" if len(partial) else
                          "full roll calls (UN Digital Library)")})
    for name, source, cols in (("leader_visits", "Putin's foreign trips", ["start_date", "end_date"]),
                               ("treaties", "treaties", ["signed", "in_force", "ended"]),
                               ("memberships", "memberships", ["joined", "left"]),
                               ("icc_notices", "ICC notices", ["date"]),
                               ("state_events", "government and UN-seat events", ["start", "end"]),
                               ("unfriendly_states", "Russia's unfriendly list", ["listed_on"])):
        df = _load(name)
        if df is None:
            continue
        rows.append({"source": source, "table": name, "through": _last(df, cols, ts), "partial_records": 0,
                     "reviewed": reviewed.get(name), "note": ""})
    for name, source, col, note in (("trade", "trade (IMF)", "year", "annual; a year counts from the year after"),
                                    ("arms_transfers", "arms transfers (SIPRI)", "delivery_year",
                                     "annual; a year counts from the year after"),
                                    ("alignment_bsv", "ideal points (Bailey-Strezhnev-Voeten)", "year",
                                     "GA sessions by opening year")):
        df = _load(name)
        if df is None:
            continue
        years = df[col].dropna().astype(int)
        limit = ts.year - 1 if name != "alignment_bsv" else ts.year
        years = years[years <= limit]
        rows.append({"source": source, "table": name, "through": int(years.max()) if len(years) else None,
                     "partial_records": 0, "reviewed": None, "note": note})
    out = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "through_text"])
    out["through_text"] = [(day(t) if isinstance(t, pd.Timestamp) else (str(t) if t is not None else "n/a"))
                           for t in out["through"]]
    out["partial_records"] = out["partial_records"].astype(int)
    return out[COLUMNS]


def line(as_of=None) -> str:
    """One sentence for the report's header: what each main source runs through."""
    s = summary(as_of).set_index("table")
    parts = []
    if "un_resolutions" in s.index:
        r = s.loc["un_resolutions"]
        n = int(r["partial_records"])
        parts.append(f"votes through {r['through_text']}" + (f" ({n} partial record{'s' if n != 1 else ''})" if n else ""))
    for table, words in (("leader_visits", "trips"), ("treaties", "treaties"), ("icc_notices", "ICC notices"),
                         ("state_events", "government and UN-seat events"), ("trade", "trade"),
                         ("arms_transfers", "arms transfers")):
        if table in s.index and s.at[table, "through_text"] != "n/a":
            text = f"{words} through {s.at[table, 'through_text']}"
            rev = s.at[table, "reviewed"]
            if pd.notna(rev) and isinstance(s.at[table, "through"], pd.Timestamp) and rev > s.at[table, "through"]:
                text += f" (sources checked to {day(rev)})"
            parts.append(text)
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "." if text else ""
