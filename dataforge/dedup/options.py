"""The options of a match, with their defaults (the seed notebook's), importable without numpy."""
from __future__ import annotations

import math
import numbers
from typing import NamedTuple, Optional

from dataforge.errors import UsageError

# rows a block of the product: enough work per call to keep both threads busy,
# small enough that the progress bar moves every second or so at 1M names
DEFAULT_BLOCK_ROWS = 4096
DEFAULT_THRESHOLD = 0.6
# --refine scores on another scale (soft TF-IDF of words): 0.9 is where pair F1 peaks on
# both benchmark sets (companies and persons, docs/benchmarks.md)
DEFAULT_REFINE_THRESHOLD = 0.9
# the 3-gram cosine a pair needs to be rescored by --refine: the seed's own pairs (97% of the
# true pairs of the company benchmark); 0.5 finds a few more but makes the product 2-3x slower
REFINE_CANDIDATE_THRESHOLD = 0.6
# --learn: the decision is match_probability above this; candidates come from the names' 3-gram product
# above LEARN_CANDIDATE_THRESHOLD (generous: EM needs the non-matches that look alike among them too;
# 0.3 costs a fifth more time in the product for no better F1 on the benchmark sets)
DEFAULT_LEARN_THRESHOLD = 0.5
LEARN_CANDIDATE_THRESHOLD = 0.4
DEFAULT_TOP = 10
DEFAULT_COLUMN = "CompanyName"
DEFAULT_ID_COLUMN = "CompanyNumber"  # Companies House's; used when the file has it and no id column is given
ENGINES = ("local", "spark")
DEFAULT_NGRAM = 3
PAIR_COLUMNS = ["left_id", "left_name", "right_id", "right_name", "similarity"]
GROUP_COLUMNS = ["group_id", "group_name"]
KERNELS = ("auto", "pruned", "brute")
# how --groups makes groups of the pairs: center clustering (no chains) or connected components
GROUPINGS = ("center", "components")
DEFAULT_GROUPING = "center"
# dedup review (dataforge.dedup.review): what a page holds by default, enough doubtful pairs for a day's
# labelling and few enough that a page for 1M pairs opens in a second or two (benchmarks/review_bench.py)
REVIEW_TOP_PAIRS = 2000
REVIEW_TOP_GROUPS = 50
# dedup bench (dataforge.dedup.bench)
BENCH_SIZES = (1000, 10000, 50000)
BENCH_QUERIES = 100
BENCH_SEED = 1
# fuzzywuzzy's WRatio is 0-100; 90 is the cut-off its users typically take as "the same firm"
BENCH_CUTOFF = 90.0


class MatchOptions(NamedTuple):
    """How names are matched; the defaults reproduce the seed notebook."""

    threshold: Optional[float] = None  # keep pairs scoring above this; None: 0.6, with refine 0.9
    top: int = DEFAULT_TOP  # per distinct name, itself included; 0 = no limit
    ngram: Optional[int] = None  # characters a feature; None: 3 (with a saved index, the index's)
    threads: int = 0  # for the product; 0 = every core
    strip_legal: bool = False  # drop LIMITED, LTD, PLC, ... before vectorising
    phonetic: bool = False  # add Double Metaphone codes of each word as features
    block_rows: int = DEFAULT_BLOCK_ROWS  # distinct names a block of the product
    kernel: str = "auto"  # auto | pruned | brute: how the product is computed; same pairs and scores
    refine: bool = False  # rescore the 3-gram candidates on distinctive words (dataforge.dedup.refine)
    learn: bool = False  # decide pairs by a model learned from the records (dataforge.dedup.learn)

    def check(self) -> "MatchOptions":
        """Raise UsageError for a value no run could use; return the options with the
        threshold and ngram filled in (None is the mode's default)."""
        if self.refine and self.learn:
            raise UsageError("--refine and --learn are two modes: give one")
        if self.threshold is None:
            default = DEFAULT_LEARN_THRESHOLD if self.learn else DEFAULT_REFINE_THRESHOLD if self.refine \
                else DEFAULT_THRESHOLD
            return self._replace(threshold=default).check()
        if self.ngram is None:
            return self._replace(ngram=DEFAULT_NGRAM).check()
        if not (isinstance(self.threshold, (int, float)) and 0 <= self.threshold < 1 and math.isfinite(self.threshold)):
            raise UsageError(f"threshold must be at least 0 and below 1, not {self.threshold!r}")
        for name, low in (("top", 0), ("ngram", 1), ("threads", 0), ("block_rows", 1)):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
                raise UsageError(f"{name} must be a whole number of at least {low}, not {value!r}")
        if self.kernel not in KERNELS:
            raise UsageError(f"kernel must be one of {', '.join(KERNELS)}, not {self.kernel!r}")
        return self

    @property
    def candidate_threshold(self) -> float:
        """What the 3-gram product keeps: the threshold, or the candidates to rescore (refine) or to decide (learn)."""
        if self.learn:
            return LEARN_CANDIDATE_THRESHOLD
        return min(REFINE_CANDIDATE_THRESHOLD, self.threshold) if self.refine else self.threshold
