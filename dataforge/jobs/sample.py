"""Random sampling (seed 2.2): keep each record with probability F, or exactly N records.

As a plain mrjob script::

    python -m dataforge.jobs.sample data/ --fraction 0.1 --seed 42
    python -m dataforge.jobs.sample data/ --size 1000 --seed 42
"""
from __future__ import annotations

import hashlib
import random
from typing import Any, Iterator, Sequence

from mrjob.step import MRStep

from dataforge.jobs.base import BoundedTopJob


def seeded_uniform(seed: int, line: bytes) -> float:
    """A number in [0, 1) that depends only on the seed and the record's bytes.

    The same record gets the same number on every run and every runner,
    however the input is split into tasks.
    """
    digest = hashlib.blake2b(line, digest_size=8, key=str(seed).encode()).digest()
    return int.from_bytes(digest, "big") / 2.0**64


class MRSample(BoundedTopJob):
    """--fraction: map-only Bernoulli sample.  --size: the N records with the
    largest random keys (a uniform sample of exactly N), as a top-N job."""

    def configure_args(self) -> None:
        super().configure_args()
        self.add_passthru_arg("-f", "--fraction", type=float, help="keep each record with probability F")
        self.add_passthru_arg("--size", type=int, help="keep exactly N records (or all, if fewer)")
        self.add_passthru_arg("--seed", type=int, help="same sample on every run and runner")

    def load_args(self, args: list[str]) -> None:
        super().load_args(args)
        fraction, size = self.options.fraction, self.options.size
        if (fraction is None) == (size is None):
            self.arg_parser.error("give exactly one of --fraction or --size")
        if fraction is not None and not 0.0 <= fraction <= 1.0:
            self.arg_parser.error(f"--fraction must be between 0 and 1, not {fraction}")
        if size is not None and size < 1:
            self.arg_parser.error(f"--size must be at least 1, not {size}")

    def steps(self) -> list[MRStep]:
        if self.options.size is not None:
            return super().steps()
        # map-only: no sort, no reducer; the kept lines are the output
        return [MRStep(mapper_init=self.mapper_init, mapper=self.mapper, mapper_final=self.mapper_final)]

    def random_key(self, line: bytes) -> float:
        if self.options.seed is None:
            return random.random()
        return seeded_uniform(self.options.seed, line)

    def map_record(self, line: bytes, record: dict) -> Sequence[tuple[Any, Any]]:
        if self.options.size is not None:
            return super().map_record(line, record)
        if self.random_key(line) < self.options.fraction:
            self.count_written()
            return ((None, line),)
        return ()

    def map_final(self) -> Iterator[tuple[Any, Any]]:
        if self.options.size is None:
            return iter(())
        return super().map_final()

    def top_n(self) -> int:
        return self.options.size

    def sort_key(self, line: bytes, record: dict) -> tuple:
        return (self.random_key(line),)


if __name__ == "__main__":
    MRSample.run()
