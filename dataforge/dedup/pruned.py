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
shares a rare feature or lies inside H.  The kernel accumulates the rare part
only over the rare features' postings (short lists), adds the pairs of H whose
|x_c||y_c| reaches t (H is kept by norm, descending, so a row stops at the
first that cannot), drops a candidate as soon as ``rare + |x_c||y_c|`` cannot
reach the row's cut and computes the common part exactly for the rest.  K is
chosen per run from a cost model: the rare postings' work (sum of
df_left * df_right) plus those pairs of H, each weighed as HOT_PAIR_STEPS
postings steps (measured: the model then picks the fastest K, or one within
about 10% of it, at thresholds 0.4 and 0.6 from 100k to 1M names).

Three more savings, none of which changes the result:

- Matching a list with itself, each pair is scored once (row i only looks at
  rows j > i) and offered to both rows' top N.
- Each row keeps its best N in a small heap ordered by (score descending,
  column ascending); once a row's heap is full, its N-th best is a cut that
  a candidate must reach.  The order is total, so the heaps end up holding
  exactly the N best pairs whatever order they were found in: the result
  does not depend on the number of threads.
- Rows are dealt to the threads in turn (i = c, c + threads, ...), so the
  shrinking work of later rows in a self-join is shared evenly.

The scores are the exact dot products, the same pairs as the brute force;
only the order in which the terms are summed differs (about 1e-16), and of
several names tied for a row's last place the one with the lowest column is
kept (the brute force leaves that choice unspecified).

Compiled with numba (wheels on PyPI, no compiler needed).
"""
from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np
import scipy.sparse as sp

from dataforge.progress import PRODUCT_STEP

try:
    import numba
    from numba import njit, prange
except ImportError:  # pragma: no cover - numba is a dependency; this keeps imports light in odd installs
    numba = None

# a bound and a score are summed in different orders: allow for the last bits
BOUND_SLACK = 1e-12
# names tied with a row's top-th score that are kept beside its top N (at least top more)
TIE_ROOM = 10
# scores this close are a tie: identical vectors score 1 +- a few ulps, summed in different orders
TIE_EPS = 1e-12
# pairs a thread collects before they are merged into the heaps
BUFFER_PAIRS = 1 << 20
# candidates ahead of the one scored whose row is fetched (measured: 8 to 16 alike)
PREFETCH_AHEAD = 8


def choose_common(left_df: np.ndarray, right_df: Optional[np.ndarray], left_sq: sp.csr_matrix,
                  right_sq: sp.csr_matrix, threshold: float) -> int:
    """How many of the most frequent features to treat as common (the cheapest K by the cost model),
    from the features' document frequencies on each side (*right_df* None: a self-join)."""
    self_join = right_df is None
    left_df = left_df.astype(np.float64)
    right_df = left_df if self_join else right_df.astype(np.float64)
    order = np.argsort(-(left_df + right_df), kind="stable")
    d = len(order)
    # the rare postings' steps with the K most frequent features common: a suffix sum over the order
    steps = np.concatenate([np.cumsum((left_df * right_df)[order][::-1])[::-1], [0.0]]) / (2.0 if self_join else 1.0)
    best_k, best_cost = 0, float(steps[0])
    rank = np.empty(d, np.int64)
    rank[order] = np.arange(d)
    # every row's squared norm over the K most common features, for each K tried, in one pass a side
    ks = [k for k in (8, 16, 32, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 2048) if k < d]
    sides = [_common_squares(_sample_rows(left_sq), rank, ks)]
    sides.append(sides[0] if self_join else _common_squares(_sample_rows(right_sq), rank, ks))
    scale = left_sq.shape[0] / max(len(sides[0]), 1) * right_sq.shape[0] / max(len(sides[1]), 1)
    for column, k in enumerate(ks):
        # the hot pairs the kernel meets: |x_c||y_c| reaches t (each costs an exact common dot)
        left, right = sides[0][:, column], np.sort(sides[1][:, column])
        hot = left[left > threshold ** 2]
        met = float((len(right) - np.searchsorted(right, threshold ** 2 / hot, side="left")).sum()) * scale
        cost = float(steps[k]) + HOT_PAIR_STEPS * met / (2.0 if self_join else 1.0)
        if cost < best_cost:
            best_k, best_cost = k, cost
    return best_k


