"""Words for people, in one place: the human header of every column the report shows or publishes
(with its unit and description, for the data dictionaries in ``datapackage.json``), what each
Ukraine resolution demanded, and the plural helper (kept in :mod:`analysis.words`, where metrics
can use it too) so no sentence says "1 time(s)".

    labels.header("absence_rate")      -> "Absence rate"
    labels.column("gdp_share")         -> Column(header="Share of world GDP", unit="share (0-1)", ...)
    labels.plural(2, "verdict")        -> "2 verdicts"
    labels.resolution("A/RES/ES-11/3") -> "suspended Russia from the Human Rights Council"

Tables are rendered with :func:`header` (``display.table_html``), so sections keep their tidy
column names and need not rename anything; a column without an entry gets a readable fallback
("share_yes" -> "Share yes"), never the raw identifier with underscores.
"""
from __future__ import annotations

import re
from typing import NamedTuple

# the rules live beneath metrics (analysis.words); labels.plural and labels.percent for the report
from analysis.report import mentions
from analysis.words import percent, plural  # noqa: F401


class Column(NamedTuple):
    header: str
    description: str = ""
    unit: str = ""


_SHARE = "share (0-1)"

#: column name -> (human header, description, unit)
COLUMNS: dict[str, Column] = {
    "iso3": Column("ISO3", "ISO 3166-1 alpha-3 code of the state", ""),
    "name": Column("State", "Name of the state", ""),
    "country": Column("State", "Name of the state", ""),
    "state": Column("State", "Name of the state", ""),
    "host": Column("Host state", "State visited", ""),
    "recipient_iso3": Column("Recipient (ISO3)", "ISO3 code of the recipient state", ""),
    "partner_iso3": Column("Partner (ISO3)", "ISO3 code of the trading partner", ""),
    "resolution": Column("Resolution", "UN document symbol of the General Assembly resolution", ""),
    "label": Column("Label", "Short label", ""),
    "description": Column("What it demanded", "One-line summary of the resolution", ""),
    "date": Column("Date", "Date", "date"),
    "start_date": Column("From", "First day of the visit", "date"),
    "end_date": Column("To", "Last day of the visit", "date"),
    "year": Column("Year", "Calendar year (for sessions: the year the session opened)", "year"),
    "session": Column("Session", "General Assembly session number", ""),
    "city": Column("City", "City or cities visited", ""),
    "purpose": Column("Purpose", "Purpose of the visit", ""),
    "vote": Column("Vote", "How the state voted: yes, no, abstain or absent", ""),
    "yes": Column("Yes", "Number of states voting yes", "states"),
    "no": Column("No", "Number of states voting no", "states"),
    "abstain": Column("Abstain", "Number of states abstaining", "states"),
    "absent": Column("Absent", "Number of members absent or not voting", "states"),
    "members": Column("UN members", "Number of UN members on the day of the vote", "states"),
    "states": Column("States", "Number of states", "states"),
    "n_members": Column("UN members", "Number of UN members", "states"),
    "n_votes": Column("Votes", "Number of recorded votes", "votes"),
    "n_with_population": Column("States with population data", "", "states"),
    "n_with_gdp": Column("States with GDP data", "", "states"),
    "agreement": Column("Agreement with Russia", "Share of recorded votes cast the same way as Russia", _SHARE),
    "series": Column("Series", "State code, or the EU median", ""),
    "stance": Column("Stance", "Stance class (rules in the report's Methods section)", ""),
    "reason": Column("Why", "The rule that put the state in its class", ""),
    "absence_rate": Column("Absence rate", "Share of the Ukraine votes the state missed", _SHARE),
    "absences": Column("Absences", "Number of Ukraine votes missed", "votes"),
    "share_yes": Column("Share of yes votes", "", _SHARE),
    "share_no": Column("Share of no votes", "", _SHARE),
    "mean_share_yes": Column("Average yes share", "Mean share of yes votes across the resolutions", _SHARE),
    "population": Column("Population", "Population (World Bank, latest year)", "persons"),
    "population_share": Column("Share of world population", "", _SHARE),
    "gdp_usd": Column("GDP (US$)", "GDP in current US dollars (World Bank, latest year)", "US$"),
    "gdp_share": Column("Share of world GDP", "", _SHARE),
    "icc_party": Column("ICC state party on the day", "Whether the host was a party to the Rome Statute", ""),
    "with_russia": Column("Sides with Russia", "Allied with Russia or Russia-leaning", ""),
    "visits": Column("Visits", "Number of visits", "visits"),
    "tiv": Column("Arms deliveries (TIV, millions)", "SIPRI trend-indicator value of deliveries", "TIV millions"),
    "share": Column("Share", "", _SHARE),
    "share_base": Column("Share, base year", "Share of Russia's goods trade in the base year", _SHARE),
    "share_latest": Column("Share, latest year", "Share of Russia's goods trade in the latest year", _SHARE),
    "base_year": Column("Base year", "", "year"),
    "latest_year": Column("Latest year", "", "year"),
    "trade_usd": Column("Trade (US$)", "Exports plus imports of goods", "US$"),
    "exports_usd": Column("Exports (US$)", "", "US$"),
    "imports_usd": Column("Imports (US$)", "", "US$"),
    "source": Column("Source", "", ""),
    "source_url": Column("Link", "Address of the source", ""),
    "url": Column("Link", "Address of the source", ""),
    "checked": Column("Checked", "Date the row was last checked", "date"),
    "claim": Column("Claim", "", ""),
    "verdict": Column("Verdict", "", ""),
    "russia_leaning": Column("Russia-leaning", "", ""),
    "allied": Column("Allied with Russia", "", ""),
    "neutral": Column("Neutral", "", ""),
    "west_leaning": Column("West-leaning", "", ""),
    "condemning": Column("Condemning and sanctioning", "", ""),
}

