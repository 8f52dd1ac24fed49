"""Run one of dataforge's jobs on an mrjob runner and write its output safely.

This is the glue the CLI calls; it is importable on its own::

    from dataforge.jobs import MRFilter, run_job
    summary = run_job(MRFilter, ["--title", "data scientist"], ["data/"], "out.jsonl")
    print(summary.written, summary.skipped)

Work happens in this order, so that nothing is written unless it all worked:
resolve and check inputs and the output path (usage errors), run the job,
read its counters, apply ``strict``, then write the output atomically.
"""
from __future__ import annotations

import contextlib
import io
import os
import signal
import stat
import tempfile
import time
from dataclasses import asdict, dataclass, field
from typing import IO, Callable, Iterable, Iterator, Sequence

from mrjob.util import to_lines

from dataforge.errors import DataforgeError, JobFailedError, StrictModeError, UsageError
from dataforge.io import STDIN, AtomicDirectory, AtomicFile, check_output_free, is_uri, open_input, resolve_inputs
from dataforge.jobs.base import COUNTER_GROUP, LOCATION_GROUP
from dataforge.jobs.split import SIDES
from dataforge.spark_setup import package_zip

RUNNERS = ("auto", "inline", "local", "spark", "hadoop", "emr", "dataproc")
DEFAULT_RUNNER = "auto"
# "auto" picks local (all cores) from this much splittable input, inline below it:
# local pays ~0.4 s to start its task processes; on 2 cores it overtakes inline
# between 128 and 286 MB (docs/benchmarks.md, runner table)
AUTO_LOCAL_MIN_BYTES = 100 * 1024 * 1024  # measured crossover, docs/benchmarks.md
_CLUSTER_RUNNERS = {"spark", "hadoop", "emr", "dataproc"}


@dataclass
class JobSummary:
    """What a run did, as printed by ``--json``."""

    job: str
    runner: str
    inputs: list[str]
    outputs: list[str] = field(default_factory=list)
    read: int = 0
    written: int = 0
    written_by_side: dict[str, int] | None = None
    skipped: dict[str, int] = field(default_factory=dict)
    unranked: dict[str, int] = field(default_factory=dict)
    first_skip: str | None = None
    seconds: float = 0.0

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def to_dict(self) -> dict:
        data = asdict(self)
        if data["written_by_side"] is None:
            del data["written_by_side"]
        data["seconds"] = round(self.seconds, 3)
        return data


def run_job(
    job_class: type,
    job_args: Sequence[str],
    inputs: Iterable[str],
    output: str = STDIN,
    *,
    runner: str = DEFAULT_RUNNER,
    runner_args: Sequence[str] = (),
    force: bool = False,
    strict: bool = False,
    split_dir: bool = False,
    status: Callable[[str], None] | None = None,
) -> JobSummary:
    """Run *job_class* with *job_args* over *inputs* and write *output*.

    *output* is a file (``.gz`` compresses), ``-`` for standard output, a
    remote URI (mrjob writes part files there), or, with *split_dir*, a
    directory that receives ``train.jsonl`` and ``test.jsonl``.
    """
    started = time.monotonic()
    status = status or (lambda message: None)
    if runner not in RUNNERS:
        raise UsageError(f"unknown runner {runner!r}: choose from {', '.join(RUNNERS)}")
    paths = resolve_inputs(inputs)
    check_output_free(output, force, directory=split_dir)
    if runner == "auto":
        runner = choose_runner(paths)
    if split_dir and output == STDIN:
        raise UsageError("split writes a directory: give -o DIR (or --split train|test to write one side to stdout)")
    if split_dir and is_uri(output):
        raise UsageError("a split to a remote path writes one side a run: add --split train or --split test")

    with contextlib.ExitStack() as stack:
        extra = list(runner_args)
        if not any(a.startswith("--cleanup-on-failure") for a in extra):
            extra += ["--cleanup-on-failure", "ALL"]  # mrjob keeps a failed run's temp files by default
        if runner in ("inline", "local") and not any(
                a.startswith(("--bootstrap-mrjob", "--no-bootstrap-mrjob", "--python-bin")) for a in extra):
            # tasks run on this interpreter, which has mrjob: a zip of it on their
            # path only makes each task compile mrjob from source (0.15 s a task)
            extra += ["--no-bootstrap-mrjob"]
        if runner in _CLUSTER_RUNNERS:
            extra += ["--py-files", package_zip(stack.enter_context(tempfile.TemporaryDirectory(prefix="dataforge-py-files-")))]
        remote = is_uri(output)
        if remote:
            extra += ["--output-dir", output, "--no-cat-output"]
        job = _make_job(job_class, ["-r", runner, *extra, *job_args, *paths])
        summary = JobSummary(job=job_class.__name__, runner=runner, inputs=[_display(p) for p in paths])
        status(f"running {summary.job} on the {runner} runner")
        mr_runner = stack.enter_context(job.make_runner())
        try:
            mr_runner.run()
        except KeyboardInterrupt:
            _stop_tasks_in(mr_runner._get_local_tmp_dir())
            raise
        except DataforgeError:
            raise
        except Exception as e:  # a task died, a cluster said no: one line for the user
            raise JobFailedError(f"{runner} runner failed: {_first_line(e)}") from e
        _read_counters(mr_runner.counters(), paths, summary)
        if split_dir:
            summary.written_by_side = {side: (summary.written_by_side or {}).get(side, 0) for side in SIDES}
        if strict and summary.skipped:
            raise StrictModeError(f"--strict: {summary.skipped_total} input lines skipped "
                                  f"({_reasons(summary.skipped)}), first at {summary.first_skip}; nothing written")
        status("writing output")
        if remote:
            summary.outputs = [output]
        elif split_dir:
            summary.outputs = _write_split(_cat_output_in_order(mr_runner), output)
        else:
            with AtomicFile(output) as out:
                _copy_output(mr_runner, out)
            summary.outputs = [output]
    summary.seconds = time.monotonic() - started
    return summary


