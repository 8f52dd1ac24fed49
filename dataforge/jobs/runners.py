"""mrjob's inline and local runners, minus one copy of the input.

mrjob's simulated runners copy every uncompressed input file, line by line in
Python, into one file per map task before the first mapper starts; on a 370 MB
file that copy is about a third of the whole run (docs/benchmarks.md).  These
subclasses hand each map task a byte range of the original file instead (a
symlink as its input, the range in the environment) and leave everything else,
compressed inputs included, to mrjob.  Split points fall on line boundaries,
as Hadoop's do, and the jobs read exactly their range (see
:meth:`dataforge.jobs.base.RecordJob._read_input`).

The Spark runner is mrjob's, set up so that a local master works out of the
box: executors run this interpreter, and mrjob's temporary files stay in the
run's own local temporary directory.
"""
from __future__ import annotations

import os
import shutil
import zlib

from mrjob.cat import is_compressed
from mrjob.inline import InlineMRJobRunner
from mrjob.local import LocalMRJobRunner
from mrjob.spark.runner import SparkMRJobRunner
from mrjob.util import which

from dataforge.errors import InputDataError
from dataforge.spark_setup import check_master, executor_python, find_java, is_local_master, require_pyspark
from dataforge.io import open_input
from dataforge.jobs.byte_range import RANGE_ENV, format_range


class _ByteRangeSplits:
    def _split_mapper_input(self, input_paths, step_num):
        input_paths = list(input_paths)
        if step_num != 0 or self._uses_input_manifest():
            return super()._split_mapper_input(input_paths, step_num)
        # one range per task slot: a second wave of tasks would only add start-up time
        total = sum(os.path.getsize(p) for p in input_paths if not is_compressed(p))
        split_size = max(total // self._num_mappers(step_num), 1)
        splits = []
        for path in input_paths:
            task_input = self._task_input_path("mapper", step_num, len(splits))
            self.fs.mkdir(os.path.dirname(task_input))
            if is_compressed(path):
                _decompress_into(path, task_input)
                splits.append(dict(file=path, start=0, length=os.path.getsize(path)))
                continue
            size = os.path.getsize(path)
            with open(path, "rb") as f:
                start = 0
                while True:
                    end = _line_boundary(f, start + split_size, size)
                    link = self._task_input_path("mapper", step_num, len(splits))
                    self.fs.mkdir(os.path.dirname(link))
                    os.symlink(os.path.abspath(path), link)
                    splits.append(dict(file=path, start=start, length=end - start, byte_range=True))
                    start = end
                    if start >= size:
                        break
        return splits

    def _env_for_task(self, task_type, step_num, task_num, map_split=None):
        env = super()._env_for_task(task_type, step_num, task_num, map_split)
        if map_split and map_split.get("byte_range"):
            env[RANGE_ENV] = format_range(map_split["start"], map_split["length"])
        else:
            env.pop(RANGE_ENV, None)
        return env


def _decompress_into(path: str, target: str) -> None:
    """Decompress a .gz/.bz2 input for its map task, failing on corrupt or
    truncated data (mrjob's own decompression stops silently at a cut)."""
    try:
        with open_input(path) as source, open(target, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
    except (OSError, EOFError, zlib.error) as e:
        raise InputDataError(f"cannot decompress {path}: {e}") from None


def _line_boundary(f, offset: int, size: int) -> int:
    """The first line start at or after *offset* (or the end of the file)."""
    if offset >= size:
        return size
    if offset <= 0:
        return 0
    f.seek(offset - 1)
    if f.read(1) == b"\n":
        return offset
    f.readline()
    return min(f.tell(), size)


class RangeInlineRunner(_ByteRangeSplits, InlineMRJobRunner):
    """mrjob's inline runner, reading input files in place."""

    def _num_mappers(self, step_num):
        return 1  # tasks run one after another in this process: more ranges gain nothing


class RangeLocalRunner(_ByteRangeSplits, LocalMRJobRunner):
    """mrjob's local runner (all cores), reading input files in place."""


class SparkRunner(SparkMRJobRunner):
    """mrjob's Spark runner; with a local master, ready to run where dataforge is installed.

    mrjob's defaults suit a cluster: executors run plain ``python3`` with a zip
    of mrjob on their path, and the temporary directory (where counters are
    written) is a shared one.  On a local master the executors run this
    interpreter, which has mrjob and dataforge, and the temporary directory is
    inside the run's own.  Options given on the command line or in mrjob.conf
    win over both.  Java and the master URL are checked before spark-submit runs.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        check_master(self._spark_master())
        find_java()

    def _local_master(self) -> bool:
        return is_local_master(self._spark_master())

    def _pick_spark_tmp_dir(self):
        if not self._opts["spark_tmp_dir"] and self._local_master():
            return os.path.join(self._get_local_tmp_dir(), "spark")
        return super()._pick_spark_tmp_dir()

    def _default_python_bin(self, local=False):
        python = executor_python(self._spark_master())
        return [python] if python else super()._default_python_bin(local)

    def _bootstrap_mrjob(self):
        if self._opts["bootstrap_mrjob"] is None and self._local_master():
            return False  # executors run this interpreter, which imports mrjob
        return super()._bootstrap_mrjob()

    def _find_spark_submit_bin(self):
        found = super()._find_spark_submit_bin()
        if found == ["spark-submit"] and not which("spark-submit"):
            require_pyspark()  # mrjob looks inside pyspark first: without it, say so
        return found


RUNNER_CLASSES = {"inline": RangeInlineRunner, "local": RangeLocalRunner, "spark": SparkRunner}
