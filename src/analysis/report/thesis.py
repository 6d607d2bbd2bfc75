"""The report's thesis and key findings: sentences whose every number is computed here from the
metrics (never typed), with one set of denominators (the UN members; their population; their GDP,
World Bank latest values), and the sensitivity of each headline number said in words.

``numbers(as_of)`` holds the values; ``thesis(as_of)`` the two or three sentences; ``findings(as_of)``
at most five one-sentence findings, each with the anchor of the section that shows it;
``key_numbers(as_of)`` three headline numbers for the site index."""
from __future__ import annotations

import pandas as pd

from analysis.datasets import asof as _asof
from analysis.datasets import data
from analysis.metrics import allies, claims, stances, timeline
from analysis.report import labels
from analysis.words import day

ANCHORS = {"votes": "isolation-over-time", "stance": "where-the-world-stands", "allies": "allies",
           "moved": "who-moved", "claims": "claims"}


def _names(iso3s) -> str:
    names = data.countries().set_index("iso3")["name"]
    items = [("the " if str(names.get(i, i)).startswith(_THE) else "") + str(names.get(i, i)) for i in iso3s]
    if not items:
        return "none"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


_THE = ("United ", "Netherlands", "Philippines", "Central African", "Dominican Republic", "Gambia", "Bahamas",
        "Republic of", "Democratic Republic", "Russian", "Syrian", "Czech", "Comoros", "Marshall", "Solomon")


def _votes(as_of) -> dict:
    return {**timeline.demand_votes(as_of), "n": len(timeline.isolation(as_of))}


def _stance_at(ts, **thresholds) -> pd.DataFrame:
    sh = stances.shares(ts, **thresholds)
    return sh.set_index(sh["stance"].astype(str))


def _biggest_leaver(then, now, **thresholds) -> tuple[str | None, float]:
    """The state with the largest GDP that was condemning on ``then`` and is not on ``now``."""
    a = stances.stance(then, **thresholds).set_index("iso3")["stance"].astype(str)
    b = stances.stance(now, **thresholds).set_index("iso3")["stance"].astype(str)
    left = a.index[(a == "condemning") & (b.reindex(a.index) != "condemning")]
    if not len(left):
        return None, 0.0
    c = data.countries().set_index("iso3")
    g = c.loc[left, "gdp_usd"].dropna().sort_values(ascending=False)
    return (g.index[0], float(g.iloc[0] / c.loc[a.index, "gdp_usd"].sum())) if len(g) else (None, 0.0)


def numbers(as_of=None, **thresholds) -> dict:
    """Every value the thesis and the findings state."""
    ts = _asof.resolve(as_of)
    article = min(pd.Timestamp(claims.ARTICLE_DATE), ts)
    now, then = _stance_at(ts, **thresholds), _stance_at(article, **thresholds)
    al = allies.allies(ts, **thresholds)
    leaver, leaver_gdp = _biggest_leaver(article, ts, **thresholds)
    return {"as_of": ts, "article": article, **_votes(ts), "now": now, "then": then,
            "allies": al[al["side"] == "ally"], "partners": al[al["side"] == "partner"],
            "premise": allies.premise(ts, **thresholds), "leaver": leaver, "leaver_gdp": leaver_gdp}


def _named(r, seen: set) -> str:
    """A resolution (row of ``timeline.isolation``) named in a sentence: described on first mention."""
    return labels.first_mention(r["resolution"], seen, r["label"])


def thesis(as_of=None, n: dict | None = None, seen: set | None = None, **thresholds) -> str:
    """The thesis; ``seen``: resolutions already named in the text (a first mention is described)."""
    n = n or numbers(as_of, **thresholds)
    seen = set() if seen is None else seen
    f, low, last = n["first"], n["low"], n["last"]
    s = (f"In {f['date']:%B %Y}, {f['yes']} of the {f['members']} UN members, with {labels.percent(f['population_yes'])} of "
         f"their population and {labels.percent(f['gdp_yes'])} of their GDP, voted for the General Assembly's demand that "
         f"Russia withdraw from Ukraine; by {low['date']:%B %Y} only {low['yes']} voted yes on {_named(low, seen)}, with "
         f"{labels.percent(low['gdp_yes'])} of GDP")
    if last["resolution"] != low["resolution"]:
        part = " (a partial record)" if last["record"] == "partial" else ""
        s += f", and {last['yes']} on the latest vote, in {last['date']:%B %Y}{part}"
    c_then, c_now = n["then"].at["condemning", "gdp_share"], n["now"].at["condemning", "gdp_share"]
    s += (f". The states that condemn and sanction Russia held {labels.percent(c_then)} of the members' GDP on "
          f"{day(n['article'])} and hold {labels.percent(c_now)} on {day(n['as_of'])}")
    if n["leaver"]:
        s += f", above all because {_names([n['leaver']])} ({labels.percent(n['leaver_gdp'])} of GDP) no longer votes with them"
    ally, prem = n["allies"], n["premise"]
    kept = prem.loc[prem["side"] == "ally", "iso3"].tolist()
    s += (f". Russia is not alone: read on votes and ties together, the data name {len(ally)} allies "
          f"({_names(ally['iso3'])}), and of the six states DW listed in June 2024 only "
          f"{_names(kept) if kept else 'none'} {'is' if len(kept) == 1 else 'are'} among them.")
    return s


