"""Exact top-N cosine that never multiplies the pairs that cannot reach the threshold.

The brute-force product spends nearly all its time on the few n-grams that
half the names share (" Li", "Lim", "ted", "Ltd"): each such n-gram makes
every pair of those names a candidate, so the work grows with n squared.
Here the features are split by document frequency into the K most common
("common") and the rest ("rare"), and for a pair of rows x, y:

    x.y = x_rare.y_rare + x_common.y_common <= x_rare.y_rare + |x_common| |y_common|

(Cauchy-Schwarz on the common part).  So a pair that shares no rare feature
scores at most |x_common| |y_common|, which is at most the threshold t unless
both rows have |common| > t (the set H).  Every pair above t therefore either
shares a rare feature or lies inside H.  The kernel accumulates the rare
part only over the rare features' postings (short lists), adds H x H, drops a
candidate as soon as ``rare + |x_c||y_c| <= t`` and computes the common part
exactly (a merge of two short sorted lists) for the rest.  The scores are
the exact dot products, the same pairs as the brute force; only the order in
which the terms are summed differs (about 1e-16).  K is chosen per run from
a cost model: the rare postings' work (sum of df^2) plus |H|^2.

Compiled with numba (wheels on PyPI, no compiler needed); the per-row loop
runs in parallel over the threads asked for.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

try:
    import numba
    from numba import njit, prange
except ImportError:  # pragma: no cover - numba is a dependency; this keeps imports light in odd installs
    numba = None


def choose_common(document_frequency: np.ndarray, left_sq: sp.csr_matrix, right_sq: sp.csr_matrix,
                  threshold: float) -> int:
    """How many of the most frequent features to treat as common (the cheapest K by the cost model)."""
    order = np.argsort(-document_frequency, kind="stable")
    d = len(order)
    best_k, best_cost = 0, float((document_frequency.astype(np.float64) ** 2).sum())
    rank = np.empty(d, np.int64)
    rank[order] = np.arange(d)
    left_rank = rank[left_sq.indices]
    right_rank = rank[right_sq.indices]
    for k in (8, 16, 32, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 2048):
        if k >= d:
            break
        rare = document_frequency[order[k:]].astype(np.float64)
        cost = float((rare ** 2).sum())
        left_c = _row_sums(left_sq, left_rank < k)
        right_c = _row_sums(right_sq, right_rank < k)
        # a pair inside H costs a bound check and usually a merge of two common lists (measured: ~20 postings steps)
        cost += 20.0 * float(np.count_nonzero(left_c > threshold ** 2)) * float(np.count_nonzero(right_c > threshold ** 2))
        if cost < best_cost:
            best_k, best_cost = k, cost
    return best_k


def _row_sums(squares: sp.csr_matrix, mask: np.ndarray) -> np.ndarray:
    masked = sp.csr_matrix((np.where(mask, squares.data, 0.0), squares.indices, squares.indptr), shape=squares.shape)
    return np.asarray(masked.sum(axis=1)).ravel()


def split_common(matrix: sp.csr_matrix, common: np.ndarray) -> tuple[sp.csr_matrix, sp.csr_matrix, np.ndarray]:
    """(rare part, common part, norm of the common part) of each row."""
    is_common = common[matrix.indices]
    parts = []
    for keep in (~is_common, is_common):
        # copies: eliminate_zeros works in place on index arrays the matrix would otherwise share
        part = sp.csr_matrix((np.where(keep, matrix.data, 0.0), matrix.indices.copy(), matrix.indptr.copy()),
                             shape=matrix.shape)
        part.eliminate_zeros()
        part.sort_indices()
        parts.append(part)
    norms = np.sqrt(np.asarray(parts[1].multiply(parts[1]).sum(axis=1)).ravel())
    return parts[0], parts[1], norms


if numba is not None:
    @njit(cache=True, nogil=True)
    def _common_dot(ci_idx, ci_val, cj_idx, cj_val):
        a = 0
        b = 0
        total = 0.0
        while a < len(ci_idx) and b < len(cj_idx):
            if ci_idx[a] == cj_idx[b]:
                total += ci_val[a] * cj_val[b]
                a += 1
                b += 1
            elif ci_idx[a] < cj_idx[b]:
                a += 1
            else:
                b += 1
        return total

    @njit(cache=True, nogil=True)
    def _row(i, l_rp, l_ri, l_rd, l_cp, l_ci, l_cd, l_norm, r_cp, r_ci, r_cd, r_norm, t_ptr, t_idx, t_val,
             hot_right, threshold, acc, seen, touched, out_col, out_val):
        """Candidates of left row i scoring above the threshold: count written to out_*."""
        n_touched = 0
        for p in range(l_rp[i], l_rp[i + 1]):
            f = l_ri[p]
            w = l_rd[p]
            for q in range(t_ptr[f], t_ptr[f + 1]):
                j = t_idx[q]
                if not seen[j]:
                    seen[j] = True
                    touched[n_touched] = j
                    n_touched += 1
                acc[j] += w * t_val[q]
        ci = l_norm[i]
        if ci > threshold:
            for h in range(len(hot_right)):
                j = hot_right[h]
                if not seen[j]:
                    seen[j] = True
                    touched[n_touched] = j
                    n_touched += 1
        found = 0
        li_idx = l_ci[l_cp[i]:l_cp[i + 1]]
        li_val = l_cd[l_cp[i]:l_cp[i + 1]]
        for k in range(n_touched):
            j = touched[k]
            partial = acc[j]
            acc[j] = 0.0
            seen[j] = False
            if partial + ci * r_norm[j] > threshold:
                score = partial + _common_dot(li_idx, li_val, r_ci[r_cp[j]:r_cp[j + 1]], r_cd[r_cp[j]:r_cp[j + 1]])
                if score > threshold:
                    out_col[found] = j
                    out_val[found] = score
                    found += 1
        return found

    @njit(cache=True, parallel=True)
    def _block(start, stop, top, chunks, l_rp, l_ri, l_rd, l_cp, l_ci, l_cd, l_norm, r_cp, r_ci, r_cd, r_norm,
               t_ptr, t_idx, t_val, hot_right, threshold, scratch_acc, scratch_seen, scratch_idx, scratch_val,
               counts, cols, vals, capacity):
        """Rows start..stop of the left matrix: each row's best `top` (all when top == 0, then
        `counts` from a first pass size the output) into cols/vals at the row's offset.
        Each chunk of rows has its own scratch row (allocated by the caller: numba may hoist
        an allocation out of a parallel loop and share it between threads)."""
        rows = stop - start
        per_chunk = (rows + chunks - 1) // chunks
        for c in prange(chunks):
            acc = scratch_acc[c]
            seen = scratch_seen[c]
            touched = scratch_idx[c, 0]
            row_col = scratch_idx[c, 1]
            row_val = scratch_val[c]
            for r in range(c * per_chunk, min((c + 1) * per_chunk, rows)):
                i = start + r
                found = _row(i, l_rp, l_ri, l_rd, l_cp, l_ci, l_cd, l_norm, r_cp, r_ci, r_cd, r_norm, t_ptr, t_idx,
                             t_val, hot_right, threshold, acc, seen, touched, row_col, row_val)
                if capacity == 0:  # first pass of an unlimited top: count only
                    counts[r] = found
                    continue
                keep = found
                if top > 0 and found > top:
                    # best first; equal scores: the lower column first
                    by_col = np.argsort(row_col[:found])
                    order = by_col[np.argsort(-row_val[:found][by_col], kind="mergesort")][:top]
                    keep = top
                else:
                    order = np.arange(found)
                base = counts[r]
                for k in range(keep):
                    cols[base + k] = row_col[order[k]]
                    vals[base + k] = row_val[order[k]]
                counts[r] = base + keep  # end of this row's entries


def pruned_top_n(left: sp.csr_matrix, right: sp.csr_matrix, top: int, threshold: float, threads: int,
                 block_rows: int, progress=None):
    """Same contract as kernel.top_n_pairs: (rows, cols, scores) of each left row's best `top`
    right rows scoring above `threshold` (> 0); None when the brute force would be as cheap
    (or numba is missing).  Equal scores at a row's last place: the lower column is kept."""
    if numba is None or threshold <= 0:
        return None
    left = left.tocsr().astype(np.float64)
    right = right.tocsr().astype(np.float64)
    d = right.shape[1]
    n_left, n_right = left.shape[0], right.shape[0]
    frequency = np.bincount(right.indices, minlength=d) + np.bincount(left.indices, minlength=d)
    left_sq = left.multiply(left).tocsr()
    right_sq = right.multiply(right).tocsr()
    k = choose_common(frequency, left_sq, right_sq, threshold)
    if k == 0:
        return None  # nothing to gain over the brute-force product: the caller runs that
    common = np.zeros(d, bool)
    common[np.argsort(-frequency, kind="stable")[:k]] = True
    l_rare, l_common, l_norm = split_common(left, common)
    r_rare, r_common, r_norm = split_common(right, common)
    postings = r_rare.T.tocsr()
    hot_right = np.flatnonzero(r_norm > threshold).astype(np.int64)
    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    chunks = max(1, threads) * 2
    scratch = (np.zeros((chunks, n_right), np.float64), np.zeros((chunks, n_right), np.bool_),
               np.empty((chunks, 2, n_right), np.int64), np.empty((chunks, n_right), np.float64))
    rows_out, cols_out, vals_out = [], [], []
    arrays = (l_rare.indptr.astype(np.int64), l_rare.indices.astype(np.int64), l_rare.data,
              l_common.indptr.astype(np.int64), l_common.indices.astype(np.int64), l_common.data, l_norm,
              r_common.indptr.astype(np.int64), r_common.indices.astype(np.int64), r_common.data, r_norm,
              postings.indptr.astype(np.int64), postings.indices.astype(np.int64), postings.data, hot_right)
    if progress:
        progress(0, n_left)
    for start in range(0, n_left, block_rows):
        stop = min(start + block_rows, n_left)
        rows = stop - start
        counts = np.zeros(rows, np.int64)
        if top > 0:
            counts[:] = np.arange(rows, dtype=np.int64) * top
            capacity = rows * top
        else:
            empty_c, empty_v = np.empty(0, np.int64), np.empty(0, np.float64)
            _block(start, stop, 0, chunks, *arrays, threshold, *scratch, counts, empty_c, empty_v, 0)
            ends = np.cumsum(counts)
            capacity = int(ends[-1]) if rows else 0
            counts[:] = ends - counts
        cols = np.empty(max(capacity, 1), np.int64)
        vals = np.empty(max(capacity, 1), np.float64)
        begins = counts.copy()
        if capacity:
            _block(start, stop, top, chunks, *arrays, threshold, *scratch, counts, cols, vals, capacity)
        lengths = counts - begins
        keep = np.repeat(begins, lengths) + (np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths,
                                                                                   lengths))
        rows_out.append(np.repeat(np.arange(start, stop, dtype=np.int64), lengths))
        cols_out.append(cols[keep])
        vals_out.append(vals[keep])
        if progress:
            progress(stop, n_left)
    if not rows_out:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)
    return np.concatenate(rows_out), np.concatenate(cols_out), np.concatenate(vals_out)
