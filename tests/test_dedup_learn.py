"""--learn's parts (dataforge.dedup.learn): EM, saved models, labels, designators and legal-form kinds."""
import io

import numpy as np
import pandas as pd
import pytest

from dataforge.dedup.learn import MODEL_VERSION, NAME_LEVELS, _monotone, check_labels, estimate, load_model, model_from_dict
from dataforge.dedup.match import find_matches
from dataforge.dedup.normalise import designators, legal_form_class
from dataforge.dedup.options import MatchOptions
from dataforge.errors import UsageError
from dataforge.synthetic.companies import companies


def test_em_recovers_known_m_and_u_from_simulated_comparisons():
    rng = np.random.default_rng(0)
    sizes = [3, 3, 2, 4]
    true_m = [np.array([0.8, 0.15, 0.05]), np.array([0.7, 0.2, 0.1]), np.array([0.9, 0.1]),
              np.array([0.6, 0.2, 0.1, 0.1])]
    true_u = [np.array([0.05, 0.25, 0.7]), np.array([0.1, 0.3, 0.6]), np.array([0.2, 0.8]),
              np.array([0.1, 0.1, 0.3, 0.5])]
    n, prior = 60_000, 0.2
    match = rng.random(n) < prior
    levels = np.stack([np.where(match, rng.choice(s, n, p=m), rng.choice(s, n, p=u))
                       for s, m, u in zip(sizes, true_m, true_u)], axis=1).astype(np.int8)
    levels[rng.random(levels.shape) < 0.05] = -1  # some missing
    m, u, learned_prior, _ = estimate(levels, sizes)
    assert abs(learned_prior - prior) < 0.02
    for k in range(len(sizes)):
        assert np.abs(m[k] - true_m[k]).max() < 0.03
        assert np.abs(u[k] - true_u[k]).max() < 0.03


def _three_kinds(rng, n_match: int, n_related: int, n_other: int, matches_replaced: float = 0.0):
    """Comparison vectors (name, numbers, legal form, town) of matches, of related non-matches (a word
    of the name replaced, everything else agreeing: a household) and of other non-matches; whether
    each pair shares a rare number (the matches do, the related never), and which are matches."""
    from dataforge.dedup.learn import FIRST_REPLACED

    def pick(n, choices, p):
        return rng.choice(choices, n, p=np.asarray(p) / np.sum(p))

    good = list(range(FIRST_REPLACED))
    replaced = list(range(FIRST_REPLACED, len(NAME_LEVELS)))
    name = np.concatenate([
        np.where(rng.random(n_match) < matches_replaced, pick(n_match, replaced, [1, 2, 1]),
                 pick(n_match, good, 0.7 ** np.arange(len(good)))),
        pick(n_related, replaced, [1, 4, 2]),
        pick(n_other, list(range(len(NAME_LEVELS))), [0.1] * 10 + [0.5] * 4 + [1, 3, 40])])
    numbers = np.concatenate([pick(n_match, range(5), [90, 3, 2, 3, 2]), pick(n_related, range(5), [90, 3, 2, 3, 2]),
                              pick(n_other, range(5), [3, 1, 2, 30, 64])])
    legal = np.concatenate([pick(n_match, range(3), [90, 8, 2]), pick(n_related, range(3), [90, 8, 2]),
                            pick(n_other, range(3), [70, 20, 10])])
    town = np.concatenate([pick(n_match, range(3), [97, 2, 1]), pick(n_related, range(3), [97, 2, 1]),
                           pick(n_other, range(3), [3, 2, 95])])
    levels = np.stack([name, numbers, legal, town], axis=1).astype(np.int8)
    shares_rare = np.concatenate([rng.random(n_match) < 0.8, np.zeros(n_related, bool), rng.random(n_other) < 0.01])
    match = np.arange(len(levels)) < n_match
    return levels, shares_rare, match


