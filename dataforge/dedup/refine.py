"""``--refine``: rescore candidate pairs so that common words count for little and the distinctive words must agree.

The seed's character 3-grams score "KGF PLUMBING AND HEATING LTD" and "DSF
PLUMBING AND HEATING LTD" about 0.75: most of their 3-grams are shared, and
the words that tell the firms apart are a small part of each name.  Here
each candidate pair from the 3-gram step is scored again on words:

- the words of each name (:func:`dataforge.dedup.normalise.name_words`: legal
  forms off, by cleanco's list, also when misspelt by a letter), weighted by
  TF-IDF over the distinct names of the run, so a word in many names
  (SERVICES, PLUMBING, SMITH) weighs little and a word in few (KGF) a lot;
- two words are alike in proportion to rapidfuzz's Indel similarity (1 -
  edits / letters of both) when that is at least :data:`WORD_SIMILARITY`; a
  short word written as the other's abbreviation (same first and last
  letter, its letters in order, no vowel after the first: RD/ROAD,
  MGMT/MANAGEMENT) is :data:`ABBREVIATION_SIMILARITY` alike;
- each word of one name takes its best counterpart in the other, and the
  score is sum(weight x weight x likeness) with each name's weights scaled
  to length 1, the smaller of the two directions: the "soft TF-IDF" of
  Cohen, Ravikumar and Fienberg (2003), the best of the measures they
  compared on names.  A misspelt word is rare, so its idf is high and it
  would dominate its name; here a word weighs no more than the word of the
  other name it resembles.

Two names with the same words score 1.0; names sharing only common words
score little.  Vectorised over all pairs (numpy, and rapidfuzz's ``cpdist``
over the distinct pairs of words, in C), a chunk of pairs at a time.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import scipy.sparse as sp

from dataforge.dedup.normalise import name_words

# words at least this alike (rapidfuzz Indel normalized similarity) match, weighted by it:
# one typo in a 5-letter word is 0.8, in a 4-letter word 0.75
WORD_SIMILARITY = 0.7
ABBREVIATION_SIMILARITY = 0.9
_VOWELS = frozenset("AEIOUY")
# word pairs a chunk of the pairs expands to: bounds memory at ~100 bytes each
CHUNK_WORD_PAIRS = 4_000_000


class WordVectors:
    """The words of names (legal forms off) as term counts, with each word's idf over these names."""

    def __init__(self, names: Sequence[str], words_of: Optional[Sequence[list]] = None):
        """*words_of*: each name's :func:`~dataforge.dedup.normalise.name_words`, when at hand."""
        vocabulary: dict[str, int] = {}
        ids: list[int] = []
        lengths = np.empty(len(names), np.int64)
        for k, name in enumerate(names):
            words = name_words(name) if words_of is None else words_of[k]
            lengths[k] = len(words)
            ids.extend(vocabulary.setdefault(w, len(vocabulary)) for w in words)
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        counts = sp.csr_matrix((np.ones(len(ids)), np.asarray(ids, np.int64), indptr),
                               shape=(len(names), max(len(vocabulary), 1)))
        counts.sum_duplicates()  # a word twice in a name: term frequency 2
        document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
        self.idf = np.log((1 + len(names)) / (1 + document_frequency)) + 1  # scikit-learn's smooth idf
        self.counts = counts
        self.words = np.array(list(vocabulary), dtype=object)
        self.lengths = np.array([len(w) for w in self.words], np.int64)
        self.initials = np.array([ord(w[0]) for w in self.words], np.int64)
        self.finals = np.array([ord(w[-1]) for w in self.words], np.int64)
        # written as an abbreviation is: no vowel after the first letter (RD, GDNS, MGMT)
        self.contracted = np.array([not _VOWELS.intersection(w[1:]) for w in self.words], bool)


def _word_likeness(vectors: WordVectors, left: np.ndarray, right: np.ndarray, workers: int) -> np.ndarray:
    """How alike each pair of word ids is: 1 for the same word, else Indel similarity or
    an abbreviation's, 0 below :data:`WORD_SIMILARITY`."""
    from rapidfuzz import process
    from rapidfuzz.distance import LCSseq

    likeness = (left == right).astype(np.float64)
    differ = np.flatnonzero(left != right)
    if not len(differ):
        return likeness
    n = len(vectors.words)
    key = np.minimum(left[differ], right[differ]) * n + np.maximum(left[differ], right[differ])
    unique, inverse = np.unique(key, return_inverse=True)
    a, b = unique // n, unique % n
    common = process.cpdist(list(vectors.words[a]), list(vectors.words[b]), scorer=LCSseq.similarity,
                            workers=workers).astype(np.float64)  # longest common subsequence
    la, lb = vectors.lengths[a], vectors.lengths[b]
    similarity = 2 * common / (la + lb)  # Indel normalized similarity
    short, long = np.minimum(la, lb), np.maximum(la, lb)
    abbreviation = ((vectors.initials[a] == vectors.initials[b]) & (vectors.finals[a] == vectors.finals[b])
                    & (short >= 2) & (short <= 4) & (long >= short + 2) & (common == short)
                    & np.where(la < lb, vectors.contracted[a], vectors.contracted[b]))
    similarity = np.where(abbreviation, np.maximum(similarity, ABBREVIATION_SIMILARITY), similarity)
    similarity[similarity < WORD_SIMILARITY] = 0.0
    likeness[differ] = similarity[inverse]
    return likeness