_ACRONYMS = {"iso3": "ISO3", "gdp": "GDP", "usd": "US$", "icc": "ICC", "un": "UN", "eu": "EU", "tiv": "TIV",
             "nato": "NATO", "csto": "CSTO", "sco": "SCO", "brics": "BRICS", "eaeu": "EAEU", "bsv": "BSV",
             "url": "link", "n": "number of"}


def _fallback(name: str) -> str:
    words = [w for w in re.split(r"[_\s]+", name.strip()) if w]
    if not words:
        return name
    out = [_ACRONYMS.get(w.lower(), w) for w in words]
    first = out[0]
    out[0] = first[:1].upper() + first[1:] if first == words[0] else first
    return " ".join(out)


def header(name) -> str:
    """The human header of a column (its name when it is already prose, e.g. "Share of GDP")."""
    text = str(name)
    if text in COLUMNS:
        return COLUMNS[text].header
    if "_" not in text and not text.islower():
        return text  # already written for people ("Votes", "ES-11/1")
    return _fallback(text)


#: Coded values shown to people: column -> {code: words}. Applied by ``display.table_html``.
VALUES: dict[str, dict] = {
    "stance": {"allied": "Allied with Russia", "russia_leaning": "Russia-leaning", "neutral": "Neutral",
               "west_leaning": "West-leaning", "condemning": "Condemning and sanctioning", "russia": "Russia"},
    # treaty kinds (data/manual/treaties.csv): a code with underscores is shown as words (see value())
    "kind": {"union_state": "Union State"},
}


def value(col, v):
    """The words for a coded cell value (stance codes, True/False) or the value unchanged."""
    if isinstance(v, bool) or type(v).__name__ == "bool_":
        return "yes" if v else "no"
    if not isinstance(v, str):
        return v
    words = VALUES.get(str(col), {}).get(v, v)
    if str(col) == "kind" and words == v and re.fullmatch(r"[a-z]+(_[a-z]+)+", v):
        return v.replace("_", " ")  # "friendship_cooperation" -> "friendship cooperation"
    return words


def column(name) -> Column:
    """Header, description and unit of a column (for data dictionaries)."""
    text = str(name)
    return COLUMNS.get(text) or Column(header(text))


