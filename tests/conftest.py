"""Shared fixtures: generated JobPosting files and the seed's scripts as oracles."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from dataforge.synthetic import write_job_postings

ROOT = Path(__file__).resolve().parents[1]
SEED_DIR = ROOT / "benchmarks" / "seed"
DATAFORGE = str(Path(sys.executable).parent / "dataforge")
SCRATCH = "_scratch"  # TMPDIR for mrjob's working files, inside each test's tmp_path
TEMP_NAME = re.compile(r"^\..+\.(tmp|old)$")  # AtomicFile / AtomicDirectory temporaries


@pytest.fixture(scope="session")
def postings(tmp_path_factory) -> Path:
    """1,500 synthetic postings, shaped like the seed's sample record."""
    path = tmp_path_factory.mktemp("postings") / "postings.jsonl"
    with open(path, "wb") as out:
        write_job_postings(out, 1500, seed=11, description_chars=600)
    return path


def read_jsonl(path: Path | str) -> list[dict]:
    with open(path, "rb") as f:
        return [json.loads(line) for line in f if line.strip()]


def run_seed(script: str, inputs: list[Path], *args: str) -> list:
    """Run one of the seed's verbatim scripts on mrjob's inline runner; parsed output values."""
    result = subprocess.run(
        [sys.executable, str(SEED_DIR / script), "-r", "inline", *map(str, inputs), *args],
        capture_output=True, check=True,
    )
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def run_cli(*args: str, input: bytes | None = None, cwd: Path | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``dataforge ARGS`` in this process, as the console script runs it (click's CliRunner):
    in *cwd*, with *input* on stdin (else an empty one) and DATAFORGE_DEBUG unset; when *cwd*
    holds a scratch folder (SCRATCH), temporary files go there (TMPDIR).  Only what a real
    process shows (the console script, signals, SIGPIPE, a terminal) needs :func:`console`."""
    import inspect

    from click.testing import CliRunner

    from dataforge.cli import cli

    cwd = Path(cwd) if cwd is not None else Path.cwd()
    scratch = cwd / SCRATCH
    old_cwd, old_tempdir = os.getcwd(), tempfile.tempdir
    temp = {"TMPDIR": str(scratch)} if scratch.is_dir() else {}
    os.chdir(cwd)
    if temp:
        tempfile.tempdir = str(scratch)  # tempfile caches TMPDIR: set what it would read
    try:
        # click 8.1 (the newest for Python 3.9) mixes stderr into stdout unless told not to;
        # 8.2 keeps them apart and dropped the argument
        runner = CliRunner(mix_stderr=False) if "mix_stderr" in inspect.signature(CliRunner).parameters \
            else CliRunner()
        result = runner.invoke(cli, [str(a) for a in args], input=input, prog_name="dataforge",
                                    env={**temp, "DATAFORGE_DEBUG": None, **(env or {})})
    finally:
        os.chdir(old_cwd)
        tempfile.tempdir = old_tempdir
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a bug in dataforge: the command let an exception out
    return subprocess.CompletedProcess(["dataforge", *map(str, args)], result.exit_code, result.stdout_bytes,
                                       result.stderr_bytes)


def console(*args: str, cwd: Path, input: bytes | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    """The installed console script in a real process of its own group (killed whole on a
    timeout), stdin /dev/null unless *input*, TMPDIR in the run's scratch folder."""
    import signal

    scratch = Path(cwd) / SCRATCH
    scratch.mkdir(exist_ok=True)
    full_env = {k: v for k, v in os.environ.items() if k != "DATAFORGE_DEBUG"}
    full_env.update(TMPDIR=str(scratch), **(env or {}))
    proc = subprocess.Popen([DATAFORGE, *map(str, args)], cwd=cwd, env=full_env, start_new_session=True,
                            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(input, timeout=timeout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return subprocess.CompletedProcess([DATAFORGE, *map(str, args)], proc.returncode, out, err)


@pytest.fixture(scope="session")
def companies_csv(tmp_path_factory) -> Path:
    """3,000 synthetic Companies-House-like records with planted duplicates and repeats."""
    from dataforge.synthetic import write_companies

    path = tmp_path_factory.mktemp("companies") / "companies.csv"
    with open(path, "w", newline="", encoding="utf-8") as out:
        write_companies(out, 3000, seed=7, duplicate_rate=0.15, repeat_rate=0.02)
    return path


def seed_pipeline():
    """The dedup seed notebook's cells (benchmarks/seed/fuzzy_matching.py) as a module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("seed_fuzzy_matching", SEED_DIR / "fuzzy_matching.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_one_error_line(result, *needles: str) -> str:
    """stderr (``result.err``) is exactly one readable ``Error:`` line containing every needle."""
    assert "Traceback" not in result.err, result.err
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.err}"
    assert lines[0].startswith("Error:"), lines[0]
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    return lines[0]


def assert_usage_error(result, *needles: str) -> str:
    """A usage error, click's or dataforge's: exit 2, one ``Error:`` line, nothing on stdout."""
    assert result.rc == 2, (result.rc, result.err)
    assert result.out == b""
    return assert_one_error_line(result, *needles)


def assert_failure(result, *needles: str) -> str:
    """A runtime failure: exit 1, one ``Error:`` line, nothing on stdout."""
    assert result.rc == 1, (result.rc, result.err)
    assert result.out == b""
    return assert_one_error_line(result, *needles)


@dataclass
class Result:
    rc: int
    out: bytes
    err: str

    def json(self) -> dict:
        lines = self.out.decode().splitlines()
        assert len(lines) == 1, f"--json must print exactly one line on stdout, got {self.out!r}"
        data = json.loads(lines[0])
        assert isinstance(data, dict)
        return data


def temp_leftovers(directory: Path) -> list[str]:
    """Temporary files or directories dataforge may have left anywhere under *directory*."""
    found = []
    for root, dirs, files in os.walk(directory):
        if Path(root) == directory and SCRATCH in dirs:
            dirs.remove(SCRATCH)
        found += [os.path.join(root, n) for n in dirs + files if TEMP_NAME.match(n)]
    return found


def interrupt_cli(*args: str, after: float, cwd: Path) -> tuple[bool, int, bytes, bytes]:
    """Start the console script, send it SIGINT after *after* seconds: (was it still running
    then, exit code, stdout, stderr).  Never leaves the process behind."""
    import signal
    import time

    proc = subprocess.Popen([DATAFORGE, *map(str, args)], cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(after)
        running = proc.poll() is None
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return running, proc.returncode, out, err
