"""Reading one JSON-lines record, and looking values up inside it.

Every function here is total: bad bytes give a skip reason, never an exception,
so one malformed line cannot kill a job (the seed's JSONValueProtocol does).
"""
from __future__ import annotations

import math
from typing import Any

import orjson

BOM = b"\xef\xbb\xbf"

# Why a line was skipped; the names appear in counters, messages and --json.
BLANK = "blank"
INVALID_UTF8 = "invalid_utf8"
INVALID_JSON = "invalid_json"
NOT_OBJECT = "not_object"
SKIP_REASONS = (BLANK, INVALID_UTF8, INVALID_JSON, NOT_OBJECT)

MISSING = object()


def parse_record(line: bytes) -> tuple[dict | None, str | None]:
    """Parse one line into ``(record, None)`` or ``(None, skip_reason)``."""
    if line.startswith(BOM):
        line = line[3:]
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        if not line.strip():
            return None, BLANK
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            return None, INVALID_UTF8
        return None, INVALID_JSON
    if not isinstance(value, dict):
        return None, NOT_OBJECT
    return value, None


def split_path(path: str) -> tuple[str, ...]:
    """``"a.b.0"`` -> ``("a", "b", "0")``; raises ValueError on empty parts."""
    parts = tuple(path.split("."))
    if not path or any(p == "" for p in parts):
        raise ValueError(f"bad field path {path!r}: use dotted names like jobLocation.address.addressRegion")
    return parts


def get_path(record: Any, parts: tuple[str, ...]) -> Any:
    """The value at a dotted path, or MISSING.  A digit part indexes a list."""
    value = record
    for part in parts:
        if isinstance(value, dict):
            value = value.get(part, MISSING)
            if value is MISSING:
                return MISSING
        elif isinstance(value, list) and len(part) < 19 and part.isascii() and part.isdigit() \
                and int(part) < len(value):
            value = value[int(part)]
        else:
            return MISSING
    return value


def as_number(value: Any) -> float | None:
    """A finite float from a JSON number or a string that parses as one.

    Strings are read with ``float()`` as the seed does (surrounding spaces
    allowed); booleans, NaN and infinities are not numbers here.
    """
    if isinstance(value, bool) or value is None or value is MISSING:
        return None
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # an int too large for a float
            return None
    elif isinstance(value, str):
        try:
            number = float(value)
        except (ValueError, OverflowError):
            return None
    else:
        return None
    return number if math.isfinite(number) else None
