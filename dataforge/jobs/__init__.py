"""dataforge's mrjob jobs, one a module, and :func:`run_job` to run one from Python.

Nothing is imported eagerly, so ``python -m dataforge.jobs.filter`` runs the
module as a plain mrjob script without importing it twice.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "MRFilter": "dataforge.jobs.filter",
    "MRSample": "dataforge.jobs.sample",
    "MRSplit": "dataforge.jobs.split",
    "MRTopN": "dataforge.jobs.topn",
    "run_job": "dataforge.jobs.launch",
    "JobSummary": "dataforge.jobs.launch",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(name)
