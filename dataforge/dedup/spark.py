"""The Spark engine of ``dedup match``: the same product, its row blocks spread over the executors.

:func:`~dataforge.dedup.match.find_matches` fits the vocabulary and the
TF-IDF weights once, on the driver, as for the local engine, then calls
:meth:`SparkEngine.top_n_pairs` instead of the local
:func:`~dataforge.dedup.kernel.top_n_pairs`.  That broadcasts the right-hand
operand (the seed's ``tfidf.T``, held row-wise as the kernel takes it) once,
sends contiguous row ranges of the name matrix to the executors, and each
task runs the local ``top_n_pairs`` on its rows with the run's options.  The
(rows, cols, scores) come back to the driver, and everything after (both
directions, the same name at 1.0, records, groups) is the local engine's code.

Paths with a scheme (``hdfs://``, ``s3a://``, ``file://``) go through the
session's Hadoop filesystem, :class:`dataforge.hadoop_fs.HadoopFilesystem`.

pyspark is imported only here, and only when the engine starts.
"""
from __future__ import annotations

import contextlib
import functools
import os
import re
import tempfile
import uuid
import warnings
from typing import Iterator, Optional

import numpy as np
import scipy.sparse as sp

from dataforge.dedup.kernel import top_n_pairs
from dataforge.dedup.pruned import common_features
from dataforge.progress import PRODUCT_STEP, Progress
from dataforge.dedup.options import DEFAULT_BLOCK_ROWS
from dataforge.errors import JobFailedError
from dataforge.hadoop_fs import HadoopFilesystem
from dataforge.spark_setup import (DEFAULT_SPARK_MASTER, SparkUnavailableError, check_master, executor_python,
                                   find_java, is_local_master, java_message, package_zip, require_pyspark)

# tasks a task slot: each task unpickles the broadcast matrix (and the pruned kernel indexes it),
# so few large tasks are cheaper, while two a slot even out rows of uneven cost
TASKS_PER_SLOT = 2
# Spark's own log below errors is noise on a command's stderr (-v keeps it).  The root stays
# at WARN, filtered at the console: below it Spark would tell the "pyspark shell" how to raise it
_QUIET_LOG4J = """\
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = Spark: %p %c{1}: %m%n
appender.console.filter.threshold.type = ThresholdFilter
appender.console.filter.threshold.level = error
"""


