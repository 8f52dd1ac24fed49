"""The seed notebook's comparison on a user's own names: pairwise fuzzy matching against dataforge.

The seed timed fuzzywuzzy's ``process.extractOne`` for one query against its
50,000 names (2.36 s) and multiplied by the number of names (32 hours), then
ran TF-IDF with sparse top-N on all of them (under 20 s).  :func:`run_bench`
does the same on a sample of each size: the pairwise libraries are timed on
the sample's first ``queries`` records, each against every other record of
the sample, and the mean time a query is multiplied by the sample's size;
dataforge's :func:`find_matches` is timed on the whole sample.  With a truth
(record id -> entity), both are scored with :mod:`dataforge.dedup.evaluate`.
The libraries' adapters are :mod:`dataforge.dedup.pairwise`; the chart of a
result is :mod:`dataforge.dedup.bench_plot`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import NamedTuple, Optional, Sequence

import numpy as np
import pandas as pd

from dataforge.dedup.evaluate import (best_match_of, entity_codes, group_labels, group_quality, largest, pair_quality,
                                      query_quality)
from dataforge.dedup.kernel import resolve_threads
from dataforge.dedup.match import Matches, find_matches, groups_of
from dataforge.dedup.options import BENCH_CUTOFF, BENCH_QUERIES, BENCH_SEED, BENCH_SIZES, MatchOptions
from dataforge.dedup.pairwise import PAIRWISE_BUDGET_S, PairwiseRun, available_libraries, time_pairwise
from dataforge.errors import InputDataError, UsageError
from dataforge.progress import Progress

# thresholds whose F1 is reported; the run for them is made once, at the lowest
SWEEP = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))


class BenchOptions(NamedTuple):
    """What a bench run does; defaults as the CLI's."""

    sizes: tuple = BENCH_SIZES  # names a sample
    queries: int = BENCH_QUERIES  # timed pairwise queries a size
    seed: int = BENCH_SEED  # for the samples
    cutoff: float = BENCH_CUTOFF  # WRatio at or above which a pairwise best match is a pair
    match: MatchOptions = MatchOptions()  # dataforge's matcher
    sweep: tuple = SWEEP  # thresholds for the F1 sweep (the match threshold is added)
    budget: float = PAIRWISE_BUDGET_S

    def check(self) -> "BenchOptions":
        if not self.sizes or any(not isinstance(s, (int, np.integer)) or s < 2 for s in self.sizes):
            raise UsageError(f"sizes must be whole numbers of at least 2, not {list(self.sizes)!r}")
        if self.queries < 1:
            raise UsageError(f"queries must be at least 1, not {self.queries!r}")
        if not 0 <= self.cutoff <= 100:  # also refuses nan
            raise UsageError(f"cutoff must be a WRatio score from 0 to 100, not {self.cutoff!r}")
        return self._replace(match=self.match.check())  # the match threshold filled in (None: the mode's)


# ------------------------------------------------------------------------------- samples


@dataclass
class Sample:
    """Records of the input in one sample, in file order, and where the queries are among them."""

    positions: np.ndarray  # rows of the input
    queries: np.ndarray  # positions in the sample of the pairwise queries
    requested: int


def samples(usable: int, sizes: Sequence[int], queries: int, seed: int) -> tuple[list[Sample], list[str]]:
    """Nested reproducible samples of *usable* rows (each size's sample holds the smaller ones, and
    the same query records), and notes on sizes capped to what the file has."""
    order = np.random.default_rng(seed).permutation(usable)
    notes, out, taken = [], [], set()
    for requested in sorted(sizes):
        size = min(requested, usable)
        if size < requested:
            notes.append(f"size {requested:,} is more than the {usable:,} names in the input: "
                         f"capped to {usable:,}")
        if size in taken:
            continue
        taken.add(size)
        chosen = np.sort(order[:size])
        query_rows = order[: min(queries, size)]
        out.append(Sample(chosen, np.searchsorted(chosen, query_rows), requested))
    return out, notes


# ----------------------------------------------------------------------------------- runs


