"""Entities from pairs: connected components, as string_grouper's group_similar_strings."""
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
    the first), or -1 when it matched none."""
    best = np.full(n, -1, np.int64)
    if len(left):
        order = np.lexsort((right, -scores, left))
        first = np.ones(len(order), bool)
        first[1:] = left[order][1:] != left[order][:-1]
        best[left[order][first]] = right[order][first]
    return best
