"""How a runner tells a map task which bytes of its input file to read.

:mod:`dataforge.jobs.runners` sets the variable and :mod:`dataforge.jobs.base`
reads it in every task; it lives here so that neither imports the other.
"""
from __future__ import annotations

RANGE_ENV = "DATAFORGE_INPUT_RANGE"


def format_range(start: int, length: int) -> str:
    return f"{start}:{length}"


def parse_range(text: str) -> tuple[int, int]:
    """(start, length) from the variable's value."""
    start, length = map(int, text.split(":"))
    return start, length
