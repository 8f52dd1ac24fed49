"""Groups from pairs: center clustering (``--grouping center``, the default), connected
components (``--grouping components``, as string_grouper's group_similar_strings), and against
a master list each record's best master row."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components


def component_groups(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """For each of *n* records, the row of its group's representative.

    Groups are the connected components of the graph whose edges are the
    pairs; the representative is the best-connected record (most pairs),
    ties to the first.  A record in no pair is its own group.
    """
    if n == 0:
        return np.empty(0, np.int64)
    graph = sp.coo_matrix((np.ones(len(left), np.int8), (left, right)), shape=(n, n)).tocsr()
    _, labels = connected_components(graph, directed=False)
    degree = np.bincount(left, minlength=n) + np.bincount(right, minlength=n)
    rows = np.arange(n)
    # per component: highest degree first, then the earliest row
    order = np.lexsort((rows, -degree, labels))
    first = np.ones(n, bool)
    first[1:] = labels[order][1:] != labels[order][:-1]
    representative_of_label = np.empty(labels.max() + 1, np.int64)
    representative_of_label[labels[order][first]] = order[first]
    return representative_of_label[labels]


def best_match_groups(n: int, left: np.ndarray, right: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """For matching against a master list: each record's best master row (ties to
    the first), or -1 when it matched none.  Scores that differ only in the last bits of
    their sums (names that clean alike: 1.0 and 1 - 1e-16) are ties."""
    best = np.full(n, -1, np.int64)
    if len(left):
        order = np.lexsort((right, -np.round(scores, 12), left))
        first = np.ones(len(order), bool)
        first[1:] = left[order][1:] != left[order][:-1]
        best[left[order][first]] = right[order][first]
    return best


def center_groups(n: int, left: np.ndarray, right: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """For each of *n* records, the row of its group's center: center clustering
    (Hassanzadeh et al., 2009) over the pairs, best pair first.

    Taking the pairs from the best score down, a pair of two records in no
    group makes a group, the earlier record its center; a record in no group
    paired with a center joins it; any other pair is passed over.  So every
    member is paired with its center, and a chain of weak links (A~B~C with
    A and C unalike) is not one group.  A record in no pair is its own group.
    """
    rep = np.arange(n, dtype=np.int64)
    if n == 0 or not len(left):
        return rep
    left, right = np.minimum(left, right).astype(np.int64), np.maximum(left, right).astype(np.int64)
    order = np.lexsort((right, left, -np.asarray(scores, np.float64)))  # best first, ties in input order
    return _centers(rep, left[order], right[order])


def _centers_py(rep: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    FREE, CENTER = 0, 1
    state = np.zeros(len(rep), np.int8)  # 0 in no group, 1 a center, 2 a member
    for k in range(len(left)):
        u, v = left[k], right[k]
        su, sv = state[u], state[v]
        if su == FREE and sv == FREE:
            state[u], state[v], rep[v] = CENTER, 2, u
        elif su == CENTER and sv == FREE:
            state[v], rep[v] = 2, u
        elif sv == CENTER and su == FREE:
            state[u], rep[u] = 2, v
    return rep


try:
    from numba import njit

    _centers = njit(cache=True, nogil=True)(_centers_py)
except ImportError:  # pragma: no cover - numba is a dependency
    _centers = _centers_py