#: What each Ukraine resolution of the General Assembly demanded (one line each).
RESOLUTIONS: dict[str, str] = {
    "A/RES/68/262": "Crimea, 2014: affirmed Ukraine's territorial integrity and declared the Crimea "
                    "referendum invalid",
    "A/RES/ES-11/1": "Aggression against Ukraine, March 2022: demanded that Russia withdraw all its forces at once",
    "A/RES/ES-11/2": "Humanitarian consequences, March 2022: demanded protection of civilians and "
                     "humanitarian access",
    "A/RES/ES-11/3": "Human Rights Council, April 2022: suspended Russia's membership of the Council",
    "A/RES/ES-11/4": "Annexations, October 2022: declared Russia's annexation of four Ukrainian regions "
                     "invalid and demanded its reversal",
    "A/RES/ES-11/5": "Reparation, November 2022: held Russia liable for reparation and recommended a "
                     "register of damage",
    "A/RES/ES-11/6": "Peace principles, February 2023: called for a just and lasting peace and again "
                     "demanded Russia's withdrawal",
    "A/RES/78/316": "Nuclear safety, July 2024: demanded that Russia return the Zaporizhzhia nuclear plant "
                    "to Ukraine's control",
    "A/RES/ES-11/7": "Third anniversary, February 2025: called for an end to the war in line with the UN "
                     "Charter and Ukraine's territorial integrity",
    "A/RES/ES-11/8": "\"The path to peace\", February 2025: the US text calling for a swift end to the "
                     "conflict, as amended to name Russia's invasion",
    # from the UN press release GA/12738 and the reports cited in data/manual/un_resolutions_partial.csv
    "A/RES/ES-11/9": "Return of Ukrainian children, December 2025: demanded the return of all Ukrainian children "
                     "forcibly transferred or deported",
    "UNGA-ESS11-2026-02-24": "Support for lasting peace, February 2026 (symbol not yet sourced): called for an "
                             "immediate ceasefire and reaffirmed Ukraine's territorial integrity",
}


def resolution(symbol: str) -> str:
    """One line on what a Ukraine resolution demanded (``"A/RES/ES-11/1"`` or ``"ES-11/1"``)."""
    full = symbol if symbol.startswith(("A/", "UNGA-")) else f"A/RES/{symbol}"
    return RESOLUTIONS.get(full, "")


def first_mention(symbol: str, seen: set[str], label: str | None = None) -> str:
    """``"ES-11/3"`` the first time (with what it demanded, in brackets), the bare code afterwards.
    ``seen`` is the set of resolutions already named in the text (the report's or profile's
    ``Context.mentioned``); ``label`` is the code shown when it differs from the symbol (a
    resolution without a sourced symbol: "ES-11/? (2026-02-24)")."""
    if mentions.deferring():  # decided once the earlier sections are known (a split run)
        return mentions.marker(symbol, label)
    key = symbol.removeprefix("A/RES/")
    short = label or key
    if key in seen or not resolution(symbol):
        return short
    seen.add(key)
    if short.endswith(")"):  # "ES-11/? (2026-02-24)" -> "ES-11/? (2026-02-24; what it demanded)"
        return f"{short[:-1]}; {resolution(symbol)})"
    return f"{short} ({resolution(symbol)})"


def glossary():
    """The resolutions glossary as a table (resolution, description), in the order of the votes."""
    import pandas as pd

    from analysis import config

    return pd.DataFrame({"resolution": [s.removeprefix("A/RES/") for s in config.UKRAINE_RESOLUTIONS],
                         "description": [resolution(s) for s in config.UKRAINE_RESOLUTIONS]})


def years(values) -> str:
    """Years for a sentence, runs joined: [2016, 2017, 2018, 2021] -> "2016–2018 and 2021"."""
    ys = sorted({int(y) for y in values})
    runs: list[list[int]] = []
    for y in ys:
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    parts = [p for r in runs for p in ([f"{r[0]}–{r[-1]}"] if len(r) > 2 else [str(y) for y in r])]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def session(n: int) -> str:
    """A General Assembly session as readers know it: session 79 -> 'the 2024–25 session' (a regular
    session opens in September of year 1945 + n)."""
    start = 1945 + int(n)
    return f"the {start}–{(start + 1) % 100:02d} session"
