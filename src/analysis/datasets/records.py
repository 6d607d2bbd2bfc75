"""UN records, full and partial: the members of the latest full record, and partial records
(official totals known, some members' votes not yet sourced) from data/manual, with the rules that
let a full record from the UN Digital Library replace a partial one."""
from __future__ import annotations

import re

import pandas as pd

from analysis import config
from analysis.datasets.importers import TITLE_TAIL
from analysis.datasets.manual import hand_input
from analysis.datasets.schemas import UN_RESOLUTIONS_PARTIAL, UN_VOTES_PARTIAL, UNKNOWN_VOTE, VOTES
from analysis.datasets.tableio import lookup
from analysis.errors import Problem

CRIMEA_HR = re.compile(r"^Situation of human rights in .*Crimea", re.IGNORECASE)


def assign_topics(res: pd.DataFrame) -> pd.DataFrame:
    """topic: 'ukraine' for 68/262, 78/316 and every resolution of the 11th emergency special
    session (ES-11, on Ukraine); 'crimea_human_rights' for the annual Crimea human-rights item."""
    res = res.copy()
    res["topic"] = "other"
    res.loc[res["title"].str.match(CRIMEA_HR), "topic"] = "crimea_human_rights"
    ukraine = (res["resolution"].isin(config.UKRAINE_RESOLUTIONS) | res["resolution"].str.match(r"^A/RES/ES-11/\d+$")
               | (res["session_label"] == "ES-11"))
    res.loc[ukraine, "topic"] = "ukraine"
    return res


def un_members(votes: pd.DataFrame, resolutions: pd.DataFrame) -> list[str]:
    """The current UN members: the states listed in the most recent recorded vote with a full record."""
    full = resolutions[resolutions["record"] == "full"] if "record" in resolutions else resolutions
    last = full.sort_values(["date", "undl_id"]).iloc[-1]["resolution"]
    return sorted(votes.loc[votes["resolution"] == last, "iso3"].unique())


# --------------------------------------------------------------------------- partial records
def _norm_title(title: str) -> str:
    t = re.sub(TITLE_TAIL, "", str(title))
    return re.sub(r"\s+", " ", t).strip().lower()


def _session_of(date: str) -> int:
    """The regular session running on a date: session n opens in September of year 1945 + n."""
    d = pd.Timestamp(date)
    return d.year - 1945 if d.month >= 9 else d.year - 1946


def _full_counterpart(row: pd.Series, full: pd.DataFrame) -> pd.Series | None:
    """The full record that replaces a partial one: the same symbol, or the same date and title."""
    hit = full[full["resolution"] == row["resolution"]]
    if hit.empty:
        same_day = full[full["date"] == row["date"]]
        hit = same_day[same_day["title"].map(_norm_title) == _norm_title(row["title"])]
    return hit.iloc[0] if len(hit) else None


def replacement_problems(pres: pd.DataFrame, pvotes: pd.DataFrame, res: pd.DataFrame,
                         votes: pd.DataFrame) -> tuple[set[str], list[Problem]]:
    """Partial records (manual, as text) that a full record now replaces, and every disagreement between
    them: the official totals must equal the full record's, and each sourced vote the member's vote there.
    ``res`` and ``votes`` are the full records with dates written YYYY-MM-DD."""
    rlabel, vlabel = f"manual/{UN_RESOLUTIONS_PARTIAL.filename}", f"manual/{UN_VOTES_PARTIAL.filename}"
    full = res[res["record"] == "full"] if "record" in res else res
    replaced, problems = set(), []
    for idx, row in pres.iterrows():
        counterpart = _full_counterpart(row, full)
        if counterpart is None:
            continue
        replaced.add(row["resolution"])
        for col in VOTES:
            if int(row[col]) != int(counterpart[col]):
                problems.append(Problem(rlabel, int(idx) + 2, col, row[col],
                                        f"{int(counterpart[col])}, the '{col}' total of the full record "
                                        f"{counterpart['resolution']} that replaces this partial record"))
        fv = votes[votes["resolution"] == counterpart["resolution"]].set_index("iso3")["vote"].astype(str)
        for vidx, v in pvotes[pvotes["resolution"] == row["resolution"]].iterrows():
            if fv.get(v["iso3"]) != v["vote"]:
                problems.append(Problem(vlabel, int(vidx) + 2, "vote", v["vote"],
                                        f"{fv.get(v['iso3'], 'no listing')}, {v['iso3']}'s vote in the full record "
                                        f"{counterpart['resolution']}"))
    return replaced, problems


