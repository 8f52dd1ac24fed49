"""What a terminal shows: progress only when stderr is one (never on stdout), and the labeller, whose keys
come from one."""
from __future__ import annotations

import csv
import fcntl
import json
import os
import pty
import select
import subprocess
import termios
import time

from conftest import DATAFORGE, Result, assert_usage_error, run_cli


def run_with_terminal_stderr(args: list[str], cwd, keys: str = "", prompt: bytes = b"") -> tuple[int, bytes, bytes]:
    """Run the console script with stderr on a pseudo-terminal; return (code, stdout, terminal bytes).

    With *keys*, stdin is the terminal too, and the controlling one of the process's own session (as a login
    shell has it, so Ctrl-C is a SIGINT); each key is typed once the terminal has shown *prompt* once more."""
    main, secondary = pty.openpty()

    def own_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen([DATAFORGE, *args], cwd=cwd, stdin=secondary if keys else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=secondary, preexec_fn=own_terminal if keys else None,
                            env={**os.environ, "TERM": "xterm", "COLUMNS": "100", "LINES": "30"})
    os.close(secondary)
    seen, typed, deadline = b"", 0, time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if typed < len(keys) and seen.count(prompt) > typed:
                os.write(main, keys[typed].encode())
                typed += 1
            if not select.select([main], [], [], 0.1)[0]:
                continue
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the terminal closes when the process exits
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if proc.poll() is None and time.monotonic() >= deadline:
            proc.kill()
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


PAIRS = ("left_id,left_name,right_id,right_name,similarity\n"
         "1,ACME LTD,2,ACME LIMITED,0.95\n"
         "3,BETA TRADING,4,BETA TRADERS,0.61\n"
         "5,GAMMA & CO,6,GAMMA AND CO,0.8\n"
         "7,DELTA FOODS,8,DELTA FUELS,0.58\n")
SCREEN = b"most doubtful first"  # in the title of every pair the labeller draws


def label_on_a_terminal(cwd, keys: str, *args: str) -> tuple[int, bytes]:
    """``dataforge dedup label`` on a terminal, each of *keys* typed once the pair before it is drawn."""
    code, stdout, terminal = run_with_terminal_stderr(["dedup", "label", *args], cwd, keys=keys, prompt=SCREEN)
    assert stdout == b"" or "--json" in args, stdout  # the screen is on stderr
    return code, terminal + stdout


def labels_of(path) -> list:
    with open(path, newline="", encoding="utf-8") as f:
        return [(r["left_id"], r["right_id"], r["label"]) for r in csv.DictReader(f)]


def test_the_labeller_shows_the_most_doubtful_first_and_saves_each_label(tmp_path):
    (tmp_path / "pairs.csv").write_text(PAIRS)
    code, terminal = label_on_a_terminal(tmp_path, "ynbuq", "pairs.csv", "-o", "labels.csv")
    assert code == 0, terminal.decode(errors="replace")
    first, second = terminal.index(b"BETA TRADING"), terminal.index(b"DELTA FOODS")
    assert first < second  # 0.61, then 0.58: nearest the default 0.6 first
    # y on BETA, n on DELTA, back to DELTA, u on it: the relabel wins; q saves and ends
    assert labels_of(tmp_path / "labels.csv") == [("3", "4", "yes"), ("7", "8", "unsure")]
    assert b"dedup label: 2 labelled (1 yes, 0 no, 1 unsure)" in terminal


def test_the_labeller_resumes_from_its_output_and_writes_back_the_union(tmp_path):
    (tmp_path / "pairs.csv").write_text(PAIRS)
    (tmp_path / "labels.csv").write_text("left_id,right_id,label\n4,3,no\n9,10,yes\n")  # either way round
    code, terminal = label_on_a_terminal(tmp_path, "yq", "pairs.csv", "-o", "labels.csv")
    assert code == 0, terminal.decode(errors="replace")
    assert b"BETA TRADING" not in terminal and b"DELTA FOODS" in terminal
    assert labels_of(tmp_path / "labels.csv") == [("4", "3", "no"), ("9", "10", "yes"), ("7", "8", "yes")]
    assert b"1 from before, 2 left" in terminal
    code, shown = label_on_a_terminal(tmp_path, "q", "pairs.csv", "-o", "labels.csv", "--json")
    summary = json.loads(shown.splitlines()[-1])
    assert code == 0 and summary == {"pairs": 4, "already_labelled": 2, "labelled": 0, "yes": 0, "no": 0,
                                     "unsure": 0, "left": 2, "outputs": ["labels.csv"]}


def test_a_ctrl_c_keeps_the_labels_given_before_it(tmp_path):
    (tmp_path / "pairs.csv").write_text(PAIRS)
    code, terminal = label_on_a_terminal(tmp_path, "n\x03", "pairs.csv", "-o", "labels.csv")
    assert code == 130, terminal.decode(errors="replace")
    assert labels_of(tmp_path / "labels.csv") == [("3", "4", "no")]
    assert [p.name for p in tmp_path.iterdir()] and not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_the_labeller_refuses_to_run_without_a_terminal(tmp_path):
    (tmp_path / "pairs.csv").write_text(PAIRS)
    done = run_cli("dedup", "label", "pairs.csv", "-o", "labels.csv", cwd=tmp_path, input=b"yyy")
    assert_usage_error(Result(done.returncode, done.stdout, done.stderr.decode()), "stdin is not one")
    assert not (tmp_path / "labels.csv").exists()


def test_the_labeller_shows_names_as_text_not_markup_or_escape_sequences(tmp_path):
    (tmp_path / "pairs.csv").write_text("left_id,left_name,right_id,right_name,similarity\n"
                                        "[bold]1,[red]EVIL\x1b]0;pwned\x07 LTD,2,EVIL LTD,0.6\n")
    code, terminal = label_on_a_terminal(tmp_path, "q", "pairs.csv", "-o", "labels.csv")
    assert code == 0, terminal.decode(errors="replace")
    assert b"[red]EVIL]0;pwned LTD" in terminal and b"[bold]1" in terminal
    assert b"\x1b]0;pwned" not in terminal
