"""Pair, group and best-match quality against a truth, checked by brute-force counting."""
import itertools

import numpy as np
import pandas as pd
import pytest

from dataforge.dedup.evaluate import (Quality, best_match_of, entity_codes, group_labels, group_quality, largest,
                                      pair_quality, query_quality, read_truth)
from dataforge.dedup.match import find_matches
from dataforge.dedup.options import MatchOptions


def brute(pairs, entity):
    found = {tuple(sorted(p)) for p in pairs if p[0] != p[1]}
    actual = {(i, j) for i, j in itertools.combinations(range(len(entity)), 2) if entity[i] == entity[j]}
    return len(found & actual), len(found), len(actual)


@pytest.mark.parametrize("seed", range(5))
def test_pair_quality_matches_brute_count(seed):
    rng = np.random.default_rng(seed)
    entity = rng.integers(0, 15, 40)
    left, right = rng.integers(0, 40, 120), rng.integers(0, 40, 120)
    q = pair_quality(left, right, entity)
    tp, predicted, actual = brute(zip(left.tolist(), right.tolist()), entity)
    assert (q.true_positives, q.predicted, q.actual) == (tp, predicted, actual)
    assert q.precision == pytest.approx(tp / predicted)
    assert q.recall == pytest.approx(tp / actual)


@pytest.mark.parametrize("seed", range(5))
def test_group_quality_is_the_pairs_a_grouping_implies(seed):
    rng = np.random.default_rng(seed)
    entity = rng.integers(0, 10, 30)
    group = rng.integers(0, 8, 30)
    implied = [(i, j) for i, j in itertools.combinations(range(30), 2) if group[i] == group[j]]
    tp, predicted, actual = brute(implied, entity)
    q = group_quality(group, entity)
    assert (q.true_positives, q.predicted, q.actual) == (tp, predicted, actual)
    # string labels give the same answer
    assert group_quality(np.array([f"g{g}" for g in group], dtype=object), entity) == q


def test_perfect_and_empty():
    entity = np.array([0, 0, 1, 2, 2, 2])
    assert group_quality(entity, entity).f1 == 1.0
    singletons = group_quality(np.arange(6), entity)
    assert (singletons.precision, singletons.recall, singletons.f1) == (1.0, 0.0, 0.0)
    assert Quality.of(0, 0, 0).f1 == 1.0
    assert largest(np.array([3, 3, 1])) == 2 and largest(np.array([])) == 0


def test_entity_codes_unknown_ids_are_their_own_entity():
    truth = pd.Series(["a", "a", "b"], index=["1", "2", "3"])
    codes = entity_codes(["1", "2", "3", "9", "8"], truth)
    assert codes[0] == codes[1] != codes[2]
    assert len({codes[3], codes[4]} | {codes[0], codes[2]}) == 4


def test_read_truth_of_the_bundled_sample(tmp_path):
    truth = read_truth("data/sample/companies-truth.csv.gz")
    companies = pd.read_csv("data/sample/companies.csv.gz", dtype=str)
    assert len(truth) == len(companies)
    codes = entity_codes(companies[" CompanyNumber"], truth)
    assert len(np.unique(codes)) < len(codes)  # the sample has planted duplicates
    path = tmp_path / "t.csv"
    path.write_text("entity,record\nx,1\nx,2\n")
    assert read_truth(str(path), id_column="record", entity_column="entity").to_dict() == {"1": "x", "2": "x"}


def test_best_match_of_is_each_records_highest_pair():
    names = pd.Series(["ACME TRADING LTD", "ACME TRADING LIMITED", "ACME TRADING", "ZEBRA LTD", "ACME TRADING LTD"])
    matches = find_matches(names, options=MatchOptions(threshold=0.3))
    pairs = matches.pairs.assign(left=matches.left, right=matches.right)

    best = best_match_of(matches, np.arange(5))

    for record in range(5):
        mine = pairs[(pairs.left == record) | (pairs.right == record)]
        if mine.empty:
            assert best[record] == -1
        else:
            top = mine.iloc[0]
            assert best[record] == (top.right if top.left == record else top.left)
    assert best[0] == 4 and best[4] == 0  # the same name scores 1.0


def test_query_quality_counts_queries_with_a_duplicate():
    entity = np.array([0, 0, 1, 2, 2, 3])
    queries = np.array([0, 2, 3, 5])
    best = np.array([1, 0, -1, 4])  # right, wrong (2 has no duplicate), none, wrong

    q = query_quality(queries, best, entity)

    assert (q.true_positives, q.predicted, q.actual) == (1, 3, 2)


def test_group_labels_are_one_integer_a_representative_id_and_name():
    groups = pd.DataFrame({"group_id": ["1", "1", "2", "2", "1"], "group_name": ["A", "A", "A", "B", "B"]})
    labels = group_labels(groups)
    assert labels.tolist() == [0, 0, 1, 2, 3]
