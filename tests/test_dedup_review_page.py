"""The page of ``dedup review`` in a real browser: Debian's headless Chromium, driven by selenium.

Opened from a file as a person opens it: it loads with no console error and
makes no request; three pairs labelled by keystrokes survive a reload; the
exported labels.csv, fed to ``dedup match --labels``, turns those pairs'
decisions as labelled.  How fast a page of 1M pairs opens is measured in
benchmarks/review_bench.py, not asserted here.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

if not os.path.exists("/usr/bin/chromium"):
    pytest.skip("/usr/bin/chromium is missing: apt-get install chromium chromium-driver (.ci/run installs them)",
                allow_module_level=True)

from benchmarks.browser import headless_chromium, network_requests  # noqa: E402

SAMPLE = str(ROOT / "data" / "sample" / "companies.csv.gz")
ALSO = ["--also", "RegAddress.PostTown", "--also", "RegAddress.PostCode"]
DATA = re.compile(rb'<script id="review-data" type="application/json">(.*?)</script>', re.S)


def dataforge(cwd: Path, *args) -> None:
    done = run_cli(*args, cwd=cwd)
    assert done.returncode == 0, done.stderr.decode()


def rows(path: Path) -> list:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """A learned run kept down to 0.05 (pairs on both sides of 0.5), its groups, and its page."""
    cwd = tmp_path_factory.mktemp("page")
    dataforge(cwd, "dedup", "match", SAMPLE, "--learn", "--threshold", "0.05", *ALSO, "--explain", "-o", "pairs.csv",
              "--groups", "groups.csv")
    dataforge(cwd, "dedup", "review", "pairs.csv", "--groups", "groups.csv", "-o", "review.html")
    (cwd / "downloads").mkdir()
    return cwd


@pytest.fixture(scope="module")
def browser(work):
    with headless_chromium(downloads=work / "downloads") as driver:
        yield driver


def open_page(driver, path: Path) -> None:
    """Load the page from its file and wait for its first render (the mark the page sets)."""
    driver.get_log("performance")  # what came before this page is not this page's
    driver.get_log("browser")
    driver.get(path.as_uri())
    for _ in range(100):
        if driver.execute_script("return performance.getEntriesByName('review-rendered').length"):
            return
        time.sleep(0.05)
    raise AssertionError(f"the page never rendered; console: {driver.get_log('browser')}")


def problems(driver) -> list:
    return [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def press(driver, *keys: str) -> None:
    """Keys typed as a person types them: into whatever has the focus."""
    from selenium.webdriver.common.action_chains import ActionChains

    for key in keys:
        ActionChains(driver).send_keys(key).perform()


def queue_labels(driver) -> list:
    return driver.execute_script("return [...document.querySelectorAll('#queue tr')].map(r => r.lastChild.textContent)")


def test_the_page_loads_from_a_file_with_no_console_error_and_no_request(work, browser):
    open_page(browser, work / "review.html")
    assert problems(browser) == []
    assert network_requests(browser) == []
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    html = (work / "review.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href|action)\s*=\s*["']?[a-z]+:""", html)
    assert set(re.findall(r"https?://[^\s\"']+", html)) == {"http://www.w3.org/2000/svg"}  # a namespace, not a request
    text = browser.execute_script("return document.body.innerText")
    assert "most doubtful of" in text and "threshold 0.5" in text
    assert browser.execute_script("return document.querySelectorAll('#histogram svg rect').length") == 40
    assert browser.execute_script("return document.querySelectorAll('#current svg rect').length") >= 2  # waterfall
    assert browser.execute_script("return document.querySelectorAll('#largest details').length") == 50