def _expand(indptr: np.ndarray, a: np.ndarray, b: np.ndarray, na: np.ndarray, nb: np.ndarray):
    """For each pair k, every (word of a[k], word of b[k]), a's words major: their
    positions in the matrix, and where each lands when b's words are major."""
    count = na * nb
    first = np.repeat(np.cumsum(count) - count, count)
    offset = np.arange(int(count.sum())) - first
    pair = np.repeat(np.arange(len(a)), count)
    slot_a, slot_b = offset // nb[pair], offset % nb[pair]
    return indptr[a][pair] + slot_a, indptr[b][pair] + slot_b, first + slot_b * na[pair] + slot_a


def _segments(per_word: np.ndarray, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each word's entries start, and where each pair's words start."""
    word_starts = np.concatenate([[0], np.cumsum(np.repeat(per_word, words))[:-1]])
    return word_starts, np.concatenate([[0], np.cumsum(words)[:-1]])


def _side_weights(idf: np.ndarray, tf: np.ndarray, own: np.ndarray, other: np.ndarray, likeness: np.ndarray,
                  word_starts: np.ndarray, pair_starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each word's weight in its name (tf x idf, a word that resembles a word of the other
    name weighing no more than that word) and each pair's norm of them."""
    resembled = np.minimum.reduceat(np.where(likeness > 0, idf[other], np.inf), word_starts)
    weight = tf[word_starts] * np.minimum(idf[own[word_starts]], resembled)
    return weight, np.sqrt(np.add.reduceat(weight * weight, pair_starts))


def soft_scores(vectors: WordVectors, a: np.ndarray, b: np.ndarray, threads: int = 0) -> np.ndarray:
    """The refined score of name *a[k]* with name *b[k]* (rows of *vectors*)."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    m = vectors.counts
    indptr, word, tf, idf = m.indptr.astype(np.int64), m.indices.astype(np.int64), m.data, vectors.idf
    na, nb = indptr[a + 1] - indptr[a], indptr[b + 1] - indptr[b]
    scores = np.zeros(len(a))
    usable = np.flatnonzero((na > 0) & (nb > 0))  # a name with no words scores 0
    ends = np.cumsum(na[usable] * nb[usable])
    start = 0
    workers = threads if threads > 0 else -1
    while start < len(usable):
        stop = max(int(np.searchsorted(ends, (ends[start - 1] if start else 0) + CHUNK_WORD_PAIRS, "right")),
                   start + 1)
        k = usable[start:stop]
        ca, cb = na[k], nb[k]
        i, j, transposed = _expand(indptr, a[k], b[k], ca, cb)  # a's words major
        likeness = _word_likeness(vectors, word[i], word[j], workers)
        i_t, j_t, likeness_t = (np.empty_like(x) for x in (i, j, likeness))  # b's words major
        i_t[transposed], j_t[transposed], likeness_t[transposed] = i, j, likeness
        starts_a, pairs_a = _segments(cb, ca)
        starts_b, pairs_b = _segments(ca, cb)
        weight_a, norm_a = _side_weights(idf, tf[i], word[i], word[j], likeness, starts_a, pairs_a)
        weight_b, norm_b = _side_weights(idf, tf[j_t], word[j_t], word[i_t], likeness_t, starts_b, pairs_b)
        per_pair = np.repeat(np.arange(len(k)), ca * cb)
        weight_b_t = np.repeat(weight_b, np.repeat(ca, cb))
        product = (np.repeat(weight_a, np.repeat(cb, ca)) * weight_b_t[transposed] * likeness
                   / (norm_a * norm_b)[per_pair])
        product_t = np.empty_like(product)
        product_t[transposed] = product
        forward = np.add.reduceat(np.maximum.reduceat(product, starts_a), pairs_a)  # each word of a, its best in b
        backward = np.add.reduceat(np.maximum.reduceat(product_t, starts_b), pairs_b)
        scores[k] = np.minimum(forward, backward)
        start = stop
    return np.minimum(scores, 1.0)


def refined_scores(names: Sequence[str], a: np.ndarray, b: np.ndarray, threads: int = 0) -> np.ndarray:
    """The refined score of each pair of *names* (positions *a*, *b*), idf over *names*."""
    return soft_scores(WordVectors(names), a, b, threads)
