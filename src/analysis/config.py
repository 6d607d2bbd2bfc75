"""Paths and fixed constants, in one place.

Every path can be redirected with the environment variable ``ISOLATION_DATA_DIR`` (the folder that
holds ``raw/``, ``manual/`` and ``curated/``), which tests use to work on fixtures.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent.parent


def data_dir() -> Path:
    return Path(os.environ.get("ISOLATION_DATA_DIR", PROJECT_ROOT / "data"))


def raw_dir() -> Path:
    return data_dir() / "raw"


def manual_dir() -> Path:
    return data_dir() / "manual"


def curated_dir() -> Path:
    return data_dir() / "curated"


NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
#: nbconvert templates, the print stylesheet and the site index template.
TEMPLATES_DIR = PACKAGE_DIR / "build" / "templates"
REPORTS_DIR = PROJECT_ROOT / "reports"

# Historic UN members whose codes are not current ISO 3166-1 codes but appear in GA roll calls.
HISTORIC_CODES = {
    "SUN": "USSR",
    "YUG": "SFR Yugoslavia",
    "SCG": "FR Yugoslavia / Serbia and Montenegro",
    "CSK": "Czechoslovakia",
    "DDR": "German Democratic Republic",
    "YMD": "Democratic Yemen",
    "EAZ": "Zanzibar",
}

# The Ukraine set of UN General Assembly resolutions (topic "ukraine"). Every A/RES/ES-11/* resolution, and
# every record of the ES-11 session, is tagged "ukraine" by pattern as well (curate.assign_topics).
# "UNGA-ESS11-2026-02-24" is the PROVISIONAL key of the resolution of 24 February 2026 ("Support for lasting peace
# in Ukraine"), whose symbol is not yet sourced; it is a partial record (data/manual/un_resolutions_partial.csv).
UKRAINE_RESOLUTIONS = (
    "A/RES/68/262",
    "A/RES/ES-11/1",
    "A/RES/ES-11/2",
    "A/RES/ES-11/3",
    "A/RES/ES-11/4",
    "A/RES/ES-11/5",
    "A/RES/ES-11/6",
    "A/RES/78/316",
    "A/RES/ES-11/7",
    "A/RES/ES-11/8",
    "A/RES/ES-11/9",
    "UNGA-ESS11-2026-02-24",
)

# Short labels for charts and tables.
def short_symbol(resolution: str) -> str:
    """'A/RES/ES-11/1' -> 'ES-11/1'; 'A/RES/68/262' -> '68/262'; a provisional key of a resolution
    whose symbol is not yet sourced, 'UNGA-ESS11-2026-02-24' -> 'ES-11/? (2026-02-24)'."""
    for prefix in ("A/RES/", "A/DEC/"):
        if resolution.startswith(prefix):
            return resolution[len(prefix):]
    m = re.fullmatch(r"UNGA-ESS(\d+)-(\d{4}-\d{2}-\d{2})", resolution)
    if m:
        return f"ES-{m.group(1)}/? ({m.group(2)})"
    return resolution


VOTE_VALUES = ("yes", "no", "abstain", "absent")
#: Vote codes of the UN Digital Library voting data (Y/N/A; X = recorded as not voting).
UNDL_VOTE_CODES = {"Y": "yes", "N": "no", "A": "abstain", "X": "absent"}
#: The vote of a member on a partial record (official totals known) whose vote no source gives yet.
UNKNOWN_VOTE = "unknown"

# The six states of the DW article (the report's default focus) and the comparison states.
FOCUS = ("CHN", "PRK", "BLR", "IRN", "SYR", "VNM")
COMPARISON = ("IND", "BRA", "ZAF", "TUR")

# Date of the ICC arrest warrant for Vladimir Putin (ICC press release, 17 March 2023).
ICC_WARRANT_DATE = "2023-03-17"
# The full-scale invasion.
INVASION_DATE = "2022-02-24"
