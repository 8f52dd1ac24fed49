"""Bad input through the installed ``dataforge`` console script, as a user meets it.

Every test runs the real console script in a subprocess, on real files in
pytest's ``tmp_path``, and checks the exit code together with what was
printed (one ``Error:`` line, no traceback), what was written (or that nothing
was, temporary files included), and the ``--json`` summary.

mrjob's own scratch directories go to ``TMPDIR``, which each run points at
``tmp_path / "_scratch"`` so that they stay out of the system's /tmp and can be
checked for leftovers.

Tests named for a failure mode (corrupt or truncated .gz, --where crashes,
leftover temp directories, kill -INT) were each written against a bug that
dataforge then fixed.
"""
from __future__ import annotations

import bz2
import gzip
import json
import os
import pty
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import (SCRATCH, Result, assert_one_error_line, assert_usage_error, console, run_cli,
                            temp_leftovers)

DATAFORGE = str(Path(sys.executable).parent / "dataforge")


# --------------------------------------------------------------------------- helpers


def _env(cwd: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATAFORGE_DEBUG"}
    scratch = cwd / SCRATCH
    scratch.mkdir(exist_ok=True)
    env["TMPDIR"] = str(scratch)
    env.update(extra or {})
    return env


def run(cwd: Path, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> Result:
    """``dataforge ARGS`` in-process (conftest.run_cli) in *cwd*, TMPDIR in its scratch folder."""
    (cwd / SCRATCH).mkdir(exist_ok=True)
    done = run_cli(*args, input=stdin, cwd=cwd, env=env)
    return Result(done.returncode, done.stdout, done.stderr.decode("utf-8", "replace"))


def jsonl(*records: dict) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def out_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def canon(records) -> list[str]:
    """Order-free comparison of records (several inputs are not concatenated in order)."""
    return sorted(json.dumps(r, sort_keys=True) for r in records)


def scratch_leftovers(cwd: Path) -> list[str]:
    scratch = cwd / SCRATCH
    return sorted(os.listdir(scratch)) if scratch.exists() else []


def visible(directory: Path) -> set[str]:
    return {n for n in os.listdir(directory) if n != SCRATCH}




def assert_first_skip(summary: dict, location: str, reason: str) -> None:
    """first_skip names exactly ``file:line`` (line 9 must not pass for line 90)."""
    first = summary["first_skip"]
    assert first is not None
    assert re.match(rf"^{re.escape(location)}(\s|$)", first), f"first_skip {first!r}, expected {location}"
    assert reason in first


GOOD = [{"title": "Data Scientist", "i": 0}, {"title": "Nurse", "i": 1}, {"title": "data scientist II", "i": 2}]


# ------------------------------------------------------------- skipped lines and counts


def test_malformed_lines_are_skipped_and_counted_by_reason(tmp_path):
    huge = {"title": "Data Scientist", "description": "x" * (2 * 1024 * 1024)}
    lines = [
        json.dumps(GOOD[0]).encode(),        # 1
        b'{"title": "trunc',                 # 2  truncated JSON: the first bad line is not line 1
        b"",                                 # 3  blank
        b"   \t",                            # 4  whitespace only counts as blank
        b"[1,2]",                            # 5  not an object
        b'"x"',                              # 6
        b"3",                                # 7
        b'{"title": "caf\xe9"}',             # 8  latin-1 byte: invalid UTF-8
        b"{not json at all}",                # 9
        json.dumps({"title": 42}).encode(),  # 10 wrong types are records, not bad lines
        json.dumps({"title": None}).encode(),
        json.dumps({"title": ["Data Scientist"]}).encode(),
        json.dumps(huge).encode(),           # 13 a 2 MB field
        json.dumps(GOOD[1]).encode(),
    ]
    write(tmp_path / "in.jsonl", b"\n".join(lines) + b"\n")

    result = run(tmp_path, "jobs", "filter", "in.jsonl", "-o", "out.jsonl", "--json")

    assert result.rc == 0, result.err
    assert "Traceback" not in result.err
    summary = result.json()
    assert summary["read"] == 14
    assert summary["skipped"] == {"blank": 2, "invalid_json": 2, "not_object": 3, "invalid_utf8": 1}
    assert summary["written"] == 6
    assert_first_skip(summary, "in.jsonl:2", "invalid_json")
    kept = {0, 9, 10, 11, 12, 13}  # 0-based indexes of the lines that are JSON objects
    # kept lines are the input lines byte for byte, the 2 MB one included
    assert sorted((tmp_path / "out.jsonl").read_bytes().splitlines()) == sorted(lines[i] for i in kept)


def test_skipped_lines_are_reported_as_one_warning_on_stderr(tmp_path):
    write(tmp_path / "in.jsonl", jsonl(GOOD[0]) + b"[1]\n" + jsonl(GOOD[1]) + b"oops\n")

    result = run(tmp_path, "jobs", "filter", "in.jsonl", "-o", "out.jsonl")

    assert result.rc == 0
    warnings = [line for line in result.err.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1
    assert "skipped 2 lines" in warnings[0] and "in.jsonl:2" in warnings[0]
    assert result.out == b""


def test_title_filter_survives_numeric_null_list_and_object_titles(tmp_path):
    records = [{"title": 42}, {"title": None}, {"title": ["data scientist"]}, {"title": {"en": "data scientist"}},
               {"no_title": True}, {"title": "Senior DATA SCIENTIST"}, {"title": True}]
    write(tmp_path / "in.jsonl", jsonl(*records))

    result = run(tmp_path, "jobs", "filter", "in.jsonl", "--title", "data scientist", "-o", "out.jsonl", "--json")

    assert result.rc == 0, result.err
    summary = result.json()
    assert (summary["read"], summary["written"], summary["skipped"]) == (7, 1, {})
    assert out_records(tmp_path / "out.jsonl") == [{"title": "Senior DATA SCIENTIST"}]


@pytest.mark.parametrize("runner", ["inline", "local"])
def test_first_skip_names_the_second_input_and_its_line_across_map_splits(tmp_path, runner):
    write(tmp_path / "clean.jsonl", jsonl(*GOOD))
    # 100 lines: the local runner splits this file over two map tasks, so line
    # 90 is counted inside the second split and must be turned back into 90
    bad = [json.dumps({"title": "t", "i": i}).encode() for i in range(100)]
    bad[89] = b"[89]"
    bad[95] = b"{bad"
    write(tmp_path / "second.jsonl", b"\n".join(bad) + b"\n")

    result = run(tmp_path, "jobs", "filter", "clean.jsonl", "second.jsonl", "-o", "out.jsonl", "--json", "-r", runner)

    assert result.rc == 0, result.err
    summary = result.json()
    assert summary["runner"] == runner
    assert summary["read"] == 103
    assert summary["written"] == 101
    assert summary["skipped"] == {"invalid_json": 1, "not_object": 1}
    assert_first_skip(summary, "second.jsonl:90", "not_object")
    assert summary["inputs"] == ["clean.jsonl", "second.jsonl"]


def test_first_skip_prefers_the_earlier_input_over_an_earlier_line(tmp_path):
    write(tmp_path / "a.jsonl", jsonl(*GOOD, *GOOD) + b"\n" + jsonl(GOOD[0]))  # blank on line 7
    write(tmp_path / "b.jsonl", jsonl(GOOD[0]) + b"[1]\n")                     # not_object on line 2

    result = run(tmp_path, "jobs", "filter", "a.jsonl", "b.jsonl", "-o", "out.jsonl", "--json")

    assert result.rc == 0
    summary = result.json()
    assert summary["skipped"] == {"blank": 1, "not_object": 1}
    assert_first_skip(summary, "a.jsonl:7", "blank")


@pytest.mark.parametrize("how, runner", [("dash", "inline"), ("no_input", "inline"), ("dash", "local")])
def test_first_skip_line_number_for_stdin_counts_from_the_start_of_the_stream(tmp_path, how, runner):
    # (was wrong before 811c5e4: the line inside a later split was reported, 15 for 90)
    lines = [json.dumps({"title": "t", "i": i}).encode() for i in range(100)]
    lines[89] = b"[89]"

    args = ["-"] if how == "dash" else []
    result = run(tmp_path, "jobs", "filter", *args, "-o", "out.jsonl", "--json", "-r", runner,
                 stdin=b"\n".join(lines) + b"\n")

    assert result.rc == 0
    summary = result.json()
    assert summary["skipped"] == {"not_object": 1}
    assert_first_skip(summary, "<stdin>:90", "not_object")


# ------------------------------------------------------------------------------ --strict


@pytest.mark.parametrize("bad_line, reason", [
    (b"", "blank"), (b"[1, 2]", "not_object"), (b'{"title": "caf\xe9"}', "invalid_utf8"), (b'{"title": ', "invalid_json"),
])
def test_strict_with_any_skipped_line_exits_1_and_writes_nothing(tmp_path, bad_line, reason):
    write(tmp_path / "in.jsonl", jsonl(GOOD[0], GOOD[1]) + bad_line + b"\n" + jsonl(GOOD[2]))

    result = run(tmp_path, "jobs", "filter", "in.jsonl", "-o", "out.jsonl", "--strict")

    assert result.rc == 1
    line = assert_one_error_line(result, "--strict", "in.jsonl:3", reason)
    assert "nothing written" in line
    assert visible(tmp_path) == {"in.jsonl"}
    assert temp_leftovers(tmp_path) == []


def test_strict_failure_leaves_an_existing_output_untouched_even_with_force(tmp_path):
    write(tmp_path / "in.jsonl", jsonl(GOOD[0]) + b"not json\n")
    write(tmp_path / "out.jsonl", b"previous result\n")

    result = run(tmp_path, "jobs", "filter", "in.jsonl", "-o", "out.jsonl", "--strict", "--force")

    assert result.rc == 1
    assert_one_error_line(result, "--strict")
    assert (tmp_path / "out.jsonl").read_bytes() == b"previous result\n"
    assert temp_leftovers(tmp_path) == []


def test_strict_with_stdout_output_prints_no_records(tmp_path):
    write(tmp_path / "in.jsonl", jsonl(*GOOD) + b"3\n")

    result = run(tmp_path, "jobs", "filter", "in.jsonl", "-o", "-", "--strict")

    assert result.rc == 1
    assert result.out == b""
    assert_one_error_line(result, "--strict", "in.jsonl:4")


def test_strict_split_writes_no_directory(tmp_path):
    write(tmp_path / "in.jsonl", jsonl(*GOOD) + b"\n")

    result = run(tmp_path, "jobs", "split", "in.jsonl", "--test-size", "0.3", "-o", "parts", "--strict")

    assert result.rc == 1
    assert_one_error_line(result, "--strict", "in.jsonl:4", "blank")
    assert visible(tmp_path) == {"in.jsonl"}
    assert temp_leftovers(tmp_path) == []


def test_strict_with_clean_input_exits_0_and_writes_everything(tmp_path):
    write(tmp_path / "in.jsonl", jsonl(*GOOD))

    result = run(tmp_path, "jobs", "filter", "in.jsonl", "-o", "out.jsonl", "--strict", "--json")

    assert result.rc == 0, result.err
    summary = result.json()
    assert (summary["read"], summary["written"], summary["skipped"], summary["first_skip"]) == (3, 3, {}, None)
    assert canon(out_records(tmp_path / "out.jsonl")) == canon(GOOD)


# ------------------------------------------------------------------------- input paths


def test_missing_input_exits_2_naming_the_path(tmp_path):
    write(tmp_path / "here.jsonl", jsonl(*GOOD))

    result = run(tmp_path, "jobs", "filter", "here.jsonl", "not-here.jsonl", "-o", "out.jsonl")

    assert result.rc == 2
    assert_one_error_line(result, "not-here.jsonl")
    assert visible(tmp_path) == {"here.jsonl"}


def test_missing_input_error_is_printed_even_with_quiet(tmp_path):
    result = run(tmp_path, "jobs", "topn", "nope.jsonl", "-o", "out.jsonl", "--quiet")

    assert result.rc == 2
    assert_one_error_line(result, "nope.jsonl")


def test_glob_matching_nothing_exits_2_naming_the_glob(tmp_path):
    write(tmp_path / "data" / "a.json", jsonl(*GOOD))  # exists, but does not match the pattern

    result = run(tmp_path, "jobs", "filter", "data/*.jsonl", "-o", "out.jsonl")  # one argv element: no shell

    assert result.rc == 2
    assert_one_error_line(result, "data/*.jsonl")
    assert not (tmp_path / "out.jsonl").exists()


def test_broken_symlink_input_exits_2_naming_the_path(tmp_path):
    (tmp_path / "dangling.jsonl").symlink_to(tmp_path / "gone" / "target.jsonl")

    result = run(tmp_path, "jobs", "filter", "dangling.jsonl", "-o", "out.jsonl")

    assert result.rc == 2
    assert_one_error_line(result, "dangling.jsonl")
    assert not (tmp_path / "out.jsonl").exists()


def test_broken_symlink_inside_a_directory_input_exits_2_naming_it(tmp_path):
    write(tmp_path / "data" / "good.jsonl", jsonl(*GOOD))
    (tmp_path / "data" / "bad.jsonl").symlink_to(tmp_path / "nowhere.jsonl")

    result = run(tmp_path, "jobs", "sample", "data", "--fraction", "0.5", "-o", "out.jsonl")

    assert result.rc == 2
    assert_one_error_line(result, os.path.join("data", "bad.jsonl"))
    assert not (tmp_path / "out.jsonl").exists()


def test_directory_holding_only_hidden_files_exits_2(tmp_path):
    write(tmp_path / "data" / "_SUCCESS", b"")
    write(tmp_path / "data" / ".part-00000.crc", b"crc")
    write(tmp_path / "data" / ".hidden" / "a.jsonl", jsonl(*GOOD))

    result = run(tmp_path, "jobs", "filter", "data", "-o", "out.jsonl")

    assert result.rc == 2
    assert_one_error_line(result, "data")


def test_reading_stdin_twice_is_a_usage_error(tmp_path):
    result = run(tmp_path, "jobs", "filter", "-", "-", "-o", "out.jsonl", stdin=jsonl(*GOOD))

    assert result.rc == 2
    assert_one_error_line(result, "standard input")
    assert not (tmp_path / "out.jsonl").exists()


# ---------------------------------------------------------------- empty input and BOM


def test_empty_input_file_writes_an_empty_output_and_counts_zero(tmp_path):
    write(tmp_path / "empty.jsonl", b"")

    result = run(tmp_path, "jobs", "filter", "empty.jsonl", "-o", "out.jsonl", "--json")

    assert result.rc == 0, result.err
    summary = result.json()
    assert (summary["read"], summary["written"], summary["skipped"], summary["first_skip"]) == (0, 0, {}, None)
    assert (tmp_path / "out.jsonl").read_bytes() == b""


def test_utf8_bom_on_the_first_line_is_parsed_and_not_copied_to_the_output(tmp_path):
    write(tmp_path / "bom.jsonl", b"\xef\xbb\xbf" + jsonl({"title": "Data Scientist", "i": 1}, {"title": "Nurse"}))

    result = run(tmp_path, "jobs", "filter", "bom.jsonl", "--title", "data", "-o", "out.jsonl", "--json")

    assert result.rc == 0, result.err
    summary = result.json()
    assert (summary["read"], summary["written"], summary["skipped"]) == (2, 1, {})
    assert (tmp_path / "out.jsonl").read_bytes() == b'{"title": "Data Scientist", "i": 1}\n'


# ----------------------------------------------------------------------- input forms


def test_gzip_and_bz2_inputs_are_decompressed(tmp_path):
    gz_records = [{"title": "Data Scientist", "i": i} for i in range(5)]
    bz_records = [{"title": "Data Engineer", "i": i} for i in range(4)]
    write(tmp_path / "a.jsonl.gz", gzip.compress(jsonl(*gz_records[:3]) + b"[1]\n" + jsonl(*gz_records[3:])))
    write(tmp_path / "b.jsonl.bz2", bz2.compress(jsonl(*bz_records)))

    result = run(tmp_path, "jobs", "filter", "a.jsonl.gz", "b.jsonl.bz2", "-o", "out.jsonl", "--json")

    assert result.rc == 0, result.err
    summary = result.json()
    assert (summary["read"], summary["written"], summary["skipped"]) == (10, 9, {"not_object": 1})
    assert_first_skip(summary, "a.jsonl.gz:4", "not_object")  # lines of the decompressed text
    assert canon(out_records(tmp_path / "out.jsonl")) == canon(gz_records + bz_records)


def test_directory_input_is_recursive_and_ignores_hidden_and_success_files(tmp_path):
    top = [{"title": "top", "i": i} for i in range(3)]
    nested = [{"title": "nested", "i": i} for i in range(2)]
    write(tmp_path / "data" / "part-00000", jsonl(*top))
    write(tmp_path / "data" / "sub" / "deeper" / "part-00001.gz", gzip.compress(jsonl(*nested)))
    write(tmp_path / "data" / "_SUCCESS", b"")
    write(tmp_path / "data" / ".part-00000.crc", b"\x00\x01binary")
    write(tmp_path / "data" / "sub" / ".hidden.jsonl", jsonl({"title": "hidden file"}))
    write(tmp_path / "data" / "_logs" / "log.jsonl", jsonl({"title": "underscore dir"}))
    write(tmp_path / "data" / ".git" / "x.jsonl", jsonl({"title": "hidden dir"}))

    result = run(tmp_path, "jobs", "filter", "data", "-o", "out.jsonl", "--json")

    assert result.rc == 0, result.err
    summary = result.json()
    assert summary["inputs"] == [os.path.join("data", "part-00000"),
                                 os.path.join("data", "sub", "deeper", "part-00001.gz")]
    assert (summary["read"], summary["written"], summary["skipped"]) == (5, 5, {})
    assert canon(out_records(tmp_path / "out.jsonl")) == canon(top + nested)


def test_quoted_glob_input_is_expanded_by_dataforge(tmp_path):
    a = [{"title": "a", "i": i} for i in range(3)]
    b = [{"title": "b", "i": i} for i in range(2)]
    write(tmp_path / "logs" / "2024-01.jsonl", jsonl(*a))
    write(tmp_path / "logs" / "deep" / "2024-02.jsonl", jsonl(*b))
    write(tmp_path / "logs" / "notes.txt", b"not json, and not matched\n")

    result = run(tmp_path, "jobs", "filter", "logs/**/*.jsonl", "-o", "out.jsonl", "--json")

    assert result.rc == 0, result.err
    summary = result.json()
    assert sorted(summary["inputs"]) == [os.path.join("logs", "2024-01.jsonl"),
                                         os.path.join("logs", "deep", "2024-02.jsonl")]
    assert (summary["read"], summary["written"], summary["skipped"]) == (5, 5, {})
    assert canon(out_records(tmp_path / "out.jsonl")) == canon(a + b)


@pytest.mark.parametrize("args", [["-"], []], ids=["dash", "no_input"])
def test_piped_stdin_is_read(tmp_path, args):
    records = [{"title": "Data Scientist", "i": i} for i in range(6)]

    result = run(tmp_path, "jobs", "filter", *args, "-o", "out.jsonl", "--json",
                 stdin=jsonl(*records[:4]) + b"\n" + jsonl(*records[4:]))

    assert result.rc == 0, result.err
    summary = result.json()
    assert summary["inputs"] == ["<stdin>"]
    assert (summary["read"], summary["written"], summary["skipped"]) == (7, 6, {"blank": 1})
    assert summary["first_skip"].startswith("<stdin>:")
    assert canon(out_records(tmp_path / "out.jsonl")) == canon(records)


def test_no_input_with_a_terminal_on_stdin_exits_2_instead_of_hanging(tmp_path):
    master, slave = pty.openpty()
    try:
        started = time.monotonic()
        proc = subprocess.run([DATAFORGE, "jobs", "filter", "-o", "out.jsonl"], cwd=tmp_path, stdin=slave,
                              capture_output=True, timeout=30, env=_env(tmp_path))
    finally:
        os.close(slave)
        os.close(master)
    result = Result(proc.returncode, proc.stdout, proc.stderr.decode())
    assert result.rc == 2
    assert_one_error_line(result, "no INPUT", "standard input")
    assert time.monotonic() - started < 30
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize("runner", ["inline", "local"])
def test_filter_keeps_the_input_order_of_a_single_file(tmp_path, runner):
    # (was shuffled before 40f25f5: mrjob's cat_output reads part files in directory order)
    records = [{"title": "t", "i": i} for i in range(200)]
    write(tmp_path / "in.jsonl", jsonl(*records))

    result = run(tmp_path, "jobs", "filter", "in.jsonl", "-o", "out.jsonl", "-r", runner)

    assert result.rc == 0
    assert [r["i"] for r in out_records(tmp_path / "out.jsonl")] == list(range(200))


# ---------------------------------------------------------------------------- outputs


def test_existing_output_exits_2_and_is_left_unchanged(tmp_path):
    write(tmp_path / "in.jsonl", jsonl(*GOOD))
    write(tmp_path / "out.jsonl", b"keep me\n")

    result = run(tmp_path, "jobs", "filter", "in.jsonl", "-o", "out.jsonl", "--json")

    assert result.rc == 2
    assert_one_error_line(result, "out.jsonl", "--force")
    assert result.out == b""  # no summary: nothing ran
    assert (tmp_path / "out.jsonl").read_bytes() == b"keep me\n"
    assert scratch_leftovers(tmp_path) == []  # refused before mrjob made a working directory


def test_force_replaces_an_existing_output(tmp_path):
    write(tmp_path / "in.jsonl", jsonl(*GOOD))
    write(tmp_path / "out.jsonl", b"old\n" * 1000)

    result = run(tmp_path, "jobs", "filter", "in.jsonl", "--title", "data", "-o", "out.jsonl", "--force")

    assert result.rc == 0, result.err
    assert canon(out_records(tmp_path / "out.jsonl")) == canon([GOOD[0], GOOD[2]])
    assert temp_leftovers(tmp_path) == []


def test_split_refuses_an_existing_non_empty_directory_without_force(tmp_path):
    write(tmp_path / "in.jsonl", jsonl(*GOOD))
    write(tmp_path / "parts" / "mine.txt", b"not dataforge's\n")

    result = run(tmp_path, "jobs", "split", "in.jsonl", "--test-size", "0.3", "-o", "parts")

    assert result.rc == 2
    assert_one_error_line(result, "parts", "--force")
    assert os.listdir(tmp_path / "parts") == ["mine.txt"]
    assert (tmp_path / "parts" / "mine.txt").read_bytes() == b"not dataforge's\n"


def test_split_accepts_an_existing_empty_directory(tmp_path):
    records = [{"jobId": i, "title": "t"} for i in range(50)]
    write(tmp_path / "in.jsonl", jsonl(*records))
    (tmp_path / "parts").mkdir()

    result = run(tmp_path, "jobs", "split", "in.jsonl", "--test-size", "0.3", "-o", "parts", "--json")

    assert result.rc == 0, result.err
    summary = result.json()
    assert sorted(os.listdir(tmp_path / "parts")) == ["test.jsonl", "train.jsonl"]
    train, test = out_records(tmp_path / "parts" / "train.jsonl"), out_records(tmp_path / "parts" / "test.jsonl")
    assert summary["written_by_side"] == {"train": len(train), "test": len(test)}
    assert canon(train + test) == canon(records)
    assert temp_leftovers(tmp_path) == []


def test_filter_output_to_an_existing_empty_directory_is_a_usage_error(tmp_path):
    write(tmp_path / "in.jsonl", jsonl(*GOOD))
    (tmp_path / "outdir").mkdir()

    result = run(tmp_path, "jobs", "filter", "in.jsonl", "-o", "outdir")

    assert result.rc == 2
    assert_one_error_line(result, "outdir")
    assert os.listdir(tmp_path / "outdir") == []
    assert temp_leftovers(tmp_path) == []


def test_dash_output_writes_records_to_stdout_and_the_summary_to_stderr(tmp_path):
    write(tmp_path / "in.jsonl", jsonl(*GOOD))

    result = run(tmp_path, "jobs", "filter", "in.jsonl", "--title", "scientist", "-o", "-")

    assert result.rc == 0, result.err
    assert canon(json.loads(line) for line in result.out.splitlines()) == canon([GOOD[0], GOOD[2]])
    assert "filter: read 3 lines, wrote 2 to stdout" in result.err
    assert visible(tmp_path) == {"in.jsonl"}


def test_json_with_stdout_output_is_a_usage_error(tmp_path):
    write(tmp_path / "in.jsonl", jsonl(*GOOD))

    result = run(tmp_path, "jobs", "filter", "in.jsonl", "-o", "-", "--json")

    assert_usage_error(result, "--json", "-o")


def test_quiet_prints_nothing_for_a_clean_run(tmp_path):
    write(tmp_path / "in.jsonl", jsonl(*GOOD))

    result = run(tmp_path, "jobs", "filter", "in.jsonl", "-o", "out.jsonl", "--quiet")

    assert result.rc == 0
    assert (result.out, result.err) == (b"", "")
    assert canon(out_records(tmp_path / "out.jsonl")) == canon(GOOD)


def test_json_prints_exactly_one_object_on_stdout(tmp_path):
    write(tmp_path / "in.jsonl", jsonl(*GOOD) + b"[]\n")

    result = run(tmp_path, "jobs", "topn", "in.jsonl", "-n", "2", "--by", "i", "-o", "top.jsonl", "--json")

    assert result.rc == 0, result.err
    summary = result.json()  # asserts a single line holding a single object
    assert summary["command"] == "jobs topn"
    assert summary["outputs"] == ["top.jsonl"]
    assert (summary["read"], summary["written"], summary["skipped"]) == (4, 2, {"not_object": 1})
    assert out_records(tmp_path / "top.jsonl") == [GOOD[2], GOOD[1]]


def test_gz_output_is_gzip_compressed(tmp_path):
    records = [{"title": "Data Scientist", "i": i} for i in range(20)]
    write(tmp_path / "in.jsonl", jsonl(*records))

    result = run(tmp_path, "jobs", "filter", "in.jsonl", "-o", "out.jsonl.gz", "--json")

    assert result.rc == 0, result.err
    raw = (tmp_path / "out.jsonl.gz").read_bytes()
    assert raw[:2] == b"\x1f\x8b"
    assert canon(json.loads(line) for line in gzip.decompress(raw).splitlines()) == canon(records)
    assert result.json()["written"] == 20


# ------------------------------------------------------------------------ usage errors


@pytest.mark.parametrize("args, needle", [
    (["sample", "--fraction", "1.5"], "--fraction"),
    (["sample"], "--fraction or --size"),
    (["topn", "-n", "0"], "--top-n"),
    (["split", "--test-size", "0.3", "--split", "bogus", "-o", "out.jsonl"], "bogus"),
    (["split", "--test-size", "0.3"], "-o DIR"),
    (["filter", "--where", "a>>x"], "a>>x"),
    (["filter", "--where", "x~("], "regular expression"),
    (["filter", "--where", "a.>3"], "bad field path"),
    (["topn", "--by", "salary..max"], "bad field path"),
], ids=["fraction-1.5", "sample-no-mode", "topn-n-0", "split-bogus-side", "split-no-output",
        "where-double-op", "where-bad-regex", "where-empty-path-part", "topn-by-empty-part"])
def test_usage_errors_exit_2_before_any_work(tmp_path, args, needle):
    # the input does not exist: an error about it would mean inputs were looked at first
    command, *rest = args
    if "-o" not in rest and command != "split":
        rest += ["-o", "out.jsonl"]
    result = run(tmp_path, "jobs", command, "missing.jsonl", *rest)

    line = assert_usage_error(result, needle)
    assert "missing.jsonl" not in line
    assert visible(tmp_path) == set()
    assert scratch_leftovers(tmp_path) == []


def test_where_regex_with_a_huge_repeat_count_is_a_usage_error(tmp_path):
    write(tmp_path / "in.jsonl", jsonl(*GOOD))

    result = run(tmp_path, "jobs", "filter", "in.jsonl", "--where", "title~x{9999999999}", "-o", "out.jsonl")

    assert_usage_error(result, "--where")
    assert not (tmp_path / "out.jsonl").exists()


def test_a_bad_where_names_the_flag_once(tmp_path):
    result = run(tmp_path, "jobs", "filter", "missing.jsonl", "--where", "bad", "-o", "out.jsonl")

    line = assert_usage_error(result, "'bad'")
    assert line.count("--where") == 1, line


def test_where_path_with_a_non_ascii_digit_on_a_list_does_not_crash(tmp_path):
    write(tmp_path / "in.jsonl", jsonl({"tags": ["a", "b"], "title": "x"}, {"tags": "a", "title": "y"}))

    result = run(tmp_path, "jobs", "filter", "in.jsonl", "--where", "tags.²=a", "-o", "out.jsonl", "--json")

    assert result.rc == 0, result.err
    summary = result.json()
    assert (summary["read"], summary["written"]) == (2, 0)  # '²' is no index: nothing matches
    assert (tmp_path / "out.jsonl").read_bytes() == b""


# --------------------------------------------------------------------- runtime failures


CORRUPT = {"gz": "x.jsonl.gz", "bz2": "x.jsonl.bz2"}


@pytest.mark.parametrize("kind", sorted(CORRUPT))
def test_corrupt_compressed_input_fails_with_one_line_and_exit_1(tmp_path, kind):
    write(tmp_path / CORRUPT[kind], os.urandom(4096))

    result = run(tmp_path, "jobs", "filter", CORRUPT[kind], "-o", "out.jsonl")

    assert result.rc == 1
    assert_one_error_line(result)
    assert f"cannot decompress {CORRUPT[kind]}" in result.err
    assert visible(tmp_path) == {CORRUPT[kind]}
    assert temp_leftovers(tmp_path) == []


@pytest.mark.parametrize("how", ["flag", "env"])
def test_debug_shows_the_traceback_of_a_runtime_failure(tmp_path, how):
    write(tmp_path / "x.gz", os.urandom(4096))

    # the traceback is Python's own, printed as the process dies: a real process
    if how == "flag":
        done = console("jobs", "filter", "x.gz", "-o", "out.jsonl", "--debug", cwd=tmp_path)
    else:
        done = console("jobs", "filter", "x.gz", "-o", "out.jsonl", cwd=tmp_path, env={"DATAFORGE_DEBUG": "1"})
    result = Result(done.returncode, done.stdout, done.stderr.decode())

    assert result.rc == 1
    assert "Traceback (most recent call last)" in result.err
    assert "InputDataError: cannot decompress x.gz" in result.err
    assert not (tmp_path / "out.jsonl").exists()


def test_corrupt_gzip_error_names_the_file(tmp_path):
    write(tmp_path / "good.jsonl.gz", gzip.compress(jsonl(*GOOD)))
    write(tmp_path / "broken.jsonl.gz", os.urandom(4096))

    result = run(tmp_path, "jobs", "filter", "good.jsonl.gz", "broken.jsonl.gz", "-o", "out.jsonl")

    assert result.rc == 1
    assert_one_error_line(result, "broken.jsonl.gz")


def test_truncated_gzip_input_is_a_runtime_failure(tmp_path):
    records = [{"title": "Data Scientist", "i": i, "pad": "p" * 50} for i in range(2000)]
    whole = gzip.compress(jsonl(*records))
    write(tmp_path / "cut.jsonl.gz", whole[: len(whole) // 2])

    result = run(tmp_path, "jobs", "filter", "cut.jsonl.gz", "-o", "out.jsonl")

    assert result.rc == 1
    assert_one_error_line(result, "cut.jsonl.gz")
    assert not (tmp_path / "out.jsonl").exists()


def test_failed_run_leaves_no_mrjob_working_directory(tmp_path):
    write(tmp_path / "x.gz", os.urandom(4096))

    result = run(tmp_path, "jobs", "filter", "x.gz", "-o", "out.jsonl")

    assert result.rc == 1
    assert scratch_leftovers(tmp_path) == []


def test_failed_local_task_is_reported_in_one_line(tmp_path):
    write(tmp_path / "in.jsonl", jsonl(*GOOD))

    # a setup command that fails makes every map task fail: a runtime failure, not a usage error
    result = run(tmp_path, "jobs", "filter", "in.jsonl", "-o", "out.jsonl", "-r", "local",
                 "--mrjob-arg=--setup=false")

    assert result.rc == 1
    assert not (tmp_path / "out.jsonl").exists()
    assert_one_error_line(result, "local runner failed")


# --------------------------------------------------------------- split / topn / sample


def test_topn_skips_bad_lines_and_counts_unranked_records(tmp_path):
    def salary(top):
        return {"estimatedSalary": {"value": {"maxValue": top, "minValue": 1}}}
    write(tmp_path / "in.jsonl", b"\n".join([
        json.dumps(salary(5)).encode(), b"garbage", json.dumps(salary("7")).encode(),
        json.dumps(salary(True)).encode(), json.dumps({"jobId": 4}).encode(), b'"str"', json.dumps(salary(None)).encode(),
    ]) + b"\n")

    result = run(tmp_path, "jobs", "topn", "in.jsonl", "-n", "5", "-o", "top.jsonl", "--json")

    assert result.rc == 0, result.err
    summary = result.json()
    assert summary["read"] == 7
    assert summary["skipped"] == {"invalid_json": 1, "not_object": 1}
    assert summary["unranked"] == {"missing_value": 1, "non_numeric_value": 2}
    assert_first_skip(summary, "in.jsonl:2", "invalid_json")
    assert out_records(tmp_path / "top.jsonl") == [salary("7"), salary(5)]


def test_sample_size_skips_bad_lines_and_keeps_every_record_when_fewer(tmp_path):
    write(tmp_path / "in.jsonl", jsonl(*GOOD) + b'{"title": "caf\xe9"}\n\n')

    result = run(tmp_path, "jobs", "sample", "in.jsonl", "--size", "10", "--seed", "3", "-o", "s.jsonl", "--json")

    assert result.rc == 0, result.err
    summary = result.json()
    assert (summary["read"], summary["written"]) == (5, 3)
    assert summary["skipped"] == {"invalid_utf8": 1, "blank": 1}
    assert_first_skip(summary, "in.jsonl:4", "invalid_utf8")
    assert canon(out_records(tmp_path / "s.jsonl")) == canon(GOOD)


def test_split_one_side_to_stdout_with_bad_lines(tmp_path):
    records = [{"jobId": i} for i in range(40)]
    write(tmp_path / "in.jsonl", jsonl(*records[:20]) + b"[0]\n" + jsonl(*records[20:]))

    test_side = run(tmp_path, "jobs", "split", "in.jsonl", "--test-size", "0.5", "--split", "test")
    train_side = run(tmp_path, "jobs", "split", "in.jsonl", "--test-size", "0.5", "--split", "train")

    assert (test_side.rc, train_side.rc) == (0, 0)
    test_records = [json.loads(line) for line in test_side.out.splitlines()]
    train_records = [json.loads(line) for line in train_side.out.splitlines()]
    assert test_records and train_records
    assert canon(test_records + train_records) == canon(records)
    assert "first at in.jsonl:21" in test_side.err


# --------------------------------------------------------------------------- interrupt


@pytest.fixture(scope="module")
def big_input(tmp_path_factory) -> Path:
    """About 200 MB of JSON lines, made in well under a second by repeating one line.

    That is above the auto runner's 64 MB threshold, so on a machine with two
    or more cores these runs use the local runner and its task processes.
    """
    path = tmp_path_factory.mktemp("big") / "big.jsonl"
    line = json.dumps({"title": "Data Scientist", "description": "d" * 1000}).encode() + b"\n"
    with open(path, "wb") as f:
        for _ in range(20):
            f.write(line * 10_000)
    yield path
    path.unlink(missing_ok=True)


def _grow(path: Path) -> None:
    """Roughly double *path*, in whole lines."""
    with open(path, "rb") as f:
        block = f.read(1 << 24)
    block = block[: block.rindex(b"\n") + 1]
    with open(path, "ab") as f:
        for _ in range(max(1, path.stat().st_size // len(block))):
            f.write(block)


def live_processes_in_group(pgid: int) -> list[str]:  # Linux /proc
    """Processes (not zombies) still in process group *pgid*, as 'pid command'."""
    alive = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state != "Z":
            alive.append(f"{entry} {cmdline.strip()}")
    return alive


@dataclass
class Interrupted:
    result: Result
    landed: bool  # the signal arrived while dataforge was still working
    pgid: int
    left_running: list[str]  # processes of the run still alive just after dataforge exited


def interrupt(cwd: Path, big: Path, phase: str, *extra: str, whole_group: bool = True) -> Interrupted:
    """Start filter on *big*, send SIGINT in *phase*, and report what happened.

    ``map``: once mrjob has made its working directory, plus half a second
    (the inline runner is reading the input).  ``tasks``: once a local-runner
    map task process is alive.  ``write``: as soon as the temporary output
    file beside out.jsonl exists.  *whole_group* sends the
    signal to the run's process group, as Ctrl-C in a terminal does;
    otherwise only to the dataforge process, as ``kill -INT PID`` does.
    """
    proc = subprocess.Popen([DATAFORGE, "jobs", "filter", str(big), "-o", "out.jsonl", *extra], cwd=cwd,
                            env=_env(cwd), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    pgid = proc.pid  # a new session: the process group is ours alone
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if phase == "map" and scratch_leftovers(cwd):
                time.sleep(0.5)
                break
            if phase == "tasks" and any("--mapper" in p for p in live_processes_in_group(pgid)):
                time.sleep(0.2)
                break
            if phase == "write" and any(n.startswith(".out.jsonl.") for n in os.listdir(cwd)):
                time.sleep(0.05)
                break
            time.sleep(0.005)
        landed = proc.poll() is None
        if whole_group:
            os.killpg(pgid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        time.sleep(0.3)  # let task processes that got the signal finish dying
        left = live_processes_in_group(pgid)
    finally:
        try:
            os.killpg(pgid, signal.SIGKILL)  # whatever of this run is left
        except ProcessLookupError:
            pass
        proc.wait()
    return Interrupted(Result(proc.returncode, out, err.decode("utf-8", "replace")), landed, pgid, left)


def interrupt_until_it_lands(cwd: Path, big: Path, phase: str, *extra: str, whole_group: bool = True) -> Interrupted:
    for _ in range(3):
        got = interrupt(cwd, big, phase, *extra, whole_group=whole_group)
        if got.landed and got.result.rc != 0:
            return got
        # the run finished before the signal: start again, on a bigger input
        (cwd / "out.jsonl").unlink(missing_ok=True)
        if extra:
            write(cwd / "out.jsonl", b"previous result\n")
        _drop_scratch(cwd)
        _grow(big)
    pytest.fail("dataforge kept finishing before SIGINT arrived, even on a bigger input")


def _drop_scratch(cwd: Path) -> None:
    shutil.rmtree(cwd / SCRATCH, ignore_errors=True)  # task output if mrjob left it behind


def test_sigint_while_local_tasks_run_exits_130_and_leaves_no_output_or_processes(tmp_path, big_input):
    try:
        got = interrupt_until_it_lands(tmp_path, big_input, "tasks", "-r", "local")

        assert got.result.rc == 130, got.result.err
        assert got.result.err.strip() == "Interrupted."
        assert got.result.out == b""
        assert visible(tmp_path) == set()  # neither out.jsonl nor .out.jsonl.*.tmp
        assert temp_leftovers(tmp_path) == []
        assert got.left_running == []  # Ctrl-C reaches the map tasks too
    finally:
        _drop_scratch(tmp_path)


def test_sigint_on_the_inline_runner_exits_130_and_leaves_no_output(tmp_path, big_input):
    try:
        got = interrupt_until_it_lands(tmp_path, big_input, "map", "-r", "inline")

        assert got.result.rc == 130, got.result.err
        assert got.result.err.strip() == "Interrupted."
        assert got.result.out == b""
        assert visible(tmp_path) == set()
        assert temp_leftovers(tmp_path) == []
    finally:
        _drop_scratch(tmp_path)


def test_sigint_while_writing_exits_130_and_keeps_the_previous_output(tmp_path, big_input):
    write(tmp_path / "out.jsonl", b"previous result\n")
    try:
        got = interrupt_until_it_lands(tmp_path, big_input, "write", "--force")

        assert got.result.rc == 130, got.result.err
        assert got.result.err.strip() == "Interrupted."
        assert (tmp_path / "out.jsonl").read_bytes() == b"previous result\n"
        assert visible(tmp_path) == {"out.jsonl"}
        assert temp_leftovers(tmp_path) == []
    finally:
        _drop_scratch(tmp_path)


def test_sigint_leaves_no_mrjob_working_directory(tmp_path, big_input):
    try:
        got = interrupt_until_it_lands(tmp_path, big_input, "tasks", "-r", "local")

        assert got.result.rc == 130
        assert scratch_leftovers(tmp_path) == []
    finally:
        _drop_scratch(tmp_path)


def test_sigint_to_the_driver_alone_stops_the_local_tasks(tmp_path, big_input):
    try:
        got = interrupt_until_it_lands(tmp_path, big_input, "tasks", "-r", "local", whole_group=False)

        assert got.result.rc == 130, got.result.err
        assert visible(tmp_path) == set()
        assert got.left_running == []
    finally:
        _drop_scratch(tmp_path)
