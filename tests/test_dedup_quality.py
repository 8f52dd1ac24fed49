"""Groups a person would accept and --refine: center grouping, refined scores, the generators' truth."""
from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest

from dataforge.dedup import MatchOptions, find_matches, group_names, match_names
from dataforge.dedup.evaluate import entity_codes, group_quality, largest, pair_quality, read_truth
from dataforge.dedup.group import center_groups, component_groups
from dataforge.dedup.match import groups_of
from dataforge.dedup.refine import WordVectors, soft_scores
from dataforge.dedup.normalise import name_words
from dataforge.errors import UsageError
from dataforge.synthetic.companies import companies, same_as_key, write_companies
from dataforge.synthetic.persons import persons, write_persons

from conftest import run_cli

# a firm, its planted variants, and a stranger in the same trade with the same legal form
KGF = ["KGF PLUMBING AND HEATING LTD", "KGF PLUMBING & HEATING LIMITED", "K.G.F. PLUMBING AND HEATING LTD",
       "KGF PLUMBNG AND HEATING LTD"]
STRANGER = "DSF PLUMBING AND HEATING LTD"


def trade_file(n: int = 600) -> pd.Series:
    """The KGF names among other plumbers and other firms, so that idf knows PLUMBING is common."""
    others = [c.name for c in companies(n, seed=4, unambiguous=True)]
    plumbers = [f"{a}{b}{c} PLUMBING AND HEATING LTD" for a, b, c in zip("ABCEHJLMNPRTW", "BCDFGHJKLMNPR",
                                                                          "STWXYZABCDEFG")]
    return pd.Series(KGF + [STRANGER] + plumbers + others)


# -------------------------------------------------------------------------------- grouping

def test_a_chain_with_a_weak_link_is_not_one_group():
    # A~B strong, B~C strong, A~C missing: B is a center's member, so C starts its own group
    rep = center_groups(3, np.array([0, 1]), np.array([1, 2]), np.array([0.95, 0.7]))
    assert rep[0] == rep[1] != rep[2]
    assert len(set(component_groups(3, np.array([0, 1]), np.array([1, 2])).tolist())) == 1  # components chain


def test_a_clique_is_one_group_whatever_the_order_of_its_pairs():
    left, right = np.array([0, 0, 0, 1, 1, 2]), np.array([1, 2, 3, 2, 3, 3])
    for scores in ([0.9, 0.8, 0.85, 0.95, 0.7, 0.75], [0.7] * 6):
        rep = center_groups(5, left, right, np.array(scores))
        assert len(set(rep[:4].tolist())) == 1 and rep[4] == 4


def test_center_is_the_best_pairs_earlier_record_and_ties_go_in_input_order():
    rep = center_groups(4, np.array([2, 0]), np.array([3, 1]), np.array([0.9, 0.9]))
    assert rep.tolist() == [0, 0, 2, 2]
    assert center_groups(0, np.array([], np.int64), np.array([], np.int64), np.array([])).tolist() == []


def test_a_long_chain_of_similar_trade_names_stays_in_small_groups():
    # the seed's 0.6 links nearly every plumber to the next; components make one group of them all
    names = trade_file()
    matches = find_matches(names)
    center = groups_of(matches, names, grouping="center")["group_id"]
    components = groups_of(matches, names, grouping="components")["group_id"]
    assert largest(center.to_numpy()) < largest(components.to_numpy())


def test_groups_of_rejects_an_unknown_grouping():
    names = pd.Series(["A", "A"])
    with pytest.raises(UsageError, match="grouping"):
        groups_of(find_matches(names), names, grouping="leiden")


def test_no_group_is_more_than_twice_the_largest_true_entity_on_the_generator():
    records = list(companies(6000, seed=13, unambiguous=True))
    names = pd.Series([c.name for c in records])
    entity = np.array([c.entity for c in records])
    assert largest(group_names(names, refine=True)["group_id"].to_numpy()) <= 2 * largest(entity)
    # at the seed's 0.6 a center collects its whole star, still far from the components' chains
    center = largest(group_names(names)["group_id"].to_numpy())
    components = largest(group_names(names, grouping="components")["group_id"].to_numpy())
    assert center * 5 < components


