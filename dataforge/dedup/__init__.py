"""Fuzzy de-duplication of company names: character n-gram TF-IDF and sparse top-N cosine.

``from dataforge.dedup import match_names, group_names``: pandas Series in,
DataFrame out; ``match_files``: CSV files in, pairs (and groups) files out,
as ``dataforge dedup match`` does.  Imports are lazy, so ``dataforge --help`` stays fast.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "match_files": "dataforge.dedup.files",
    "MatchSummary": "dataforge.dedup.files",
    "match_names": "dataforge.dedup.match",
    "group_names": "dataforge.dedup.match",
    "find_matches": "dataforge.dedup.match",
    "groups_of": "dataforge.dedup.match",
    "MatchOptions": "dataforge.dedup.options",
    "Table": "dataforge.dedup.table",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'dataforge.dedup' has no attribute {name!r}")
