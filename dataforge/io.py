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
import errno
import glob
import gzip
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path
from typing import IO, Collection, Iterable, Optional

from dataforge import signals
from dataforge.errors import InputPathError, OutputExistsError, OutputRaceError, OutputWriteError, UsageError

STDIN = "-"
_GLOB_CHARS = set("*?[")


def is_uri(path: str) -> bool:
    """True for a remote path, one another filesystem resolves (hdfs://, s3a://, gs://, ...).

    The one test of what is remote: ``file://`` names a file of this machine
    (:func:`local_path` gives its path), whichever command or engine reads it.
    """
    return "://" in path and not path.startswith("file://")


def local_path(path: str) -> str:
    """A path of this machine as the OS names it: ``file:///tmp/x.csv`` is ``/tmp/x.csv``."""
    return path[len("file://"):] if path.startswith("file://") else path


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
        path = local_path(path)
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


_MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bz2"))
# the errors that mean "no room": a full disk, a quota, a file beyond the filesystem's limit
NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
ROOM_LEFT = 1 << 20  # bytes: a filesystem with less than this available is taken to be full


def is_full(directory: str) -> bool:
    """Whether the filesystem holding *directory* has (almost) no space left for this user."""
    try:
        fs = os.statvfs(directory)
    except OSError:
        return False
    return fs.f_bavail * fs.f_frsize < ROOM_LEFT


def no_room_error(error: BaseException, where: str, what: str) -> Optional[OutputWriteError]:
    """An OutputWriteError naming *what* (a path, standard output) if *error* says the disk is full."""
    if isinstance(error, OSError) and error.errno in NO_ROOM and error.filename is None:
        return OutputWriteError(f"cannot write {what}: {os.strerror(error.errno).lower()} ({where}); "
                                f"nothing was replaced")
    return None


def compression_of(path: str) -> Optional[str]:
    """gzip or bz2 by the file's first bytes whatever its name, else by its name (.gz, .bz2);
    None: not compressed."""
    try:
        with open(path, "rb") as f:
            head = f.read(3)
    except OSError:
        head = b""
    for magic, name in _MAGIC:
        if head.startswith(magic) and (name != "bz2" or _is_bz2(path)):
            return name
    return "gzip" if path.endswith(".gz") else "bz2" if path.endswith(".bz2") else None


def _is_bz2(path: str) -> bool:
    """'BZh' starts plain text too: a bz2 stream has a block size digit and a block magic after it."""
    with open(path, "rb") as f:
        head = f.read(10)
    return len(head) == 10 and head[3:4] in b"123456789" and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90")


def spool_stdin(stack, compressed_only: bool = False) -> Optional[str]:
    """Standard input copied to a temporary file (removed when *stack* closes), named by its
    compression (``.gz``, ``.bz2``) so every reader decompresses it; with *compressed_only*,
    None (nothing read) when the input is not compressed."""
    buffer = sys.stdin.buffer
    peeked = hasattr(buffer, "peek")
    head = buffer.peek(10)[:10] if peeked else buffer.read(10)  # a stream that cannot peek is spooled
    suffix = ".gz" if head.startswith(b"\x1f\x8b") else ".bz2" if head.startswith(b"BZh") and \
        head[3:4] in b"123456789" and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90") else ""
    if compressed_only and not suffix and peeked:
        return None
    fd, name = tempfile.mkstemp(prefix="dataforge-stdin-", suffix=(".jsonl" if compressed_only else ".csv") + suffix)
    stack.callback(lambda: os.path.exists(name) and os.unlink(name))
    with os.fdopen(fd, "wb") as out:
        if not peeked:
            out.write(head)
        shutil.copyfileobj(buffer, out, 1 << 20)
    return name


def check_not_an_input(path: str, inputs: Iterable[str]) -> None:
    """Refuse an output that is one of the run's inputs (exit 2), --force or not."""
    if path == STDIN or is_uri(path) or not os.path.exists(local_path(path)):
        return
    for source in inputs:
        if source != STDIN and not is_uri(source) and os.path.exists(local_path(source)) \
                and os.path.samefile(local_path(source), local_path(path)):
            raise UsageError(f"output {path} is also an input: write the result to another path")


def open_input(path: str) -> IO[bytes]:
    """Open a local input for reading bytes, decompressing gzip and bz2 (known by their first bytes)."""
    if path == STDIN:
        return sys.stdin.buffer
    compression = compression_of(path)
    if compression == "gzip":
        return gzip.open(path, "rb")
    if compression == "bz2":
        return bz2.open(path, "rb")
    return open(path, "rb")


