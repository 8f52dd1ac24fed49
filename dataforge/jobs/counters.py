"""The counters a job reports, and how the driver reads them back into a summary.

Jobs write (see :class:`dataforge.jobs.base.RecordJob`):

* group ``dataforge``: ``lines``, ``written`` (or ``written train`` ...),
  ``skipped <reason>``, ``unranked <reason>``;
* group ``dataforge first skip``: one counter per map task that skipped
  something, named ``reason|split start|line in split|file``, from which the
  driver names the first offending file:line.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

from dataforge.io import STDIN, is_uri, open_input

if TYPE_CHECKING:
    from dataforge.jobs.launch import JobSummary

COUNTER_GROUP = "dataforge"
LOCATION_GROUP = "dataforge first skip"


def read_counters(counters: list[dict], paths: list[str], summary: JobSummary) -> None:
    """Fill *summary*'s counts from mrjob's counters (one dict a step)."""
    mine: dict[str, int] = {}
    locations: list[str] = []
    for step in counters:
        for name, amount in step.get(COUNTER_GROUP, {}).items():
            mine[name] = mine.get(name, 0) + amount
        locations.extend(step.get(LOCATION_GROUP, {}))
    summary.read = mine.get("lines", 0)
    summary.skipped = {n.split(" ", 1)[1]: a for n, a in sorted(mine.items()) if n.startswith("skipped ")}
    summary.unranked = {n.split(" ", 1)[1]: a for n, a in sorted(mine.items()) if n.startswith("unranked ")}
    sides = {n.split(" ", 1)[1]: a for n, a in mine.items() if n.startswith("written ")}
    if sides:
        summary.written_by_side = dict(sorted(sides.items()))
        summary.written = sum(sides.values())
    else:
        summary.written = mine.get("written", 0)
    if locations:
        summary.first_skip = first_location(locations, paths)


def first_location(names: list[str], paths: list[str]) -> str:
    """'file:line (reason)' of the earliest skipped line over all map tasks."""
    order = {os.path.abspath(p): i for i, p in enumerate(paths) if p != STDIN and not is_uri(p)}
    parsed = []
    for name in names:
        reason, start, line_no, path = name.split("|", 3)
        local = path[len("file://"):] if path.startswith("file://") else path
        parsed.append((order.get(os.path.abspath(local) if local else "", len(order)), int(start), int(line_no),
                       local, reason.split(" ", 1)[-1]))
    rank, start, line_no, local, reason = min(parsed)
    if local and os.path.isfile(local):
        line_no += _lines_before(local, start)
    if rank < len(order):
        shown = paths[rank]
    elif os.path.basename(local) == "STDIN":
        shown = "<stdin>"  # mrjob copies standard input to a temporary file named STDIN
    else:
        shown = local or "<input>"
    return f"{display_path(shown)}:{line_no} ({reason})"


def _lines_before(path: str, offset: int) -> int:
    """Newlines in the first *offset* bytes of a split file (0 for unsplit ones)."""
    if offset <= 0:
        return 0
    count = 0
    with open_input(path) as f:
        while offset > 0:
            block = f.read(min(offset, 1 << 20))
            if not block:
                break
            count += block.count(b"\n")
            offset -= len(block)
    return count


def display_path(path: str) -> str:
    """An input path as the summary shows it: relative when under the working directory."""
    if path in (STDIN, "<stdin>") or is_uri(path) or not os.path.isabs(path):
        return "<stdin>" if path == STDIN else path
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative
