"""Match company names: distinct names -> TF-IDF -> top-N cosine -> record pairs -> groups.

``match_names`` and ``group_names`` are the library's face (pandas in, pandas
out); :func:`find_matches` does the work and also returns the counts the CLI
reports.  With the default :class:`MatchOptions` the scores are the seed
notebook's.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from dataforge.dedup.group import best_match_groups, center_groups, component_groups
from dataforge.dedup.kernel import top_n_pairs
from dataforge.dedup.normalise import normalise_value
from dataforge.dedup.options import DEFAULT_GROUPING, GROUPINGS, PAIR_COLUMNS, MatchOptions
from dataforge.dedup.vectorise import tfidf_matrix
from dataforge.errors import UsageError
from dataforge.progress import Progress

# top_n_pairs' signature: (left, right, top, threshold, threads, block_rows, progress, kernel) -> rows, cols, scores
Product = Callable[..., "tuple[np.ndarray, np.ndarray, np.ndarray]"]


@dataclass
class Matches:
    """Record pairs and what was counted on the way."""

    pairs: pd.DataFrame  # PAIR_COLUMNS, best first
    left: np.ndarray  # positions of the pairs' records in the input (and in the master list)
    right: np.ndarray
    rows: int
    names: int  # distinct non-empty names matched
    skipped: int  # rows with an empty or missing name
    master_rows: Optional[int] = None
    master_names: Optional[int] = None
    seconds: dict = field(default_factory=dict)
    model: object = None  # --learn: the PairModel that decided the pairs (dataforge.dedup.learn)
    # with a saved index: (names, ids) of the master records the pairs name, which `right` indexes
    master: Optional[tuple] = None


def _usable(names: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Positions of rows with a name, and those names as str."""
    values = names.to_numpy(dtype=object)
    keep = np.fromiter(((v is not None and not (isinstance(v, float) and math.isnan(v)) and str(v).strip() != "")
                        for v in values), bool, count=len(values))
    positions = np.flatnonzero(keep)
    return positions, np.array([v if isinstance(v, str) else str(v) for v in values[positions]], dtype=object)


