"""The sparse top-N cosine product of TF-IDF vectors (dataforge.dedup.vectorise), in row blocks.

The product is the seed's ``awesome_cossim_topn(tfidf, tfidf.T, 10, 0.6)``
(sparse_dot_topn's ``sp_matmul_topn`` in 1.x), computed a block of rows at a
time: each row's top N depends only on that row, so the blocks give exactly
the whole product's result while memory stays bounded by the block.
"""
from __future__ import annotations

import os
import numpy as np
import scipy.sparse as sp

from dataforge.dedup.options import DEFAULT_BLOCK_ROWS
from dataforge.progress import PRODUCT_STEP, Progress


def resolve_threads(threads: int) -> int:
    """0 means every core."""
    return threads if threads > 0 else (os.cpu_count() or 1)


def top_n_pairs(left: sp.csr_matrix, right: sp.csr_matrix, top: int, threshold: float, threads: int = 0,
                block_rows: int = DEFAULT_BLOCK_ROWS, progress: Progress = None, kernel: str = "auto",
                common: np.ndarray = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each row of *left*, its *top* most similar rows of *right* with cosine > *threshold*.

    Rows are L2-normalised, so the dot product is the cosine.  ``top=0``
    keeps every pair above the threshold.  Returns ``(rows, cols, scores)``.
    *kernel*: ``brute`` is the seed's product (sp_matmul_topn over every
    pair); ``pruned`` (dataforge.dedup.pruned) skips the pairs that cannot
    reach the threshold and gives the same pairs and scores (keeping every
    name tied for a row's last place), even where its cost model finds
    nothing to skip (threshold above 0); ``auto`` is pruned whenever the
    threshold is above 0 and its cost model finds pairs to skip.  *common*: the pruned kernel's
    split of the features (:func:`dataforge.dedup.pruned.common_features`) when this product is
    part of a larger one whose scores it must equal bit for bit (Spark's tasks).
    """
    if kernel == "pruned" or (kernel == "auto" and threshold > 0):
        from dataforge.dedup.pruned import pruned_top_n

        result = pruned_top_n(left, right, top, threshold, resolve_threads(threads), block_rows, progress,
                              common=common, force=kernel == "pruned")
        if result is not None:
            return result
    return brute_top_n(left, right, top, threshold, threads, block_rows, progress)


def brute_top_n(left: sp.csr_matrix, right: sp.csr_matrix, top: int, threshold: float, threads: int = 0,
                block_rows: int = DEFAULT_BLOCK_ROWS, progress: Progress = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The seed's product, ``sp_matmul_topn(left, right.T, top, threshold)``, a block of rows at a time."""
    from sparse_dot_topn import sp_matmul_topn

    right_t = right.T.tocsr()  # sp_matmul_topn would copy a CSC transpose on every call
    top_n = top if top > 0 else max(right.shape[0], 1)
    n_threads = resolve_threads(threads)
    n = left.shape[0]
    rows, cols, scores = [], [], []
    if progress:
        progress(PRODUCT_STEP, 0, n)
    for start in range(0, n, block_rows):
        stop = min(start + block_rows, n)
        block = sp_matmul_topn(left[start:stop], right_t, top_n=top_n, threshold=threshold,
                               n_threads=n_threads if n_threads > 1 else None)
        block = block.tocoo()
        rows.append(block.row.astype(np.int64) + start)
        cols.append(block.col.astype(np.int64))
        scores.append(block.data)
        if progress:
            progress(PRODUCT_STEP, stop, n)
    if not rows:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(scores)
