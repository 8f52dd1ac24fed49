"""The array vectoriser equals the seed's TfidfVectorizer with its Python analyzer."""
from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from dataforge.dedup.normalise import make_analyzer
from dataforge.dedup.vectorise import clean_all, seed_tfidf
from dataforge.dedup.normalise import seed_clean
from dataforge.synthetic import companies

AWKWARD = [
    "Royal Bank", "The Royal Bank", "Clydesdale Bank", "Clydesdale Banking",
    "", " ", "-", "&", "a", "ab", "3m co", "o'neil & sons, ltd.", "ÉCOLE DU MONDE", "Müller GmbH",
    "tab\tand\u00a0nbsp\u2003em", "line\nbreak", "nul\x00inside", "emoji 😀 ltd", "A-B-C", "!!!", "x!y",
    "  leading and trailing  ", "ALLCAPS LIMITED", "mixedCASE name", "9lives 4ever", "ΑΘΗΝΑ ΑΕ", "日本 株式会社",
]


def reference(names, ngram=3, strip_legal=False):
    vectorizer = TfidfVectorizer(min_df=1, analyzer=make_analyzer(ngram, strip_legal))
    return vectorizer.fit_transform(names).tocsr()


def random_names(n, seed):
    rng = random.Random(seed)
    alphabet = "abcXYZ &-,.!'\t\u00a0é0123"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 25))) for _ in range(n)]


def test_cleaning_is_the_seeds_name_by_name():
    names = AWKWARD + random_names(300, 1)
    buffer, starts = clean_all(names)
    for k, name in enumerate(names):
        assert buffer[starts[k]:starts[k + 1]].decode("ascii") == seed_clean(name.replace("\x00", "")), name


@pytest.mark.parametrize("ngram", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("strip_legal", [False, True])
@pytest.mark.parametrize("data", ["awkward", "random", "synthetic"])
def test_matrix_equals_the_vectorizers(data, ngram, strip_legal):
    names = {"awkward": lambda: [n for n in AWKWARD if "\x00" not in n],
             "random": lambda: random_names(500, 2),
             "synthetic": lambda: [c.name for c in companies(2000, seed=3)]}[data]()
    ours = seed_tfidf(names, ngram, strip_legal)
    theirs = reference(names, ngram, strip_legal)
    theirs.sort_indices()  # the vectorizer keeps each row's n-grams in order of appearance
    assert ours.shape == theirs.shape
    assert np.array_equal(ours.indptr, theirs.indptr) and np.array_equal(ours.indices, theirs.indices)
    assert np.abs(ours.data - theirs.data).max() < 1e-15


def test_no_ngram_at_all_is_an_empty_vocabulary_as_in_the_vectorizer():
    with pytest.raises(ValueError, match="empty vocabulary"):
        seed_tfidf(["", "-", "!"], 5)
    with pytest.raises(ValueError, match="empty vocabulary"):
        reference(["", "-", "!"], 5)
