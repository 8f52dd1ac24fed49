"""``--learn``: decide which candidate pairs match by a model learned from the file itself.

A Fellegi-Sunter model, as splink and the record-linkage literature use it,
built for the case splink handles worst: when the only evidence is a name.

1. **Candidates.**  The names go through the exact pruned 3-gram TF-IDF
   product at :data:`~dataforge.dedup.options.LEARN_CANDIDATE_THRESHOLD`
   (0.4): generous, because EM learns what non-matches look like from the
   look-alikes among the candidates.  The ``--also`` values are not part of
   what candidates are chosen on: had they been, a non-match whose name
   differs would have got in by its fields agreeing (Berkson's paradox), and
   EM, which takes the measures as independent within a class, would find
   the fields worthless (measured: person records with street and town as
   ``--also`` columns, pair F1 0.00 that way, 0.93 this way).  With
   ``--also`` columns, the pairs whose whole records look alike (the name and
   the values as one text, 3-gram cosine above
   :data:`RECORD_CANDIDATE_THRESHOLD`) are candidates too, so that a match
   whose name was mistyped past recognition is found by its other fields
   (FEBRL's person records: 3 to 7 in 100 true pairs have names that share
   too little).  They are weighed apart (step 3).
2. **Comparisons.**  Every candidate pair gets a level in each measure
   (:data:`MEASURES`, plus one a ``--also`` column), each carrying its own
   evidence rather than several views of one spelling:

   - ``name``: one joint measure of the spelling: the same name, the same as
     it by a companies register's rule (the same words, a leading THE and the
     legal form aside: "THE COOK ESTATES LTD" and "COOK ESTATES LIMITED"), or
     the band of the soft TF-IDF of the words (``--refine``'s score: common words and
     legal forms count for little) with the band of the seed's 3-gram cosine,
     ordered words first; and last, by the cosine's band, a word different on
     both sides (:func:`word_levels`: "SARAH SMITH 12 HIGH ST" and "JAMES SMITH
     12 HIGH ST", "HARRIS PLUMBING" and "DAVIES PLUMBING").  Measured: the same
     F1 on FEBRL (both framings) and on generated companies, persons with
     street and town in the name text 0.52 -> 0.56 (EM still takes a household
     for one person there: with one text and a town, "same address" is the
     clearest class in the candidates; a few labels settle it);
   - ``numbers``: their numbers and designators (digits, roman numerals:
     "FUND II" against "FUND III" differ): the same, most of them shared,
     some shared, on one side only, or different;
   - ``legal_form``: the kind of legal form, by cleanco's types (LTD and
     LIMITED are one kind; LLC and LP are not);
   - each ``--also`` column: exact, close (one edit, or Jaro-Winkler at
     least 0.9, by rapidfuzz) or different.  A value that differs lowers the
     weight; it does not veto.

   A measure with nothing to compare (no numbers on either side, an empty
   postcode) is missing and counts for nothing; so are the numbers and the
   legal form of two records with the same name (they follow from the name:
   counted, they would tie those measures to the name within the matches, and
   EM took the matches to be the same names, with 0.52 of pair F1 on 50,000
   generated company names against 0.91 without).
3. **Estimation.**  EM over the distinct comparison patterns of the candidate
   pairs estimates each level's m (its share among matches) and u (among
   non-matches) and the prior that a candidate pair matches, all within the
   candidate set: no labels, no prior from random pairs (which is about 1e-6
   and which one name cannot outweigh).  Three things keep EM on the
   classes a person means, where left alone it splits the matches into clean
   and noisy ones, or calls a cluster of look-alikes (one trade, one street)
   the matches:

   - a better level is never less likely to be a match: the share of matches
     falls along each measure's levels, best first (along both bands of the
     name), fitted by isotonic regression in every M-step;
   - every level starts with :data:`PSEUDO_COUNT` pairs in each class, so no
     level's weight is infinite and no one measure vetoes a pair;
   - the name measure has a prior worth :data:`NAME_PRIOR_PAIRS` pairs in each
     class: the matches' halving level by level from the best, the
     non-matches' from the worst.  With a name and little else, EM cannot
     tell the middle levels apart and leaves a flat run in which look-alike
     firms of one trade ("HARRIS PLUMBING & HEATING LTD", "DAVIES PLUMBING &
     HEATING LTD") sit with the duplicates (the bundled sample: pair F1 0.68);
     the prior says that duplicates are spelled alike (0.87), and more data
     outweighs it;
   - the u of the numbers and of each ``--also`` column starts from
     :data:`RANDOM_PAIRS` random record pairs (nearly all non-matches), as
     splink estimates u, and keeps them as a prior worth
     :data:`RANDOM_U_PRIOR_PAIRS` pairs; EM goes on from there, since
     candidates that do not match still agree more often than random pairs
     do.  Without the prior, where the candidates are nearly all duplicates
     EM takes the noisy duplicates for the non-matches.

   - without labels, the non-matches that are alike in everything but a word of the name
     (a word different on both sides: "SARAH SMITH 12 HIGH ST" and "JAMES SMITH 12 HIGH ST",
     a household; "HARRIS PLUMBING LTD" and "DAVIES PLUMBING LTD") and that share no rare
     number (:data:`RARE_NUMBER_NAMES`: an id or a date is in few names, an address's number
     in many) are a third class while EM runs (:func:`_em_related`), started from the
     two-class estimate.  Two classes take such a cluster for the matches when it outnumbers
     the duplicates, as households do among person records with the address in the name text
     (pair F1 0.56 -> 0.98 on 50,000 generated ones, street and town as ``--also`` 0.932 ->
     0.938, FEBRL and generated companies the same or better).  The saved model stays two
     classes: the matches' m, and the u of both kinds of non-match together.

   The pairs found by their records alone are weighed by the same m (how a
   match looks does not depend on how it was found) but their own u and
   prior (:func:`estimate_records`: EM with m held, u starting from the
   random pairs): chosen for their agreeing fields, their non-matches agree
   more often than other non-matches do (a household shares a street), and
   their names are left out, since not looking alike is why they are there.

   An exact level is adjusted for how common the value is (a shared rare
   surname says more than a shared SMITH), relative to the typical exactly
   agreeing pair.
4. **Decision.**  ``match_weight`` is the log2 Bayes factor plus the prior's
   log2 odds; ``match_probability`` is 2^w / (1 + 2^w); a pair matches when the
   probability is above the threshold (0.5 by default).

Labels (``left_id,right_id,label`` with yes/no/unsure) are a person's
decisions: a labelled pair is decided as labelled, and in EM its class is
fixed, and the unlabelled pairs with the same comparison pattern move toward
what their labels say (as if each pattern's EM estimate were worth
:data:`LABEL_PRIOR_PAIRS` labels, or a :data:`LABEL_REACH`-th of the
pattern's pairs when that is more): pairs like a labelled one move too, in
proportion to how many of them a person has labelled, and one label cannot
move thousands of pairs.  The model is saved as versioned JSON
(:meth:`PairModel.save`, :func:`load_model`), never a pickle, and a saved one
scores tomorrow's file the same way without retraining.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd
import scipy.sparse as sp

from dataforge.dedup.arrays import compiled, sorted_unique
from dataforge.dedup.normalise import ROMAN_NUMERAL as _ROMAN_NUMERAL, designators, legal_form_class, same_as_key, split_legal_form
from dataforge.dedup.options import MatchOptions
from dataforge.errors import UsageError
from dataforge.progress import Progress

MODEL_FORMAT = "dataforge-match-model"
MODEL_VERSION = 3  # 2: the name's level "the same as"; records. 3: the name's levels "a word different on both sides"
# the measures of the names, their levels best first (with the bands that make them)
WORD_BANDS = (0.95, 0.85, 0.7)
COSINE_BANDS = (0.85, 0.7)


def _band_labels(what: str, bands: tuple) -> list:
    return [f"{what} >= {b}" for b in bands] + [f"{what} < {bands[-1]}"]


# one measure of the names' spelling: the words and the 3-gram cosine are two views of it, so
# their levels are joint (as independent measures they would count the same evidence twice)
NAME_LEVELS = ("same name", "the same as") + tuple(f"{w}, {c}" for w in _band_labels("words", WORD_BANDS)
                                    for c in _band_labels("3-grams", COSINE_BANDS)) + \
    tuple(f"a word different on both sides, {c}" for c in _band_labels("3-grams", COSINE_BANDS))
MEASURES = {
    "name": NAME_LEVELS,
    "numbers": ("same", "most shared", "some shared", "on one side only", "differ"),
    "legal_form": ("same kind", "on one side only", "differ"),
}
# words the name's word test passes over (the same-as rule's THE; & is AND)
FILLER_WORDS = frozenset(("THE", "AND"))
ALSO_LEVELS = ("exact", "close", "differ")
ALSO_PREFIX = "also_"
# an --also value this alike (rapidfuzz Jaro-Winkler), or one edit away, is close
CLOSE_SIMILARITY = 0.9
# a term-frequency adjustment is at most this many bits either way
TF_CLIP = 5.0
# labelled pairs weigh at least this share of all the pairs in EM
LABEL_PRIOR_PAIRS = 5.0
LABEL_REACH = 10.0  # a label moves about this many unlabelled pairs of its pattern
EM_MAX_ITERATIONS = 10000
INITIAL_PRIOR = 0.1  # where EM starts: a tenth of the candidates match
EM_TOLERANCE = 1e-5
PROBABILITY_FLOOR = 1e-6  # the prior is never taken as 0 or 1
PSEUDO_COUNT = 1.0  # each level starts with this many pairs in each class: no level has m or u 0
# the name measure's prior: this many pairs in each class, the matches' halving level by level from the
# best, the non-matches' from the worst (measured: the same F1 within 0.01 from 30 to 300 pairs, ratio 1.5 to 3)
NAME_PRIOR_PAIRS = 100.0
NAME_PRIOR_RATIO = 2.0
# the u of the numbers and of each --also column has a prior worth this many pairs at the random pairs'
# shares (splink takes u from random pairs alone): where the candidates are nearly all duplicates, EM
# would otherwise take the noisy duplicates for the non-matches (FEBRL2 as one text column: pair F1
# 0.96 -> 0.996; the same from 100 to 1000 pairs; at 3000 it outweighs what the candidates say about
# look-alike firms that share a number, and generated companies fall to 0.07)
RANDOM_U_PRIOR_PAIRS = 300.0
LABELS = ("yes", "no", "unsure")
LABEL_COLUMNS = ("left_id", "right_id", "label")
ROWS_A_CHUNK = 1_000_000
# the name's last levels: a word different on both sides (by the cosine's band)
FIRST_REPLACED = 2 + (len(WORD_BANDS) + 1) * (len(COSINE_BANDS) + 1)
# a number in at most this many distinct names is rare: an entity's own (an id, a date), not an address's
# (measured: 5, 10 and 20 give the same F1 on every set; 2 loses FEBRL2 as one text 0.998 -> 0.995)
RARE_NUMBER_NAMES = 10


def measure_names(also: list) -> list:
    return list(MEASURES) + [ALSO_PREFIX + str(c) for c in also]


@dataclass
class PairModel:
    """What decides a pair: each measure's levels with their m and u, the prior, the threshold,
    and what it was learned on (the --also columns and how candidates were found)."""

    measures: list  # names, in order
    levels: list  # per measure, the level labels best first
    m: list  # per measure, an array: P(level | match)
    u: list  # per measure: P(level | non-match)
    prior: float  # P(match) of a candidate pair
    threshold: float = 0.5
    also: list = field(default_factory=list)
    candidates: dict = field(default_factory=dict)  # ngram, threshold, top, strip_legal, phonetic
    trained: dict = field(default_factory=dict)  # pairs, labels, iterations
    # the pairs found by their records alone (with --also): threshold (of the records' 3-gram cosine),
    # prior and u (per measure; the name's is unused); empty: no such pairs
    records: dict = field(default_factory=dict)


    def as_dict(self) -> dict:
        return {"format": MODEL_FORMAT, "version": MODEL_VERSION, "prior": self.prior, "threshold": self.threshold,
                "also": list(self.also), "candidates": dict(self.candidates), "trained": dict(self.trained),
                "measures": [{"name": n, "levels": list(levels), "m": [float(x) for x in m],
                              "u": [float(x) for x in u]}
                             for n, levels, m, u in zip(self.measures, self.levels, self.m, self.u)],
                "records": ({"threshold": self.records["threshold"], "prior": self.records["prior"],
                             "u": [[float(x) for x in u] for u in self.records["u"]]} if self.records else None)}

    def save(self, out) -> None:
        """Write the model as JSON to the binary stream *out*."""
        out.write(json.dumps(self.as_dict(), indent=1).encode("utf-8") + b"\n")

    def check_columns(self, also: list, source: str = "the model") -> None:
        """Refuse to score records whose --also columns are not the ones the model learned on."""
        if [str(c) for c in also] != self.also:
            learned = ", ".join(self.also) or "no --also column"
            given = ", ".join(map(str, also)) or "no --also column"
            raise UsageError(f"{source} was learned with {learned}; this run gives {given}: give the same --also "
                             f"columns, in the same order, or learn a new model")


def _bad(source: str, why: str) -> UsageError:
    return UsageError(f"{source}: not a usable dataforge match model ({why})")


def model_from_dict(data, source: str = "model") -> PairModel:
    """A :class:`PairModel` from its JSON form, checked field by field."""
    if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
        raise _bad(source, f"its format is not {MODEL_FORMAT!r}")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _bad(source, f"version {version!r}")
    if version > MODEL_VERSION:
        raise UsageError(f"{source}: a model of version {version}, newer than this dataforge reads "
                         f"({MODEL_VERSION}): upgrade dataforge")
    if version < MODEL_VERSION:
        raise UsageError(f"{source}: a model of version {version}, from an older dataforge whose measures "
                         f"differ: learn it again (--learn --save-model)")
    prior, threshold, also = data.get("prior"), data.get("threshold"), data.get("also")
    if not _finite(prior) or not 0 < prior < 1:
        raise _bad(source, f"prior {prior!r}")
    if not _finite(threshold) or not 0 <= threshold < 1:
        raise _bad(source, f"threshold {threshold!r}")
    if not isinstance(also, list) or not all(isinstance(c, str) for c in also):
        raise _bad(source, "also is not a list of column names")
    candidates = data.get("candidates")
    if not isinstance(candidates, dict):
        raise _bad(source, "no candidates")
    for key, kind in (("ngram", int), ("top", int), ("threshold", float), ("strip_legal", bool),
                      ("phonetic", bool)):
        value = candidates.get(key)
        if not isinstance(value, (int, float) if kind is float else kind) or (kind is int and isinstance(value, bool)):
            raise _bad(source, f"candidates.{key} {value!r}")
    measures = data.get("measures")
    expected = measure_names(also)
    if not isinstance(measures, list) or [m.get("name") if isinstance(m, dict) else None
                                          for m in measures] != expected:
        raise _bad(source, f"its measures are not {', '.join(expected)}")
    levels, ms, us = [], [], []
    for measure in measures:
        want = ALSO_LEVELS if measure["name"].startswith(ALSO_PREFIX) else MEASURES[measure["name"]]
        if measure.get("levels") != list(want):
            raise _bad(source, f"the levels of {measure['name']}")
        for key, into in (("m", ms), ("u", us)):
            values = measure.get(key)
            if not (isinstance(values, list) and len(values) == len(want) and all(_finite(v) and 0 < v <= 1
                                                                                  for v in values)
                    and abs(sum(values) - 1) < 1e-6):
                raise _bad(source, f"{measure['name']}.{key} is not {len(want)} probabilities summing to 1")
            into.append(np.asarray(values, np.float64))
        levels.append(list(want))
    trained = data.get("trained") if isinstance(data.get("trained"), dict) else {}
    return PairModel(measures=expected, levels=levels, m=ms, u=us, prior=float(prior), threshold=float(threshold),
                     also=list(also), candidates=dict(candidates), trained=trained,
                     records=_records_from(data.get("records"), levels, bool(also), source))


def _records_from(records, levels: list, also: bool, source: str) -> dict:
    """The model's part for pairs found by their records alone, checked."""
    if records is None:
        return {}
    if not also or not isinstance(records, dict):
        raise _bad(source, "records without --also columns" if isinstance(records, dict) else "records")
    threshold, prior, u = records.get("threshold"), records.get("prior"), records.get("u")
    if not _finite(threshold) or not 0 < threshold < 1:
        raise _bad(source, f"records.threshold {threshold!r}")
    if not _finite(prior) or not 0 < prior < 1:
        raise _bad(source, f"records.prior {prior!r}")
    if not (isinstance(u, list) and len(u) == len(levels)
            and all(isinstance(v, list) and len(v) == len(want) and all(_finite(x) and 0 < x <= 1 for x in v)
                    and abs(sum(v) - 1) < 1e-6 for v, want in zip(u, levels))):
        raise _bad(source, "records.u is not, per measure, its levels' probabilities summing to 1")
    return {"threshold": float(threshold), "prior": float(prior), "u": [np.asarray(v, np.float64) for v in u]}


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def load_model(path: str) -> PairModel:
    """Read and check a saved model; a missing, corrupt or foreign file is a UsageError."""
    from dataforge.io import local_path

    try:
        with open(local_path(path), "rb") as f:
            raw = f.read(64 * 1024 * 1024 + 1)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such model file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a model file") from None
    except OSError as e:
        raise UsageError(f"{path}: cannot read the model ({e.strerror})") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise _bad(path, f"not JSON: {str(e).splitlines()[0][:80]}") from None
    return model_from_dict(data, path)