def partial_records(votes: pd.DataFrame, res: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem]]:
    """Lay the partial records of data/manual (official totals, the votes sources name) over the full
    records. A partial record whose full record has arrived (a UN DL release with the same symbol, or
    the same date and title) is dropped after checking that its totals and sourced votes agree with
    the full record; otherwise every member gets a row, ``unknown`` where no source gives its vote.
    Returns (votes, resolutions, problems); problems name lines of the manual files."""
    pres, problems = hand_input(UN_RESOLUTIONS_PARTIAL)
    pvotes, probs = hand_input(UN_VOTES_PARTIAL)
    problems += probs
    if pres is None or pvotes is None or problems:
        return votes, res, problems
    rlabel, vlabel = f"manual/{UN_RESOLUTIONS_PARTIAL.filename}", f"manual/{UN_VOTES_PARTIAL.filename}"
    replaced, problems = replacement_problems(pres, pvotes, res, votes)
    members = un_members(votes, res)
    new_res, new_votes = [], []
    for idx, row in pres.iterrows():
        line = int(idx) + 2
        if row["resolution"] in replaced:  # the UN release has arrived and replaces the partial record
            continue
        mine = pvotes[pvotes["resolution"] == row["resolution"]]
        total = sum(int(row[c]) for c in VOTES)
        if total != len(members):
            problems.append(Problem(rlabel, line, "absent", row["absent"],
                                    f"yes + no + abstain + absent = {len(members)}, the number of UN members "
                                    f"(now {total})"))
        counted = mine["vote"].value_counts()
        for col in VOTES:
            if int(counted.get(col, 0)) > int(row[col]):
                problems.append(Problem(rlabel, line, col, row[col],
                                        f"at least {int(counted.get(col, 0))}, the number of sourced '{col}' votes "
                                        f"in {UN_VOTES_PARTIAL.filename}"))
        known = dict(zip(mine["iso3"], mine["vote"]))
        for vidx, v in mine.iterrows():
            if v["iso3"] not in members:
                problems.append(Problem(vlabel, int(vidx) + 2, "iso3", v["iso3"], "a UN member state"))
        new_votes.append(pd.DataFrame({"resolution": row["resolution"], "iso3": members,
                                       "vote": [known.get(i, UNKNOWN_VOTE) for i in members]}))
        new_res.append({
            "resolution": row["resolution"], "undl_id": pd.NA, "date": row["date"], "session": _session_of(row["date"]),
            "session_label": row.get("session_label") if pd.notna(row.get("session_label")) else str(_session_of(row["date"])),
            "title": row["title"], "topic": "other",
            **{c: int(row[c]) for c in VOTES},
            "meeting_record": "", "record_url": row["source_url"], "dropped_pre_admission": "", "record": "partial",
        })
    unknown_keys = set(pvotes["resolution"]) - set(pres["resolution"])
    for vidx in pvotes.index[pvotes["resolution"].isin(unknown_keys)]:
        problems.append(Problem(vlabel, int(vidx) + 2, "resolution", pvotes.at[vidx, "resolution"],
                                f"a resolution listed in {UN_RESOLUTIONS_PARTIAL.filename}"))
    if new_res:
        res = pd.concat([res, pd.DataFrame(new_res)], ignore_index=True)
        votes = pd.concat([votes, *new_votes], ignore_index=True)
    res["undl_id"] = res["undl_id"].astype("Int64")
    res = assign_topics(res).sort_values(["date", "undl_id", "resolution"], kind="stable").reset_index(drop=True)
    order = pd.Series(range(len(res)), index=res["resolution"])
    votes = votes.assign(_o=lookup(votes["resolution"], order)).sort_values(["_o", "iso3"], kind="stable")
    return votes.drop(columns="_o").reset_index(drop=True), res, problems
