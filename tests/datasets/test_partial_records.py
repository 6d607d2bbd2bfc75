"""Partial records: recorded votes whose official totals are known but not every member's vote.

Tallies show the official totals and which members are unknown; per-country measures skip them;
when the UN Digital Library release arrives, the full record replaces the partial one and the
totals and sourced votes must agree."""
import csv

import pandas as pd
import pytest

from analysis.build.cli import main
from analysis.datasets import codes, curate, data, validate
from analysis.errors import DataValidationError
from analysis.metrics import votes

ES11_9 = "A/RES/ES-11/9"
FEB_2026 = "UNGA-ESS11-2026-02-24"


def test_tallies_show_official_totals_of_partial_records_and_their_unknown_members():
    t = votes.tallies(None).set_index("resolution")
    r = t.loc[ES11_9]
    assert (r.yes, r.no, r.abstain, r.absent, r.members, r.record) == (91, 12, 57, 33, 193, "partial")
    f = t.loc[FEB_2026]
    assert (f.yes, f.no, f.abstain, f.absent, f.record) == (107, 12, 51, 23, "partial")
    assert t.loc["A/RES/ES-11/1", "record"] == "full" and t.loc["A/RES/ES-11/1", "unknown"] == 0
    # the members whose vote no source gives yet: everyone but the sourced ones
    unknown = votes.unknown_members(ES11_9)
    v = data.votes()
    sourced = v[(v["resolution"] == ES11_9) & (v["vote"].astype(str) != "unknown")]
    assert len(unknown) == r.unknown == 193 - len(sourced)
    assert "RUS" not in unknown and "PRK" not in unknown and "FRA" in unknown
    assert sorted(sourced.loc[sourced["vote"] == "no", "iso3"]) == sorted(
        ["BDI", "BFA", "BLR", "CUB", "ERI", "IRN", "MLI", "NER", "NIC", "PRK", "RUS", "SDN"])
    assert votes.unknown_members("A/RES/ES-11/1") == []


def test_per_country_measures_skip_partial_records_unless_asked():
    m = votes.vote_matrix(None)
    assert "ES-11/9" not in m.columns and "ES-11/8" in m.columns
    m = votes.vote_matrix(None, include_partial=True)
    assert m.at["RUS", "ES-11/9"] == "no" and m.at["FRA", "ES-11/9"] == "unknown"
    with pytest.raises(KeyError, match="partial"):
        votes.vote_matrix([ES11_9])
    counts = votes.counts_by_member().set_index("iso3")
    assert "unknown" not in counts.columns


def _release_for(symbol, date, title, totals, sourced, members, undl_id=9_999_001):
    """A UN DL release file for one vote: the sourced votes, then the rest filled to the totals."""
    letter = {"yes": "Y", "no": "N", "abstain": "A", "absent": ""}
    left = dict(totals)
    for v in sourced.values():
        left[v] -= 1
    # states without a vote (Article 19 periods still open) come last, so they are filled as absent
    no_vote = {"AFG", "VEN"}
    rest = [i for i in members if i not in sourced and i not in no_vote] + sorted(no_vote - set(sourced))
    fill = [v for v in ("yes", "no", "abstain", "absent") for _ in range(left[v])]
    assert len(fill) == len(rest)
    rows = []
    for iso3, v in list(sourced.items()) + list(zip(rest, fill)):
        rows.append({"undl_id": undl_id, "ms_code": iso3, "ms_name": codes.display_name(iso3), "ms_vote": letter[v], "date": date,
                     "session": 80, "resolution": symbol, "draft": "", "committee_report": "", "meeting": "",
                     "title": title, "agenda_title": "", "subjects": "", "vote_note": "",
                     "total_yes": totals["yes"], "total_no": totals["no"], "total_abstentions": totals["abstain"],
                     "total_non_voting": totals["absent"], "total_ms": len(members),
                     "undl_link": f"https://digitallibrary.un.org/record/{undl_id}"})
    return pd.DataFrame(rows)


def _sourced(data_copy, symbol):
    with open(data_copy / "manual" / "un_votes_partial.csv", encoding="utf-8", newline="") as fh:
        return {r["iso3"]: r["vote"] for r in csv.DictReader(fh) if r["resolution"] == symbol}


@pytest.mark.long
def test_the_un_release_replaces_the_partial_record_when_totals_agree(data_copy, tmp_path):
    members = sorted(data.countries()["iso3"])
    rel = _release_for(ES11_9, "2025-12-03", "Return of Ukrainian children",
                       {"yes": 91, "no": 12, "abstain": 57, "absent": 33}, _sourced(data_copy, ES11_9), members)
    path = tmp_path / "es11-9.csv"
    rel.to_csv(path, index=False)
    assert main(["import-undl", str(path), "--name", "2026-12-es11-9", "--origin", "test"]) == 0
    curate.curate()
    data.clear_cache()
    res = data.resolutions().set_index("resolution")
    assert res.at[ES11_9, "record"] == "full" and res.at[ES11_9, "undl_id"] == 9_999_001
    assert res.at[FEB_2026, "record"] == "partial"  # the other partial records stay
    assert votes.unknown_members(ES11_9) == []
    validate.validate_dir()  # totals and sourced votes agree with the release


def test_a_release_that_disagrees_with_the_partial_record_is_refused_with_file_line_and_column(data_copy, tmp_path):
    members = sorted(data.countries()["iso3"])
    sourced = _sourced(data_copy, ES11_9)
    sourced["RUS"] = "abstain"  # the release disagrees with a sourced vote ...
    rel = _release_for(ES11_9, "2025-12-03", "Return of Ukrainian children",
                       {"yes": 90, "no": 11, "abstain": 59, "absent": 33}, sourced, members)  # ... and the totals
    path = tmp_path / "es11-9.csv"
    rel.to_csv(path, index=False)
    assert main(["import-undl", str(path), "--name", "2026-12-es11-9", "--origin", "test"]) == 0
    with pytest.raises(DataValidationError) as info:
        curate.curate()
    p = info.value.problems
    assert any(x.file == "manual/un_resolutions_partial.csv" and x.line == 2 and x.column == "yes" and x.value == "91"
               and "90" in x.expected for x in p)
    rus = next(i for i, line in enumerate((data_copy / "manual" / "un_votes_partial.csv").read_text().splitlines(), 1)
               if line.startswith(f"{ES11_9},RUS,"))
    assert any(x.file == "manual/un_votes_partial.csv" and x.line == rus and x.column == "vote" and x.value == "no"
               and "abstain" in x.expected for x in p)


def test_sourced_votes_beyond_the_official_totals_are_refused(data_copy):
    path = data_copy / "manual" / "un_resolutions_partial.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(",ES-11,91,12,57,33,", ",ES-11,91,11,58,33,", 1), encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        curate.curate()
    assert any(x.file == "manual/un_resolutions_partial.csv" and x.line == 2 and x.column == "no"
               and "at least 12" in x.expected for x in info.value.problems)
