"""``dataforge dedup review`` and ``dedup label``'s session, without a browser or a terminal.

Real runs of ``dedup match`` on the bundled sample make the pairs; the page's
embedded data is read back from the HTML as the page itself reads it (the one
JSON script element).  The page in a real browser: test_dedup_review_page.py;
the labeller in a real terminal: test_dedup_label_terminal.py.
"""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT, Result, assert_usage_error, run_cli, temp_leftovers

SAMPLE = str(ROOT / "data" / "sample" / "companies.csv.gz")
DATA = re.compile(rb'<script id="review-data" type="application/json">(.*?)</script>', re.S)


def dataforge(cwd: Path, *args: str) -> Result:
    done = run_cli(*args, cwd=cwd)
    return Result(done.returncode, done.stdout, done.stderr.decode("utf-8", "replace"))


def page_data(path: Path) -> dict:
    found = DATA.findall(path.read_bytes())
    assert len(found) == 1
    return json.loads(found[0])


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A learned run on the sample kept down to 0.05, so that pairs lie on both sides of 0.5, with its groups;
    and a plain run (similarity only)."""
    cwd = tmp_path_factory.mktemp("review")
    learned = dataforge(cwd, "dedup", "match", SAMPLE, "--learn", "--threshold", "0.05", "--also", "RegAddress.PostTown",
                        "--also", "RegAddress.PostCode", "--explain", "-o", "pairs.csv", "--groups", "groups.csv")
    assert learned.rc == 0, learned.err
    plain = dataforge(cwd, "dedup", "match", SAMPLE, "-o", "plain.csv")
    assert plain.rc == 0, plain.err
    return cwd


def rows(path: Path) -> list:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def test_learned_pairs_are_ranked_by_their_distance_from_half_and_explained(run, tmp_path):
    result = dataforge(run, "dedup", "review", "pairs.csv", "--groups", "groups.csv", "-o", tmp_path / "r.html",
                       "--top", "20", "--json")
    assert result.rc == 0, result.err
    summary = result.json()
    data = page_data(tmp_path / "r.html")
    pairs = rows(run / "pairs.csv")
    assert summary["pairs"] == data["summary"]["pairs"] == len(pairs)
    assert summary["shown_pairs"] == len(data["pairs"]) == 20 and summary["threshold"] == data["threshold"] == 0.5
    assert data["score"] == "match_probability" and data["learned"]
    margins = [abs(p[3] - 0.5) for p in data["pairs"]]
    assert margins == sorted(margins)
    nearest = min(abs(float(p["match_probability"]) - 0.5) for p in pairs)
    assert margins[0] == pytest.approx(nearest)
    assert data["measures"][0] == "prior" and "also_RegAddress.PostCode" in data["measures"]
    for left, right, similarity, probability, weight, parts, label in data["pairs"]:
        assert sum(parts) == pytest.approx(weight, abs=1e-9)  # the waterfall ends at match_weight
    # both sides of the line are on the page: what the person decides can go either way
    assert min(p[3] for p in data["pairs"]) < 0.5 < max(p[3] for p in data["pairs"])
    assert sum(data["histogram"]["counts"]) == len(pairs)
    assert summary["groups"] == data["groups"]["count"] == len({r["group_id"] for r in rows(run / "groups.csv")})
    assert data["summary"]["rows"] == 5000


def test_groups_largest_first_with_members_columns_and_the_pairs_that_hold_them(run, tmp_path):
    result = dataforge(run, "dedup", "review", "pairs.csv", "--groups", "groups.csv", "--show", "RegAddress.PostCode",
                       "-o", tmp_path / "r.html", "--top-groups", "5")
    assert result.rc == 0, result.err
    data = page_data(tmp_path / "r.html")
    groups = data["groups"]
    sizes = {}
    for row in rows(run / "groups.csv"):
        sizes[row["group_id"]] = sizes.get(row["group_id"], 0) + 1
    assert [g["size"] for g in groups["largest"]] == sorted(sizes.values(), reverse=True)[:5]
    biggest = groups["largest"][0]
    members = {row[" CompanyNumber"]: row for row in rows(run / "groups.csv") if row["group_id"] == biggest["id"]}
    records = data["records"]
    assert {records[m][0] for m in biggest["members"]} == set(members)
    assert data["columns"] == ["RegAddress.PostCode"]
    for m in biggest["members"]:
        assert records[m][2] == [members[records[m][0]]["RegAddress.PostCode"]]
    assert biggest["pairs"] and all(records[a][0] in members and records[b][0] in members
                                    for a, b, _ in biggest["pairs"])
    weakest = [g["weakest"] for g in groups["least_certain"]]
    assert weakest == sorted(weakest) and len(weakest) == 5
    assert [n for size, n in groups["sizes"] if size == 1][0] == sum(1 for s in sizes.values() if s == 1)


def test_plain_pairs_use_similarity_and_the_default_threshold_and_group_themselves(run, tmp_path):
    result = dataforge(run, "dedup", "review", "plain.csv", "--input", SAMPLE, "-o", tmp_path / "r.html", "--json")
    assert result.rc == 0, result.err
    data = page_data(tmp_path / "r.html")
    assert data["score"] == "similarity" and data["threshold"] == 0.6 and not data["learned"]
    assert data["measures"] == [] and all(p[3] is None and p[5] is None for p in data["pairs"])
    assert len(data["pairs"]) == 2000 and data["summary"]["pairs"] == 5858
    assert "center clustering" in data["groups"]["how"]
    assert data["summary"]["rows"] == 5000
    # every input row is in a group, those in no pair alone
    assert sum(size * n for size, n in data["groups"]["sizes"]) == 5000
    assert data["columns"] == ["RegAddress.PostTown", "RegAddress.PostCode"]
    again = dataforge(run, "dedup", "review", "plain.csv", "-o", tmp_path / "r9.html", "--threshold", "0.9")
    assert again.rc == 0 and page_data(tmp_path / "r9.html")["threshold"] == 0.9


def test_a_name_cannot_break_out_of_the_page(tmp_path):
    evil = '</script><script>alert(1)</script><!-- & "quoted" \u2028'
    write(tmp_path / "p.csv", "left_id,left_name,right_id,right_name,similarity\n"
                              f'1,"{evil.replace(chr(34), chr(34) * 2)}",2,<b>bold</b>,0.7\n')
    result = dataforge(tmp_path, "dedup", "review", "p.csv", "-o", "r.html")
    assert result.rc == 0, result.err
    html = (tmp_path / "r.html").read_bytes()
    assert html.count(b"</script>") == 2  # the data's and the code's own ends, nothing from a name
    assert b"<b>bold" not in html and b"alert(1)</script>" not in html
    data = page_data(tmp_path / "r.html")
    assert {r[1] for r in data["records"]} == {evil, "<b>bold</b>"}


def test_the_page_key_is_the_pairs_file_content(run, tmp_path):
    (tmp_path / "copy.csv").write_bytes((run / "plain.csv").read_bytes())
    for name in ("a", "b"):
        assert dataforge(tmp_path, "dedup", "review", "copy.csv", "-o", f"{name}.html").rc == 0
    assert page_data(tmp_path / "a.html")["key"] == page_data(tmp_path / "b.html")["key"]
    assert dataforge(run, "dedup", "review", "pairs.csv", "-o", tmp_path / "c.html").rc == 0
    assert page_data(tmp_path / "c.html")["key"] != page_data(tmp_path / "a.html")["key"]


def test_a_header_only_pairs_file_makes_a_page_with_nothing_to_review(tmp_path):
    write(tmp_path / "p.csv", "left_id,left_name,right_id,right_name,similarity\n")
    result = dataforge(tmp_path, "dedup", "review", "p.csv", "-o", "r.html")
    assert result.rc == 0, result.err
    assert "nothing to review" in result.err
    data = page_data(tmp_path / "r.html")
    assert data["summary"]["pairs"] == 0 and data["pairs"] == [] and data["groups"] is None


@pytest.mark.parametrize("content, needles", [
    ("", ["p.csv is empty", "header"]),
    ("a,b,c\n1,2,3\n", ["not a pairs file", "left_id"]),
    ("left_id,left_name,right_id,right_name\n1,A,2,B\n", ["no similarity column"]),
    ("left_id,left_name,right_id,right_name,similarity\n1,A,2,B,0.7\n1,A,3,C,high\n", ["line 3", "'high'"]),
])
def test_a_file_that_is_not_a_pairs_file_is_one_line_and_exit_2(tmp_path, content, needles):
    write(tmp_path / "p.csv", content)
    result = dataforge(tmp_path, "dedup", "review", "p.csv", "-o", "r.html")
    assert_usage_error(result, *needles)
    assert not (tmp_path / "r.html").exists() and temp_leftovers(tmp_path) == []


def test_groups_or_input_of_another_run_are_refused(run, tmp_path):
    other = write(tmp_path / "g.csv", "CompanyName,CompanyNumber,group_id,group_name\nA,x1,x1,A\nB,x2,x1,A\n")
    for flag in ("--groups", "--input"):
        result = dataforge(run, "dedup", "review", "pairs.csv", flag, other, "-o", tmp_path / "r.html")
        assert_usage_error(result, f"{flag} {other} does not match the pairs")
    # the same file's records, grouped by a run whose pairs these are not: a group's member in no pair
    grouped = rows(run / "groups.csv")
    grouped[0]["group_id"], grouped[1]["group_id"] = "G", "G"
    with open(tmp_path / "mixed.csv", "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(grouped[0]))
        writer.writeheader()
        writer.writerows(grouped)
    few = write(tmp_path / "few.csv", "left_id,left_name,right_id,right_name,similarity\n"
                                      f"{grouped[0][' CompanyNumber']},A,{grouped[2][' CompanyNumber']},B,0.7\n")
    result = dataforge(run, "dedup", "review", few, "--groups", tmp_path / "mixed.csv", "-o", tmp_path / "r.html")
    assert_usage_error(result, "records of its groups are in no pair", repr(grouped[1][" CompanyNumber"]))
    result = dataforge(run, "dedup", "review", "pairs.csv", "--groups", "pairs.csv", "-o", tmp_path / "r.html")
    assert_usage_error(result, "not a groups file", "group_id")
    assert not (tmp_path / "r.html").exists()


def test_an_existing_page_is_refused_without_force_and_options_are_checked_first(run, tmp_path):
    page = write(tmp_path / "r.html", "mine")
    assert_usage_error(dataforge(run, "dedup", "review", "plain.csv", "-o", page), "output exists", "--force")
    assert page.read_text() == "mine"
    assert dataforge(run, "dedup", "review", "plain.csv", "-o", page, "--force", "-q").rc == 0
    assert page.read_text().startswith("<!DOCTYPE html>")
    assert_usage_error(dataforge(run, "dedup", "review", "plain.csv", "-o", page, "--force", "--show", "X"),
                       "--show needs --input or --groups")
    assert_usage_error(dataforge(run, "dedup", "review", "plain.csv", "-o", "-", "--json"), "--json")
    assert_usage_error(dataforge(run, "dedup", "review", "plain.csv", "-o", page, "--threshold", "1"), "--threshold")
    assert_usage_error(dataforge(run, "dedup", "review", "plain.csv", "-o", "plain.csv", "--force"), "also an input")


def test_quiet_prints_nothing_and_stdout_takes_the_page(run):
    quiet = dataforge(run, "dedup", "review", "plain.csv", "-o", "-", "-q", "--top", "3")
    assert quiet.rc == 0 and quiet.err == ""
    assert quiet.out.startswith(b"<!DOCTYPE html>") and len(json.loads(DATA.findall(quiet.out)[0])["pairs"]) == 3


def test_the_label_session_goes_most_doubtful_first_resumes_and_saves_the_union(run, tmp_path):
    from dataforge.dedup.label import LabelSession

    labels = tmp_path / "labels.csv"
    write(labels, "left_id,right_id,label\nELSEWHERE1,ELSEWHERE2,yes\n")  # a label of a pair not in this file stays
    session = LabelSession(str(run / "pairs.csv"), str(labels))
    first = [session.shown()]
    assert abs(first[0].probability - 0.5) == pytest.approx(min(abs(float(p["match_probability"]) - 0.5)
                                                                for p in rows(run / "pairs.csv")), abs=1e-12)
    assert first[0].parts and sum(first[0].parts.values()) == pytest.approx(first[0].weight)
    assert session.press("y")
    first.append(session.shown())
    assert session.press("x") and session.shown() == first[1]  # not a key: nothing happens
    assert session.press("n")
    assert session.press("b") and session.shown().left_id == first[1].left_id and session.shown().label == "no"
    assert session.press("u")  # the second pair relabelled
    third = session.shown()
    assert not session.press("q")
    saved = rows(labels)
    assert [(r["left_id"], r["right_id"], r["label"]) for r in saved] == [
        ("ELSEWHERE1", "ELSEWHERE2", "yes"), (first[0].left_id, first[0].right_id, "yes"),
        (first[1].left_id, first[1].right_id, "unsure")]
    again = LabelSession(str(run / "pairs.csv"), str(labels))
    assert again.already == 2 and again.shown().left_id == third.left_id and again.shown().right_id == third.right_id
    assert again.press("n") and len(rows(labels)) == 4 and temp_leftovers(tmp_path) == []
    # the file is what dedup match --labels reads: the 'no' removes that pair, the 'yes' keeps its own
    lines = labels.read_text().splitlines(keepends=True)
    write(labels, lines[0] + "".join(lines[2:]))  # without the pair of no record here
    matched = dataforge(run, "dedup", "match", SAMPLE, "--labels", labels, "-o", tmp_path / "again.csv",
                        "--also", "RegAddress.PostTown", "--also", "RegAddress.PostCode")
    assert matched.rc == 0, matched.err
    kept = {(r["left_id"], r["right_id"]) for r in rows(tmp_path / "again.csv")}
    assert (third.left_id, third.right_id) not in kept and (first[0].left_id, first[0].right_id) in kept


def test_a_bad_resume_file_is_refused_naming_its_line(run, tmp_path):
    from dataforge.dedup.label import LabelSession
    from dataforge.errors import UsageError

    write(tmp_path / "labels.csv", "left_id,right_id,label\n1,2,maybe\n")
    with pytest.raises(UsageError, match=r"labels.csv .*line 2: label 'maybe'"):
        LabelSession(str(run / "pairs.csv"), str(tmp_path / "labels.csv"))


def test_input_columns_come_from_the_first_row_of_a_repeated_id(tmp_path):
    write(tmp_path / "p.csv", "left_id,left_name,right_id,right_name,similarity\n1,ACME LTD,2,ACME LIMITED,0.9\n")
    write(tmp_path / "in.csv", "CompanyName,CompanyNumber,Town\nACME LTD,1,LEEDS\nACME LIMITED,2,YORK\n"
                               "OTHER,1,HULL\nALONE,3,BATH\n")
    result = dataforge(tmp_path, "dedup", "review", "p.csv", "--input", "in.csv", "-o", "r.html", "--json")
    assert result.rc == 0, result.err
    data = page_data(tmp_path / "r.html")
    assert data["columns"] == ["Town"]
    assert sorted((r[0], r[1], r[2]) for r in data["records"]) == [("1", "ACME LTD", ["LEEDS"]),
                                                                   ("2", "ACME LIMITED", ["YORK"])]
    # the pair's two records are one group, the record in no pair its own: 2 groups of 4 rows
    assert result.json()["groups"] == 2 and data["groups"]["sizes"] == [[1, 1], [2, 1]]


def test_labels_given_before_are_embedded_the_way_round_the_pairs_have_them(tmp_path):
    write(tmp_path / "p.csv", "left_id,left_name,right_id,right_name,similarity\n1,ACME LTD,2,ACME LIMITED,0.9\n")
    write(tmp_path / "l.csv", "left_id,right_id,label\n2,1,yes\n2,1,no\n7,8,unsure\n")
    assert dataforge(tmp_path, "dedup", "review", "p.csv", "--labels", "l.csv", "-o", "r.html").rc == 0
    assert page_data(tmp_path / "r.html")["labels"] == [["1", "2", "no"], ["7", "8", "unsure"]]
    write(tmp_path / "bad.csv", "left_id,right_id,label\n1,2,maybe\n")
    assert_usage_error(dataforge(tmp_path, "dedup", "review", "p.csv", "--labels", "bad.csv", "-o", "r2.html"),
                       "--labels bad.csv line 2", "'maybe'")
    assert not (tmp_path / "r2.html").exists()
