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
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from typing import Iterable, Sequence

from dataforge.spark_setup import package_zip
from dataforge.errors import DataforgeError, JobFailedError, StrictModeError, UsageError
from dataforge.io import (NO_ROOM, STDIN, AtomicFile, check_not_an_input, check_output_free, is_full, is_uri,
                          local_path, resolve_inputs, spool_stdin)
from dataforge.jobs.counters import display_path, read_counters
from dataforge.jobs.output import cat_output_in_order, copy_output
from dataforge.jobs.tasks import stop_tasks_in, use_stdlib_distutils
from dataforge.progress import Progress

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
    progress: Progress = None,
) -> JobSummary:
    """Run *job_class* with *job_args* over *inputs* and write *output*.

    *output* is a file (``.gz`` compresses), ``-`` for standard output, a
    remote URI (mrjob writes part files there), or, with *split_dir*, a
    directory that receives ``train.jsonl`` and ``test.jsonl``.
    """
    # the split job's sides and files; imported here because it brings in mrjob
    from dataforge.jobs import split

    started = time.monotonic()
    progress = progress or (lambda what, done=None, total=None: None)
    if runner not in RUNNERS:
        raise UsageError(f"unknown runner {runner!r}: choose from {', '.join(RUNNERS)}")
    output = output if output == STDIN or is_uri(output) else local_path(output)
    check_output_free(output, force, directory=split_dir, replaceable=split.OUTPUT_NAMES)
    paths = resolve_inputs(inputs)
    check_not_an_input(output, paths)
    if runner == "auto":
        runner = choose_runner(paths)
    if split_dir and output == STDIN:
        raise UsageError("split writes a directory: give -o DIR (or --split train|test to write one side to stdout)")
    if split_dir and is_uri(output):
        raise UsageError("a split to a remote path writes one side a run: add --split train or --split test")
    use_stdlib_distutils()  # the local runner's tasks start from this process's environment

    with contextlib.ExitStack() as stack:
        # a file output is claimed (its temporary file made) before any input is read
        out = stack.enter_context(AtomicFile(output)) if not split_dir and not is_uri(output) else None
        shown, spooled = [display_path(p) for p in paths], None
        if STDIN in paths:  # compressed data on stdin is known by its first bytes and read as such
            spooled = spool_stdin(stack, compressed_only=True)
            paths = [spooled if p == STDIN and spooled else p for p in paths]
        extra = runner_argv(runner, runner_args, output, stack)
        job = job_class(["-r", runner, *extra, *job_args, *paths])
        summary = JobSummary(job=job_class.__name__, runner=runner, inputs=shown)
        progress(f"running {summary.job} on the {runner} runner")
        mr_runner = stack.enter_context(job.make_runner())
        try:
            mr_runner.run()
        except KeyboardInterrupt:
            stop_tasks_in(mr_runner._get_local_tmp_dir())
            raise
        except DataforgeError:
            raise
        except Exception as e:  # a task died, a cluster said no: one line for the user
            raise _job_failed(runner, e, mr_runner._get_local_tmp_dir()) from e
        read_counters(mr_runner.counters(), paths, summary)
        if spooled and summary.first_skip and summary.first_skip.startswith(display_path(spooled) + ":"):
            summary.first_skip = "<stdin>" + summary.first_skip[len(display_path(spooled)):]
        if split_dir:
            summary.written_by_side = split.count_by_side(summary.written_by_side)
        if strict and summary.skipped:
            raise StrictModeError(f"--strict: {summary.skipped_total} input lines skipped "
                                  f"({_reasons(summary.skipped)}), first at {summary.first_skip}; nothing written")
        progress("writing output")
        if is_uri(output):
            summary.outputs = [output]
        elif split_dir:
            summary.outputs = split.write_sides(cat_output_in_order(mr_runner), output)
        else:
            copy_output(mr_runner, out)
            summary.outputs = [output]
    summary.seconds = time.monotonic() - started
    return summary


def runner_argv(runner: str, runner_args: Sequence[str], output: str, stack: contextlib.ExitStack) -> list[str]:
    """mrjob's switches for *runner*: the caller's, then dataforge's defaults where the caller set none.

    Temporary files they name (the package zip for a cluster) live as long as *stack*.
    """
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
    if is_uri(output):
        extra += ["--output-dir", output, "--no-cat-output"]
    return extra


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


def _reasons(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in counts.items())


def _job_failed(runner: str, error: BaseException, tmp_dir: str) -> JobFailedError:
    """The one line for a failed run; a full disk under the runner's temporary files says where."""
    where = os.path.dirname(tmp_dir.rstrip("/")) or tmp_dir
    if is_full(tmp_dir) or (isinstance(error, OSError) and error.errno in NO_ROOM):
        return JobFailedError(f"{runner} runner failed: no space left on device for its temporary files in "
                              f"{where} (TMPDIR names another place); nothing was written")
    return JobFailedError(f"{runner} runner failed: {_first_line(error)}")


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
