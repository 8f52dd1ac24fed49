"""dataforge's mrjob jobs, one a module, and :func:`run_job` to run one from Python.

Nothing is imported eagerly, so ``python -m dataforge.jobs.filter`` runs the
module as a plain mrjob script without importing it twice.
"""
from __future__ import annotations

import importlib
import os
import sys
import warnings

if sys.version_info < (3, 12):
    # mrjob imports distutils; setuptools' stand-in for it imports pkg_resources,
    # ~0.15 s in the driver and again in every local task (docs/benchmarks.md)
    # (the variable is read when Python starts, so it reaches the local runner's
    # task processes; this process takes the setuptools shim out of its own path)
    os.environ.setdefault("SETUPTOOLS_USE_DISTUTILS", "stdlib")
    if os.environ["SETUPTOOLS_USE_DISTUTILS"] == "stdlib" and "distutils" not in sys.modules:
        _hack = sys.modules.get("_distutils_hack")
        if _hack is not None and hasattr(_hack, "remove_shim"):
            _hack.remove_shim()
    warnings.filterwarnings("ignore", "The distutils package is deprecated", DeprecationWarning)

_EXPORTS = {
    "MRFilter": "dataforge.jobs.filter",
    "MRSample": "dataforge.jobs.sample",
    "MRSplit": "dataforge.jobs.split",
    "MRTopN": "dataforge.jobs.topn",
    "run_job": "dataforge.jobs.run",
    "JobSummary": "dataforge.jobs.run",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(name)
