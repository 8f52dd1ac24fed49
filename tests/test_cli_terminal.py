"""Progress is drawn only when stderr is a terminal, and never on stdout."""
from __future__ import annotations

import os
import pty
import subprocess

from conftest import DATAFORGE


def run_with_terminal_stderr(args: list[str], cwd) -> tuple[int, bytes, bytes]:
    """Run the console script with stderr on a pseudo-terminal; return (code, stdout, terminal bytes)."""
    main, secondary = pty.openpty()
    proc = subprocess.Popen([DATAFORGE, *args], cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=secondary, env={**os.environ, "TERM": "xterm", "COLUMNS": "100"})
    os.close(secondary)
    seen = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the terminal closes when the process exits
            break
        if not chunk:
            break
        seen += chunk
    stdout = proc.stdout.read()
    code = proc.wait()
    os.close(main)
    return code, stdout, seen


def test_progress_on_a_terminal_and_not_in_a_pipe(postings, tmp_path):
    # a few records on stdout (a full pipe would block the child while we read the terminal)
    code, stdout, terminal = run_with_terminal_stderr(
        ["jobs", "topn", str(postings), "-n", "3", "--values", "-o", "-"], tmp_path)
    assert code == 0
    assert b"0:00:0" in terminal                  # the live progress line, with elapsed time
    assert b"topn: read 1,500 lines" in terminal  # the summary
    assert b"running" not in stdout and stdout.count(b"\n") == 3

    piped = subprocess.run([DATAFORGE, "jobs", "filter", str(postings), "--title", "data", "-o", "-"],
                           capture_output=True, stdin=subprocess.DEVNULL)
    assert b"0:00:0" not in piped.stderr and b"\x1b" not in piped.stderr
    assert piped.stderr.startswith(b"filter: read 1,500 lines")


def test_quiet_draws_nothing_even_on_a_terminal(postings, tmp_path):
    code, stdout, terminal = run_with_terminal_stderr(
        ["jobs", "filter", str(postings), "--title", "data", "-o", "out.jsonl", "--quiet"], tmp_path)
    assert code == 0
    assert terminal == b""
    assert (tmp_path / "out.jsonl").stat().st_size > 0


def test_dedup_draws_a_progress_bar_over_blocks_on_a_terminal_only(companies_csv, tmp_path):
    code, stdout, terminal = run_with_terminal_stderr(
        ["dedup", "match", str(companies_csv), "-o", "pairs.csv"], tmp_path)
    assert code == 0
    assert b"matching name blocks" in terminal and b"\xe2\x94\x81" in terminal  # the bar's line glyph
    assert b"dedup match: 3,000 rows" in terminal
    assert stdout == b""
    piped = subprocess.run([DATAFORGE, "dedup", "match", str(companies_csv), "-o", str(tmp_path / "p2.csv")],
                           capture_output=True, stdin=subprocess.DEVNULL)
    assert b"matching name blocks" not in piped.stderr and b"\x1b" not in piped.stderr
    assert piped.stderr.startswith(b"dedup match: 3,000 rows")