# ---------------------------------------------------------------- labels

def read_labels(path: str, encoding: str = "utf-8") -> pd.DataFrame:
    """A labels CSV (left_id,right_id,label; yes/no/unsure) as a DataFrame with each row's line."""
    from dataforge.io import local_path

    try:
        frame = pd.read_csv(local_path(path), dtype=str, keep_default_na=False, encoding=encoding)
    except FileNotFoundError:
        raise UsageError(f"--labels {path}: no such file") from None
    except pd.errors.EmptyDataError:
        raise UsageError(f"--labels {path}: empty; it needs a header left_id,right_id,label") from None
    except (pd.errors.ParserError, UnicodeDecodeError, IsADirectoryError) as e:
        raise UsageError(f"--labels {path}: not a labels CSV ({str(e).splitlines()[0][:100]})") from None
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    frame["line"] = np.arange(len(frame)) + 2
    return check_labels(frame, f"--labels {path}")


def check_labels(labels: pd.DataFrame, source: str = "labels") -> pd.DataFrame:
    """The labels with their columns and values checked; a bad one is a UsageError naming its line."""
    missing = [c for c in LABEL_COLUMNS if c not in labels.columns]
    if missing:
        raise UsageError(f"{source}: no {', '.join(missing)} column (it needs {', '.join(LABEL_COLUMNS)})")
    labels = labels.copy()
    if "line" not in labels.columns:
        labels["line"] = np.arange(len(labels)) + 2
    labels["label"] = labels["label"].astype(str).str.strip().str.lower()
    for column in ("left_id", "right_id"):
        labels[column] = labels[column].astype(str).str.strip()
    for row in labels.itertuples(index=False):
        if row.label not in LABELS:
            raise UsageError(f"{source} line {row.line}: label {row.label!r} is not one of {', '.join(LABELS)}")
        if row.left_id == "" or row.right_id == "":
            raise UsageError(f"{source} line {row.line}: an empty id")
    return labels


