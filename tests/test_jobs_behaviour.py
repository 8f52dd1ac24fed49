"""The four jobs' own promises: split stability, sample statistics, topn ties, --where."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from dataforge.jobs import MRFilter, MRSample, MRSplit, MRTopN, run_job
from dataforge.jobs.split import fraction_parts, md5_in_fraction

from conftest import read_jsonl


def write_lines(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


# --- split ---------------------------------------------------------------

@pytest.mark.parametrize("key, numer, denom, in_test", [
    # md5 values checked with coreutils md5sum, e.g. printf 0 | md5sum
    (0, 3, 10, True),            # cfcd2084... % 10 == 0
    (2280174543, 3, 10, True),   # d44f6cc5... % 10 == 1
    (None, 3, 10, False),        # str(None) = "None": 6adf97f8... % 10 == 6
    ("abc", 3, 10, True),        # 90015098... % 10 == 0
    (0, 25, 100, False),         # % 100 == 50
    (None, 25, 100, True),       # % 100 == 16
])
def test_md5_rule_on_hand_checked_keys(key, numer, denom, in_test):
    assert md5_in_fraction(key, numer, denom) is in_test


@pytest.mark.parametrize("text, parts", [(0.3, (3, 10)), (0.125, (125, 1000)), (0.30, (3, 10)),
                                         (1.0, (10, 10)), (0.0, (0, 10)), (1e-05, (1, 100000))])
def test_fraction_is_read_as_the_seed_reads_it(text, parts):
    assert fraction_parts(text) == parts


@pytest.mark.parametrize("runner", ["inline", "local"])
def test_split_is_a_partition_stable_across_runs_and_runners(postings, tmp_path, runner):
    sides = {}
    for attempt in ("a", "b"):
        run_job(MRSplit, ["--test-size", "0.3"], [str(postings)], str(tmp_path / attempt), runner=runner,
                split_dir=True)
        sides[attempt] = {s: (tmp_path / attempt / f"{s}.jsonl").read_bytes() for s in ("train", "test")}
    assert sides["a"] == sides["b"]
    train = sides["a"]["train"].splitlines()
    test = sides["a"]["test"].splitlines()
    source = postings.read_bytes().splitlines()
    assert sorted(train + test) == sorted(source)  # union is the input, nothing twice
    assert not set(train) & set(test)
    assert 0.25 < len(test) / len(source) < 0.35


def test_split_sides_are_identical_on_inline_and_local(postings, tmp_path):
    for runner in ("inline", "local"):
        run_job(MRSplit, ["--test-size", "0.4", "--key", "empId"], [str(postings)], str(tmp_path / runner),
                runner=runner, split_dir=True)
    for side in ("train", "test"):
        assert (tmp_path / "inline" / f"{side}.jsonl").read_bytes() == (tmp_path / "local" / f"{side}.jsonl").read_bytes()


def test_split_one_side_writes_only_that_side(postings, tmp_path):
    run_job(MRSplit, ["--test-size", "0.3"], [str(postings)], str(tmp_path / "both"), split_dir=True)
    run_job(MRSplit, ["--test-size", "0.3", "--split", "test"], [str(postings)], str(tmp_path / "test.jsonl"))
    assert (tmp_path / "test.jsonl").read_bytes() == (tmp_path / "both" / "test.jsonl").read_bytes()


def test_split_with_force_replaces_an_earlier_split_directory(postings, tmp_path):
    run_job(MRSplit, ["--test-size", "0.3"], [str(postings)], str(tmp_path / "parts"), split_dir=True)
    (tmp_path / "parts" / "test.jsonl").write_bytes(b"stale\n")
    run_job(MRSplit, ["--test-size", "0.3"], [str(postings)], str(tmp_path / "parts"), split_dir=True, force=True)
    assert sorted(p.name for p in (tmp_path / "parts").iterdir()) == ["test.jsonl", "train.jsonl"]
    assert b"stale" not in (tmp_path / "parts" / "test.jsonl").read_bytes()


def test_split_key_missing_counts_as_zero_and_nested_keys_work(tmp_path):
    src = write_lines(tmp_path / "in.jsonl", [{"a": 1}, {"org": {"id": "abc"}}, {"org": {"id": None}}])
    run_job(MRSplit, ["--test-size", "0.3", "--key", "org.id"], [str(src)], str(tmp_path / "out"), split_dir=True)
    test = read_jsonl(tmp_path / "out" / "test.jsonl")
    train = read_jsonl(tmp_path / "out" / "train.jsonl")
    assert test == [{"a": 1}, {"org": {"id": "abc"}}]  # keys 0 and "abc" fall in 3/10
    assert train == [{"org": {"id": None}}]             # key None -> "None" does not


def test_split_hashes_integers_beyond_64_bits_as_the_seed_does(tmp_path):
    big = 123456789012345678901234567890
    src = tmp_path / "in.jsonl"
    src.write_text(f'{{"jobId": {big}}}\n')
    run_job(MRSplit, ["--test-size", "0.5"], [str(src)], str(tmp_path / "out"), split_dir=True)
    side = "test" if md5_in_fraction(big, 5, 10) else "train"
    assert (tmp_path / "out" / f"{side}.jsonl").read_text() == src.read_text()


# --- sample --------------------------------------------------------------

def test_sample_fraction_is_within_binomial_tolerance(postings, tmp_path):
    n, p = 1500, 0.2
    sigma = math.sqrt(n * p * (1 - p))
    for seed in (1, 2, 3):
        summary = run_job(MRSample, ["--fraction", str(p), "--seed", str(seed)], [str(postings)], str(tmp_path / f"{seed}.jsonl"))
        assert abs(summary.written - n * p) < 4 * sigma
    unseeded = run_job(MRSample, ["--fraction", str(p)], [str(postings)], str(tmp_path / "u.jsonl"))
    assert abs(unseeded.written - n * p) < 4 * sigma


@pytest.mark.parametrize("mode", [["--fraction", "0.3"], ["--size", "40"]])
def test_sample_with_seed_is_the_same_on_every_run_and_runner(postings, tmp_path, mode):
    outputs = []
    for i, runner in enumerate(["inline", "local", "inline"]):
        out = tmp_path / f"{i}.jsonl"
        run_job(MRSample, [*mode, "--seed", "99"], [str(postings)], str(out), runner=runner)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
    other = tmp_path / "other.jsonl"
    run_job(MRSample, [*mode, "--seed", "100"], [str(postings)], str(other))
    assert other.read_bytes() != outputs[0]


def test_sample_with_seed_does_not_depend_on_how_input_is_split(postings, tmp_path):
    lines = postings.read_bytes().splitlines(keepends=True)
    (tmp_path / "parts").mkdir()
    for i in range(0, len(lines), 400):
        (tmp_path / "parts" / f"part-{i:05d}.jsonl").write_bytes(b"".join(lines[i:i + 400]))
    run_job(MRSample, ["--fraction", "0.3", "--seed", "5"], [str(postings)], str(tmp_path / "whole.jsonl"))
    run_job(MRSample, ["--fraction", "0.3", "--seed", "5"], [str(tmp_path / "parts")], str(tmp_path / "parts.jsonl"),
            runner="local")
    assert (tmp_path / "whole.jsonl").read_bytes() == (tmp_path / "parts.jsonl").read_bytes()


def test_sample_size_is_exact_distinct_and_from_the_input(postings, tmp_path):
    summary = run_job(MRSample, ["--size", "123"], [str(postings)], str(tmp_path / "s.jsonl"), runner="local")
    lines = (tmp_path / "s.jsonl").read_bytes().splitlines()
    assert summary.written == len(lines) == 123
    assert len(set(lines)) == 123
    assert set(lines) <= set(postings.read_bytes().splitlines())


def test_sample_size_larger_than_input_keeps_everything(tmp_path):
    src = write_lines(tmp_path / "in.jsonl", [{"i": i} for i in range(7)])
    run_job(MRSample, ["--size", "50", "--seed", "1"], [str(src)], str(tmp_path / "s.jsonl"))
    assert sorted(r["i"] for r in read_jsonl(tmp_path / "s.jsonl")) == list(range(7))


def test_sample_size_is_uniform_over_records(tmp_path):
    src = write_lines(tmp_path / "in.jsonl", [{"i": i} for i in range(20)])
    hits = [0] * 20
    for seed in range(300):
        run_job(MRSample, ["--size", "5", "--seed", str(seed)], [str(src)], str(tmp_path / "s.jsonl"), force=True)
        for record in read_jsonl(tmp_path / "s.jsonl"):
            hits[record["i"]] += 1
    # each record is chosen with probability 1/4: 75 of 300, sigma 7.5
    assert all(40 < h < 110 for h in hits), hits


# --- topn ----------------------------------------------------------------

def test_topn_ranks_mixed_numbers_and_strings_and_counts_the_rest(tmp_path):
    records = [
        {"id": 1, "pay": {"max": "100", "min": 5}},
        {"id": 2, "pay": {"max": 250.5, "min": "1"}},
        {"id": 3, "pay": {"max": " 99 ", "min": "7"}},
        {"id": 4, "pay": {"max": "Competitive", "min": "1"}},
        {"id": 5, "pay": {"max": None, "min": "1"}},
        {"id": 6, "pay": {"min": "1"}},
        {"id": 7, "pay": {"max": True, "min": 1}},
        {"id": 8, "pay": {"max": "NaN", "min": 1}},
    ]
    src = write_lines(tmp_path / "in.jsonl", records)
    summary = run_job(MRTopN, ["-n", "10", "--by", "pay.max", "--by", "pay.min"], [str(src)], str(tmp_path / "t.jsonl"))
    assert [r["id"] for r in read_jsonl(tmp_path / "t.jsonl")] == [2, 1, 3]
    assert summary.unranked == {"missing_value": 1, "non_numeric_value": 4}
    assert summary.skipped == {}


@pytest.mark.parametrize("runner", ["inline", "local"])
def test_topn_breaks_ties_the_same_way_whatever_the_input_order(tmp_path, runner):
    records = [{"id": i, "v": 10 if i % 3 else 20} for i in range(30)]
    forward = write_lines(tmp_path / "f.jsonl", records)
    backward = write_lines(tmp_path / "b.jsonl", records[::-1])
    run_job(MRTopN, ["-n", "12", "--by", "v"], [str(forward)], str(tmp_path / "f.out"), runner=runner)
    run_job(MRTopN, ["-n", "12", "--by", "v"], [str(backward)], str(tmp_path / "b.out"), runner=runner)
    out = read_jsonl(tmp_path / "f.out")
    assert (tmp_path / "f.out").read_bytes() == (tmp_path / "b.out").read_bytes()
    assert [r["v"] for r in out] == [20] * 10 + [10] * 2


def test_topn_with_n_larger_than_input_returns_all_sorted(tmp_path):
    src = write_lines(tmp_path / "in.jsonl", [{"v": v} for v in [3, 1, 2]])
    summary = run_job(MRTopN, ["-n", "100", "--by", "v", "--values"], [str(src)], str(tmp_path / "t.jsonl"))
    assert read_jsonl(tmp_path / "t.jsonl") == [[3.0], [2.0], [1.0]]
    assert summary.written == 3


def test_topn_map_tasks_send_at_most_n_each(postings, tmp_path):
    """Two map tasks over two files: the reducers' whole input is at most 2 x N lines."""
    other = tmp_path / "copy.jsonl"
    other.write_bytes(postings.read_bytes())
    job = MRTopN(["-r", "local", "--num-cores", "2", "-n", "3", str(postings), str(other)])
    with job.make_runner() as runner:
        runner.run()
        step = Path(runner._get_local_tmp_dir()) / "step" / "000"
        mapper_lines = [len(p.read_bytes().splitlines()) for p in step.glob("mapper/*/input")]
        reducer_lines = sum(len(p.read_bytes().splitlines()) for p in step.glob("reducer/*/input"))
    assert len(mapper_lines) >= 2 and sum(mapper_lines) == 3000
    assert reducer_lines <= 3 * len(mapper_lines)


