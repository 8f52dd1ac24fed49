"""The pairwise libraries ``dedup bench`` times, run for real on a handful of names."""
from __future__ import annotations

import numpy as np
import pytest

from dataforge.dedup.pairwise import time_pairwise


def test_pairwise_never_matches_a_record_with_itself():
    names = ["ACME TRADING LTD", "ZEBRA FOODS LTD", "ACME TRADING LTD", "QUUX HOLDINGS PLC", "ZEBRA FOOD LTD"]

    run = time_pairwise("rapidfuzz", names, np.arange(5))

    assert run.best.tolist() == [2, 4, 0, run.best[3], 1]
    assert run.best[3] != 3
    assert run.score[0] == run.score[2] == 100
    assert run.estimate == pytest.approx(run.seconds / 5 * 5)


def test_pairwise_stops_at_its_time_budget():
    names = [f"FIRM NUMBER {i} LIMITED" for i in range(200)]

    run = time_pairwise("rapidfuzz", names, np.arange(50), budget=0.0)

    assert run.queries == 1 and len(run.best) == 1


@pytest.mark.parametrize("library", ["thefuzz", "fuzzywuzzy"])
def test_fuzzywuzzy_and_thefuzz_when_installed_agree_with_rapidfuzz(library):
    pytest.importorskip(f"{library}.process")
    names = ["ACME TRADING LTD", "ZEBRA FOODS LTD", "ACME TRADING LIMITED", "QUUX HOLDINGS PLC", "ZEBRA FOOD LTD"]

    theirs = time_pairwise(library, names, np.arange(5))
    ours = time_pairwise("rapidfuzz", names, np.arange(5))

    assert theirs.best.tolist() == ours.best.tolist()
    assert np.allclose(theirs.score, ours.score, atol=1)
