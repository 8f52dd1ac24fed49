"""Spark, for real: the four jobs on mrjob's Spark runner and dedup's Spark engine, on a local[2] master.

Every result is compared with the local one on the same input.  The jobs run
through spark-submit (pyspark's), one Spark application a run; dedup shares
one SparkSession for the whole test session.  Without Java or pyspark these
tests fail under CI (which must run them) and are skipped elsewhere.
"""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import Result, assert_one_error_line, run_cli

from dataforge.cli import cli
from dataforge.dedup.match import find_matches, groups_of
from dataforge.dedup.options import MatchOptions
from dataforge.jobs import MRFilter, MRSample, MRSplit, MRTopN, run_job
from dataforge.spark_setup import SparkUnavailableError, find_java, require_pyspark

pytestmark = pytest.mark.spark
MASTER = "local[2]"


@pytest.fixture(scope="session")
def spark_ready() -> None:
    try:
        find_java()
        require_pyspark()
    except SparkUnavailableError as e:
        if os.environ.get("CI"):
            pytest.fail(f"CI runs the Spark tests, and cannot here: {e}")
        pytest.skip(str(e))


@pytest.fixture(scope="session")
def engine(spark_ready):
    """One SparkSession on local[2] for every dedup test (starting one takes seconds)."""
    from dataforge.dedup.spark import spark_engine

    with spark_engine(MASTER) as started:
        yield started


@pytest.fixture(scope="session")
def job_inputs(postings, tmp_path_factory) -> list[str]:
    """The postings and a second file with one of each kind of bad line among good ones."""
    good = postings.read_bytes().splitlines(keepends=True)
    path = tmp_path_factory.mktemp("spark-jobs") / "mixed.jsonl"
    path.write_bytes(b"".join(good[:20]) + b"\n{not json\n[1, 2]\n" + b"".join(good[20:40]))
    return [str(postings), str(path)]


def _run_both(job_class, args, inputs, tmp_path: Path, split_dir: bool = False):
    results = {}
    for runner, runner_args in (("inline", []), ("spark", ["--spark-master", MASTER])):
        out = tmp_path / runner
        summary = run_job(job_class, args, inputs, str(out), runner=runner, runner_args=runner_args,
                          split_dir=split_dir)
        files = sorted(out.iterdir()) if split_dir else [out]
        results[runner] = summary, {f.relative_to(out).as_posix(): f.read_bytes() for f in files}
    return results


@pytest.mark.parametrize("job_class, args, split_dir", [
    (MRFilter, ["--title", "data", "--where", "estimatedSalary.value.maxValue>=100000"], False),
    (MRSample, ["--fraction", "0.3", "--seed", "7"], False),
    (MRSample, ["--size", "25", "--seed", "7"], False),
    (MRSplit, ["--test-size", "0.3"], True),
], ids=["filter", "sample-fraction", "sample-size", "split"])
def test_job_on_spark_writes_what_inline_writes(spark_ready, job_inputs, tmp_path, job_class, args, split_dir):
    results = _run_both(job_class, args, job_inputs, tmp_path, split_dir)
    (inline, inline_files), (spark, spark_files) = results["inline"], results["spark"]
    assert spark_files == inline_files
    assert any(spark_files.values())
    assert spark.runner == "spark"
    assert (spark.read, spark.written, spark.written_by_side, spark.skipped) == \
        (inline.read, inline.written, inline.written_by_side, inline.skipped)
    assert spark.skipped == {"blank": 1, "invalid_json": 1, "not_object": 1}
    # Spark's harness does not say which file a task read (docs/jobs.md), only the line in its split
    assert inline.first_skip.endswith("mixed.jsonl:21 (blank)") and spark.first_skip.endswith(":21 (blank)")


def test_topn_cli_on_spark_writes_what_inline_writes(spark_ready, job_inputs, tmp_path):
    outputs = {}
    for runner in ("inline", "spark"):
        extra = ["--spark-master", MASTER] if runner == "spark" else []
        done = run_cli("jobs", "topn", *job_inputs, "-n", "15", "-r", runner, *extra, "--json",
                       "-o", tmp_path / f"{runner}.jsonl", cwd=tmp_path)
        assert done.returncode == 0, done.stderr.decode()
        outputs[runner] = (tmp_path / f"{runner}.jsonl").read_bytes(), json.loads(done.stdout)
    (inline, inline_summary), (spark, spark_summary) = outputs["inline"], outputs["spark"]
    assert spark == inline and len(spark.splitlines()) == 15
    assert spark_summary["runner"] == "spark"
    for key in ("read", "written", "skipped", "unranked"):
        assert spark_summary[key] == inline_summary[key]


