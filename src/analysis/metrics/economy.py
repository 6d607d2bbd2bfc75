"""Arms and trade: Russia's arms exports and imports (SIPRI TIV) and Russia's goods trade by
partner (IMF IMTS), as of a date. Annual data count as known from the year after they cover."""
from __future__ import annotations

import pandas as pd

from analysis.datasets import asof as _asof
from analysis.datasets import data


def _last_full_year(as_of) -> int:
    return _asof.resolve(as_of).year - 1


def arms_exports(as_of=None, by: str = "recipient") -> pd.DataFrame:
    """Russia's arms deliveries (SIPRI TIV, millions) per recipient and delivery year."""
    a = data.arms_transfers()
    a = a[(a["supplier_iso3"] == "RUS") & a["delivery_year"].notna()
          & (a["delivery_year"] <= _last_full_year(as_of))]
    key = "recipient_iso3" if by == "recipient" else by
    a = a.assign(recipient_iso3=a["recipient_iso3"].fillna(a["recipient"]))
    g = a.groupby([key, "recipient", "delivery_year"], as_index=False)["tiv_delivered"].sum()
    return g.rename(columns={"delivery_year": "year", "tiv_delivered": "tiv"})


def arms_exports_totals(as_of=None, since: int = 2014, top: int = 10) -> pd.DataFrame:
    """Top recipients of Russian arms since ``since``: iso3, recipient, tiv, share of Russia's total."""
    e = arms_exports(as_of)
    e = e[e["year"] >= since]
    g = e.groupby(["recipient_iso3", "recipient"], as_index=False)["tiv"].sum().sort_values("tiv", ascending=False)
    g["share"] = g["tiv"] / g["tiv"].sum()
    return g.head(top).reset_index(drop=True)


def arms_imports(as_of=None) -> pd.DataFrame:
    """Deliveries to Russia by supplier (e.g. Iran's drones, DPRK missiles where SIPRI lists them):
    supplier, year, designation, description, number_delivered, tiv."""
    a = data.arms_transfers()
    a = a[(a["recipient_iso3"] == "RUS") & a["delivery_year"].notna()
          & (a["delivery_year"] <= _last_full_year(as_of))]
    cols = ["sipri_id", "supplier", "supplier_iso3", "delivery_year", "designation", "description",
            "number_delivered", "tiv_delivered", "order_year"]
    out = a[cols].rename(columns={"delivery_year": "year", "tiv_delivered": "tiv"})
    out["note"] = out["sipri_id"].map(_arms_notes())
    return out.sort_values(["year", "supplier"]).reset_index(drop=True)


def _arms_notes() -> dict:
    """Sourced context per SIPRI deal (arms_notes.csv), e.g. the US-designed engines licensed in Russia."""
    try:
        n = data.arms_notes()
    except (FileNotFoundError, KeyError):
        return {}
    return dict(zip(n["sipri_id"].astype(int), n["note"]))


def trade_shares(as_of=None) -> pd.DataFrame:
    """Russia's goods trade (exports + imports) per partner and year, with each partner's share of
    Russia's total with all partners that year, and the partner-derived flag (2022+).

    Rows the plausibility rule excludes (``excluded``, see analysis.datasets.plausibility) are left
    out of totals and shares; a missing value stays missing (NaN), it is never summed as zero."""
    return _shares_until(_last_full_year(as_of))


def _shares_until(last: int) -> pd.DataFrame:
    t = data.trade()
    t = t[t["year"] <= last].copy()
    if "excluded" in t:
        t = t[~t["excluded"]]
    t["total_usd"] = t[["exports_usd", "imports_usd"]].sum(axis=1, min_count=1)
    t["share"] = t["total_usd"] / t.groupby("year")["total_usd"].transform("sum")
    return t


def trade_exclusions(as_of=None) -> pd.DataFrame:
    """The partner-years the plausibility rule excluded, known on the date: partner_iso3, name, year,
    total_usd, exclusion_reason (for the report's Methods)."""
    t = data.trade()
    t = t[t["year"] <= _last_full_year(as_of)]
    if "excluded" not in t:
        return pd.DataFrame(columns=["partner_iso3", "name", "year", "total_usd", "exclusion_reason"])
    t = t[t["excluded"]].copy()
    t["total_usd"] = t[["exports_usd", "imports_usd"]].sum(axis=1, min_count=1)
    from analysis.datasets import codes
    t["name"] = t["partner_iso3"].map(codes.display_name)
    return t[["partner_iso3", "name", "year", "total_usd", "exclusion_reason"]].reset_index(drop=True)