def _label_positions(labels: pd.DataFrame, ids: pd.Series, right_ids: pd.Series, one_list: bool, source: str):
    """Each label's record positions on the two sides."""
    def index_of(values: pd.Series) -> dict:
        keys = values.astype(str).str.strip().to_numpy(dtype=object)
        return {k: i for i, k in reversed(list(enumerate(keys)))}  # the first record with an id

    left_of, right_of = index_of(ids), (None if one_list else index_of(right_ids))
    right_of = left_of if one_list else right_of
    left, right = np.empty(len(labels), np.int64), np.empty(len(labels), np.int64)
    for k, row in enumerate(labels.itertuples(index=False)):
        for side, key, where in (("left", row.left_id, left_of), ("right", row.right_id, right_of)):
            if key not in where:
                whose = "" if one_list else (" in the input" if side == "left" else " in the master list")
                raise UsageError(f"{source} line {row.line}: no record{whose} has id {key!r}")
        left[k], right[k] = left_of[row.left_id], right_of[row.right_id]
        if one_list and left[k] == right[k]:
            raise UsageError(f"{source} line {row.line}: pairs record {row.left_id!r} with itself")
    if one_list:
        left, right = np.minimum(left, right), np.maximum(left, right)
    return left, right


# ---------------------------------------------------------------- comparisons

def _row_dots(a: sp.csr_matrix, b: sp.csr_matrix, rows_a: np.ndarray, rows_b: np.ndarray) -> np.ndarray:
    """The dot product of row rows_a[k] of *a* with row rows_b[k] of *b*, a chunk at a time."""
    out = np.empty(len(rows_a))
    for start in range(0, len(rows_a), ROWS_A_CHUNK):
        stop = start + ROWS_A_CHUNK
        out[start:stop] = np.asarray(a[rows_a[start:stop]].multiply(b[rows_b[start:stop]]).sum(axis=1)).ravel()
    return out


def _bands(values: np.ndarray, bands: tuple) -> np.ndarray:
    """Level k for a value at least bands[k] (bands descending); len(bands) below the last."""
    return np.searchsorted(-np.asarray(bands), -values, side="right").astype(np.int8)


def _sets(per_name: list) -> tuple:
    """Names x the distinct items of each, as 0/1 (CSR, sorted), and each item (column) itself."""
    vocabulary: dict = {}
    rows, cols = [], []
    for k, items in enumerate(per_name):
        for item in set(items):
            rows.append(k)
            cols.append(vocabulary.setdefault(item, len(vocabulary)))
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(per_name), max(len(vocabulary), 1)))
    matrix.sort_indices()
    return matrix, np.asarray(list(vocabulary) or [""], dtype=object)


