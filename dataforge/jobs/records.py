"""Reading one JSON-lines record, and looking values up inside it.

Every function here is total: bad bytes give a skip reason, never an exception,
so one malformed line cannot kill a job (the seed's JSONValueProtocol does).
"""
from __future__ import annotations

import math
import re
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
_INTEGER = re.compile(r"[+-]?[0-9]+")


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
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            return None, INVALID_UTF8
        value = _parse_beyond_orjson(text)
        if value is MISSING:
            return None, INVALID_JSON
    if not isinstance(value, dict):
        return None, NOT_OBJECT
    return value, None


# orjson refuses some JSON that RFC 8259 accepts: numbers beyond a double (1e400), escaped lone
# surrogates ("\\ud800") and nesting deeper than 1024; the standard library reads them all
DEEP_STACK = 256 << 20  # bytes of stack for a parse nested beyond Python's recursion limit


def _parse_beyond_orjson(text: str) -> Any:
    """The value of a line orjson refused, by the json module (MISSING if it is not JSON)."""
    import json

    try:
        return json.loads(text, parse_constant=_not_json)
    except ValueError:
        return MISSING
    except RecursionError:
        return _parse_deep(text)


def _not_json(constant: str):
    raise ValueError(f"{constant} is not JSON")  # the json module's NaN and Infinity extensions


def _parse_deep(text: str) -> Any:
    """The json module's pure-Python parser in a thread with a deep stack and recursion limit.

    For very deep nesting. The C scanner counts its depth against a fixed C limit on 3.12 and
    later whatever sys.setrecursionlimit says; the pure-Python one counts Python frames (a few
    a level), which the raised limit allows.
    """
    import json
    import json.scanner
    import sys
    import threading

    result: list = [MISSING]
    decoder = json.JSONDecoder(parse_constant=_not_json)
    decoder.scan_once = json.scanner.py_make_scanner(decoder)

    def parse() -> None:
        try:
            result[0] = decoder.decode(text)
        except (ValueError, RecursionError):
            pass

    old_limit, old_stack = sys.getrecursionlimit(), threading.stack_size()
    try:
        depth = text.count("[") + text.count("{")
        sys.setrecursionlimit(max(old_limit, 4 * depth + 1000))
        threading.stack_size(DEEP_STACK)
        worker = threading.Thread(target=parse)
        worker.start()
        worker.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    return result[0]


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


def exact_number(value: Any) -> int | float | None:
    """:func:`as_number`, except that an integer (a JSON one, or a string of digits) stays an
    exact int: 9007199254740993 is not 9007199254740992 (Python compares int and float exactly)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        try:
            return int(value.strip())
        except ValueError:  # beyond Python's digit limit for int(str)
            pass
    return as_number(value)
