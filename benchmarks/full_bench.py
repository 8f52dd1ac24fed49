"""`make bench-full`: the whole Companies House file's size, end to end, measured and not projected.

Generates 4,800,000 Companies-House-like names (`python -m dataforge.synthetic
companies -n 4800000 --seed 5`, as dedup_bench's sizes) and runs `dataforge
dedup match` on them with `--groups`, on 2 threads, in a child process. The
child makes the CLI's one library call (`match_files`) with a progress callback
that records every report, so one run gives:

- the wall time and peak memory (max RSS) of the whole process;
- where the time went (the `--json` summary's stages);
- how good the progress bar's ETA was: the estimate a rate-based bar shows
  (elapsed x left / done) at 10%, 25% and 50% of the product, against what was
  really left, and the longest wait between two reports.

Opt-in (it takes the better part of an hour): `make bench-full`, or
`python benchmarks/full_bench.py --names 1000000` for a quicker look.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dedup_bench import WORK, make_input  # noqa: E402

PY = sys.executable


def child(source: str, out_dir: str, threads: int) -> None:
    """In the measured process: the CLI's library call, with a recording progress callback."""
    import resource

    from dataforge.dedup.files import match_files
    from dataforge.dedup.options import MatchOptions
    from dataforge.progress import PRODUCT_STEP

    reports = []

    def progress(what, done=None, total=None):
        if what == PRODUCT_STEP and total:
            reports.append((time.perf_counter(), done, total))

    started = time.perf_counter()
    summary = match_files([source], str(Path(out_dir) / "pairs.csv"), groups=str(Path(out_dir) / "groups.csv"),
                          options=MatchOptions(threads=threads), force=True, progress=progress)
    wall = time.perf_counter() - started
    print(json.dumps({"wall": wall, "summary": summary.as_dict(), "reports": reports,
                      "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def eta_quality(reports: list) -> list[tuple[float, float, float]]:
    """(share done, the ETA a rate-based bar shows then, the seconds really left) at 10, 25 and 50%."""
    start, end = reports[0][0], reports[-1][0]
    out = []
    for share in (0.10, 0.25, 0.50):
        for moment, done, total in reports:
            if done and done / total >= share:
                out.append((done / total, (moment - start) * (total - done) / done, end - moment))
                break
    return out


def markdown(names: int, threads: int, result: dict, generate_s: float) -> str:
    s = result["summary"]
    stages = s["stages"]
    lines = [
        f"Input: {names:,} synthetic Companies-House-like names (`python -m dataforge.synthetic companies "
        f"-n {names} --seed 5`, generated in {generate_s:.0f} s, not counted). One process, {threads} threads, "
        "defaults (3-grams, top 10, threshold 0.6), with `--groups`.",
        "",
        "| names | distinct | pairs | groups | wall (s) | wall (min) | peak memory (GiB) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {s['rows']:,} | {s['distinct_names']:,} | {s['pairs']:,} | {s.get('groups', 0):,} | "
        f"{result['wall']:,.0f} | {result['wall'] / 60:.1f} | {result['peak_mib'] / 1024:.1f} |",
        "",
        "Where the time went (the `--json` summary's stages):",
        "",
        "| stage | seconds | share |",
        "|---|---:|---:|",
    ]
    total = sum(stages.values()) or 1.0
    for stage, seconds in stages.items():
        lines.append(f"| {stage} | {seconds:,.1f} | {100 * seconds / total:.1f}% |")
    reports = result["reports"]
    if len(reports) > 2:
        gaps = [b[0] - a[0] for a, b in zip(reports, reports[1:])]
        lines += ["", f"Progress during the product: {len(reports)} reports, the longest wait between two "
                      f"{max(gaps):.1f} s. The ETA a bar shows (elapsed x left / done) against what was left:", "",
                  "| done | ETA shown (s) | really left (s) | ratio |", "|---:|---:|---:|---:|"]
        for share, eta, left in eta_quality(reports):
            lines.append(f"| {100 * share:.0f}% | {eta:,.1f} | {left:,.1f} | {eta / max(left, 1e-9):.2f} |")
    lines += ["", f"Command: `dataforge dedup match companies-{names}.csv -o pairs.csv --groups groups.csv "
                  f"--threads {threads}` (as `match_files`, the CLI's one call, in a child process)."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--names", type=int, default=4_800_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--child", nargs=2, metavar=("SOURCE", "OUT_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, args.threads)
        return 0
    started = time.perf_counter()
    source = make_input(args.names)
    generate_s = time.perf_counter() - started
    out_dir = WORK / f"full-{args.names}"
    out_dir.mkdir(parents=True, exist_ok=True)
    run = subprocess.run([PY, __file__, "--threads", str(args.threads), "--child", str(source), str(out_dir)],
                         stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    if run.returncode:
        print(f"the run failed ({run.returncode})", file=sys.stderr)
        return 1
    for path in out_dir.iterdir():
        path.unlink()
    out_dir.rmdir()
    print(markdown(args.names, args.threads, json.loads(run.stdout.strip().splitlines()[-1]), generate_s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