def is_special(path: str) -> bool:
    """A device, FIFO or socket (through any symlink): written through like stdout, never replaced."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def check_output_free(path: str, force: bool, directory: bool = False, inputs: Iterable[str] = (),
                      replaceable: Collection[str] = ()) -> None:
    """Refuse an output path no run should write, before any work (exit 2).

    An existing regular file (or a directory of outputs, for *directory*
    outputs such as split's) is replaced only with *force*; a device or FIFO
    (``/dev/null``) is written through and never replaced, so it needs no
    *force*; a symlink is followed, and its target replaced atomically.
    *force* replaces a directory only when it holds nothing but names in
    *replaceable* (the files the command writes there).  A
    file output that names a directory, an output that is one of the
    *inputs*, and an output whose directory cannot be created or written are
    refused.
    """
    if path == STDIN or is_uri(path):
        return
    path = local_path(path)
    if is_special(path):
        return
    target = Path(path)
    if not directory and target.is_dir():
        raise UsageError(f"output {path} is a directory: give a file name (or - for stdout)")
    check_not_an_input(path, inputs)
    if target.is_dir() and not any(target.iterdir()):
        return  # an empty directory someone made for us is fair to fill
    if target.exists() or target.is_symlink():
        if not force:
            raise OutputExistsError(f"output exists: {path} (use --force to replace it)")
        if target.is_dir() and not target.is_symlink() and not _holds_only(target, replaceable):
            raise UsageError(f"--force will not replace directory {path}: it holds files dataforge did not write")
    _check_creatable(Path(os.path.realpath(path)) if target.is_symlink() else target)


def _check_creatable(target: Path) -> None:
    """The nearest existing folder above *target* is a folder this process may write in."""
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"cannot create output {target}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"cannot create output {target}: no permission to write in {parent}")


def _holds_only(directory: Path, names: Collection[str]) -> bool:
    found = {p.name for p in directory.iterdir()}
    return bool(found) and found <= set(names)


def _temp_name(target: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    return Path(name)


def _state(path: str) -> Optional[tuple]:
    """What a path holds now (None: nothing), to tell whether another run wrote it meanwhile."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def _land(tmp: str, path: str, before: Optional[tuple]) -> None:
    """Put *tmp* at *path*, unless another run has written *path* since *before* was taken:
    the final step is exclusive, so of two runs at once one fails instead of both winning."""
    raced = OutputRaceError(f"output {path} was written by another run while this one worked: "
                            f"it was left as the other run wrote it")
    if before is None:
        try:
            os.link(tmp, path)  # fails if the path exists: nothing is replaced behind anybody's back
        except FileExistsError:
            raise raced from None
        except OSError:  # a filesystem without hard links: check, then rename
            if _state(path) is not None:
                raise raced from None
            os.replace(tmp, path)
            return
        os.unlink(tmp)
        return
    if _state(path) != before:
        raise raced
    os.replace(tmp, path)


class AtomicFile:
    """A binary file written under a temporary name and renamed into place.

    Used as a context manager: on a clean exit the file is fsync'ed and
    renamed over *path* (exclusively: see :func:`_land`); on any exception
    (KeyboardInterrupt included) the temporary file is removed and *path* is
    left as it was.  A path ending in ``.gz`` or ``.bz2`` is compressed.
    ``-`` writes to standard output, and a device or FIFO is written through
    the same way; a symlink's target is the file replaced.  Entering creates
    the temporary file, so entering early proves the output can be written.
    """

    def __init__(self, path: str):
        self.path = path
        self._tmp: Optional[Path] = None
        self._raw: Optional[IO[bytes]] = None
        self._through = path == STDIN or is_special(path)
        self._target = os.path.realpath(path) if not self._through and os.path.islink(path) else path
        self._before: Optional[tuple] = None
        self.stream: IO[bytes]

    def __enter__(self) -> IO[bytes]:
        if self.path == STDIN:
            self._raw = sys.stdout.buffer
        elif self._through:
            self._raw = open(self.path, "wb")
        else:
            target = Path(self._target)
            target.parent.mkdir(parents=True, exist_ok=True)
            self._before = _state(self._target)
            self._tmp = _temp_name(target)
            self._raw = open(self._tmp, "wb")
        name = os.path.basename(self._target)
        if self.path.endswith(".gz"):
            self.stream = gzip.GzipFile(filename=name[:-3], fileobj=self._raw, mode="wb", compresslevel=6)
        elif self.path.endswith(".bz2"):
            self.stream = bz2.BZ2File(self._raw, mode="wb")
        else:
            self.stream = self._raw
        return self.stream

    def __exit__(self, exc_type, exc, tb) -> None:
        full = self._full(exc)  # before the temporary file is removed, which frees its space
        try:
            self._finish(exc_type)
        except OSError as e:
            error = self._no_room(e, self._full(e))
            if error is not None:
                raise error from e
            raise
        error = self._no_room(exc, full)
        if error is not None:
            raise error from exc

    def _full(self, error: Optional[BaseException]) -> bool:
        """Whether *error* is a full disk where this output is written."""
        if not (isinstance(error, OSError) and error.errno in NO_ROOM):
            return False
        return self._through or is_full(os.path.dirname(os.path.abspath(self._target)))

    def _no_room(self, error: Optional[BaseException], full: bool) -> Optional[OutputWriteError]:
        if not full or error is None:
            return None
        what = "standard output" if self.path == STDIN else self.path
        where = "the device is full" if self._through else f"{os.path.dirname(os.path.abspath(self._target))} is full"
        return no_room_error(error, where, what)

    def _finish(self, exc_type) -> None:
        assert self._raw is not None
        try:
            if self.stream is not self._raw:
                self.stream.close()
            if self.path == STDIN:
                if exc_type is None:
                    self._raw.flush()
                return
            if self._through:
                self._raw.close()
                return
            if exc_type is None:
                self._raw.flush()
                os.fsync(self._raw.fileno())
            self._raw.close()
            if exc_type is None:
                signals.raise_if_stopped()  # a stop signal someone swallowed: nothing lands
                os.chmod(self._tmp, 0o666 & ~_umask())
                _land(str(self._tmp), self._target, self._before)
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
        self._before: Optional[tuple] = None

    def __enter__(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._before = _state(str(self.path))
        self._tmp = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent))
        return self._tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self._tmp is not None
        if exc_type is None:
            try:
                signals.raise_if_stopped()
            except KeyboardInterrupt:
                shutil.rmtree(self._tmp, ignore_errors=True)
                raise
        if exc_type is None and _state(str(self.path)) != self._before:
            shutil.rmtree(self._tmp, ignore_errors=True)
            raise OutputRaceError(f"output {self.path} was written by another run while this one worked: "
                                  f"it was left as the other run wrote it")
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