# ---------------------------------------------------------------------------------- refine

def test_refine_ranks_a_true_duplicate_above_a_same_trade_stranger():
    names = trade_file()
    seed = match_names(names, threshold=0.5)
    refined = match_names(names, refine=True, threshold=0.0)

    def score(pairs, a, b):
        hit = pairs[((pairs.left_name == a) & (pairs.right_name == b)) | ((pairs.left_name == b) & (pairs.right_name == a))]
        return float(hit.similarity.max()) if len(hit) else 0.0

    assert score(seed, KGF[0], STRANGER) > 0.6  # the seed pairs the stranger at its default
    for variant in KGF[1:]:
        assert score(refined, KGF[0], variant) > 0.9
        assert score(refined, KGF[0], variant) > score(refined, KGF[0], STRANGER)
    assert score(refined, KGF[0], STRANGER) < 0.9  # not a pair at --refine's default


def test_refine_default_threshold_is_its_own_and_an_explicit_one_is_kept():
    assert MatchOptions().check().threshold == 0.6
    assert MatchOptions(refine=True).check().threshold == 0.9
    assert MatchOptions(refine=True, threshold=0.7).check().threshold == 0.7
    assert MatchOptions(refine=True, threshold=0.7).check().candidate_threshold == 0.6
    assert MatchOptions(refine=True, threshold=0.3).check().candidate_threshold == 0.3


def test_refine_is_deterministic_and_scores_are_at_most_one():
    names = trade_file(1500)
    first = match_names(names, refine=True, threshold=0.5)
    second = match_names(names, refine=True, threshold=0.5, threads=1)
    pd.testing.assert_frame_equal(first, second)
    assert first.similarity.between(0.5, 1.0, inclusive="right").all()


def test_refine_against_a_master_list():
    new = pd.Series(["KGF PLUMBING & HEATING LIMITED", "DSF PLUMBING AND HEATING"])
    master = pd.Series(["KGF PLUMBING AND HEATING LTD", "ACME LTD", "DSF PLUMBING AND HEATING LTD"])
    pairs = match_names(new, against=master, refine=True)
    assert sorted(zip(pairs.left_id, pairs.right_id)) == [(0, 0), (1, 2)]


def test_soft_scores_same_words_score_one_and_a_misspelt_word_weighs_like_its_word():
    vectors = WordVectors(["ACME WIDGETS LTD", "Acme Widgets Limited", "ACME WIDGTES LTD", "ZED WIDGETS LTD",
                           "WIDGETS LTD", "!!!"])
    scores = soft_scores(vectors, np.array([0, 0, 0, 5]), np.array([1, 2, 3, 5]))
    assert scores[0] == pytest.approx(1.0)
    assert 0.9 < scores[1] < 1.0  # one transposition: the rare misspelling weighs as ACME WIDGETS' word
    assert scores[2] < 0.7
    assert scores[3] == 0.0  # no words, no score


def _soft_tfidf_by_definition(vectors: WordVectors, x: int, y: int) -> float:
    """Soft TF-IDF of names x and y from the definition: rapidfuzz on every word pair, no bounds."""
    from rapidfuzz.distance import Indel, LCSseq

    def alike(u: str, v: str) -> float:
        if u == v:
            return 1.0
        similarity = Indel.normalized_similarity(u, v)
        short, long = sorted((u, v), key=len)
        if (u[0] == v[0] and u[-1] == v[-1] and 2 <= len(short) <= 4 and len(long) >= len(short) + 2
                and LCSseq.similarity(u, v) == len(short) and not set("AEIOUY") & set(short[1:])):
            similarity = max(similarity, 0.9)
        return similarity if similarity >= 0.7 else 0.0

    m = vectors.counts
    wx, wy = m.indices[m.indptr[x]:m.indptr[x + 1]], m.indices[m.indptr[y]:m.indptr[y + 1]]
    tx, ty = m.data[m.indptr[x]:m.indptr[x + 1]], m.data[m.indptr[y]:m.indptr[y + 1]]
    if not len(wx) or not len(wy):
        return 0.0
    like = np.array([[alike(vectors.words[u], vectors.words[v]) for v in wy] for u in wx]).reshape(len(wx), len(wy))
    idf = vectors.idf
    weight_x = tx * np.array([min([idf[u]] + [idf[v] for v, s in zip(wy, row) if s > 0]) for u, row in zip(wx, like)])
    weight_y = ty * np.array([min([idf[v]] + [idf[u] for u, s in zip(wx, col) if s > 0])
                              for v, col in zip(wy, like.T)])
    terms = weight_x[:, None] * weight_y[None, :] * like / (np.linalg.norm(weight_x) * np.linalg.norm(weight_y))
    return min(terms.max(axis=1).sum(), terms.max(axis=0).sum(), 1.0)