def test_em_keeps_related_non_matches_apart_from_the_matches():
    """Households (a given name replaced, the address agreeing) outnumber the duplicates among the
    candidates: two classes take them for matches; the related class keeps them out."""
    from dataforge.dedup.learn import FIRST_REPLACED

    rng = np.random.default_rng(5)
    levels, shares_rare, match = _three_kinds(rng, 2000, 3000, 40000)
    sizes = [len(NAME_LEVELS), 5, 3, 3]
    two = estimate(levels, sizes)
    three = estimate(levels, sizes, shares_rare=shares_rare)
    assert two[0][0][FIRST_REPLACED:].sum() > 0.4  # the two-class matches are mostly households
    assert three[0][0][FIRST_REPLACED:].sum() < 0.05
    assert abs(three[2] - match.mean()) < 0.01


def test_matches_that_share_a_rare_number_stay_matches_when_a_word_of_the_name_differs():
    """A record with one field mistyped past recognition (FEBRL's, all in one text) differs in a word
    too, but shares its id or date of birth: never a related non-match."""
    from dataforge.dedup.learn import FIRST_REPLACED

    rng = np.random.default_rng(6)
    levels, shares_rare, match = _three_kinds(rng, 3000, 0, 3000, matches_replaced=0.3)
    shares_rare[:3000] = True
    m, u, prior, _ = estimate(levels, [len(NAME_LEVELS), 5, 3, 3], shares_rare=shares_rare)
    assert m[0][FIRST_REPLACED:].sum() > 0.2
    assert abs(prior - match.mean()) < 0.02


@pytest.mark.parametrize("size", [3, 5, len(NAME_LEVELS)])
def test_a_better_level_never_has_a_smaller_share_of_matches(size):
    rng = np.random.default_rng(size)
    for _ in range(20):
        mass_m, mass_u = rng.random(size) * 100, rng.random(size) * 100
        m, u = _monotone(mass_m.copy(), mass_u.copy())
        assert np.allclose(m + u, mass_m + mass_u)  # each level keeps its pairs
        share = m / (m + u)
        assert (np.diff(share) <= 1e-9).all(), share
        if (np.diff(mass_m / (mass_m + mass_u)) <= 0).all():  # already in order: unchanged
            assert np.allclose(m, mass_m)


NAMES = pd.Series(["ACME WIDGETS LTD", "ACME WIDGETS LIMITED", "ACME WIDGET LTD", "BETA HOLDINGS PLC",
                   "BETA HOLDINGS", "GAMMA FUND II LP", "GAMMA FUND III LP", "DELTA TRADING LTD",
                   "DELTA TRADING LIMITED", "EPSILON FOODS LTD", "ZETA MOTORS LTD", "ZETA MOTOR LTD"] * 3)


def test_a_saved_model_reloads_and_scores_identically(tmp_path):
    first = find_matches(NAMES, options=MatchOptions(learn=True))
    out = io.BytesIO()
    first.model.save(out)
    path = tmp_path / "model.json"
    path.write_bytes(out.getvalue())
    again = find_matches(NAMES, options=MatchOptions(learn=True), model=load_model(str(path)))
    pd.testing.assert_frame_equal(first.pairs, again.pairs)
    assert {"match_probability", "match_weight"} <= set(first.pairs.columns)


def test_the_explanation_sums_to_the_weight():
    pairs = find_matches(NAMES, options=MatchOptions(learn=True, threshold=0.0), explain=True).pairs
    parts = pairs[[c for c in pairs.columns if c.startswith("weight_")]].sum(axis=1)
    assert len(pairs) and np.allclose(parts, pairs["match_weight"])


def test_labels_are_final():
    names = pd.Series(["ACME WIDGETS LTD", "ACME WIDGETS LIMITED", "ZZZ QUUX"])
    ids = pd.Series(["a", "b", "c"])
    labels = pd.DataFrame({"left_id": ["a", "c"], "right_id": ["b", "a"], "label": ["no", "yes"]})
    pairs = find_matches(names, ids, options=MatchOptions(learn=True), labels=labels).pairs
    got = {frozenset(p) for p in zip(pairs.left_id, pairs.right_id)}
    assert frozenset("ab") not in got and frozenset("ac") in got


@pytest.mark.parametrize("frame, message", [
    (pd.DataFrame({"left_id": ["a"], "right_id": ["b"], "label": ["maybe"]}), "line 2: label 'maybe'"),
    (pd.DataFrame({"left_id": ["a"], "label": ["yes"]}), "no right_id column"),
])
def test_bad_labels_name_the_line_or_column(frame, message):
    with pytest.raises(UsageError, match=message):
        check_labels(frame)


