"""Reproducible train/test splitting by the seed's MD5 rule (seed 2.3).

As a plain mrjob script (one side, as the seed's script does)::

    python -m dataforge.jobs.split data/ --test-size 0.3 --split test
"""
from __future__ import annotations

import contextlib
import decimal
import hashlib
import json
import os
from typing import Any, Iterable, Sequence

from mrjob.protocol import BytesProtocol, BytesValueProtocol
from mrjob.util import to_lines

from dataforge.io import AtomicDirectory
from dataforge.jobs.base import RecordJob
from dataforge.jobs.records import MISSING, get_path, split_path

SIDES = ("train", "test")
# what a split directory may hold for --force to replace it: its own files, written here or by mrjob
OUTPUT_NAMES = frozenset(f"{side}{suffix}" for side in SIDES for suffix in (".jsonl", ".jsonl.gz", ""))


def fraction_parts(fraction: float) -> tuple[int, int]:
    """The seed's decimal numerator and denominator: 0.125 -> (125, 1000)."""
    frac = decimal.Decimal(str(fraction)).as_tuple()
    numer = sum(v * 10**i for i, v in enumerate(frac.digits[::-1]))
    denom = 10 ** (-frac.exponent)
    return numer, denom


def md5_in_fraction(key: Any, numer: int, denom: int) -> bool:
    """The seed's rule: md5 of str(key), as an integer, modulo denom < numer."""
    return int(hashlib.md5(str(key).encode()).hexdigest(), 16) % denom < numer


class MRSplit(RecordJob):
    """Map-only: each record goes to test when its key's MD5 falls in the fraction."""

    def configure_args(self) -> None:
        super().configure_args()
        self.add_passthru_arg("-t", "--test-size", "--test_size", dest="test_size", type=float,
                              help="fraction of records for the test side")
        self.add_passthru_arg("-s", "--split", choices=SIDES, help="write only this side")
        self.add_passthru_arg("--key", default="jobId", help="field whose value is hashed (dotted path)")

    def load_args(self, args: list[str]) -> None:
        super().load_args(args)
        test_size = self.options.test_size
        if test_size is None or not 0.0 <= test_size <= 1.0:
            self.arg_parser.error(f"--test-size must be between 0 and 1, not {test_size}")
        try:
            self.key_path = split_path(self.options.key)
        except ValueError as e:
            self.arg_parser.error(str(e))
        self.numer, self.denom = fraction_parts(test_size)

    def output_protocol(self):
        # both sides in one run: "train<TAB>line" for the driver to separate
        return BytesValueProtocol() if self.options.split else BytesProtocol()

    def split_key(self, line: bytes, record: dict) -> Any:
        key = get_path(record, self.key_path)
        if key is MISSING:
            return 0  # the seed's value.get('jobId', 0)
        if isinstance(key, float) and abs(key) >= 2.0**63:
            # orjson reads integers past 64 bits as floats; str() must match the seed's int
            key = get_path(json.loads(line), self.key_path)
        return key

    def map_record(self, line: bytes, record: dict) -> Sequence[tuple[Any, bytes]]:
        side = "test" if md5_in_fraction(self.split_key(line, record), self.numer, self.denom) else "train"
        if self.options.split is None:
            self.count_written("written " + side)
            return ((side.encode(), line),)
        if side == self.options.split:
            self.count_written("written " + side)
            return ((None, line),)
        return ()


def count_by_side(written: dict[str, int] | None) -> dict[str, int]:
    """Records written to each side, in SIDES order, a side with none included."""
    return {side: (written or {}).get(side, 0) for side in SIDES}


def write_sides(chunks: Iterable[bytes], directory: str) -> list[str]:
    """Separate a both-sides run's "side<TAB>line" output into *directory*/train.jsonl and test.jsonl."""
    with AtomicDirectory(directory) as tmp, contextlib.ExitStack() as files:
        outs = {side.encode(): files.enter_context(open(tmp / f"{side}.jsonl", "wb")) for side in SIDES}
        for line in to_lines(chunks):
            side, _, rest = line.partition(b"\t")
            outs[side].write(rest)
    return [os.path.join(directory, f"{side}.jsonl") for side in SIDES]


if __name__ == "__main__":
    MRSplit.run()
