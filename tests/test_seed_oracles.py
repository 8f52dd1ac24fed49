"""Each job's result equals the seed script's on the same input, on inline and local runners."""
from __future__ import annotations

import json

import pytest

from dataforge.jobs import MRFilter, MRSample, MRSplit, MRTopN, run_job

from conftest import read_jsonl, run_seed


def canonical(records: list) -> list:
    """Records in a fixed order: mrjob's cat_output lists part files in os.walk
    order, so the seed scripts' output order is arbitrary."""
    return sorted(records, key=lambda r: json.dumps(r, sort_keys=True))


def in_input_order(records: list, source) -> bool:
    position = {r["jobId"]: i for i, r in enumerate(read_jsonl(source))}
    order = [position[r["jobId"]] for r in records]
    return order == sorted(order)

RUNNERS = ["inline", "local"]


@pytest.mark.parametrize("runner", RUNNERS)
def test_filter_keeps_the_seed_21_records(postings, tmp_path, runner):
    expected = run_seed("2.1_simple_filtering.py", [postings])
    out = tmp_path / "ds.jsonl"
    summary = run_job(MRFilter, ["--title", "data scientist"], [str(postings)], str(out), runner=runner)
    got = read_jsonl(out)
    assert len(expected) > 50
    assert canonical(got) == canonical(expected)
    assert in_input_order(got, postings)
    assert summary.written == len(expected)
    assert summary.read == 1500


@pytest.mark.parametrize("runner", RUNNERS)
def test_filter_output_lines_are_the_input_lines_byte_for_byte(postings, tmp_path, runner):
    out = tmp_path / "ds.jsonl"
    run_job(MRFilter, ["--title", "Data Scientist"], [str(postings)], str(out), runner=runner)
    input_lines = set(postings.read_bytes().splitlines())
    output_lines = out.read_bytes().splitlines()
    assert output_lines and all(line in input_lines for line in output_lines)


@pytest.mark.parametrize("runner", RUNNERS)
def test_split_matches_md5_rule_of_seed(postings, tmp_path, runner):
    seed_train = run_seed("2.3_train_test_splitting.py", [postings], "--test_size", "0.3", "--split", "train")
    seed_test = run_seed("2.3_train_test_splitting.py", [postings], "--test_size", "0.3", "--split", "test")
    summary = run_job(MRSplit, ["--test-size", "0.3"], [str(postings)], str(tmp_path / "split"),
                      runner=runner, split_dir=True)
    train = read_jsonl(tmp_path / "split" / "train.jsonl")
    test = read_jsonl(tmp_path / "split" / "test.jsonl")
    assert canonical(train) == canonical(seed_train)
    assert canonical(test) == canonical(seed_test)
    assert in_input_order(train, postings) and in_input_order(test, postings)
    assert summary.written_by_side == {"train": len(seed_train), "test": len(seed_test)}


@pytest.mark.parametrize("runner", RUNNERS)
def test_topn_values_equal_seed_31(postings, tmp_path, runner):
    expected = run_seed("3.1_top_n_value.py", [postings], "--top_n", "25")
    out = tmp_path / "top.jsonl"
    run_job(MRTopN, ["-n", "25", "--values"], [str(postings)], str(out), runner=runner)
    got = read_jsonl(out)
    assert got == sorted(expected, reverse=True)  # seed writes heap order; we write largest first


@pytest.mark.parametrize("runner", RUNNERS)
def test_topn_records_are_the_ones_with_the_seed_values(postings, tmp_path, runner):
    expected = sorted(map(tuple, run_seed("3.1_top_n_value.py", [postings], "--top_n", "10")), reverse=True)
    out = tmp_path / "top.jsonl"
    run_job(MRTopN, ["-n", "10"], [str(postings)], str(out), runner=runner)
    records = read_jsonl(out)
    values = [(float(r["estimatedSalary"]["value"]["maxValue"]), float(r["estimatedSalary"]["value"]["minValue"]))
              for r in records]
    assert values == expected


@pytest.mark.parametrize("fraction", ["0.0", "1.0"])
def test_sample_at_the_edges_equals_seed_22(postings, tmp_path, fraction):
    expected = run_seed("2.2_random_sampling.py", [postings], "--fraction", fraction)
    out = tmp_path / "s.jsonl"
    run_job(MRSample, ["--fraction", fraction], [str(postings)], str(out))
    assert canonical(read_jsonl(out)) == canonical(expected)
