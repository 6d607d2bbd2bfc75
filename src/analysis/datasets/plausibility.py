"""Sanity rules for numbers a reader would find implausible, shared by `curate` (which flags and
excludes) and `validate` (which reports a row the rule flags but the data do not exclude).

Trade (IMF IMTS, Russia's goods trade by partner). From 2022 Russia publishes no partner detail, so
the IMF estimates those years from the partners' records (``partner_derived``). Such an estimate is
tested against the partner's own economy (World Bank GDP, the latest value up to three years back):

* R1 (review)  : the partner's total trade with Russia exceeds 20 % of the partner's GDP;
* R2 (exclude) : R1, and the share is more than 3 times the partner's pre-war share (mean of
  2019-2021), and the value is at least USD 5 bn (smaller R2 hits stay, with a review note);
* R3 (exclude) : the value is more than 10 times the partner's 2021 value and more than USD 1 bn.

An excluded row keeps its values in ``trade.csv`` (``excluded=True`` and an ``exclusion_reason``);
metrics leave it out of rankings, shares and totals, and the report lists it in Methods.
Missing is not zero: a flow the IMF leaves blank stays empty, and a zero where the partner had at
least USD 100 m the year before is reported as a probable missing value written as zero.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import config
from analysis.errors import Problem

SHARE_REVIEW = 0.20          # R1: trade with Russia / partner GDP
PREWAR_MULTIPLE = 3.0        # R2: share / pre-war share
R2_MIN_USD = 5e9             # R2 excludes only material values
JUMP_MULTIPLE = 10.0         # R3: value / value in BASE_YEAR
JUMP_MIN_USD = 1e9
PREWAR_YEARS = (2019, 2020, 2021)
BASE_YEAR = 2021
GDP_LOOKBACK = 3             # years back to find the partner's GDP
ZERO_AFTER_USD = 1e8         # a 0 after at least this much the year before is suspicious


def gdp_by_year(path: Path | None = None) -> pd.DataFrame:
    """World Bank GDP (current US$) per country and year: iso3, year, gdp_usd."""
    path = Path(path or config.raw_dir() / "wb-gdp" / "gdp.csv")
    wb = pd.read_csv(path, dtype={"Country Code": str}, keep_default_na=False, na_values=[""])
    wb = wb.dropna(subset=["Value"])
    return pd.DataFrame({"iso3": wb["Country Code"], "year": wb["Year"].astype(int),
                         "gdp_usd": wb["Value"].astype(float)})


def _gdp_lookup(gdp: pd.DataFrame) -> dict[tuple[str, int], float]:
    return {(i, int(y)): float(v) for i, y, v in zip(gdp["iso3"], gdp["year"], gdp["gdp_usd"])}


def _gdp_for(lookup: dict, iso3: str, year: int) -> tuple[float | None, int | None]:
    for back in range(GDP_LOOKBACK + 1):
        v = lookup.get((iso3, year - back))
        if v:
            return v, year - back
    return None, None


def _bn(x: float) -> str:
    return f"USD {x / 1e9:,.1f} bn"


def trade_checks(trade: pd.DataFrame, gdp: pd.DataFrame) -> pd.DataFrame:
    """One row per partner-derived partner-year with a value: the numbers behind the rule and its
    verdict (rule '', 'R1', 'R2' or 'R3'; excluded; reason). Rows keep the index of ``trade``."""
    t = trade.copy()
    t["year"] = t["year"].astype(int)
    t["total_usd"] = t[["exports_usd", "imports_usd"]].astype(float).sum(axis=1, min_count=1)
    derived = t["partner_derived"].astype(str).str.lower() == "true" if "partner_derived" in t else t["year"] >= 2022
    lookup = _gdp_lookup(gdp)
    totals = {(p, int(y)): v for p, y, v in zip(t["partner_iso3"], t["year"], t["total_usd"]) if pd.notna(v)}
    rows = []
    for idx in t.index[derived & t["total_usd"].notna()]:
        iso3, year, total = t.at[idx, "partner_iso3"], int(t.at[idx, "year"]), float(t.at[idx, "total_usd"])
        g, gy = _gdp_for(lookup, iso3, year)
        share = total / g if g else None
        pre = []
        for py in PREWAR_YEARS:
            gp, _ = _gdp_for(lookup, iso3, py)
            if gp and (iso3, py) in totals:
                pre.append(totals[(iso3, py)] / gp)
        prewar = sum(pre) / len(pre) if pre else None
        base = totals.get((iso3, BASE_YEAR))
        jump = total / base if base else None
        r1 = share is not None and share > SHARE_REVIEW
        r2 = r1 and prewar is not None and share > PREWAR_MULTIPLE * prewar
        r3 = jump is not None and jump > JUMP_MULTIPLE and total > JUMP_MIN_USD
        excluded = (r2 and total >= R2_MIN_USD) or r3
        reasons = []
        if r1:
            reasons.append(f"the partner-derived total {_bn(total)} is {share:.0%} of {iso3}'s GDP ({gy}), over "
                           f"{SHARE_REVIEW:.0%}")
        if r2:
            reasons.append(f"over {PREWAR_MULTIPLE:.0f} times its pre-war share ({prewar:.1%}, "
                           f"{PREWAR_YEARS[0]}-{PREWAR_YEARS[-1]} mean)")
        if r3:
            reasons.append(f"{jump:.0f} times its {BASE_YEAR} value ({_bn(base)}) and over {_bn(JUMP_MIN_USD)}")
        rule = "R3" if r3 else ("R2" if r2 else ("R1" if r1 else ""))
        if r2 and not excluded:
            reasons.append(f"kept: below {_bn(R2_MIN_USD)}")
        rows.append({"index": idx, "partner_iso3": iso3, "year": year, "total_usd": total, "gdp_usd": g,
                     "gdp_year": gy, "trade_to_gdp": share, "prewar_trade_to_gdp": prewar, "ratio_to_base": jump,
                     "rule": rule, "excluded": bool(excluded),
                     "reason": ("; ".join(reasons)) if reasons else ""})
    cols = ["index", "partner_iso3", "year", "total_usd", "gdp_usd", "gdp_year", "trade_to_gdp",
            "prewar_trade_to_gdp", "ratio_to_base", "rule", "excluded", "reason"]
    return pd.DataFrame(rows, columns=cols).set_index("index")


def apply_trade_rules(trade: pd.DataFrame, gdp: pd.DataFrame) -> pd.DataFrame:
    """``trade`` with ``excluded`` (bool), ``exclusion_reason`` (why, for excluded rows) and
    ``review_note`` (R1 hits that stay in, e.g. small partners or structural re-export hubs)."""
    checks = trade_checks(trade, gdp)
    out = trade.copy()
    out["excluded"] = False
    out["exclusion_reason"] = ""
    out["review_note"] = ""
    ex = checks[checks["excluded"]]
    out.loc[ex.index, "excluded"] = True
    out.loc[ex.index, "exclusion_reason"] = [f"{r}: {why}" for r, why in zip(ex["rule"], ex["reason"])]
    rv = checks[(checks["rule"] != "") & ~checks["excluded"]]
    out.loc[rv.index, "review_note"] = [f"{r} (kept): {why}" for r, why in zip(rv["rule"], rv["reason"])]
    return out


def trade_problems(trade: pd.DataFrame, gdp: pd.DataFrame, label: str = "trade.csv") -> list[Problem]:
    """Rows the plausibility rule excludes but the table keeps in, excluded rows without a reason,
    and zeros that look like missing values."""
    problems: list[Problem] = []
    checks = trade_checks(trade, gdp)
    excluded = trade["excluded"].astype(str).str.lower() == "true"
    for idx, c in checks[checks["excluded"]].iterrows():
        if not excluded.get(idx, False):
            flows = {c: float(trade.at[idx, c]) if pd.notna(trade.at[idx, c]) else 0.0
                     for c in ("exports_usd", "imports_usd")}
            col = max(flows, key=flows.get)  # the flow that carries the implausible value
            problems.append(Problem(label, int(idx) + 2, col, trade.at[idx, col],
                                    f"a plausible partner-derived value, or excluded=True with a reason ({c['rule']}: "
                                    f"{c['reason']})"))
    reason = trade["exclusion_reason"] if "exclusion_reason" in trade else pd.Series("", index=trade.index)
    for idx in trade.index[excluded & (reason.isna() | (reason.astype(str).str.strip() == ""))]:
        problems.append(Problem(label, int(idx) + 2, "exclusion_reason", None,
                                "a reason for an excluded row (the rule and the numbers)"))
    # missing written as zero
    t = trade.assign(year=trade["year"].astype(int))
    prev = {(p, int(y)): (e, i) for p, y, e, i in zip(t["partner_iso3"], t["year"], t["exports_usd"], t["imports_usd"])}
    for idx in t.index:
        for k, col in enumerate(("exports_usd", "imports_usd")):
            v = t.at[idx, col]
            if pd.isna(v) or float(v) != 0.0:
                continue
            before = prev.get((t.at[idx, "partner_iso3"], int(t.at[idx, "year"]) - 1))
            if before is not None and pd.notna(before[k]) and float(before[k]) >= ZERO_AFTER_USD:
                problems.append(Problem(label, int(idx) + 2, col, v,
                                        f"an empty cell if the value is missing (the year before was "
                                        f"{_bn(float(before[k]))}); a zero must be a reported zero"))
    return problems
