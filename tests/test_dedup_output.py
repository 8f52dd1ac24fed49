"""The pairs writer gives the bytes pandas' to_csv gives."""
import io

import numpy as np
import pandas as pd
import pytest

from dataforge.dedup.table import write_frame_csv


@pytest.mark.parametrize("rows", [0, 1, 1000])
def test_same_bytes_as_to_csv(rows):
    rng = np.random.default_rng(rows)
    awkward = ["ACME LTD", 'SAY "HI" LTD', "A, B & C", "line\nbreak", "", " padded ", "É ÇA", None,
               float("nan"), "0012", "NA"]
    pick = lambda: [awkward[k] for k in rng.integers(0, len(awkward), rows)]
    frame = pd.DataFrame({"left_id": pick(), "left_name": pick(), "right_id": pick(), "right_name": pick(),
                          "similarity": rng.random(rows)}, columns=["left_id", "left_name", "right_id",
                                                                     "right_name", "similarity"])
    if rows:
        frame.loc[0, "similarity"] = 1.0
        frame.loc[len(frame) - 1, "similarity"] = 0.6000000000000001
    expected, ours = io.StringIO(), io.StringIO()
    frame.to_csv(expected, index=False)
    write_frame_csv(ours, frame)
    assert ours.getvalue() == expected.getvalue()


def test_a_carriage_return_is_quoted_and_reads_back():
    """pandas leaves a bare \r unquoted, which readers may take for a line end; we quote it."""
    frame = pd.DataFrame({"left_id": ["1"], "left_name": ["cr\rhere"], "similarity": [0.7]})
    out = io.StringIO()
    write_frame_csv(out, frame)
    assert out.getvalue().splitlines()[1].startswith('1,"cr')
    back = pd.read_csv(io.StringIO(out.getvalue()), dtype=str)
    assert back.loc[0, "left_name"] == "cr\rhere"


def test_chunks_join_up(monkeypatch):
    import dataforge.dedup.table as table

    monkeypatch.setattr(table, "CHUNK_ROWS", 7)
    frame = pd.DataFrame({"id": [str(i) for i in range(50)], "name": ["A, B" if i % 3 else "C" for i in range(50)],
                          "similarity": np.linspace(0.6, 1.0, 50)})
    expected, ours = io.StringIO(), io.StringIO()
    frame.to_csv(expected, index=False)
    table.write_frame_csv(ours, frame)
    assert ours.getvalue() == expected.getvalue()
