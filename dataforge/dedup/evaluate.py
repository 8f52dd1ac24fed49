"""Quality against a truth: precision, recall and F1 of pairs, of groups, and of best matches.

A truth maps each record id to its true entity.  Records are counted as
pairs: a predicted pair is right when both records belong to the same true
entity, and the pairs to find are every pair of records inside a true
entity.  Groups are scored the same way (pair counting): two records in one
predicted group are a predicted pair.  Counting over a contingency table
keeps it linear in the number of records, so a million records with a
handful of big groups cost nothing.  ``dedup bench`` also scores the best
match of each timed query, for the pairwise libraries and for dataforge alike.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Optional

import numpy as np
import pandas as pd

from dataforge.dedup.arrays import sorted_unique

if TYPE_CHECKING:
    from dataforge.dedup.match import Matches


@dataclass(frozen=True)
class Quality:
    """Pair-counting precision, recall and F1 (1.0 when there is nothing to find and nothing found)."""

    precision: float
    recall: float
    f1: float
    true_positives: int
    predicted: int  # pairs predicted
    actual: int  # pairs in the truth

    @classmethod
    def of(cls, true_positives: int, predicted: int, actual: int) -> "Quality":
        precision = true_positives / predicted if predicted else 1.0
        recall = true_positives / actual if actual else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return cls(precision, recall, f1, int(true_positives), int(predicted), int(actual))

    def as_dict(self) -> dict:
        return asdict(self)


def _pairs_within(sizes: np.ndarray) -> int:
    sizes = np.asarray(sizes, dtype=np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def entity_codes(ids, truth: "pd.Series") -> np.ndarray:
    """Integer entity of each record id (aligned with *ids*), from *truth*
    (a Series: index = record id, values = entity).  An id the truth does
    not know is an entity of its own."""
    ids = pd.Series(ids).astype(str).to_numpy(dtype=object)
    truth = pd.Series(truth)
    truth.index = truth.index.astype(str)
    truth = truth[~truth.index.duplicated(keep="first")]
    entity = truth.reindex(ids)
    codes, _ = pd.factorize(entity.astype(object).where(entity.notna(), None), use_na_sentinel=True)
    missing = codes < 0
    codes = codes.astype(np.int64)
    codes[missing] = codes.max(initial=-1) + 1 + np.arange(int(missing.sum()))
    return codes


def pair_quality(left: np.ndarray, right: np.ndarray, entity: np.ndarray) -> Quality:
    """Quality of record pairs (positions into *entity*, either order; a record
    with itself and repeated pairs are counted once / not at all)."""
    left, right = np.asarray(left, np.int64), np.asarray(right, np.int64)
    keep = left != right
    a, b = np.minimum(left, right)[keep], np.maximum(left, right)[keep]
    n = max(len(entity), 1)
    key = sorted_unique(a * n + b)
    a, b = key // n, key % n
    entity = np.asarray(entity)
    true_positives = int((entity[a] == entity[b]).sum())
    return Quality.of(true_positives, len(key), _pairs_within(np.unique(entity, return_counts=True)[1]))


def group_quality(group: np.ndarray, entity: np.ndarray) -> Quality:
    """Quality of a grouping (one label per record) as the pairs it implies."""
    group = pd.factorize(pd.Series(group, dtype=object))[0] if not np.issubdtype(np.asarray(group).dtype, np.integer) \
        else np.asarray(group, np.int64)
    entity = np.asarray(entity, np.int64)
    if len(group) != len(entity):
        raise ValueError(f"{len(group)} group labels for {len(entity)} records")
    both = pd.DataFrame({"g": group, "e": entity}).value_counts().to_numpy()
    return Quality.of(_pairs_within(both), _pairs_within(np.unique(group, return_counts=True)[1]),
                      _pairs_within(np.unique(entity, return_counts=True)[1]))


def largest(labels: np.ndarray) -> int:
    """Size of the biggest group among *labels* (0 for none)."""
    labels = np.asarray(labels)
    return int(np.unique(labels, return_counts=True)[1].max()) if len(labels) else 0


def best_match_of(matches: "Matches", records: np.ndarray) -> np.ndarray:
    """Each record's best partner among dataforge's pairs (-1 for none); the pairs are best first."""
    ends = np.concatenate([matches.left, matches.right])
    other = np.concatenate([matches.right, matches.left])
    order = np.argsort(np.tile(np.arange(len(matches.left)), 2), kind="stable")  # by rank, best first
    seen, first = np.unique(ends[order], return_index=True)
    best = np.full(matches.rows, -1, np.int64)
    best[seen] = other[order][first]
    return best[records]


def query_quality(queries: np.ndarray, best: np.ndarray, entity: np.ndarray) -> Quality:
    """Best-match quality on the queries: a query's predicted pair is right when its best match is
    the same entity; recall counts the queries that have a true duplicate in the sample."""
    queries = queries[: len(best)]
    counts = np.bincount(entity)
    has_duplicate = counts[entity[queries]] > 1
    predicted = best >= 0
    right = predicted & (entity[np.where(predicted, best, 0)] == entity[queries])
    return Quality.of(int(right.sum()), int(predicted.sum()), int(has_duplicate.sum()))


def group_labels(groups: pd.DataFrame) -> np.ndarray:
    """One integer a group (a group is its representative's id and name)."""
    return pd.factorize(groups["group_id"].astype(str) + "\x00" + groups["group_name"].astype(str))[0]


def read_truth(path: str, id_column: Optional[str] = None, entity_column: Optional[str] = None) -> pd.Series:
    """A truth CSV as a Series (index: record id, values: entity id); by default
    its first column is the id and its second the entity."""
    from dataforge.dedup.table import Table
    from dataforge.errors import InputDataError

    table = Table([path])
    header = table.columns
    if len(header) < 2 and (id_column is None or entity_column is None):
        raise InputDataError(f"{path}: a truth file needs two columns (record id, entity id), found {header}")
    id_column = table.column(id_column, "id column") if id_column else header[0]
    entity_column = table.column(entity_column, "entity column") if entity_column else header[1]
    frame = table.read([id_column, entity_column])
    return pd.Series(frame[entity_column].to_numpy(dtype=object),
                     index=frame[id_column].astype(str).str.strip().to_numpy(dtype=object))
