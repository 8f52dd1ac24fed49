"""What an output may replace: special files written through, races refused, outputs claimed before work."""
from __future__ import annotations

import bz2
import os
import stat
import subprocess
import time
import threading

import pytest

from dataforge.dedup.files import match_files
from dataforge.errors import JobFailedError, OutputExistsError, OutputRaceError, OutputWriteError, UsageError
from dataforge.io import AtomicDirectory, AtomicFile, check_output_free


def make_device(directory, name: str = "null", minor: int = 3) -> str:
    """A character device like /dev/null (1, 3) or /dev/full (1, 7), made in *directory*:
    never the machine's own."""
    path = str(directory / name)
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    except PermissionError:
        pytest.skip("making a device node needs root (CI runs as root)")
    return path


def make_null_device(directory) -> str:
    return make_device(directory)


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KiB tmpfs, to fill; unmounted afterwards."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"mounting a small tmpfs needs root: {done.stderr.decode().strip()}")
    yield mount
    # a runner's child may still be closing its files there for a moment (seen once under load): retry,
    # then detach it lazily (the kernel frees it when the last file closes)
    for _ in range(20):
        if subprocess.run(["umount", str(mount)], capture_output=True).returncode == 0:
            return
        time.sleep(0.25)
    subprocess.run(["umount", "-l", str(mount)], check=True)


def big_postings(path, postings, times: int = 40):
    data = postings.read_bytes()
    with open(path, "wb") as f:
        for _ in range(times):
            f.write(data)
    return path


