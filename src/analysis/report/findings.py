"""Key findings as sentences whose numbers are computed from the data (never typed)."""
from __future__ import annotations

import pandas as pd

from analysis import config
from analysis.config import FOCUS
from analysis.datasets import data
from analysis.metrics import alignment, claims, economy, travel, votes
from analysis.metrics import stances as _stance
from analysis.report import labels


def _names(iso3s) -> str:
    names = data.countries().set_index("iso3")["name"]
    items = [names.get(i, i) for i in iso3s]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _pct(x: float) -> str:
    return f"{x:.0%}"


def first_vote(as_of=None) -> str:
    t = votes.tallies(None, as_of)
    row = t[t["label"] == "ES-11/1"]
    if row.empty:
        r = t.iloc[0]
        return f"On {r.date:%d %B %Y} the General Assembly adopted {r.label} by {r.yes} votes to {r.no}."
    r = row.iloc[0]
    lv = votes.long_votes(["A/RES/ES-11/1"], as_of)
    against = sorted(lv.loc[lv["vote"] == "no", "iso3"])
    return (f"On {r.date:%-d %B %Y}, {r.yes} of the {r.members} UN members voted for resolution ES-11/1 demanding "
            f"that Russia withdraw from Ukraine; {r.abstain} abstained, {r.absent} did not vote, and only {r.no} voted "
            f"against: {_names(against)}.")


def latest_vote(as_of=None, later: str = "A/RES/ES-11/7") -> str:
    """Peak support, then the later vote (default ES-11/7, the Ukrainian-European text of February
    2025; before it existed, the latest vote) and who moved to 'no' since the peak."""
    t = votes.tallies(None, as_of)
    peak = t.loc[t["yes"].idxmax()]
    rows = t[t["resolution"] == later]
    last = rows.iloc[0] if len(rows) else t.iloc[-1]
    s = (f"Support peaked at {peak.yes} yes votes ({peak.label}, {peak.date:%B %Y}); {last.label} "
         f"({last.date:%-d %B %Y}) drew {last.yes} yes, {last.no} no and {last.abstain} abstentions.")
    if last.label != peak.label:
        sw = votes.vote_switches(peak.resolution, last.resolution, as_of)
        left = sw[sw["move"] == "left yes"]
        to_no = left[left["second"] == "no"]["iso3"].tolist()
        s += f" {len(left)} states that voted yes on {peak.label} did not vote yes on {last.label}"
        if len(to_no) == 1:
            s += f"; one of them, {_names(to_no)}, voted no."
        elif to_no:
            s += f"; {len(to_no)} of them voted no: {_names(to_no)}."
        else:
            s += "."
    return s


def sides(as_of=None, **thresholds) -> str:
    sh = _stance.shares(as_of, **thresholds).set_index(_stance.shares(as_of, **thresholds)["stance"].astype(str))
    w = sh.loc[["allied", "russia_leaning"]]
    c = sh.loc["condemning"]
    st = _stance.stance(as_of, **thresholds)
    allied = st.loc[st["stance"] == "allied", "iso3"].tolist()
    return (f"{int(w['states'].sum())} UN members side with Russia on Ukraine ({int(sh.at['allied', 'states'])} allied: "
            f"{_names(allied)}; {int(sh.at['russia_leaning', 'states'])} Russia-leaning). Together they hold "
            f"{_pct(w['population_share'].sum())} of the population but {_pct(w['gdp_share'].sum())} of the GDP of the "
            f"UN members with data, while the {int(c['states'])} condemning and sanctioning states hold "
            f"{_pct(c['gdp_share'])} of GDP; {int(sh.at['neutral', 'states'])} states, with "
            f"{_pct(sh.at['neutral', 'population_share'])} of the population, stay neutral.")


def alignment_sentence(as_of=None, focus=FOCUS) -> str:
    a = alignment.agreement("RUS", as_of)
    a = a[a["n_votes"] >= 10]
    last = a["session"].max()
    cur = a[a["session"] == last].set_index("iso3")["agreement"]
    eu = alignment.eu_median(a)
    eu_med = eu.loc[eu["session"] == last, "agreement"].iloc[0]
    parts = ", ".join(f"{_names([i])} {_pct(cur[i])}" for i in focus if i in cur.index)
    return (f"In session {last} (the latest with at least 10 recorded votes) the article's states voted with Russia "
            f"on: {parts} of recorded General Assembly votes; the median EU member did so on {_pct(eu_med)}.")


def travel_sentence(as_of=None) -> str:
    v = travel.visits_since_warrant(as_of)
    icc = v[v["icc_party"]]
    s = (f"Since the ICC arrest warrant of {pd.Timestamp(config.ICC_WARRANT_DATE):%-d %B %Y}, Putin has made "
         f"{len(v)} foreign visits to {v['iso3'].nunique()} states")
    if len(icc):
        s += (f"; {len(icc)} were to ICC states parties, which did not arrest him: "
              + ", ".join(f"{h} ({d:%B %Y})" for h, d in zip(icc["host"], icc["start_date"])) + ".")
    else:
        s += ", none of them to an ICC state party."
    return s


def trade_sentence(as_of=None) -> str:
    t = economy.top_partners(as_of, 2021, 10).set_index("partner_iso3")
    chn = t.loc["CHN"]
    ind = t.loc["IND"] if "IND" in t.index else None
    s = (f"China's share of Russia's goods trade rose from {_pct(chn.share_base)} in 2021 to "
         f"{_pct(chn.share_latest)} in {int(chn.latest_year)}")
    if ind is not None:
        s += f", India's from {_pct(ind.share_base)} to {_pct(ind.share_latest)}"
    return s + " (IMF; since 2022 estimated from partners' reports)."


def arms_sentence(as_of=None) -> str:
    g = economy.arms_exports_totals(as_of, 2014, 3)
    imp = economy.arms_imports(as_of)
    imp = imp[imp["year"] >= 2022]
    sup = sorted(set(imp["supplier"]) - {"unknown supplier(s)"})
    s = (f"{_names(g['recipient_iso3'][:2])} took {_pct(g['share'].iloc[:2].sum())} of Russia's arms deliveries "
         f"since 2014 (SIPRI TIV)")
    if sup:
        s += f"; since 2022 SIPRI records deliveries to Russia from {', '.join(sup)}"
    return s + "."


def claims_sentence(as_of=None) -> str:
    c = claims.compare(claims.ARTICLE_DATE, as_of)
    counts = c["verdict_now"].value_counts()
    changed = c[c["changed"]]
    s = (f"Of the DW article's {len(c)} claims checked here, {counts.get('supported', 0)} are supported by the data, "
         f"{counts.get('partly supported', 0)} partly, {counts.get('not supported', 0)} not, and "
         f"{counts.get('not checkable', 0)} cannot be checked with this data")
    if len(changed):
        s += f"; {labels.plural(len(changed), 'verdict')} changed since the article ({', '.join(changed['claim_id'])})"
    return s + "."


def key_findings(as_of=None, focus=FOCUS, **thresholds) -> list[str]:
    return [first_vote(as_of), latest_vote(as_of), sides(as_of, **thresholds), alignment_sentence(as_of, focus),
            travel_sentence(as_of), trade_sentence(as_of), arms_sentence(as_of), claims_sentence(as_of)]
