"""Keep the records whose title contains a text, and/or that meet --where conditions.

As a plain mrjob script::

    python -m dataforge.jobs.filter data/*.jsonl --title "data scientist" \\
        --where 'jobLocation.address.addressRegion=CA'
"""
from __future__ import annotations

from typing import Any, Sequence

from dataforge.jobs.base import RecordJob
from dataforge.jobs.where import parse_condition


class MRFilter(RecordJob):
    """Filtering pattern (seed 2.1): a map-only job that writes kept lines unchanged."""

    def configure_args(self) -> None:
        super().configure_args()
        self.add_passthru_arg("--title", help="keep titles containing TEXT, case-insensitively")
        self.add_passthru_arg("--where", action="append", default=[], help="PATH=TEXT, PATH~REGEX, PATH>=N, PATH? ...")

    def load_args(self, args: list[str]) -> None:
        super().load_args(args)
        try:
            self.conditions = [parse_condition(text) for text in self.options.where]
        except ValueError as e:
            self.arg_parser.error(str(e))
        self.needle = self.options.title.lower() if self.options.title is not None else None

    def map_record(self, line: bytes, record: dict) -> Sequence[tuple[Any, bytes]]:
        if self.needle is not None:
            title = record.get("title")
            # the seed's test, minus its crash on a null or numeric title
            if not isinstance(title, str) or self.needle not in title.lower():
                return ()
        for condition in self.conditions:
            if not condition.matches(record):
                return ()
        self.count_written()
        return ((None, line),)


if __name__ == "__main__":
    MRFilter.run()
