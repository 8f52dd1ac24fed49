"""Shared fixtures: generated JobPosting files and the seed's scripts as oracles."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dataforge.synthetic import write_job_postings

ROOT = Path(__file__).resolve().parents[1]
SEED_DIR = ROOT / "benchmarks" / "seed"
DATAFORGE = str(Path(sys.executable).parent / "dataforge")


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


def run_cli(*args: str, input: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The installed console script, as a user runs it."""
    return subprocess.run([DATAFORGE, *map(str, args)], capture_output=True, input=input, cwd=cwd,
                          stdin=None if input is not None else subprocess.DEVNULL)