def _sensitive_leaning(ts, **thresholds) -> str:
    """In words: how the population share voting with Russia moves with the leaning threshold."""
    t = stances.check_thresholds(thresholds)
    se = stances.sensitivity(ts, steps={"leaning_no_share": sorted({0.1, t["leaning_no_share"], 0.3})}, **thresholds)
    se = se[se["stance"].astype(str).isin(stances.WITH_RUSSIA)]
    g = se.groupby("value")["population_share"].sum()
    others = [f"{labels.percent(g[v])} if the threshold is {labels.percent(v)}" for v in g.index if v != t["leaning_no_share"]]
    low = {**t, "leaning_no_share": min(g.index)}
    a = stances.stance(ts, **t).set_index("iso3")["stance"].astype(str)
    b = stances.stance(ts, **low).set_index("iso3")["stance"].astype(str)
    joins = b.index[b.isin(stances.WITH_RUSSIA) & ~a.isin(stances.WITH_RUSSIA)]
    pop = data.countries().set_index("iso3")["population"].reindex(joins).sort_values(ascending=False)
    driver = f" ({_names(pop.index[:1])} alone decides most of it)" if len(pop) else ""
    return (f"fragile: a state counts as Russia-leaning from a {labels.percent(t['leaning_no_share'])} share of no votes; "
            f"the figure becomes " + " and ".join(others) + driver)


def findings(as_of=None, n: dict | None = None, seen: set | None = None, **thresholds) -> pd.DataFrame:
    """At most five findings: order, text (plain), anchor. ``seen`` as in :func:`thesis`."""
    n = n or numbers(as_of, **thresholds)
    seen = set() if seen is None else seen
    ts, f, low, now = n["as_of"], n["first"], n["low"], n["now"]
    with_r = now.loc[list(stances.WITH_RUSSIA)]
    rows = [
        ("votes", f"Yes votes on the demand that Russia withdraw fell from {f['yes']} of {f['members']} members "
                  f"in {f['date']:%B %Y} on {_named(f, seen)} to {low['yes']} in {low['date']:%B %Y} on "
                  f"{_named(low, seen)}, from "
                  f"{labels.percent(f['population_yes'])} to {labels.percent(low['population_yes'])} of their population and from "
                  f"{labels.percent(f['gdp_yes'])} to {labels.percent(low['gdp_yes'])} of their GDP."),
        ("stance", f"On {day(ts)}, {int(with_r['states'].sum())} of {int(now['n_members'].iloc[0])} members vote with "
                   f"Russia, with {labels.percent(with_r['population_share'].sum())} of the population and "
                   f"{labels.percent(with_r['gdp_share'].sum())} of GDP; the population figure is "
                   + _sensitive_leaning(ts, **thresholds) + "."),
        ("allies", _allies_finding(n)),
        ("moved", _moved_finding(ts, **thresholds)),
        ("claims", claims_finding(ts)),
    ]
    return pd.DataFrame([{"order": i + 1, "kind": "finding", "text": t, "anchor": ANCHORS[k]}
                         for i, (k, t) in enumerate(rows)])


def _allies_finding(n: dict) -> str:
    ally, prem = n["allies"], n["premise"]
    dropped = prem.loc[prem["side"] != "ally", "iso3"].tolist()
    added = [i for i in ally["iso3"] if i not in set(prem["iso3"])]
    add = f"add {_names(added)} to" if added else "add no state to"
    return (f"Votes and ties together name {len(ally)} allies of Russia ({_names(ally['iso3'])}) and "
            f"{len(n['partners'])} partners; the data {add} the article's list of six and drop {_names(dropped)}.")


def _moved_finding(ts, **thresholds) -> str:
    start = max(pd.Timestamp("2022-12-31"), pd.Timestamp(data.earliest_date()))
    if ts <= start:
        return "No change of stance can be measured yet since the end of 2022."
    m = timeline.movers(start, ts, **thresholds)
    towards = m[m["direction"] == "towards Russia"]
    away = m[m["direction"] == "away from Russia"]
    gov = m[m["event"].notna()]
    gdp = data.countries().set_index("iso3")["gdp_usd"]
    big = towards.assign(g=towards["iso3"].map(gdp)).sort_values("g", ascending=False)["iso3"][:4]
    s = (f"Since the end of 2022, {len(towards)} members moved towards Russia's side of the scale (the largest "
         f"economies among them: {_names(big)}) and {len(away)} away from it")
    if len(gov):
        s += f"; {_names(gov['iso3'])} changed government in between"
    return s + "."


def claims_finding(ts) -> str:
    c = claims.compare(claims.ARTICLE_DATE, ts)
    changed = c[c["changed"]]
    return (f"Of the DW article's {len(c)} checked claims, {int((c['verdict_now'] == claims.SUPPORTED).sum())} hold "
            f"on {day(ts)} and {len(changed)} verdicts changed since June 2024.")


def key_numbers(as_of=None, n: dict | None = None, **thresholds) -> pd.DataFrame:
    """name, label, value, unit, denominator: three headline numbers for the site index."""
    n = n or numbers(as_of, **thresholds)
    last, now = n["last"], n["now"]
    return pd.DataFrame([
        {"name": "latest_yes", "label": f"States voting yes on the latest Ukraine vote ({day(last['date'])})",
         "value": int(last["yes"]), "unit": "states", "denominator": f"{int(last['members'])} UN members"},
        {"name": "condemning_gdp_share", "label": "Share of world GDP in states that condemn and sanction Russia",
         "value": round(float(now.at["condemning", "gdp_share"]), 4), "unit": "share",
         "denominator": f"GDP of the {int(now['n_with_gdp'].iloc[0])} UN members with data"},
        {"name": "named_allies", "label": "States the data name as Russia's allies (votes and ties)",
         "value": len(n["allies"]), "unit": "states", "denominator": f"{int(now['n_members'].iloc[0])} UN members"},
    ])
