"""The pruned kernel gives the brute-force product's pairs and scores (issue: exact, not approximate)."""
from __future__ import annotations

import random
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from dataforge.dedup import match_names
from dataforge.dedup.kernel import brute_top_n
from dataforge.dedup.vectorise import tfidf_matrix
from dataforge.dedup.pruned import pruned_top_n
from dataforge.synthetic import companies


def random_names(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ     &-,.0123"
    return list(dict.fromkeys("".join(rng.choice(letters) for _ in range(rng.randint(3, 30))) for _ in range(n)))


def cluster_names(n: int, seed: int) -> list[str]:
    """Heavy near-duplicate clusters: every entity registered several times with variants."""
    return list(dict.fromkeys(c.name for c in companies(n, seed=seed, duplicate_rate=0.6, repeat_rate=0.0)))


DATA = {
    "synthetic": lambda: list(dict.fromkeys(c.name for c in companies(4000, seed=21))),
    "random": lambda: random_names(3000, 5),
    "clusters": lambda: cluster_names(3000, 8),
    "seed example": lambda: ["Royal Bank", "The Royal Bank", "Clydesdale Bank", "Clydesdale Banking"],
}


def as_dict(result) -> dict:
    rows, cols, scores = result
    return {(int(r), int(c)): float(s) for r, c, s in zip(rows, cols, scores)}


def assert_same_up_to_ties(brute: dict, pruned: dict, top: int) -> None:
    """Every brute-force pair with its score (1e-9); beyond them, the pruned kernel keeps only
    names tied with a full row's top-th score (brute force keeps an unspecified one of those)."""
    missing = set(brute) - set(pruned)
    assert not missing, f"brute-force pairs the pruned kernel lost: {sorted(missing)[:5]}"
    for key in brute:
        assert abs(brute[key] - pruned[key]) < 1e-9
    brute_kept = defaultdict(list)
    for (row, _), score in brute.items():
        brute_kept[row].append(score)
    for key in set(pruned) - set(brute):
        row, score = key[0], pruned[key]
        assert top and len(brute_kept[row]) == top and abs(min(brute_kept[row]) - score) < 1e-9, \
            f"not a tie: {key} {score}"


def test_ties_for_the_last_place_are_all_kept():
    """Four copies of one name (identical vectors) and a query whose top 2 must choose among them."""
    names = ["ACME WIDGETS LIMITED", "ACME WIDGETS LIMITED.", "ACME WIDGETS LIMITED,", "ACME-WIDGETS LIMITED",
             "ACME WIDGET LIMITED"]
    matrix = tfidf_matrix(names)
    rows, cols, scores = pruned_top_n(matrix, matrix, 2, 0.5, threads=1, block_rows=10)
    query = {int(c): s for r, c, s in zip(rows, cols, scores) if r == 4}
    assert set(query) == {0, 1, 2, 3, 4}  # itself first, then the four tied for second place
    others = {c: s for c, s in query.items() if c != 4}
    assert set(others) == {0, 1, 2, 3} and len(set(others.values())) == 1  # all four tie, all four kept


@pytest.mark.parametrize("data", sorted(DATA))
@pytest.mark.parametrize("threshold", [0.3, 0.6, 0.8, 0.95])
@pytest.mark.parametrize("top", [1, 10, 0])
def test_pruned_equals_brute_force(data, threshold, top):
    matrix = tfidf_matrix(DATA[data]())
    brute = as_dict(brute_top_n(matrix, matrix, top, threshold, threads=2, block_rows=1000))
    result = pruned_top_n(matrix, matrix, top, threshold, threads=2, block_rows=1000)
    if data == "seed example" and threshold < 0.5:
        # four names at a low threshold: the cost model rightly picks the brute force; the kernel is tested
        # on them anyway (no n-gram common), as kernel="pruned" runs it
        assert result is None
        result = pruned_top_n(matrix, matrix, top, threshold, threads=2, block_rows=1000, force=True)
    # every other case here is one the cost model prunes: a change that sends them to the brute force fails
    assert result is not None, "the cost model chose the brute force, so the pruned kernel was not tested"
    assert_same_up_to_ties(brute, as_dict(result), top)


@pytest.mark.parametrize("threshold", [0.5, 0.8])
def test_pruned_against_a_master_list_equals_brute_force(threshold):
    names = cluster_names(3000, 9)
    vectors = tfidf_matrix(names)
    left, right = vectors[:1000], vectors[1000:]
    brute = as_dict(brute_top_n(left, right, 10, threshold, threads=1, block_rows=300))
    result = pruned_top_n(left, right, 10, threshold, threads=1, block_rows=300)
    assert result is not None
    assert_same_up_to_ties(brute, as_dict(result), 10)


def test_seed_example_through_the_pruned_kernel():
    names = pd.Series(["Royal Bank", "The Royal Bank", "Clydesdale Bank", "Clydesdale Banking"])
    pairs = match_names(names, threshold=0.1, kernel="pruned")
    scores = {frozenset((a, b)): s for a, b, s in zip(pairs.left_name, pairs.right_name, pairs.similarity)}
    assert scores[frozenset(("Royal Bank", "The Royal Bank"))] == pytest.approx(0.74382013, abs=1e-6)
    assert scores[frozenset(("Clydesdale Bank", "Clydesdale Banking"))] == pytest.approx(0.78967928, abs=1e-6)
    assert scores[frozenset(("Royal Bank", "Clydesdale Bank"))] == pytest.approx(0.19373958, abs=1e-6)


def test_match_names_kernels_agree_on_records(companies_csv):
    frame = pd.read_csv(companies_csv, dtype=str, keep_default_na=False)
    brute = match_names(frame.CompanyName, frame[" CompanyNumber"], kernel="brute", top=0)
    pruned = match_names(frame.CompanyName, frame[" CompanyNumber"], kernel="pruned", top=0)
    # the same pairs; order may differ among scores that differ by float noise (1.0 vs 0.9999999999999998)
    brute, pruned = (frame.sort_values(["left_id", "right_id"]).reset_index(drop=True) for frame in (brute, pruned))
    pd.testing.assert_frame_equal(brute[["left_id", "right_id"]], pruned[["left_id", "right_id"]])
    assert np.abs(brute.similarity.to_numpy() - pruned.similarity.to_numpy()).max() < 1e-9


@pytest.mark.parametrize("self_join", [True, False])
def test_row_work_counts_the_postings_steps_and_hot_rows_each_row_walks(self_join):
    """The progress bar weighs rows by this count (its ETA holds where rows differ a hundredfold in cost)."""
    from dataforge.dedup.pruned import BOUND_SLACK, RightSide, _csr_arrays, hot_met, hot_rows, row_work, split_common

    matrix = tfidf_matrix(DATA["clusters"]()[:400], 3)
    left, right = (matrix, matrix) if self_join else (matrix[:150], matrix[150:])
    common = np.zeros(matrix.shape[1], bool)
    common[np.argsort(-np.bincount(matrix.indices, minlength=matrix.shape[1]))[:40]] = True
    l_rare, _, l_norm = split_common(left, common)
    r_rare, r_common, r_norm = split_common(right, common)
    side = RightSide.of(r_rare, r_common, r_norm)
    hot = hot_rows(r_norm, 0.3)
    assert list(hot) == sorted(np.flatnonzero(r_norm > 0.3), key=lambda j: (-r_norm[j], j))
    met = hot_met(l_norm, r_norm, hot, 0.3)
    work = row_work(_csr_arrays(l_rare), (side.postings_indptr, side.postings_indices), met, self_join)
    rare_rows = [set(r_rare.indices[r_rare.indptr[j]:r_rare.indptr[j + 1]]) for j in range(right.shape[0])]
    for i in range(left.shape[0]):
        later = range(i + 1, right.shape[0]) if self_join else range(right.shape[0])
        steps = sum(f in rare_rows[j] for f in l_rare.indices[l_rare.indptr[i]:l_rare.indptr[i + 1]] for j in later)
        # the hot rows by norm, walked while |x_c||y_c| can reach t (in a self-join, rows before i too)
        walked = sum(1 for j in hot if l_norm[i] * r_norm[j] + BOUND_SLACK >= 0.3) if l_norm[i] > 0.3 else 0
        assert met[i] == walked
        assert work[i] == steps + walked + 1
    assert met.any() and (met < len(hot)).any()  # both parts of the count are exercised, and the stop


@pytest.mark.parametrize("self_join", [False, True])
@pytest.mark.parametrize("top", [3, 0])
def test_tiles_of_the_right_rows_give_the_same_bits(monkeypatch, top, self_join):
    """The kernel walks the right rows a tile at a time (its sums stay in cache): any tiling gives
    the same pairs and the same bits as one tile, and the brute force's pairs."""
    from dataforge.dedup import pruned

    names = cluster_names(3000, 9)
    vectors = tfidf_matrix(names)
    left, right = (vectors, vectors) if self_join else (vectors[:700], vectors[700:])
    results = []
    for tile in (10 ** 9, 1000, 97):
        monkeypatch.setattr(pruned, "TILE_ROWS", tile)
        results.append(as_dict(pruned_top_n(left, right, top, 0.5, threads=2, block_rows=200)))
    assert results[0] == results[1] == results[2]  # exact: keys and float scores
    brute = as_dict(brute_top_n(left, right, top, 0.5, threads=1, block_rows=300))
    assert_same_up_to_ties(brute, results[1], top)
