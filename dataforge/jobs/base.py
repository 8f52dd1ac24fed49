"""The base class of dataforge's mrjob jobs.

Each job reads raw JSON lines and parses them itself, so a malformed line is
counted and skipped instead of killing the job.  What was skipped travels back
to the driver as Hadoop counters, which every mrjob runner collects (their
names are in :mod:`dataforge.jobs.counters`).
"""
from __future__ import annotations

import heapq
import itertools
import os
from collections import Counter
from typing import Any, Iterator, Sequence

import orjson
from mrjob.compat import jobconf_from_env
from mrjob.job import MRJob
from mrjob.protocol import BytesValueProtocol

from dataforge.errors import UsageError
from dataforge.jobs.byte_range import RANGE_ENV, parse_range
from dataforge.jobs.counters import COUNTER_GROUP, LOCATION_GROUP
from dataforge.jobs.records import BOM, parse_record
from dataforge.jobs.tasks import use_stdlib_distutils


class RecordJob(MRJob):
    """Reads JSON-lines records; subclasses implement :meth:`map_record`."""

    # raw line bytes: we parse them ourselves so a bad line is counted, not fatal
    INPUT_PROTOCOL = BytesValueProtocol
    # kept lines are written back byte for byte, never re-serialised
    OUTPUT_PROTOCOL = BytesValueProtocol
    # how much of a byte range a task reads at a time
    READ_BATCH_BYTES = 1 << 22

    @classmethod
    def run(cls) -> None:
        """Run as a plain mrjob script (``python -m dataforge.jobs.filter ...``)."""
        use_stdlib_distutils()  # a script's process starts here
        super().run()

    def load_args(self, args: list[str]) -> None:
        if "error" in vars(self.arg_parser):
            # built from Python with args (run_job): mrjob made errors raise ValueError; make them usage errors
            self.arg_parser.error = _raise_usage_error
        super().load_args(args)

    def _runner_class(self):
        # imported only to run a job: the runners bring in mrjob's, and pyspark
        from dataforge.jobs.runners import RUNNER_CLASSES

        return RUNNER_CLASSES.get(self.options.runner) or super()._runner_class()

    def _read_input(self):
        """Lines of this task's input: its byte range when the runner gave one."""
        for batch in self._read_batches():
            yield from batch

    def _read_batches(self) -> Iterator[list[bytes]]:
        """This task's input lines in lists, a few MB at a time.

        With a byte range from the runner (always aligned to line starts) the
        task reads just that range of the file; otherwise mrjob's own reader.
        """
        byte_range = os.environ.get(RANGE_ENV)
        if not byte_range or self.options.args:
            lines = super()._read_input()
            while True:
                batch = list(itertools.islice(lines, 4096))
                if not batch:
                    return
                yield batch
        start, remaining = parse_range(byte_range)
        stdin = self.stdin
        stdin.seek(start)
        while remaining > 0:
            batch = stdin.readlines(min(remaining, self.READ_BATCH_BYTES))
            if not batch:
                return
            size = sum(map(len, batch))
            # readlines may read past the range: keep only lines that start in it
            while size - len(batch[-1]) >= remaining:
                size -= len(batch.pop())
            remaining -= size
            yield batch

    def mapper_init(self) -> None:
        self.tally: Counter[str] = Counter()
        self.lines_seen = 0
        self.first_skip: tuple[str, int] | None = None

    def mapper(self, _: Any, line: bytes) -> Iterator[tuple[Any, Any]]:
        yield from self.process_line(line)

    def process_line(self, line: bytes) -> Sequence[tuple[Any, Any]]:
        """Parse one line, count it, and return the pairs it maps to."""
        self.lines_seen += 1
        if line.startswith(BOM):
            line = line[3:]
        record, reason = parse_record(line)
        if record is None:
            self.skip("skipped " + reason)
            return ()
        return self.map_record(line, record)

    def map_record(self, line: bytes, record: dict) -> Sequence[tuple[Any, Any]]:
        """The (key, value) pairs for one well-formed record: () to drop it."""
        raise NotImplementedError

    def run_mapper(self, step_num: int = 0) -> None:
        """mrjob's run_mapper with fewer layers a line: same init, lines, final.

        mrjob wraps every line in three generators (read_lines, map_pairs and
        the mapper); here lines come in lists and a well-formed record goes
        straight to :meth:`map_record`, which roughly halves the per-line cost
        (docs/benchmarks.md).  Anything else (blank, BOM, bad JSON) takes
        :meth:`process_line`, so the results are the same.  Runners that call
        map_pairs (Spark) get the same results through :meth:`mapper`.
        """
        if step_num != 0:
            return super().run_mapper(step_num)
        _, write = self.pick_protocols(step_num, "mapper")
        out = self.stdout.write
        process = self.process_line
        map_record = self.map_record
        loads = orjson.loads
        decode_error = orjson.JSONDecodeError
        self.mapper_init()
        for batch in self._read_batches():
            for line in batch:
                line = line.rstrip(b"\r\n")
                try:
                    record = loads(line)
                except decode_error:
                    record = None
                if record.__class__ is dict:
                    self.lines_seen += 1
                    pairs = map_record(line, record)
                else:
                    pairs = process(line)  # counts it, strips a BOM, names the reason
                for key, value in pairs:
                    out(write(key, value))
                    out(b"\n")
        for key, value in self.mapper_final():
            out(write(key, value))
            out(b"\n")

    def map_final(self) -> Iterator[tuple[Any, Any]]:
        """What a map task yields after its last line (e.g. its own top N)."""
        return iter(())

    def mapper_final(self) -> Iterator[tuple[Any, Any]]:
        yield from self.map_final()
        self.tally["lines"] += self.lines_seen
        for name, amount in sorted(self.tally.items()):
            if amount:
                self.increment_counter(COUNTER_GROUP, name, amount)
        if self.first_skip is not None:
            reason, line_no = self.first_skip
            path = jobconf_from_env("mapreduce.map.input.file", "") or ""
            start = jobconf_from_env("mapreduce.map.input.start", "0") or "0"
            self.increment_counter(LOCATION_GROUP, f"{reason}|{start}|{line_no}|{path}", 1)

    def skip(self, counter: str) -> None:
        """Count a line this task could not use, remembering where the first was."""
        self.tally[counter] += 1
        if self.first_skip is None:
            self.first_skip = (counter, self.lines_seen)

    def count_written(self, name: str = "written", amount: int = 1) -> None:
        self.tally[name] += amount


