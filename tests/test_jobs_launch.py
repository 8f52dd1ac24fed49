"""run_job from Python: the job's own argument errors, and a process's environment left alone at import."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from dataforge.errors import UsageError
from dataforge.jobs import MRFilter, MRSplit, MRTopN, run_job


@pytest.mark.parametrize("job_class, args, message", [
    (MRTopN, ["-n", "0"], "-n must be at least 1"),
    (MRSplit, ["--test-size", "0.3", "--split", "bogus"], "invalid choice: 'bogus'"),
    (MRFilter, ["--where", "a>>x"], "a>>x"),
    (MRFilter, ["--bogus"], "unrecognized arguments: --bogus"),
], ids=["job-load-args", "argparse-choice", "where", "unknown-option"])
def test_run_job_raises_a_usage_error_for_the_jobs_own_argument_errors(tmp_path, job_class, args, message):
    # (was a ValueError, shown by the CLI as a runtime failure with exit 1)
    (tmp_path / "in.jsonl").write_bytes(b'{"jobId": 1}\n')
    with pytest.raises(UsageError, match=re.escape(message)):
        run_job(job_class, args, [str(tmp_path / "in.jsonl")], str(tmp_path / "out.jsonl"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_old_import_path_of_run_job_still_works():
    from dataforge.jobs import launch, run

    assert (run.run_job, run.JobSummary) == (launch.run_job, launch.JobSummary)


def test_importing_the_jobs_and_the_cli_leaves_the_environment_alone():
    code = ("import os, dataforge.jobs.filter, dataforge.jobs.launch, dataforge.cli; "
            "print('SETUPTOOLS_USE_DISTUTILS' in os.environ)")
    env = {k: v for k, v in os.environ.items() if k != "SETUPTOOLS_USE_DISTUTILS"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert done.stdout.strip() == "False"


def test_verbose_commands_one_after_another_in_one_process_keep_one_log_handler(tmp_path):
    """A script (or a test) that runs several commands in one process: each -v command logs mrjob's
    lines once, on its own stderr, by one handler (not one more a command, writing to the stderr of
    commands long gone), and a command without -v leaves none."""
    import logging

    from click.testing import CliRunner

    from dataforge.cli import cli

    (tmp_path / "in.jsonl").write_bytes(b'{"jobId": 1, "title": "Data Scientist"}\n')
    runner = CliRunner()
    handlers, outputs = [], []
    for k, flags in enumerate((["-v"], ["-v"], [])):
        run = runner.invoke(cli, ["jobs", "filter", str(tmp_path / "in.jsonl"), "--title", "data", "-r", "inline",
                                  "-o", str(tmp_path / f"out{k}.jsonl"), *flags])
        assert run.exit_code == 0, run.output
        outputs.append(run.stderr if hasattr(run, "stderr") else run.output)
        handlers.append(len(logging.getLogger("mrjob").handlers))
    before = handlers[0] - 1
    assert handlers == [before + 1, before + 1, before]
    assert [o.count("Running step 1 of 1") for o in outputs] == [1, 1, 0]