class _ByName:
    """Rows of the input grouped by distinct name, in order of first appearance."""

    def __init__(self, names: pd.Series):
        self.positions, usable = _usable(names)
        codes, uniques = pd.factorize(usable) if len(usable) else (np.empty(0, np.int64), np.empty(0, object))
        self.distinct = np.asarray(uniques, dtype=object)
        order = np.argsort(codes, kind="stable")
        self.rows = self.positions[order]  # positions sorted by name code, input order within a name
        self.count = np.bincount(codes, minlength=len(self.distinct))
        self.start = np.concatenate([[0], np.cumsum(self.count)[:-1]]).astype(np.int64)

    def cross(self, a: np.ndarray, other: "_ByName", b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (row of name a[k], row of name b[k]) and its k."""
        ca, cb = self.count[a], other.count[b]
        total = ca * cb
        k = np.repeat(np.arange(len(a)), total)
        offset = np.arange(int(total.sum())) - np.repeat(np.cumsum(total) - total, total)
        return self.rows[self.start[a][k] + offset // cb[k]], other.rows[other.start[b][k] + offset % cb[k]], k

    def within(self) -> tuple[np.ndarray, np.ndarray]:
        """Every pair of rows that share a name, earlier row first."""
        lefts, rights = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
        for size in np.unique(self.count[self.count >= 2]):
            base = self.start[self.count == size][:, None]
            p, q = np.triu_indices(int(size), 1)
            lefts.append(self.rows[(base + p).ravel()])
            rights.append(self.rows[(base + q).ravel()])
        return np.concatenate(lefts), np.concatenate(rights)


def _vectors(names: Sequence[str], options: MatchOptions) -> sp.csr_matrix:
    try:
        return tfidf_matrix(names, options.ngram, options.strip_legal, options.phonetic)
    except ValueError as e:
        if "empty vocabulary" not in str(e):
            raise
        return sp.csr_matrix((len(names), 1))  # no name has a single feature: nothing matches


def _best_per_pair(a: np.ndarray, b: np.ndarray, scores: np.ndarray, width: int):
    """One row per (a, b), keeping the higher score (the two directions may differ in the last bit)."""
    key = a * width + b
    order = np.lexsort((-scores, key))
    first = np.ones(len(order), bool)
    first[1:] = key[order][1:] != key[order][:-1]
    keep = order[first]
    return a[keep], b[keep], scores[keep]


def normalised(values: pd.Series) -> np.ndarray:
    """A column's values after :func:`normalise_value`, "" for a missing one."""
    return values.map(lambda v: normalise_value(str(v)) if isinstance(v, str) or pd.notna(v) else "") \
        .to_numpy(dtype=object)


def _agree(left: np.ndarray, right: np.ndarray, left_values: pd.DataFrame, right_values: pd.DataFrame) -> np.ndarray:
    """Pairs whose records have the same non-empty normalised value in every --also column."""
    keep = np.ones(len(left), bool)
    for column in left_values.columns:
        lv, rv = normalised(left_values[column])[left], normalised(right_values[column])[right]
        keep &= (lv == rv) & (lv != "")
    return keep


def _refine(names: np.ndarray, a: np.ndarray, b: np.ndarray, options: MatchOptions, seconds: dict) -> np.ndarray:
    """--refine: the candidates' scores on distinctive words (dataforge.dedup.refine)."""
    from dataforge.dedup.refine import refined_scores

    started = time.perf_counter()
    scores = refined_scores(list(names), a, b, options.threads)
    seconds["refine"] = time.perf_counter() - started
    return scores


def candidate_pairs(names: pd.Series, against: Optional[pd.Series], options: MatchOptions, product: Product,
                    progress: Progress, seconds: dict):
    """Record pairs whose names score above the options' candidate threshold: the names grouped
    by distinct name (:class:`_ByName`, for *names* and for *against*), and the pairs' rows and
    scores (with refine, rescored and cut at the threshold).  The same name is a pair at 1.0."""
    started = time.perf_counter()
    mine = _ByName(names)
    if against is None:
        vectors = _vectors(list(mine.distinct), options)
        seconds["vectorise"] = time.perf_counter() - started
        rows, cols, scores = product(vectors, vectors, options.top, options.candidate_threshold, options.threads,
                                     options.block_rows, progress, options.kernel)
        seconds["product"] = time.perf_counter() - started - seconds["vectorise"]
        other = rows != cols  # a name with itself is not a pair
        a, b, scores = _best_per_pair(np.minimum(rows, cols)[other], np.maximum(rows, cols)[other], scores[other],
                                      max(len(mine.distinct), 1))
        if options.refine:
            scores = _refine(mine.distinct, a, b, options, seconds)
            keep = scores > options.threshold
            a, b, scores = a[keep], b[keep], scores[keep]
        left, right, k = mine.cross(a, mine, b)
        scores = scores[k]
        same_left, same_right = mine.within()
        left = np.concatenate([left, same_left])
        right = np.concatenate([right, same_right])
        scores = np.concatenate([scores, np.ones(len(same_left))])
        swap = left > right  # the earlier record on the left
        left, right = np.where(swap, right, left), np.where(swap, left, right)
        theirs = mine
    else:
        theirs = _ByName(against)
        vocabulary = pd.unique(np.concatenate([mine.distinct, theirs.distinct]))
        vectors = _vectors(list(vocabulary), options)  # fitted on both lists, as string_grouper does
        seconds["vectorise"] = time.perf_counter() - started
        where = pd.Index(vocabulary).get_indexer(theirs.distinct)
        rows, cols, scores = product(vectors[: len(mine.distinct)], vectors[where], options.top,
                                     options.candidate_threshold, options.threads, options.block_rows, progress,
                                     options.kernel)
        seconds["product"] = time.perf_counter() - started - seconds["vectorise"]
        if options.refine:
            scores = _refine(vocabulary, rows, where[cols], options, seconds)
        scores = np.where(mine.distinct[rows] == theirs.distinct[cols], 1.0, scores)  # the same name is 1.0
        if options.refine:
            keep = scores > options.threshold
            rows, cols, scores = rows[keep], cols[keep], scores[keep]
        left, right, k = mine.cross(rows, theirs, cols)
        scores = scores[k]
    return mine, theirs, left, right, scores


def pair_frame(ids: pd.Series, names: pd.Series, right_ids: pd.Series, right_names: pd.Series, left: np.ndarray,
               right: np.ndarray, scores: np.ndarray) -> pd.DataFrame:
    """The pairs as PAIR_COLUMNS: each side's id and name, and the similarity."""
    return pd.DataFrame({
        "left_id": ids.to_numpy(dtype=object)[left], "left_name": names.to_numpy(dtype=object)[left],
        "right_id": right_ids.to_numpy(dtype=object)[right], "right_name": right_names.to_numpy(dtype=object)[right],
        "similarity": np.asarray(scores, np.float64),
    }, columns=PAIR_COLUMNS)


def find_matches(names: pd.Series, ids: Optional[pd.Series] = None, *, against: Optional[pd.Series] = None,
                 against_ids: Optional[pd.Series] = None, also: Optional[pd.DataFrame] = None,
                 against_also: Optional[pd.DataFrame] = None, options: MatchOptions = MatchOptions(),
                 progress: Progress = None, product: Product = top_n_pairs, labels: Optional[pd.DataFrame] = None,
                 model=None, explain: bool = False, index=None) -> Matches:
    """Pairs of records whose names match; see :func:`match_names` for the arguments.

    With ``options.learn`` (or a saved *model*, or *labels*) the pairs are decided by a model
    learned from the records (:mod:`dataforge.dedup.learn`): *labels* are a person's decisions
    (left_id, right_id, label: yes/no/unsure), *model* a :class:`~dataforge.dedup.learn.PairModel`
    applied instead of learning one, and *explain* adds each measure's part of the weight.

    *product* computes the top-N cosine product, with the signature of
    :func:`~dataforge.dedup.kernel.top_n_pairs` (the default, on this
    machine); ``SparkEngine(session).top_n_pairs`` runs it on Spark
    (:mod:`dataforge.dedup.spark`).  Everything else is the same either way.

    *index* is a :class:`~dataforge.dedup.index.MatchIndex`: the names are matched against the
    master list it holds, at the IDF it froze, instead of *against*; ``Matches.master`` then holds
    the names and ids of the master records in the pairs.
    """
    names = pd.Series(names).reset_index(drop=True) if not isinstance(names, pd.Series) else names
    ids = names.index.to_series() if ids is None else pd.Series(ids)
    if len(ids) != len(names):
        raise UsageError(f"{len(ids)} ids for {len(names)} names")
    if against is not None:
        against = pd.Series(against) if not isinstance(against, pd.Series) else against
        against_ids = against.index.to_series() if against_ids is None else pd.Series(against_ids)
    if index is not None:
        if against is not None:
            raise UsageError("an index and a master list to match against are two master lists: give one")
        if also is not None and len(also.columns):
            raise UsageError("--also is not supported with an index yet: match with --against")
        if labels is not None or (options.learn and model is None):
            raise UsageError("--learn and --labels are not supported with an index yet; a saved model is")
        options = index.query_options(options)
    if options.learn or model is not None or labels is not None:
        from dataforge.dedup.learn import learned_matches

        return learned_matches(names, ids, against=against, against_ids=against_ids, also=also,
                               against_also=against_also, options=options, progress=progress, product=product,
                               labels=labels, model=model, explain=explain, index=index)
    options = options.check()
    seconds: dict = {}
    started = time.perf_counter()
    master = None
    if index is not None:
        mine, left, right, scores = index.candidate_pairs(names, options, progress, seconds)
        right, against, against_ids = index.master(right)
        master, master_rows, master_names = (against, against_ids), index.records, index.distinct_names
    else:
        mine, theirs, left, right, scores = candidate_pairs(names, against, options, product, progress, seconds)
        master_rows, master_names = (None, None) if against is None else (len(against), len(theirs.distinct))
    right_names, right_ids = (names, ids) if against is None else (against, against_ids)
    if also is not None and len(also.columns):
        keep = _agree(left, right, also.reset_index(drop=True),
                      (also if against is None else against_also).reset_index(drop=True))
        left, right, scores = left[keep], right[keep], scores[keep]
    scores = np.minimum(scores, 1.0)  # a cosine; float sums can land a hair above 1
    order = np.lexsort((right, left, -scores))
    left, right, scores = left[order], right[order], scores[order]
    pairs = pair_frame(ids, names, right_ids, right_names, left, right, scores)
    seconds["total"] = time.perf_counter() - started
    return Matches(pairs=pairs, left=left, right=right, rows=len(names), names=len(mine.distinct),
                   skipped=len(names) - len(mine.positions), master_rows=master_rows, master_names=master_names,
                   seconds=seconds, master=master)


def groups_of(matches: Matches, names: pd.Series, ids: Optional[pd.Series] = None, *,
              against: Optional[pd.Series] = None, against_ids: Optional[pd.Series] = None,
              grouping: str = DEFAULT_GROUPING) -> pd.DataFrame:
    """``group_id`` and ``group_name`` for every input row, from its matches.

    On one list, by *grouping*: ``center`` (the default) is center
    clustering, best pair first, represented by the center, so every member
    is paired with it and weak links do not chain; ``components`` is the
    connected components of the pair graph (string_grouper's grouping),
    represented by their best-connected record (ties to the first).  Against
    a master list: the record's best master match, whatever the grouping.  A
    record with no match is its own group.
    """
    if grouping not in GROUPINGS:
        raise UsageError(f"grouping must be one of {', '.join(GROUPINGS)}, not {grouping!r}")
    n = len(names)
    ids = names.index.to_series() if ids is None else pd.Series(ids)
    id_values, name_values = ids.to_numpy(dtype=object), names.to_numpy(dtype=object)
    # the learned mode's weight orders pairs more finely than its probability, which saturates at 1
    scores = matches.pairs["match_weight" if "match_weight" in matches.pairs.columns else "similarity"].to_numpy()
    if against is None:
        rep = center_groups(n, matches.left, matches.right, scores) \
            if grouping == "center" else component_groups(n, matches.left, matches.right)
        group_id, group_name = id_values[rep], name_values[rep]
    else:
        against_ids = against.index.to_series() if against_ids is None else pd.Series(against_ids)
        best = best_match_groups(n, matches.left, matches.right, scores)
        matched = best >= 0
        group_id, group_name = id_values.copy(), name_values.copy()
        group_id[matched] = against_ids.to_numpy(dtype=object)[best[matched]]
        group_name[matched] = against.to_numpy(dtype=object)[best[matched]]
    return pd.DataFrame({"group_id": group_id, "group_name": group_name}, index=names.index)


def match_names(names: pd.Series, ids: Optional[pd.Series] = None, *, against: Optional[pd.Series] = None,
                against_ids: Optional[pd.Series] = None, also: Optional[pd.DataFrame] = None,
                against_also: Optional[pd.DataFrame] = None, progress: Progress = None,
                **options) -> pd.DataFrame:
    """Pairs of records whose names are alike, best first.

    *names* is a Series of company names (empty or missing ones are skipped);
    *ids* label the records (default: the Series' index).  With *against*,
    each name is matched only against that master list (whose ids are
    *against_ids*), which goes on the right.  *also* holds columns the two
    records must also agree on (after :func:`normalise_value`), aligned with
    *names* (and *against_also* with *against*).  Keyword *options* are the
    fields of :class:`MatchOptions`: threshold, top, ngram, threads,
    strip_legal, phonetic, block_rows, kernel, refine (rescore on
    distinctive words; the recommended mode for de-duplication, default
    threshold 0.9 instead of 0.6).

    Returns a DataFrame with columns left_id, left_name, right_id,
    right_name, similarity: one row per pair of distinct records, the same
    name being a pair at 1.0.

    Example::

        match_names(pd.Series(["Royal Bank", "The Royal Bank", "Clydesdale Bank"]), threshold=0.5)
    """
    return find_matches(names, ids, against=against, against_ids=against_ids, also=also,
                        against_also=against_also, options=MatchOptions(**options), progress=progress).pairs


def group_names(names: pd.Series, ids: Optional[pd.Series] = None, *, against: Optional[pd.Series] = None,
                against_ids: Optional[pd.Series] = None, also: Optional[pd.DataFrame] = None,
                against_also: Optional[pd.DataFrame] = None, progress: Progress = None,
                grouping: str = DEFAULT_GROUPING, **options) -> pd.DataFrame:
    """Every record with its group: a DataFrame of id, name, group_id, group_name
    aligned with *names*.  *grouping* is ``center`` (default) or ``components``
    (see :func:`groups_of`); the other arguments as :func:`match_names`."""
    matches = find_matches(names, ids, against=against, against_ids=against_ids, also=also,
                           against_also=against_also, options=MatchOptions(**options), progress=progress)
    groups = groups_of(matches, names, ids, against=against, against_ids=against_ids, grouping=grouping)
    ids = names.index.to_series() if ids is None else pd.Series(ids)
    return pd.DataFrame({"id": ids.to_numpy(dtype=object), "name": names.to_numpy(dtype=object),
                         "group_id": groups["group_id"].to_numpy(), "group_name": groups["group_name"].to_numpy()},
                        index=names.index)
