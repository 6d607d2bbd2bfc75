"""One mapping for country names and codes, built from the country-codes snapshot (ODC-PDDL).

country_converter is deliberately not used: it is GPL-licensed and version 1.3.2 fails to build its
table under pandas 3 (ISO2 "NA" for Namibia and empty cells become NaN). Reading country-codes.csv
with ``keep_default_na=False`` keeps "NA" as Namibia's code; a test guards this.
"""
from __future__ import annotations

import functools
import re

import pandas as pd

from analysis import config

# Short display names where CLDR's are too terse or use '&'.
_NAME_OVERRIDES = {
    "GBR": "United Kingdom",
    "USA": "United States",
    "BIH": "Bosnia and Herzegovina",
    "COD": "DR Congo",
    "COG": "Congo",
    "VAT": "Holy See",
}

# Names used by SIPRI that the crosswalk does not carry. Non-state actors map to no code (None).
_SIPRI_NAMES = {
    "cote d'ivoire": "CIV",
    "dr congo": "COD",
    "turkiye": "TUR",
    "uae": "ARE",
    "united kingdom": "GBR",
    "united states": "USA",
    "soviet union": "SUN",
}


@functools.lru_cache(maxsize=4)
def _table(path: str) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8")


def _path() -> str:
    return str(config.raw_dir() / "country-codes" / "country-codes.csv")


def crosswalk() -> pd.DataFrame:
    """The country-codes table with every cell as text (empty string, never NaN)."""
    from analysis.datasets import reads

    path = _path()
    reads.note(path)  # also when served from this process's cache
    return _table(path)


def iso3_codes() -> set[str]:
    """Every current ISO 3166-1 alpha-3 code plus the historic UN member codes used in roll calls."""
    codes = {c for c in crosswalk()["ISO3166-1-Alpha-3"] if c.strip()}
    return codes | set(config.HISTORIC_CODES)


@functools.lru_cache(maxsize=4)
def _display_names(path: str) -> dict[str, str]:
    """ISO3 -> CLDR display name (else the official name), from the first row of each code."""
    cw = _table(path)
    names: dict[str, str] = {}
    for code, cldr, official in zip(cw["ISO3166-1-Alpha-3"], cw["CLDR display name"], cw["official_name_en"]):
        if code and code not in names:
            names[code] = (cldr or official).replace(" & ", " and ")
    return names


def display_name(iso3: str) -> str:
    if iso3 in _NAME_OVERRIDES:
        return _NAME_OVERRIDES[iso3]
    if iso3 in config.HISTORIC_CODES:
        return config.HISTORIC_CODES[iso3]
    crosswalk()  # the names are read from it: count it as read
    names = _display_names(_path())
    if iso3 not in names:
        raise KeyError(iso3)
    return names[iso3]


def _norm(name: str) -> str:
    name = name.lower().replace("(the)", "").replace("*", "")
    return re.sub(r"\s+", " ", name).strip()


@functools.lru_cache(maxsize=1)
def _name_index() -> dict[str, str]:
    cw = crosswalk()
    idx: dict[str, str] = {}
    for col in ("CLDR display name", "UNTERM English Short", "official_name_en", "UNTERM English Formal",
                "ISO4217-currency_country_name"):
        for name, code in zip(cw[col], cw["ISO3166-1-Alpha-3"]):
            if name and code:
                idx.setdefault(_norm(name), code)
    for code, name in _NAME_OVERRIDES.items():
        idx.setdefault(_norm(name), code)
    idx.update(_SIPRI_NAMES)
    return idx


def name_to_iso3(name: str) -> str | None:
    """ISO3 for a country name as written by the UN, CLDR, SIPRI or the World Bank; None if unknown
    (non-state actors such as 'Ukraine Rebels*' or 'unknown recipient(s)')."""
    crosswalk()  # the index is built from it: count it as read
    return _name_index().get(_norm(name))


def numeric_to_iso3() -> dict[str, str]:
    """ISO 3166-1 numeric code (zero-padded to 3 digits, as in world-atlas) -> ISO3."""
    cw = crosswalk()
    out = {}
    for num, code in zip(cw["ISO3166-1-numeric"], cw["ISO3166-1-Alpha-3"]):
        if num.strip() and code.strip():
            out[num.strip().zfill(3)] = code
    return out


def regions() -> pd.DataFrame:
    """iso3, un_region, un_subregion (UN M49 region and sub-region names)."""
    cw = crosswalk()
    out = pd.DataFrame({"iso3": cw["ISO3166-1-Alpha-3"], "un_region": cw["Region Name"],
                        "un_subregion": cw["Sub-region Name"]})
    return out[out["iso3"] != ""]
