"""From a company name to what is matched: the one place names are normalised.

* The seed's cleaning (:func:`seed_clean`, :func:`seed_clean_text`, whose
  regular expressions the array vectoriser shares) and :func:`seed_ngrams`,
  the seed notebook's ``ngram`` function generalised to any n: the default
  features, so scores equal the seed's.
* Accents (:func:`fold_accents`), and plain upper-case words
  (:func:`plain_words`).
* Legal forms, by cleanco's list read once (:func:`legal_forms`):
  :func:`name_words` takes them off the end of a name for ``--refine``, and
  :func:`strip_legal_form` is the same removal for ``--strip-legal``.
* Double Metaphone codes of each word (the ``metaphone`` package the seed
  itself shows) for ``--phonetic``, and :func:`normalise_value` for ``--also``.

Pure Python (no numpy), so the synthetic generator stays light.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Callable, Optional, Sequence

from rapidfuzz.distance import OSA

SEED_KEPT = r"a-zA-Z0-9\-\,&\s!"  # what the seed's cleaning keeps (a character class body)
_NOT_KEPT = re.compile(f"[^{SEED_KEPT}]")
DASH_COMMA = re.compile(r"[\-\,]")
SPACES = re.compile(r"\s+")
_JOINED = re.compile(r"['\u2019.]")  # O'NEILL -> ONEILL, L.T.D. -> LTD
_SEPARATORS = re.compile(r"[^0-9A-Z&]+")
_DIGITS = re.compile(r"[0-9]+")
_PUNCT_SPACE = re.compile(r"[\W_]+", re.UNICODE)
# a legal form this long misspelt by one edit ("LIMTED", "LMIITED") is still the legal form
TYPO_FORM_MIN = 6
# a phonetic code is marked so it can never equal a character n-gram
PHONETIC_MARK = "#"


def seed_clean_text(text: str, not_kept: "re.Pattern" = _NOT_KEPT) -> str:
    """The seed's cleaning steps: drop what *not_kept* matches, -/, to space, runs of
    spaces to one, & to 'and', title case (the vectoriser runs them on many names at once)."""
    text = not_kept.sub("", text)
    text = DASH_COMMA.sub(" ", text)
    text = SPACES.sub(" ", text)
    return text.replace("&", "and").title()


def seed_clean(name: str) -> str:
    """The seed's cleaning: keep [a-zA-Z0-9-,&!] and spaces, -/, to space,
    & to 'and', title case, one space at each end."""
    return " " + seed_clean_text(name).strip() + " "


def seed_ngrams(name: str, n: int = 3) -> list[str]:
    """The seed's ``ngram(s)``: every run of *n* characters of the cleaned name."""
    s = seed_clean(name)
    return [s[i:i + n] for i in range(len(s) - n + 1)]


def fold_accents(text: str) -> str:
    """*text* with its accents taken off (\u00e9 -> e, \u00fc -> u), the letters kept."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def legal_forms() -> tuple[dict[int, frozenset], tuple[str, ...]]:
    """cleanco's legal forms as {words: set of word tuples}, and the long one-word forms."""
    from cleanco import prepare_default_terms

    by_size: dict[int, set] = {}
    for size, parts in prepare_default_terms():
        by_size.setdefault(size, set()).add(tuple(p.upper() for p in parts))
    by_size.setdefault(2, set()).add(("AND", "CO"))  # "& CO" once & is AND
    long_forms = tuple(sorted(p[0] for p in by_size[1] if len(p[0]) >= TYPO_FORM_MIN))
    return {size: frozenset(terms) for size, terms in sorted(by_size.items(), reverse=True)}, long_forms


@lru_cache(maxsize=1)
def _last_words() -> frozenset:
    """The words a legal form can end with (a name's last word elsewhere is no form: no lookup)."""
    return frozenset(term[-1] for terms in legal_forms()[0].values() for term in terms)


def plain_words(name: str) -> list[str]:
    """Upper-case words without accents or punctuation; & is AND."""
    text = _JOINED.sub("", fold_accents(name).upper()).replace("&", " AND ")
    return _SEPARATORS.sub(" ", text).split()


@lru_cache(maxsize=1 << 16)
def _is_typo_form(word: str) -> bool:
    """A long legal form misspelt by one edit (the last words of names repeat: cached)."""
    if len(word) < TYPO_FORM_MIN - 1:
        return False
    return any(OSA.distance(word, form, score_cutoff=1) <= 1 for form in legal_forms()[1])


def name_words(name: str) -> list[str]:
    """*name*'s words without the legal forms at its end ("ACME TRADING & CO LTD" -> ACME TRADING).

    Trailing forms are taken off one after another, a long one also when
    misspelt by one letter ("LIMTED"); a trailing AND left behind goes too.
    A name that is nothing but legal forms (after a leading THE) keeps its words.
    """
    return split_legal_form(name)[0]


def split_legal_form(name: str) -> tuple[list[str], list[str]]:
    """*name*'s words, and the legal forms taken off their end (:func:`name_words`)."""
    words = plain_words(name)
    forms = legal_forms()[0]
    last_words = _last_words()
    end, first = len(words), 2 if words[:1] == ["THE"] else 1
    while end > first:
        for size, terms in forms.items() if words[end - 1] in last_words else ():
            if end - size >= first and tuple(words[end - size:end]) in terms:
                end -= size
                break
        else:
            if words[end - 1] == "AND" or _is_typo_form(words[end - 1]):
                end -= 1
                continue
            break
    return words[:end], words[end:]


