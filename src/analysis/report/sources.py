"""The report's Sources section: every raw snapshot with origin, licence, version and retrieval
date (from PROVENANCE.json), and every hand-curated table with its row and checked counts."""
from __future__ import annotations

import pandas as pd

from analysis import config
from analysis.datasets import data, snapshot


def raw_sources() -> pd.DataFrame:
    """The raw snapshots the curated tables were derived from (a refreshed source lists only the
    snapshot curate reads, not the ones it superseded or rejected)."""
    from analysis.datasets import rawsources

    used = rawsources.in_use()
    rows = []
    for name, p in snapshot.load_provenance().items():
        if name not in used:
            continue
        rows.append({"source": name, "title": p["title"], "publisher": p["publisher"], "version": p["origin"],
                     "licence": p["licence"], "attribution": p["attribution"], "retrieved": p["retrieved"],
                     "files": ", ".join(p["files"])})
    return pd.DataFrame(rows)


def hand_curated() -> pd.DataFrame:
    rows = []
    for name in ("memberships", "leader_visits", "treaties"):
        df = data.load(name)
        rows.append({"table": f"{name}.csv", "rows": len(df), "checked against a read source": int((df["checked"] == "yes").sum()),
                     "not checked": int((df["checked"] != "yes").sum()),
                     "sources cited": df["source_url"].nunique()})
    adm = pd.read_csv(config.manual_dir() / "un_admission.csv")
    rows.append({"table": "un_admission.csv", "rows": len(adm), "checked against a read source": int((adm["checked"] == "yes").sum()),
                 "not checked": int((adm["checked"] != "yes").sum()), "sources cited": adm["source_url"].nunique()})
    return pd.DataFrame(rows)


ATTRIBUTION = [
    "United Nations Digital Library, General Assembly voting records (digitallibrary.un.org): non-commercial use "
    "with attribution.",
    "Bailey, Michael A., Anton Strezhnev and Erik Voeten (2017). Estimating Dynamic State Preferences from United "
    "Nations Voting Data. Journal of Conflict Resolution 61(2): 430-456. Data: Harvard Dataverse hdl:1902.1/12379.",
    "SIPRI Arms Transfers Database, Stockholm International Peace Research Institute (data generated 3 January 2025).",
    "World Bank, World Development Indicators: population (SP.POP.TOTL) and GDP (NY.GDP.MKTP.CD), CC BY 4.0.",
    "IMF, International Trade in Goods (IMTS).",
    "Made with Natural Earth (public domain); world-atlas 2.0.2 by Mike Bostock (ISC).",
    "Country codes: datasets/country-codes (ODC-PDDL-1.0).",
    "Government of the Russian Federation, Order No. 430-r of 5 March 2022 and amendments (unfriendly states).",
]
