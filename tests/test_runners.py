"""dataforge's inline/local runners: byte-range splits read every line exactly once."""
from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from dataforge.jobs import MRFilter, MRTopN, run_job
from dataforge.jobs.launch import AUTO_LOCAL_MIN_BYTES, choose_runner
from dataforge.jobs.runners import _line_boundary


@pytest.mark.parametrize("offset, expected", [(0, 0), (1, 4), (3, 4), (4, 4), (5, 9), (9, 9), (10, 10), (99, 10)])
def test_line_boundary_is_the_next_line_start(offset, expected):
    data = b"abc\ndefg\nh"  # lines start at 0, 4, 9; size 10
    assert _line_boundary(io.BytesIO(data), offset, len(data)) == expected


def test_runners_do_not_import_the_job_base_class():
    # (base.py and runners.py imported each other before byte_range.py held the variable they share)
    code = "import sys, dataforge.jobs.runners; print('dataforge.jobs.base' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def lines_of(n: int, width_step: int = 7) -> list[bytes]:
    return [json.dumps({"i": i, "pad": "x" * (i * width_step % 500)}).encode() for i in range(n)]


@pytest.mark.parametrize("runner, cores", [("inline", "1"), ("local", "2"), ("local", "3")])
@pytest.mark.parametrize("ending", [b"\n", b""])
def test_every_line_read_once_whatever_the_split(tmp_path, runner, cores, ending):
    lines = lines_of(997)
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n".join(lines) + ending)
    out = tmp_path / "out.jsonl"
    summary = run_job(MRFilter, [], [str(src)], str(out), runner=runner, runner_args=["--num-cores", cores])
    assert out.read_bytes().splitlines() == lines
    assert summary.read == 997


def test_first_skip_line_number_is_counted_from_the_file_start_in_a_later_split(tmp_path):
    lines = lines_of(1000)
    lines[899] = b'{"truncated": '
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    summary = run_job(MRFilter, [], [str(src)], str(tmp_path / "o.jsonl"), runner="local",
                      runner_args=["--num-cores", "3"])
    assert summary.skipped == {"invalid_json": 1}
    assert summary.first_skip == f"{src}:900 (invalid_json)"


def test_empty_and_compressed_inputs_mix(tmp_path):
    import gzip
    (tmp_path / "empty.jsonl").write_bytes(b"")
    with gzip.open(tmp_path / "b.jsonl.gz", "wb") as f:
        f.write(b'{"v": 2}\n{"v": 9}\n')
    (tmp_path / "a.jsonl").write_bytes(b'{"v": 5}\n')
    summary = run_job(MRTopN, ["-n", "2", "--by", "v", "--values"], [str(tmp_path)], str(tmp_path / "t.out"),
                      runner="local")
    assert (tmp_path / "t.out").read_bytes() == b"[9.0]\n[5.0]\n"
    assert summary.read == 3


def test_auto_runner_is_inline_for_small_or_piped_input_and_local_for_large(tmp_path):
    small = tmp_path / "small.jsonl"
    small.write_bytes(b"{}\n")
    large = tmp_path / "large.jsonl"
    with open(large, "wb") as f:
        f.truncate(AUTO_LOCAL_MIN_BYTES)  # sparse: size without the disk
    assert choose_runner([str(small)]) == "inline"
    assert choose_runner(["-"]) == "inline"
    assert choose_runner([str(large)]) == "local"


@pytest.mark.parametrize("runner", ["inline", "local"])
def test_first_skip_on_stdin_names_the_right_line(runner):
    from conftest import run_cli

    data = b"".join(b'{"i": %d}\n' % i for i in range(50)) + b'{"i": \n' + b'{"i": 99}\n'
    result = run_cli("jobs", "filter", "-r", runner, "-o", "-", input=data)
    assert result.returncode == 0
    assert b"first at <stdin>:51 (invalid_json)" in result.stderr
    assert len(result.stdout.splitlines()) == 51


@pytest.mark.parametrize("batch_bytes", [1, 7, 64, 1 << 22])
@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b""])
def test_a_task_reads_exactly_its_byte_range_in_batches(tmp_path, monkeypatch, batch_bytes, ending):
    """Ranges cut at line starts; each task's batches hold just the lines of its range."""
    from dataforge.jobs.base import RANGE_ENV

    lines = lines_of(211, width_step=13)
    data = ending.join(lines) + ending if ending else b"\n".join(lines)
    src = tmp_path / "in.jsonl"
    src.write_bytes(data)
    cuts = sorted({_line_boundary(io.BytesIO(data), offset, len(data)) for offset in range(0, len(data), 997)})
    cuts = [c for c in cuts if c < len(data)] + [len(data)]
    seen = []
    for start, end in zip(cuts, cuts[1:]):
        monkeypatch.setenv(RANGE_ENV, f"{start}:{end - start}")
        job = MRFilter(["--title", "x"])
        job.READ_BATCH_BYTES = batch_bytes
        with open(src, "rb") as stdin:
            job.sandbox(stdin=stdin)
            batches = list(job._read_batches())
        assert all(batches), "no empty batches"
        got = b"".join(line for batch in batches for line in batch)
        assert got == data[start:end]
        seen.append(got)
    assert b"".join(seen) == data
