"""``dataforge dedup bench``: real runs of the console script on generated files, and the library's parts.

No mocks: rapidfuzz, dataforge's matcher and matplotlib run for real, on
small samples (sizes 200 and 500, 5 queries) so the whole module takes
seconds.
"""
from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dataforge.dedup.bench import BenchOptions, run_bench, samples
from dataforge.dedup.match import find_matches
from dataforge.dedup.options import MatchOptions
from tests.conftest import Result, assert_one_error_line, assert_usage_error, run_cli, temp_leftovers
from tests.test_cli_terminal import run_with_terminal_stderr

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SMALL = ["--sizes", "200,500", "--queries", "5"]


def bench(cwd: Path, *args: str) -> Result:
    done = run_cli("dedup", "bench", *args, cwd=cwd)
    return Result(done.returncode, done.stdout, done.stderr.decode("utf-8", "replace"))


@pytest.fixture(scope="module")
def labelled(tmp_path_factory) -> tuple[Path, Path]:
    """700 synthetic company records with planted duplicates, and their truth."""
    from dataforge.synthetic import write_companies

    folder = tmp_path_factory.mktemp("bench")
    data, truth = folder / "companies.csv", folder / "truth.csv"
    with open(data, "w", newline="", encoding="utf-8") as out, open(truth, "w", newline="", encoding="utf-8") as t:
        write_companies(out, 700, seed=3, truth=t, duplicate_rate=0.2, repeat_rate=0.01)
    return data, truth


@pytest.fixture(scope="module")
def full_run(labelled, tmp_path_factory) -> tuple[dict, Path]:
    """One --json run with --truth and --plot, shared by the checks of what it reports."""
    data, truth = labelled
    cwd = tmp_path_factory.mktemp("full")
    result = bench(cwd, data, *SMALL, "--truth", truth, "--plot", "bench.png", "--json")
    assert result.rc == 0, result.err
    assert result.err == ""  # --json: nothing for people on stderr unless there is a note
    return result.json(), cwd


# ----------------------------------------------------------------------------- what it reports


def test_json_times_both_methods_at_each_size(full_run):
    summary, _ = full_run
    assert summary["command"] == "dedup bench" and summary["libraries"][0] == "rapidfuzz"
    assert [s["names"] for s in summary["sizes"]] == [200, 500]
    for size in summary["sizes"]:
        rapid = size["pairwise"]["rapidfuzz"]
        assert size["queries"] == rapid["queries"] == 5
        assert rapid["per_query_s"] > 0 and size["dataforge_s"] > 0 and size["pairs"] > 0
        # the seed's extrapolation: time a query x names in the sample
        assert rapid["estimate_s"] == pytest.approx(rapid["per_query_s"] * size["names"], rel=1e-3, abs=1e-3)
        assert rapid["per_query_s"] == pytest.approx(rapid["seconds"] / 5, rel=1e-2, abs=1e-4)
        assert size["speedup"] == pytest.approx(rapid["estimate_s"] / size["dataforge_s"], rel=0.02)
        assert 0 <= rapid["matched"] <= 5
    assert summary["notes"] == [] and summary["plot"] == "bench.png"


def test_truth_gives_precision_recall_f1_of_both_methods_in_0_1(full_run):
    summary, _ = full_run
    for size in summary["sizes"]:
        quality = size["quality"]
        for method in ("pairwise_queries", "dataforge_queries", "pairs", "groups"):
            q = quality[method]
            assert all(0 <= q[m] <= 1 for m in ("precision", "recall", "f1")), (method, q)
            assert 0 <= q["true_positives"] <= min(q["predicted"], q["actual"]) or q["actual"] == 0
        assert quality["pairs"]["predicted"] == size["pairs"]
        assert quality["pairs"]["recall"] > 0.5  # the planted duplicates are mostly found at 0.6
        assert quality["largest_group"] >= 1 and quality["largest_entity"] >= 2