# a hot pair whose common norms' product reaches t costs about this many postings steps (measured)
HOT_PAIR_STEPS = 50.0
# the cost model counts the rows of H on at most this many rows (K changes the speed, never the result)
COST_SAMPLE_ROWS = 200_000


def _sample_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Evenly spaced rows of *matrix*, at most COST_SAMPLE_ROWS (all of them when it is smaller)."""
    if matrix.shape[0] <= COST_SAMPLE_ROWS:
        return matrix
    return matrix[np.linspace(0, matrix.shape[0] - 1, COST_SAMPLE_ROWS).astype(np.int64)]


def _common_squares(squares: sp.csr_matrix, rank: np.ndarray, ks: list) -> np.ndarray:
    """rows x len(ks): each row's sum of squares over the features ranked below each K."""
    n = squares.shape[0]
    entry_rank = rank[squares.indices]
    rows = np.repeat(np.arange(n), np.diff(squares.indptr))
    keep = entry_rank < (ks[-1] if ks else 0)
    # the first K that holds each entry, then a running sum over the Ks
    column = np.searchsorted(np.asarray(ks), entry_rank[keep], side="right")
    flat = np.bincount(rows[keep] * len(ks) + column, weights=squares.data[keep], minlength=n * len(ks))
    return np.cumsum(flat.reshape(n, len(ks)), axis=1)


