"""From a company name to the features that are matched.

:func:`seed_ngrams` is the seed notebook's ``ngram`` function, generalised to
any n: the default features, so scores equal the seed's.  The options add to
or change what it sees: legal forms stripped first (cleanco), Double
Metaphone codes of each word as extra features (the ``metaphone`` package the
seed itself shows).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Callable

_NOT_KEPT = re.compile(r"[^a-zA-Z0-9\-\,&\s!]")
_DASH_COMMA = re.compile(r"[\-\,]")
_SPACES = re.compile(r"\s+")
# a phonetic code is marked so it can never equal a character n-gram
PHONETIC_MARK = "#"


def seed_clean(name: str) -> str:
    """The seed's cleaning: keep [a-zA-Z0-9-,&!] and spaces, -/, to space,
    & to 'and', title case, one space at each end."""
    s = _NOT_KEPT.sub("", name)
    s = _DASH_COMMA.sub(" ", s)
    s = _SPACES.sub(" ", s)
    s = s.replace("&", "and")
    s = s.title()
    s = s.strip()
    return " " + s + " "


def seed_ngrams(name: str, n: int = 3) -> list[str]:
    """The seed's ``ngram(s)``: every run of *n* characters of the cleaned name."""
    s = seed_clean(name)
    return [s[i:i + n] for i in range(len(s) - n + 1)]


@lru_cache(maxsize=1)
def _legal_terms():
    from cleanco import prepare_default_terms

    return prepare_default_terms()


def strip_legal_form(name: str) -> str:
    """*name* without its legal form (LIMITED, LTD, PLC, LLP, GMBH, S.A., ...), by cleanco.

    Only trailing forms go ("THE LIMITED COMPANY LIMITED" keeps its first
    LIMITED); a name that is nothing but a legal form is kept whole, so it
    still has features to match on.
    """
    from cleanco.clean import custom_basename

    base = custom_basename(name, _legal_terms(), suffix=True, prefix=False, middle=False)
    return base if base.strip() else name


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


_PUNCT_SPACE = re.compile(r"[\W_]+", re.UNICODE)


def normalise_value(value: str) -> str:
    """How --also compares a column: accents, case, punctuation and spaces ignored
    ("SW1A 1AA" = "sw1a1aa", "St. Albans" = "ST ALBANS")."""
    text = unicodedata.normalize("NFKD", value)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _PUNCT_SPACE.sub("", text.casefold())
