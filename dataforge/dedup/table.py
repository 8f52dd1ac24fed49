"""Reading the CSV files dedup works on: checked up front, read by column, errors named by line.

Every value is read as text (company numbers keep their leading zeros, a firm
called "NA" stays "NA").  Header names are matched with surrounding spaces
stripped, because the real Companies House file has `` CompanyNumber``.
Only the columns a run needs are held in memory; ``--groups`` streams the
whole rows through again in chunks.
"""
from __future__ import annotations

import codecs
import csv
import contextlib
import gzip
import os
import re
import shutil
import sys
import tempfile
import warnings
import zlib
from typing import Iterator, Optional, Sequence

import pandas as pd

from dataforge.errors import InputDataError, UsageError
from dataforge.io import STDIN, compression_of, open_input, resolve_inputs, spool_stdin

CHUNK_ROWS = 200_000


def _python_encoding(encoding: str) -> str:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise UsageError(f"unknown encoding {encoding!r} (try utf-8, cp1252 or latin-1)") from None
    return "utf-8-sig" if name == "utf-8" else name  # a byte-order mark is not part of the header


def separator_for(path: str) -> str:
    base = path[:-3] if path.endswith(".gz") else path[:-4] if path.endswith(".bz2") else path
    return "\t" if base.lower().endswith((".tsv", ".tab")) else ","


