"""Signals and closed pipes, in real processes: exit 128 + the signal, nothing left behind.

Each run gets its own TMPDIR (the scratch folder), which must be empty
afterwards, and no process of the run may outlive it.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from dataforge import signals
from dataforge.io import AtomicFile
from tests.conftest import DATAFORGE, SCRATCH



@pytest.fixture(scope="module")
def big_postings(tmp_path_factory) -> Path:
    """Enough postings that a local-runner filter takes a few seconds."""
    from dataforge.synthetic import write_job_postings

    path = tmp_path_factory.mktemp("big") / "big.jsonl"
    with open(path, "wb") as out:
        write_job_postings(out, 60_000, seed=3, description_chars=3000)
    return path


@pytest.fixture(scope="module")
def big_companies(tmp_path_factory) -> Path:
    """Enough names that dedup works for seconds and its pairs overflow a pipe's buffer."""
    from dataforge.synthetic import write_companies

    path = tmp_path_factory.mktemp("companies") / "c.csv"
    with open(path, "w", newline="", encoding="utf-8") as out:
        write_companies(out, 150_000, seed=5)
    return path


def start(args: list, cwd: Path, **kwargs) -> subprocess.Popen:
    scratch = cwd / SCRATCH
    scratch.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "DATAFORGE_DEBUG"}
    env["TMPDIR"] = str(scratch)
    return subprocess.Popen([DATAFORGE, *map(str, args)], cwd=cwd, env=env, start_new_session=True,
                            stdin=subprocess.DEVNULL, **kwargs)


def left_behind(cwd: Path) -> list:
    """Files left in the scratch TMPDIR or hidden beside the outputs, and processes still running there."""
    files = os.listdir(cwd / SCRATCH) + [n for n in os.listdir(cwd) if n.startswith(".")]
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return files + [line for line in ps.splitlines() if str(cwd / SCRATCH) in line]


def stop_after(proc: subprocess.Popen, seconds: float, signum: int, started_in: Path | None = None
               ) -> tuple[bool, int, str]:
    """Send *signum* *seconds* after start (or after the run's first temporary file appears in
    *started_in*, so a slow start-up on a busy machine cannot make the signal miss the work)."""
    try:
        if started_in is not None:
            deadline = time.monotonic() + 30
            while not os.listdir(started_in) and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
        time.sleep(seconds)
        running = proc.poll() is None
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return running, proc.returncode, err.decode()


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)],
                         ids=["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_stopped_local_run_exits_128_plus_the_signal_and_leaves_nothing(big_postings, tmp_path, signum, code):
    proc = start(["jobs", "filter", big_postings, "--title", "data", "-r", "local", "-o", "out.jsonl"], tmp_path,
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    running, rc, err = stop_after(proc, 0.3, signum, started_in=tmp_path / SCRATCH)
    assert running, "the run ended before the signal: make the input bigger"
    assert rc == code and err.strip().splitlines() == ["Interrupted."], err
    time.sleep(0.5)
    assert left_behind(tmp_path) == [] and not (tmp_path / "out.jsonl").exists()


def test_sigterm_during_dedup_leaves_no_output_and_no_temporary(big_companies, tmp_path):
    proc = start(["dedup", "match", big_companies, "-o", "pairs.csv", "--groups", "groups.csv"], tmp_path,
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    running, rc, err = stop_after(proc, 1.5, signal.SIGTERM)
    assert running and rc == 143 and "Traceback" not in err, err
    assert os.listdir(tmp_path) == [SCRATCH] and left_behind(tmp_path) == []


@pytest.mark.parametrize("args", [["jobs", "filter", "{big}", "--title", "data", "-o", "-"],
                                  ["jobs", "filter", "{big}", "--title", "data", "-r", "local", "-o", "-"]],
                         ids=["inline", "local"])
def test_a_closed_pipe_ends_quietly_and_cleans_up(big_postings, tmp_path, args):
    proc = start([a.replace("{big}", str(big_postings)) for a in args], tmp_path, stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read().decode()
    rc = proc.wait(timeout=60)
    assert rc == 141 and err == "", err
    time.sleep(0.5)
    assert left_behind(tmp_path) == []


def test_a_closed_pipe_during_dedup_leaves_no_groups_temporary(big_companies, tmp_path):
    proc = start(["dedup", "match", big_companies, "-o", "-", "--groups", "g.csv"], tmp_path,
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141 and "Traceback" not in err
    assert left_behind(tmp_path) == [] and not (tmp_path / "g.csv").exists()


@pytest.mark.parametrize("delay", [0.05, 0.15, 0.3, 0.5])
def test_ctrl_c_during_start_up_prints_one_line(tmp_path, delay):
    proc = start(["jobs", "filter", "--help"], tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    running, rc, err = stop_after(proc, delay, signal.SIGINT)
    if running:
        assert "Traceback" not in err, err
        # before dataforge's code runs, Python itself dies of the signal (quietly); after, one line
        assert rc == -signal.SIGINT and err == "" or rc == 130 and err.strip() == "Interrupted.", (rc, err)
    else:  # start-up was quicker than the delay: then it must have simply succeeded
        assert rc == 0


def test_a_swallowed_stop_signal_still_lands_nothing(tmp_path):
    """A library that catches KeyboardInterrupt cannot make an interrupted run land its output."""
    saved = {s: signal.getsignal(s) for s in signals.STOP_SIGNALS}
    try:
        signals.install()
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.1)
        except KeyboardInterrupt:
            pass  # swallowed, as a library might
        with pytest.raises(signals.Interrupted) as stopped:
            with AtomicFile(str(tmp_path / "out.csv")) as out:
                out.write(b"x\n")
        assert stopped.value.exit_code == 143
        assert os.listdir(tmp_path) == []
    finally:
        signals._stopped, signals._raised = None, False
        sys.unraisablehook = sys.__unraisablehook__
        for s, handler in saved.items():
            signal.signal(s, handler)


FORK_HOOK_INTERRUPTED = textwrap.dedent("""
    import logging, os, signal, sys, threading, time
    from dataforge import signals
    where = sys.argv[1]
    kill = lambda: os.kill(os.getpid(), signal.SIGINT)
    if where == "before":  # registered first, so it runs between our block and the fork
        os.register_at_fork(before=kill)
    signals.install()
    if where == "after":  # registered last: runs in the parent after ours, signals unblocked
        os.register_at_fork(after_in_parent=kill)
    try:
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        time.sleep(5)
        print("not interrupted")
    except signals.Interrupted:
        print("interrupted after the fork")
    free = []
    def take():
        free.append(logging._lock.acquire(timeout=2))
        if free[0]:
            logging._lock.release()
    t = threading.Thread(target=take)
    t.start(); t.join()
    print("logging lock free" if free == [True] else "logging lock held")
""")


@pytest.mark.skipif(not hasattr(os, "register_at_fork"), reason="no fork hooks")
@pytest.mark.parametrize("where", ["before", "after"])
def test_an_interrupt_inside_a_fork_hook_is_raised_after_the_fork_and_prints_nothing(where):
    """Python drops a KeyboardInterrupt raised in a fork hook ("Exception ignored in: ...", and
    logging's lock stays taken): it must be quiet, then raised in ordinary code."""
    got = subprocess.run([sys.executable, "-c", FORK_HOOK_INTERRUPTED, where], capture_output=True,
                         text=True, timeout=60)
    assert got.stderr == ""
    assert got.stdout.splitlines() == ["interrupted after the fork", "logging lock free"]
