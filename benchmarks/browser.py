"""Headless Chromium from Debian's packages (chromium, chromium-driver), driven by selenium: the one way the
tests, benchmarks/review_bench.py and benchmarks/review_screenshot.py open a page.

Nothing is downloaded: the driver and the browser are named by path, so Selenium Manager is never asked for
them, and SE_OFFLINE keeps it offline should anything call it.  The flags keep Chromium from reaching out
(background networking, component updates, sync, QUIC), which on a closed network makes it refuse connections.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator, Optional

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage")


LOCAL = ("file:", "data:", "blob:", "about:", "chrome:", "chrome-untrusted:", "chrome-extension:", "devtools:")


def missing() -> Optional[str]:
    """Why no browser can run here (None: it can)."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.path.exists(path):
            return f"{path} is missing: apt-get install {package} (.ci/run installs it)"
    return None


@contextlib.contextmanager
def headless_chromium(downloads: Optional[Path] = None, width: int = 1280, height: int = 1000) -> Iterator:
    """A selenium Chrome driver on a fresh, empty profile, with the browser's console and performance
    logs kept (driver.get_log('browser'), get_log('performance')); files it downloads land in *downloads*."""
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="dataforge-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    if downloads is not None:
        options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                                  "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        if downloads is not None:
            driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def network_requests(driver) -> list:
    """The URLs of every request that left the machine since the log was last read, from the DevTools
    performance log (the browser's own chrome:// pages and the file's own file://, data: and blob: aside)."""
    import json

    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if not url.startswith(LOCAL):
                urls.append(url)
    return urls