def choose_runner(paths: Sequence[str]) -> str:
    """The faster of inline and local for these inputs, on this machine.

    Local runs one task per core, but only helps when there is enough input
    to split: uncompressed files split by byte range, compressed ones run a
    task each.  Standard input has no size to judge by, so it runs inline.
    """
    if (os.cpu_count() or 1) < 2 or any(p == STDIN or is_uri(p) for p in paths):
        return "inline"
    compressed = [p for p in paths if p.endswith((".gz", ".bz2"))]
    splittable = sum(os.path.getsize(p) for p in paths if p not in compressed)
    if len(compressed) >= 2:
        splittable += 5 * sum(os.path.getsize(p) for p in compressed)  # ~5x once decompressed
    return "local" if splittable >= AUTO_LOCAL_MIN_BYTES else "inline"


def _stop_tasks_in(tmp_dir: str) -> None:
    """SIGTERM local task processes still working in this run's temp directory.

    Ctrl-C reaches the whole process group, but `kill -INT <pid>` reaches only
    the driver; mrjob's pool then ends its workers and their task processes
    (orphaned, so no longer our children) would run on.  Their working
    directories are inside the run's temp directory, which is how they are found.
    """
    prefix = os.path.realpath(tmp_dir) + os.sep
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return  # no /proc: not Linux
    for entry in entries:
        try:
            if os.readlink(f"/proc/{entry}/cwd").startswith(prefix):
                os.kill(int(entry), signal.SIGTERM)
        except OSError:
            continue


def _make_job(job_class: type, args: list[str]):
    """Build the job, turning its argument errors into a UsageError."""
    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            return job_class(args)
    except SystemExit:
        lines = [line for line in captured.getvalue().splitlines() if line.strip()]
        message = lines[-1].split("error: ", 1)[-1] if lines else "bad job arguments"
        raise UsageError(message) from None


def _part_paths(mr_runner) -> list[str]:
    """The job's part files in name order (part-00000, part-00001, ...).

    mrjob's own cat_output() lists them in os.walk order, which is arbitrary,
    so output order would change between runs.
    """
    output_dir = mr_runner.get_output_dir()
    parts = []
    for path in mr_runner.fs.ls(output_dir):
        relative = path[len(output_dir):].lstrip("/")
        if not any(name.startswith(("_", ".")) for name in relative.split("/")):
            parts.append(path)  # Hadoop's rule: skip _SUCCESS, .crc files and the like
    return sorted(parts)


def _cat_output_in_order(mr_runner) -> Iterator[bytes]:
    for path in _part_paths(mr_runner):
        yield from mr_runner.fs.cat(path)


def _copy_output(mr_runner, out: IO[bytes]) -> None:
    """Append the job's part files to *out*, in the kernel when both are plain local files.

    copy_file_range skips Python's read/write loop (0.1 s a 50 MB output here);
    anything else (a pipe, gzip, compressed parts) goes through mrjob's fs.cat.
    """
    for path in _part_paths(mr_runner):
        if os.path.isfile(path) and not path.endswith((".gz", ".bz2")) and _copy_file(path, out):
            continue
        for chunk in mr_runner.fs.cat(path):
            out.write(chunk)


def _copy_file(path: str, out: IO[bytes]) -> bool:
    """Append *path* to *out* with os.copy_file_range; False (nothing copied) when it cannot."""
    if not hasattr(os, "copy_file_range") or not isinstance(out, io.BufferedWriter):
        return False
    out_fd = out.fileno()
    if not stat.S_ISREG(os.fstat(out_fd).st_mode):
        return False  # a pipe or terminal
    out.flush()
    with open(path, "rb") as source:
        left = os.fstat(source.fileno()).st_size
        first = True
        while left > 0:
            try:
                copied = os.copy_file_range(source.fileno(), out_fd, left)
            except OSError:
                if first:
                    return False  # not supported for these files (O_APPEND, old kernel): read instead
                raise
            if copied == 0:
                break
            first = False
            left -= copied
    out.seek(0, os.SEEK_END)  # the descriptor moved on; keep the buffered writer in step
    return True


def _write_split(chunks: Iterable[bytes], directory: str) -> list[str]:
    with AtomicDirectory(directory) as tmp, contextlib.ExitStack() as files:
        outs = {side.encode(): files.enter_context(open(tmp / f"{side}.jsonl", "wb")) for side in SIDES}
        for line in to_lines(chunks):
            side, _, rest = line.partition(b"\t")
            outs[side].write(rest)
    return [os.path.join(directory, f"{side}.jsonl") for side in SIDES]


def _read_counters(counters: list[dict], paths: list[str], summary: JobSummary) -> None:
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
        summary.first_skip = _first_location(locations, paths)


def _first_location(names: list[str], paths: list[str]) -> str:
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
    return f"{_display(shown)}:{line_no} ({reason})"


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


def _display(path: str) -> str:
    if path in (STDIN, "<stdin>") or is_uri(path) or not os.path.isabs(path):
        return "<stdin>" if path == STDIN else path
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _reasons(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in counts.items())


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