class BoundedTopJob(RecordJob):
    """Keeps the N records with the largest sort keys: per map task, then once.

    Each map task holds at most N candidates in a heap and emits them from
    mapper_final, so the single reducer sees at most N per task.  Keys are
    tuples ending in the raw line, which breaks ties the same way on every
    runner whatever the order of the input.
    """

    def top_n(self) -> int:
        raise NotImplementedError

    def sort_key(self, line: bytes, record: dict) -> tuple | None:
        """The key to rank by, or None to leave the record out."""
        raise NotImplementedError

    def output_line(self, key: list, line: bytes) -> bytes:
        return line

    def mapper_init(self) -> None:
        super().mapper_init()
        self.heap: list[tuple[tuple, bytes]] = []

    def map_record(self, line: bytes, record: dict) -> Sequence[tuple[Any, Any]]:
        key = self.sort_key(line, record)
        if key is not None:
            _push_bounded(self.heap, (key, line), self.top_n())
        return ()

    def map_final(self) -> Iterator[tuple[Any, Any]]:
        for key, line in self.heap:
            # lines parsed as JSON, so they are valid UTF-8 and travel as text
            yield None, [list(key), line.decode("utf-8")]

    def reducer_init(self) -> None:
        self.tally = Counter()

    def reducer(self, _: Any, candidates: Iterator[list]) -> Iterator[tuple[Any, bytes]]:
        heap: list[tuple[tuple, bytes]] = []
        n = self.top_n()
        for key, text in candidates:
            _push_bounded(heap, (tuple(key), text.encode("utf-8")), n)
        for key, line in sorted(heap, reverse=True):
            self.tally["written"] += 1
            yield None, self.output_line(list(key), line)

    def reducer_final(self) -> None:
        for name, amount in self.tally.items():
            self.increment_counter(COUNTER_GROUP, name, amount)


def _raise_usage_error(message: str) -> None:
    raise UsageError(message)


def _push_bounded(heap: list, item: tuple, n: int) -> None:
    if len(heap) < n:
        heapq.heappush(heap, item)
    elif item > heap[0]:
        heapq.heapreplace(heap, item)
