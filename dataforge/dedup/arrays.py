"""Array helpers the dedup stages share."""
from __future__ import annotations

import numpy as np


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted: ``np.unique(values)`` by a sort.  numpy 2.4's np.unique without
    return_* goes through a hash table that is 100x slower than a sort on millions of distinct
    integers (measured: 2.6 s against 0.02 s for 2.7M)."""
    ordered = np.sort(np.asarray(values).ravel())
    if len(ordered) < 2:
        return ordered
    return ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])]


def compiled(function):
    """*function* compiled by numba (cached on disk, releasing the GIL); as it is where numba is
    missing (numba is a dependency: this keeps odd installs importable, slowly)."""
    try:
        from numba import njit
    except ImportError:  # pragma: no cover
        return function
    return njit(cache=True, nogil=True)(function)
