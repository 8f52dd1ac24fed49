"""The ``--where`` mini-language: one condition on a dotted path per expression.

    PATH=TEXT     equal (numbers compare as numbers, true/false/null as JSON)
    PATH!=TEXT    not equal (a missing field is not equal)
    PATH~REGEX    regular expression search, case-insensitive
    PATH>N  PATH>=N  PATH<N  PATH<=N
                  numeric; strings that parse as numbers count, others fail
    PATH?         present and non-empty (not null, "", [] or {})
"""
from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Any, Callable

import orjson

from dataforge.jobs.records import MISSING, exact_number, get_path, split_path

_EXPR = re.compile(r"^\s*(?P<path>[^=!~<>?\s][^=!~<>?]*?)\s*(?P<op>!=|>=|<=|=|~|>|<|\?)(?P<operand>.*)$", re.S)
_NUMERIC_OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
}


@dataclass(frozen=True)
class Condition:
    """A parsed ``--where`` expression; call :meth:`matches` on a record."""

    text: str
    path: tuple[str, ...]
    op: str
    operand: str
    number: int | float | None = None  # exact: an integer operand stays an int
    regex: re.Pattern | None = None

    def matches(self, record: dict) -> bool:
        value = get_path(record, self.path)
        op = self.op
        if op == "=":
            return _equals(value, self.operand, self.number)
        if op == "!=":
            return not _equals(value, self.operand, self.number)
        if op == "~":
            text = _as_text(value)
            return text is not None and self.regex.search(text) is not None
        if op == "?":
            return _present(value)
        number = exact_number(value)
        return number is not None and _NUMERIC_OPS[op](number, self.number)


def parse_condition(text: str) -> Condition:
    """Parse one expression; raises ValueError with a message for the user."""
    match = _EXPR.match(text)
    if not match:
        raise ValueError(f"cannot read the condition {text!r}: expected PATH=TEXT, PATH!=TEXT, PATH~REGEX, "
                         "PATH>N, PATH>=N, PATH<N, PATH<=N or PATH?")
    path = split_path(match["path"])
    op = match["op"]
    operand = match["operand"].strip()
    if op == "?":
        if operand:
            raise ValueError(f"cannot read the condition {text!r}: nothing may follow '?'")
        return Condition(text, path, op, operand)
    if op == "~":
        try:
            regex = re.compile(operand, re.IGNORECASE)
        except (re.error, OverflowError, RecursionError, ValueError) as e:
            raise ValueError(f"bad regular expression in --where {text!r}: {e}") from None
        return Condition(text, path, op, operand, regex=regex)
    number = exact_number(operand)
    if op in _NUMERIC_OPS and number is None:
        raise ValueError(f"--where {text!r}: {op} needs a number, not {operand!r}")
    return Condition(text, path, op, operand, number=number)


def _equals(value: Any, operand: str, number: int | float | None) -> bool:
    if isinstance(value, str):
        return value == operand
    if isinstance(value, bool):
        return operand == ("true" if value else "false")
    if value is None:
        return operand == "null"
    if isinstance(value, (int, float)):
        return number is not None and exact_number(value) == number
    return False  # missing, or an object/array


def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if value is MISSING or isinstance(value, (dict, list)):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # orjson refuses ints beyond 64 bits
    return orjson.dumps(value).decode()


def _present(value: Any) -> bool:
    if value is MISSING or value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (list, dict)):
        return bool(value)
    return True
