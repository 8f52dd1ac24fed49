"""match_files: the library call behind `dedup match`, from files to files."""
from __future__ import annotations

import pandas as pd
import pytest

from dataforge.dedup.files import match_files
from dataforge.dedup.match import find_matches
from dataforge.dedup.options import MatchOptions
from dataforge.errors import OutputExistsError, UsageError


def test_match_files_writes_what_find_matches_finds(companies_csv, tmp_path):
    summary = match_files([str(companies_csv)], str(tmp_path / "pairs.csv"), groups=str(tmp_path / "groups.csv"))
    frame = pd.read_csv(companies_csv, dtype=str, keep_default_na=False)
    expected = find_matches(frame["CompanyName"], frame[" CompanyNumber"]).pairs
    written = pd.read_csv(tmp_path / "pairs.csv", dtype={"left_id": str, "right_id": str}, keep_default_na=False)
    assert summary.pairs == len(expected) == len(written) > 0
    assert written["left_id"].tolist() == expected["left_id"].tolist()  # CompanyNumber is the default id
    assert summary.rows == 3000 and summary.grouping == "center" and summary.groups > 0
    groups = pd.read_csv(tmp_path / "groups.csv", dtype=str, keep_default_na=False)
    assert len(groups) == 3000 and list(groups.columns[-2:]) == ["group_id", "group_name"]
    assert groups["group_id"].nunique() == summary.groups
    assert summary.as_dict()["outputs"] == [str(tmp_path / "pairs.csv"), str(tmp_path / "groups.csv")]


def test_row_numbers_are_the_ids_without_an_id_column(tmp_path):
    source = tmp_path / "names.csv"
    source.write_text("Name\nAcme Ltd\nACME LIMITED\nZeta\n", encoding="utf-8")
    summary = match_files([str(source)], str(tmp_path / "p.csv"), columns=["Name"],
                          options=MatchOptions(threshold=0.3))
    pairs = pd.read_csv(tmp_path / "p.csv")
    assert summary.pairs == 1 and pairs[["left_id", "right_id"]].values.tolist() == [[1, 2]]


def test_several_name_columns_are_joined(tmp_path):
    source = tmp_path / "people.csv"
    source.write_text("Given,Surname\nJohn,Smith\nJon,Smith\n,Smith\n", encoding="utf-8")
    match_files([str(source)], str(tmp_path / "p.csv"), columns=["Given", "Surname"],
                options=MatchOptions(threshold=0.1))
    names = set(pd.read_csv(tmp_path / "p.csv")[["left_name", "right_name"]].values.ravel())
    assert names == {"John Smith", "Jon Smith", "Smith"}


def test_a_file_url_output_is_this_machines_path(companies_csv, tmp_path, monkeypatch):
    """file:///x is /x on the local engine: checked for existence, and written there (not ./file:/x)."""
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "out" / "pairs.csv"
    match_files([str(companies_csv)], f"file://{target}")
    assert target.stat().st_size > 0 and not (tmp_path / "file:").exists()
    with pytest.raises(OutputExistsError):
        match_files([str(companies_csv)], f"file://{target}")


def test_a_remote_output_needs_spark_before_any_work(companies_csv, tmp_path):
    with pytest.raises(UsageError, match="need --engine spark"):
        match_files([str(companies_csv)], "hdfs:///out/pairs.csv")


def test_groups_and_output_must_differ(companies_csv, tmp_path):
    with pytest.raises(UsageError, match="different paths"):
        match_files([str(companies_csv)], str(tmp_path / "a.csv"), groups=f"file://{tmp_path / 'a.csv'}")
    assert not (tmp_path / "a.csv").exists()


def test_an_empty_input_warns_and_writes_headers(tmp_path):
    source = tmp_path / "empty.csv"
    source.write_bytes(b"")
    summary = match_files([str(source)], str(tmp_path / "p.csv"), groups=str(tmp_path / "g.csv"))
    assert summary.pairs == 0 and summary.warnings == [f"{source} is empty: no rows to match"]
    assert (tmp_path / "p.csv").read_text() == "left_id,left_name,right_id,right_name,similarity\n"


def test_a_nul_byte_is_refused_with_its_line_wherever_it_is(tmp_path):
    from dataforge.errors import InputDataError

    for filler in (1, 20_000):  # in the first 64 KB, and far past it
        source = tmp_path / f"nul{filler}.csv"
        source.write_bytes(b"CompanyName,CompanyNumber\n" + b"Acme Ltd,1\n" * filler + b"Ac\x00me,2\n")
        with pytest.raises(InputDataError, match=f"line {filler + 2} holds a NUL byte"):
            match_files([str(source)], str(tmp_path / f"p{filler}.csv"))
        assert not (tmp_path / f"p{filler}.csv").exists()


def test_utf16_with_a_byte_order_mark_is_read_and_said(tmp_path):
    source = tmp_path / "u16.csv"
    source.write_bytes("CompanyName,CompanyNumber\nCaf\u00e9 Ltd,1\nCafe Ltd,2\n".encode("utf-16"))
    summary = match_files([str(source)], str(tmp_path / "p.csv"), options=MatchOptions(threshold=0.3))
    assert summary.rows == 2 and summary.pairs == 1
    assert any("UTF-16" in note for note in summary.notes)
    assert "Caf\u00e9 Ltd" in (tmp_path / "p.csv").read_text(encoding="utf-8")


def test_a_semicolon_separated_csv_is_detected_and_said(tmp_path):
    source = tmp_path / "semi.csv"
    source.write_text("CompanyName;CompanyNumber\nAcme Ltd;1\nAcme Limited;2\n", encoding="utf-8")
    summary = match_files([str(source)], str(tmp_path / "p.csv"), options=MatchOptions(threshold=0.3))
    assert summary.pairs == 1 and summary.notes == [f"read {source} as semicolon-separated (its header line has "
                                                    f"no comma)"]
    assert pd.read_csv(tmp_path / "p.csv", dtype=str)["left_id"].tolist() == ["1"]


def test_repeated_header_names_and_ids_get_one_line_each(tmp_path):
    source = tmp_path / "dup.csv"
    source.write_text("CompanyName,CompanyNumber,CompanyName\nAcme,1,x\nAcme,1,y\nZeta,2,z\n", encoding="utf-8")
    summary = match_files([str(source)], str(tmp_path / "p.csv"))
    assert len(summary.notes) == 1 and "more than one column named 'CompanyName'" in summary.notes[0]
    assert len(summary.warnings) == 1 and "1 rows of" in summary.warnings[0] and "'1'" in summary.warnings[0]


def test_gzip_is_known_by_its_bytes_whatever_the_name(tmp_path):
    import gzip

    source = tmp_path / "names.csv"  # gzip inside, no .gz in the name
    source.write_bytes(gzip.compress(b"CompanyName\nAcme Ltd\nAcme Limited\n"))
    summary = match_files([str(source)], str(tmp_path / "p.csv"), options=MatchOptions(threshold=0.3))
    assert summary.rows == 2 and summary.pairs == 1
