"""The public metric API used by the notebooks and by checks outside the test suite.

    from analysis import metrics
    metrics.agreement(reference="RUS", as_of=None, method="identical")  # iso3, session, year, agreement, n_votes
    metrics.stance(as_of=None, **thresholds)                             # iso3, stance, reason (+ counts)
    metrics.ties.ties(as_of=None)                                        # iso3, score, ties_class, reason
    metrics.allies.allies(as_of=None)                                    # iso3, side (ally/partner), why
    metrics.allies.named(as_of=None)                                     # ISO3 codes of the named allies

Each metric lives in its own module (votes, alignment, stance, travel, blocs, economy, claims);
this module gathers the entry points under stable names.
"""
from __future__ import annotations

from analysis.metrics import allies, ties, timeline  # modules (their functions share the names)
from analysis.metrics.alignment import agreement, compare_with_bsv
from analysis.metrics.blocs import clusters
from analysis.metrics.economy import arms_exports, arms_imports, top_partners, trade_shares
from analysis.metrics.stances import sensitivity, shares, stance
from analysis.metrics.travel import visits, visits_since_warrant, visits_to_icc_parties
from analysis.metrics.votes import absence_rate, tallies, vote_matrix, vote_switches

__all__ = ["agreement", "compare_with_bsv", "allies", "ties", "timeline",
           "clusters", "arms_exports", "arms_imports", "top_partners",
           "trade_shares", "sensitivity", "shares", "stance", "visits", "visits_since_warrant",
           "visits_to_icc_parties", "absence_rate", "tallies", "vote_matrix", "vote_switches"]