# --- filter --where ------------------------------------------------------

WHERE_RECORDS = [
    {"id": 1, "title": "Data Scientist", "industry": "Retail", "loc": {"region": "CA"}, "pay": {"max": "150000"},
     "org": {"name": "Acme"}},
    {"id": 2, "title": "data analyst", "industry": "Finance", "loc": {"region": "NY"}, "pay": {"max": 200000},
     "org": {"name": ""}},
    {"id": 3, "title": 42, "loc": {"region": "CA"}, "pay": {"max": "n/a"}, "org": {}},
    {"id": 4, "title": None, "industry": "IT", "loc": {"region": "CA"}, "pay": {"max": 90000}, "tags": ["a", "b"]},
]


@pytest.mark.parametrize("args, ids", [
    (["--title", "data"], [1, 2]),
    (["--title", "DATA SCIENTIST"], [1]),
    (["--where", "loc.region=CA"], [1, 3, 4]),
    (["--where", "industry!=Retail"], [2, 3, 4]),
    (["--where", "title~data (scientist|analyst)"], [1, 2]),
    (["--where", "pay.max>=150000"], [1, 2]),
    (["--where", "pay.max<100000"], [4]),
    (["--where", "org.name?"], [1]),
    (["--where", "id=2"], [2]),
    (["--where", "title=null"], [4]),
    (["--where", "tags.1=b"], [4]),
    (["--where", "loc.region=CA", "--where", "pay.max>100000"], [1]),
    (["--title", "data", "--where", "loc.region=NY"], [2]),
    ([], [1, 2, 3, 4]),
])
def test_filter_title_and_where(tmp_path, args, ids):
    src = write_lines(tmp_path / "in.jsonl", WHERE_RECORDS)
    run_job(MRFilter, args, [str(src)], str(tmp_path / "out.jsonl"))
    assert [r["id"] for r in read_jsonl(tmp_path / "out.jsonl")] == ids