def test_truth_sweeps_f1_across_thresholds_and_marks_the_best(full_run):
    summary, _ = full_run
    sweep = summary["sweep"]
    thresholds = [row["threshold"] for row in sweep["thresholds"]]
    assert thresholds == sorted(thresholds) and 0.6 in thresholds and sweep["run_threshold"] == thresholds[0]
    assert sweep["best"] in thresholds and sweep["names"] == 500
    best = max(row["f1"] for row in sweep["thresholds"])
    assert next(r for r in sweep["thresholds"] if r["threshold"] == sweep["best"])["f1"] == best
    pairs = [row["pairs"] for row in sweep["thresholds"]]
    assert pairs == sorted(pairs, reverse=True)  # a higher threshold keeps fewer pairs


def test_plot_is_a_png_written_atomically(full_run):
    _, cwd = full_run
    data = (cwd / "bench.png").read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 20_000
    assert temp_leftovers(cwd) == []


def test_table_on_stdout_summary_on_stderr(labelled, tmp_path):
    data, truth = labelled
    result = bench(tmp_path, data, *SMALL, "--truth", truth)

    assert result.rc == 0, result.err
    out = result.out.decode()
    for heading in ("rapidfuzz extractOne, 5 queries", "a query", "all names", "est.", "dataforge dedup match",
                    "speedup", "pairs found", "precision", "recall", "F1", "largest group", "best"):
        assert heading in out, heading
    assert "│   200 │" in out and "│   500 │" in out
    assert all(line == line.rstrip() for line in out.splitlines())  # no padding in a file or pipe
    assert result.err.startswith("dedup bench: 2 sizes of ") and len(result.err.splitlines()) == 1


def test_quiet_prints_the_table_and_nothing_on_stderr(labelled, tmp_path):
    result = bench(tmp_path, labelled[0], "--sizes", "300,5000", "--queries", "3", "-q")

    assert result.rc == 0 and result.err == ""
    assert b"speedup" in result.out


def test_a_size_above_the_file_is_capped_with_a_note(labelled, tmp_path):
    result = bench(tmp_path, labelled[0], "--sizes", "300,5000,9000", "--queries", "3", "--json")

    assert result.rc == 0, result.err
    summary = result.json()
    assert [s["names"] for s in summary["sizes"]] == [300, 700]  # 9000 capped to 700 too: run once
    assert [s["requested"] for s in summary["sizes"]] == [300, 5000]
    assert len(summary["notes"]) == 2 and "5,000" in summary["notes"][0] and "capped to 700" in summary["notes"][0]
    assert result.err.count("Note: size") == 2


def test_queries_above_the_size_take_every_name(labelled, tmp_path):
    result = bench(tmp_path, labelled[0], "--sizes", "20", "--queries", "50", "--json")

    assert result.rc == 0, result.err
    size = result.json()["sizes"][0]
    assert size["queries"] == size["pairwise"]["rapidfuzz"]["queries"] == 20


def test_same_seed_same_samples(labelled, tmp_path):
    def sample_of(seed):
        result = bench(tmp_path, labelled[0], "--sizes", "300", "--queries", "2", "--seed", seed, "--json")
        assert result.rc == 0, result.err
        size = result.json()["sizes"][0]
        return size["pairs"], size["distinct_names"]

    assert sample_of("4") == sample_of("4")  # other seeds, other samples: test_samples_are_nested_...


def test_progress_only_on_a_terminal(labelled, tmp_path):
    code, stdout, terminal = run_with_terminal_stderr(
        ["dedup", "bench", str(labelled[0]), "--sizes", "300", "--queries", "3"], tmp_path)
    assert code == 0
    assert b"0:00:0" in terminal and b"dedup bench: 1 sizes" in terminal
    assert b"\x1b" not in stdout and b"speedup" in stdout


# ------------------------------------------------------------------------------------ bad input