def top_partners(as_of=None, base_year: int = 2021, top: int = 10) -> pd.DataFrame:
    """Russia's top partners in the latest year against ``base_year``: partner_iso3, name,
    share_base, share_latest, total_latest_usd, latest_year, partner_derived (latest year)."""
    t = trade_shares(as_of)
    latest = int(t["year"].max())
    base = t[t["year"] == base_year].set_index("partner_iso3")
    last = t[t["year"] == latest].set_index("partner_iso3")
    partners = last["total_usd"].sort_values(ascending=False).head(top).index.union(
        base["total_usd"].sort_values(ascending=False).head(top).index)
    names = data.countries().set_index("iso3")["name"]
    from analysis.datasets import codes
    out = pd.DataFrame({"partner_iso3": partners})
    out["name"] = [names.get(i) or codes.display_name(i) for i in out["partner_iso3"]]
    # Missing is not zero: a partner without a value in a year keeps an empty share, flagged.
    out["share_base"] = out["partner_iso3"].map(base["share"])
    out["share_latest"] = out["partner_iso3"].map(last["share"])
    out["total_latest_usd"] = out["partner_iso3"].map(last["total_usd"])
    out["missing_base"] = out["share_base"].isna()
    out["missing_latest"] = out["share_latest"].isna()
    out["base_year"], out["latest_year"] = base_year, latest
    out["partner_derived"] = latest >= 2022
    return out.sort_values(["share_latest", "share_base"], ascending=False, na_position="last").reset_index(drop=True)


def main_partner(as_of=None) -> tuple[str, int, float]:
    """(partner ISO3, year, share) of Russia's largest trading partner in the last full year."""
    t = trade_shares(as_of)
    latest = int(t["year"].max())
    row = t[t["year"] == latest].sort_values("total_usd", ascending=False).iloc[0]
    return row["partner_iso3"], latest, float(row["share"])


#: The last full year of trade before the invasion: the base of the trade comparisons.
TRADE_BASE_YEAR = 2021


def trade_known(as_of=None, base_year: int = TRADE_BASE_YEAR) -> bool:
    """Whether Russia's trade by partner for ``base_year`` is known on the date."""
    years = trade_shares(as_of)["year"]
    return len(years) > 0 and int(years.max()) >= base_year


#: What a partner-year of :func:`partner_trade` holds, in words for people.
TRADE_STATUS = {"both": "exports and imports",
                "exports only": "exports only (imports not reported, so the total and share are lower bounds)",
                "imports only": "imports only (exports not reported, so the total and share are lower bounds)",
                "excluded": "left out as implausible",
                "missing": "no value", "impossible": "left out: share outside 0-100%"}


def partner_trade(iso3: str, as_of=None) -> pd.DataFrame:
    """Russia's goods trade with one partner, one row per year the data cover up to the last full
    year before ``as_of``: year, exports_usd, imports_usd, total_usd, share (of Russia's trade with
    all partners with a value that year), partner_derived (2022+: IMF estimates from partners'
    reports), status (see :data:`TRADE_STATUS`) and note. A year without a value is a row with
    status 'missing' (never zero); an excluded partner-year keeps its values but has no share; a
    share outside 0..1 (impossible) is blanked and marked. Empty when no year is known yet."""
    return _partner_trade(iso3, _last_full_year(as_of))


@data.memo
def _partner_trade(iso3: str, last: int) -> pd.DataFrame:  # a profile asks three times (text, chart, notes)
    t = data.trade()
    t = t[t["year"] <= last]
    cols = ["year", "exports_usd", "imports_usd", "total_usd", "share", "partner_derived", "status", "note"]
    if t.empty:
        return pd.DataFrame(columns=cols)
    years = range(int(t["year"].min()), int(t["year"].max()) + 1)
    mine = t[t["partner_iso3"] == iso3].set_index("year")
    shares = _shares_until(last)
    shares = shares[shares["partner_iso3"] == iso3].set_index("year")["share"]
    rows = []
    for y in years:
        r = mine.loc[y] if y in mine.index else None
        ex = float(r["exports_usd"]) if r is not None and pd.notna(r["exports_usd"]) else float("nan")
        im = float(r["imports_usd"]) if r is not None and pd.notna(r["imports_usd"]) else float("nan")
        share = float(shares.get(y, float("nan")))
        excluded = r is not None and "excluded" in r and bool(r["excluded"])
        note = str(r["exclusion_reason"]) if excluded and pd.notna(r.get("exclusion_reason")) else ""
        if r is None or (pd.isna(ex) and pd.isna(im)):
            status = "missing"
        elif excluded:
            status, share = "excluded", float("nan")
        elif pd.notna(share) and not 0 <= share <= 1:
            status, share = "impossible", float("nan")
        else:
            status = "both" if pd.notna(ex) and pd.notna(im) else ("exports only" if pd.notna(ex) else "imports only")
        total = ex + im if pd.notna(ex) and pd.notna(im) else (ex if pd.notna(ex) else im)
        rows.append({"year": y, "exports_usd": ex, "imports_usd": im, "total_usd": total, "share": share,
                     "partner_derived": y >= 2022, "status": status, "note": note})
    return pd.DataFrame(rows, columns=cols)


def trade_trend(d: pd.DataFrame) -> tuple[pd.Series, pd.Series] | None:
    """The two years a sentence compares (rows of :func:`partner_trade` with a share): the
    last pre-war year (2021) when known, else the first year with a share; and the latest year with
    a share. None when fewer than two years have a share."""
    ok = d[d["share"].notna()]
    if len(ok) < 2:
        return None
    base = ok[ok["year"] == TRADE_BASE_YEAR]
    first = base.iloc[0] if len(base) and base.index[0] != ok.index[-1] else ok.iloc[0]
    return first, ok.iloc[-1]
