"""``python -m dataforge.synthetic jobs|companies|persons``: regenerate sample and benchmark data.

The bundled samples: ``jobs -n 3000 --seed 2018 -o data/sample/jobs.jsonl.gz`` and
``companies -n 5000 --seed 2021 -o data/sample/companies.csv.gz``.
"""
from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import sys
from typing import IO, Iterator

from dataforge.synthetic.companies import write_companies
from dataforge.synthetic.jobs import write_job_postings
from dataforge.synthetic.persons import write_persons


@contextlib.contextmanager
def _open_binary(path: str) -> Iterator[IO[bytes]]:
    if path == "-":
        yield sys.stdout.buffer
    elif path.endswith(".gz"):
        # mtime=0 keeps a committed sample byte-identical across regenerations
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
            yield out
    else:
        with open(path, "wb") as out:
            yield out


@contextlib.contextmanager
def _open_text(path: str) -> Iterator[IO[str]]:
    with _open_binary(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        yield text
        text.flush()
        text.detach()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dataforge.synthetic", description=__doc__)
    sub = parser.add_subparsers(dest="kind", required=True)
    jobs = sub.add_parser("jobs", help="schema.org JobPosting records as JSON lines")
    jobs.add_argument("-n", "--records", type=int, default=3000)
    jobs.add_argument("--seed", type=int, default=0)
    jobs.add_argument("--description-chars", type=int, default=1800)
    jobs.add_argument("-o", "--output", default="-", help="file (.gz compresses) or - for stdout")
    firms = sub.add_parser("companies", help="Companies-House-like CSV with planted duplicates")
    firms.add_argument("-n", "--records", type=int, default=5000)
    firms.add_argument("--seed", type=int, default=0)
    firms.add_argument("--duplicate-rate", type=float, default=0.08,
                       help="share of entities also registered under variant names")
    firms.add_argument("--repeat-rate", type=float, default=0.004, help="share of names repeated exactly")
    firms.add_argument("--unambiguous", action="store_true",
                       help="no two firms the same under the register's 'same as' rule; only generic words dropped")
    firms.add_argument("--truth", metavar="PATH", help="also write CompanyNumber,entity_id here")
    firms.add_argument("-o", "--output", default="-", help="file (.gz compresses) or - for stdout")
    people = sub.add_parser("persons", help="person records (given name, surname, street, town) with duplicates")
    people.add_argument("-n", "--records", type=int, default=5000)
    people.add_argument("--seed", type=int, default=0)
    people.add_argument("--duplicate-rate", type=float, default=0.1, help="share of people also written another way")
    people.add_argument("--household-rate", type=float, default=0.15,
                        help="share of people living with the previous one (same surname and address)")
    people.add_argument("--truth", metavar="PATH", help="also write PersonId,entity_id here")
    people.add_argument("-o", "--output", default="-", help="file (.gz compresses) or - for stdout")
    args = parser.parse_args(argv)
    if args.kind == "jobs":
        with _open_binary(args.output) as out:
            write_job_postings(out, args.records, args.seed, args.description_chars)
    else:
        with contextlib.ExitStack() as stack:
            out = stack.enter_context(_open_text(args.output))
            truth = stack.enter_context(_open_text(args.truth)) if args.truth else None
            if args.kind == "persons":
                write_persons(out, args.records, args.seed, truth, duplicate_rate=args.duplicate_rate,
                              household_rate=args.household_rate)
            else:
                write_companies(out, args.records, args.seed, truth, duplicate_rate=args.duplicate_rate,
                                repeat_rate=args.repeat_rate, **({"unambiguous": True} if args.unambiguous else {}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