@lru_cache(maxsize=1)
def _legal_classes() -> dict[str, str]:
    """cleanco's legal forms (as plain words joined by a space) -> their type ("LTD" -> Limited)."""
    from cleanco import typesources

    return {" ".join(plain_words(form)): kind for kind, form in typesources()}


def same_as_key(name: str, words: Optional[list] = None) -> str:
    """What a companies register compares when it refuses a name as "the same as" one it holds
    (in the UK, the Company, LLP and Business (Names and Trading Disclosures) Regulations 2015):
    no legal form, case, punctuation or leading THE, & is AND.  *words*: its :func:`name_words`."""
    words = name_words(name) if words is None else words
    return " ".join(words[1:] if words[:1] == ["THE"] and len(words) > 1 else words)


def legal_form_class(name: str, split: Optional[tuple] = None) -> str:
    """The kind of legal form *name* ends with ("LIMITED" and "LTD" are both Limited), by
    cleanco's types; "" for none.  A form cleanco does not type is its own kind (its last
    word; a misspelt long form is the form it is closest to).  A name with no legal form at
    its end takes the last typed form among its later words ("A & M SECURITIES LLC /BD": LLC).
    *split*: the name's :func:`split_legal_form`, when it is at hand."""
    classes = _legal_classes()
    words, tail = split_legal_form(name) if split is None else split
    words = words[1:]
    for end in range(len(words), 0, -1):
        if tail:
            break
        for size in (3, 2, 1):
            kind = classes.get(" ".join(words[max(end - size, 0):end])) if end - size >= 0 else None
            if kind:
                return kind
    words = [w for w in tail if w != "AND"]
    if not words:
        return ""
    for start in range(len(words)):  # the longest typed form at the end ("AND CO LTD": LTD)
        kind = classes.get(" ".join(words[start:]))
        if kind:
            return kind
    last = words[-1]
    if _is_typo_form(last):
        from rapidfuzz import process

        form = process.extractOne(last, legal_forms()[1], scorer=OSA.distance)[0]
        return classes.get(form, form)
    return last


_ROMAN = re.compile(r"^(?=[IVXL]{2,}$)L?X{0,3}(IX|IV|V?I{0,3})$")
ROMAN_NUMERAL = _ROMAN  # a roman numeral of two letters or more (a designator)
_MAY_DESIGNATE = re.compile(r"[0-9]|\b[IVXL]{2,}\b")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50}


def _roman(word: str) -> int:
    total = 0
    for k, c in enumerate(word):
        value = _ROMAN_VALUES[c]
        total += -value if k + 1 < len(word) and _ROMAN_VALUES[word[k + 1]] > value else value
    return total


def designators(name: str, words: Optional[list] = None) -> list[str]:
    """The numbers and designators of *name*: each run of digits (leading zeros off) and
    each roman numeral of two letters or more, as its number ("FUND III 2005-1" -> 3, 2005, 1).
    *words*: its :func:`plain_words`, when they are at hand."""
    found = []
    if words is not None and not _MAY_DESIGNATE.search(" ".join(words)):
        return found  # no digit, no word of roman letters alone: the common case, without the loop
    for word in plain_words(name) if words is None else words:
        if _ROMAN.match(word):
            found.append(str(_roman(word)))
        else:
            found.extend(d.lstrip("0") or "0" for d in _DIGITS.findall(word))
    return found


def strip_legal_form(name: str) -> str:
    """*name* without the legal forms at its end, as --refine takes them off (:func:`name_words`):
    "Acme Trading & Co Ltd" -> "ACME TRADING".  A name that is nothing but legal forms keeps
    its first word, so it still has features to match on."""
    words = name_words(name)
    return " ".join(words) if words else name


def phonetic_codes(name: str) -> list[str]:
    """Double Metaphone codes (primary, and the alternate when it differs) of each word."""
    from metaphone import doublemetaphone

    codes = []
    for word in seed_clean(name).split():
        if not any(c.isalpha() for c in word):
            continue
        primary, alternate = doublemetaphone(word)
        if primary:
            codes.append(PHONETIC_MARK + primary)
        if alternate and alternate != primary:
            codes.append(PHONETIC_MARK + alternate)
    return codes


def make_analyzer(ngram: int = 3, strip_legal: bool = False, phonetic: bool = False) -> Callable[[str], list[str]]:
    """The TfidfVectorizer analyzer for these options (the seed's own with the defaults)."""
    def analyze(name: str) -> list[str]:
        base = strip_legal_form(name) if strip_legal else name
        features = seed_ngrams(base, ngram)
        if phonetic:
            features += phonetic_codes(base)
        return features

    return analyze


def normalise_value(value: str) -> str:
    """How --also compares a column: accents, case, punctuation and spaces ignored
    ("SW1A 1AA" = "sw1a1aa", "St. Albans" = "ST ALBANS")."""
    return _PUNCT_SPACE.sub("", fold_accents(value).casefold())
