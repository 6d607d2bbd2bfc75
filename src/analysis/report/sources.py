"""The report's Sources section: every raw snapshot with origin, licence, version and retrieval
date (from PROVENANCE.json), and every hand-curated table with its row and checked counts."""
from __future__ import annotations

import pandas as pd

from analysis import config
from analysis.datasets import snapshot


def raw_sources() -> pd.DataFrame:
    rows = []
    for name, p in snapshot.load_provenance().items():
        rows.append({"source": name, "title": p["title"], "publisher": p["publisher"], "version": p["origin"],
                     "licence": p["licence"], "attribution": p["attribution"], "retrieved": p["retrieved"],
                     "files": ", ".join(p["files"])})
    return pd.DataFrame(rows)


TIERS = ("official", "wire", "news", "secondary")


def hand_curated() -> pd.DataFrame:
    """Every hand-curated table (data/manual): rows, checked rows, sources cited, and the rows per
    source tier (official, wire, news, secondary; see data/README.md)."""
    from analysis.datasets.schemas import MANUAL_INPUTS

    rows = []
    for table in MANUAL_INPUTS:
        path = config.manual_dir() / table.filename
        if not path.exists():
            continue
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        row = {"table": table.filename, "rows": len(df),
               "checked against a read source": int((df["checked"] == "yes").sum()),
               "not checked": int((df["checked"] != "yes").sum()), "sources cited": df["source_url"].nunique()}
        tiers = df["source_tier"] if "source_tier" in df else pd.Series("", index=df.index)
        for tier in TIERS:
            row[tier] = int((tiers == tier).sum())
        rows.append(row)
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