@dataclass
class SizeResult:
    """One sample: both methods' times, dataforge's pairs, and quality with a truth."""

    sample: Sample
    distinct: int
    pairwise: dict  # library -> PairwiseRun
    dataforge_s: float
    pairs: int
    quality: Optional[dict] = None

    @property
    def size(self) -> int:
        return len(self.sample.positions)

    @property
    def speedup(self) -> float:
        return self.pairwise["rapidfuzz"].estimate / self.dataforge_s if self.dataforge_s else float("inf")

    def as_dict(self, cutoff: float) -> dict:
        out = {"names": self.size, "requested": self.sample.requested, "distinct_names": self.distinct,
               "queries": len(self.sample.queries),
               "pairwise": {k: v.as_dict(cutoff) for k, v in self.pairwise.items()},
               "dataforge_s": round(self.dataforge_s, 4), "pairs": self.pairs,
               "speedup": round(self.speedup, 2),
               "speedups": {k: round(v.estimate / self.dataforge_s, 2) for k, v in self.pairwise.items()}}
        if self.quality is not None:
            out["quality"] = self.quality
        return out


@dataclass
class Sweep:
    """dataforge at every sweep threshold, from one run at the lowest, on the largest sample."""

    names: int
    run_threshold: float
    thresholds: list  # [threshold, pairs, Quality or None]
    scores: np.ndarray  # similarity of every pair of the run
    true_pair: Optional[np.ndarray]  # whether each pair is a true duplicate (with a truth)

    @property
    def best(self) -> Optional[float]:
        scored = [(q.f1, -t) for t, _, q in self.thresholds if q is not None]
        return -max(scored)[1] if scored else None

    def as_dict(self) -> dict:
        return {"names": self.names, "run_threshold": self.run_threshold, "best": self.best,
                "thresholds": [{"threshold": t, "pairs": n, **(
                    {"precision": q.precision, "recall": q.recall, "f1": q.f1} if q else {})}
                    for t, n, q in self.thresholds]}


@dataclass
class BenchResult:
    rows: int  # rows read
    usable: int  # rows with a name
    libraries: list
    sizes: list  # SizeResult
    notes: list
    options: BenchOptions
    sweep: Optional[Sweep] = None
    unknown_ids: int = 0  # records of the input the truth does not know
    seconds: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        o = self.options
        out = {"rows": self.rows, "names": self.usable, "seed": o.seed, "queries": o.queries, "cutoff": o.cutoff,
               "threshold": o.match.threshold, "threads": resolve_threads(o.match.threads), "libraries": self.libraries,
               "notes": self.notes, "sizes": [s.as_dict(o.cutoff) for s in self.sizes]}
        if self.sweep is not None:
            out["sweep"] = self.sweep.as_dict()
        if self.unknown_ids:
            out["unknown_ids"] = self.unknown_ids
        return out


def usable_rows(names: pd.Series) -> np.ndarray:
    """Rows with a non-empty name (as dedup match skips the others)."""
    values = names.fillna("").astype(str).str.strip()
    return np.flatnonzero((values != "").to_numpy())


def warm_up(names: pd.Series, options: MatchOptions) -> None:
    """Load scikit-learn and numba's compiled kernel (cached on disk after a first run ever), so
    the first timed size does not pay for them."""
    for kernel in ("brute", "pruned"):
        find_matches(names, options=options._replace(kernel=kernel))


