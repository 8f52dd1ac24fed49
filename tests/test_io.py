"""Input resolution and atomic output: the pieces every command shares."""
from __future__ import annotations

import gzip
import os

import pytest

from dataforge.errors import InputPathError, OutputExistsError, UsageError
from dataforge.io import AtomicDirectory, AtomicFile, check_output_free, resolve_inputs


def leftovers(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_atomic_file_appears_only_on_success(tmp_path):
    target = tmp_path / "out.jsonl"
    with AtomicFile(str(target)) as out:
        out.write(b"a\n")
        assert not target.exists()  # still under its temporary name
    assert target.read_bytes() == b"a\n"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_atomic_file_failure_leaves_the_old_file_and_no_temporary(tmp_path, error):
    target = tmp_path / "out.jsonl"
    target.write_bytes(b"old\n")
    with pytest.raises(error):
        with AtomicFile(str(target)) as out:
            out.write(b"half")
            raise error()
    assert target.read_bytes() == b"old\n"
    assert leftovers(tmp_path) == []


def test_atomic_file_gz_is_compressed(tmp_path):
    target = tmp_path / "out.jsonl.gz"
    with AtomicFile(str(target)) as out:
        out.write(b"x\n" * 1000)
    assert target.read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress(target.read_bytes()) == b"x\n" * 1000


def test_atomic_file_creates_missing_parent_directories(tmp_path):
    target = tmp_path / "a" / "b" / "out.jsonl"
    with AtomicFile(str(target)) as out:
        out.write(b"1\n")
    assert target.read_bytes() == b"1\n"


def test_atomic_directory_replaces_whole_or_not_at_all(tmp_path):
    target = tmp_path / "split"
    target.mkdir()
    (target / "train.jsonl").write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with AtomicDirectory(str(target)) as tmp:
            (tmp / "train.jsonl").write_bytes(b"new")
            raise RuntimeError
    assert (target / "train.jsonl").read_bytes() == b"old"
    with AtomicDirectory(str(target)) as tmp:
        (tmp / "train.jsonl").write_bytes(b"new")
    assert (target / "train.jsonl").read_bytes() == b"new"
    assert leftovers(tmp_path) == []


def test_existing_output_refused_without_force(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_bytes(b"")
    with pytest.raises(OutputExistsError, match="out.jsonl"):
        check_output_free(str(target), force=False)
    check_output_free(str(target), force=True)
    check_output_free("-", force=False)


def test_empty_directory_is_a_free_output_and_a_foreign_one_is_never_replaced(tmp_path):
    (tmp_path / "empty").mkdir()
    check_output_free(str(tmp_path / "empty"), force=False, directory=True)
    with pytest.raises(UsageError, match="is a directory"):
        check_output_free(str(tmp_path / "empty"), force=True)  # a file output cannot go there
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="did not write"):
        check_output_free(str(tmp_path / "home"), force=True, directory=True)


def test_force_replaces_a_directory_holding_only_the_names_the_command_writes(tmp_path):
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "a.txt").write_text("earlier run")
    check_output_free(str(tmp_path / "parts"), force=True, directory=True, replaceable={"a.txt", "b.txt"})
    with pytest.raises(UsageError, match="did not write"):
        check_output_free(str(tmp_path / "parts"), force=True, directory=True, replaceable={"b.txt"})


def test_resolve_inputs_walks_directories_and_skips_hidden_files(tmp_path):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    for name in ["d/b.jsonl", "d/a.jsonl.gz", "d/sub/c.jsonl", "d/_SUCCESS", "d/.a.crc", "d/sub/.hidden"]:
        (tmp_path / name).write_bytes(b"")
    found = resolve_inputs([str(tmp_path / "d")])
    assert [os.path.relpath(p, tmp_path) for p in found] == ["d/a.jsonl.gz", "d/b.jsonl", "d/sub/c.jsonl"]


def test_resolve_inputs_expands_globs_and_names_what_is_missing(tmp_path):
    for name in ["x1.jsonl", "x2.jsonl", "y.jsonl"]:
        (tmp_path / name).write_bytes(b"")
    assert [os.path.basename(p) for p in resolve_inputs([str(tmp_path / "x*.jsonl")])] == ["x1.jsonl", "x2.jsonl"]
    with pytest.raises(InputPathError, match="no files match .*z\\*"):
        resolve_inputs([str(tmp_path / "z*")])
    with pytest.raises(InputPathError, match="input not found: .*nope"):
        resolve_inputs([str(tmp_path / "nope")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputPathError, match="no input files"):
        resolve_inputs([str(tmp_path / "empty")])


def test_resolve_inputs_stdin_rules():
    assert resolve_inputs([], stdin_is_terminal=False) == ["-"]
    with pytest.raises(UsageError, match="nothing piped"):
        resolve_inputs([], stdin_is_terminal=True)
    with pytest.raises(UsageError, match="only once"):
        resolve_inputs(["-", "-"])
    assert resolve_inputs(["hdfs:///data/jobs/", "s3://bucket/x.gz"]) == ["hdfs:///data/jobs/", "s3://bucket/x.gz"]
