"""Dedup benchmark: the seed notebook's pipeline against `dataforge dedup match`, whole processes.

For each size, generates Companies-House-like names (`python -m dataforge.synthetic
companies`), runs the seed pipeline (benchmarks/seed/fuzzy_matching.py: its
cells verbatim, TF-IDF + awesome_cossim_topn top 10 above 0.6) and `dataforge
dedup match` on the same file with the same number of threads, and records
wall time and peak memory (max RSS of the process) of each, and whether they
found the same name pairs with the same scores.  Sizes in --dataforge-only run
dataforge alone (the seed would take hours there).  Used by `make bench`.
"""
from __future__ import annotations

import argparse
import csv
import math
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "work"
PY = sys.executable
DATAFORGE = str(Path(sys.executable).parent / "dataforge")


def make_input(records: int, seed: int = 5) -> Path:
    path = WORK / (f"companies-{records}.csv" if seed == 5 else f"companies-{records}-seed{seed}.csv")
    if not path.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        subprocess.run([PY, "-m", "dataforge.synthetic", "companies", "-n", str(records), "--seed", str(seed),
                        "-o", str(tmp)], check=True)
        tmp.rename(path)
    return path


def measure(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    err = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    if process.returncode:
        raise SystemExit(f"failed ({process.returncode}): {' '.join(command)}\n{err}")
    return seconds, usage.ru_maxrss / 1024


def name_pairs(path: Path, left: str, right: str, score: str) -> dict:
    out: dict = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            a, b = row[left], row[right]
            if a != b:
                key = frozenset((a, b))
                out[key] = max(float(row[score]), out.get(key, 0.0))
    return out


def run(sizes: list[int], dataforge_only: list[int], threads: int) -> list[dict]:
    rows = []
    for size in sizes + dataforge_only:
        source = make_input(size)
        ours = WORK / f"pairs-{size}.csv"
        ours.unlink(missing_ok=True)
        df_cmd = [DATAFORGE, "dedup", "match", str(source), "-o", str(ours), "--threads", str(threads), "-q"]
        df_s, df_mb = measure(df_cmd)
        row = {"names": size, "dataforge_s": round(df_s, 2), "dataforge_mib": round(df_mb),
               "dataforge_command": f"dataforge dedup match companies-{size}.csv -o pairs.csv --threads {threads}"}
        if size in sizes:
            theirs = WORK / f"seed-{size}.csv"
            seed_cmd = [PY, str(ROOT / "benchmarks" / "seed" / "fuzzy_matching.py"), str(source), str(theirs),
                        "--threads", str(threads)]
            seed_s, seed_mb = measure(seed_cmd)
            expected = name_pairs(theirs, "left_side", "right_side", "similarity")
            got = name_pairs(ours, "left_name", "right_name", "similarity")
            found = len(set(expected) & set(got))
            row.update(seed_s=round(seed_s, 2), seed_mib=round(seed_mb), ratio=round(seed_s / df_s, 2),
                       seed_pairs=len(expected), pairs_found=found, extra_pairs=len(set(got) - set(expected)),
                       max_score_diff=max((abs(got[k] - expected[k]) for k in set(got) & set(expected)), default=0.0),
                       seed_command=f"python benchmarks/seed/fuzzy_matching.py companies-{size}.csv out.csv "
                                    f"--threads {threads}")
            theirs.unlink()
        ours.unlink()
        rows.append(row)
        print(f"{size}: {row}", file=sys.stderr)
    return rows


def projection(rows: list[dict], target: int = 4_800_000) -> list[str]:
    """The growth exponent of dataforge's time over the measured sizes from 100k up (a least-squares
    line through log time against log names) and what it gives for the full Companies House file."""
    points = sorted((r["names"], r["dataforge_s"], r["dataforge_mib"]) for r in rows if r["names"] >= 100_000)
    if len(points) < 2:
        return []
    logs = [(math.log(n), math.log(t)) for n, t, _ in points]
    mean_x = sum(x for x, _ in logs) / len(logs)
    mean_y = sum(y for _, y in logs) / len(logs)
    exponent = sum((x - mean_x) * (y - mean_y) for x, y in logs) / sum((x - mean_x) ** 2 for x, _ in logs)
    n_last, t_last, m_last = points[-1]
    n_prev, _, m_prev = points[-2]
    seconds = t_last * (target / n_last) ** exponent
    per_name = (m_last - m_prev) / (n_last - n_prev)  # memory grows about linearly with the names
    memory = m_last + per_name * (target - n_last)
    return ["", f"Growth: time ~ names^{exponent:.2f} (least squares over "
                f"{', '.join(f'{n:,}' for n, _, _ in points)} names). Projected for the full Companies House "
                f"file ({target:,} names): {seconds / 60:.0f} min ({seconds:,.0f} s) and about "
                f"{memory / 1024:.1f} GiB (memory from the last two points, linear)."]


def markdown(rows: list[dict], threads: int) -> str:
    lines = [
        f"Input: synthetic Companies-House-like names (`python -m dataforge.synthetic companies -n N --seed 5`), "
        f"both sides on {threads} threads, defaults (3-grams, top 10, threshold 0.6). Whole processes, one run "
        "each; peak memory is the process's max RSS. Same pairs: the name pairs dataforge found among the "
        "seed's (self-matches excluded), and the largest score difference.",
        "",
        "| names | seed pipeline (s) | seed peak (MiB) | dataforge (s) | dataforge peak (MiB) | ratio | same pairs |",
        "|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        if "seed_s" in r:
            same = (f"{r['pairs_found']:,} of {r['seed_pairs']:,} "
                    f"({100 * r['pairs_found'] / max(r['seed_pairs'], 1):.2f}%), {r['extra_pairs']:,} extra (ties), "
                    f"max diff {r['max_score_diff']:.1e}")
            lines.append(f"| {r['names']:,} | {r['seed_s']:.1f} | {r['seed_mib']:,} | {r['dataforge_s']:.1f} | "
                         f"{r['dataforge_mib']:,} | {r['ratio']:.2f}x | {same} |")
        else:
            lines.append(f"| {r['names']:,} | not run | | {r['dataforge_s']:.1f} | {r['dataforge_mib']:,} | | |")
    lines += projection(rows)
    lines += ["", "Commands:", ""]
    for r in rows:
        lines.append(f"- {r['names']:,}: `{r['dataforge_command']}`" +
                     (f" vs `{r['seed_command']}`" if "seed_command" in r else ""))
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="50000,100000", help="sizes run on both sides")
    parser.add_argument("--dataforge-only", default="", help="sizes run on dataforge alone, e.g. 1000000")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    only = [int(s) for s in args.dataforge_only.split(",") if s]
    print(markdown(run(sizes, only, args.threads), args.threads))
    return 0


if __name__ == "__main__":
    sys.exit(main())
