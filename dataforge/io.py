"""Readers and writers shared by dataforge's commands.

* :func:`resolve_inputs` turns what a user typed (files, globs, directories,
  ``-``, remote URIs) into the list of paths a job reads, failing early with a
  :class:`~dataforge.errors.InputPathError` that names the path.
* :class:`AtomicFile` and :class:`AtomicDirectory` write beside the target under
  a temporary name and rename on success, so a failed or interrupted run never
  leaves a half-written result.
"""
from __future__ import annotations

import bz2
import glob
import gzip
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import IO, Collection, Iterable

from dataforge.errors import InputPathError, OutputExistsError, UsageError

STDIN = "-"
_GLOB_CHARS = set("*?[")


def is_uri(path: str) -> bool:
    """True for paths another filesystem resolves (hdfs://, s3://, gs://, ...)."""
    return "://" in path and not path.startswith("file://")


def _is_hidden(name: str) -> bool:
    # Hadoop's FileInputFormat ignores these too (_SUCCESS, .crc files, ...)
    return name.startswith((".", "_"))


def _files_under(directory: str) -> list[str]:
    found = []
    for root, dirs, files in os.walk(directory, followlinks=True):
        dirs[:] = sorted(d for d in dirs if not _is_hidden(d))
        found.extend(os.path.join(root, f) for f in sorted(files) if not _is_hidden(f))
    return found


def _check_readable(path: str) -> None:
    try:
        with open(path, "rb"):
            pass
    except OSError as e:
        raise InputPathError(f"cannot read input {path}: {e.strerror or e}") from None


def resolve_inputs(paths: Iterable[str], stdin_is_terminal: bool | None = None) -> list[str]:
    """Expand files, globs and directories into a sorted list of input paths.

    ``-`` stands for standard input; no paths at all means standard input too,
    unless it is a terminal (nothing piped in), which is a usage error rather
    than a silent hang.  Remote URIs pass through untouched for mrjob.
    """
    paths = list(paths)
    if not paths:
        if stdin_is_terminal is None:
            stdin_is_terminal = sys.stdin is None or sys.stdin.isatty()
        if stdin_is_terminal:
            raise UsageError("no INPUT given and nothing piped to standard input")
        return [STDIN]
    resolved: list[str] = []
    for path in paths:
        if path == STDIN:
            if STDIN in resolved:
                raise UsageError("standard input (-) can be read only once")
            resolved.append(STDIN)
            continue
        if is_uri(path):
            resolved.append(path)
            continue
        if path.startswith("file://"):
            path = path[len("file://"):]
        if _GLOB_CHARS & set(path) and not os.path.exists(path):
            matches = sorted(glob.glob(path, recursive=True))
            if not matches:
                raise InputPathError(f"no files match {path}")
            for match in matches:
                resolved.extend(_files_under(match) if os.path.isdir(match) else [match])
            continue
        if os.path.isdir(path):
            files = _files_under(path)
            if not files:
                raise InputPathError(f"no input files in directory {path}")
            resolved.extend(files)
        elif os.path.lexists(path) or os.path.exists(path):
            resolved.append(path)
        else:
            raise InputPathError(f"input not found: {path}")
    for path in resolved:
        if path != STDIN and not is_uri(path):
            _check_readable(path)
    return resolved


def open_input(path: str) -> IO[bytes]:
    """Open a local input for reading bytes, decompressing .gz and .bz2."""
    if path == STDIN:
        return sys.stdin.buffer
    if path.endswith(".gz"):
        return gzip.open(path, "rb")
    if path.endswith(".bz2"):
        return bz2.open(path, "rb")
    return open(path, "rb")


def check_output_free(path: str, force: bool, directory: bool = False,
                      replaceable: Collection[str] = ()) -> None:
    """Refuse an existing output path unless *force* (exit 2, before any work).

    *directory* says the output is a directory (split); a file output that
    names an existing directory is always refused.  *force* replaces a
    directory only when it holds nothing but names in *replaceable* (the
    files the command writes there).
    """
    if path == STDIN or is_uri(path):
        return
    target = Path(path)
    if not directory and target.is_dir():
        raise UsageError(f"output {path} is a directory: give a file name (or - for stdout)")
    if target.is_dir() and not any(target.iterdir()):
        return  # an empty directory someone made for us is fair to fill
    if target.exists() or target.is_symlink():
        if not force:
            raise OutputExistsError(f"output exists: {path} (use --force to replace it)")
        if target.is_dir() and not target.is_symlink() and not _holds_only(target, replaceable):
            raise UsageError(f"--force will not replace directory {path}: it holds files dataforge did not write")


def _holds_only(directory: Path, names: Collection[str]) -> bool:
    found = {p.name for p in directory.iterdir()}
    return bool(found) and found <= set(names)


def _temp_name(target: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    return Path(name)


class AtomicFile:
    """A binary file written under a temporary name and renamed into place.

    Used as a context manager: on a clean exit the file is fsync'ed and
    renamed over *path*; on any exception (KeyboardInterrupt included) the
    temporary file is removed and *path* is left as it was.  A path ending in
    ``.gz`` is gzip-compressed.  ``-`` writes to standard output directly.
    """

    def __init__(self, path: str):
        self.path = path
        self._tmp: Path | None = None
        self._raw: IO[bytes] | None = None
        self.stream: IO[bytes]

    def __enter__(self) -> IO[bytes]:
        if self.path == STDIN:
            self.stream = sys.stdout.buffer
            return self.stream
        target = Path(self.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = _temp_name(target)
        self._raw = open(self._tmp, "wb")
        if self.path.endswith(".gz"):
            self.stream = gzip.GzipFile(filename=target.name[:-3], fileobj=self._raw, mode="wb", compresslevel=6)
        else:
            self.stream = self._raw
        return self.stream

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.path == STDIN:
            if exc_type is None:
                self.stream.flush()
            return
        assert self._tmp is not None and self._raw is not None
        try:
            if self.stream is not self._raw:
                self.stream.close()
            if exc_type is None:
                self._raw.flush()
                os.fsync(self._raw.fileno())
            self._raw.close()
            if exc_type is None:
                os.chmod(self._tmp, 0o666 & ~_umask())
                os.replace(self._tmp, self.path)
                self._tmp = None
        finally:
            if self._tmp is not None:
                self._tmp.unlink(missing_ok=True)


class AtomicDirectory:
    """A directory filled under a temporary name and renamed into place.

    The context manager yields the temporary directory's path; on success it
    replaces *path* (an existing one only when the caller allowed it, see
    :func:`check_output_free`), on failure it is removed whole.
    """

    def __init__(self, path: str):
        self.path = Path(path)
        self._tmp: Path | None = None

    def __enter__(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent))
        return self._tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self._tmp is not None
        if exc_type is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            return
        os.chmod(self._tmp, 0o777 & ~_umask())
        old = None
        if self.path.exists() or self.path.is_symlink():
            old = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", suffix=".old", dir=self.path.parent))
            os.replace(self.path, old / "previous")
        try:
            os.replace(self._tmp, self.path)
        except BaseException:
            if old is not None:
                os.replace(old / "previous", self.path)
            shutil.rmtree(self._tmp, ignore_errors=True)
            raise
        finally:
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
