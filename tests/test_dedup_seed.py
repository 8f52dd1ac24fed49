"""dedup match against the seed notebook's own pipeline, kept verbatim in benchmarks/seed/."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dataforge.dedup import match_names
from dataforge.dedup.normalise import seed_ngrams
from tests.conftest import seed_pipeline

SEED = seed_pipeline()
EXAMPLE = ["Royal Bank", "The Royal Bank", "Clydesdale Bank", "Clydesdale Banking"]


def name_pairs(frame: pd.DataFrame, left="left_name", right="right_name", score="similarity") -> dict:
    """{frozenset of two different names: similarity}."""
    out = {}
    for a, b, s in zip(frame[left], frame[right], frame[score]):
        if a != b:
            out[frozenset((a, b))] = max(s, out.get(frozenset((a, b)), 0.0))
    return out


def test_seed_worked_example_scores():
    pairs = match_names(pd.Series(EXAMPLE), threshold=0.05)
    scores = name_pairs(pairs)
    assert scores[frozenset(("Royal Bank", "The Royal Bank"))] == pytest.approx(0.74382013, abs=1e-6)
    assert scores[frozenset(("Clydesdale Bank", "Clydesdale Banking"))] == pytest.approx(0.78967928, abs=1e-6)
    assert scores[frozenset(("Royal Bank", "Clydesdale Bank"))] == pytest.approx(0.19373958, abs=1e-6)
    assert scores[frozenset(("Royal Bank", "Clydesdale Banking"))] == pytest.approx(0.10751709, abs=1e-6)
    assert len(pairs) == 6  # every unordered pair once, never a name with itself


def test_seed_worked_example_at_default_threshold_keeps_only_the_two_true_pairs():
    pairs = match_names(pd.Series(EXAMPLE))
    assert set(name_pairs(pairs)) == {frozenset(("Royal Bank", "The Royal Bank")),
                                      frozenset(("Clydesdale Bank", "Clydesdale Banking"))}


@pytest.mark.parametrize("name", ["AVOCHIE HOME FARM PARTNERSHIP", "Smith & Sons, Ltd.", "  x  ", "", "A-B,C!",
                                  "Café Ünïcode GmbH", "123"])
def test_ngrams_are_the_seeds(name):
    assert seed_ngrams(name) == SEED.ngram(name)


def test_pairs_and_scores_equal_the_seed_pipeline(companies_csv):
    frame = pd.read_csv(companies_csv, dtype=str, keep_default_na=False)
    company_list = frame["CompanyName"].unique()
    seed = SEED.get_matches_df(SEED.seed_matches(company_list), company_list, top=None)
    expected = name_pairs(seed, "left_side", "right_side")
    assert len(expected) > 500  # the planted duplicates give plenty of pairs to compare

    brute = name_pairs(match_names(frame["CompanyName"], frame[" CompanyNumber"], kernel="brute"))
    assert set(brute) == set(expected)  # the seed's own product, a block at a time
    assert max(abs(brute[k] - expected[k]) for k in expected) < 1e-6

    ours = match_names(frame["CompanyName"], frame[" CompanyNumber"])  # the default, pruned kernel
    got = name_pairs(ours)
    assert set(got) >= set(expected)  # every seed pair; beyond them only names tied for a last place
    assert len(got) - len(expected) <= 0.01 * len(expected)
    assert max(abs(got[k] - expected[k]) for k in expected) < 1e-6

    # records that share a name are pairs at 1.0, and no record pairs with itself
    counts = frame["CompanyName"].value_counts()
    same = ours[ours.left_name == ours.right_name]
    assert len(same) == int((counts * (counts - 1) // 2).sum()) > 0
    assert (same.similarity == 1.0).all()
    assert not (ours.left_id == ours.right_id).any()
    # one row per unordered pair of records, best first
    keys = {frozenset(p) for p in zip(ours.left_id, ours.right_id)}
    assert len(keys) == len(ours)
    assert np.all(np.diff(ours.similarity.to_numpy()) <= 0)


def test_blocks_and_threads_do_not_change_the_result(companies_csv):
    names = pd.read_csv(companies_csv, dtype=str, keep_default_na=False)["CompanyName"]
    whole = match_names(names, block_rows=100_000, threads=1)
    for block_rows, threads in [(1, 1), (97, 2), (1000, 2)]:
        pd.testing.assert_frame_equal(match_names(names, block_rows=block_rows, threads=threads), whole)
