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