@pytest.mark.parametrize("args, needles", [
    (["--sizes", "a,b"], ["--sizes", "whole numbers"]),
    (["--threads=-1"], ["--threads", "x>=0"]),
    (["--sizes", "1000,1"], ["--sizes", "at least 2"]),
    (["--sizes", ""], ["--sizes"]),
    (["--queries", "0"], ["--queries", "x>=1"]),
    (["--cutoff", "101"], ["--cutoff", "0<=x<=100"]),
    (["--cutoff", "nan"], ["cutoff"]),
    (["--threshold", "1.5"], ["--threshold", "0<=x<1"]),
    (["--plot", "bench.jpg"], ["--plot", ".png"]),
], ids=["sizes-not-numbers", "threads-negative", "sizes-1", "sizes-empty", "queries-0", "cutoff-101", "cutoff-nan",
        "threshold-1.5", "plot-jpg"])
def test_bad_options_exit_2_before_the_input_is_looked_at(tmp_path, args, needles):
    result = bench(tmp_path, "missing.csv", *args)

    assert_usage_error(result, *needles)
    assert "missing.csv" not in result.err
    assert os.listdir(tmp_path) == []


def test_missing_input_exits_2_naming_it(tmp_path):
    assert_usage_error(bench(tmp_path, "missing.csv"), "missing.csv")


def test_missing_name_column_exits_2_listing_the_columns(labelled, tmp_path):
    assert_usage_error(bench(tmp_path, labelled[0], "--column", "Nom"), "'Nom'", "columns found", "CompanyName")


def test_existing_plot_is_kept_without_force_and_replaced_with_it(labelled, tmp_path):
    (tmp_path / "bench.png").write_bytes(b"previous")

    assert_usage_error(bench(tmp_path, labelled[0], "--plot", "bench.png"), "bench.png", "--force")
    assert (tmp_path / "bench.png").read_bytes() == b"previous"

    result = bench(tmp_path, labelled[0], "--sizes", "100", "--queries", "2", "--plot", "bench.png", "--force", "-q")
    assert result.rc == 0, result.err
    assert (tmp_path / "bench.png").read_bytes().startswith(PNG_MAGIC)


def test_svg_plot(labelled, tmp_path):
    result = bench(tmp_path, labelled[0], "--sizes", "100", "--queries", "2", "--plot", "out/bench.svg", "-q")
    assert result.rc == 0, result.err
    assert b"<svg" in (tmp_path / "out" / "bench.svg").read_bytes()[:500]


def test_missing_truth_exits_2_naming_it(labelled, tmp_path):
    assert_usage_error(bench(tmp_path, labelled[0], "--truth", "truth.csv"), "truth.csv")


def test_truth_that_knows_none_of_the_ids_exits_2_before_timing(labelled, tmp_path):
    (tmp_path / "truth.csv").write_text("id,entity\nX1,1\nX2,1\n")

    result = bench(tmp_path, labelled[0], "--truth", "truth.csv", "--plot", "bench.png")

    assert_usage_error(result, "truth", "--id-column")
    assert not (tmp_path / "bench.png").exists()


def test_truth_missing_some_ids_warns_and_scores_the_rest(labelled, tmp_path):
    data, truth = labelled
    with open(truth, newline="") as f:
        rows = list(csv.reader(f))
    (tmp_path / "part.csv").write_text("\n".join(",".join(r) for r in rows[:-100]) + "\n")

    result = bench(tmp_path, data, "--sizes", "700", "--queries", "3", "--truth", "part.csv", "--json")

    assert result.rc == 0, result.err
    assert result.json()["unknown_ids"] == 100
    assert "Warning: 100 records" in result.err and "part.csv" in result.err


def test_truth_with_one_column_exits_1(labelled, tmp_path):
    (tmp_path / "truth.csv").write_text("id\n1\n")

    result = bench(tmp_path, labelled[0], "--truth", "truth.csv")

    assert result.rc == 1 and result.out == b""
    assert_one_error_line(result, "truth.csv", "two columns")