def run_bench(names: pd.Series, ids: Optional[pd.Series] = None, options: BenchOptions = BenchOptions(), *,
              truth: Optional[pd.Series] = None, libraries: Optional[Sequence[str]] = None, sweep: bool = False,
              progress: Progress = None) -> BenchResult:
    """Time pairwise extractOne and dataforge's matcher on samples of *names*.

    *ids* label the records (default: row number from 1) and key *truth* (a
    Series: record id -> entity).  With *truth*, or *sweep*, dataforge is also
    run once at the lowest sweep threshold on the largest sample (not timed),
    for the F1 across thresholds and the scores' histogram.
    """
    options = options.check()
    started = time.perf_counter()
    names = names.reset_index(drop=True)
    ids = (pd.Series(np.arange(1, len(names) + 1)) if ids is None else pd.Series(ids)).reset_index(drop=True)
    usable = usable_rows(names)
    if len(usable) < 2:
        raise InputDataError(f"a benchmark needs at least 2 names; the input has {len(usable)}")
    entity_all, unknown = None, 0
    if truth is not None:
        truth_ids = set(pd.Series(truth.index).astype(str))
        known = ids.iloc[usable].astype(str).isin(truth_ids).to_numpy()
        if not known.any():
            shown = ", ".join(repr(str(i)) for i in ids.iloc[usable[:3]])
            raise UsageError(f"no record id of the input is in the truth (ids look like {shown}): "
                             "give the right --id-column, or the truth for this file")
        unknown = int((~known).sum())
        entity_all = entity_codes(ids, truth)
    libraries = list(libraries or available_libraries())
    chosen, notes = samples(len(usable), options.sizes, options.queries, options.seed)
    if progress:
        progress("loading the matcher")
    warm_up(names.iloc[usable[:2000]].reset_index(drop=True), options.match)
    results = []
    for sample in chosen:
        label = f"{len(sample.positions):,} names: "
        rows = usable[sample.positions]
        sample_names = names.iloc[rows].reset_index(drop=True)
        sample_ids = ids.iloc[rows].reset_index(drop=True)
        runs = {}
        for library in libraries:
            runs[library] = time_pairwise(library, sample_names.tolist(), sample.queries, options.budget, progress, label)
            if runs[library].queries < len(sample.queries):
                notes.append(f"{library} at {len(rows):,} names: {runs[library].queries} of "
                             f"{len(sample.queries)} queries in the {options.budget:g} s budget")
        if progress:
            progress(f"{label}dataforge dedup match")
        t0 = time.perf_counter()
        matches = find_matches(sample_names, sample_ids, options=options.match,
                               progress=(lambda what, done=None, total=None: progress(f"{label}dataforge, {what}", done, total))
                               if progress else None)
        seconds = time.perf_counter() - t0
        result = SizeResult(sample, matches.names, runs, seconds, len(matches.pairs))
        if entity_all is not None:
            entity = pd.factorize(entity_all[rows])[0]
            result.quality = _quality(matches, sample_names, sample_ids, sample.queries, runs["rapidfuzz"], entity,
                                      options.cutoff)
        results.append(result)
    outcome = BenchResult(len(names), len(usable), libraries, results, notes, options, unknown_ids=unknown)
    if truth is not None or sweep:
        largest_sample = results[-1]
        rows = usable[largest_sample.sample.positions]
        entity = pd.factorize(entity_all[rows])[0] if entity_all is not None else None
        outcome.sweep = _sweep(names.iloc[rows].reset_index(drop=True), ids.iloc[rows].reset_index(drop=True),
                               entity, options, progress)
    outcome.seconds["total"] = time.perf_counter() - started
    return outcome


def _quality(matches: Matches, names: pd.Series, ids: pd.Series, queries: np.ndarray, pairwise: PairwiseRun,
             entity: np.ndarray, cutoff: float) -> dict:
    timed = queries[: pairwise.queries]
    pairwise_best = np.where(pairwise.score >= cutoff, pairwise.best, -1)
    groups = groups_of(matches, names, ids)
    return {
        "pairwise_queries": query_quality(timed, pairwise_best, entity).as_dict(),
        "dataforge_queries": query_quality(timed, best_match_of(matches, timed), entity).as_dict(),
        "pairs": pair_quality(matches.left, matches.right, entity).as_dict(),
        "groups": group_quality(group_labels(groups), entity).as_dict(),
        "largest_group": largest(group_labels(groups)),
        "largest_entity": largest(entity),
    }


def _sweep(names: pd.Series, ids: pd.Series, entity: Optional[np.ndarray], options: BenchOptions,
           progress: Progress) -> Sweep:
    thresholds = sorted(set(options.sweep) | {options.match.threshold})
    low = thresholds[0]
    if progress:
        progress(f"{len(names):,} names: dataforge at threshold {low:g} for the sweep")
    # top-N keeps a name's N best above the lowest threshold; those above a higher one are then
    # its N best above that one, so filtering by score gives that threshold's pairs (ties aside)
    matches = find_matches(names, ids, options=options.match._replace(threshold=low))
    scores = matches.pairs["similarity"].to_numpy()
    true_pair = entity[matches.left] == entity[matches.right] if entity is not None else None
    rows = []
    for t in thresholds:
        keep = scores > t if t > low else np.ones(len(scores), bool)
        quality = pair_quality(matches.left[keep], matches.right[keep], entity) if entity is not None else None
        rows.append([t, int(keep.sum()), quality])
    return Sweep(len(names), low, rows, scores, true_pair)
