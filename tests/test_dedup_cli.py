"""``dataforge dedup match`` through the installed console script, as a user meets it.

Every test runs the command in-process as the console script does (``run_cli``
from conftest, click's CliRunner), on real files in pytest's ``tmp_path``; a
real process (``interrupt_cli``) only for Ctrl-C.  Each checks the exit code
together with what was printed (one ``Error:`` line and no traceback for a
failure), what was written (or that nothing was, temporary files included),
and the ``--json`` summary.  No mocks.

Exit codes: 2 for a usage error found before any work, 1 for a runtime
failure, 130 for Ctrl-C, 0 otherwise.
"""
from __future__ import annotations

import csv
import gzip
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import (Result, assert_failure, assert_usage_error, interrupt_cli, run_cli,
                            temp_leftovers)

PAIRS_HEADER = b"left_id,left_name,right_id,right_name,similarity"
PAIR_COLUMNS = ["left_id", "left_name", "right_id", "right_name", "similarity"]
SUMMARY_KEYS = {"rows", "distinct_names", "skipped_empty_names", "pairs", "refine", "threshold", "learn", "seconds", "stages",
                "outputs"}


# --------------------------------------------------------------------------- helpers


def match(cwd: Path, *args: str, stdin: bytes | None = None) -> Result:
    """``dataforge dedup match ARGS`` in *cwd*; stdin is /dev/null unless *stdin* is given."""
    done = run_cli("dedup", "match", *args, input=stdin, cwd=cwd)
    return Result(done.returncode, done.stdout, done.stderr.decode("utf-8", "replace"))


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, delimiter: str = ",",
              encoding: str = "utf-8") -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def read_csv_bytes(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def read_csv(path: Path) -> list[dict]:
    return read_csv_bytes(path.read_bytes())


def header_of(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as f:
        return next(csv.reader(f))






def assert_ok(result: Result) -> None:
    assert result.rc == 0, result.err
    assert "Traceback" not in result.err, result.err
    assert "Error:" not in result.err, result.err


SMALL_HEADER = ["CompanyName", " CompanyNumber", "RegAddress.PostTown", "RegAddress.PostCode"]
SMALL_ROWS = [
    ["ACME TRADING LIMITED", "01234567", "LONDON", "SW1A 1AA"],
    ["ACME TRADING LIMITED", "07654321", "LONDON", "SW1A 1AA"],
    ["ZEBRA FOODS LTD", "00000042", "LEEDS", "LS1 4AP"],
]


@pytest.fixture
def small_csv(tmp_path) -> Path:
    return write_csv(tmp_path / "in.csv", SMALL_HEADER, SMALL_ROWS)


@pytest.fixture(scope="module")
def companies_rows(companies_csv) -> list[dict]:
    return read_csv(companies_csv)


@pytest.fixture(scope="module")
def baseline(companies_csv, tmp_path_factory) -> bytes:
    """The pairs file of a plain run on companies_csv, for runs that must give the same pairs."""
    cwd = tmp_path_factory.mktemp("baseline")
    result = match(cwd, companies_csv, "-o", "pairs.csv", "-q")
    assert_ok(result)
    data = (cwd / "pairs.csv").read_bytes()
    assert data.count(b"\n") > 100  # the synthetic file has planted duplicates
    return data


# ------------------------------------------------------------------------ usage errors


@pytest.mark.parametrize("args, needles", [
    (["--threshold", "1"], ["--threshold", "0<=x<1"]),
    (["--threshold=-0.1"], ["threshold"]),
    (["--threshold", "nan"], ["threshold"]),
    (["--top=-1"], ["--top", "x>=0"]),
    (["--ngram", "0"], ["--ngram", "x>=1"]),
    (["--encoding", "no-such-codec"], ["no-such-codec", "encoding"]),
    (["--json", "-o", "-"], ["--json", "-o"]),
    (["-o", "out.csv", "--groups", "out.csv"], ["--groups", "-o"]),
], ids=["threshold-1", "threshold-negative", "threshold-nan", "top-negative", "ngram-0", "unknown-encoding",
        "json-stdout", "groups-same-as-o"])
def test_bad_options_exit_2_before_the_input_is_looked_at(tmp_path, args, needles):
    # the input does not exist: an error about it would mean the options were checked too late
    result = match(tmp_path, "missing.csv", *args)

    line = assert_usage_error(result, *needles)
    assert "missing.csv" not in line
    assert os.listdir(tmp_path) == []


def test_groups_same_file_as_o_spelled_differently_is_a_usage_error(tmp_path, small_csv):
    result = match(tmp_path, "in.csv", "-o", "out.csv", "--groups", "./out.csv")

    assert_usage_error(result, "--groups", "-o")
    assert sorted(os.listdir(tmp_path)) == ["in.csv"]


def test_missing_name_column_exits_2_listing_the_columns_found(tmp_path):
    write_csv(tmp_path / "in.csv", ["Name", " Number", "Town"], [["ACME", "1", "LEEDS"]])

    result = match(tmp_path, "in.csv", "-o", "out.csv")

    assert_usage_error(result, "in.csv", "CompanyName", "columns found", "'Name'", "' Number'", "'Town'")
    assert sorted(os.listdir(tmp_path)) == ["in.csv"]


@pytest.mark.parametrize("args, needles", [
    (["--column", "Nom"], ["name column", "'Nom'", "columns found", "'CompanyName'"]),
    (["--id-column", "Ident"], ["id column", "'Ident'", "columns found"]),
    (["--also", "Postcode"], ["--also column", "'Postcode'", "columns found", "'RegAddress.PostCode'"]),
], ids=["column", "id-column", "also"])
def test_option_naming_a_missing_column_exits_2(tmp_path, small_csv, args, needles):
    result = match(tmp_path, "in.csv", "-o", "out.csv", *args)

    assert_usage_error(result, *needles)
    assert sorted(os.listdir(tmp_path)) == ["in.csv"]


@pytest.mark.parametrize("inputs, needles", [
    (["not-here.csv"], ["not-here.csv", "not found"]),
    (["data/*.csv"], ["data/*.csv", "no files match"]),
], ids=["missing", "glob-matches-nothing"])
def test_missing_input_exits_2_naming_the_path(tmp_path, small_csv, inputs, needles):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "other.txt").write_text("x")

    result = match(tmp_path, *inputs, "-o", "out.csv")

    assert_usage_error(result, *needles)
    assert not (tmp_path / "out.csv").exists()


def test_a_stray_file_in_an_input_directory_is_the_one_blamed(tmp_path):
    # README.txt sorts before the CSVs; the message names it, not the first CSV
    (tmp_path / "in").mkdir()
    write_csv(tmp_path / "in" / "a.csv", ["CompanyName", "CompanyNumber"], [["ACME LTD", "1"]])
    write_csv(tmp_path / "in" / "b.csv", ["CompanyName", "CompanyNumber"], [["ACME LIMITED", "2"]])
    (tmp_path / "in" / "README.txt").write_text("Notes about these files\nmore\n")

    result = match(tmp_path, "in", "-o", "out.csv")

    line = assert_usage_error(result, "README.txt has other columns than", "a.csv and", "b.csv", "Notes about")
    assert line.index("README.txt") < line.index("a.csv")
    assert not (tmp_path / "out.csv").exists()


def test_missing_master_list_exits_2_naming_it(tmp_path, small_csv):
    result = match(tmp_path, "in.csv", "--against", "master.csv", "-o", "out.csv")

    assert_usage_error(result, "master.csv")
    assert not (tmp_path / "out.csv").exists()


def test_master_list_without_the_name_column_exits_2(tmp_path, small_csv):
    write_csv(tmp_path / "master.csv", ["Name", "Id"], [["ACME", "M1"]])

    result = match(tmp_path, "in.csv", "--against", "master.csv", "-o", "out.csv")

    assert_usage_error(result, "master.csv", "CompanyName", "'Name'")
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("which", ["output", "groups"])
def test_existing_output_without_force_exits_2_and_is_left_untouched(tmp_path, small_csv, which):
    existing = tmp_path / ("out.csv" if which == "output" else "groups.csv")
    existing.write_bytes(b"previous result\n")

    # the input is missing: the output is checked before any work
    result = match(tmp_path, "missing.csv", "-o", "out.csv", "--groups", "groups.csv")

    assert_usage_error(result, existing.name, "--force", "exists")
    assert existing.read_bytes() == b"previous result\n"
    assert sorted(os.listdir(tmp_path)) == sorted(["in.csv", existing.name])


def test_force_replaces_existing_outputs(tmp_path, small_csv):
    (tmp_path / "out.csv").write_bytes(b"previous result\n")
    (tmp_path / "groups.csv").write_bytes(b"previous groups\n")

    result = match(tmp_path, "in.csv", "-o", "out.csv", "--groups", "groups.csv", "--force")

    assert_ok(result)
    pairs = read_csv(tmp_path / "out.csv")
    assert [(p["left_id"], p["right_id"], float(p["similarity"])) for p in pairs] == [("01234567", "07654321", 1.0)]
    assert len(read_csv(tmp_path / "groups.csv")) == 3
    assert temp_leftovers(tmp_path) == []


def test_output_naming_a_directory_exits_2(tmp_path, small_csv):
    (tmp_path / "outdir").mkdir()

    result = match(tmp_path, "in.csv", "-o", "outdir")

    assert_usage_error(result, "outdir", "directory")
    assert os.listdir(tmp_path / "outdir") == []


# --------------------------------------------------------------------- runtime failures


def test_binary_file_fails_with_exit_1(tmp_path):
    (tmp_path / "in.csv").write_bytes(bytes(range(256)) * 20)

    result = match(tmp_path, "in.csv", "-o", "out.csv")

    assert_failure(result, "in.csv", "binary")
    assert sorted(os.listdir(tmp_path)) == ["in.csv"]


def test_json_file_fails_with_exit_1(tmp_path):
    (tmp_path / "in.csv").write_bytes(b'[{"CompanyName": "ACME", "CompanyNumber": "01"}]\n')

    result = match(tmp_path, "in.csv", "-o", "out.csv")

    assert_failure(result, "in.csv", "JSON")
    assert sorted(os.listdir(tmp_path)) == ["in.csv"]


CP1252_ROWS = [["CAFÉ NÉRO LIMITED", "01"], ["CAFÉ NERO LTD", "02"], ["CAFÉ NÉRO LIMITED", "03"],
               ["SMITH & SØNS – BUILDERS", "04"]]


def test_cp1252_file_read_as_utf8_fails_naming_the_line_and_suggesting_encoding(tmp_path):
    rows = [["PLAIN ASCII LTD", "00"]] + CP1252_ROWS  # the first bad byte is on line 3
    write_csv(tmp_path / "in.csv", ["CompanyName", "CompanyNumber"], rows, encoding="cp1252")

    result = match(tmp_path, "in.csv", "-o", "out.csv", "--groups", "groups.csv")

    line = assert_failure(result, "in.csv", "line 3", "utf-8", "--encoding")
    assert "0xc9" in line  # É in cp1252
    assert sorted(os.listdir(tmp_path)) == ["in.csv"]


def test_ragged_row_with_groups_fails_and_writes_neither_output(tmp_path):
    write_csv(tmp_path / "in.csv", ["CompanyName", "CompanyNumber"],
              [["ACME LTD", "01"], ["ACME LIMITED", "02", "extra"], ["ZEBRA LTD", "03"]])

    result = match(tmp_path, "in.csv", "-o", "out.csv", "--groups", "groups.csv")

    assert_failure(result, "in.csv", "line 3")
    assert sorted(os.listdir(tmp_path)) == ["in.csv"]  # no out.csv, no groups.csv, no .*.tmp


def test_failed_run_with_force_keeps_the_previous_outputs(tmp_path):
    write_csv(tmp_path / "in.csv", ["CompanyName", "CompanyNumber"],
              [["ACME LTD", "01"], ["ACME LIMITED", "02", "extra"]])
    (tmp_path / "out.csv").write_bytes(b"previous result\n")
    (tmp_path / "groups.csv").write_bytes(b"previous groups\n")

    result = match(tmp_path, "in.csv", "-o", "out.csv", "--groups", "groups.csv", "--force")

    assert_failure(result, "in.csv")
    assert (tmp_path / "out.csv").read_bytes() == b"previous result\n"
    assert (tmp_path / "groups.csv").read_bytes() == b"previous groups\n"
    assert temp_leftovers(tmp_path) == []


@pytest.mark.parametrize("how", ["random-bytes", "truncated"])
def test_corrupt_or_truncated_gzip_fails_with_exit_1(tmp_path, companies_csv, how):
    if how == "random-bytes":
        data = os.urandom(4096)
    else:
        whole = gzip.compress(companies_csv.read_bytes())
        data = whole[: len(whole) // 2]
    (tmp_path / "in.csv.gz").write_bytes(data)

    result = match(tmp_path, "in.csv.gz", "-o", "out.csv", "--groups", "groups.csv")

    assert_failure(result, "in.csv.gz")
    assert sorted(os.listdir(tmp_path)) == ["in.csv.gz"]


# ------------------------------------------------------------------------ edge inputs


def test_header_only_file_writes_just_the_pairs_header(tmp_path):
    (tmp_path / "in.csv").write_bytes(b"CompanyName, CompanyNumber\n")

    result = match(tmp_path, "in.csv", "-o", "out.csv", "--json")

    assert_ok(result)
    assert (tmp_path / "out.csv").read_bytes().splitlines() == [PAIRS_HEADER]
    summary = result.json()
    assert (summary["rows"], summary["distinct_names"], summary["pairs"]) == (0, 0, 0)


def test_zero_byte_file_writes_just_the_header_and_warns(tmp_path):
    (tmp_path / "in.csv").write_bytes(b"")

    result = match(tmp_path, "in.csv", "-o", "out.csv")

    assert_ok(result)
    assert (tmp_path / "out.csv").read_bytes().splitlines() == [PAIRS_HEADER]
    warnings = [line for line in result.err.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1 and "in.csv" in warnings[0] and "empty" in warnings[0], result.err


def test_one_name_gives_no_pairs(tmp_path):
    write_csv(tmp_path / "in.csv", ["CompanyName"], [["ACME TRADING LIMITED"]])

    result = match(tmp_path, "in.csv", "-o", "out.csv", "--json")

    assert_ok(result)
    assert (tmp_path / "out.csv").read_bytes().splitlines() == [PAIRS_HEADER]
    summary = result.json()
    assert (summary["rows"], summary["distinct_names"], summary["pairs"]) == (1, 1, 0)


def test_empty_and_whitespace_names_are_skipped_and_counted(tmp_path):
    write_csv(tmp_path / "in.csv", ["CompanyName", "CompanyNumber"], [
        ["ACME TRADING LIMITED", "01"], ["", "02"], ["   ", "03"], ["\t", "04"], ["ACME TRADING LIMITED", "05"],
        ["", "06"],
    ])

    result = match(tmp_path, "in.csv", "-o", "out.csv", "--groups", "groups.csv", "--json")

    assert_ok(result)
    summary = result.json()
    assert summary["rows"] == 6
    assert summary["skipped_empty_names"] == 4
    assert summary["distinct_names"] == 1
    pairs = read_csv(tmp_path / "out.csv")
    assert [(p["left_id"], p["right_id"]) for p in pairs] == [("01", "05")]
    groups = read_csv(tmp_path / "groups.csv")
    assert [g["CompanyNumber"] for g in groups] == ["01", "02", "03", "04", "05", "06"]  # every row is kept


def test_quoted_commas_and_newlines_in_names_survive_into_the_outputs(tmp_path):
    names = ['SMITH, JONES & CO LTD', 'SMITH, JONES & CO LTD', 'MULTI\nLINE "QUOTED" LTD', 'MULTI\nLINE "QUOTED" LTD',
             'ALONE, UNMATCHED PLC']
    write_csv(tmp_path / "in.csv", ["CompanyName", "CompanyNumber"], [[n, f"{i:02d}"] for i, n in enumerate(names, 1)])

    result = match(tmp_path, "in.csv", "-o", "out.csv", "--groups", "groups.csv")

    assert_ok(result)
    pairs = read_csv(tmp_path / "out.csv")
    assert sorted((p["left_id"], p["left_name"], p["right_id"], p["right_name"]) for p in pairs) == [
        ("01", names[0], "02", names[0]), ("03", names[2], "04", names[2])]
    groups = read_csv(tmp_path / "groups.csv")
    assert [g["CompanyName"] for g in groups] == names
    assert [g["group_name"] for g in groups] == [names[0], names[0], names[2], names[2], names[4]]


def test_cp1252_file_with_encoding_option_writes_utf8(tmp_path):
    write_csv(tmp_path / "in.csv", ["CompanyName", "CompanyNumber"], CP1252_ROWS, encoding="cp1252")

    result = match(tmp_path, "in.csv", "--encoding", "cp1252", "-o", "out.csv", "--groups", "groups.csv")

    assert_ok(result)
    raw = (tmp_path / "out.csv").read_bytes()
    assert "CAFÉ NÉRO LIMITED".encode("utf-8") in raw  # UTF-8, not cp1252
    pairs = read_csv(tmp_path / "out.csv")
    assert ("01", "CAFÉ NÉRO LIMITED", "03", "CAFÉ NÉRO LIMITED") in {
        (p["left_id"], p["left_name"], p["right_id"], p["right_name"]) for p in pairs}
    groups = read_csv(tmp_path / "groups.csv")  # read as UTF-8
    assert [g["CompanyName"] for g in groups] == [r[0] for r in CP1252_ROWS]


def test_utf8_bom_does_not_hide_the_name_column(tmp_path):
    body = "CompanyName, CompanyNumber\nACME TRADING LIMITED,01234567\nACME TRADING LIMITED,00000001\n"
    (tmp_path / "in.csv").write_bytes(b"\xef\xbb\xbf" + body.encode())

    result = match(tmp_path, "in.csv", "-o", "out.csv", "--groups", "groups.csv")

    assert_ok(result)
    pairs = read_csv(tmp_path / "out.csv")
    assert [(p["left_id"], p["right_id"]) for p in pairs] == [("01234567", "00000001")]
    groups_raw = (tmp_path / "groups.csv").read_bytes()
    assert not groups_raw.startswith(b"\xef\xbb\xbf")
    assert header_of(tmp_path / "groups.csv") == ["CompanyName", " CompanyNumber", "group_id", "group_name"]


def test_header_names_with_surrounding_spaces_match(tmp_path):
    write_csv(tmp_path / "in.csv", ["  CompanyName  ", " Ref "], [["ACME LTD", "A1"], ["ACME LTD", "A2"]])

    result = match(tmp_path, "in.csv", "-o", "out.csv", "--id-column", "Ref")

    assert_ok(result)
    assert [(p["left_id"], p["right_id"]) for p in read_csv(tmp_path / "out.csv")] == [("A1", "A2")]


# ------------------------------------------------------------------- input formats


def test_default_id_column_is_the_spaced_company_number_with_leading_zeros(tmp_path, companies_csv, companies_rows,
                                                                            baseline):
    numbers = {r[" CompanyNumber"]: r["CompanyName"] for r in companies_rows}
    pairs = read_csv_bytes(baseline)
    assert pairs
    for p in pairs:
        assert numbers[p["left_id"]] == p["left_name"]
        assert numbers[p["right_id"]] == p["right_name"]
        assert re.fullmatch(r"[A-Z0-9]{8}", p["left_id"]) and re.fullmatch(r"[A-Z0-9]{8}", p["right_id"])
    assert any(p["left_id"].startswith("0") for p in pairs)  # kept as text, not 1234567


def test_without_company_number_ids_are_row_numbers_from_1(tmp_path):
    write_csv(tmp_path / "in.csv", ["CompanyName", "Town"],
              [["ACME TRADING LIMITED", "X"], ["ZEBRA FOODS", "Y"], ["ACME TRADING LIMITED", "Z"]])

    result = match(tmp_path, "in.csv", "-o", "out.csv", "--groups", "groups.csv")

    assert_ok(result)
    assert [(p["left_id"], p["right_id"]) for p in read_csv(tmp_path / "out.csv")] == [("1", "3")]
    assert [g["group_id"] for g in read_csv(tmp_path / "groups.csv")] == ["1", "2", "1"]


def test_id_column_option(tmp_path, small_csv):
    write_csv(tmp_path / "crm.csv", ["Name", "Id", "CompanyNumber"],
              [["ACME LTD", "c-1", "9"], ["ACME LTD", "c-2", "8"], ["OTHER", "c-3", "7"]])

    result = match(tmp_path, "crm.csv", "--column", "Name", "--id-column", "Id", "-o", "out.csv")

    assert_ok(result)
    assert [(p["left_id"], p["left_name"], p["right_id"]) for p in read_csv(tmp_path / "out.csv")] == [
        ("c-1", "ACME LTD", "c-2")]


def test_gzip_input_gives_the_same_pairs(tmp_path, companies_csv, baseline):
    (tmp_path / "in.csv.gz").write_bytes(gzip.compress(companies_csv.read_bytes()))

    result = match(tmp_path, "in.csv.gz", "-o", "out.csv")

    assert_ok(result)
    assert (tmp_path / "out.csv").read_bytes() == baseline


def test_tsv_input_gives_the_same_pairs(tmp_path, companies_rows, baseline):
    header = list(companies_rows[0])
    write_csv(tmp_path / "in.tsv", header, [[r[c] for c in header] for r in companies_rows], delimiter="\t")

    result = match(tmp_path, "in.tsv", "-o", "out.csv")

    assert_ok(result)
    assert (tmp_path / "out.csv").read_bytes() == baseline


@pytest.mark.parametrize("inputs", [[], ["-"]], ids=["no-input", "dash"])
def test_piped_stdin_is_read(tmp_path, companies_csv, baseline, inputs):
    result = match(tmp_path, *inputs, "-o", "out.csv", stdin=companies_csv.read_bytes())

    assert_ok(result)
    assert (tmp_path / "out.csv").read_bytes() == baseline
    assert os.listdir(tmp_path) == ["out.csv"]


def test_piped_gzip_on_stdin_is_read(tmp_path, small_csv):
    data = gzip.compress(small_csv.read_bytes())
    small_csv.unlink()

    result = match(tmp_path, "-o", "out.csv", stdin=data)

    assert_ok(result)
    assert [(p["left_id"], p["right_id"]) for p in read_csv(tmp_path / "out.csv")] == [("01234567", "07654321")]


def test_piped_stdin_with_groups_writes_every_row(tmp_path, companies_csv, companies_rows, baseline):
    result = match(tmp_path, "-o", "out.csv", "--groups", "groups.csv", stdin=companies_csv.read_bytes())

    assert_ok(result)
    assert (tmp_path / "out.csv").read_bytes() == baseline
    groups = read_csv(tmp_path / "groups.csv")
    assert len(groups) == len(companies_rows)
    assert [{k: v for k, v in g.items() if k not in ("group_id", "group_name")} for g in groups] == companies_rows


def test_several_inputs_whose_headers_differ_only_by_spaces_are_read_as_one(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"CompanyName, CompanyNumber\nACME TRADING LIMITED,01234567\n")
    (tmp_path / "b.csv").write_bytes(b"CompanyName,CompanyNumber\nACME TRADING LIMITED,07654321\n")

    result = match(tmp_path, "a.csv", "b.csv", "-o", "out.csv")

    assert_ok(result)
    assert [(p["left_id"], p["right_id"]) for p in read_csv(tmp_path / "out.csv")] == [("01234567", "07654321")]


def test_utf16_file_with_encoding_utf16_is_read(tmp_path):
    text = "CompanyName\tCompanyNumber\nCAFÉ NÉRO LIMITED\t01\nCAFÉ NÉRO LIMITED\t02\n"
    (tmp_path / "in.tsv").write_bytes(text.encode("utf-16"))  # with a BOM, as Excel's "Unicode Text" writes

    result = match(tmp_path, "in.tsv", "--encoding", "utf-16", "-o", "out.csv")

    assert_ok(result)
    assert [(p["left_id"], p["left_name"], p["right_id"]) for p in read_csv(tmp_path / "out.csv")] == [
        ("01", "CAFÉ NÉRO LIMITED", "02")]


# -------------------------------------------------------------------- output and reporting


def test_dash_output_writes_only_the_csv_to_stdout(tmp_path, companies_csv, baseline):
    result = match(tmp_path, companies_csv, "-o", "-")

    assert_ok(result)
    assert result.out == baseline
    summary = [line for line in result.err.splitlines() if line.strip()]
    assert len(summary) == 1 and summary[0].startswith("dedup match: 3,000 rows") and "-> stdout" in summary[0]
    assert os.listdir(tmp_path) == []


def test_json_prints_exactly_one_object_with_the_summary(tmp_path, companies_csv, companies_rows, baseline):
    result = match(tmp_path, companies_csv, "-o", "out.csv", "--json")

    assert_ok(result)
    assert result.err == ""
    summary = result.json()
    assert set(summary) == SUMMARY_KEYS
    assert summary["rows"] == len(companies_rows)
    assert summary["distinct_names"] == len({r["CompanyName"] for r in companies_rows if r["CompanyName"].strip()})
    assert summary["skipped_empty_names"] == 0
    assert summary["pairs"] == len(read_csv_bytes(baseline))
    assert summary["outputs"] == ["out.csv"]
    assert isinstance(summary["seconds"], (int, float)) and summary["seconds"] >= 0
    stages = summary["stages"]
    assert list(stages) == ["read", "vectorise", "product", "pairs", "write"]  # in the order they ran
    assert all(v >= 0 for v in stages.values()) and sum(stages.values()) <= summary["seconds"] + 0.01


def test_quiet_prints_nothing_on_stderr(tmp_path, small_csv):
    result = match(tmp_path, "in.csv", "-o", "out.csv", "--groups", "groups.csv", "-q")

    assert result.rc == 0
    assert result.err == ""
    assert result.out == b""
    assert (tmp_path / "out.csv").exists() and (tmp_path / "groups.csv").exists()


# ------------------------------------------------------------------------------ groups


def test_groups_file_has_every_input_row_with_group_columns(tmp_path, companies_csv, companies_rows, baseline):
    result = match(tmp_path, companies_csv, "-o", "out.csv", "--groups", "groups.csv", "--json")

    assert_ok(result)
    assert (tmp_path / "out.csv").read_bytes() == baseline
    assert header_of(tmp_path / "groups.csv") == list(companies_rows[0]) + ["group_id", "group_name"]
    groups = read_csv(tmp_path / "groups.csv")
    assert len(groups) == len(companies_rows)
    assert [{k: v for k, v in g.items() if k not in ("group_id", "group_name")} for g in groups] == companies_rows
    name_of = {r[" CompanyNumber"]: r["CompanyName"] for r in companies_rows}
    group_of = {g[" CompanyNumber"]: g["group_id"] for g in groups}
    for g in groups:
        assert name_of[g["group_id"]] == g["group_name"]  # a group is named by one of its records
    pairs = read_csv_bytes(baseline)
    paired_with = {(p["left_id"], p["right_id"]) for p in pairs} | {(p["right_id"], p["left_id"]) for p in pairs}
    for member, center in group_of.items():  # center grouping: every member is paired with its center
        assert member == center or (member, center) in paired_with
    paired = {p["left_id"] for p in pairs} | {p["right_id"] for p in pairs}
    alone = [g for g in groups if g[" CompanyNumber"] not in paired]
    assert alone
    for g in alone:  # a record with no match is its own group
        assert (g["group_id"], g["group_name"]) == (g[" CompanyNumber"], g["CompanyName"])
    summary = result.json()
    assert set(summary) == SUMMARY_KEYS | {"groups", "grouping"}
    assert summary["groups"] == len({g["group_id"] for g in groups})
    assert summary["outputs"] == ["out.csv", "groups.csv"]
    assert summary["grouping"] == "center"


def test_grouping_components_puts_every_pair_in_one_group(tmp_path, companies_csv, baseline):
    result = match(tmp_path, companies_csv, "-o", "out.csv", "--groups", "groups.csv", "--grouping", "components")

    assert_ok(result)
    group_of = {g[" CompanyNumber"]: g["group_id"] for g in read_csv(tmp_path / "groups.csv")}
    for p in read_csv_bytes(baseline):
        assert group_of[p["left_id"]] == group_of[p["right_id"]]


def test_record_without_a_match_is_its_own_group(tmp_path, small_csv):
    result = match(tmp_path, "in.csv", "-o", "out.csv", "--groups", "groups.csv")

    assert_ok(result)
    groups = read_csv(tmp_path / "groups.csv")
    assert [(g[" CompanyNumber"], g["group_id"], g["group_name"]) for g in groups] == [
        ("01234567", "01234567", "ACME TRADING LIMITED"),
        ("07654321", "01234567", "ACME TRADING LIMITED"),
        ("00000042", "00000042", "ZEBRA FOODS LTD"),
    ]


# ----------------------------------------------------------------------------- options


def test_against_puts_master_ids_and_names_on_the_right(tmp_path):
    write_csv(tmp_path / "new.csv", ["CompanyName", "CompanyNumber"],
              [["ACME TRADING LIMITED", "N1"], ["ZEBRA FOODS LTD", "N2"], ["UNKNOWN WIDGETS", "N3"],
               ["ACME TRADING LIMITED", "N4"]])
    write_csv(tmp_path / "master.csv", ["CompanyName", "CompanyNumber"],
              [["ACME TRADING LIMITED", "M1"], ["ZEBRA FOODS LTD", "M2"], ["ACME TRADING LIMITED", "M3"],
               ["ENTIRELY DIFFERENT PLC", "M4"]])

    result = match(tmp_path, "new.csv", "--against", "master.csv", "-o", "out.csv", "--groups", "groups.csv",
                   "--json")

    assert_ok(result)
    pairs = read_csv(tmp_path / "out.csv")
    assert sorted((p["left_id"], p["left_name"], p["right_id"], p["right_name"]) for p in pairs) == [
        ("N1", "ACME TRADING LIMITED", "M1", "ACME TRADING LIMITED"),
        ("N1", "ACME TRADING LIMITED", "M3", "ACME TRADING LIMITED"),
        ("N2", "ZEBRA FOODS LTD", "M2", "ZEBRA FOODS LTD"),
        ("N4", "ACME TRADING LIMITED", "M1", "ACME TRADING LIMITED"),
        ("N4", "ACME TRADING LIMITED", "M3", "ACME TRADING LIMITED"),
    ]
    groups = read_csv(tmp_path / "groups.csv")
    assert [g["group_id"] for g in groups] == ["M1", "M2", "N3", "M1"]
    summary = result.json()
    assert summary["rows"] == 4 and summary.get("master_rows") == 4


def test_also_keeps_only_pairs_whose_postcodes_agree(tmp_path):
    header = ["CompanyName", "CompanyNumber", "RegAddress.PostCode"]
    rows = [["ACME TRADING LIMITED", "01", "SW1A 1AA"], ["ACME TRADING LIMITED", "02", "sw1a1aa"],
            ["ACME TRADING LIMITED", "03", "EC1A 1BB"], ["ACME TRADING LIMITED", "04", ""],
            ["ACME TRADING LIMITED", "05", ""], ["ACME TRADING LIMITED", "06", " sw1a-1aa "]]
    write_csv(tmp_path / "in.csv", header, rows)

    # without --also, the 6 identical names make 15 pairs
    result = match(tmp_path, "in.csv", "-o", "also.csv", "--also", "RegAddress.PostCode", "--json")

    assert_ok(result)
    kept = sorted((p["left_id"], p["right_id"]) for p in read_csv(tmp_path / "also.csv"))
    assert kept == [("01", "02"), ("01", "06"), ("02", "06")]  # not 04-05: empty postcodes never agree
    assert result.json()["pairs"] == 3


def test_also_with_against_compares_against_the_master_column(tmp_path):
    header = ["CompanyName", "CompanyNumber", "RegAddress.PostCode"]
    write_csv(tmp_path / "new.csv", header, [["ACME TRADING LIMITED", "N1", "LS1 4AP"],
                                             ["ACME TRADING LIMITED", "N2", "M1 1AA"]])
    write_csv(tmp_path / "master.csv", header, [["ACME TRADING LIMITED", "M1", "ls14ap"]])

    result = match(tmp_path, "new.csv", "--against", "master.csv", "--also", "RegAddress.PostCode", "-o", "out.csv")

    assert_ok(result)
    assert [(p["left_id"], p["right_id"]) for p in read_csv(tmp_path / "out.csv")] == [("N1", "M1")]


@pytest.mark.parametrize("args, expected", [
    (["--also", "CompanyNumber"], [("01", "01")]),
    (["--also", "CompanyName"], [("01", "01"), ("01", "02"), ("01", "02")]),
    (["--id-column", "CompanyName"], [("ACME TRADING LIMITED", "ACME TRADING LIMITED")] * 3),
], ids=["also-id-column", "also-name-column", "id-column-is-name-column"])
def test_a_column_used_for_two_roles_works(tmp_path, args, expected):
    write_csv(tmp_path / "in.csv", ["CompanyName", " CompanyNumber", "Town"],
              [["ACME TRADING LIMITED", "01", "X"], ["ACME TRADING LIMITED", "01", "Y"],
               ["ACME TRADING LIMITED", "02", "X"]])

    result = match(tmp_path, "in.csv", "-o", "out.csv", *args)

    assert_ok(result)
    assert sorted((p["left_id"], p["right_id"]) for p in read_csv(tmp_path / "out.csv")) == expected


def _similarity(path: Path, left: str, right: str) -> float:
    for p in read_csv(path):
        if {p["left_name"], p["right_name"]} == {left, right}:
            return float(p["similarity"])
    raise AssertionError(f"no pair {left} / {right} in {path}")


LEGAL_NAMES = ["ACME TRADING LIMITED", "ACME TRADING LTD", "ZEBRA FOODS LIMITED", "QUANTUM PLUMBING LTD",
               "SMITH CONSULTING", "SMYTH CONSULTING"]


def test_strip_legal_scores_legal_form_variants_higher(tmp_path):
    write_csv(tmp_path / "in.csv", ["CompanyName"], [[n] for n in LEGAL_NAMES])

    plain = match(tmp_path, "in.csv", "-o", "plain.csv", "--threshold", "0", "--top", "0")
    strip = match(tmp_path, "in.csv", "-o", "strip.csv", "--threshold", "0", "--top", "0", "--strip-legal")

    assert_ok(plain)
    assert_ok(strip)
    before = _similarity(tmp_path / "plain.csv", "ACME TRADING LIMITED", "ACME TRADING LTD")
    after = _similarity(tmp_path / "strip.csv", "ACME TRADING LIMITED", "ACME TRADING LTD")
    assert after > before
    assert after == pytest.approx(1.0)
    # the names themselves are written as they were, not stripped
    assert {p["left_name"] for p in read_csv(tmp_path / "strip.csv")} <= set(LEGAL_NAMES)


def test_phonetic_runs(tmp_path):
    write_csv(tmp_path / "in.csv", ["CompanyName"], [[n] for n in LEGAL_NAMES + ["SMITH CONSULTING"]])

    result = match(tmp_path, "in.csv", "-o", "out.csv", "--phonetic", "--json")

    assert_ok(result)
    pairs = read_csv(tmp_path / "out.csv")
    assert ("5", "7", 1.0) in {(p["left_id"], p["right_id"], float(p["similarity"])) for p in pairs}
    assert result.json()["pairs"] == len(pairs)


def test_top_0_keeps_every_pair_above_the_threshold(tmp_path):
    names = [f"ACME TRADING {i:02d}" for i in range(1, 16)] + ["ZEBRA FOODS", "QUANTUM PLUMBING"]
    write_csv(tmp_path / "in.csv", ["CompanyName"], [[n] for n in names])

    result = match(tmp_path, "in.csv", "-o", "top0.csv", "--threshold", "0.1", "--top", "0")

    assert_ok(result)
    top0 = read_csv(tmp_path / "top0.csv")
    # every pair of the 15 ACME names: each has 14 partners, more than the default --top 10 keeps
    assert len(top0) == 15 * 14 // 2
    assert all(float(p["similarity"]) > 0.1 for p in top0)


def test_threads_1_gives_the_same_pairs(tmp_path, companies_csv, baseline):
    result = match(tmp_path, companies_csv, "-o", "out.csv", "--threads", "1")

    assert_ok(result)
    assert (tmp_path / "out.csv").read_bytes() == baseline


# ------------------------------------------------------------------------------ Ctrl-C


def test_sigint_exits_130_and_leaves_no_output_or_temp_files(tmp_path):
    subprocess.run([sys.executable, "-m", "dataforge.synthetic", "companies", "-n", "200000", "-o", "big.csv"],
                   cwd=tmp_path, check=True, capture_output=True)
    work = tmp_path / "work"
    work.mkdir()
    for extra in ([], ["--threshold", "0.2", "--top", "0"]):
        landed, code, out, err = interrupt_cli("dedup", "match", "../big.csv", "-o", "out.csv", "--groups",
                                               "groups.csv", *extra, after=1.5, cwd=work)
        if landed:
            break
        for name in os.listdir(work):  # it finished first: try a longer run
            (work / name).unlink()
    else:
        pytest.fail("dedup match kept finishing before SIGINT arrived")

    assert code == 130, err
    assert err.decode().strip() == "Interrupted."
    assert out == b""
    assert os.listdir(work) == []  # neither output, no .out.csv.*.tmp
