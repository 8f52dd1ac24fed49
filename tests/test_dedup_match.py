"""The dedup library: top-N union semantics, groups, master lists, --also, options."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from dataforge.dedup import MatchOptions, find_matches, group_names, match_names
from dataforge.dedup.group import best_match_groups, component_groups
from dataforge.dedup.normalise import make_analyzer, seed_clean, normalise_value, phonetic_codes, strip_legal_form
from dataforge.errors import UsageError
from dataforge.synthetic import companies


def dense_oracle(names: list[str], top: int, threshold: float) -> dict:
    """Brute force with sklearn's dense cosine: each name's top N (itself included) above
    the threshold, both directions united; {frozenset(i, j): score}."""
    matrix = TfidfVectorizer(min_df=1, analyzer=make_analyzer()).fit_transform(names)
    sims = cosine_similarity(matrix)
    out = {}
    for i, row in enumerate(sims):
        candidates = [j for j in np.argsort(-row, kind="stable") if row[j] > threshold]
        for j in candidates[: top if top else None]:
            if i != j:
                out[frozenset((i, j))] = row[j]
    return out


@pytest.mark.parametrize("top", [1, 2, 10, 0])
@pytest.mark.parametrize("threshold", [0.3, 0.6, 0.9])
def test_pairs_are_the_union_of_each_names_top_n(top, threshold):
    # one name per cleaned form: names that clean alike have equal vectors, and which of
    # several equal scores fills the N-th place is not defined
    cleaned = {seed_clean(c.name): c.name for c in companies(600, seed=3, duplicate_rate=0.3)}
    names = list(cleaned.values())
    expected = dense_oracle(names, top, threshold)
    position = {n: i for i, n in enumerate(names)}
    pairs = match_names(pd.Series(names), top=top, threshold=threshold)
    got = {frozenset((position[a], position[b])): s for a, b, s in zip(pairs.left_name, pairs.right_name,
                                                                        pairs.similarity)}
    assert set(got) == set(expected)
    assert max((abs(got[k] - expected[k]) for k in got), default=0) < 1e-9
    assert len(got) == len(pairs)


def test_top_one_keeps_a_pair_when_only_one_side_ranks_it_first():
    # "Acme Widgets" is the best match of "Acme Widget" and of "Acme Widgets Ltd", but a
    # name's own slot comes first with --top 1 ... so top counts the name itself:
    names = pd.Series(["ACME WIDGETS", "ACME WIDGET", "ACME WIDGETS LTD"])
    assert match_names(names, top=1).empty  # each name's single best is itself
    two = match_names(names, top=2, threshold=0.3)
    assert len(two) >= 2


def test_missing_and_empty_names_are_skipped_and_counted():
    names = pd.Series(["ACME LTD", None, "", "   ", np.nan, "ACME LTD"])
    result = find_matches(names)
    assert result.skipped == 4
    assert result.names == 1
    assert result.pairs[["left_id", "right_id"]].values.tolist() == [[0, 5]]


def test_ids_default_to_the_series_index_and_can_be_given():
    names = pd.Series(["ROYAL BANK", "ROYAL BANK"], index=["a", "b"])
    assert match_names(names)[["left_id", "right_id"]].values.tolist() == [["a", "b"]]
    ids = pd.Series(["0001", "0002"])
    assert match_names(names, ids)[["left_id", "right_id"]].values.tolist() == [["0001", "0002"]]


def test_component_groups_chain_singletons_and_representative():
    # 0-1-2 is a chain (one component), 3 alone, 4-5 a pair; 1 has most links
    rep = component_groups(6, np.array([0, 1, 4]), np.array([1, 2, 5]))
    assert rep.tolist() == [1, 1, 1, 3, 4, 4]  # 4 and 5 tie: the first wins


def test_best_match_groups_takes_the_best_master_ties_to_the_first():
    best = best_match_groups(4, np.array([0, 0, 2, 2]), np.array([5, 3, 1, 0]), np.array([0.7, 0.9, 0.8, 0.8]))
    assert best.tolist() == [3, -1, 0, -1]


def test_group_names_gives_every_row_a_group():
    names = pd.Series(["Royal Bank", "The Royal Bank", "Clydesdale Bank", "Clydesdale Banking", "Royal Bank", "",
                       "Zebra Crossings"])
    groups = group_names(names, pd.Series([f"id{i}" for i in range(7)]))
    assert list(groups.columns) == ["id", "name", "group_id", "group_name"]
    # Royal Bank (row 0) has 2 links, its copy (row 4) 2, The Royal Bank 2: ties go to the first
    assert groups.group_id.tolist() == ["id0", "id0", "id2", "id2", "id0", "id5", "id6"]
    assert groups.group_name.tolist()[:4] == ["Royal Bank", "Royal Bank", "Clydesdale Bank", "Clydesdale Bank"]


def test_against_puts_the_master_on_the_right():
    master = pd.Series(["ROYAL BANK OF SCOTLAND PLC", "CLYDESDALE BANK PLC", "TESCO STORES LIMITED"])
    new = pd.Series(["ROYAL BANK OF SCOTLAND", "Clydesdale Bank Plc", "TESCO STORES LIMITED", "UNRELATED NAME"])
    pairs = match_names(new, pd.Series(["n1", "n2", "n3", "n4"]), against=master,
                        against_ids=pd.Series(["m1", "m2", "m3"]), threshold=0.5)
    assert set(zip(pairs.left_id, pairs.right_id)) == {("n1", "m1"), ("n2", "m2"), ("n3", "m3")}
    assert pairs.set_index("left_id").similarity["n3"] == 1.0  # the same name
    groups = group_names(new, pd.Series(["n1", "n2", "n3", "n4"]), against=master,
                         against_ids=pd.Series(["m1", "m2", "m3"]), threshold=0.5)
    assert groups.group_id.tolist() == ["m1", "m2", "m3", "n4"]


@pytest.mark.parametrize("kernel", ["pruned", "brute"])
def test_against_keeps_top_n_per_input_name(kernel):
    master = pd.Series(["ACME WIDGETS " + "Q" * i for i in range(1, 21)])  # every score different
    pairs = match_names(pd.Series(["ACME WIDGETS"]), against=master, top=3, threshold=0.1, kernel=kernel)
    every = match_names(pd.Series(["ACME WIDGETS"]), against=master, top=0, threshold=0.1, kernel=kernel)
    assert every.similarity.nunique() == len(every) > 3
    assert pairs.right_name.tolist() == every.right_name.tolist()[:3]


def test_names_tied_for_the_last_place_are_all_kept_by_the_pruned_kernel():
    master = pd.Series([f"ACME WIDGETS {i}" for i in range(10)])  # one digit each: all score the same
    pruned = match_names(pd.Series(["ACME WIDGETS"]), against=master, top=3, threshold=0.1, kernel="pruned")
    brute = match_names(pd.Series(["ACME WIDGETS"]), against=master, top=3, threshold=0.1, kernel="brute")
    assert len(pruned) == 10 and pruned.similarity.nunique() == 1
    assert len(brute) == 3 and set(brute.right_id) <= set(pruned.right_id)


def test_also_keeps_only_pairs_that_agree_on_every_column():
    names = pd.Series(["ACME TRADING LTD", "ACME TRADING LIMITED", "ACME TRADING LTD", "ACME TRADING LTD"])
    also = pd.DataFrame({"PostCode": ["SW1A 1AA", "sw1a1aa", "", "EC1 2AB"]})
    pairs = match_names(names, also=also, threshold=0.5)
    assert [tuple(p) for p in pairs[["left_id", "right_id"]].values] == [(0, 1)]


def test_normalise_value_ignores_case_spaces_punctuation_accents():
    assert normalise_value("SW1A 1AA") == normalise_value("sw1a1aa")
    assert normalise_value("St. Albans") == normalise_value("ST ALBANS")
    assert normalise_value("Zürich") == normalise_value("ZURICH")
    assert normalise_value("LONDON") != normalise_value("LEEDS")


def test_strip_legal_raises_scores_of_names_that_differ_only_in_legal_form():
    names = pd.Series(["ACME TRADING LIMITED", "ACME TRADING LTD"])
    plain = match_names(names, threshold=0.0).similarity.iloc[0]
    stripped = match_names(names, threshold=0.0, strip_legal=True).similarity.iloc[0]
    assert stripped > plain
    assert stripped == pytest.approx(1.0)
    # the output keeps the original names
    assert set(match_names(names, strip_legal=True).left_name) <= set(names)


def test_strip_legal_form_keeps_a_name_that_is_only_a_legal_form():
    assert strip_legal_form("KGF PLUMBING AND HEATING LTD") == "KGF PLUMBING AND HEATING"
    assert strip_legal_form("ACME GMBH") == "ACME"
    assert strip_legal_form("LTD") == "LTD"


@pytest.mark.parametrize("name", ["Acme Trading & Co Ltd", "ACME TRADING LIMTED", "The Acme Trading Company LLP",
                                  "Caf\u00e9 Acme S.A.", "LIMITED"])
def test_strip_legal_and_refine_take_off_the_same_legal_forms(name):
    from dataforge.dedup.normalise import name_words

    assert strip_legal_form(name).split() == name_words(name)


def test_phonetic_codes_bring_misspellings_closer():
    assert phonetic_codes("The Royal Bank") == phonetic_codes("The Ryoal Bnk")
    names = pd.Series(["The Royal Bank", "The Ryoal Bnk"])
    plain = match_names(names, threshold=0.0).similarity.iloc[0]
    phonetic = match_names(names, threshold=0.0, phonetic=True).similarity.iloc[0]
    assert phonetic > plain


def test_ngram_size_changes_the_features():
    names = pd.Series(["ROYAL BANK", "ROYAL BANKS"])
    assert match_names(names, ngram=2, threshold=0).similarity.iloc[0] != \
        match_names(names, ngram=3, threshold=0).similarity.iloc[0]


@pytest.mark.parametrize("bad", [dict(threshold=1.0), dict(threshold=-0.1), dict(threshold=float("nan")),
                                 dict(top=-1), dict(ngram=0), dict(threads=-1), dict(block_rows=0),
                                 dict(top=1.5)])
def test_bad_options_are_usage_errors(bad):
    with pytest.raises(UsageError):
        match_names(pd.Series(["A", "B"]), **bad)


def test_unknown_option_fails_at_once():
    with pytest.raises(TypeError):
        match_names(pd.Series(["A", "B"]), treshold=0.5)


def test_names_without_any_feature_match_nothing_but_their_copies():
    pairs = match_names(pd.Series(["!!!", "???", "!!!"]))
    assert pairs[["left_id", "right_id", "similarity"]].values.tolist() == [[0, 2, 1.0]]


def test_progress_reports_every_block():
    seen = []
    names = pd.Series([c.name for c in companies(500, seed=1)])
    find_matches(names, options=MatchOptions(block_rows=100),
                 progress=lambda what, done=None, total=None: seen.append((what, done, total)))
    assert {what for what, _, _ in seen} == {"matching name blocks"}
    counts = [(done, total) for _, done, total in seen]
    assert counts[0][0] == 0 and counts[-1][0] == counts[-1][1] and len(counts) >= 5
    assert counts == sorted(counts)
