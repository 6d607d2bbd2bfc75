"""The data contract: one pandera schema per curated table, its file name and its key.

pandera is imported only when a table is validated (``Table.schema.validate``): reading the curated
tables needs only each column's type (``Table.schema.columns[name].dtype`` / ``.nullable``), so a
report or a build worker does not pay for importing pandera.

Files are read as text first (so a bad value can be reported as written), then validated and
coerced by pandera; every failure becomes a Problem with file, line (as an editor shows it: the
header is line 1), column, value and what was expected.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field

import pandas as pd

VOTES = ["yes", "no", "abstain", "absent"]
#: A member of a partial record (official totals known, not every vote sourced) whose vote is not sourced.
UNKNOWN_VOTE = "unknown"
VOTE_DOMAIN = VOTES + [UNKNOWN_VOTE]
RECORDS = ["full", "partial"]
TIERS = ["official", "wire", "news", "secondary"]
STATE_EVENTS = ["government_change", "contested_seat", "article19_no_vote"]
ICC_EVENTS = ["withdrawal_announced", "withdrawal_notified", "withdrawal_revoked"]
NOTICE_STATUS = ["confirmed", "reported", "uncertain"]
TOPICS = ["ukraine", "crimea_human_rights", "other"]
GROUPS = ["ICC", "NATO", "EU", "CSTO", "SCO", "BRICS", "EAEU", "G7"]
TREATY_KINDS = ["mutual_defence", "security_guarantees", "strategic_partnership", "friendship_cooperation",
                "military_cooperation", "union_state"]
EARLIEST = pd.Timestamp("1945-01-01")
ISO3_RE = r"^[A-Z]{3}$"


def _latest() -> pd.Timestamp:
    return pd.Timestamp(_dt.date.today())


@dataclass(frozen=True)
class Col:
    """One column of the contract: its type, whether it may be empty, and how pandera checks it
    (``make`` builds the pandera Column, on first validation only)."""
    dtype: str
    nullable: bool
    make: object = field(repr=False, compare=False)


class LazySchema:
    """The columns of a table (:class:`Col`), and a pandera DataFrameSchema built from them the
    first time a table is validated."""

    def __init__(self, columns: dict[str, Col], unique: list[str] | None = None):
        self.columns = columns
        self.unique = unique
        self._schema = None

    def pandera(self):
        if self._schema is None:
            import pandera.pandas as pa

            self._schema = pa.DataFrameSchema({k: c.make(pa) for k, c in self.columns.items()}, strict=False,
                                              unique=self.unique, report_duplicates="all")
        return self._schema

    def validate(self, df: pd.DataFrame, lazy: bool = True) -> pd.DataFrame:
        return self.pandera().validate(df, lazy=lazy)


def _date(nullable: bool = False, future: bool = False) -> Col:
    """A YYYY-MM-DD date from 1945 on; up to today unless ``future`` (e.g. the effective date of a notice)."""
    def make(pa):
        if future:
            return pa.Column("datetime64[ns]", coerce=True, nullable=nullable,
                             checks=[pa.Check(lambda s: s.isna() | (s >= EARLIEST), element_wise=False,
                                              error="a date from 1945-01-01 on")])
        return pa.Column("datetime64[ns]", coerce=True, nullable=nullable,
                         checks=[pa.Check(lambda s: s.isna() | ((s >= EARLIEST) & (s <= _latest())),
                                          element_wise=False, error="a date between 1945-01-01 and today")])
    return Col("datetime64[ns]", nullable, make)


def _isin(values: list[str], nullable: bool = False) -> Col:
    return Col("str", nullable, lambda pa: pa.Column(str, pa.Check.isin(values), nullable=nullable))


def _matches(pattern: str, nullable: bool = False) -> Col:
    """Text matching ``pattern``, checked once per distinct value (an ISO3 column of a million
    votes has about 200): the failing rows and the check's name are those of pandera's
    ``str_matches``, which runs the regex on every row."""
    def make(pa):
        rx = re.compile(pattern)

        def check(s: pd.Series) -> pd.Series:
            bad = [v for v in s.dropna().unique() if rx.match(v) is None]
            return ~s.isin(bad)  # an empty cell is the nullable check's business
        return pa.Column(str, pa.Check(check, name="str_matches", error=f"str_matches('{pattern}')"),
                         nullable=nullable)
    return Col("str", nullable, make)


def _iso3(nullable: bool = False) -> Col:
    return _matches(ISO3_RE, nullable)


def _url() -> Col:
    return _matches(r"^https?://")


def _text(nullable: bool = False) -> Col:
    return Col("str", nullable, lambda pa: pa.Column(str, nullable=nullable))


def _int(min_value: int | None = 0, nullable: bool = False) -> Col:
    def make(pa):
        checks = [pa.Check.ge(min_value)] if min_value is not None else []
        return pa.Column("Int64", coerce=True, nullable=nullable, checks=checks)
    return Col("Int64", nullable, make)


def _float(min_value: float | None = None, max_value: float | None = None, nullable: bool = True) -> Col:
    def make(pa):
        checks = []
        if min_value is not None:
            checks.append(pa.Check.ge(min_value))
        if max_value is not None:
            checks.append(pa.Check.le(max_value))
        return pa.Column("float64", coerce=True, nullable=nullable, checks=checks)
    return Col("float64", nullable, make)


_SOURCED = {
    "source": _text(),
    "source_url": _url(),
    "source_tier": _isin(TIERS),
    "checked": _isin(["yes", "no"]),
    "checked_source": _text(nullable=True),
    "notes": _text(nullable=True),
}


@dataclass(frozen=True)
class Table:
    name: str
    filename: str
    schema: LazySchema
    key: tuple[str, ...]
    hand_curated: bool = False
    description: str = ""
    columns: tuple[str, ...] = field(default=())

    def required_columns(self) -> list[str]:
        return list(self.schema.columns)


def _schema(cols: dict, unique: list[str] | None = None) -> LazySchema:
    return LazySchema(cols, unique)


TABLES: dict[str, Table] = {t.name: t for t in [
    Table("countries", "countries.csv", _schema({
        "iso3": _iso3(), "name": _text(), "un_member_from": _date(),
        "un_region": _text(), "un_subregion": _text(),
        "population": _float(min_value=0), "population_year": _int(1960, nullable=True),
        "gdp_usd": _float(min_value=0), "gdp_year": _int(1960, nullable=True),
    }), key=("iso3",), description="the 193 UN member states"),
    Table("un_resolutions", "un_resolutions.csv", _schema({
        "resolution": _text(), "undl_id": _int(nullable=True), "date": _date(), "session": _int(1),
        "title": _text(), "topic": _isin(TOPICS),
        "yes": _int(), "no": _int(), "abstain": _int(), "absent": _int(),
        "record_url": _url(),
        "record": _isin(RECORDS),
    }), key=("resolution",), description="every recorded General Assembly vote"),
    Table("un_votes", "un_votes.csv.gz", _schema({
        "resolution": _text(), "iso3": _iso3(), "vote": _isin(VOTE_DOMAIN),
    }), key=("resolution", "iso3"), description="every member's vote on every recorded GA vote"),
    Table("alignment_bsv", "alignment_bsv.csv", _schema({
        "iso3": _iso3(), "session": _int(1), "year": _int(1946),
        "ideal_point": _float(), "agree_russia": _float(0, 1), "agree_usa": _float(0, 1),
        "agree_china": _float(0, 1),
    }), key=("iso3", "session"), description="Bailey-Strezhnev-Voeten ideal points and agreement"),
    Table("trade", "trade.csv", _schema({
        "partner_iso3": _iso3(), "year": _int(2000), "exports_usd": _float(0), "imports_usd": _float(0),
        "excluded": _isin(["True", "False"]), "exclusion_reason": _text(nullable=True),
    }), key=("partner_iso3", "year"), description="Russia's goods trade with each partner"),
    Table("unfriendly_states", "unfriendly_states.csv", _schema({
        "iso3": _iso3(), "name": _text(), "listed_on": _date(),
    }), key=("iso3",), description="Russia's 'unfriendly states and territories' list"),
    Table("arms_transfers", "arms_transfers.csv", _schema({
        "sipri_id": _int(), "supplier": _text(), "supplier_iso3": _iso3(nullable=True),
        "recipient": _text(), "recipient_iso3": _iso3(nullable=True),
        "order_year": _int(1900), "delivery_year": _int(1900, nullable=True),
        "designation": _text(nullable=True), "description": _text(nullable=True),
        "number_delivered": _int(nullable=True), "tiv_delivered": _float(0),
    }), key=("sipri_id", "delivery_year"), description="SIPRI deals with Russia as supplier or recipient"),
    Table("memberships", "memberships.csv", _schema({
        "iso3": _iso3(), "group": _isin(GROUPS), "joined": _date(),
        "left": _date(nullable=True), **_SOURCED,
    }), key=("iso3", "group", "joined"), hand_curated=True,
        description="membership of ICC, NATO, EU, CSTO, SCO, BRICS, EAEU, G7"),
    Table("leader_visits", "leader_visits.csv", _schema({
        "start_date": _date(), "end_date": _date(), "iso3": _iso3(), "city": _text(),
        "purpose": _text(), **_SOURCED,
    }), key=("start_date", "iso3"), hand_curated=True, description="Vladimir Putin's foreign visits since 2022-02-24"),
    Table("treaties", "treaties.csv", _schema({
        "iso3": _iso3(), "title": _text(), "kind": _isin(TREATY_KINDS),
        "signed": _date(), "in_force": _date(nullable=True), "ended": _date(nullable=True),
        "mutual_assistance_article": _text(nullable=True), "status_note": _text(nullable=True), **_SOURCED,
    }), key=("iso3", "title"), hand_curated=True, description="Russia's bilateral treaties with profiled states"),
    Table("state_events", "state_events.csv", _schema({
        "iso3": _iso3(), "event": _isin(STATE_EVENTS), "start": _date(), "end": _date(nullable=True),
        "description": _text(), **_SOURCED,
    }), key=("iso3", "event", "start"), hand_curated=True,
        description="changes of government, contested UN seats and Article 19 losses of the vote"),
    Table("icc_notices", "icc_notices.csv", _schema({
        "iso3": _iso3(), "event": _isin(ICC_EVENTS), "date": _date(), "effective": _date(nullable=True, future=True),
        "status": _isin(NOTICE_STATUS), "description": _text(), **_SOURCED,
    }), key=("iso3", "event", "date"), hand_curated=True,
        description="announced, notified and revoked withdrawals from the Rome Statute (ICC)"),
    Table("arms_notes", "arms_notes.csv", _schema({
        "sipri_id": _int(), "note": _text(), **_SOURCED,
    }), key=("sipri_id",), hand_curated=True, description="sourced context for SIPRI deals that need it"),
]}

HAND_CURATED = [t.name for t in TABLES.values() if t.hand_curated]

# Hand-curated inputs that feed a curated table rather than becoming one.
UN_ADMISSION = Table("un_admission", "un_admission.csv", _schema({
    "iso3": _iso3(), "un_member_from": _date(), **_SOURCED,
}), key=("iso3",), hand_curated=True, description="date of admission to the UN of each member state")

#: Recorded votes not yet in a UN Digital Library release: official totals, and the votes sources name.
UN_RESOLUTIONS_PARTIAL = Table("un_resolutions_partial", "un_resolutions_partial.csv", _schema({
    "resolution": _text(), "date": _date(), "title": _text(),
    "yes": _int(), "no": _int(), "abstain": _int(), "absent": _int(), **_SOURCED,
}), key=("resolution",), hand_curated=True, description="official totals of recorded votes with a partial record")
UN_VOTES_PARTIAL = Table("un_votes_partial", "un_votes_partial.csv", _schema({
    "resolution": _text(), "iso3": _iso3(), "vote": _isin(VOTES), **_SOURCED,
}), key=("resolution", "iso3"), hand_curated=True, description="sourced votes of members on partial records")

#: Every hand-curated input, whether or not it becomes a curated table of its own.
MANUAL_INPUTS = [TABLES[name] for name in HAND_CURATED] + [UN_ADMISSION, UN_RESOLUTIONS_PARTIAL, UN_VOTES_PARTIAL]
