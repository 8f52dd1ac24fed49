"""mrjob's inline and local runners, minus one copy of the input.

mrjob's simulated runners copy every uncompressed input file, line by line in
Python, into one file per map task before the first mapper starts; on a 370 MB
file that copy is about a third of the whole run (docs/benchmarks.md).  These
subclasses hand each map task a byte range of the original file instead (a
symlink as its input, the range in the environment) and leave everything else,
compressed inputs included, to mrjob.  Split points fall on line boundaries,
as Hadoop's do, and the jobs read exactly their range (see
:meth:`dataforge.jobs.base.RecordJob._read_input`).
"""
from __future__ import annotations

import os
import shutil
import zlib

from mrjob.cat import is_compressed
from mrjob.inline import InlineMRJobRunner
from mrjob.local import LocalMRJobRunner

from dataforge.errors import InputDataError
from dataforge.io import open_input

RANGE_ENV = "DATAFORGE_INPUT_RANGE"


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
            env[RANGE_ENV] = f"{map_split['start']}:{map_split['length']}"
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


RUNNER_CLASSES = {"inline": RangeInlineRunner, "local": RangeLocalRunner}
