"""The pairwise libraries ``dedup bench`` times: rapidfuzz, thefuzz and fuzzywuzzy's ``extractOne``.

Each library is an adapter pair, ``prepare`` (the choices of one query: every
other record of the sample) and ``extract`` (the query's best match and its
WRatio, with the library's default processing); :func:`time_pairwise` times
``extract`` alone on each query, as the seed notebook timed fuzzywuzzy.
"""
from __future__ import annotations

import importlib
import time
import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from dataforge.progress import Progress

# a pairwise library stops taking queries after this long at one size (fuzzywuzzy: 2.4 s a query at 50k)
PAIRWISE_BUDGET_S = 60.0
PAIRWISE_LIBRARIES = ("rapidfuzz", "thefuzz", "fuzzywuzzy")



def _extract_one_rapidfuzz():
    from rapidfuzz import fuzz, process, utils

    def prepare(names: list, query: int):
        choices = list(names)  # rapidfuzz skips None: the query's own record is left out
        choices[query] = None
        return choices

    def extract(name: str, choices) -> tuple[float, int]:
        # fuzzywuzzy's defaults: WRatio on lower-cased, alphanumeric-only text (default_process)
        found = process.extractOne(name, choices, scorer=fuzz.WRatio, processor=utils.default_process)
        return (found[1], found[2]) if found else (0.0, -1)

    return prepare, extract


def _extract_one_fuzzywuzzy_like(module: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fuzzywuzzy warns when python-Levenshtein is missing
        process = importlib.import_module(f"{module}.process")

    def prepare(names: list, query: int):
        return {i: n for i, n in enumerate(names) if i != query}  # keys give the matched record back

    def extract(name: str, choices) -> tuple[float, int]:
        found = process.extractOne(name, choices)  # default scorer WRatio, default processor
        return (float(found[1]), int(found[2])) if found else (0.0, -1)

    return prepare, extract


def available_libraries() -> list[str]:
    """rapidfuzz (a dependency), and thefuzz / fuzzywuzzy when they are installed."""
    found = ["rapidfuzz"]
    for module in PAIRWISE_LIBRARIES[1:]:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                importlib.import_module(f"{module}.process")
        except ImportError:
            continue
        found.append(module)
    return found


def _pairwise(library: str):
    return _extract_one_rapidfuzz() if library == "rapidfuzz" else _extract_one_fuzzywuzzy_like(library)


@dataclass
class PairwiseRun:
    """One library's extractOne on the queries of one sample."""

    library: str
    queries: int  # queries timed (fewer than asked when the budget ran out)
    seconds: float  # time in extractOne, all timed queries
    size: int  # names in the sample
    best: np.ndarray  # best match of each timed query (position in the sample)
    score: np.ndarray  # its WRatio

    @property
    def per_query(self) -> float:
        return self.seconds / self.queries

    @property
    def estimate(self) -> float:
        """All-vs-all, as the seed extrapolates: time a query x names."""
        return self.per_query * self.size

    def as_dict(self, cutoff: float) -> dict:
        return {"queries": self.queries, "seconds": round(self.seconds, 4), "per_query_s": self.per_query,
                "estimate_s": round(self.estimate, 3), "matched": int((self.score >= cutoff).sum())}


def time_pairwise(library: str, names: Sequence[str], queries: np.ndarray, budget: float = PAIRWISE_BUDGET_S,
                  progress: Progress = None, label: str = "") -> PairwiseRun:
    """Time ``extractOne`` of each query (a position in *names*) against every other name."""
    prepare, extract = _pairwise(library)
    names = list(names)
    best, score = [], []
    spent = 0.0
    for k, query in enumerate(queries):
        if progress:
            progress(f"{label}{library} extractOne, queries", k + 1, len(queries))
        choices = prepare(names, int(query))
        started = time.perf_counter()
        found_score, found = extract(names[query], choices)
        spent += time.perf_counter() - started
        best.append(found)
        score.append(found_score)
        if spent >= budget:
            break
    return PairwiseRun(library, len(best), spent, len(names), np.array(best, np.int64), np.array(score, float))
