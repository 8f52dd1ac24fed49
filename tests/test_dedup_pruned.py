"""The pruned kernel gives the brute-force product's pairs and scores (issue: exact, not approximate)."""
from __future__ import annotations

import random
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from dataforge.dedup import match_names
from dataforge.dedup.kernel import brute_top_n, tfidf_matrix
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
    """Equal pairs and scores (1e-9), except that where several candidates tie for a row's last
    place the two kernels may keep different ones (brute force leaves that order unspecified)."""
    for key in set(brute) & set(pruned):
        assert abs(brute[key] - pruned[key]) < 1e-9
    kept = defaultdict(list)
    for (row, _), score in pruned.items():
        kept[row].append(score)
    brute_kept = defaultdict(list)
    for (row, _), score in brute.items():
        brute_kept[row].append(score)
    for key in set(brute) ^ set(pruned):
        row = key[0]
        score = brute.get(key, pruned.get(key))
        assert top and len(kept[row]) == top and abs(min(kept[row]) - score) < 1e-9, f"not a tie: {key} {score}"
    for row in set(kept) | set(brute_kept):
        assert len(kept[row]) == len(brute_kept[row])


@pytest.mark.parametrize("data", sorted(DATA))
@pytest.mark.parametrize("threshold", [0.3, 0.6, 0.8, 0.95])
@pytest.mark.parametrize("top", [1, 10, 0])
def test_pruned_equals_brute_force(data, threshold, top):
    matrix = tfidf_matrix(DATA[data]())
    brute = as_dict(brute_top_n(matrix, matrix, top, threshold, threads=2, block_rows=1000))
    result = pruned_top_n(matrix, matrix, top, threshold, threads=2, block_rows=1000)
    if result is None:  # the cost model chose the brute force: nothing to compare
        pytest.skip("cost model picked the brute force")
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