class _Names:
    """What the measures need of each distinct name, computed once."""

    def __init__(self, names: np.ndarray, options: MatchOptions):
        from dataforge.dedup.match import _vectors
        from dataforge.dedup.refine import WordVectors

        self.names = names
        self.options = options
        self._vectors = None
        splits = [split_legal_form(n) for n in names]  # each name's words and legal forms, once
        # the register's "same as" rule: the same words, a leading THE and the legal form aside
        keys = pd.factorize(pd.Series([same_as_key(n, words) for n, (words, _) in zip(names, splits)], dtype=object))
        self.same_as = np.where(keys[1][keys[0]] == "", -1, keys[0]) if len(names) else np.empty(0, np.int64)
        self.words = WordVectors(list(names), [words for words, _ in splits])
        self.numbers = _sets([designators(n, words + forms) for n, (words, forms) in zip(names, splits)])[0]
        self.number_count = np.diff(self.numbers.indptr)
        kinds = pd.factorize(pd.Series([legal_form_class(n, split) for n, split in zip(names, splits)], dtype=object))
        self.legal = np.where(kinds[1][kinds[0]] == "", -1, kinds[0]) if len(names) else np.empty(0, np.int64)
        # the words of the name's word test: letters only (numbers are the numbers measure's), no legal form
        self.word_sets, self.word_text = _sets([[w for w in words if w.isalpha() and w not in FILLER_WORDS
                                                      and not _ROMAN_NUMERAL.match(w)] for words, _ in splits])

    @property
    def vectors(self) -> sp.csr_matrix:
        from dataforge.dedup.match import _vectors

        if self._vectors is None:
            self._vectors = _vectors(list(self.names), self.options)
        return self._vectors

    def levels(self, a: np.ndarray, b: np.ndarray, threads: int, spelled: np.ndarray,
               known: Optional[np.ndarray] = None) -> tuple:
        """The name measures' levels for the name pairs (a[k], b[k]), and their 3-gram cosines
        (*known* where not NaN: the product's); the spelling (the name measure) only where
        *spelled*, else missing."""
        from dataforge.dedup.refine import soft_scores

        at = np.flatnonzero(spelled)
        cosine = np.zeros(len(a)) if known is None else np.minimum(np.nan_to_num(known, nan=0.0), 1.0)
        unknown = at if known is None else at[np.isnan(known[at])]
        if len(unknown):
            cosine[unknown] = np.minimum(_row_dots(self.vectors, self.vectors, a[unknown], b[unknown]), 1.0)
        same = self.names[a[at]] == self.names[b[at]]
        cosine[at] = np.where(same, 1.0, cosine[at])
        same_as = (self.same_as[a[at]] >= 0) & (self.same_as[a[at]] == self.same_as[b[at]])
        words = np.zeros(len(at), np.int8)
        scored = np.flatnonzero(~same & ~same_as)  # the rest: levels 0 and 1, whatever their words score
        words[scored] = _bands(soft_scores(self.words, a[at[scored]], b[at[scored]], threads), WORD_BANDS)
        bands = _bands(cosine[at], COSINE_BANDS)
        joint = 2 + words * (len(COSINE_BANDS) + 1) + bands
        # each name has a word the other lacks, not written another way there ("SARAH SMITH 12 HIGH ST" and
        # "JAMES SMITH 12 HIGH ST"; "HARRIS PLUMBING LTD" and "DAVIES PLUMBING LTD"): the last levels
        replaced = np.zeros(len(at), bool)
        replaced[scored] = word_levels(self.word_sets, self.word_text, a[at[scored]], b[at[scored]], threads) == 2
        joint = np.where(replaced, FIRST_REPLACED + bands, joint)
        name = np.full(len(a), -1, np.int8)
        name[at] = np.where(same, 0, np.where(same_as, 1, joint))
        na, nb = self.number_count[a], self.number_count[b]
        shared = np.zeros(len(a))
        both = np.flatnonzero((na > 0) & (nb > 0))
        shared[both] = _row_dots(self.numbers, self.numbers, a[both], b[both])
        # a number few names have (a date, an id): an address's number is in many names, a person's id in one
        rare = self.numbers[:, np.bincount(self.numbers.indices, minlength=self.numbers.shape[1]) <= RARE_NUMBER_NAMES]
        shares_rare = np.zeros(len(a), bool)
        shares_rare[both] = _row_dots(rare, rare, a[both], b[both]) > 0
        numbers = np.select([(na == 0) & (nb == 0), (shared == na) & (shared == nb), 2 * shared >= np.maximum(na, nb),
                             shared > 0, (na == 0) | (nb == 0)], [-1, 0, 1, 2, 3], 4).astype(np.int8)
        la, lb = self.legal[a], self.legal[b]
        legal = np.select([(la < 0) & (lb < 0), la == lb, (la < 0) | (lb < 0)], [-1, 0, 1], 2).astype(np.int8)
        # the same name has the same numbers and legal form, the same words the same numbers: no further
        # evidence, and counted as agreeing they would tie those measures to the name within the matches
        numbers[(name == 0) | (name == 1)] = -1
        legal[name == 0] = -1
        return [name, numbers, legal], cosine, shares_rare


def _abbreviates(short: str, long: str) -> bool:
    """*short* is *long* cut short: the same first letter, then its letters in order (RD ROAD, J JOHN,
    INTL INTERNATIONAL, GDNS GARDENS)."""
    if len(short) > len(long):
        short, long = long, short
    if not short or short[0] != long[0]:
        return False
    at = 1
    for letter in short[1:]:
        at = long.find(letter, at) + 1
        if not at:
            return False
    return True


def words_alike(left: list, right: list, threads: int = 0) -> np.ndarray:
    """Whether each word pair is one word written two ways: one edit apart (a transposition is one),
    Jaro-Winkler at least CLOSE_SIMILARITY (rapidfuzz), or one an abbreviation of the other."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA, JaroWinkler

    if not len(left):
        return np.zeros(0, bool)
    workers = threads or -1
    alike = (process.cpdist(left, right, scorer=OSA.distance, workers=workers) <= 1) | \
        (process.cpdist(left, right, scorer=JaroWinkler.normalized_similarity, workers=workers) >= CLOSE_SIMILARITY)
    first_left = np.array([w[:1] for w in left], dtype=object)
    first_right = np.array([w[:1] for w in right], dtype=object)
    rest = np.flatnonzero(~alike & (first_left == first_right))  # an abbreviation keeps the first letter
    alike[rest] = [_abbreviates(left[k], right[k]) for k in rest]
    return alike


def _unshared_py(indptr, idx, a, b, counts):
    """Each pair's count of a's words b lacks and of b's words a lacks (sorted rows) into counts."""
    total = 0
    for k in range(len(a)):
        i, i_end = indptr[a[k]], indptr[a[k] + 1]
        j, j_end = indptr[b[k]], indptr[b[k] + 1]
        only_a, only_b = 0, 0
        while i < i_end and j < j_end:
            if idx[i] == idx[j]:
                i += 1
                j += 1
            elif idx[i] < idx[j]:
                only_a += 1
                i += 1
            else:
                only_b += 1
                j += 1
        only_a += i_end - i
        only_b += j_end - j
        counts[k, 0] = only_a
        counts[k, 1] = only_b
        if only_a > 0 and only_b > 0:
            total += only_a * only_b
    return total


def _unshared_pairs_py(indptr, idx, a, b, counts, n_words, keys):
    """The (a word b lacks, b word a lacks) pairs of each pair with both, a's words major, as keys."""
    at = 0
    left = np.empty(counts[:, 0].max() if len(counts) else 0, np.int64)
    right = np.empty(counts[:, 1].max() if len(counts) else 0, np.int64)
    for k in range(len(a)):
        if counts[k, 0] == 0 or counts[k, 1] == 0:
            continue
        i, i_end = indptr[a[k]], indptr[a[k] + 1]
        j, j_end = indptr[b[k]], indptr[b[k] + 1]
        na, nb = 0, 0
        while i < i_end or j < j_end:
            if i < i_end and j < j_end and idx[i] == idx[j]:
                i += 1
                j += 1
            elif j >= j_end or (i < i_end and idx[i] < idx[j]):
                left[na] = idx[i]
                na += 1
                i += 1
            else:
                right[nb] = idx[j]
                nb += 1
                j += 1
        for x in range(na):
            for y in range(nb):
                keys[at] = left[x] * n_words + right[y]
                at += 1


def _without_partner_py(alike) -> int:
    """Rows of *alike* (one name's unshared words x the other's) with no word written another way."""
    count = 0
    for x in range(alike.shape[0]):
        found = False
        for y in range(alike.shape[1]):
            found = found or alike[x, y]
        count += not found
    return count


def _left_over_py(counts, alike, level):
    """Level 2 stays where each name keeps a word with no partner written another way, else 1 or 0."""
    at = 0
    for k in range(len(counts)):
        na, nb = counts[k, 0], counts[k, 1]
        if na == 0 or nb == 0:
            continue
        pairs = alike[at:at + na * nb].reshape(na, nb)
        left_over_a, left_over_b = _without_partner(pairs), _without_partner(pairs.T)
        at += na * nb
        level[k] = 2 if left_over_a > 0 and left_over_b > 0 else 1 if left_over_a > 0 or left_over_b > 0 else 0


