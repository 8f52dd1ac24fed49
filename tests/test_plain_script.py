"""Each job class also runs as a plain mrjob script, as the seed's scripts do."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import dataforge.jobs.topn

from conftest import read_jsonl


@pytest.mark.parametrize("runner", ["inline", "local"])
def test_filter_module_runs_as_an_mrjob_script(postings, runner):
    result = subprocess.run([sys.executable, "-m", "dataforge.jobs.filter", "-r", runner, str(postings),
                             "--title", "data scientist"], capture_output=True, check=True)
    got = [json.loads(line) for line in result.stdout.splitlines()]
    expected = [r for r in read_jsonl(postings) if "data scientist" in r.get("title", "").lower()]
    assert sorted(r["jobId"] for r in got) == sorted(r["jobId"] for r in expected)


def test_topn_file_runs_as_an_mrjob_script_and_rejects_bad_n(postings):
    script = Path(dataforge.jobs.topn.__file__)
    result = subprocess.run([sys.executable, str(script), str(postings), "-n", "3", "--values"],
                            capture_output=True, check=True)
    assert len(result.stdout.splitlines()) == 3
    bad = subprocess.run([sys.executable, str(script), str(postings), "-n", "0"], capture_output=True)
    assert bad.returncode == 2
    assert b"-n must be at least 1" in bad.stderr