def test_three_labels_by_keystroke_survive_a_reload_and_the_export_turns_those_decisions(work, browser):
    open_page(browser, work / "review.html")
    data = json.loads(DATA.findall((work / "review.html").read_bytes())[0])
    records, first = data["records"], data["pairs"][:3]
    # a 'no' on a pair that is a match, a 'yes' on one that is not, 'unsure' on the third
    above = next(k for k, p in enumerate(first) if p[3] > 0.5)
    below = next(k for k, p in enumerate(first) if p[3] < 0.5)
    unsure = ({0, 1, 2} - {above, below}).pop()
    wanted = {above: "no", below: "yes", unsure: "unsure"}
    for k in range(3):
        press(browser, wanted[k][0])
    assert queue_labels(browser)[:4] == [wanted[0], wanted[1], wanted[2], ""]
    press(browser, "k", "k", "j")  # back twice, next once: the labels stay as they are
    assert queue_labels(browser)[:3] == [wanted[0], wanted[1], wanted[2]]
    browser.refresh()
    open_page(browser, work / "review.html")
    assert queue_labels(browser)[:4] == [wanted[0], wanted[1], wanted[2], ""]
    assert "pair 4 of" in browser.execute_script("return document.getElementById('current').innerText")
    assert problems(browser) == []

    browser.execute_script("document.getElementById('export').click()")
    exported = work / "downloads" / "labels.csv"
    for _ in range(100):
        if exported.exists() and exported.stat().st_size:
            break
        time.sleep(0.1)
    labels = rows(exported)
    pair_id = [(records[p[0]][0], records[p[1]][0]) for p in first]
    assert [(r["left_id"], r["right_id"], r["label"]) for r in labels] == [
        (*pair_id[k], wanted[k]) for k in range(3)]

    dataforge(work, "dedup", "match", SAMPLE, "--learn", *ALSO, "--labels", exported, "-o", "labelled.csv")
    before = {(r["left_id"], r["right_id"]) for r in rows(work / "pairs.csv")
              if float(r["match_probability"]) > 0.5}
    after = {(r["left_id"], r["right_id"]): r["label"] for r in rows(work / "labelled.csv")}
    assert pair_id[above] in before and pair_id[above] not in after  # 'no': the match is gone
    assert pair_id[below] not in before and after[pair_id[below]] == "yes"  # 'yes': the pair is in


def test_search_finds_a_name_and_jumps_to_its_pair(work, browser):
    from selenium.webdriver.common.by import By

    open_page(browser, work / "review.html")
    data = json.loads(DATA.findall((work / "review.html").read_bytes())[0])
    name = data["records"][data["pairs"][5][1]][1]
    press(browser, "/")
    browser.find_element(By.ID, "search").send_keys(name)
    results = browser.find_element(By.ID, "results").text
    assert name in results and "records match" in results
    labels = queue_labels(browser)
    press(browser, "y")  # typed in the search box, not a label
    assert browser.find_element(By.ID, "search").get_attribute("value") == name + "y"
    assert queue_labels(browser) == labels
    press(browser, "\ue003")  # backspace: the name again
    browser.find_element(By.CSS_SELECTOR, "#results button").click()
    assert name in browser.find_element(By.ID, "current").text


def test_names_are_text_never_markup(tmp_path, browser):
    evil = '</script><img src=x onerror="document.title=1"><script>document.title=2</script>'
    (tmp_path / "p.csv").write_text("left_id,left_name,right_id,right_name,similarity\n"
                                    f'1,"{evil.replace(chr(34), chr(34) * 2)}",2,<b>bold</b>,0.7\n', encoding="utf-8")
    dataforge(tmp_path, "dedup", "review", "p.csv", "-o", "r.html")
    open_page(browser, tmp_path / "r.html")
    assert browser.title == "dedup review"
    names = browser.execute_script("return [...document.querySelectorAll('#current .name')].map(n => n.textContent)")
    assert names == [evil, "<b>bold</b>"]
    assert browser.execute_script("return document.querySelectorAll('img, .name b').length") == 0
    assert problems(browser) == []


def test_an_empty_run_says_there_is_nothing_to_review(tmp_path, browser):
    (tmp_path / "p.csv").write_text("left_id,left_name,right_id,right_name,similarity\n", encoding="utf-8")
    dataforge(tmp_path, "dedup", "review", "p.csv", "-o", "r.html")
    open_page(browser, tmp_path / "r.html")
    assert "Nothing to review" in browser.execute_script("return document.body.innerText")
    assert problems(browser) == []


def test_labels_given_before_are_on_the_page_and_in_its_export(tmp_path, browser):
    (tmp_path / "p.csv").write_text("left_id,left_name,right_id,right_name,similarity\n"
                                    "1,ACME LTD,2,ACME LIMITED,0.61\n3,BETA,4,BETA CO,0.9\n", encoding="utf-8")
    (tmp_path / "earlier.csv").write_text("left_id,right_id,label\n2,1,no\n8,9,yes\n", encoding="utf-8")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    dataforge(tmp_path, "dedup", "review", "p.csv", "--labels", "earlier.csv", "-o", "r.html")
    open_page(browser, tmp_path / "r.html")
    assert queue_labels(browser) == ["no", ""]  # the earlier label, found whichever way round it was written
    assert "pair 2 of" in browser.execute_script("return document.getElementById('current').innerText")
    press(browser, "y")
    browser.execute_script("document.getElementById('export').click()")
    exported = downloads / "labels.csv"
    for _ in range(100):
        if exported.exists() and exported.stat().st_size:
            break
        time.sleep(0.1)
    assert [(r["left_id"], r["right_id"], r["label"]) for r in rows(exported)] == [
        ("1", "2", "no"), ("3", "4", "yes"), ("8", "9", "yes")]
    assert problems(browser) == []
