"""`make bench`: run every benchmark in the repository and rewrite docs/benchmarks.md.

Each benchmark measures dataforge against a baseline in the same run, so the
ratios hold on a noisy machine even when the absolute seconds drift.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
BENCHMARKS = [
    ("Jobs: seed mrjob scripts against `dataforge jobs`", "make bench", [sys.executable, "benchmarks/jobs_bench.py"]),
    ("Dedup: the seed notebook's pipeline against `dataforge dedup match`", "make bench",
     [sys.executable, "benchmarks/dedup_bench.py", "--sizes", "50000,100000", "--dataforge-only", "300000,1000000"]),
    ("Dedup bench: pairwise fuzzy matching against `dataforge dedup match`", "make bench",
     [sys.executable, "benchmarks/pairwise_bench.py"]),
    ("Dedup quality: pairs and groups against planted truth, seed scores and `--refine`", "make bench",
     [sys.executable, "benchmarks/quality_bench.py", "--records", "50000"]),
    ("Dedup learned decisions: FEBRL and generated sets against the seed's best threshold and splink 5", "make bench",
     [sys.executable, "benchmarks/learn_bench.py", "--million"]),
    ("Dedup saved index: tonight's 10,000 names against a million, `--index` against `--against`", "make bench",
     [sys.executable, "benchmarks/index_bench.py", "--names", "1000000", "--queries", "10000"]),
    ("Dedup review: building the page of 1,000,000 pairs and opening it in headless Chromium", "make bench",
     [sys.executable, "benchmarks/review_bench.py", "--pairs", "100000,1000000"]),
    ("Dedup at the whole Companies House file's size: 4,800,000 names end to end", "make bench-full",
     [sys.executable, "benchmarks/full_bench.py", "--names", "4800000"]),
]
# the opt-in ones (the better part of an hour): `make bench-full` runs them, `make bench` keeps their last results
FULL = {"make bench-full"}


def machine() -> str:
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        mem = f", {kb / 2**20:.0f} GiB"
    except OSError:
        pass
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores{mem}, "
            f"Python {platform.python_version()}, {datetime.date.today().isoformat()}")


def _sections(text: str) -> dict[str, str]:
    """The doc's "## title" sections, each with its heading."""
    out = {}
    for part in text.split("\n## ")[1:]:
        title = part.split("\n", 1)[0].strip()
        out[title] = "## " + part.strip() + "\n"
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="run only benchmarks whose title contains this")
    parser.add_argument("--full", action="store_true", help="run only the opt-in benchmarks (make bench-full)")
    args = parser.parse_args()
    previous = _sections(DOC.read_text()) if DOC.exists() else {}
    sections = []
    status = 0
    for title, how, command in BENCHMARKS:
        if (args.only and args.only.lower() not in title.lower()) or (how in FULL) != args.full:
            if title in previous:  # --only reruns some; the others keep their last results
                sections.append(previous[title])
            continue
        print(f"== {title}", file=sys.stderr)
        result = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        status |= result.returncode
        if result.returncode:  # a benchmark that failed keeps its last results in the doc
            print(f"== failed (exit {result.returncode}): {title}; its last results are kept", file=sys.stderr)
            if title in previous:
                sections.append(previous[title])
            continue
        sections.append(f"## {title}\n\nRun with `{how}` (`{' '.join(['python', *command[1:]])}`).\n\n"
                        f"{result.stdout.strip()}\n")
        print(result.stdout)
    header = (
        "# Benchmarks\n\n"
        "Written by `make bench` (benchmarks/run.py); do not edit by hand.\n\n"
        f"Machine: {machine()}. The machine is shared and noisy: compare the ratios, "
        "which are measured within one run, more than the seconds.\n\n"
    )
    DOC.write_text(header + "\n\n".join(sections) + "\n")
    print(f"wrote {DOC.relative_to(ROOT)}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