# --- dedup ------------------------------------------------------------------------------


def _companies(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)


@pytest.mark.parametrize("kernel", ["brute", "pruned"])
def test_dedup_spark_engine_pairs_and_groups_equal_the_local_engine(engine, companies_csv, kernel):
    frame = _companies(companies_csv)
    names, ids = frame["CompanyName"], frame["CompanyNumber"]
    options = MatchOptions(block_rows=256, kernel=kernel)  # 11 kernel blocks: several tasks on both executors
    local = find_matches(names, ids, options=options)
    spark = find_matches(names, ids, options=options, product=engine.top_n_pairs)
    assert len(local.pairs) > 1000
    # brute: the tasks' blocks are the local engine's own blocks; pruned: each task is given the whole
    # product's common/rare split, so it sums every score's terms as the local self-join does
    pd.testing.assert_frame_equal(spark.pairs, local.pairs, check_exact=True)
    pd.testing.assert_frame_equal(groups_of(spark, names, ids), groups_of(local, names, ids))


def _same_pairs(spark: pd.DataFrame, local: pd.DataFrame) -> None:
    """The same pairs, names and ids, and the same bits of every score (the tasks are given the whole
    product's common/rare split)."""
    keys = ["left_id", "right_id"]
    spark, local = (f.sort_values(keys, kind="stable").reset_index(drop=True) for f in (spark, local))
    pd.testing.assert_frame_equal(spark, local, check_exact=True)


def test_dedup_spark_engine_against_a_master_list_equals_the_local_engine(engine, companies_csv):
    frame = _companies(companies_csv)
    new, master = frame.iloc[:1000].reset_index(drop=True), frame.iloc[1000:].reset_index(drop=True)
    args = dict(against=master["CompanyName"], against_ids=master["CompanyNumber"],
                options=MatchOptions(threshold=0.5, top=3, block_rows=128, kernel="pruned"))
    local = find_matches(new["CompanyName"], new["CompanyNumber"], **args)
    spark = find_matches(new["CompanyName"], new["CompanyNumber"], product=engine.top_n_pairs, **args)
    assert len(local.pairs) > 100
    _same_pairs(spark.pairs, local.pairs)
    assert (groups_of(spark, new["CompanyName"], new["CompanyNumber"], against=args["against"],
                      against_ids=args["against_ids"])
            .equals(groups_of(local, new["CompanyName"], new["CompanyNumber"], against=args["against"],
                              against_ids=args["against_ids"])))


def test_row_ranges_cover_every_row_once_in_whole_blocks():
    from dataforge.dedup.spark import row_ranges

    for n, block, tasks in [(1, 4096, 4), (10_000, 256, 4), (10_000, 4096, 8), (4096 * 3, 4096, 2)]:
        ranges = row_ranges(n, block, tasks)
        assert ranges[0][0] == 0 and ranges[-1][1] == n
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
        assert all((stop - start) % block == 0 for start, stop in ranges[:-1])
        assert len(ranges) <= tasks