def test_force_never_replaces_a_device_node(tmp_path, companies_csv):
    null = make_null_device(tmp_path)
    check_output_free(null, force=False)  # writing to it destroys nothing: no --force needed
    match_files([str(companies_csv)], null, force=True)
    assert stat.S_ISCHR(os.stat(null).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["null"]  # no temporary left beside it


def test_a_fifo_is_written_through(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(open(fifo, "rb").read()))
    reader.start()
    check_output_free(str(fifo), force=False)
    with AtomicFile(str(fifo)) as out:
        out.write(b"through\n")
    reader.join(10)
    assert received == [b"through\n"] and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_symlink_output_replaces_its_target_and_stays_a_link(tmp_path):
    target = tmp_path / "real.csv"
    target.write_bytes(b"old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    with pytest.raises(OutputExistsError):
        check_output_free(str(link), force=False)
    check_output_free(str(link), force=True)
    with AtomicFile(str(link)) as out:
        out.write(b"new\n")
    assert link.is_symlink() and target.read_bytes() == b"new\n"


def test_of_two_runs_writing_one_output_the_second_fails(tmp_path):
    target = tmp_path / "out.csv"
    first, second = AtomicFile(str(target)), AtomicFile(str(target))
    with first as a:
        a.write(b"first\n")
        second.__enter__().write(b"second\n")
    with pytest.raises(OutputRaceError, match="another run"):
        second.__exit__(None, None, None)
    assert target.read_bytes() == b"first\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_of_two_forced_runs_the_second_fails_too(tmp_path):
    target = tmp_path / "out.csv"
    target.write_bytes(b"old\n")
    first, second = AtomicFile(str(target)), AtomicFile(str(target))
    with pytest.raises(OutputRaceError):
        with first as a:
            a.write(b"first\n")
            with second as b:
                b.write(b"second\n")
            # second has landed over the old file; first then finds the file changed
    assert target.read_bytes() == b"second\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_a_directory_output_written_meanwhile_is_not_replaced(tmp_path):
    target = tmp_path / "split"
    with pytest.raises(OutputRaceError):
        with AtomicDirectory(str(target)) as tmp:
            (tmp / "train.jsonl").write_bytes(b"")
            target.mkdir()
            (target / "train.jsonl").write_bytes(b"theirs")
    assert (target / "train.jsonl").read_bytes() == b"theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["split"]


def test_bz2_outputs_are_compressed(tmp_path):
    target = tmp_path / "out.jsonl.bz2"
    with AtomicFile(str(target)) as out:
        out.write(b'{"a": 1}\n')
    assert bz2.decompress(target.read_bytes()) == b'{"a": 1}\n'


def test_an_output_that_cannot_be_created_fails_before_any_input_is_read(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(UsageError, match="not a directory"):
        # the input does not even exist: the output is checked first
        match_files([str(tmp_path / "missing.csv")], str(blocker / "pairs.csv"))


def test_an_input_is_never_its_own_output(tmp_path, companies_csv):
    copy = tmp_path / "c.csv"
    copy.write_bytes(companies_csv.read_bytes())
    with pytest.raises(UsageError, match="also an input"):
        match_files([str(copy)], str(copy), force=True)
    with pytest.raises(UsageError, match="also an input"):
        match_files([str(copy)], str(tmp_path / "p.csv"), groups=str(copy), force=True)
    assert copy.read_bytes() == companies_csv.read_bytes()


def test_a_header_only_csv_with_groups_writes_one_header(tmp_path):
    source = tmp_path / "h.csv"
    source.write_text("CompanyName,CompanyNumber\n", encoding="utf-8")
    match_files([str(source)], str(tmp_path / "p.csv"), groups=str(tmp_path / "g.csv"))
    assert (tmp_path / "g.csv").read_text() == "CompanyName,CompanyNumber,group_id,group_name\n"


def test_jobs_claim_their_output_and_refuse_their_input(tmp_path, postings):
    from dataforge.jobs import MRFilter, run_job

    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(UsageError, match="not a directory"):
        run_job(MRFilter, [], [str(tmp_path / "missing.jsonl")], str(blocker / "out.jsonl"), runner="inline")
    copy = tmp_path / "in.jsonl"
    copy.write_bytes(postings.read_bytes())
    with pytest.raises(UsageError, match="also an input"):
        run_job(MRFilter, [], [str(copy)], str(copy), runner="inline", force=True)
    assert copy.read_bytes() == postings.read_bytes()
    target = tmp_path / "out" / "o.jsonl"
    run_job(MRFilter, ["--title", "data"], [str(copy)], f"file://{target}", runner="inline")
    assert target.stat().st_size > 0


def test_gzip_on_stdin_is_read_as_gzip(tmp_path, postings):
    import gzip

    from tests.conftest import run_cli

    done = run_cli("jobs", "filter", "--title", "data", "-o", "-", "--json", "-o", str(tmp_path / "o.jsonl"),
                   input=gzip.compress(postings.read_bytes()), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    import json

    summary = json.loads(done.stdout)
    assert summary["read"] == 1500 and not any(summary["skipped"].values())


# ------------------------------------------------------------------------------------ a full disk


def test_a_full_device_is_named_in_the_error(tmp_path, postings):
    from dataforge.jobs.filter import MRFilter
    from dataforge.jobs.launch import run_job

    full = make_device(tmp_path, "full", 7)
    with pytest.raises(OutputWriteError, match=rf"cannot write {full}: no space left on device"):
        run_job(MRFilter, ["--title", "a"], [str(postings)], full, runner="inline")
    assert stat.S_ISCHR(os.stat(full).st_mode)


def test_a_full_disk_under_the_output_names_it_and_leaves_nothing(small_disk, companies_csv):
    (small_disk / "filler").write_bytes(b"x" * (224 << 10))  # 32 KiB left: less than the pairs
    out = small_disk / "pairs.csv"
    with pytest.raises(OutputWriteError, match=rf"cannot write {out}: .*{small_disk} is full"):
        match_files([str(companies_csv)], str(out))
    assert [p.name for p in small_disk.iterdir()] == ["filler"]


@pytest.mark.parametrize("runner", ["inline", "local"])
def test_a_full_disk_under_the_runners_temporary_files_names_it(small_disk, tmp_path, postings, runner,
                                                                 monkeypatch):
    from dataforge.jobs.filter import MRFilter
    from dataforge.jobs.launch import run_job

    big = big_postings(tmp_path / "big.jsonl", postings)
    monkeypatch.setenv("TMPDIR", str(small_disk))
    monkeypatch.setattr("tempfile.tempdir", None)  # tempfile caches the directory it chose
    with pytest.raises(JobFailedError, match=rf"no space left on device for its temporary files in {small_disk}"):
        run_job(MRFilter, ["--title", "a"], [str(big)], str(tmp_path / "out.jsonl"), runner=runner)
    assert not (tmp_path / "out.jsonl").exists()