def test_an_unknown_label_id_names_its_line():
    labels = pd.DataFrame({"left_id": ["a", "nope"], "right_id": ["b", "a"], "label": ["yes", "no"]})
    with pytest.raises(UsageError, match="line 3: no record has id 'nope'"):
        find_matches(pd.Series(["X LTD", "X LIMITED"]), pd.Series(["a", "b"]), options=MatchOptions(learn=True),
                     labels=labels)


@pytest.mark.parametrize("text, message", [
    (b"not json", "not JSON"), (b'{"format": "something else"}', "format"),
    (b'{"format": "dataforge-match-model", "version": 99}', "newer than this dataforge"),
])
def test_a_corrupt_or_foreign_model_is_refused(tmp_path, text, message):
    path = tmp_path / "model.json"
    path.write_bytes(text)
    with pytest.raises(UsageError, match=message):
        load_model(str(path))
    with pytest.raises(UsageError, match="no such model file"):
        load_model(str(tmp_path / "missing.json"))
    with pytest.raises(UsageError, match="not a usable"):
        model_from_dict({"format": "dataforge-match-model", "version": MODEL_VERSION, "prior": 2})
    with pytest.raises(UsageError, match="from an older dataforge"):
        model_from_dict({"format": "dataforge-match-model", "version": MODEL_VERSION - 1, "prior": 0.1})


def test_designators_and_legal_form_kinds():
    assert designators("500 STARTUPS III, L.P.") == ["500", "3"]
    assert designators("ACCREDITED MORTGAGE LOAN TRUST 2005-1") == ["2005", "1"]
    assert legal_form_class("A & M SECURITIES LLC /BD") == legal_form_class("A & M SECURITIES, LLC")
    assert legal_form_class("ACME LTD") == legal_form_class("ACME LIMITED") != legal_form_class("ACME LLC")
    assert legal_form_class("ACME") == ""


def _people_with_identifiers(n: int, seed: int):
    """The person generator's records with a birth date and an id number per person (kept by its
    duplicates), and for a few duplicates a name replaced by an unrelated one."""
    from dataforge.synthetic.persons import persons

    rng = np.random.default_rng(seed)
    people = list(persons(n, seed))
    entity = np.array([p.entity for p in people])
    birth = {e: f"19{rng.integers(20, 99)}{rng.integers(1, 13):02d}{rng.integers(1, 29):02d}" for e in set(entity)}
    number = {e: str(rng.integers(1_000_000, 9_999_999)) for e in set(entity)}
    names = [f"{p.given} {p.surname}" for p in people]
    seen, renamed = set(), []
    for k, e in enumerate(entity):
        if e in seen and len(renamed) < 20:
            names[k] = f"RENAMED{len(renamed)} PERSON{len(renamed)}"  # no 3-gram shared with any real name
            renamed.append(k)
        seen.add(e)
    frame = pd.DataFrame({"Street": [p.street for p in people], "Town": [p.town for p in people],
                          "Birth": [birth[e] for e in entity], "Number": [number[e] for e in entity]})
    return pd.Series(names), frame, entity, renamed


def test_with_also_a_duplicate_whose_name_changed_is_found_by_its_other_fields():
    from dataforge.dedup.evaluate import pair_quality

    names, also, entity, renamed = _people_with_identifiers(4000, 3)
    matches = find_matches(names, also=also, options=MatchOptions(threads=2, learn=True))
    found = set(zip(matches.left.tolist(), matches.right.tolist()))
    partner = {k: next(j for j in range(len(entity)) if entity[j] == entity[k] and j != k) for k in renamed}
    recovered = sum((min(k, j), max(k, j)) in found for k, j in partner.items())
    assert recovered >= 18, recovered  # the names share nothing: only the record candidates find them
    quality = pair_quality(matches.left, matches.right, entity)
    assert quality.precision > 0.95 and quality.recall > 0.95, quality  # families at one address stay apart
    records = matches.model.records
    assert 0 < records["prior"] < 1 and records["threshold"] == 0.5
    # names alone cannot find them
    alone = find_matches(names, options=MatchOptions(threads=2, learn=True))
    assert not {(min(k, j), max(k, j)) for k, j in partner.items()} & set(zip(alone.left.tolist(),
                                                                              alone.right.tolist()))


