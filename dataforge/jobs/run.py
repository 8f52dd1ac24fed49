"""Where :func:`run_job` was first importable from; it lives in :mod:`dataforge.jobs.launch`."""
from __future__ import annotations

from dataforge.jobs.launch import AUTO_LOCAL_MIN_BYTES, DEFAULT_RUNNER, RUNNERS, JobSummary, choose_runner, run_job

__all__ = ["AUTO_LOCAL_MIN_BYTES", "DEFAULT_RUNNER", "RUNNERS", "JobSummary", "choose_runner", "run_job"]
