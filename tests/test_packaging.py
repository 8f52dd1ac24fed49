"""The package as users install it: a wheel from ``python -m build``, installed into a fresh virtualenv.

The wheel holds the ``dataforge`` package and its metadata, every module of the
source tree, and no tests, benchmarks or sample data.  Installed on its own (not
editable, run from a directory outside the clone) it answers ``--version`` and
runs a job on the bundled sample.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def run(args: list, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env, timeout=600, **kwargs)
    assert result.returncode == 0, (args, result.stdout[-2000:], result.stderr[-2000:])
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # the sdist first, then the wheel from it, as `python -m build` does: the clone is not written to
    run([sys.executable, "-m", "build", "--outdir", out, ROOT])
    wheels = list(out.glob("dataforge-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_the_wheel_holds_the_package_and_nothing_else(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"dataforge", wheel.name.split("-py")[0] + ".dist-info"}, tops
    tracked = run(["git", "ls-files", "dataforge"], cwd=ROOT).stdout.split()
    modules = [path for path in tracked if path.endswith(".py")]
    assert modules and not set(modules) - set(names), set(modules) - set(names)
    assert "dataforge/dedup/review.html" in names  # dedup review's page template is package data
    assert not [n for n in names if n.endswith((".csv.gz", ".jsonl.gz", ".jsonl")) or "/tests/" in n]
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("/METADATA"))).decode()
    assert "Requires-Python: <3.14,>=3.9" in metadata or "Requires-Python: >=3.9,<3.14" in metadata
    assert "standard-pipes; python_version >= \"3.13\"" in metadata


def test_the_wheel_installs_into_a_fresh_virtualenv_and_runs_a_job(wheel, tmp_path):
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv])
    run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel])
    where = tmp_path / "elsewhere"
    where.mkdir()
    dataforge = venv / "bin" / "dataforge"

    assert run([dataforge, "--version"], cwd=where).stdout.strip() == "dataforge, version 0.1.0"
    origin = run([venv / "bin" / "python", "-c", "import dataforge; print(dataforge.__file__)"], cwd=where).stdout
    assert origin.startswith(str(venv)), origin  # the installed copy, not the clone
    sample = ROOT / "data" / "sample" / "jobs.jsonl.gz"
    summary = run([dataforge, "jobs", "filter", sample, "--title", "data scientist", "-o", "ds.jsonl", "--json"],
                  cwd=where).stdout
    written = [json.loads(line) for line in (where / "ds.jsonl").read_text().splitlines()]
    assert written and all("data scientist" in r["title"].lower() for r in written)
    assert json.loads(summary)["written"] == len(written)