class SparkEngine:
    """The product on a Spark session's executors; the session's Hadoop paths are ``filesystem``'s."""

    def __init__(self, session):
        self.session = session
        self.context = session.sparkContext
        self.filesystem = HadoopFilesystem(self.context)  # dedup match's remote inputs and outputs

    @property
    def master(self) -> str:
        return self.context.master

    def top_n_pairs(self, left: sp.csr_matrix, right: sp.csr_matrix, top: int, threshold: float, threads: int = 0,
                    block_rows: int = DEFAULT_BLOCK_ROWS, progress: Progress = None, kernel: str = "auto"
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:func:`dataforge.dedup.kernel.top_n_pairs` with the rows of *left* spread over the executors.

        *threads* is per task; 0 means ``spark.task.cpus`` (1 unless configured).
        """
        n = left.shape[0]
        if n == 0 or right.shape[0] == 0:
            return top_n_pairs(left, right, top, threshold, threads, block_rows, None, kernel)
        task_cpus = int(self.context.getConf().get("spark.task.cpus", "1"))
        threads = threads or task_cpus
        slots = max(1, self.context.defaultParallelism // task_cpus)
        ranges = row_ranges(n, block_rows, slots * TASKS_PER_SLOT)
        common = None
        if kernel != "brute" and threshold > 0:
            # the whole product's split of the features, so each task sums a score's terms as the
            # local engine does (the same bits); none: the brute force is as cheap, for every task
            common = common_features(left.tocsr(), right.tocsr(), threshold, self_join=left is right)
            if common is None:
                kernel = "brute"
        shared = self.context.broadcast(right.tocsr())
        try:
            blocks = self.context.parallelize([(start, left[start:stop]) for start, stop in ranges], len(ranges))
            task = functools.partial(_block_pairs, right=shared, top=top, threshold=threshold, threads=threads,
                                     block_rows=block_rows, kernel=kernel, common=common)
            try:
                parts = self._collect(blocks.map(task), n, ranges, progress)
            except Exception as e:  # noqa: BLE001 - a task failed: say why in one line
                raise JobFailedError(f"Spark job failed on {self.master}: {_task_error(e)}") from e
        finally:
            shared.destroy()
        return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                np.concatenate([p[2] for p in parts]))

    def _collect(self, rdd, n: int, ranges: list[tuple[int, int]], progress: Progress) -> list:
        """rdd.collect(), moving *progress* as tasks finish (Ctrl-C cancels the Spark job)."""
        if progress is None:
            return rdd.collect()
        from pyspark import InheritableThread

        group = f"dataforge-{uuid.uuid4().hex}"
        outcome: dict = {}

        def collect() -> None:
            self.context.setJobGroup(group, "dataforge dedup match: top-N product")
            try:
                outcome["parts"] = rdd.collect()
            except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
                outcome["error"] = e

        worker = InheritableThread(target=collect, daemon=True)
        progress(PRODUCT_STEP, 0, n)
        worker.start()
        try:
            while worker.is_alive():
                worker.join(0.5)
                done = self._tasks_done(group)
                progress(PRODUCT_STEP, min(n, sum(stop - start for start, stop in ranges[:done])), n)
        except BaseException:
            self.context.cancelJobGroup(group)
            raise
        if "error" in outcome:
            raise outcome["error"]
        progress(PRODUCT_STEP, n, n)
        return outcome["parts"]

    def _tasks_done(self, group: str) -> int:
        tracker = self.context.statusTracker()
        done = 0
        for job in tracker.getJobIdsForGroup(group):
            info = tracker.getJobInfo(job)
            for stage in info.stageIds if info else ():
                stage_info = tracker.getStageInfo(stage)
                done += stage_info.numCompletedTasks if stage_info else 0
        return done


def _block_pairs(item: tuple, right, top: int, threshold: float, threads: int, block_rows: int, kernel: str,
                 common=None):
    """One task: the local kernel on a row range (with the whole product's feature split), with rows
    numbered in the whole matrix."""
    start, block = item
    rows, cols, scores = top_n_pairs(block, right.value, top, threshold, threads, block_rows, None, kernel, common)
    return rows + start, cols, scores


def row_ranges(n: int, block_rows: int, tasks: int) -> list[tuple[int, int]]:
    """Contiguous (start, stop) ranges covering n rows: about *tasks* of them, each a whole
    number of kernel blocks (the last may be shorter)."""
    blocks = -(-n // block_rows)
    per_task = -(-blocks // max(1, min(tasks, blocks)))
    step = per_task * block_rows
    return [(start, min(start + step, n)) for start in range(0, n, step)]


@contextlib.contextmanager
def spark_engine(master: Optional[str] = None, quiet: bool = True) -> Iterator[SparkEngine]:
    """A :class:`SparkEngine` on *master* (default ``local[*]``).

    An active SparkSession in this process is used as it is (and left
    running); otherwise one is started and stopped at the end.  On a local
    master the executors run this interpreter; on a cluster they get a zip
    of dataforge (its dependencies must be installed there, docs/scaling.md).
    *quiet* keeps Spark's log to errors.
    """
    require_pyspark()
    with warnings.catch_warnings():
        # dataforge hands Spark no pandas objects, so pyspark's pandas-version advice does not apply
        warnings.filterwarnings("ignore", message=".*PySpark does not yet fully support pandas")
        from pyspark.sql import SparkSession

        active = SparkSession.getActiveSession()
        if active is not None:
            if master and active.sparkContext.master != master:
                raise SparkUnavailableError(f"this process already runs a Spark session on "
                                            f"{active.sparkContext.master}, not {master}")
            yield SparkEngine(active)
            return
        master = check_master(master or DEFAULT_SPARK_MASTER)
        find_java()
        with contextlib.ExitStack() as stack:
            session = stack.enter_context(_started_session(master, quiet))
            if not is_local_master(master):
                directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="dataforge-py-files-"))
                session.sparkContext.addPyFile(package_zip(directory))
            yield SparkEngine(session)


@contextlib.contextmanager
def _started_session(master: str, quiet: bool):
    from pyspark.sql import SparkSession

    builder = (SparkSession.builder.master(master).appName("dataforge dedup match")
               .config("spark.ui.showConsoleProgress", "false"))  # the CLI draws its own bar
    python = executor_python(master)
    cores = _local_cores(master)
    if cores and "spark.task.cpus" not in os.environ.get("PYSPARK_SUBMIT_ARGS", ""):
        # one task at a time on all the cores (numba threads): two task processes on one
        # machine contend for its caches, ~2x slower than one with two threads (docs/scaling.md)
        builder = builder.config("spark.task.cpus", str(cores))
    saved = os.environ.get("PYSPARK_PYTHON")
    with tempfile.TemporaryDirectory(prefix="dataforge-spark-") as directory:
        if quiet:
            log4j = os.path.join(directory, "log4j2.properties")
            with open(log4j, "w") as f:
                f.write(_QUIET_LOG4J)
            builder = builder.config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log4j}")
        if python and saved is None:
            os.environ["PYSPARK_PYTHON"] = python  # pyspark reads the executors' Python from here only
        try:
            session = builder.getOrCreate()
        except Exception as e:  # noqa: BLE001 - Java's or pyspark's, one line for the user
            raise SparkUnavailableError(f"Spark did not start on {master}: {java_message(e)}") from None
        finally:
            if saved is None:
                os.environ.pop("PYSPARK_PYTHON", None)
    try:
        yield session
    finally:
        session.stop()


def _local_cores(master: str) -> int:
    """The cores of a local[N] or local[*] master (0 for any other)."""
    found = re.fullmatch(r"local(?:\[(\*|\d+)(?:,\d+)?\])?", master)
    if not found:
        return 0
    if found.group(1) == "*":
        return os.cpu_count() or 1
    return int(found.group(1) or 1)  # plain "local" is one core


def _task_error(error: BaseException) -> str:
    """The Python exception a task died of (``ModuleNotFoundError: No module named 'numba'``),
    found in the Java exception that carries it, else its first line."""
    lines = [line.strip() for line in str(error).splitlines()]
    python = [line for line in lines if re.match(r"[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)(: |$)", line)
              and not line.startswith(("py4j.", "org.apache.", "java.", "scala."))]
    return python[-1] if python else java_message(error)