def _invoke(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    return Result(result.exit_code, result.stdout_bytes, result.stderr)


def test_dedup_cli_spark_engine_reads_and_writes_hadoop_paths_as_the_local_engine_writes(
        engine, companies_csv, tmp_path):
    local = _invoke("dedup", "match", str(companies_csv), "-o", str(tmp_path / "local.csv"),
                    "--groups", str(tmp_path / "local-groups.csv"), "--json")
    assert local.rc == 0, local.err
    # in this process the engine's session is active, so the CLI runs on it
    spark = _invoke("dedup", "match", f"file://{companies_csv}", "--engine", "spark", "--spark-master", MASTER,
                    "-o", f"file://{tmp_path}/spark.csv.gz", "--groups", str(tmp_path / "spark-groups.csv"),
                    "--json")
    assert spark.rc == 0, spark.err
    for key in ("rows", "distinct_names", "pairs", "groups"):
        assert local.json()[key] == spark.json()[key]
    assert gzip.decompress((tmp_path / "spark.csv.gz").read_bytes()) == (tmp_path / "local.csv").read_bytes()
    assert (tmp_path / "spark-groups.csv").read_bytes() == (tmp_path / "local-groups.csv").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["local-groups.csv", "local.csv", "spark-groups.csv",
                                                           "spark.csv.gz"]  # no .crc, no temporaries

    again = _invoke("dedup", "match", f"file://{companies_csv}", "--engine", "spark",
                    "-o", f"file://{tmp_path}/spark.csv.gz")
    assert again.rc == 2 and "output exists" in again.err


def test_hadoop_filesystem_lists_a_directorys_files_skipping_hidden_ones_as_hadoop_does(engine, tmp_path):
    from dataforge.errors import InputPathError

    for name in ("b.csv", "sub/a.csv", "_SUCCESS", ".a.csv.crc", "sub/_temporary/x.csv", ".hidden/y.csv"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("CompanyName\nACME\n")

    found = engine.filesystem.list_inputs(f"file://{tmp_path}")

    assert [Path(f.split(":", 1)[1]).relative_to(tmp_path).as_posix() for f in found] == ["b.csv", "sub/a.csv"]
    with pytest.raises(InputPathError, match="input not found"):
        engine.filesystem.list_inputs(f"file://{tmp_path}/missing.csv")


# --- bad input: found before any work (no JVM starts) ---------------------------------------


def test_spark_master_without_spark_is_a_usage_error(companies_csv, postings, tmp_path):
    dedup = _invoke("dedup", "match", str(companies_csv), "--spark-master", MASTER, "-o", str(tmp_path / "p.csv"))
    assert dedup.rc == 2 and "--spark-master needs --engine spark" in dedup.err
    jobs = _invoke("jobs", "filter", str(postings), "--spark-master", MASTER, "-o", str(tmp_path / "f.jsonl"))
    assert jobs.rc == 2 and "--spark-master needs -r spark" in jobs.err


def test_hadoop_paths_need_the_spark_engine(tmp_path):
    result = _invoke("dedup", "match", "hdfs:///data/companies.csv", "-o", str(tmp_path / "p.csv"))
    assert result.rc == 2 and "need --engine spark" in result.err
    assert not (tmp_path / "p.csv").exists()


@pytest.mark.parametrize("command", [["dedup", "match", "{csv}", "--engine", "spark", "-o", "{out}"],
                                     ["jobs", "filter", "{jsonl}", "-r", "spark", "-o", "{out}"]])
def test_bad_master_url_is_one_line_and_exit_1(command, companies_csv, postings, tmp_path):
    args = [a.format(csv=companies_csv, jsonl=postings, out=tmp_path / "out") for a in command]
    done = run_cli(*args, "--spark-master", "spark:/nohost", cwd=tmp_path)
    result = Result(done.returncode, done.stdout, done.stderr.decode())
    assert result.rc == 1
    assert_one_error_line(result, "'spark:/nohost' is not a Spark master URL")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", [["dedup", "match", "{csv}", "--engine", "spark", "-o", "{out}"],
                                     ["jobs", "filter", "{jsonl}", "-r", "spark", "-o", "{out}"]])
def test_missing_java_is_one_line_and_exit_1(command, companies_csv, postings, tmp_path):
    args = [a.format(csv=companies_csv, jsonl=postings, out=tmp_path / "out") for a in command]
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = str(Path(sys.executable).parent)  # the virtualenv's scripts, and no java
    done = subprocess.run([str(Path(sys.executable).parent / "dataforge"), *args], capture_output=True,
                          env=env, cwd=tmp_path, stdin=subprocess.DEVNULL)
    result = Result(done.returncode, done.stdout, done.stderr.decode())
    assert result.rc == 1
    assert_one_error_line(result, "Spark needs Java", "JAVA_HOME")
    assert not (tmp_path / "out").exists()


def test_a_failing_task_is_one_line_naming_the_python_error(engine):
    import scipy.sparse as sp

    from dataforge.errors import JobFailedError

    left, right = sp.csr_matrix(([1.0, 1.0], ([0, 1], [0, 1])), shape=(2, 2)), sp.csr_matrix((3, 3))
    with pytest.raises(JobFailedError) as failed:
        engine.top_n_pairs(left, right, 10, 0.5, kernel="brute")  # the task's product refuses the shapes
    message = str(failed.value)
    assert message.startswith(f"Spark job failed on {MASTER}: ValueError") and "\n" not in message
