"""The saved match index: ``dedup index build|add|info`` and ``dedup match --index``.

Pairs are compared with ``--against`` where the IDF is the same (new names the
master already holds), and otherwise with an oracle of the frozen IDF built
from scikit-learn's own vectorizer and a dense product.  Damage, version and
lock errors are real files and a real lock; the crash during an add is a real
process killed with SIGKILL.
"""
from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

from dataforge.synthetic import write_companies
from tests.conftest import DATAFORGE, Result, assert_failure, assert_usage_error, run_cli

# names the generator does not make: accents, punctuation only, very short, repeated, empty
ODD_NAMES = ["Société Générale SA", "SOCIETE GENERALE S.A.", "!!!", "A", "AB LTD", "Ωmega Holdings", "",
             "  ", "ACME & SONS LIMITED", "ACME AND SONS LTD", "ACME & SONS LIMITED", "3M UK PLC", "3M U.K. P.L.C."]


def cli(cwd: Path, *args: str) -> Result:
    done = run_cli("dedup", *args, cwd=cwd)
    return Result(done.returncode, done.stdout, done.stderr.decode("utf-8", "replace"))


def write_rows(path: Path, rows: list[tuple[str, str]]) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["CompanyName", "CompanyNumber"])
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def generated(n: int, seed: int) -> list[tuple[str, str]]:
    buffer = io.StringIO()
    write_companies(buffer, n, seed=seed)
    return [(r["CompanyName"], r[" CompanyNumber"]) for r in csv.DictReader(io.StringIO(buffer.getvalue()))]


def pairs_of(path: Path) -> dict:
    with open(path, newline="", encoding="utf-8") as f:
        return {(r["left_id"], r["right_id"]): (r["left_name"], r["right_name"], float(r["similarity"]))
                for r in csv.DictReader(f)}


def assert_same_pairs(got: dict, expected: dict) -> None:
    assert got.keys() == expected.keys()
    assert len(got) > 100  # the data set must make pairs for the comparison to mean anything
    for key, (left, right, score) in expected.items():
        assert got[key][:2] == (left, right)
        assert abs(got[key][2] - score) < 1e-9, key


@pytest.fixture(scope="module")
def master_rows() -> list[tuple[str, str]]:
    rows = generated(3000, seed=41)
    return rows + [(name, f"ODD{k}") for k, name in enumerate(ODD_NAMES)]


@pytest.fixture
def master(tmp_path, master_rows) -> Path:
    return write_rows(tmp_path / "master.csv", master_rows)


@pytest.fixture
def index(tmp_path, master) -> Path:
    result = cli(tmp_path, "index", "build", "master.csv", "-o", "master.dfidx", "-q")
    assert result.rc == 0, result.err
    return tmp_path / "master.dfidx"


