"""Saved-index benchmark: tonight's new names against a master of a million, `--index` against `--against`.

Generates a master of N Companies-House-like names (`python -m dataforge.synthetic
companies -n N --seed 5`, the file dedup_bench uses) and two nights of Q new records:
new names from another seed of the generator (`--seed 6`), and names drawn from
the master (where `--against`'s IDF, fitted on both lists, is the master's own, so
the two must give the same pairs).  In one run it measures, as whole processes
with wall time and peak memory (max RSS): `dedup match --against` (the baseline),
`dedup index build`, `dedup match --index`, `dedup index add` of Q more, and, in
process, the time to open and verify the index.  A warm-up query on a small
index first compiles the kernel once (numba caches it), as every later run finds it.
Used by `make bench`.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

from dedup_bench import DATAFORGE, PY, WORK, measure  # benchmarks/ is on the path: the script's folder
from dedup_bench import make_input as generated


def drawn_from(master: Path, records: int, out: Path) -> Path:
    """*records* rows of *master*, drawn at random (seed 1), with ids of their own."""
    with open(master, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    picks = random.Random(1).sample(range(len(body)), records)
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for k, i in enumerate(picks):
            row = list(body[i])
            row[1] = f"NEW{k}"
            writer.writerow(row)
    return out


def open_seconds(index: Path) -> float:
    """Opening the index in a fresh process: reading the manifest, mapping and verifying every array."""
    code = ("import time, sys; from dataforge.dedup.index import MatchIndex; t = time.perf_counter(); "
            "MatchIndex.open(sys.argv[1]); print(time.perf_counter() - t)")
    return float(subprocess.run([PY, "-c", code, str(index)], capture_output=True, text=True, check=True).stdout)


def pairs(path: Path) -> dict:
    with open(path, newline="", encoding="utf-8") as f:
        return {(r["left_id"], r["right_id"]): float(r["similarity"]) for r in csv.DictReader(f)}


def compared(got: dict, expected: dict) -> str:
    shared = got.keys() & expected.keys()
    diff = max((abs(got[k] - expected[k]) for k in shared), default=0.0)
    if got.keys() == expected.keys():
        return f"the same {len(got):,} pairs, max score difference {diff:.1e}"
    return (f"{len(shared):,} of `--against`'s {len(expected):,} pairs ({100 * len(shared) / max(len(expected), 1):.1f}%), "
            f"{len(got.keys() - expected.keys()):,} others; shared pairs' max score difference {diff:.1e}")


def size_on_disk(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def run(names: int, queries: int, threads: int) -> str:
    master = generated(names, 5)
    tonight = generated(queries, 6)
    known = drawn_from(master, queries, WORK / f"drawn-{queries}-of-{names}.csv")
    index = WORK / f"master-{names}.dfidx"
    t = ["--threads", str(threads)]
    out = WORK / "index-bench-pairs.csv"

    warm = WORK / "warm.dfidx"  # compile (or load numba's cache of) the kernel before anything is timed
    shutil.rmtree(warm, ignore_errors=True)
    subprocess.run([DATAFORGE, "dedup", "index", "build", str(generated(2000, 5)), "-o", str(warm), "-q"], check=True)
    subprocess.run([DATAFORGE, "dedup", "match", str(tonight), "--index", str(warm), "-o", str(out), "--force", "-q"],
                   check=True)
    shutil.rmtree(warm)

    rows, results = [], {}
    for label, new in (("new names", tonight), ("names from the master", known)):
        against = WORK / f"against-{label[:3]}.csv"
        seconds, mib = measure([DATAFORGE, "dedup", "match", str(new), "--against", str(master), "-o", str(against),
                                "--force", "-q", *t])
        results[label] = {"against": (seconds, mib), "against_pairs": pairs(against)}
        against.unlink()
    shutil.rmtree(index, ignore_errors=True)
    build_s, build_mib = measure([DATAFORGE, "dedup", "index", "build", str(master), "-o", str(index), "-q"])
    disk = size_on_disk(index) / 2**20
    load = min(open_seconds(index) for _ in range(3))
    for label, new in (("new names", tonight), ("names from the master", known)):
        runs = [measure([DATAFORGE, "dedup", "match", str(new), "--index", str(index), "-o", str(out), "--force",
                         "-q", *t]) for _ in range(3)]
        seconds, mib = min(runs)
        against_s, against_mib = results[label]["against"]
        rows.append(f"| {label} | {against_s:.1f} | {against_mib:,.0f} | {seconds:.2f} | {mib:,.0f} | "
                    f"{against_s / seconds:.1f}x | {compared(pairs(out), results[label]['against_pairs'])} |")
    out.unlink()
    more = generated(queries, 7)
    added = WORK / f"master-{names}-added.dfidx"
    shutil.rmtree(added, ignore_errors=True)
    shutil.copytree(index, added)
    add_s, add_mib = measure([DATAFORGE, "dedup", "index", "add", str(added), str(more), "-q"])
    info = subprocess.run([DATAFORGE, "dedup", "index", "info", str(added), "--json"], capture_output=True,
                          text=True, check=True).stdout
    drift = json.loads(info)["drift"]
    shutil.rmtree(added)
    self_s, self_mib = measure([DATAFORGE, "dedup", "match", str(tonight), "-o", os.devnull, "-q", *t])
    m = f"companies-{names}.csv"
    q = f"companies-{queries}-seed6.csv"
    lines = [
        f"Master: {names:,} generated names (`python -m dataforge.synthetic companies -n {names} --seed 5`); "
        f"each night {queries:,} records: new names (`--seed 6`), or names drawn from the master (where "
        f"`--against`'s IDF, fitted on both lists, is the master's, so the pairs must be the same). {threads} threads, "
        "defaults (3-grams, top 10, threshold 0.6). Whole processes; `--index` is the best of 3 (the index in the "
        "page cache, as on a machine that queries it nightly); peak memory is the process's max RSS.",
        "",
        "| tonight's records | `--against` (s) | peak (MiB) | `--index` (s) | peak (MiB) | ratio | pairs |",
        "|---|---:|---:|---:|---:|---:|---|",
        *rows,
        "",
        f"- `dedup index build` of the master: {build_s:.1f} s, peak {build_mib:,.0f} MiB; the index is "
        f"{disk:,.0f} MiB on disk.",
        f"- Opening it (manifest, memory maps, every array's crc32 and bounds checked): {load:.2f} s "
        "(best of 3, fresh processes).",
        f"- Peak memory of `--index` less the index's size: the query's own working set, next to "
        f"{self_mib:,.0f} MiB for `dedup match` of the {queries:,} names alone ({self_s:.1f} s).",
        f"- `dedup index add` of {queries:,} more records (`--seed 7`): {add_s:.1f} s, peak {add_mib:,.0f} MiB; "
        f"IDF drift after it {drift:.2%}.",
        "- New names: `--against` fits the IDF on master and new names together, the index keeps the master's, "
        "so scores differ slightly and pairs near the threshold come and go (docs/dedup.md).",
        "",
        "Commands:",
        "",
        f"- `dataforge dedup match {q} --against {m} -o pairs.csv --threads {threads}`",
        f"- `dataforge dedup index build {m} -o master.dfidx`",
        f"- `dataforge dedup match {q} --index master.dfidx -o pairs.csv --threads {threads}`",
        f"- `dataforge dedup index add master.dfidx companies-{queries}-seed7.csv`",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--names", type=int, default=1_000_000, help="names in the master list")
    parser.add_argument("--queries", type=int, default=10_000, help="records each night")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    print(run(args.names, args.queries, args.threads))
    return 0


if __name__ == "__main__":
    sys.exit(main())