@pytest.mark.parametrize("content, needles", [
    ("", ["empty"]),
    ("CompanyName,CompanyNumber\n", ["at least 2 names", "has 0"]),
    ("CompanyName,CompanyNumber\nACME LTD,1\n,2\n", ["at least 2 names", "has 1"]),
], ids=["empty-file", "header-only", "one-name"])
def test_too_few_names_exit_1(tmp_path, content, needles):
    (tmp_path / "in.csv").write_text(content)

    result = bench(tmp_path, "in.csv")

    assert result.rc == 1 and result.out == b""
    assert_one_error_line(result, *needles)


def test_row_numbers_are_the_ids_without_an_id_column(tmp_path):
    names = ["ACME TRADING LTD", "ACME TRADING LIMITED", "ZEBRA FOODS LTD", "ZEBRA FOOD LTD", "QUUX PLC"]
    (tmp_path / "in.csv").write_text("Name\n" + "\n".join(names) + "\n")
    (tmp_path / "truth.csv").write_text("row,entity\n1,a\n2,a\n3,b\n4,b\n5,c\n")

    result = bench(tmp_path, "in.csv", "--column", "Name", "--sizes", "5", "--queries", "5", "--truth", "truth.csv",
                   "--json")

    assert result.rc == 0, result.err
    quality = result.json()["sizes"][0]["quality"]
    assert quality["pairs"]["actual"] == 2 and quality["largest_entity"] == 2
    assert quality["pairwise_queries"]["actual"] == 4  # the four records with a duplicate


# ---------------------------------------------------------------------------------- the library


def test_samples_are_nested_reproducible_and_share_their_queries():
    chosen, notes = samples(1000, [10, 100, 5000], 5, seed=3)
    again, _ = samples(1000, [5000, 100, 10], 5, seed=3)
    other, _ = samples(1000, [10, 100, 5000], 5, seed=4)

    assert [len(s.positions) for s in chosen] == [10, 100, 1000] and len(notes) == 1
    assert all(np.array_equal(a.positions, b.positions) for a, b in zip(chosen, again))
    assert not np.array_equal(chosen[1].positions, other[1].positions)
    for small, big in zip(chosen, chosen[1:]):
        assert set(small.positions) <= set(big.positions)
        assert list(small.positions[small.queries]) == list(big.positions[big.queries])  # the same query records
    assert all(list(s.positions) == sorted(s.positions) for s in chosen)  # file order


def test_sweep_by_filtering_equals_runs_at_each_threshold_without_top_n():
    from dataforge.synthetic import companies

    records = list(companies(400, seed=9, duplicate_rate=0.2))
    names = pd.Series([c.name for c in records])
    truth = pd.Series([c.entity for c in records], index=[c.number for c in records])
    ids = pd.Series([c.number for c in records])
    options = BenchOptions(sizes=(400,), queries=3, match=MatchOptions(top=0))

    result = run_bench(names, ids, options, truth=truth)

    for threshold, pairs, quality in result.sweep.thresholds:
        direct = find_matches(names, ids, options=MatchOptions(top=0, threshold=threshold))
        assert pairs == len(direct.pairs), threshold
        assert quality.predicted == len(direct.pairs)


def test_ctrl_c_exits_130_and_writes_no_plot(tmp_path):
    from tests.conftest import ROOT, interrupt_cli

    # 5,000 queries against 5,000 names: some 20 s of extractOne to interrupt
    sample = ROOT / "data" / "sample" / "companies.csv.gz"
    running, code, out, err = interrupt_cli("dedup", "bench", sample, "--sizes", "5000", "--queries", "5000",
                                            "--plot", "bench.png", after=2.5, cwd=tmp_path)

    assert running, "bench finished before the interrupt"
    assert code == 130, err
    assert err.decode().strip() == "Interrupted."
    assert out == b""
    assert os.listdir(tmp_path) == []