def known_names(master_rows, n: int, seed: int) -> list[tuple[str, str]]:
    """New records whose names are all in the master (so --against fits the master's own IDF)."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(master_rows), n, replace=True)  # some names twice: pairs within the new file too
    return [(master_rows[i][0], f"N{k}") for k, i in enumerate(picks)]


# --------------------------------------------------------------------------- same pairs


@pytest.mark.parametrize("options", [[], ["--threshold", "0.5", "--top", "3"], ["--top", "0", "--threshold", "0.7"]])
def test_index_query_gives_the_pairs_and_scores_of_against_when_the_idf_is_the_same(tmp_path, master, index,
                                                                                    master_rows, options):
    write_rows(tmp_path / "new.csv", known_names(master_rows, 600, seed=len(options)))
    assert cli(tmp_path, "match", "new.csv", "--against", "master.csv", "-o", "against.csv", *options).rc == 0
    result = cli(tmp_path, "match", "new.csv", "--index", "master.dfidx", "-o", "indexed.csv", "--json", *options)
    assert result.rc == 0, result.err
    summary = result.json()
    assert summary["index"] == "master.dfidx" and summary["master_rows"] == len(master_rows)
    assert_same_pairs(pairs_of(tmp_path / "indexed.csv"), pairs_of(tmp_path / "against.csv"))


def test_an_index_built_with_strip_legal_matches_as_against_with_strip_legal(tmp_path, master, master_rows):
    assert cli(tmp_path, "index", "build", "master.csv", "--strip-legal", "-o", "legal.dfidx", "-q").rc == 0
    write_rows(tmp_path / "new.csv", known_names(master_rows, 400, seed=7))
    assert cli(tmp_path, "match", "new.csv", "--against", "master.csv", "--strip-legal", "-o", "against.csv").rc == 0
    # --strip-legal is the index's: it applies without being given again
    assert cli(tmp_path, "match", "new.csv", "--index", "legal.dfidx", "-o", "indexed.csv").rc == 0
    assert_same_pairs(pairs_of(tmp_path / "indexed.csv"), pairs_of(tmp_path / "against.csv"))


def frozen_oracle(fitted: list[str], right: list[str], new: list[str], threshold: float) -> dict:
    """(new name, right name) -> cosine above *threshold* at the IDF of the *fitted* names: scikit-learn's
    vectorizer fitted on their distinct names gives the weights, an n-gram it never saw weighs
    ln(1 + n) + 1 (the formula at df 0) and counts in its name's length; every pair, no top N."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer

    from dataforge.dedup.normalise import make_analyzer

    analyzer = make_analyzer(3, False)
    fitted = list(dict.fromkeys(n for n in fitted if n.strip()))
    vectorizer = TfidfVectorizer(min_df=1, analyzer=analyzer).fit(fitted)
    unseen = np.log(1 + len(fitted)) + 1
    columns: dict = {}

    def matrix(names: list[str]) -> sp.csr_matrix:
        rows, cols, values = [], [], []
        for row, name in enumerate(names):
            grams: dict = {}
            for gram in analyzer(name):
                grams[gram] = grams.get(gram, 0) + 1
            weights = {g: c * (vectorizer.idf_[vectorizer.vocabulary_[g]] if g in vectorizer.vocabulary_
                               else unseen) for g, c in grams.items()}
            norm = np.sqrt(sum(w * w for w in weights.values())) or 1.0
            for gram, weight in weights.items():
                rows.append(row)
                cols.append(columns.setdefault(gram, len(columns)))
                values.append(weight / norm)
        return sp.csr_matrix((values, (rows, cols)), shape=(len(names), 1 << 20))

    right = list(dict.fromkeys(n for n in right if n.strip()))
    queries = list(dict.fromkeys(n for n in new if n.strip()))
    scores = (matrix(queries) @ matrix(right).T).tocoo()
    return {(queries[i], right[j]): 1.0 if queries[i] == right[j] else min(float(v), 1.0)
            for i, j, v in zip(scores.row, scores.col, scores.data) if v > threshold}


def name_pairs(path: Path) -> dict:
    return {(left, right): score for left, right, score in pairs_of(path).values()}


def test_index_query_of_new_names_is_the_cosine_at_the_frozen_idf(tmp_path, index, master_rows):
    new = generated(500, seed=99) + [(name, f"X{k}") for k, name in enumerate(ODD_NAMES)]
    write_rows(tmp_path / "new.csv", new)
    assert cli(tmp_path, "match", "new.csv", "--index", "master.dfidx", "--top", "0", "--threshold", "0.5",
               "-o", "indexed.csv").rc == 0
    got = name_pairs(tmp_path / "indexed.csv")
    masters = [n for n, _ in master_rows]
    expected = frozen_oracle(masters, masters, [n for n, _ in new], 0.5)
    assert len(expected) > 50
    assert got.keys() == expected.keys()
    assert max(abs(got[k] - expected[k]) for k in expected) < 1e-9