class Table:
    """One or more CSV files with the same header, read as text."""

    def __init__(self, inputs: Sequence[str], encoding: str = "utf-8", stack: Optional[contextlib.ExitStack] = None):
        self.encoding = encoding
        self._default_codec = _python_encoding(encoding)
        paths = resolve_inputs(inputs, stdin_is_terminal=sys.stdin is None or sys.stdin.isatty())
        self.paths = [self._spool_stdin(stack) if p == STDIN else p for p in paths]
        self.shown = ["standard input" if p == STDIN else p for p in paths]
        self.notes: list[str] = []  # what was decided about the files (delimiter, byte-order mark), for the user
        self._codecs = {path: self._codec_for(path, shown) for path, shown in zip(self.paths, self.shown)}
        self._separators: dict[str, str] = {}
        self.headers = [self._header(path, shown) for path, shown in zip(self.paths, self.shown)]
        self.columns: list[str] = self._common_header()

    def _common_header(self) -> list[str]:
        """The header every non-empty file shares.  When they differ, the file blamed is one whose
        header most of the others do not have (a stray README.txt in a directory of CSVs), not
        whichever sorts first."""
        def key(header: list[str]) -> tuple[str, ...]:
            return tuple(c.strip() for c in header)

        found = [(key(h), h, shown) for h, shown in zip(self.headers, self.shown) if h is not None]
        if not found:
            return []
        counts: dict[tuple[str, ...], int] = {}
        for k, _, _ in found:
            counts[k] = counts.get(k, 0) + 1
        common = max(counts, key=lambda k: (counts[k], -[f[0] for f in found].index(k)))
        odd = next((shown for k, _, shown in found if k != common), None)
        if odd is not None:
            like = [shown for k, _, shown in found if k == common]
            others = f"{like[0]}" + (f" and {len(like) - 1} other inputs" if len(like) > 2 else
                                     f" and {like[1]}" if len(like) == 2 else "")
            columns = next(h for k, h, shown in found if shown == odd)
            raise UsageError(f"{odd} has other columns than {others}: all inputs need the same header "
                             f"({odd} has {', '.join(map(repr, columns[:5]))}"
                             f"{', ...' if len(columns) > 5 else ''})")
        return found[0][1]

    @property
    def empty(self) -> bool:
        """No header at all (every file empty)."""
        return not self.columns

    def _spool_stdin(self, stack: Optional[contextlib.ExitStack]) -> str:
        """Standard input copied to a temporary file, so it can be read twice (--groups)."""
        return spool_stdin(stack if stack is not None else contextlib.ExitStack())

    def _codec_for(self, path: str, shown: str) -> str:
        """The file's codec: the one asked for, unless the file starts with a UTF-16 or UTF-32
        byte-order mark, which says what it is."""
        try:
            with open_input(path) as f:
                head = f.read(4)
        except (OSError, EOFError, zlib.error) as e:
            raise InputDataError(f"cannot read {shown}: {e}") from None
        for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                           (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
            if head.startswith(bom):
                if codec != self._default_codec:
                    self.notes.append(f"read {shown} as {codec.upper()} (it starts with that byte-order mark)")
                return codec
        return self._default_codec

    def _header(self, path: str, shown: str) -> Optional[list[str]]:
        """The file's column names, or None for an empty file; refuses what is not CSV."""
        try:
            with open_input(path) as f:
                head = f.read(1 << 16)
        except (OSError, EOFError, zlib.error) as e:
            raise InputDataError(f"cannot read {shown}: {e}") from None
        text = head.decode(self._codecs[path], errors="ignore")
        if not text.strip():
            return None
        if text.lstrip().startswith(("{", "[")):
            raise InputDataError(f"{shown} is not a CSV file: it looks like JSON")
        try:
            self._check_no_nul(path, shown)
        except (OSError, EOFError, zlib.error) as e:
            raise InputDataError(f"cannot read {shown}: {e}") from None
        self._separators[path] = self._separator(path, shown, text)
        frame = self._read(path, shown, nrows=0)
        header = [str(c) for c in frame.columns]
        # pandas renames a repeated column (A, A.1): the header line itself says what was written
        written = next(csv.reader([text.lstrip("\ufeff").splitlines()[0]], delimiter=self._separators[path]), [])
        stripped = [c.strip() for c in written]
        repeated = sorted({c for c in stripped if stripped.count(c) > 1})
        if repeated:
            self.notes.append(f"{shown} has more than one column named {', '.join(map(repr, repeated))}: "
                              f"the first of each is used")
        return header

    def _separator(self, path: str, shown: str, text: str) -> str:
        """The field separator: by the name (.tsv, .tab: tab), else a comma unless the header line
        splits only on a semicolon, tab or bar (said in a note)."""
        default = separator_for(path)
        first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
        if default != "," or "," in first:
            return default
        for candidate, name in ((";", "semicolon"), ("\t", "tab"), ("|", "bar")):
            if candidate in first:
                self.notes.append(f"read {shown} as {name}-separated (its header line has no comma)")
                return candidate
        return default

    def _check_no_nul(self, path: str, shown: str) -> None:
        """A NUL byte is refused wherever it is, with its line: CSV readers cut text at it."""
        codec = self._codecs[path]
        decoder = codecs.getincrementaldecoder(codec)(errors="ignore") if codec.startswith("utf-") and \
            codec[4:6] in ("16", "32") else None
        line = 1
        with open_input(path) as f:
            while True:
                block = f.read(1 << 20)
                if not block:
                    return
                text = decoder.decode(block) if decoder else block
                nul = "\x00" if decoder else b"\x00"
                at = text.find(nul)
                if at >= 0:
                    line += text.count("\n" if decoder else b"\n", 0, at)
                    raise InputDataError(f"{shown}: line {line} holds a NUL byte, which no CSV name can hold "
                                         f"(a binary file? remove them with tr -d '\\000')")
                line += text.count("\n" if decoder else b"\n")

    def column(self, wanted: str, what: str = "column") -> str:
        """The header name that is *wanted* once surrounding spaces are stripped."""
        stripped = [c.strip() for c in self.columns]
        if wanted.strip() in stripped:
            return self.columns[stripped.index(wanted.strip())]
        folded = [c.casefold() for c in stripped]
        if folded.count(wanted.strip().casefold()) == 1:
            return self.columns[folded.index(wanted.strip().casefold())]
        found = ", ".join(repr(c) for c in self.columns) or "none"
        raise UsageError(f"{self.shown[0]} has no {what} {wanted!r}; columns found: {found}")

    def id_column(self, wanted: Optional[str], default: str, required: bool = True) -> Optional[str]:
        """The id column: *wanted* (which must exist when *required*), else *default*
        when the file has it, else None (the row number serves)."""
        if wanted and (required or self.has_column(wanted)):
            return self.column(wanted, "id column")
        return self.column(default) if self.has_column(default) else None

    def has_column(self, wanted: str) -> bool:
        return wanted.strip() in [c.strip() for c in self.columns]

    def read(self, columns: Sequence[str]) -> pd.DataFrame:
        """Just these columns (header names as in the file), every file, as text."""
        columns = list(dict.fromkeys(columns))  # a column may serve twice (name and --also)
        if self.empty:
            return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
        frames = []
        for path, shown, header in zip(self.paths, self.shown, self.headers):
            if header is None:
                continue
            # this file's own spelling of each column (headers may differ in surrounding spaces)
            own = {c.strip(): c for c in header}
            wanted = [own[c.strip()] for c in columns]
            frame = self._read(path, shown, usecols=wanted)[wanted]
            frames.append(frame.set_axis(columns, axis=1))
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]

    def chunks(self, rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
        """Whole rows, a chunk at a time, in file order."""
        for path, shown, header in zip(self.paths, self.shown, self.headers):
            if header is None:
                continue
            with self._reading(path, shown):
                reader = pd.read_csv(path, chunksize=rows, **self._csv_options(path))
                with reader:
                    for chunk in reader:
                        yield chunk.set_axis(self.columns, axis=1)  # the first file's header names

    def _csv_options(self, path: str) -> dict:
        return dict(sep=self._separators.get(path) or separator_for(path), dtype=str, keep_default_na=False,
                    na_filter=False, index_col=False, encoding=self._codecs[path],
                    compression=compression_of(path), engine="c")

    def _read(self, path: str, shown: str, **options) -> pd.DataFrame:
        with self._reading(path, shown):
            return pd.read_csv(path, **self._csv_options(path), **options)

    @contextlib.contextmanager
    def _reading(self, path: str, shown: str) -> Iterator[None]:
        """Turn pandas' and the codecs' errors into one line naming the file and line."""
        try:
            with warnings.catch_warnings():
                # pandas only warns when it drops the extra fields of a long row: that would lose data
                warnings.simplefilter("error", pd.errors.ParserWarning)
                yield
        except pd.errors.ParserWarning as e:
            raise InputDataError(f"{shown} is not a readable CSV file: {str(e).strip().splitlines()[0]}") from None
        except UnicodeDecodeError:
            line, byte = self._bad_line(path)
            raise InputDataError(f"{shown}: line {line} is not valid {self.encoding} (byte {byte}); "
                                 f"give the file's encoding, e.g. --encoding cp1252") from None
        except pd.errors.EmptyDataError:
            raise InputDataError(f"{shown} has no header line") from None
        except pd.errors.ParserError as e:
            detail = str(e).split("C error: ")[-1].strip().rstrip(".")
            raise InputDataError(f"{shown} is not a readable CSV file: {detail}") from None
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as e:
            raise InputDataError(f"cannot read {shown}: {e}") from None

    def _bad_line(self, path: str) -> tuple[int, str]:
        decoder = codecs.getincrementaldecoder(self._codecs[path])()
        with open_input(path) as f:
            for number, line in enumerate(f, 1):
                try:
                    decoder.decode(line)
                except UnicodeDecodeError as e:
                    return number, f"0x{line[e.start]:02x}"
        return 0, "?"



_QUOTED = re.compile(r'[,"\r\n]')


def _csv_field(value) -> str:
    """One value as pandas' to_csv writes it (minimal quoting; missing is empty), except that a
    carriage return is quoted too."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = value if isinstance(value, str) else str(value)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_column(values: pd.Series) -> list:
    """Every value of a column rendered as _csv_field does, a whole column at a time."""
    if pd.api.types.is_float_dtype(values.dtype):
        return [repr(v) if v == v else "" for v in values.tolist()]
    text = [v if isinstance(v, str) else "" if v is None or (isinstance(v, float) and v != v) else str(v)
            for v in values.tolist()]
    if not _QUOTED.search("".join(text)):  # the usual case: nothing to quote in the whole column
        return text
    return ['"' + v.replace('"', '""') + '"' if ("," in v or '"' in v or "\n" in v or "\r" in v) else v
            for v in text]


def write_frame_csv(out, frame: pd.DataFrame, header: bool = True) -> None:
    """``frame.to_csv(out, index=False, header=header)`` with the same bytes (save a quoted
    carriage return), rendering a column at a time (twice as fast for the pairs) and
    CHUNK_ROWS rows at a time (memory stays bounded).  The one CSV writer of dedup's outputs."""
    if header:
        out.write(",".join(_csv_field(c) for c in frame.columns) + "\n")
    for start in range(0, len(frame), CHUNK_ROWS):
        chunk = frame.iloc[start:start + CHUNK_ROWS]
        columns = [_csv_column(chunk[name]) for name in frame.columns]
        out.write("".join(",".join(row) + "\n" for row in zip(*columns)))