def test_soft_scores_equal_the_definition_on_every_word_pair():
    """The letter bound skips string comparisons only where they could not make words alike:
    the scores equal a brute-force soft TF-IDF over many generated near-duplicates and strangers."""
    names = [c.name for c in companies(600, 21, duplicate_rate=0.3)] + ["RD MGMT SVCS", "ROAD MANAGEMENT SERVICES", "GDNS", "GARDENS",
                                              "AB", "ABC", "ZZZZ", "", "A&B", "12 ACRES", "21 ACRES"]
    vectors = WordVectors(names)
    rng = np.random.default_rng(4)
    near = match_names(pd.Series(names), threshold=0.3)
    a = np.concatenate([near.left_id.to_numpy(), rng.integers(0, len(names), 3000), np.arange(600, len(names))])
    b = np.concatenate([near.right_id.to_numpy(), rng.integers(0, len(names), 3000),
                        np.array([601, 600, 603, 602, 605, 604, 605, 608, 607, 610, 609])])
    got = soft_scores(vectors, a, b)
    expected = np.array([_soft_tfidf_by_definition(vectors, x, y) for x, y in zip(a, b)])
    assert len(near) > 500 and (expected > 0.7).sum() > 300  # alike pairs, not only strangers
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name,words", [
    ("ACME TRADING & CO LTD", ["ACME", "TRADING"]),
    ("NH DENTAL CARE LIMATED", ["NH", "DENTAL", "CARE"]),  # a misspelt legal form is still one
    ("THE LIMITED COMPANY LIMITED", ["THE", "LIMITED"]),
    ("LIMITED", ["LIMITED"]),
    ("O'Neill & Sons Ltd.", ["ONEILL", "AND", "SONS"]),
    ("Café Rouge", ["CAFE", "ROUGE"]),
])
def test_name_words_drop_legal_forms_and_punctuation(name, words):
    assert name_words(name) == words


# ------------------------------------------------------------------------------ generators

def test_existing_company_output_is_unchanged_and_unambiguous_names_differ_under_same_as():
    default = [c.name for c in companies(3000, seed=2021)]
    assert default == [c.name for c in companies(3000, seed=2021, unambiguous=False)]
    firms = {}
    for c in companies(5000, seed=3, unambiguous=True):
        firms.setdefault(c.entity, c.name)
    keys = [same_as_key(name) for name in firms.values()]
    assert len(set(keys)) == len(keys)


def test_persons_have_variants_households_and_a_truth(tmp_path):
    people = list(persons(3000, seed=1))
    entity = np.array([p.entity for p in people])
    assert largest(entity) >= 2 and len(np.unique(entity)) < len(people)
    assert any(p.given == q.surname and p.surname == q.given for p, q in zip(people, people[1:]))  # swapped
    records = {(p.given, p.surname, p.street, p.town) for p in people if p.given.isupper()}
    first = {}
    for p in people:
        first.setdefault(p.entity, p)
    bases = [(p.given, p.surname, p.street, p.town) for p in first.values()]
    assert len(set(bases)) == len(bases) and len(records) > 0
    out, truth = io.StringIO(), io.StringIO()
    assert write_persons(out, 100, seed=1, truth=truth) == 100
    assert out.getvalue().splitlines()[0] == "PersonId,GivenName,Surname,Street,Town"
    assert truth.getvalue().splitlines()[1].startswith("P0000001,")