def test_when_nearly_every_candidate_matches_em_does_not_split_the_duplicates():
    """FEBRL's one-text framing: the candidates are nearly all duplicates, some noisy.  Without the
    random pairs' u as a prior, EM took the noisy duplicates for the non-matches."""
    rng = np.random.default_rng(1)
    n = 3000
    match = rng.random(n) < 0.97
    name = np.where(match, rng.choice(4, n, p=[0.4, 0.3, 0.2, 0.1]), rng.choice(4, n, p=[0.05, 0.15, 0.3, 0.5]))
    numbers = np.where(match, rng.choice(3, n, p=[0.55, 0.4, 0.05]), rng.choice(3, n, p=[0.01, 0.04, 0.95]))
    levels = np.stack([name, numbers], axis=1).astype(np.int8)
    random_u = {1: np.array([0.005, 0.015, 0.98])}  # random pairs: numbers nearly never shared
    _, _, prior, _ = estimate(levels, [4, 3], initial_u=random_u)
    assert prior > 0.9, prior


def test_word_levels_tell_a_replaced_word_from_a_typo_an_abbreviation_and_an_extra_word():
    from dataforge.dedup.learn import _sets, word_levels

    pairs = [("SARAH SMITH HIGH STREET", "JAMES SMITH HIGH STREET", 2),  # another person
             ("HARRIS PLUMBING", "DAVIES PLUMBING", 2),  # another firm
             ("JON SMITH", "JOHN SMITH", 0),  # a typo
             ("BTEHANY JONES", "BETHANY JONES", 0),  # a transposition
             ("SMITH HIGH RD", "SMITH HIGH ROAD", 0),  # an abbreviation
             ("J SMITH", "JOHN SMITH", 0),  # an initial
             ("ACME TRADING", "ACME", 1),  # a word more
             ("JON SMITH", "JOHN SMITH HOLDINGS", 1),  # a typo, and a word more
             ("", "", -1)]  # nothing to compare
    words = [name.split() for left, right, _ in pairs for name in (left, right)]
    sets, text = _sets(words)
    a = np.arange(0, 2 * len(pairs), 2)
    assert list(word_levels(sets, text, a, a + 1)) == [level for _, _, level in pairs]


def test_word_levels_equal_their_definition_on_generated_names():
    """The compiled loops give each pair the level its word sets and words_alike say, pair by pair."""
    from dataforge.dedup.learn import _sets, word_levels, words_alike
    from dataforge.synthetic.persons import persons

    names = [f"{p.given} {p.surname} {p.street}" for p in persons(400, seed=8)] + [c.name for c in companies(400, seed=8, duplicate_rate=0.3)]
    words = [name.upper().split() for name in names] + [[]]
    sets, text = _sets(words)
    rng = np.random.default_rng(2)
    a = np.concatenate([rng.integers(0, len(words), 4000), np.arange(len(words) - 1), [len(words) - 1]])
    b = np.concatenate([rng.integers(0, len(words), 4000), np.arange(1, len(words)), [len(words) - 1]])

    def by_definition(x: int, y: int) -> int:
        mine, theirs = set(words[x]), set(words[y])
        if not mine and not theirs:
            return -1
        only_mine, only_theirs = sorted(mine - theirs), sorted(theirs - mine)
        if only_mine and only_theirs:  # a word written another way on the other side is not extra
            only_mine = [w for w in only_mine if not words_alike([w] * len(only_theirs), only_theirs, 1).any()]
            only_theirs = [w for w in only_theirs if not words_alike([w] * len(mine - theirs),
                                                                     sorted(mine - theirs), 1).any()]
        return 2 if only_mine and only_theirs else 1 if only_mine or only_theirs else 0

    expected = [by_definition(x, y) for x, y in zip(a, b)]
    got = word_levels(sets, text, a, b)
    assert list(got) == expected
    assert {0, 1, 2} <= set(expected)  # typos and extra words as well as other names
    assert sum(e == 0 for e, x, y in zip(expected, a, b) if words[x] != words[y]) > 10
