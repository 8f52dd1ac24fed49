"""JSON that RFC 8259 accepts and orjson refuses is still read; integers compare exactly."""
from __future__ import annotations

import pytest

from dataforge.jobs.records import INVALID_JSON, parse_record
from dataforge.jobs.where import parse_condition

DEEP = b'{"a": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"


@pytest.mark.parametrize("line", [b'{"a": 1e400}', b'{"a": -1e400, "b": 1}', b'{"a": "\\ud800"}', DEEP],
                         ids=["huge", "huge-negative", "lone-surrogate", "10000-deep"])
def test_valid_json_orjson_refuses_is_kept(line):
    record, reason = parse_record(line)
    assert reason is None and isinstance(record, dict) and "a" in record


@pytest.mark.parametrize("line", [b'{"a": NaN}', b'{"a": Infinity}', b'{"a": [}', b'{"a": ' + b"[" * 5000 + b"}"])
def test_what_is_not_json_stays_invalid(line):
    assert parse_record(line) == (None, INVALID_JSON)


def test_big_integers_compare_exactly():
    equal = parse_condition("id=9007199254740992")
    assert not equal.matches({"id": 9007199254740993})
    assert equal.matches({"id": 9007199254740992}) and equal.matches({"id": "9007199254740992"})
    assert parse_condition("id!=9007199254740992").matches({"id": 9007199254740993})
    assert parse_condition("id>9007199254740992").matches({"id": 9007199254740993})
    assert not parse_condition("id<=9007199254740992").matches({"id": 9007199254740993})
    assert parse_condition("n=2").matches({"n": 2.0})  # 2 and 2.0 are the same number
    assert parse_condition("id=123456789012345678901234567890").matches({"id": 123456789012345678901234567890})


def test_a_job_keeps_the_lines_orjson_refuses(tmp_path):
    from dataforge.jobs import MRFilter, run_job

    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"title": "data", "x": 1e400}\n{"title": "data", "s": "\\ud800"}\n' + DEEP + b"\n")
    summary = run_job(MRFilter, [], [str(source)], str(tmp_path / "out.jsonl"), runner="inline")
    assert summary.read == summary.written == 3 and not any(summary.skipped.values())
    assert (tmp_path / "out.jsonl").read_bytes() == source.read_bytes()
