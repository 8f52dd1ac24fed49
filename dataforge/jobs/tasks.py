"""The local task processes a run starts: the environment they start with, and
stopping the ones an interrupt left orphaned."""
from __future__ import annotations

import os
import signal
import sys
import warnings


def use_stdlib_distutils() -> None:
    """Let this process and the tasks it starts skip setuptools' distutils shim.

    mrjob imports distutils; setuptools' stand-in for it imports pkg_resources,
    ~0.15 s in the driver and again in every local task (docs/benchmarks.md).
    Called where a process starts (the CLI's main, run_job, a job's run), never
    at import.
    """
    if sys.version_info >= (3, 12):
        return
    # the variable is read when Python starts, so it reaches the local runner's
    # task processes; this process takes the setuptools shim out of its own path
    os.environ.setdefault("SETUPTOOLS_USE_DISTUTILS", "stdlib")
    if os.environ["SETUPTOOLS_USE_DISTUTILS"] == "stdlib" and "distutils" not in sys.modules:
        hack = sys.modules.get("_distutils_hack")
        if hack is not None and hasattr(hack, "remove_shim"):
            hack.remove_shim()
    warnings.filterwarnings("ignore", "The distutils package is deprecated", DeprecationWarning)


def stop_tasks_in(tmp_dir: str) -> None:
    """SIGTERM local task processes still working in this run's temp directory.

    Ctrl-C reaches the whole process group, but `kill -INT <pid>` reaches only
    the driver; mrjob's pool then ends its workers and their task processes
    (orphaned, so no longer our children) would run on.  Their working
    directories are inside the run's temp directory, which is how they are found.
    """
    prefix = os.path.realpath(tmp_dir) + os.sep
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return  # no /proc: not Linux
    for entry in entries:
        try:
            if os.readlink(f"/proc/{entry}/cwd").startswith(prefix):
                os.kill(int(entry), signal.SIGTERM)
        except OSError:
            continue
