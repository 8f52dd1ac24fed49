"""What running on Spark (or another cluster) needs, shared by ``jobs -r spark`` and ``dedup --engine spark``.

Checks that fail early with one readable line (Java, pyspark, the master URL),
which Python the executors run, the zip of the dataforge package that
cluster tasks put on their path, and the one line a Java exception says.
Nothing here imports pyspark.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sys
import zipfile
from pathlib import Path

from dataforge.errors import DataforgeError

DEFAULT_SPARK_MASTER = "local[*]"
# the master URLs spark-submit accepts (Spark 4 dropped mesos://)
_MASTER_URL = re.compile(r"local(\[(\*|[1-9]\d*)(,[1-9]\d*)?\])?|local-cluster\[\d+,\d+,\d+\]|yarn"
                         r"|spark://[^\s/]+(,[^\s/]+)*/?|k8s://\S+")


class SparkUnavailableError(DataforgeError):
    """Spark cannot start here: no Java, no pyspark, or a master URL Spark does not accept."""


def is_local_master(master: str) -> bool:
    """A master whose executors run on this machine, with this machine's files and Python."""
    return master.startswith("local")


def check_master(master: str) -> str:
    if not _MASTER_URL.fullmatch(master):
        raise SparkUnavailableError(f"{master!r} is not a Spark master URL: use local[N], local[*], yarn, "
                                    f"spark://HOST:PORT or k8s://URL")
    return master


def find_java() -> str:
    """The java that spark-submit will run ($JAVA_HOME/bin/java, else java on PATH)."""
    java_home = os.environ.get("JAVA_HOME")
    candidates = [os.path.join(java_home, "bin", "java")] if java_home else []
    candidates.append(shutil.which("java") or "")
    for java in candidates:
        if java and os.path.isfile(java) and os.access(java, os.X_OK):
            return java
    where = f"$JAVA_HOME/bin/java ({java_home})" if java_home else "java on PATH"
    raise SparkUnavailableError(f"Spark needs Java 17 or later and found no {where}: install one "
                                f"(e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME")


def require_pyspark() -> None:
    if importlib.util.find_spec("pyspark") is None:
        raise SparkUnavailableError("Spark needs pyspark: pip install 'dataforge[spark]'")


def executor_python(master: str) -> str | None:
    """The Python executors run: this interpreter on a local master (it has dataforge and
    its dependencies); on a cluster, whatever the cluster is configured with."""
    return sys.executable if is_local_master(master) else None


def package_zip(directory: str) -> str:
    """Zip the dataforge package into *directory* so cluster tasks can import it (--py-files)."""
    target = os.path.join(directory, "dataforge.zip")
    package = Path(__file__).resolve().parent
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for source in sorted(package.rglob("*.py")):
            zf.write(source, source.relative_to(package.parent).as_posix())
    return target


def java_message(error: BaseException) -> str:
    """The first line of a Java (py4j) or Python exception, without the py4j preamble."""
    text = getattr(error, "java_exception", None)
    text = str(text) if text is not None else str(error)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()] or [type(error).__name__]
    return lines[0]
