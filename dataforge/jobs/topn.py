"""Top N (seed 3.1 and 3.2): the N records with the largest values at some paths.

As a plain mrjob script::

    python -m dataforge.jobs.topn data/ -n 10 \\
        --by estimatedSalary.value.maxValue --by estimatedSalary.value.minValue
"""
from __future__ import annotations

from typing import Iterator

import orjson

from dataforge.jobs.base import BoundedTopJob
from dataforge.jobs.records import MISSING, as_number, get_path, split_path

DEFAULT_BY = ("estimatedSalary.value.maxValue", "estimatedSalary.value.minValue")


class MRTopN(BoundedTopJob):
    """Ranks records by the tuple of numbers at --by paths, largest first."""

    def configure_args(self) -> None:
        super().configure_args()
        self.add_passthru_arg("-n", "--top-n", "--top_n", dest="top_n", type=int, default=10)
        self.add_passthru_arg("--by", action="append", default=[], help="dotted path of a numeric field; repeatable")
        self.add_passthru_arg("--values", action="store_true", help="write the value tuples, not the records")

    def load_args(self, args: list[str]) -> None:
        super().load_args(args)
        if self.options.top_n < 1:
            self.arg_parser.error(f"-n must be at least 1, not {self.options.top_n}")
        try:
            self.by = [split_path(p) for p in (self.options.by or DEFAULT_BY)]
        except ValueError as e:
            self.arg_parser.error(str(e))

    def top_n(self) -> int:
        return self.options.top_n

    def sort_key(self, line: bytes, record: dict) -> tuple | None:
        values = []
        for path in self.by:
            value = get_path(record, path)
            number = as_number(value)
            if number is None:
                # not bad input, just unrankable: counted apart from skipped lines
                self.tally["unranked " + ("missing_value" if value is MISSING else "non_numeric_value")] += 1
                return None
            values.append(number)
        return tuple(values)

    def output_line(self, key: list, line: bytes) -> bytes:
        return orjson.dumps(key) if self.options.values else line


if __name__ == "__main__":
    MRTopN.run()
