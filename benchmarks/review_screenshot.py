"""`make docs`: docs/images/review.png, the page of `dedup review` on the bundled sample, taken by the headless
Chromium the tests use (benchmarks/browser.py).

The run is the one docs/dedup.md shows: `dedup match --learn` kept down to 0.05 with the towns and postcodes
as evidence and `--explain`, its groups, and the page with both columns shown; two pairs are labelled by
keystroke so that the labels show.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from browser import headless_chromium, missing

ROOT = Path(__file__).resolve().parents[1]
DATAFORGE = str(Path(sys.executable).parent / "dataforge")
SAMPLE = ROOT / "data" / "sample" / "companies.csv.gz"
OUT = ROOT / "docs" / "images" / "review.png"
ALSO = ["--also", "RegAddress.PostTown", "--also", "RegAddress.PostCode"]


def main() -> int:
    why = missing()
    if why:
        print(f"review_screenshot: {why}", file=sys.stderr)
        return 1
    from selenium.webdriver.common.action_chains import ActionChains

    with tempfile.TemporaryDirectory(prefix="review-shot-") as work:
        work = Path(work)
        # in the run's own folder, so that the page names its files as a user would have typed them
        subprocess.run([DATAFORGE, "dedup", "match", SAMPLE, "--learn", "--threshold", "0.05", *ALSO, "--explain",
                        "-o", "pairs.csv", "--groups", "groups.csv", "-q"], check=True, cwd=work)
        subprocess.run([DATAFORGE, "dedup", "review", "pairs.csv", "--groups", "groups.csv", "--show",
                        "RegAddress.PostTown", "--show", "RegAddress.PostCode", "-o", "review.html", "-q"],
                       check=True, cwd=work)
        with headless_chromium(width=1280, height=1380) as driver:
            driver.get((work / "review.html").as_uri())
            ActionChains(driver).send_keys("n").send_keys("y").perform()
            time.sleep(0.3)
            OUT.parent.mkdir(parents=True, exist_ok=True)
            png = driver.get_screenshot_as_png()
    partial = OUT.with_suffix(".png.tmp")
    partial.write_bytes(png)
    partial.replace(OUT)
    print(f"wrote {OUT.relative_to(ROOT)} ({len(png) / 1024:.0f} KiB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
