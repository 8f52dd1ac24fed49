"""The seed's TF-IDF of character n-grams, computed over arrays instead of one name at a time.

``TfidfVectorizer(min_df=1, analyzer=ngram).fit_transform(names)`` calls a
Python function per name and counts its n-grams in a Python dict: at a
million names that is most of a minute.  The seed's cleaning leaves only
ASCII (letters, digits, space, ``!``), so here

- all names are cleaned in one pass over one string (the seed's regular
  expressions, with a NUL between names that none of them touches);
- each n-gram becomes an integer, its n bytes in base 128: integer order is
  the strings' order, so the columns come out in the vectorizer's sorted
  vocabulary order;
- counts, document frequencies, ``idf = ln((1 + n) / (1 + df)) + 1`` and the
  L2 normalisation are the vectorizer's own formulas over numpy arrays.

The matrix equals the vectorizer's (same columns, values within 1e-15;
tests/test_dedup_vectorise.py).  Phonetic codes are not n-grams: with
``phonetic`` the caller uses the vectorizer.
"""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from dataforge.dedup.normalise import SEED_KEPT, make_analyzer, seed_clean_text, strip_legal_form

_SEP = "\x00"
_NOT_KEPT = re.compile(f"[^{SEED_KEPT}\x00]")  # the seed's, and the separator (\s never matches NUL)
_EDGE_SPACE = re.compile(r" ?\x00 ?")
# 7 bits a character: n-grams up to 9 characters fit in 63 bits
MAX_NGRAM = 9
# up to this n, the vocabulary is found with a dense table of every possible code
DENSE_NGRAM = 3


def clean_all(names: Sequence[str]) -> tuple[bytes, np.ndarray]:
    """Every name through the seed's cleaning, as one ASCII buffer and the start of each name
    (plus the end), each cleaned name being ``" " + cleaned + " "``."""
    text = _SEP.join(name.replace(_SEP, "") for name in names)
    text = seed_clean_text(text, _NOT_KEPT)
    text = _EDGE_SPACE.sub(_SEP, text).strip(" ")  # the seed strips each name
    parts = text.encode("ascii")
    lengths = np.fromiter(map(len, parts.split(b"\x00")), np.int64, count=len(names)) if names else \
        np.empty(0, np.int64)
    buffer = b"".join((b" ", parts.replace(b"\x00", b"  "), b" ")) if names else b""
    starts = np.zeros(len(names) + 1, np.int64)
    np.cumsum(lengths + 2, out=starts[1:])
    return buffer, starts


def ngram_counts(names: Sequence[str], ngram: int = 3) -> tuple[sp.csr_matrix, np.ndarray]:
    """(counts of each name's n-grams, the n-gram codes of the columns in sorted order)."""
    if not 1 <= ngram <= MAX_NGRAM:
        raise ValueError(f"ngram must be 1 to {MAX_NGRAM} for the array vectoriser")
    buffer, starts = clean_all(names)
    chars = np.frombuffer(buffer, np.uint8).astype(np.int64)
    width = max(len(chars) - ngram + 1, 0)
    codes = np.zeros(width, np.int64)  # the n-gram starting at every position of the buffer
    for offset in range(ngram):
        codes <<= 7
        codes |= chars[offset:offset + width]
    valid = np.ones(width, bool)  # ... less those that run past the end of their name
    ends = starts[1:]
    for back in range(1, ngram):
        position = ends - back
        inside = (position >= starts[:-1]) & (position < width)
        valid[position[inside]] = False
    codes = codes[valid]
    per_name = np.maximum(np.diff(starts) - ngram + 1, 0)
    indptr = np.zeros(len(names) + 1, np.int64)
    np.cumsum(per_name, out=indptr[1:])
    total = len(codes)
    if ngram <= DENSE_NGRAM:
        present = np.zeros(1 << (7 * ngram), bool)
        present[codes] = True
        vocabulary = np.flatnonzero(present)
        column_of = np.cumsum(present) - 1
        cols = column_of[codes]
    else:
        vocabulary, cols = np.unique(codes, return_inverse=True)
    counts = sp.csr_matrix((np.ones(total, np.float64), cols.astype(np.int64), indptr),
                           shape=(len(names), len(vocabulary)))
    counts.sum_duplicates()  # also sorts each row's columns
    return counts, vocabulary