def test_groups_put_each_new_record_in_its_best_master_matchs_group(tmp_path, master, index, master_rows):
    write_rows(tmp_path / "new.csv", known_names(master_rows, 300, seed=3) + [("ZZQX VRRK", "lonely")])
    assert cli(tmp_path, "match", "new.csv", "--against", "master.csv", "--groups", "g1.csv", "-o", "p1.csv").rc == 0
    result = cli(tmp_path, "match", "new.csv", "--index", "master.dfidx", "--groups", "g2.csv", "-o", "p2.csv",
                 "--json")
    assert result.rc == 0 and result.json()["grouping"] == "best_master"
    groups = (tmp_path / "g2.csv").read_text(encoding="utf-8")
    assert groups == (tmp_path / "g1.csv").read_text(encoding="utf-8")
    assert "ZZQX VRRK,lonely,lonely,ZZQX VRRK" in groups  # no match: its own group


# --------------------------------------------------------------------------- add


def test_add_of_known_names_then_query_equals_a_rebuild(tmp_path, master, index, master_rows):
    more = known_names(master_rows, 400, seed=11)
    write_rows(tmp_path / "more.csv", more)
    write_rows(tmp_path / "all.csv", master_rows + more)
    result = cli(tmp_path, "index", "add", "master.dfidx", "more.csv", "--json")
    assert result.rc == 0, result.err
    summary = result.json()
    assert summary["records"] == len(master_rows) + len(more) and summary["new_distinct_names"] == 0
    assert summary["drift"] == 0.0 and summary["rebuild_advised"] is False
    assert cli(tmp_path, "index", "build", "all.csv", "-o", "rebuilt.dfidx", "-q").rc == 0
    write_rows(tmp_path / "new.csv", known_names(master_rows, 300, seed=12) + generated(100, seed=5))
    assert cli(tmp_path, "match", "new.csv", "--index", "master.dfidx", "-o", "added.csv").rc == 0
    assert cli(tmp_path, "match", "new.csv", "--index", "rebuilt.dfidx", "-o", "rebuilt.csv").rc == 0
    added = pairs_of(tmp_path / "added.csv")
    assert any(right.startswith("N") for _, right in added)  # the added records are found
    assert_same_pairs(added, pairs_of(tmp_path / "rebuilt.csv"))


def test_add_of_new_names_keeps_the_frozen_idf_and_reports_its_drift(tmp_path, index, master_rows):
    more = generated(1500, seed=77)
    write_rows(tmp_path / "more.csv", more)
    result = cli(tmp_path, "index", "add", "master.dfidx", "more.csv", "--json")
    assert result.rc == 0, result.err
    summary = result.json()
    assert summary["new_distinct_names"] > 1000
    assert 0 < summary["drift"] < 0.05
    assert summary["rebuild_advised"] is True  # half as many names again as the IDF was fitted on
    assert "rebuild" in cli(tmp_path, "index", "add", "master.dfidx", "more.csv").err  # said to people too
    new = generated(300, seed=78)
    write_rows(tmp_path / "new.csv", new)
    assert cli(tmp_path, "match", "new.csv", "--index", "master.dfidx", "--top", "0", "--threshold", "0.5",
               "-o", "indexed.csv").rc == 0
    got = name_pairs(tmp_path / "indexed.csv")
    # the master's IDF, the added names weighed by it (their new n-grams as df 0 weighs them)
    masters = [n for n, _ in master_rows]
    expected = frozen_oracle(masters, masters + [n for n, _ in more], [n for n, _ in new], 0.5)
    assert got.keys() == expected.keys()
    assert max(abs(got[k] - expected[k]) for k in expected) < 1e-9
    assert any(right in {n for n, _ in more} and right not in {n for n, _ in master_rows} for _, right in got)


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize("args, needles", [
    (["--ngram", "4"], ["--ngram 4 conflicts", "built with --ngram 3"]),
    (["--strip-legal"], ["--strip-legal conflicts"]),
    (["--against", "master.csv"], ["--index and --against"]),
    (["--engine", "spark"], ["--engine spark is not supported with --index"]),
    (["--phonetic"], ["--phonetic is not supported"]),
    (["--refine"], ["--refine is not supported with --index"]),
    (["--learn"], ["not supported with --index"]),
    (["--also", "CompanyNumber"], ["--also is not supported with --index"]),
    (["--kernel", "brute"], ["--kernel brute"]),
])
def test_options_that_conflict_with_the_index_exit_2_before_any_work(tmp_path, index, args, needles):
    write_rows(tmp_path / "new.csv", [("ACME LTD", "1")])
    result = cli(tmp_path, "match", "new.csv", "--index", "master.dfidx", "-o", "out.csv", *args)
    assert_usage_error(result, *needles)
    assert not (tmp_path / "out.csv").exists()


