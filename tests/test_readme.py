"""The README's and docs' examples run as written, on the bundled data, as a new user would paste them.

Every ``$ ...`` command of a console block runs in bash, in a fresh directory
a document where ``data/`` is the repository's bundled sample and the
virtualenv's ``dataforge`` is on PATH; it must exit 0 without an error, and
the summary lines shown under it must be what it prints (seconds aside;
tables, whose widths follow the timings, are not compared).  The commands of
``sh`` blocks run too, except synopses (``INPUT...``) and cluster examples
(``s3://``, ``hdfs://``); so do the Python blocks.
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
DOCUMENTS = ["README.md", "docs/dedup.md", "docs/jobs.md"]
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


def sh_commands(text: str) -> list[str]:
    """Runnable commands of the sh blocks (a trailing backslash continues a line)."""
    commands = []
    for block in blocks(text, "sh"):
        for command in re.sub(r"\\\n\s*", " ", block).splitlines():
            command = command.split("  #")[0].strip()
            if command.startswith(("dataforge ", "python -m dataforge")) and "INPUT" not in command \
                    and "://" not in command:
                commands.append(command)
    return commands


def masked(line: str) -> str:
    for pattern, replacement in VARIES:
        line = pattern.sub(replacement, line)
    return line.rstrip()


@pytest.fixture(scope="module")
def workdirs(tmp_path_factory):
    """One directory a document, its examples run in order (later ones may read earlier outputs)."""
    made = {}

    def workdir(document: str) -> Path:
        if document not in made:
            made[document] = tmp_path_factory.mktemp(Path(document).stem)
            (made[document] / "data").symlink_to(ROOT / "data")
        return made[document]

    return workdir


def run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ["PATH"], "COLUMNS": "120"}
    return subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL)


SPARK = re.compile(r"-r spark|--engine spark|spark_engine|SparkEngine")


def example(document: str, text: str, *rest) -> pytest.param:
    """One example; those that start Spark carry the spark mark (they need pyspark and Java)."""
    marks = [pytest.mark.spark] if SPARK.search(text) else []
    return pytest.param(document, text, *rest, marks=marks, id=f"{document}: {text.splitlines()[0][:50]}")


EXAMPLES = [example(document, command, shown) for document in DOCUMENTS
            for command, shown in console_examples((ROOT / document).read_text())
            + [(c, []) for c in sh_commands((ROOT / document).read_text())]]
PYTHON = [example(document, code) for document in DOCUMENTS
          for code in blocks((ROOT / document).read_text(), "python")]


def test_readme_has_command_examples_for_both_families():
    commands = [c for c, _ in console_examples(README)]
    for family in ("dataforge jobs filter", "dataforge jobs sample", "dataforge jobs split", "dataforge jobs topn",
                   "dataforge dedup match", "dataforge dedup bench"):
        assert any(family in c for c in commands), family


@pytest.mark.parametrize("document, command, shown", EXAMPLES)
def test_example_runs_as_written(workdirs, document, command, shown):
    result = run(command, workdirs(document))

    assert result.returncode == 0, (command, result.stderr)
    assert "Error:" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    printed = {masked(line) for line in (result.stdout + result.stderr).splitlines()}
    for line in shown:
        if not line.strip() or TABLE_CHARS & set(line):
            continue
        assert masked(line) in printed, f"{command}\nshown: {line}\nprinted:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("document, code", PYTHON)
def test_python_example_runs_as_written(workdirs, document, code):
    result = subprocess.run([sys.executable, "-c", code], cwd=workdirs(document), capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
