"""How long `dataforge dedup review` takes on a large run, and how fast its page opens in a browser.

Makes a pairs file of N generated pairs shaped like `dedup match --learn --explain`'s (ids, names,
similarity, match_probability, match_weight, the weight_* parts), builds the page with the default
--top and --top-groups (the whole `dataforge dedup review` process, timed), then opens the page from
its file in Debian's headless Chromium (benchmarks/browser.py) and reads the browser's own clock: the
document ready (DOMContentLoaded) and the page's first render (the `review-rendered` mark it sets when
everything is drawn), the best and the median of --repeat loads, each in a fresh tab.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from browser import headless_chromium, missing

ROOT = Path(__file__).resolve().parents[1]
DATAFORGE = str(Path(sys.executable).parent / "dataforge")
WORDS = ("ACME BETA GAMMA DELTA NORTH SOUTH WEST EAST CROWN ROYAL BRIDGE HILL PARK GREEN STONE RIVER OAK "
         "MILL FIELD LANE TRADING SERVICES HOLDINGS PLUMBING HEATING MEDIA CONSULTING FOODS TRAVEL DIGITAL").split()
FORMS = ("LIMITED", "LTD", "PLC", "LLP")


def make_pairs(path: Path, pairs: int, seed: int = 1) -> None:
    """*pairs* generated pairs among pairs/2 records, written as `dedup match --learn --explain` writes them."""
    rng = np.random.default_rng(seed)
    records = max(2, pairs // 2)
    words = np.array(WORDS, dtype=object)
    names = (pd.Series(words[rng.integers(0, len(WORDS), records)]) + " " +
             pd.Series(words[rng.integers(0, len(WORDS), records)]) + " " +
             pd.Series(np.array(FORMS, dtype=object)[rng.integers(0, len(FORMS), records)]))
    ids = pd.Series([f"{k:08d}" for k in range(records)])
    left = rng.integers(0, records, pairs)
    right = (left + 1 + rng.integers(0, 50, pairs)) % records
    parts = {"weight_prior": np.full(pairs, -5.1), "weight_name": rng.normal(4, 5, pairs),
             "weight_numbers": rng.normal(0, 1, pairs), "weight_legal_form": rng.normal(0.2, 0.5, pairs)}
    weight = sum(parts.values())
    frame = pd.DataFrame({"left_id": ids[left].to_numpy(), "left_name": names[left].to_numpy(),
                          "right_id": ids[right].to_numpy(), "right_name": names[right].to_numpy(),
                          "similarity": rng.uniform(0.3, 1.0, pairs).round(6),
                          "match_probability": 1 / (1 + 2.0 ** -weight), "match_weight": weight, **parts})
    frame.sort_values("match_weight", ascending=False).to_csv(path, index=False)


def build(pairs: Path, page: Path) -> float:
    started = time.perf_counter()
    subprocess.run([DATAFORGE, "dedup", "review", str(pairs), "-o", str(page), "--force", "-q"], check=True)
    return time.perf_counter() - started


def load_times(driver, page: Path, repeat: int) -> tuple[list, list, list]:
    """DOMContentLoaded, drawn and first-paint times (ms from navigation start) of *repeat* loads, each in a new
    tab."""
    ready, rendered, painted = [], [], []
    for _ in range(repeat):
        driver.switch_to.new_window("tab")
        driver.get(page.as_uri())  # returns after the load event
        for _ in range(600):
            mark = driver.execute_script("const m = performance.getEntriesByName('review-rendered'); "
                                         "return m.length ? m[0].startTime : null")
            if mark is not None:
                break
            time.sleep(0.05)
        ready.append(driver.execute_script(
            "return performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"))
        rendered.append(mark)
        for _ in range(100):  # the paint is reported a frame or two after it happens
            paint = driver.execute_script("const p = performance.getEntriesByName('first-contentful-paint'); "
                                          "return p.length ? p[0].startTime : null")
            if paint is not None:
                break
            time.sleep(0.05)
        painted.append(paint)
        driver.close()
        driver.switch_to.window(driver.window_handles[0])
    return ready, rendered, painted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", default="1000000", help="sizes of the generated pairs files, comma-separated")
    parser.add_argument("--repeat", type=int, default=5, help="loads of each page in the browser")
    args = parser.parse_args()
    why = missing()
    if why:
        print(f"review_bench: skipped, {why}", file=sys.stderr)
        return 1
    sizes = [int(n) for n in args.pairs.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="review-bench-") as work, headless_chromium() as driver:
        work = Path(work)
        for size in sizes:
            pairs, page = work / f"pairs-{size}.csv", work / f"review-{size}.html"
            make_pairs(pairs, size)
            seconds = build(pairs, page)
            times = load_times(driver, page, args.repeat)
            rows.append((size, pairs.stat().st_size, seconds, page.stat().st_size, *times))
    print(f"Generated pairs shaped like `dedup match --learn --explain`'s (`python benchmarks/review_bench.py "
          f"--pairs {args.pairs}`); the page built with the defaults (the 2,000 most doubtful pairs, the 50 largest "
          f"and 50 least certain groups, which the page makes by center clustering: no `--groups`), then opened "
          f"from its file in headless Chromium {args.repeat} times, each in a new tab. Build: the whole "
          f"`dataforge dedup review` process. Drawn: the page's `review-rendered` mark, set when its code has built "
          f"everything; ready: DOMContentLoaded; first paint: the first contentful paint; all from navigation "
          f"start, by the browser's clock, best / median.\n")
    print("| pairs | pairs file (MB) | build (s) | page (MB) | drawn (ms) | ready (ms) | first paint (ms) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for size, csv_bytes, seconds, page_bytes, ready, rendered, painted in rows:
        cells = " | ".join(f"{min(t):.0f} / {statistics.median(t):.0f}" for t in (rendered, ready, painted))
        print(f"| {size:,} | {csv_bytes / 2**20:.0f} | {seconds:.1f} | {page_bytes / 2**20:.2f} | {cells} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