def test_the_index_own_options_given_again_are_no_conflict(tmp_path, index):
    write_rows(tmp_path / "new.csv", [("ACME LTD", "1")])
    assert cli(tmp_path, "match", "new.csv", "--index", "master.dfidx", "--ngram", "3", "-o", "out.csv").rc == 0


def test_a_missing_index_exits_2_and_an_existing_one_is_not_rebuilt_without_force(tmp_path, master, index):
    write_rows(tmp_path / "new.csv", [("ACME LTD", "1")])
    assert_usage_error(cli(tmp_path, "match", "new.csv", "--index", "nowhere.dfidx"), "index not found: nowhere.dfidx")
    assert_usage_error(cli(tmp_path, "index", "build", "master.csv", "-o", "master.dfidx"), "index exists", "--force")
    before = json.loads((index / "manifest.json").read_text())
    result = cli(tmp_path, "index", "build", "new.csv", "-o", "master.dfidx", "--force", "--json")
    assert result.rc == 0 and result.json()["records"] == 1
    after = json.loads((index / "manifest.json").read_text())
    assert after["generation"] != before["generation"]
    assert sorted(p.name for p in index.iterdir()) == sorted(["manifest.json", "lock", after["generation"]])


# --------------------------------------------------------------------------- damage


def query(tmp_path) -> Result:
    write_rows(tmp_path / "new.csv", [("ACME & SONS LIMITED", "1")])
    return cli(tmp_path, "match", "new.csv", "--index", "master.dfidx", "-o", "out.csv")


def array_file(index: Path, name: str) -> Path:
    manifest = json.loads((index / "manifest.json").read_text())
    return index / manifest["generation"] / f"{name}.npy"


def rewrite_manifest(index: Path, change) -> None:
    from dataforge.dedup.index import _manifest_checksum

    manifest = json.loads((index / "manifest.json").read_text())
    change(manifest)
    manifest["checksum"] = _manifest_checksum(manifest)
    (index / "manifest.json").write_text(json.dumps(manifest))


def flip_a_byte(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage, needles", [
    (lambda ix: flip_a_byte(array_file(ix, "postings_data"), -3), ["postings_data.npy does not match its checksum"]),
    (lambda ix: flip_a_byte(array_file(ix, "name_bytes"), 200), ["name_bytes.npy does not match its checksum"]),
    (lambda ix: array_file(ix, "common_data").write_bytes(array_file(ix, "common_data").read_bytes()[:1000]),
     ["common_data.npy cannot be read"]),
    (lambda ix: array_file(ix, "norm").write_bytes(b""), ["norm.npy cannot be read"]),
    (lambda ix: array_file(ix, "records").unlink(), ["records.npy is missing"]),
    (lambda ix: (ix / "manifest.json").write_text((ix / "manifest.json").read_text()[:300]), ["not JSON"]),
    (lambda ix: (ix / "manifest.json").unlink(), ["not a dataforge index"]),
    (lambda ix: (ix / "manifest.json").write_text((ix / "manifest.json").read_text().replace('"records": 3',
                                                                                             '"records": 4', 1)),
     ["does not match its checksum"]),
    (lambda ix: rewrite_manifest(ix, lambda m: m.update(version=2)), ["format version 2", "reads version 1"]),
    (lambda ix: rewrite_manifest(ix, lambda m: m.update(format="something else")), ["not a dataforge match index"]),
])
def test_a_damaged_index_or_another_version_is_one_line_and_exit_1(tmp_path, index, damage, needles):
    damage(index)
    assert_failure(query(tmp_path), *needles)
    assert not (tmp_path / "out.csv").exists()
    assert_failure(cli(tmp_path, "index", "info", "master.dfidx"), *needles)


