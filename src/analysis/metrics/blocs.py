"""Voting blocs on the Ukraine set: hierarchical clustering of members by how often they voted
differently.

Distance between two members = share of the resolutions both could vote on where their votes
differ, with absent (not voting) a vote of its own, since strategic non-voting is a stance.
Average-linkage clustering (scipy) is cut into ``k`` clusters; each cluster is described by its
members' mean shares of yes and no, and the cluster holding Russia is flagged.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.metrics import votes


def distance_matrix(matrix: pd.DataFrame) -> pd.DataFrame:
    """Pairwise share of differing votes over the resolutions both members voted on (any value)."""
    codes = {"yes": 0, "no": 1, "abstain": 2, "absent": 3}
    m = matrix.apply(lambda col: col.map(codes)).to_numpy(dtype=float)
    n = len(m)
    d = np.zeros((n, n))
    for i in range(n):
        both = ~np.isnan(m[i]) & ~np.isnan(m)
        diff = (m[i] != m) & both
        cnt = both.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            d[i] = np.where(cnt > 0, diff.sum(axis=1) / cnt, 1.0)
    np.fill_diagonal(d, 0.0)
    return pd.DataFrame(d, index=matrix.index, columns=matrix.index)


def clusters(as_of=None, k: int = 5, resolutions=None) -> tuple[pd.DataFrame, np.ndarray]:
    """(iso3, cluster, share_yes, share_no, with_russia; linkage matrix) for the UN members on
    ``as_of`` that could vote on at least one resolution of the set. Clusters are numbered from
    the most pro-Russian (1) by their mean share of no votes."""
    m = votes.vote_matrix(resolutions, as_of)
    m = m[m.notna().any(axis=1)]
    d = distance_matrix(m)
    from scipy.cluster.hierarchy import fcluster, linkage  # scipy is imported only when blocs are drawn
    from scipy.spatial.distance import squareform

    z = linkage(squareform(d.to_numpy(), checks=False), method="average")
    raw = fcluster(z, t=k, criterion="maxclust")
    out = pd.DataFrame({"iso3": m.index, "raw": raw})
    n = m.notna().sum(axis=1).to_numpy()
    out["share_yes"] = (m == "yes").sum(axis=1).to_numpy() / n
    out["share_no"] = (m == "no").sum(axis=1).to_numpy() / n
    order = out.groupby("raw")["share_no"].mean().sort_values(ascending=False)
    out["cluster"] = out["raw"].map({c: i + 1 for i, c in enumerate(order.index)})
    rus = out.loc[out["iso3"] == "RUS", "cluster"]
    out["with_russia"] = out["cluster"] == (rus.iloc[0] if len(rus) else -1)
    return out.drop(columns="raw").sort_values(["cluster", "iso3"]).reset_index(drop=True), z


def summary(as_of=None, k: int = 5) -> pd.DataFrame:
    c, _ = clusters(as_of, k)
    g = c.groupby("cluster").agg(states=("iso3", "size"), mean_share_yes=("share_yes", "mean"),
                                 mean_share_no=("share_no", "mean"), with_russia=("with_russia", "any"),
                                 members=("iso3", lambda s: ", ".join(sorted(s))))
    return g.reset_index()