_unshared = compiled(_unshared_py)
_unshared_pairs = compiled(_unshared_pairs_py)
_without_partner = compiled(_without_partner_py)
_left_over = compiled(_left_over_py)


def word_levels(sets: sp.csr_matrix, text: np.ndarray, a: np.ndarray, b: np.ndarray, threads: int = 0) -> np.ndarray:
    """The words measure for name pairs (a[k], b[k]): 0 when each word of either name is in the other
    or written another way there (a typo, an abbreviation), 1 when one name has words more, 2 when each
    has a word the other lacks ("SARAH SMITH" and "JAMES SMITH": another person; "HARRIS PLUMBING"
    and "DAVIES PLUMBING": another firm); -1 (missing) when neither has a word.  Compiled loops over
    each pair's words; rapidfuzz compares each distinct pair of unshared words once."""
    level = np.full(len(a), -1, np.int8)
    if not len(a):
        return level
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    indptr, idx = sets.indptr.astype(np.int64), sets.indices.astype(np.int64)
    counts = np.empty((len(a), 2), np.int64)
    total = _unshared(indptr, idx, a, b, counts)
    extra_a, extra_b = counts[:, 0], counts[:, 1]
    level[:] = np.where((extra_a > 0) & (extra_b > 0), 2, np.where((extra_a > 0) | (extra_b > 0), 1, 0))
    size = np.diff(indptr)
    level[(size[a] == 0) & (size[b] == 0)] = -1
    if total:  # is a word on one side another way of writing one on the other?
        n = len(text)
        keys = np.empty(total, np.int64)
        _unshared_pairs(indptr, idx, a, b, counts, n, keys)
        distinct = sorted_unique(keys)
        alike = words_alike(list(text[distinct // n]), list(text[distinct % n]), threads)
        _left_over(counts, alike[np.searchsorted(distinct, keys)], level)
    return level


def _distinct_pairs(a: np.ndarray, b: np.ndarray, width: int):
    """The distinct unordered pairs of (a, b), and where each pair is among them."""
    key = np.minimum(a, b).astype(np.int64) * max(width, 1) + np.maximum(a, b)
    unique, inverse = np.unique(key, return_inverse=True)
    return unique // max(width, 1), unique % max(width, 1), inverse


def _value_levels(values: np.ndarray, a: np.ndarray, b: np.ndarray, threads: int) -> np.ndarray:
    """An --also column's level for value pairs (a[k], b[k]) of *values* ("" is missing)."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA, JaroWinkler

    level = np.where(a == b, 0, 2).astype(np.int8)
    differ = np.flatnonzero(a != b)
    if len(differ):
        ua, ub, inverse = _distinct_pairs(a[differ], b[differ], len(values))
        left, right = list(values[ua]), list(values[ub])
        workers = threads or -1
        edits = process.cpdist(left, right, scorer=OSA.distance, workers=workers)
        alike = process.cpdist(left, right, scorer=JaroWinkler.normalized_similarity, workers=workers)
        level[differ] = np.where((edits <= 1) | (alike >= CLOSE_SIMILARITY), 1, 2)[inverse]
    level[(values[a] == "") | (values[b] == "")] = -1
    return level


@dataclass
class Comparisons:
    """Every pair's level in each measure (-1: missing) and each exact level's term-frequency adjustment."""

    levels: np.ndarray  # pairs x measures, int8
    tf: np.ndarray  # pairs x measures, bits (0 where no adjustment applies)
    cosine: np.ndarray  # the names' 3-gram cosine: the pairs' similarity
    shares_rare: np.ndarray  # the names share a number few names have (RARE_NUMBER_NAMES)

    def split(self, at: int) -> tuple:
        """The first *at* pairs' comparisons, and the rest's."""
        return (Comparisons(self.levels[:at], self.tf[:at], self.cosine[:at], self.shares_rare[:at]),
                Comparisons(self.levels[at:], self.tf[at:], self.cosine[at:], self.shares_rare[at:]))


def _frequencies(codes: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Each record's value's share of the records with a value."""
    counts = np.bincount(codes[~missing], minlength=int(codes.max()) + 1 if len(codes) else 0)
    share = counts / max(int((~missing).sum()), 1)
    return share[codes]


def _tf_adjustment(frequency_left: np.ndarray, frequency_right: np.ndarray, exact: np.ndarray,
                   typical_of: Optional[int] = None) -> np.ndarray:
    """log2(typical exact pair's value share / this pair's), clipped: a rare shared value says more.
    The typical pair is that of the first *typical_of* pairs (the candidates, not the random ones)."""
    out = np.zeros(len(exact))
    if exact.any():
        share = np.maximum(frequency_left, frequency_right)
        typical_exact = exact.copy()
        typical_exact[len(exact) if typical_of is None else typical_of:] = False
        if typical_exact.any():
            typical = np.exp(np.mean(np.log(share[typical_exact])))
            out[exact] = np.clip(np.log2(typical / share[exact]), -TF_CLIP, TF_CLIP)
    return out


def compare(names: np.ndarray, right_names: np.ndarray, also: list, right_also: list, left: np.ndarray,
            right: np.ndarray, options: MatchOptions, spelled: Optional[int] = None,
            cosine: Optional[np.ndarray] = None) -> Comparisons:
    """The comparison vectors of record pairs (left[k] of *names*, right[k] of *right_names*);
    *also* and *right_also* are each side's --also columns, normalised.  With *spelled*, only
    the first *spelled* pairs get the name measure (the rest: missing, cosine 0).  *cosine*: the
    names' 3-gram cosines that are known (the product's; NaN where not), for the first pairs."""
    both = np.concatenate([names, right_names]).astype(object)
    codes, distinct = pd.factorize(both)
    distinct = np.asarray(distinct, dtype=object)
    offset = len(names)
    lc, rc = codes[left], codes[offset + right]
    ua, ub, inverse = _distinct_pairs(lc, rc, len(distinct))
    spell = np.ones(len(ua), bool)
    if spelled is not None:
        spell[:] = False
        spell[inverse[:spelled]] = True
    known = None
    if cosine is not None:
        known = np.full(len(ua), np.nan)
        known[inverse[:len(cosine)]] = cosine
    name_levels, cosine, shares_rare = _Names(distinct, options).levels(ua, ub, options.threads, spell, known)
    columns = [level[inverse] for level in name_levels]
    tf = [np.zeros(len(left)) for _ in columns]
    frequency = _frequencies(codes, np.zeros(len(codes), bool))
    tf[0] = _tf_adjustment(frequency[left], frequency[offset + right], columns[0] == 0, spelled)
    for mine, theirs in zip(also, right_also):
        values = np.concatenate([mine, theirs]).astype(object)
        vcodes, vdistinct = pd.factorize(values)
        vdistinct = np.asarray(vdistinct, dtype=object)
        level = _value_levels(vdistinct, vcodes[left], vcodes[offset + right], options.threads)
        frequency = _frequencies(vcodes, values == "")
        columns.append(level)
        tf.append(_tf_adjustment(frequency[left], frequency[offset + right], level == 0, spelled))
    return Comparisons(levels=np.stack(columns, axis=1), tf=np.stack(tf, axis=1), cosine=cosine[inverse],
                       shares_rare=shares_rare[inverse])


# ---------------------------------------------------------------- estimation

def _patterns(levels: np.ndarray, sizes: list):
    """The distinct rows of *levels* and, for each row of *levels*, which one it is."""
    radix = np.cumprod([1] + [s + 1 for s in sizes[:-1]]).astype(np.int64)
    code = ((levels.astype(np.int64) + 1) * radix).sum(axis=1)
    unique, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    return levels[first], inverse.ravel()


def _initial(size: int, good: bool) -> np.ndarray:
    """A gentle starting guess: matches more often at the better levels, non-matches at the worse
    (linearly: the best level is *size* times likelier among matches than the worst)."""
    shares = size - np.arange(size, dtype=np.float64)
    shares = shares if good else shares[::-1]
    return shares / shares.sum()


def _log_ratio(patterns: np.ndarray, m: list, u: list) -> np.ndarray:
    """Each pattern's log2 Bayes factor."""
    total = np.zeros(len(patterns))
    for k in range(patterns.shape[1]):
        level = patterns[:, k]
        present = level >= 0
        total[present] += np.log2(m[k][level[present]] / u[k][level[present]])
    return total


def _monotone(mass_m: np.ndarray, mass_u: np.ndarray) -> tuple:
    """The masses with a match's share of each level never rising from one level to the next (best first).

    A better level (closer spelling, agreeing numbers) is never less likely to be a match.  The
    share is fitted by weighted isotonic regression (scipy's); the levels' total masses stay as
    they are.
    """
    from scipy.optimize import isotonic_regression

    total = mass_m + mass_u
    share = isotonic_regression(mass_m / total, weights=total, increasing=False).x
    share = np.clip(share, 1e-12, 1 - 1e-12)
    return share * total, (1 - share) * total


def estimate(levels: np.ndarray, sizes: list, fixed: Optional[np.ndarray] = None,
             initial_u: Optional[dict] = None, shares_rare: Optional[np.ndarray] = None) -> tuple:
    """EM for a Fellegi-Sunter model on comparison vectors.

    *levels* is pairs x measures (-1 missing), *sizes* each measure's number of
    levels (best first), *fixed* each pair's known class (1 match, 0 non-match,
    NaN unknown): a pattern's unlabelled pairs are taken to match with (its
    labels' yes + LABEL_PRIOR_PAIRS x EM's estimate) / (its labels +
    LABEL_PRIOR_PAIRS).  *initial_u* is where EM starts some measures' u.
    Without labels, and with *shares_rare* (each pair's names share a rare
    number), the non-matches that are alike but for a word of the name are a
    class of their own while EM runs (:func:`_em_related`).
    Returns (m, u, prior, iterations): per measure the level probabilities
    among matches and non-matches, and the share of matches.
    """
    patterns, which = _patterns(levels, sizes)
    n_patterns = len(patterns)
    fixed = np.full(len(levels), np.nan) if fixed is None else np.asarray(fixed, np.float64)
    free = np.isnan(fixed)
    count = np.bincount(which[free], minlength=n_patterns).astype(np.float64)
    known_match = np.bincount(which[~free], weights=fixed[~free], minlength=n_patterns)
    known_other = np.bincount(which[~free], weights=1 - fixed[~free], minlength=n_patterns)
    labelled = bool((~free).any())
    initial_u = {} if initial_u is None else initial_u
    m = [_initial(s, True) for s in sizes]
    u = [initial_u[k] if k in initial_u else _initial(s, False) for k, s in enumerate(sizes)]
    m, u, prior, iterations = _em(patterns, count, known_match, known_other, sizes, m, u, INITIAL_PRIOR, initial_u)
    if not labelled and sum(math.log2(mk[0] / uk[0]) for mk, uk in zip(m, u)) < 0:
        m, u, prior = u, m, 1 - prior  # EM found the classes the other way round
    if not labelled and shares_rare is not None and sizes[0] == len(NAME_LEVELS):
        flagged, which = _patterns(np.concatenate([levels, np.asarray(shares_rare, levels.dtype)[:, None]], axis=1),
                                   list(sizes) + [2])
        count = np.bincount(which, minlength=len(flagged)).astype(np.float64)
        m, u, prior, more = _em_related(flagged[:, :-1], flagged[:, -1] > 0, count, sizes, m, u, prior, initial_u)
        iterations += more
    return m, u, prior, iterations


def _name_prior(size: int) -> np.ndarray:
    """The name measure's prior pairs a class: NAME_PRIOR_PAIRS in all, halving level by level from the
    best (the matches'; reversed, the non-matches')."""
    prior = NAME_PRIOR_RATIO ** -np.arange(size, dtype=np.float64)
    prior *= NAME_PRIOR_PAIRS / prior.sum()
    return prior


def _em(patterns, count, known_match, known_other, sizes, m, u, prior, anchor: dict) -> tuple:
    """EM from one start (m, u, prior); see :func:`estimate`.  *anchor*: the measures' u among random pairs."""
    known = known_match + known_other
    strength = np.maximum(LABEL_PRIOR_PAIRS, count / LABEL_REACH)  # what EM's estimate of a pattern is worth
    name_prior = _name_prior(sizes[0])
    iterations = 0
    for iterations in range(1, EM_MAX_ITERATIONS + 1):
        logit = _log_ratio(patterns, m, u) + math.log2(prior / (1 - prior))
        r = 1 / (1 + np.exp2(-np.clip(logit, -200, 200)))
        r = (known_match + strength * r) / (known + strength)  # unchanged where no labels
        as_match = count * r + known_match
        as_other = count * (1 - r) + known_other
        new_m, new_u = [], []
        for k, size in enumerate(sizes):
            level = patterns[:, k]
            present = level >= 0
            mass_m = np.bincount(level[present], weights=as_match[present], minlength=size) + PSEUDO_COUNT
            mass_u = np.bincount(level[present], weights=as_other[present], minlength=size) + PSEUDO_COUNT
            if k == 0:  # the name: duplicates are spelled alike
                mass_m, mass_u = mass_m + name_prior, mass_u + name_prior[::-1]
            elif k in anchor:  # what random pairs say non-matches look like
                mass_u = mass_u + RANDOM_U_PRIOR_PAIRS * anchor[k]
            mass_m, mass_u = _monotone(mass_m, mass_u)
            new_m.append(mass_m / mass_m.sum())
            new_u.append(mass_u / mass_u.sum())
        new_prior = float(np.clip(as_match.sum() / (as_match.sum() + as_other.sum()), PROBABILITY_FLOOR,
                                  1 - PROBABILITY_FLOOR))
        change = max([abs(new_prior - prior)] + [float(np.abs(a - b).max()) for a, b in zip(new_m + new_u, m + u)])
        m, u, prior = new_m, new_u, new_prior
        if change < EM_TOLERANCE:
            break
    return m, u, prior, iterations



def _em_related(patterns, shares_rare, count, sizes, m, u, prior, anchor: dict) -> tuple:
    """EM with three classes, from the two-class estimate (m, u, prior): the matches; the related
    non-matches, alike to the matches in every measure but the name, where a word differs on both
    sides ("SARAH SMITH 12 HIGH ST" and "JAMES SMITH 12 HIGH ST": a household; "HARRIS PLUMBING
    LTD" and "DAVIES PLUMBING LTD": two firms of a trade) and who share no rare number (an id, a
    date of birth: a household shares an address's numbers, which many names have); the other
    non-matches.  Two classes take such a cluster for the matches: after the duplicates it is the
    clearest agreement among the candidates.  Returns the matches' m, the non-matches' u (both
    kinds together, monotone against the matches as in :func:`_em`), the matches' share and the
    iterations; the related class starts with the two-class matches' pairs that a word differs in.
    """
    replaced = np.arange(sizes[0]) >= FIRST_REPLACED

    def only(shares: np.ndarray, where: np.ndarray) -> np.ndarray:
        kept = np.where(where, shares, 0.0)
        return kept / kept.sum()

    share = float(m[0][replaced].sum())
    classes = [[only(m[0], ~replaced)] + m[1:], [only(m[0], replaced)] + m[1:], list(u)]
    priors = np.array([prior * (1 - share), prior * share, 1 - prior])
    name_prior = _name_prior(sizes[0])
    m_out, u_out = m, u
    iterations = 0
    with np.errstate(divide="ignore"):
        for iterations in range(1, EM_MAX_ITERATIONS + 1):
            log_joint = np.stack([np.log(np.maximum(p, PROBABILITY_FLOOR)) + _log_likelihood(patterns, dists)
                                  for p, dists in zip(priors, classes)])
            log_joint[1, shares_rare] = -np.inf  # a related pair shares no rare number
            r = np.exp(log_joint - log_joint.max(axis=0))
            mass = count * r / r.sum(axis=0)  # classes x patterns
            new, m_out, u_out = [[], [], []], [], []
            for k, size in enumerate(sizes):
                level = patterns[:, k]
                present = level >= 0
                matches, related, others = (np.bincount(level[present], weights=w[present], minlength=size)
                                            + PSEUDO_COUNT for w in mass)
                if k == 0:  # duplicates are spelled alike; the related differ in a word
                    matches, others = matches + name_prior, others + name_prior[::-1]
                    related = np.where(replaced, related, 0.0)
                elif k in anchor:
                    others = others + RANDOM_U_PRIOR_PAIRS * anchor[k]
                # the matches monotone against the non-matches of both kinds, as in _em
                monotone_m, monotone_u = _monotone(matches, related + others)
                m_out.append(monotone_m / monotone_m.sum())
                u_out.append(monotone_u / monotone_u.sum())
                # the non-matches' monotone mass shared between their two kinds as their own masses are
                # (so that with no related pairs this is _em's step: the two-class estimate stays)
                others_share = others / (related + others)
                new[0].append(m_out[-1])
                new[1].append(related / related.sum())
                new[2].append(monotone_u * others_share / (monotone_u * others_share).sum())
            new_priors = np.clip(mass.sum(axis=1) / count.sum(), PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)
            change = max([float(np.abs(new_priors - priors).max())] +
                         [float(np.abs(a - b).max()) for c in range(3) for a, b in zip(new[c], classes[c])])
            classes, priors = new, new_priors
            if change < EM_TOLERANCE:
                break
    return m_out, u_out, float(priors[0]), iterations


def _log_likelihood(patterns: np.ndarray, dists: list) -> np.ndarray:
    """Each pattern's log probability under one class's level shares (missing levels count 1)."""
    total = np.zeros(len(patterns))
    for k in range(patterns.shape[1]):
        level = patterns[:, k]
        present = level >= 0
        total[present] += np.log(dists[k][level[present]])
    return total


def estimate_records(levels: np.ndarray, sizes: list, m: list, initial_u: dict) -> tuple:
    """EM for the pairs found by their records alone: their m is the matches' (learned on the name
    candidates: how a match looks does not depend on how it was found), their u and their share of
    matches are their own (chosen for agreeing fields, their non-matches agree more often than
    other non-matches: a household shares a street).  u starts at the random pairs' shares where
    there are some, else at these pairs' own; the name measure should be missing in *levels*.
    Returns (u, prior, iterations)."""
    patterns, which = _patterns(levels, sizes)
    count = np.bincount(which, minlength=len(patterns)).astype(np.float64)

    def shares(weights: np.ndarray) -> list:
        out = []
        for k, size in enumerate(sizes):
            level = patterns[:, k]
            present = level >= 0
            mass = np.bincount(level[present], weights=weights[present], minlength=size) + PSEUDO_COUNT
            out.append(mass / mass.sum())
        return out

    u = [initial_u[k] if k in initial_u else own for k, own in enumerate(shares(count))]
    prior, iterations = RECORD_INITIAL_PRIOR, 0
    for iterations in range(1, EM_MAX_ITERATIONS + 1):
        logit = _log_ratio(patterns, m, u) + math.log2(prior / (1 - prior))
        r = 1 / (1 + np.exp2(-np.clip(logit, -200, 200)))
        new_u = shares(count * (1 - r))
        new_prior = float(np.clip((count * r).sum() / max(count.sum(), 1), PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR))
        change = max([abs(new_prior - prior)] + [float(np.abs(a - b).max()) for a, b in zip(new_u, u)])
        u, prior = new_u, new_prior
        if change < EM_TOLERANCE:
            break
    return u, prior, iterations


def weights(model: PairModel, comparisons: Comparisons, by_record: Optional[np.ndarray] = None) -> tuple:
    """Each pair's match weight, each measure's part of it (pairs x measures) and the prior's part
    (per pair).  The pairs *by_record* (found by their records alone) are weighed by the model's
    part for them: no name measure, their own u and prior."""
    levels = comparisons.levels
    if by_record is None or not model.records:
        by_record = np.zeros(len(levels), bool)
    parts = np.zeros(levels.shape)
    prior = np.zeros(len(levels))
    for rows, u, share, first in ((~by_record, model.u, model.prior, 0),
                                  (by_record, model.records.get("u"), model.records.get("prior"), 1)):
        if not rows.any():
            continue
        prior[rows] = math.log2(share / (1 - share))
        for k in range(first, levels.shape[1]):  # the pairs found by their records: no name measure
            level = levels[:, k]
            present = rows & (level >= 0)
            parts[present, k] = np.log2(model.m[k] / u[k])[level[present]] + comparisons.tf[present, k]
    return prior + parts.sum(axis=1), parts, prior


def probability(weight: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp2(-np.clip(weight, -1000, 1000)))


# ---------------------------------------------------------------- the mode

# with --also, pairs whose whole records (name and values in one text) score this 3-gram cosine are
# candidates too: a match whose name was mistyped past recognition is found by its other fields
RECORD_CANDIDATE_THRESHOLD = 0.5
RECORD_INITIAL_PRIOR = 0.5  # where EM starts for those pairs: half of them match

# EM starts the u of these measures (and of each --also column) from this many random record pairs
RANDOM_PAIRS = 50_000
RANDOM_U_MEASURES = ("numbers",)


def _random_pairs(rows: int, right_rows: Optional[int], count: int) -> tuple:
    """Up to *count* random distinct record pairs (the same ones every run: a fixed seed)."""
    rng = np.random.default_rng(20261207)
    if right_rows is None:
        if rows < 2:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        a = rng.integers(0, rows, count)
        b = (a + rng.integers(1, rows, count)) % rows
        return np.minimum(a, b), np.maximum(a, b)
    if not rows or not right_rows:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return rng.integers(0, rows, count), rng.integers(0, right_rows, count)


def _random_u(sample: Comparisons, sizes: list, measures: list) -> dict:
    """Where EM starts the u of the measures that random pairs say something about: their levels'
    shares among random record pairs (*sample*: nearly all non-matches).  Only a start: the
    non-matches among candidates agree more often than random pairs do (the pairs were chosen for
    their likeness), so EM goes on from there."""
    initial = {}
    for k, measure in enumerate(measures):
        if len(sample.levels) and (measure in RANDOM_U_MEASURES or measure.startswith(ALSO_PREFIX)):
            level = sample.levels[:, k]
            counts = np.bincount(level[level >= 0], minlength=sizes[k]) + PSEUDO_COUNT
            initial[k] = counts / counts.sum()
    return initial


def _record_text(names: pd.Series, also: pd.DataFrame) -> pd.Series:
    from dataforge.dedup.files import joined_names

    frame = pd.concat([names.reset_index(drop=True).rename("__name"), also.reset_index(drop=True)], axis=1)
    return joined_names(frame, list(frame.columns)).reset_index(drop=True)


def _with_record_pairs(left, right, names, also, against, against_also, options: MatchOptions, product,
                       width: int, progress: Progress, seconds: dict) -> tuple:
    """The name candidates (*left*, *right*) and, after them, the pairs whose names do not look alike but
    whose whole records do (the name and the --also values as one text, 3-gram cosine above the
    options' threshold); and which pairs are name candidates."""
    from dataforge.dedup.match import candidate_pairs

    if progress is not None:
        progress("finding pairs by their records")
    step = time.perf_counter()
    mine = _record_text(names, also)
    theirs = None if against is None else _record_text(against, against_also)
    _, _, more_left, more_right, _ = candidate_pairs(mine, theirs, options._replace(learn=False, refine=False),
                                                     product, progress, {})
    key = np.concatenate([left.astype(np.int64) * width + right, more_left.astype(np.int64) * width + more_right])
    _, first = np.unique(key, return_index=True)
    first = np.sort(first)  # the name candidates first, in their order
    seconds["records"] = time.perf_counter() - step
    return (np.concatenate([left, more_left])[first], np.concatenate([right, more_right])[first],
            first < len(left))


def learned_matches(names: pd.Series, ids: pd.Series, *, against: Optional[pd.Series], against_ids, also,
                    against_also, options: MatchOptions, progress: Progress, product, labels=None,
                    model: Optional[PairModel] = None, explain: bool = False, index=None):
    """:func:`~dataforge.dedup.match.find_matches` with ``learn``: see the module's text.  With a saved
    *index* (and a saved *model*), the candidates are the names' pairs with the index's master records."""
    from dataforge.dedup.match import Matches, candidate_pairs, normalised, pair_frame

    started = time.perf_counter()
    seconds: dict = {}
    also_columns = [] if also is None else [str(c) for c in also.columns]
    if model is not None:
        model.check_columns(also_columns)
        c = model.candidates
        options = options._replace(ngram=c["ngram"], top=c["top"], strip_legal=c["strip_legal"],
                                   phonetic=c["phonetic"],
                                   threshold=model.threshold if options.threshold is None else options.threshold)
    options = options._replace(learn=True, refine=False).check()
    one_list = against is None
    right_names = names if one_list else against
    right_ids = ids if one_list else against_ids
    if labels is not None:
        labels = check_labels(labels)
        label_left, label_right = _label_positions(labels, ids, right_ids, one_list, "labels")
    mine_values = [normalised(also[c].reset_index(drop=True)) for c in also.columns] if also_columns else []
    if not also_columns:
        theirs_values = []
    elif one_list:
        theirs_values = mine_values
    else:
        theirs_values = [normalised(against_also[c].reset_index(drop=True)) for c in against_also.columns]
    # candidates on the names alone: had the --also values been part of what pairs were chosen on, a
    # non-match whose name differs would have got in by its fields agreeing (Berkson's paradox), and EM,
    # which takes the measures as independent within a class, would find the fields worthless
    master = None
    if index is not None:  # the master's side comes from the index: only its records in pairs are read
        mine_names, left, right, cosine = index.candidate_pairs(names, options, progress, seconds)
        right, against, against_ids = index.master(right)
        master, right_names, right_ids, one_list = (against, against_ids), against, against_ids, False
        theirs_names = None
    else:
        mine_names, theirs_names, left, right, cosine = candidate_pairs(names, against, options, product,
                                                                         progress, seconds)
    by_name = np.ones(len(left), bool)
    record_threshold = (RECORD_CANDIDATE_THRESHOLD if model is None else model.records.get("threshold")) \
        if also_columns else None
    if record_threshold is not None:
        left, right, by_name = _with_record_pairs(left, right, names, also, against, against_also,
                                                  options._replace(threshold=record_threshold), product,
                                                  len(right_names), progress, seconds)
        cosine = np.concatenate([cosine, np.full(int((~by_name).sum()), np.nan)])  # by name first, then by record
    # the pairs' names must be usable on both sides (a record with no name but an --also value is skipped)
    usable_left = np.zeros(len(names), bool)
    usable_left[mine_names.positions] = True
    usable_right = usable_left if one_list else np.ones(len(against), bool) if theirs_names is None \
        else np.isin(np.arange(len(against)), theirs_names.positions)
    keep = usable_left[left] & usable_right[right]
    left, right, by_name, cosine = left[keep], right[keep], by_name[keep], cosine[keep]
    label = np.full(len(left), "", dtype=object)
    if labels is not None and len(labels):
        width = len(right_names)
        key = left.astype(np.int64) * width + right
        label_key = label_left * width + label_right
        where = pd.Index(key).get_indexer(label_key)
        new = where < 0
        _, first_new = np.unique(label_key[new], return_index=True)
        add = np.flatnonzero(new)[first_new]
        left = np.concatenate([left, label_left[add]])
        right = np.concatenate([right, label_right[add]])
        label = np.concatenate([label, np.full(len(add), "", dtype=object)])
        by_name = np.concatenate([by_name, np.ones(len(add), bool)])
        cosine = np.concatenate([cosine, np.full(len(add), np.nan)])
        position = pd.Index(left.astype(np.int64) * width + right).get_indexer(label_key)
        label[position] = labels["label"].to_numpy(dtype=object)  # a later line overrides an earlier one
        label[label == "unsure"] = ""
    if progress is not None:
        progress("comparing pairs")
    step = time.perf_counter()
    name_text = names.to_numpy(dtype=object).astype(str)
    right_text = right_names.to_numpy(dtype=object).astype(str)
    # random pairs are compared along with the candidates (one pass over the names): EM's start
    random_left, random_right = (_random_pairs(len(names), None if one_list else len(right_names), RANDOM_PAIRS)
                                 if model is None else (np.empty(0, np.int64),) * 2)
    both = compare(np.asarray(name_text, object), np.asarray(right_text, object), mine_values, theirs_values,
                   np.concatenate([left, random_left]), np.concatenate([right, random_right]), options,
                   spelled=len(left), cosine=cosine)
    comparisons, sample = both.split(len(left))
    seconds["compare"] = time.perf_counter() - step
    step = time.perf_counter()
    if model is None:
        if progress is not None:
            progress("learning the pair model")
        sizes = [len(MEASURES[n]) if n in MEASURES else len(ALSO_LEVELS) for n in measure_names(also_columns)]
        fixed = np.where(label == "yes", 1.0, np.where(label == "no", 0.0, np.nan))
        labelled = int((~np.isnan(fixed)).sum())
        initial_u = _random_u(sample, sizes, measure_names(also_columns))
        # the model learns from the name candidates and the labelled pairs; the pairs found by their
        # records alone then get their own u and prior (estimate_records), the matches' m staying
        train = by_name | ~np.isnan(fixed)
        m, u, prior, iterations = estimate(comparisons.levels[train], sizes, fixed[train], initial_u,
                                           comparisons.shares_rare[train])
        records = {}
        if record_threshold is not None and not train.all():
            extra = comparisons.levels[~train].copy()
            extra[:, 0] = -1  # their names do not look alike: the name measure says nothing more here
            records_u, records_prior, _ = estimate_records(extra, sizes, m, initial_u)
            records = {"threshold": record_threshold, "prior": records_prior, "u": records_u}
        measures = measure_names(also_columns)
        model = PairModel(measures=measures, levels=[list(MEASURES.get(n, ALSO_LEVELS)) for n in measures], m=m,
                          u=u, prior=prior, threshold=options.threshold, also=also_columns,
                          candidates=dict(ngram=options.ngram, threshold=options.candidate_threshold,
                                          top=options.top, strip_legal=options.strip_legal,
                                          phonetic=options.phonetic),
                          trained=dict(pairs=int(len(left)), labels=labelled, iterations=iterations),
                          records=records)
        seconds["learn"] = time.perf_counter() - step
    weight, parts, prior_weight = weights(model, comparisons, ~by_name)
    chance = probability(weight)
    decided = np.where(label == "yes", True, np.where(label == "no", False, chance > options.threshold))
    order = np.flatnonzero(decided)
    order = order[np.lexsort((right[order], left[order], -weight[order]))]
    left, right = left[order], right[order]
    pairs = pair_frame(ids, names, right_ids, right_names, left, right, comparisons.cosine[order])
    pairs["match_probability"] = chance[order]
    pairs["match_weight"] = weight[order]
    if labels is not None:
        pairs["label"] = label[order]
    if explain:
        pairs["weight_prior"] = prior_weight[order]
        for k, name in enumerate(model.measures):
            pairs[f"weight_{name}"] = parts[order, k]
    seconds["total"] = time.perf_counter() - started
    return Matches(pairs=pairs, left=left, right=right, rows=len(names), names=len(mine_names.distinct),
                   skipped=len(names) - int(usable_left.sum()),
                   master_rows=None if one_list else index.records if index is not None else len(against),
                   master_names=None if one_list else index.distinct_names if index is not None
                   else len(theirs_names.distinct), seconds=seconds, model=model, master=master)