# ------------------------------------------------------------------------------------- CLI

@pytest.fixture
def plumbers_csv(tmp_path):
    path = tmp_path / "plumbers.csv"
    names = trade_file()
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["CompanyName", "CompanyNumber"])
        writer.writerows([name, f"{k:06d}"] for k, name in enumerate(names))
    return path


def test_cli_refine_ranks_the_duplicate_above_the_stranger(tmp_path, plumbers_csv):
    result = run_cli("dedup", "match", plumbers_csv, "--refine", "--threshold", "0", "-o", tmp_path / "pairs.csv",
                     "--groups", tmp_path / "groups.csv", "--json")
    assert result.returncode == 0, result.stderr.decode()
    import json

    summary = json.loads(result.stdout)
    assert summary["refine"] is True and summary["grouping"] == "center" and summary["threshold"] == 0.0
    pairs = pd.read_csv(tmp_path / "pairs.csv", dtype=str)
    pairs["similarity"] = pairs.similarity.astype(float)
    kgf = pairs[(pairs.left_name == KGF[0]) | (pairs.right_name == KGF[0])]
    other = np.where(kgf.left_name == KGF[0], kgf.right_name, kgf.left_name)
    ranked = list(dict.fromkeys(other[np.argsort(-kgf.similarity.to_numpy(), kind="stable")]))
    assert ranked.index(STRANGER) > max(ranked.index(v) for v in KGF[1:])


def test_cli_default_threshold_depends_on_the_mode_and_grouping_components_is_kept(tmp_path, plumbers_csv):
    import json

    seed = run_cli("dedup", "match", plumbers_csv, "-o", tmp_path / "a.csv", "--groups", tmp_path / "ga.csv",
                   "--grouping", "components", "--json")
    refine = run_cli("dedup", "match", plumbers_csv, "-o", tmp_path / "b.csv", "--refine", "--json")
    assert seed.returncode == 0 and refine.returncode == 0, seed.stderr + refine.stderr
    a, b = json.loads(seed.stdout), json.loads(refine.stdout)
    assert (a["threshold"], a["refine"], a["grouping"]) == (0.6, False, "components")
    assert (b["threshold"], b["refine"]) == (0.9, True) and "grouping" not in b
    assert b["pairs"] < a["pairs"]
    groups = pd.read_csv(tmp_path / "ga.csv", dtype=str)
    names = trade_file()
    expected = groups_of(find_matches(names), names, grouping="components")
    assert groups.group_name.tolist() == expected.group_name.tolist()


def test_cli_matches_persons_on_several_columns(tmp_path):
    people, truth = tmp_path / "people.csv", tmp_path / "truth.csv"
    with open(people, "w", newline="") as out, open(truth, "w", newline="") as t:
        write_persons(out, 3000, seed=9, truth=t)
    result = run_cli("dedup", "match", people, "--column", "GivenName", "--column", "Surname", "--column", "Street",
                     "--also", "Town", "--id-column", "PersonId", "--refine", "-o", tmp_path / "pairs.csv",
                     "--groups", tmp_path / "groups.csv")
    assert result.returncode == 0, result.stderr.decode()
    pairs = pd.read_csv(tmp_path / "pairs.csv", dtype=str)
    assert pairs.left_name.str.count(" ").min() >= 2  # given, surname and street in one text
    groups = pd.read_csv(tmp_path / "groups.csv", dtype=str)
    entity = entity_codes(groups.PersonId, read_truth(str(truth)))
    index = pd.Index(groups.PersonId)
    assert pair_quality(index.get_indexer(pairs.left_id), index.get_indexer(pairs.right_id), entity).f1 > 0.8
    assert group_quality(groups.group_id.to_numpy(), entity).f1 > 0.8


def test_write_companies_with_truth_unchanged_by_the_option(tmp_path):
    out = io.StringIO()
    write_companies(out, 50, seed=2021)
    assert out.getvalue().splitlines()[0] == "CompanyName, CompanyNumber,RegAddress.PostTown,RegAddress.PostCode"