def smooth_idf(document_frequency: np.ndarray, documents: int) -> np.ndarray:
    """The vectorizer's ``idf = ln((1 + n) / (1 + df)) + 1`` of each feature."""
    idf = np.full(len(document_frequency), documents + 1, dtype=np.float64)
    idf /= document_frequency.astype(np.float64) + 1.0
    np.log(idf, out=idf)
    idf += 1.0
    return idf


def weighted(counts: sp.csr_matrix, weights: np.ndarray, norms: np.ndarray = None) -> sp.csr_matrix:
    """Each row's counts times its features' *weights*, divided by the row's L2 norm (*norms*,
    else the norm of these weights; an empty row stays empty)."""
    data = counts.data * weights[counts.indices]
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    if norms is None:
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=counts.shape[0]))
    norms = np.where(norms == 0.0, 1.0, norms)
    data /= norms[rows]
    return sp.csr_matrix((data, counts.indices, counts.indptr), shape=counts.shape)


def fit_tfidf(names: Sequence[str], ngram: int = 3, strip_legal: bool = False
              ) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """(the seed's TF-IDF matrix of *names*, its columns' n-gram codes, their document frequencies)."""
    if strip_legal:
        names = [strip_legal_form(name) for name in names]
    counts, vocabulary = ngram_counts(names, ngram)
    if len(vocabulary) == 0:
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    return weighted(counts, smooth_idf(df, counts.shape[0])), vocabulary, df


def seed_tfidf(names: Sequence[str], ngram: int = 3, strip_legal: bool = False) -> sp.csr_matrix:
    """``TfidfVectorizer(min_df=1, analyzer=make_analyzer(ngram, strip_legal)).fit_transform(names)``."""
    return fit_tfidf(names, ngram, strip_legal)[0]


def frozen_counts(names: Sequence[str], vocabulary: np.ndarray, ngram: int = 3,
                  strip_legal: bool = False) -> tuple[sp.csr_matrix, np.ndarray]:
    """Counts of each name's n-grams over the columns of a vocabulary fitted before (n-gram codes in
    column order), followed by columns for the n-grams it lacks: (counts, the lacking codes, sorted)."""
    if strip_legal:
        names = [strip_legal_form(name) for name in names]
    counts, codes = ngram_counts(names, ngram)
    order = np.argsort(vocabulary, kind="stable")
    at = np.searchsorted(vocabulary[order], codes)
    known = at < len(vocabulary)
    known[known] = vocabulary[order][at[known]] == codes[known]
    unseen = codes[~known]
    column = np.empty(len(codes), np.int64)
    column[known] = order[at[known]]
    column[~known] = len(vocabulary) + np.arange(len(unseen))
    mapped = sp.csr_matrix((counts.data, column[counts.indices], counts.indptr),
                           shape=(counts.shape[0], len(vocabulary) + len(unseen)))
    mapped.sort_indices()
    return mapped, unseen


def frozen_tfidf(names: Sequence[str], vocabulary: np.ndarray, idf: np.ndarray, documents: int, ngram: int = 3,
                 strip_legal: bool = False) -> sp.csr_matrix:
    """TF-IDF of *names* at an IDF fitted before on *documents* names (*idf* for each code of *vocabulary*).
    An n-gram the fit never saw weighs what the formula gives a feature in no document,
    ``ln(1 + n) + 1``: it counts in the name's length and matches nothing.  Columns: the vocabulary's."""
    counts, unseen = frozen_counts(names, vocabulary, ngram, strip_legal)
    matrix = weighted(counts, np.concatenate([idf, np.full(len(unseen), unseen_idf(documents))]))
    return matrix[:, :len(vocabulary)].tocsr()


def unseen_idf(documents: int) -> float:
    """The weight of an n-gram in none of the *documents* names (the idf formula at df 0)."""
    return float(smooth_idf(np.zeros(1), documents)[0])


def tfidf_matrix(names: Sequence[str], ngram: int = 3, strip_legal: bool = False,
                 phonetic: bool = False) -> sp.csr_matrix:
    """The seed's ``TfidfVectorizer(min_df=1, analyzer=ngram).fit_transform(names)``: computed over
    arrays (dataforge.dedup.vectorise) unless phonetic codes join the n-grams."""
    if not phonetic and ngram <= MAX_NGRAM:
        return seed_tfidf(names, ngram, strip_legal)
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(min_df=1, analyzer=make_analyzer(ngram, strip_legal, phonetic))
    return vectorizer.fit_transform(names).tocsr()
