"""Agreement of every member with a reference state (Russia by default) per GA session.

For country c and reference r in a session, take the recorded votes on which both cast a vote
(yes, no or abstain; votes where either was absent/non-voting are excluded), n of them:

* ``identical``: share of those votes cast the same way,  A = (1/n) * sum 1[v_c = v_r].
  This is the measure Bailey, Strezhnev & Voeten publish as RUSSAgree (their file also counts
  amendment and paragraph votes, which this data set does not have).
* ``half``: as identical, but a yes/abstain or no/abstain pair counts 0.5 (a yes/no pair 0):
  A = (1/n) * sum s(v_c, v_r), s = 1 if equal, 0.5 if exactly one abstained, 0 otherwise.
* ``kappa``: Cohen's kappa over the 3x3 table of (v_c, v_r), which discounts the agreement two
  states would show by chance given how often each votes yes/no/abstain:
  kappa = (p_o - p_e) / (1 - p_e), p_o = identical share, p_e = sum_k p_c(k) * p_r(k), the marginal
  shares over the same n votes. Undefined (NaN) when p_e = 1.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.datasets import asof as _asof
from analysis.datasets import data

METHODS = ("identical", "half", "kappa")
CAST = ("yes", "no", "abstain")


def _pairs(reference: str, as_of) -> pd.DataFrame:
    ts = _asof.resolve(as_of)
    res = data.resolutions()
    if "record" in res:  # partial records name only some members' votes: a biased sample, left out
        res = res[res["record"] == "full"]
    res = res[res["date"] <= ts][["resolution", "session", "date"]]
    v = data.votes()
    v = v[v["vote"].isin(CAST)]
    v = v[v["resolution"].isin(res["resolution"])]
    ref = v[v["iso3"] == reference][["resolution", "vote"]].rename(columns={"vote": "ref_vote"})
    if ref.empty:
        raise KeyError(f"reference state {reference!r} has no recorded votes")
    pairs = v.merge(ref, on="resolution").merge(res, on="resolution")
    pairs["vote"] = pairs["vote"].astype(str)
    pairs["ref_vote"] = pairs["ref_vote"].astype(str)
    return pairs


def agreement_from_pairs(pairs: pd.DataFrame, method: str = "identical") -> pd.DataFrame:
    """Agreement per (iso3, session) from rows of (iso3, session, vote, ref_vote); exposed for tests."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    p = pairs.copy()
    p["same"] = (p["vote"] == p["ref_vote"]).astype(float)
    if method == "half":
        one_abstains = (p["vote"] == "abstain") ^ (p["ref_vote"] == "abstain")
        p["same"] = np.where(p["vote"] == p["ref_vote"], 1.0, np.where(one_abstains, 0.5, 0.0))
    g = p.groupby(["iso3", "session"])
    out = g.agg(agreement=("same", "mean"), n_votes=("same", "size"), year=("date", "min")).reset_index()
    if method == "kappa":
        shares_c = p.groupby(["iso3", "session"])["vote"].value_counts(normalize=True).unstack(fill_value=0)
        shares_r = p.groupby(["iso3", "session"])["ref_vote"].value_counts(normalize=True).unstack(fill_value=0)
        cols = list(CAST)
        shares_c = shares_c.reindex(columns=cols, fill_value=0)
        shares_r = shares_r.reindex(columns=cols, fill_value=0)
        pe = (shares_c * shares_r).sum(axis=1)
        po = out.set_index(["iso3", "session"])["agreement"]
        with np.errstate(divide="ignore", invalid="ignore"):
            kappa = (po - pe) / (1 - pe)
        kappa[np.isclose(pe, 1.0)] = np.nan
        out["agreement"] = kappa.reindex(out.set_index(["iso3", "session"]).index).to_numpy()
    out["year"] = pd.to_datetime(out["year"]).dt.year
    return out[["iso3", "session", "year", "agreement", "n_votes"]]


def agreement(reference: str = "RUS", as_of=None, method: str = "identical") -> pd.DataFrame:
    """Agreement of every state with ``reference`` per session: iso3, session, year (calendar year
    of the session's first recorded vote), agreement, n_votes (votes both cast)."""
    return _agreement(reference, _asof.resolve(as_of), method).copy()


@data.memo
def _agreement(reference: str, ts: pd.Timestamp, method: str) -> pd.DataFrame:
    out = agreement_from_pairs(_pairs(reference, ts), method)
    return out[out["iso3"] != reference].reset_index(drop=True)


def region_median(agreement_df: pd.DataFrame, iso3s) -> pd.DataFrame:
    """Median agreement per session over a group of states (e.g. the EU members of the day)."""
    sub = agreement_df[agreement_df["iso3"].isin(list(iso3s))]
    return sub.groupby(["session", "year"], as_index=False)["agreement"].median()


def eu_median(agreement_df: pd.DataFrame) -> pd.DataFrame:
    """Median agreement per session over the states that were EU members when it began."""
    from analysis.metrics.membership import eu_members_by_session
    eu = agreement_df.merge(eu_members_by_session(agreement_df), on=["iso3", "session"])
    return eu.groupby(["session", "year"], as_index=False)["agreement"].median()


def compare_with_bsv(sessions=range(70, 79), as_of=None) -> tuple[pd.DataFrame, float, float]:
    """Our identical-vote agreement with Russia against BSV's RUSSAgree for the given sessions:
    (joined table, Pearson r, median absolute difference)."""
    ours = agreement("RUS", as_of, "identical")
    bsv = data.alignment_bsv()[["iso3", "session", "agree_russia"]]
    j = ours.merge(bsv, on=["iso3", "session"]).dropna(subset=["agreement", "agree_russia"])
    j = j[j["session"].isin(list(sessions))]
    r = float(np.corrcoef(j["agreement"], j["agree_russia"])[0, 1])
    mad = float((j["agreement"] - j["agree_russia"]).abs().median())
    return j, r, mad
