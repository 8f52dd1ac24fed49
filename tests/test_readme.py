"""The README's examples run as written, on the bundled data, as a new user would paste them.

Every ``$ ...`` command of the README's console blocks runs in bash, in a
fresh directory where ``data/`` is the repository's bundled sample and the
virtualenv's ``dataforge`` is on PATH; it must exit 0 without an error, and
the summary lines the README shows under it must be what it prints (seconds
aside; tables, whose widths follow the timings, are not compared).  The
Python blocks run too.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BIN = str(Path(sys.executable).parent)
# what changes from run to run: seconds in summaries, durations and speedups in tables
VARIES = [
    (re.compile(r"\b\d+(\.\d+)? s\)"), "N s)"),
    (re.compile(r'"seconds":\s?[\d.]+'), '"seconds":N'),
]
TABLE_CHARS = set("┏┃┡│├└┗━┳╇┼┴─")


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.S | re.M)


def console_examples(text: str) -> list[tuple[str, list[str]]]:
    """(command, the output lines shown under it) for each ``$`` line; a trailing backslash continues."""
    examples = []
    for block in blocks(text, "console"):
        lines = block.splitlines()
        k = 0
        while k < len(lines):
            if not lines[k].startswith("$ "):
                k += 1
                continue
            command = lines[k][2:]
            while command.endswith("\\"):
                k += 1
                command = command[:-1] + " " + lines[k].strip()
            k += 1
            shown = []
            while k < len(lines) and not lines[k].startswith("$ "):
                shown.append(lines[k])
                k += 1
            examples.append((command, shown))
    return examples


def masked(line: str) -> str:
    for pattern, replacement in VARIES:
        line = pattern.sub(replacement, line)
    return line.rstrip()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """One directory for every example, in README order (later ones may read earlier outputs)."""
    cwd = tmp_path_factory.mktemp("readme")
    (cwd / "data").symlink_to(ROOT / "data")
    return cwd


def run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ["PATH"], "COLUMNS": "120"}
    return subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL)


EXAMPLES = console_examples(README)


def test_readme_has_command_examples_for_both_families():
    commands = [c for c, _ in EXAMPLES]
    for family in ("dataforge jobs filter", "dataforge jobs sample", "dataforge jobs split", "dataforge jobs topn",
                   "dataforge dedup match", "dataforge dedup bench"):
        assert any(family in c for c in commands), family


@pytest.mark.parametrize("command, shown", EXAMPLES, ids=[c[:60] for c, _ in EXAMPLES])
def test_readme_command_runs_as_written(workdir, command, shown):
    result = run(command, workdir)

    assert result.returncode == 0, (command, result.stderr)
    assert "Error:" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    printed = {masked(line) for line in (result.stdout + result.stderr).splitlines()}
    for line in shown:
        if not line.strip() or TABLE_CHARS & set(line):
            continue
        assert masked(line) in printed, f"{command}\nREADME shows: {line}\nprinted:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("code", blocks(README, "python"), ids=lambda c: c.splitlines()[0][:50])
def test_readme_python_runs_as_written(workdir, code):
    result = subprocess.run([sys.executable, "-c", code], cwd=workdir, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