def _csr_arrays(matrix: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """indptr (int64), indices (int32 where they fit, as scipy keeps them) and data of a CSR matrix."""
    indices = matrix.indices if matrix.indices.dtype in (np.int32, np.int64) else matrix.indices.astype(np.int64)
    return matrix.indptr.astype(np.int64), indices, matrix.data


def by_rarest_feature(matrix: sp.csr_matrix, frequency: np.ndarray) -> np.ndarray:
    """An order of the rows by their rarest feature (fewest rows, then lowest index)."""
    n, d = matrix.shape[0], len(frequency)
    key = np.full(n, np.iinfo(np.int64).max, np.int64)
    filled = np.diff(matrix.indptr) > 0
    if matrix.nnz:
        values = frequency[matrix.indices].astype(np.int64) * d + matrix.indices
        key[filled] = np.minimum.reduceat(values, matrix.indptr[:-1][filled])
    return np.argsort(key, kind="stable")


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
    from llvmlite import ir
    from numba.core import cgutils, types
    from numba.extending import intrinsic

    @intrinsic
    def _prefetch(typingctx, array, index):
        """Ask the CPU to start loading array[index] (no fault if out of bounds): a row's parts are then
        on their way while the candidates before it are scored (measured: a CSR row behind its indptr
        entry at random, 100 ns to 40 ns)."""
        def codegen(context, builder, signature, args):
            data = context.make_array(signature.args[0])(context, builder, args[0]).data
            pointer = builder.bitcast(builder.gep(data, [args[1]]), ir.IntType(8).as_pointer())
            name = "llvm.prefetch.p0" if getattr(pointer.type, "is_opaque", False) else "llvm.prefetch.p0i8"
            i32 = ir.IntType(32)
            function = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(ir.VoidType(), [pointer.type, i32, i32, i32]), name)
            # a read, kept in every cache level, of data
            builder.call(function, [pointer, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
            return context.get_dummy_value()
        return types.void(array, index), codegen

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
    def _row(i, self_join, l_rp, l_ri, l_rd, l_cp, l_ci, l_cd, l_norm, r_cp, r_ci, r_cd, r_norm, t_start, t_stop,
             t_idx, t_val, t_norm, hot_right, threshold, cut, acc, touched, dense, out_j, out_s, at):
        """Candidates of left row i (only j > i in a self-join) that can enter row i's or row j's
        top N, written to out_j/out_s from position `at`; returns the new end.  Feature f's postings
        walked are t_start[f] to t_stop[f] (a tile of the right rows, or all of them)."""
        n_touched = 0
        ci = l_norm[i]
        for p in range(l_rp[i], l_rp[i + 1]):
            f = l_ri[p]
            w = l_rd[p]
            q = t_stop[f] - 1
            first = t_start[f]
            while q >= first:  # postings are sorted by row: walk down to the rows after i
                j = t_idx[q]
                if self_join and j <= i:
                    break
                a = acc[j]
                if a == 0.0:  # weights are positive: a touched row's sum is above 0
                    touched[n_touched] = j
                    n_touched += 1
                    a = ci * t_norm[q]  # the bound starts at |x_c||y_c|, carried by the posting
                acc[j] = a + w * t_val[q]
                q -= 1
        if ci > threshold:
            for h in range(len(hot_right)):  # by norm, descending: stop where |x_c||y_c| falls below t
                j = hot_right[h]
                if ci * r_norm[j] + BOUND_SLACK < threshold:
                    break
                if (self_join and j <= i) or acc[j] != 0.0:
                    continue
                touched[n_touched] = j
                n_touched += 1
                acc[j] = ci * r_norm[j]  # nothing rare shared: the bound is |x_c||y_c| (> t^2 > 0)
        for p in range(l_cp[i], l_cp[i + 1]):  # row i's common part, spread out: a pair's is then a gather
            dense[l_ci[p]] = l_cd[p]
        cut_i = cut[i]
        # first the bounds: the candidates that can enter a top N are kept at the front of `touched`,
        # their bounds in the free part of out_s (scores are written at or before a bound's place)
        n_cand = 0
        for k in range(n_touched):
            j = touched[k]
            bound = acc[j] + BOUND_SLACK
            acc[j] = 0.0
            if bound < threshold:  # most candidates: no need to read row j's cut
                continue
            need = min(cut_i, cut[j]) if self_join else cut_i
            if bound >= need:
                touched[n_cand] = j
                out_s[at + n_cand] = bound
                n_cand += 1
        # then the exact common dots, each row's parts fetched a few candidates ahead (a row's
        # indptr entry, then its entries: two dependent loads from anywhere in the right side)
        base = at
        for k in range(n_cand):
            if k + 2 * PREFETCH_AHEAD < n_cand:
                ahead = touched[k + 2 * PREFETCH_AHEAD]
                _prefetch(r_cp, ahead)
                _prefetch(r_norm, ahead)
                if self_join:
                    _prefetch(cut, ahead)
            if k + PREFETCH_AHEAD < n_cand:
                start = r_cp[touched[k + PREFETCH_AHEAD]]
                _prefetch(r_ci, start)
                _prefetch(r_cd, start)
            j = touched[k]
            bound = out_s[base + k]
            need = min(cut_i, cut[j]) if self_join else cut_i
            # the common dot in row j's order of features, as _common_dot sums it (the terms of
            # features i lacks are exact zeros): the same bits from either end of the pair
            common_dot = 0.0
            for p in range(r_cp[j], r_cp[j + 1]):
                common_dot += dense[r_ci[p]] * r_cd[p]
            score = (bound - BOUND_SLACK - ci * r_norm[j]) + common_dot
            if score > threshold and score >= need:
                out_j[at] = j
                out_s[at] = score
                at += 1
        for p in range(l_cp[i], l_cp[i + 1]):
            dense[l_ci[p]] = 0.0
        return at

    @njit(cache=True, nogil=True)
    def _own(l_rp, l_rd, l_cp, l_ci, l_cd, l_norm):
        """Each row's score with itself, its terms summed as _row sums a pair's (the same bits
        whether a row meets itself in a self-join or in a product against all rows)."""
        n = len(l_norm)
        out = np.empty(n, np.float64)
        for i in range(n):
            ci = l_norm[i]
            a = ci * ci
            for p in range(l_rp[i], l_rp[i + 1]):
                a = a + l_rd[p] * l_rd[p]
            bound = a + BOUND_SLACK
            idx = l_ci[l_cp[i]:l_cp[i + 1]]
            val = l_cd[l_cp[i]:l_cp[i + 1]]
            out[i] = (bound - BOUND_SLACK - ci * ci) + _common_dot(idx, val, idx, val)
        return out

    @njit(cache=True, parallel=True)
    def _rows(cursor, stop, step, budget, self_join, l_rp, l_ri, l_rd, l_cp, l_ci, l_cd, l_norm, r_cp, r_ci,
              r_cd, r_norm, t_start, t_stop, t_idx, t_val, t_norm, hot_right, threshold, cut, scratch_acc,
              scratch_touched, scratch_dense, buf_i, buf_j, buf_s, filled, room):
        """Each thread c takes rows cursor[c], cursor[c] + step, ... below stop, at most `budget`
        of them, and stops early when its buffer could overflow (a row can add up to `room`
        pairs).  Cursors and buffer fills are left where each thread stopped."""
        for c in prange(len(cursor)):
            acc = scratch_acc[c]
            touched = scratch_touched[c]
            at = filled[c]
            i = cursor[c]
            done = 0
            capacity = buf_j.shape[1]
            while i < stop and done < budget and at + room <= capacity:
                end = _row(i, self_join, l_rp, l_ri, l_rd, l_cp, l_ci, l_cd, l_norm, r_cp, r_ci, r_cd, r_norm,
                           t_start, t_stop, t_idx, t_val, t_norm, hot_right, threshold, cut, acc, touched,
                           scratch_dense[c],
                           buf_j[c], buf_s[c], at)
                for k in range(at, end):
                    buf_i[c, k] = i
                at = end
                i += step
                done += 1
            cursor[c] = i
            filled[c] = at

    @njit(cache=True, nogil=True)
    def _offer(row, col, score, top, heap_j, heap_s, held, cut):
        """Put (col, score) into row's list, kept sorted by score (descending) then column: its
        best `top` and whatever ties the top-th score, up to the list's room."""
        n = held[row]
        if n >= top and score < heap_s[row, top - 1] - TIE_EPS:
            return
        pos = n
        while pos > 0 and (heap_s[row, pos - 1] < score or (heap_s[row, pos - 1] == score and heap_j[row, pos - 1] > col)):
            pos -= 1
        room = heap_j.shape[1]
        if pos >= room:
            return
        for k in range(min(n, room - 1), pos, -1):
            heap_j[row, k] = heap_j[row, k - 1]
            heap_s[row, k] = heap_s[row, k - 1]
        heap_j[row, pos] = col
        heap_s[row, pos] = score
        n = min(n + 1, room)
        if n >= top:
            nth = heap_s[row, top - 1] - TIE_EPS
            while n > top and heap_s[row, n - 1] < nth:  # below the top-th score: never wanted again
                n -= 1
            cut[row] = nth
        held[row] = n

    @njit(cache=True, parallel=True)
    def _merge(buf_i, buf_j, buf_s, filled, self_join, top, heap_j, heap_s, held, cut):
        """Offer the buffered pairs to their rows' lists: thread c keeps the rows r with r % threads == c
        (each list sees its pairs in buffer order whatever the threads, and the order is total anyway)."""
        owners = len(filled)
        for c in prange(owners):
            for b in range(len(filled)):
                for k in range(filled[b]):
                    i = buf_i[b, k]
                    j = buf_j[b, k]
                    if i % owners == c:
                        _offer(i, j, buf_s[b, k], top, heap_j, heap_s, held, cut)
                    if self_join and j % owners == c:
                        _offer(j, i, buf_s[b, k], top, heap_j, heap_s, held, cut)
        filled[:] = 0


if numba is not None:
    @njit(cache=True, nogil=True)
    def _tile_starts(t_ptr, t_idx, tile_rows, tiles):
        """(tiles + 1) x features: where each feature's postings reach each tile of tile_rows rows."""
        d = len(t_ptr) - 1
        out = np.empty((tiles + 1, d), np.int64)
        for f in range(d):
            q = t_ptr[f]
            for k in range(tiles):
                lo = k * tile_rows
                while q < t_ptr[f + 1] and t_idx[q] < lo:
                    q += 1
                out[k, f] = q
            out[tiles, f] = t_ptr[f + 1]
        return out


def common_features(left: sp.csr_matrix, right: sp.csr_matrix, threshold: float, self_join: bool = None):
    """The features the pruned kernel treats as common for *left* against *right* (a boolean mask over
    the columns, from the cost model), or None when it would not beat the brute force (or cannot run).
    The split decides the order in which a score's terms are summed, so the parts of one product
    (Spark's tasks) are given the whole product's split: their scores are then the same bits."""
    if numba is None or threshold <= 0:
        return None
    if self_join is None:
        self_join = left is right
    if (left.nnz and left.data.min() <= 0) or (right.nnz and right.data.min() <= 0):
        return None  # the bounds assume positive weights, as TF-IDF's are
    left_sq = left.multiply(left).tocsr()
    right_sq = left_sq if self_join else right.multiply(right).tocsr()
    left_df = np.bincount(left.indices, minlength=right.shape[1])
    right_df = None if self_join else np.bincount(right.indices, minlength=right.shape[1])
    k = choose_common(left_df, right_df, left_sq, right_sq, threshold)
    if k == 0:
        return None
    common = np.zeros(right.shape[1], bool)
    common[np.argsort(-_frequency(left, right, self_join), kind="stable")[:k]] = True
    return common


def _frequency(left: sp.csr_matrix, right: sp.csr_matrix, self_join: bool) -> np.ndarray:
    d = right.shape[1]
    right_df = np.bincount(right.indices, minlength=d)
    return 2 * right_df if self_join else right_df + np.bincount(left.indices, minlength=d)


def pruned_top_n(left: sp.csr_matrix, right: sp.csr_matrix, top: int, threshold: float, threads: int,
                 block_rows: int, progress=None, self_join: bool = None, common: np.ndarray = None,
                 force: bool = False):
    """Same contract as kernel.top_n_pairs: (rows, cols, scores) of each left row's best `top`
    right rows scoring above `threshold` (> 0); None when the brute force would be as cheap
    (or numba is missing).  *self_join* (default: *left is right*) scores each pair once.
    *common* (from :func:`common_features`) is the split to use; by default this product's own.
    *force*: run the kernel even where the cost model finds nothing to skip (no feature common).
    Names tied with a row's top-th score are all kept (up to TIE_ROOM more)."""
    if numba is None or threshold <= 0:
        return None
    if self_join is None:
        self_join = left is right
    left = left.tocsr().astype(np.float64)
    right = left if self_join else right.tocsr().astype(np.float64)
    if common is None:
        common = common_features(left, right, threshold, self_join)
        if common is None and force and (not left.nnz or left.data.min() > 0) and (not right.nnz or right.data.min() > 0):
            common = np.zeros(right.shape[1], bool)
        if common is None:
            return None  # nothing to gain over the brute-force product: the caller runs that
    frequency = _frequency(left, right, self_join)
    # rows that share their rarest feature sit together: the postings then touch nearby memory
    # (measured: 20% less time at 100k names); the result is mapped back at the end
    left_order = by_rarest_feature(left, frequency)
    right_order = left_order if self_join else by_rarest_feature(right, frequency)
    left = left[left_order]
    right = left if self_join else right[right_order]
    l_rare, l_common, l_norm = split_common(left, common)
    right_side = RightSide.of(*split_common(right, common)) if not self_join else None
    del left, right  # only the two parts are used from here: a million names hold ~300 MB each
    rows, cols, scores = pruned_product(l_rare, l_common, l_norm, right_side, top, threshold, threads, block_rows,
                                        progress)
    return left_order[rows], right_order[cols], scores


# postings steps a thread takes between two progress reports (measured: ~2-5 ns a step on 2 cores)
WORK_PER_CALL = 200_000_000


def hot_rows(norm: np.ndarray, threshold: float) -> np.ndarray:
    """The rows whose common part could reach *threshold* with another row's (|y_c| > t), by that norm
    descending (ties by row): a row x meets them only while |x_c||y_c| can reach t."""
    hot = np.flatnonzero(norm > threshold).astype(np.int64)
    return hot[np.argsort(-norm[hot], kind="stable")]


def hot_met(l_norm: np.ndarray, r_norm: np.ndarray, hot_right: np.ndarray, threshold: float) -> np.ndarray:
    """How many of *hot_right* (from :func:`hot_rows`) each left row walks: none unless |x_c| > t, else
    those with |x_c||y_c| + slack >= t, as the kernel tests it."""
    norms = r_norm[hot_right]  # descending
    met = np.zeros(len(l_norm), np.int64)
    rows = np.flatnonzero(l_norm > threshold)
    if not len(rows) or not len(norms):
        return met
    ci = l_norm[rows]
    m = len(norms) - np.searchsorted(norms[::-1], (threshold - BOUND_SLACK) / ci, side="left")
    for _ in range(2):  # the division may sit an ulp off the kernel's product: settle the edge
        grow = (m < len(norms)) & (ci * norms[np.minimum(m, len(norms) - 1)] + BOUND_SLACK >= threshold)
        m = m + grow
        shrink = (m > 0) & (ci * norms[np.maximum(m - 1, 0)] + BOUND_SLACK < threshold)
        m = m - shrink
    met[rows] = m
    return met


def row_work(l_rare_a: tuple, postings: tuple, hot: np.ndarray, self_join: bool,
             walked: np.ndarray = None) -> np.ndarray:
    """Each left row's cost in the kernel: the postings steps it walks (in a self-join, only the
    rows after it), the hot rows it meets (*hot*, from :func:`hot_met`), and one for the row itself.
    *walked*: per feature, the postings walked (a tile's), when not all of them."""
    indptr, indices = l_rare_a[0], l_rare_a[1]
    p_ptr, p_rows = postings
    n = len(indptr) - 1
    if self_join:  # the postings of the rows' own features: each entry walks the entries after it
        after = np.repeat(p_ptr[1:], np.diff(p_ptr)) - np.arange(len(p_rows)) - 1
        steps = np.bincount(p_rows, weights=after, minlength=n)
    else:
        rows = np.repeat(np.arange(n), np.diff(indptr))
        steps = np.bincount(rows, weights=(np.diff(p_ptr) if walked is None else walked)[indices], minlength=n)
    return steps + hot + 1.0


class _DoneWork:
    """The share of the kernel's work done once each thread c has taken its rows c, c + threads, ...
    below cursor[c]."""

    def __init__(self, work: np.ndarray, threads: int):
        self.threads = threads
        self.total = max(float(work.sum()), 1.0)
        self.sums = [np.concatenate([[0.0], np.cumsum(work[c::threads])]) for c in range(threads)]

    def share(self, cursor: np.ndarray) -> float:
        done = 0.0
        for c in range(self.threads):
            taken = max(0, -(-(int(cursor[c]) - c) // self.threads))
            done += self.sums[c][min(taken, len(self.sums[c]) - 1)]
        return done / self.total


class RightSide(NamedTuple):
    """The right rows of a pruned product, ready for any left rows (what a saved index keeps):
    the common part of each row (CSR) and its norm, and the rare part by feature (postings: for
    each feature, its rows ascending and their weights)."""

    common_indptr: np.ndarray
    common_indices: np.ndarray
    common_data: np.ndarray
    norm: np.ndarray
    postings_indptr: np.ndarray
    postings_indices: np.ndarray
    postings_data: np.ndarray

    @classmethod
    def of(cls, rare: sp.csr_matrix, common: sp.csr_matrix, norm: np.ndarray) -> "RightSide":
        """From the rare and common parts of the rows (split_common)."""
        postings = rare.T.tocsr()
        postings.sort_indices()
        return cls(*_csr_arrays(common), norm, *_csr_arrays(postings))

    @property
    def rows(self) -> int:
        return len(self.norm)


# right rows a tile: a thread's sums for one tile (256 KiB) stay in its core's cache while every left row
# walks that tile's postings.  Measured: 10,000 names against 1,000,000, the kernel 5.2 s untiled, 2.3 s
# at 65,536, 1.8-2.2 s at 32,768 and 16,384; a self-join of 1,000,000 names 252 s untiled, 126 s
TILE_ROWS = 32_768


def _tile_works(starts: np.ndarray, t_ptr: np.ndarray, l_norm: np.ndarray, r_norm: np.ndarray, hot: list,
                threshold: float, tile_rows: int) -> list:
    """A self-join's work by tile, for the progress: each tile's postings steps (a feature's entries
    in the tile, met by its entries before the tile and by those inside after them), spread evenly
    over the rows that walk the tile (those before its end), plus the hot rows each meets."""
    n = len(l_norm)
    works = []
    for k in range(len(starts) - 1):
        inside = (starts[k + 1] - starts[k]).astype(np.float64)
        before = (starts[k] - t_ptr[:-1]).astype(np.float64)
        steps = float((before * inside + inside * (inside - 1) / 2).sum())
        rows = min(n, (k + 1) * tile_rows)
        met = hot_met(l_norm[:rows], r_norm, hot[k], threshold)
        works.append(np.full(rows, steps / max(rows, 1)) + met + 1.0)
    return works


def pruned_product(l_rare: sp.csr_matrix, l_common: sp.csr_matrix, l_norm: np.ndarray, right: "RightSide",
                   top: int, threshold: float, threads: int, block_rows: int, progress=None,
                   tile_rows: int = None):
    """(rows, cols, scores) of each left row's best *top* right rows above *threshold*, from the rows'
    parts split on one common set of features.  *right* None is the self-join (the left rows against
    themselves, each pair scored once).  Against other rows, the right rows are taken a tile of
    *tile_rows* (default TILE_ROWS) at a time (the result is the same for any tile)."""
    self_join = right is None
    n_left = l_rare.shape[0]
    l_rare_a, l_common_a = _csr_arrays(l_rare), _csr_arrays(l_common)
    own = _own(l_rare_a[0], l_rare_a[2], *l_common_a, l_norm) if self_join else None  # each name with itself
    if self_join:
        right = RightSide.of(l_rare, l_common, l_norm)
    n_right = right.rows
    r_common_a = right[:3]
    r_norm = right.norm
    postings_a = right[4:]
    hot_right = hot_rows(r_norm, threshold)
    threads = max(1, min(threads, numba.config.NUMBA_NUM_THREADS))
    numba.set_num_threads(threads)
    t_ptr, t_idx, t_val = postings_a
    tile_rows = TILE_ROWS if tile_rows is None else tile_rows
    tiles = max(1, -(-n_right // max(int(tile_rows), 1)))
    tile_rows = -(-n_right // tiles) if tiles == 1 else int(tile_rows)
    starts = np.stack([t_ptr[:-1], t_ptr[1:]]) if tiles == 1 else _tile_starts(t_ptr, t_idx, tile_rows, tiles)
    head = (*l_rare_a, *l_common_a, l_norm, *r_common_a, r_norm)
    tail = (t_idx, t_val, r_norm[t_idx])
    del l_rare, l_common, right
    scratch = (np.zeros((threads, n_right), np.float64), np.empty((threads, n_right), np.int64),
               np.zeros((threads, len(postings_a[0]) - 1), np.float64))  # acc, touched, dense (a common part)
    room = n_right  # the most pairs one row can add
    capacity = BUFFER_PAIRS + room  # a thread stops taking rows once it holds BUFFER_PAIRS
    buf_i = np.empty((threads, capacity), np.int64)
    buf_j = np.empty((threads, capacity), np.int64)
    buf_s = np.empty((threads, capacity), np.float64)
    filled = np.zeros(threads, np.int64)
    limit = top if top > 0 else 0
    cut = np.full(n_left, threshold, np.float64)  # what a pair must reach to enter a row's top N
    if limit:
        width = limit + max(limit, TIE_ROOM)
        heap_j = np.zeros((n_left, width), np.int64)
        heap_s = np.zeros((n_left, width), np.float64)
        held = np.zeros(n_left, np.int64)
        if self_join:  # a name is in its own top N, as in the brute force
            for i in np.flatnonzero(own > threshold):  # cheap next to the product; one code path for the heap
                _offer(i, i, own[i], limit, heap_j, heap_s, held, cut)
    found_i, found_j, found_s = [], [], []
    hot = [hot_right if tiles == 1 else hot_right[(hot_right >= k * tile_rows) & (hot_right < (k + 1) * tile_rows)]
           for k in range(tiles)]  # each tile's hot rows, still by norm
    if self_join and tiles > 1:
        works = _tile_works(starts, t_ptr, l_norm, r_norm, hot, threshold, tile_rows)
    else:
        works = [row_work(l_rare_a, (t_ptr, t_idx), hot_met(l_norm, r_norm, hot[k], threshold), self_join,
                          None if tiles == 1 else starts[k + 1] - starts[k]) for k in range(tiles)]
    total = max(sum(float(w.sum()) for w in works), 1.0)
    before = 0.0  # the work of the tiles done
    if progress:
        progress(PRODUCT_STEP, 0, n_left)
    for k in range(tiles):
        work = works[k]
        # a call of _rows takes about WORK_PER_CALL postings steps a thread (a second or so), so the
        # progress moves every few seconds even where rows cost a hundred times the average
        budget = int(np.clip(WORK_PER_CALL * len(work) / max(float(work.sum()), 1.0), 1,
                             max(1, block_rows // threads)))
        done_work = _DoneWork(work, threads)
        cursor = np.arange(threads, dtype=np.int64)
        arrays = (*head, starts[k], starts[k + 1], *tail, hot[k])
        stop = min(n_left, (k + 1) * tile_rows) if self_join else n_left  # later rows meet nothing after them
        while stop:
            _rows(cursor, stop, threads, budget, self_join, *arrays, threshold, cut, *scratch, buf_i, buf_j,
                  buf_s, filled, room)
            if limit:  # the cuts rise as the lists fill: the next tiles skip more
                _merge(buf_i, buf_j, buf_s, filled, self_join, limit, heap_j, heap_s, held, cut)
            else:
                for c in range(threads):
                    found_i.append(buf_i[c, :filled[c]].copy())
                    found_j.append(buf_j[c, :filled[c]].copy())
                    found_s.append(buf_s[c, :filled[c]].copy())
                filled[:] = 0
            if progress:  # names' worth of work: rows weighed by their postings steps, so the ETA holds
                share = (before + float(work.sum()) * done_work.share(cursor)) / total
                progress(PRODUCT_STEP, min(n_left, round(n_left * share)), n_left)
            if (cursor >= stop).all():
                break
        before += float(work.sum())
    if limit:
        rows = np.repeat(np.arange(n_left, dtype=np.int64), held)
        mask = np.arange(heap_j.shape[1])[None, :] < held[:, None]
        return rows, heap_j[mask], heap_s[mask]
    rows = np.concatenate(found_i) if found_i else np.empty(0, np.int64)
    cols = np.concatenate(found_j) if found_j else np.empty(0, np.int64)
    scores = np.concatenate(found_s) if found_s else np.empty(0, np.float64)
    if self_join:  # each pair was scored once: give it to both rows, and each row itself
        diagonal = np.flatnonzero(own > threshold).astype(np.int64)
        rows, cols = np.concatenate([rows, cols, diagonal]), np.concatenate([cols, rows, diagonal])
        scores = np.concatenate([scores, scores, own[diagonal]])
    return rows, cols, scores
