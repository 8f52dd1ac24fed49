"""The words of a name that say which firm it is: legal forms off, punctuation and case gone.

Used by ``--refine`` (word-level weights) and by the synthetic generator (two
firms may not share a name under the register's "same as" rule).  Pure
Python: no numpy, so the generator stays light.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz.distance import OSA

_JOINED = re.compile(r"['\u2019.]")  # O'NEILL -> ONEILL, L.T.D. -> LTD
_SEPARATORS = re.compile(r"[^0-9A-Z&]+")
# a legal form this long misspelt by one edit ("LIMTED", "LMIITED") is still the legal form
TYPO_FORM_MIN = 6


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


def plain_words(name: str) -> list[str]:
    """Upper-case words without accents or punctuation; & is AND."""
    text = name
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    text = _JOINED.sub("", text.upper()).replace("&", " AND ")
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
    words = plain_words(name)
    forms = legal_forms()[0]
    end, first = len(words), 2 if words[:1] == ["THE"] else 1
    while end > first:
        for size, terms in forms.items():
            if end - size >= first and tuple(words[end - size:end]) in terms:
                end -= size
                break
        else:
            if words[end - 1] == "AND" or _is_typo_form(words[end - 1]):
                end -= 1
                continue
            break
    return words[:end]
