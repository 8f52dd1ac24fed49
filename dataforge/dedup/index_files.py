"""``dedup index build|add|info`` from files: check, read the master CSV, write the index, summarise.

The CSV side is :func:`~dataforge.dedup.files.match_files`' own (the same
:class:`~dataforge.dedup.table.Table`, name and id columns and checks); the
index side is :mod:`dataforge.dedup.index`.
"""
from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from typing import Optional, Sequence

from dataforge.dedup.options import DEFAULT_COLUMN, DEFAULT_ID_COLUMN, MatchOptions
from dataforge.errors import OutputExistsError, UsageError
from dataforge.io import STDIN, check_output_free, is_uri, local_path


@dataclass(frozen=True)
class IndexSummary:
    """What an index build or add read and wrote, and the index it left."""

    index: str
    records: int  # in the index
    distinct_names: int
    features: int
    bytes: int
    drift: float
    rebuild_advised: bool
    rebuild_reason: Optional[str]
    seconds: float
    read_records: int  # read from the inputs this run
    read_distinct_names: int  # of them, names the index did not hold before
    warnings: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"index": self.index, "records": self.records, "distinct_names": self.distinct_names,
                "features": self.features, "bytes": self.bytes, "read_records": self.read_records,
                "new_distinct_names": self.read_distinct_names, "drift": self.drift,
                "rebuild_advised": self.rebuild_advised, "rebuild_reason": self.rebuild_reason,
                "seconds": self.seconds}


def _check_index_path(path: str) -> str:
    if path == STDIN or is_uri(path):
        raise UsageError(f"an index is a local directory, not {'stdout' if path == STDIN else path}")
    return local_path(path)


def _summary(path: str, manifest: dict, started: float, read: int, new_names: int, warnings: list,
             notes: list) -> IndexSummary:
    size = 0
    for root, _, files in os.walk(os.path.join(path, manifest["generation"])):
        size += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return IndexSummary(index=path, records=manifest["records"], distinct_names=manifest["distinct_names"],
                        features=manifest["features"], bytes=size, drift=manifest["drift"],
                        rebuild_advised=manifest["rebuild_advised"], rebuild_reason=manifest["rebuild_reason"],
                        seconds=round(time.monotonic() - started, 3),
                        read_records=read, read_distinct_names=new_names, warnings=warnings, notes=notes)


def _records(inputs: Sequence[str], encoding: str, stack, columns: Sequence[str], id_column: Optional[str],
             empty: str):
    """(the table, its names and ids as match_files reads a side, the id column found or None, warnings)."""
    from dataforge.dedup.files import _Side
    from dataforge.dedup.table import Table

    table = Table(inputs, encoding, stack)
    if table.empty:
        raise UsageError(empty.format(table.shown[0]))
    warnings: list = []
    side = _Side(table, columns, id_column, (), warnings, id_required=True)
    found = table.id_column(id_column, DEFAULT_ID_COLUMN)
    return table, side, found.strip() if found else None, warnings


def build_index_files(inputs: Sequence[str], output: str, *, columns: Sequence[str] = (DEFAULT_COLUMN,),
                      id_column: Optional[str] = None, encoding: str = "utf-8",
                      options: MatchOptions = MatchOptions(), force: bool = False,
                      progress=None) -> IndexSummary:
    """Index the master CSV *inputs* at *output* (a directory; an index already there is replaced,
    atomically, only with *force*).  *columns*, *id_column*, *encoding* and the vectorising
    *options* (ngram, strip_legal) are ``dedup match``'s."""
    from dataforge.dedup.index import MANIFEST, build_index, check_index_options

    started = time.monotonic()
    output = _check_index_path(output)
    check_index_options(options)
    options = options.check()
    if not columns:
        raise UsageError("give at least one name --column")
    if os.path.exists(os.path.join(output, MANIFEST)):
        if not force:
            raise OutputExistsError(f"index exists: {output} (use --force to replace it)")
    else:
        check_output_free(output, force, directory=True, inputs=inputs)
    with contextlib.ExitStack() as stack:
        table, side, found, warnings = _records(inputs, encoding, stack, columns, id_column, "master list {} is empty")
        manifest = build_index(output, side.names, side.ids, options=options, columns=list(columns),
                               id_column=found, inputs=list(table.shown), progress=progress)
    return _summary(output, manifest, started, manifest["records"], manifest["distinct_names"], warnings,
                    table.notes)


def add_index_files(index: str, inputs: Sequence[str], *, columns: Sequence[str] = (),
                    id_column: Optional[str] = None, encoding: str = "utf-8", progress=None) -> IndexSummary:
    """Append the records of the CSV *inputs* to *index* (their name and id columns default to the
    index's; with no id column the records are numbered on from the index's last one)."""
    from dataforge.dedup.index import add_to_index, read_manifest

    started = time.monotonic()
    index = _check_index_path(index)
    manifest = read_manifest(index)
    columns = list(columns) or manifest["columns"] or [DEFAULT_COLUMN]
    id_column = id_column or manifest["id_column"]
    with contextlib.ExitStack() as stack:
        table, side, found, warnings = _records(inputs, encoding, stack, columns, id_column,
                                                "{} is empty: no records to add")
        before = manifest["distinct_names"]
        manifest = add_to_index(index, side.names, side.ids if found else None, inputs=list(table.shown),
                                progress=progress)
    return _summary(index, manifest, started, len(side.names), manifest["distinct_names"] - before, warnings,
                    table.notes)


def index_info(index: str) -> dict:
    """The index's manifest (less its array table), the size of each array, and whether they were
    verified (they are, on open)."""
    from dataforge.dedup.index import MatchIndex

    opened = MatchIndex.open(_check_index_path(index))
    data = opened.info()
    data["arrays"] = opened.sizes()
    return data