def test_indices_out_of_bounds_are_refused_even_with_matching_checksums(tmp_path, index):
    """A forged index (checksums recomputed) must not make the kernel read outside its arrays."""
    from dataforge.dedup.index import _crc

    path = array_file(index, "postings_indices")
    forged = np.load(path)
    forged[0] = 10 ** 8
    np.save(path, forged)
    rewrite_manifest(index, lambda m: m["arrays"]["postings_indices"].update(crc32=_crc(forged)))
    assert_failure(query(tmp_path), "postings_indptr and postings_indices do not agree")


def test_an_index_never_unpickles(tmp_path, index):
    """An object array (which only a pickle can hold) is refused, not loaded."""
    path = array_file(index, "vocabulary")
    np.save(path, np.array([object()], dtype=object), allow_pickle=True)
    assert_failure(query(tmp_path), "vocabulary.npy cannot be read")


# --------------------------------------------------------------------------- writers


def test_a_second_writer_fails_while_the_first_holds_the_lock(tmp_path, index):
    write_rows(tmp_path / "more.csv", [("ACME LTD", "1")])
    with open(index / "lock", "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # what a running add holds
        assert_failure(cli(tmp_path, "index", "add", "master.dfidx", "more.csv"), "being written by another")
    assert cli(tmp_path, "index", "add", "master.dfidx", "more.csv", "-q").rc == 0  # released: the add goes on


def test_an_add_killed_midway_leaves_the_previous_index_usable(tmp_path, index, master_rows):
    write_rows(tmp_path / "new.csv", known_names(master_rows, 200, seed=21))
    assert cli(tmp_path, "match", "new.csv", "--index", "master.dfidx", "-o", "before.csv").rc == 0
    before_manifest = (index / "manifest.json").read_bytes()
    write_rows(tmp_path / "more.csv", generated(150_000, seed=31))
    killed = False
    for _ in range(3):  # the kill must land while the new generation is being written
        proc = subprocess.Popen([DATAFORGE, "dedup", "index", "add", "master.dfidx", "more.csv", "-q"],
                                cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if len([p for p in index.iterdir() if p.name.startswith("gen-")]) > 1:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.001)
        proc.wait()
        if proc.returncode == -signal.SIGKILL:
            killed = True
            break
        (index / "manifest.json").write_bytes(before_manifest)  # it finished first: try again from the old state
    assert killed
    assert (index / "manifest.json").read_bytes() == before_manifest
    assert cli(tmp_path, "match", "new.csv", "--index", "master.dfidx", "-o", "after.csv").rc == 0
    assert (tmp_path / "after.csv").read_bytes() == (tmp_path / "before.csv").read_bytes()
    assert cli(tmp_path, "index", "info", "master.dfidx", "-q").rc == 0
    # the next writer removes what the killed one left
    write_rows(tmp_path / "few.csv", [("ACME LTD", "1")])
    assert cli(tmp_path, "index", "add", "master.dfidx", "few.csv", "-q").rc == 0
    assert len([p for p in index.iterdir() if p.name.startswith("gen-")]) == 1


# --------------------------------------------------------------------------- info


def test_info_prints_the_manifest_sizes_and_drift(tmp_path, index, master_rows):
    result = cli(tmp_path, "index", "info", "master.dfidx", "--json")
    assert result.rc == 0
    info = result.json()
    assert info["format"] == "dataforge-match-index" and info["version"] == 1 and info["verified"] is True
    assert info["records"] == len(master_rows) and info["options"] == {"ngram": 3, "strip_legal": False}
    assert info["columns"] == ["CompanyName"] and info["id_column"] == "CompanyNumber"
    assert info["bytes"] == sum(info["arrays"].values()) > 0 and info["drift"] == 0.0
    text = cli(tmp_path, "index", "info", "master.dfidx")
    assert text.rc == 0 and b"checksums verified" in text.out and b"IDF drift 0.00%" in text.out


def test_an_empty_master_or_one_without_names_is_a_usage_error(tmp_path):
    write_rows(tmp_path / "empty.csv", [])
    assert_usage_error(cli(tmp_path, "index", "build", "empty.csv", "-o", "e.dfidx"), "no names to index")
    write_rows(tmp_path / "punct.csv", [("-- , --", "1")])
    assert_usage_error(cli(tmp_path, "index", "build", "punct.csv", "-o", "e.dfidx"), "no n-grams")
    assert not (tmp_path / "e.dfidx").exists()


# --------------------------------------------------------------------------- a saved model


def test_a_saved_model_scores_indexed_pairs_as_it_scores_against_the_master(tmp_path, master, index, master_rows):
    """The cron job: a model learned once, tonight's names against the index, decided by it."""
    new = write_rows(tmp_path / "new.csv", known_names(master_rows, 400, seed=5))
    learned = cli(tmp_path, "match", "master.csv", "--learn", "--save-model", "model.json", "-o", "learned.csv", "-q")
    assert learned.rc == 0, learned.err
    against = cli(tmp_path, "match", new.name, "--against", "master.csv", "--model", "model.json", "--explain",
                  "-o", "against.csv", "--json")
    indexed = cli(tmp_path, "match", new.name, "--index", "master.dfidx", "--model", "model.json", "--explain",
                  "-o", "indexed.csv", "--json", "--groups", "groups.csv")
    assert against.rc == 0 and indexed.rc == 0, (against.err, indexed.err)
    got, expected = (list(csv.DictReader(open(tmp_path / f, newline="", encoding="utf-8")))
                     for f in ("indexed.csv", "against.csv"))
    key = lambda r: (r["left_id"], r["right_id"])  # noqa: E731
    assert sorted(map(key, got)) == sorted(map(key, expected)) and got
    by_key = {key(r): r for r in expected}
    for row in got:  # the same decisions; the index's cosines may differ from a refit's in the last bits
        other = by_key[key(row)]
        assert row.keys() == other.keys()
        for column in ("similarity", "match_weight", "weight_name", "weight_prior"):
            assert abs(float(row[column]) - float(other[column])) < 1e-9, (column, row, other)
    header = (tmp_path / "indexed.csv").read_text().splitlines()[0]
    assert "match_probability" in header and "weight_name" in header
    summary = indexed.json()
    assert summary["model"]["source"] == "model.json" and summary["pairs"] > 0
    assert summary["master_rows"] == len(master_rows)


def test_a_model_learned_with_other_vectorising_options_is_refused_with_the_index(tmp_path, master, index):
    write_rows(tmp_path / "new.csv", [("ACME LTD", "1")])
    assert cli(tmp_path, "match", "master.csv", "--learn", "--ngram", "4", "--save-model", "m4.json", "-o",
               "x.csv", "-q").rc == 0
    result = cli(tmp_path, "match", "new.csv", "--index", "master.dfidx", "--model", "m4.json", "-o", "out.csv")
    assert_usage_error(result, "learned with --ngram 4", "build the index with the model's options")
    assert not (tmp_path / "out.csv").exists()
