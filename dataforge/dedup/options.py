"""The options of a match, with their defaults (the seed notebook's), importable without numpy."""
from __future__ import annotations

import math
import numbers
from typing import NamedTuple

from dataforge.errors import UsageError

# rows a block of the product: enough work per call to keep both threads busy,
# small enough that the progress bar moves every second or so at 1M names
DEFAULT_BLOCK_ROWS = 4096
DEFAULT_THRESHOLD = 0.6
DEFAULT_TOP = 10
DEFAULT_NGRAM = 3
PAIR_COLUMNS = ["left_id", "left_name", "right_id", "right_name", "similarity"]
GROUP_COLUMNS = ["group_id", "group_name"]
KERNELS = ("auto", "pruned", "brute")
# dedup bench (dataforge.dedup.bench)
BENCH_SIZES = (1000, 10000, 50000)
BENCH_QUERIES = 100
BENCH_SEED = 1
# fuzzywuzzy's WRatio is 0-100; 90 is the cut-off its users typically take as "the same firm"
BENCH_CUTOFF = 90.0


class MatchOptions(NamedTuple):
    """How names are matched; the defaults reproduce the seed notebook."""

    threshold: float = DEFAULT_THRESHOLD  # keep pairs scoring above this
    top: int = DEFAULT_TOP  # per distinct name, itself included; 0 = no limit
    ngram: int = DEFAULT_NGRAM  # characters a feature
    threads: int = 0  # for the product; 0 = every core
    strip_legal: bool = False  # drop LIMITED, LTD, PLC, ... before vectorising
    phonetic: bool = False  # add Double Metaphone codes of each word as features
    block_rows: int = DEFAULT_BLOCK_ROWS  # distinct names a block of the product
    kernel: str = "auto"  # auto | pruned | brute: how the product is computed; same pairs and scores

    def check(self) -> "MatchOptions":
        """Raise UsageError for a value no run could use."""
        if not (isinstance(self.threshold, (int, float)) and 0 <= self.threshold < 1 and math.isfinite(self.threshold)):
            raise UsageError(f"threshold must be at least 0 and below 1, not {self.threshold!r}")
        for name, low in (("top", 0), ("ngram", 1), ("threads", 0), ("block_rows", 1)):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
                raise UsageError(f"{name} must be a whole number of at least {low}, not {value!r}")
        if self.kernel not in KERNELS:
            raise UsageError(f"kernel must be one of {', '.join(KERNELS)}, not {self.kernel!r}")
        return self
