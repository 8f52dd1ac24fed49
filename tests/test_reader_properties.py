"""Property-based tests for the record reader, field paths, --where conditions and input resolution.

``dataforge.jobs.records`` promises that every function is total: bad bytes
give a skip reason, never an exception.  These properties check that promise
(and the ones of ``where`` and ``io.resolve_inputs``) on generated input.

Examples are derandomised and hypothesis' example database is off, so each
run tries the same examples and nothing is written outside pytest's
temporary directories.  Some tests pin bugs found (and fixed)
while writing these properties.
"""
from __future__ import annotations

import json
import math
import os
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from dataforge.errors import InputPathError, UsageError
from dataforge.io import STDIN, resolve_inputs
from dataforge.jobs.records import (
    BLANK, BOM, INVALID_JSON, INVALID_UTF8, MISSING, NOT_OBJECT, SKIP_REASONS, as_number, get_path, parse_record,
    split_path,
)
from dataforge.jobs.where import Condition, parse_condition

PURE = settings(max_examples=200, deadline=None, derandomize=True, database=None)
FILESYSTEM = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                      suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------------------- strategies

# Text that can be UTF-8 encoded: a lone surrogate cannot (and orjson rejects "\ud800").
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)
# The integers orjson reads back as integers: [-2**63, 2**64 - 1].  Beyond that it
# reads floats, so a record never holds a larger int when it comes from a line.
json_ints = st.integers(min_value=-(2**63), max_value=2**64 - 1)
json_floats = st.floats(allow_nan=False, allow_infinity=False)
json_scalars = st.none() | st.booleans() | json_ints | json_floats | text
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=10,
)
json_objects = st.dictionaries(text, json_values, max_size=4)
non_objects = json_values.filter(lambda v: not isinstance(v, dict))

# Lines a reader meets: random bytes, JSON texts, and JSON texts cut or corrupted.
serialised = json_values.map(lambda v: json.dumps(v, ensure_ascii=False).encode())
lines = st.one_of(
    st.binary(max_size=120),
    serialised,
    st.tuples(serialised, st.integers(min_value=0, max_value=200)).map(lambda t: t[0][: t[1]]),
    st.tuples(serialised, st.binary(min_size=1, max_size=3), st.integers(min_value=0, max_value=200)).map(
        lambda t: t[0][: t[2]] + t[1] + t[0][t[2]:]),
    st.sampled_from([b"", b" ", b"\t\r\n", b"\xef\xbb\xbf", b"\xff\xfe{}", b'{"a": "\xe9"}', b"null", b"{}"]),
)


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# --------------------------------------------------------------------- parse_record


@PURE
@given(lines)
@example(b'{"title": "caf\xe9"}')
@example(b"\xef\xbb\xbf\xef\xbb\xbf{}")
def test_parse_record_never_raises_and_returns_a_record_or_a_known_reason(line):
    record, reason = parse_record(line)

    body = line[3:] if line.startswith(BOM) else line
    if record is not None:
        assert reason is None
        assert isinstance(record, dict)
        assert _utf8(body)  # orjson reads only valid UTF-8
    else:
        assert reason in SKIP_REASONS
        # each reason means what it says
        assert (reason == BLANK) == (not body.strip())
        assert (reason == INVALID_UTF8) == (not _utf8(body))


@PURE
@given(json_objects, st.booleans(), st.sampled_from([b"", b"\n", b"\r\n", b"  \t"]))
def test_any_json_object_round_trips_to_an_equal_dict(obj, ensure_ascii, trailing):
    line = json.dumps(obj, ensure_ascii=ensure_ascii).encode() + trailing

    assert parse_record(line) == (obj, None)


@PURE
@given(json_objects)
def test_a_bom_before_a_json_object_is_ignored(obj):
    assert parse_record(BOM + json.dumps(obj).encode()) == (obj, None)


@PURE
@given(lines)
def test_a_bom_prefix_never_changes_the_result(line):
    assume(not line.startswith(BOM))

    assert parse_record(BOM + line) == parse_record(line)


@PURE
@given(non_objects)
@example([1, 2])
@example("x")
@example(3)
@example(None)
def test_json_values_that_are_not_objects_are_skipped_as_not_object(value):
    assert parse_record(json.dumps(value).encode()) == (None, NOT_OBJECT)


@PURE
@given(json_objects.map(lambda o: json.dumps(o, ensure_ascii=False).encode()), st.data())
def test_a_truncated_object_is_never_read_as_a_record(line, data):
    cut = data.draw(st.integers(min_value=1, max_value=len(line) - 1))  # "{}" is the shortest: 2 bytes
    record, reason = parse_record(line[:cut])

    assert record is None
    # cutting inside a multi-byte character leaves invalid UTF-8, otherwise invalid JSON
    assert reason == (INVALID_JSON if _utf8(line[:cut]) else INVALID_UTF8)


def test_lone_surrogate_escapes_are_read_not_skipped():
    # RFC 8259 accepts "\ud800"; orjson does not, so the json module reads the line (test_json_edges.py)
    assert parse_record(b'{"title": "\\ud800"}') == ({"title": "\ud800"}, None)


# --------------------------------------------------------------- get_path, as_number

# Path parts as a user types them.  Digit strings that are not decimal ("²") or
# too long for int() are left to test_get_path_with_a_digit_part_that_int_cannot_read.
path_parts = st.text(max_size=8).filter(lambda p: p.isdecimal() or not p.isdigit()) | st.sampled_from(
    ["0", "1", "2", "00", "10", "a", "title"])


def _nodes(value) -> list:
    """Every node of a JSON tree, the root included."""
    found = [value]
    if isinstance(value, dict):
        for child in value.values():
            found += _nodes(child)
    elif isinstance(value, list):
        for child in value:
            found += _nodes(child)
    return found


@PURE
@given(json_values, st.lists(path_parts, max_size=4).map(tuple))
def test_get_path_never_raises_and_finds_a_node_or_missing(value, parts):
    found = get_path(value, parts)

    assert found is MISSING or any(found is node for node in _nodes(value))
    if not parts:
        assert found is value


@PURE
@given(json_values, st.data())
def test_get_path_follows_an_existing_path_to_its_node(value, data):
    parts, node = [], value
    while isinstance(node, (dict, list)) and node and data.draw(st.booleans()):
        if isinstance(node, dict):
            key = data.draw(st.sampled_from(sorted(node)))
            assume("." not in key and key)  # a dotted path cannot name this key
        else:
            key = str(data.draw(st.integers(min_value=0, max_value=len(node) - 1)))
        parts.append(key)
        node = node[key] if isinstance(node, dict) else node[int(key)]

    assert get_path(value, tuple(parts)) is node
    if parts:
        assert split_path(".".join(parts)) == tuple(parts)


@pytest.mark.parametrize("part", ["²", "①", "9" * 5000], ids=["superscript", "circled", "5000-digits"])
def test_get_path_with_a_digit_part_that_int_cannot_read(part):
    assert get_path({"tags": ["a", "b"]}, ("tags", part)) is MISSING


@PURE
@given(json_values | st.just(MISSING))
def test_as_number_never_raises_and_gives_a_finite_float_or_none(value):
    number = as_number(value)

    assert number is None or (type(number) is float and math.isfinite(number))
    if isinstance(value, bool) or value is None or value is MISSING or isinstance(value, (list, dict)):
        assert number is None
    elif isinstance(value, (int, float)):
        assert number == float(value)


@PURE
@given(st.booleans())
def test_as_number_never_reads_a_bool_as_a_number(flag):
    assert as_number(flag) is None
    assert as_number([flag]) is None


@PURE
@given(st.one_of(
    text,
    st.from_regex(r"\A\s*[-+]?(\d{1,20}(\.\d*)?|\.\d+)([eE][-+]?\d{1,4})?\s*\Z", fullmatch=True),
    st.sampled_from(["nan", "-inf", "Infinity", "1e999", "1_000", " 12 ", "0x10", ""]),
))
def test_as_number_reads_strings_like_float_but_only_finite(value):
    try:
        expected = float(value)
    except ValueError:
        expected = None
    if expected is not None and not math.isfinite(expected):
        expected = None

    assert as_number(value) == expected


def test_as_number_of_an_int_too_large_for_a_float_is_none():
    assert as_number(10**400) is None


# ------------------------------------------------------------------ --where conditions

where_paths = st.lists(st.sampled_from(["a", "b", "0", "1", "title", "x y"]), min_size=1, max_size=3).map(".".join)
operands = st.one_of(
    st.sampled_from(["", "1", "-2.5", "1e3", "true", "false", "null", "CA", " 7 ", "x"]),
    st.integers(min_value=-1000, max_value=1000).map(str),
    text,
)
conditions_text = st.one_of(
    st.builds(lambda p, op, v: f"{p}{op}{v}", where_paths, st.sampled_from(["=", "!=", ">", ">=", "<", "<="]), operands),
    st.builds(lambda p, v: f"{p}~{re.escape(v)}", where_paths, text),
    st.builds(lambda p, v: f"{p}~{v}", where_paths, st.sampled_from(["^d", "sci.*st", "[0-9]+", "a|b", "(", "*"])),
    where_paths.map(lambda p: f"{p}?"),
)
# records whose fields the paths above reach: short keys, lists and numbers as strings
small_keys = st.sampled_from(["a", "b", "0", "1", "title", "x y"])
record_values = st.recursive(
    json_scalars | st.sampled_from(["1", " 7 ", "1e3", "CA", "", "true", "null"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(small_keys, children, max_size=3),
    max_leaves=12,
)
records = st.dictionaries(small_keys, record_values, max_size=4)


@PURE
@given(st.one_of(text, conditions_text, st.text(alphabet="ab.=!~<>?()[]*+{}019 \\-", max_size=12)))
@example("a>>x")
@example("x~(")
@example("a.>3")
@example("a?b")
@example("=x")
@example("")
def test_parse_condition_parses_or_raises_value_error(expression):
    try:
        condition = parse_condition(expression)
    except ValueError as e:
        assert str(e)  # a message for the user
        return
    assert isinstance(condition, Condition)
    assert condition.text == expression
    assert condition.op in {"=", "!=", "~", "?", ">", ">=", "<", "<="}
    assert all(condition.path)  # no empty part survives
    if condition.op in {">", ">=", "<", "<="}:
        assert condition.number is not None and math.isfinite(condition.number)
    if condition.op == "?":
        assert condition.operand == ""


@pytest.mark.parametrize("expression", ["a~x{9999999999}", "a~" + "(" * 1000 + ")" * 1000],
                         ids=["huge-repeat", "deep-nesting"])
def test_parse_condition_turns_every_bad_regex_into_value_error(expression):
    with pytest.raises(ValueError):
        parse_condition(expression)


@PURE
@given(conditions_text, st.one_of(records, json_objects))
def test_condition_matches_never_raises_on_any_record(expression, record):
    try:
        condition = parse_condition(expression)
    except ValueError:
        return
    assert condition.matches(record) in (True, False)


@PURE
@given(where_paths, operands, records)
def test_not_equal_is_the_negation_of_equal(path, operand, record):
    try:
        equal, not_equal = parse_condition(f"{path}={operand}"), parse_condition(f"{path}!={operand}")
    except ValueError:
        return
    assert not_equal.matches(record) is (not equal.matches(record))


@PURE
@given(where_paths, st.sampled_from([">", ">=", "<", "<="]), st.integers(min_value=-50, max_value=50), records)
def test_numeric_conditions_agree_with_as_number(path, op, bound, record):
    condition = parse_condition(f"{path}{op}{bound}")
    number = as_number(get_path(record, split_path(path)))

    expected = number is not None and {">": number > bound, ">=": number >= bound,
                                       "<": number < bound, "<=": number <= bound}[op]
    assert condition.matches(record) is expected


@PURE
@given(where_paths, records)
def test_present_means_there_and_not_empty(path, record):
    value = get_path(record, split_path(path))

    expected = value is not MISSING and value is not None and value not in ("", [], {}) and not (
        isinstance(value, str) and not value.strip())
    assert parse_condition(f"{path}?").matches(record) is expected


@pytest.mark.parametrize("expression, record, expected", [
    ("a=1", {"a": 10**400}, False),
    ("a~1", {"a": 2**64}, True),        # 18446744073709551616 contains a 1
    ("a~^2$", {"a": 2**64}, False),
], ids=["equals", "regex", "regex-anchored"])
def test_condition_matches_survives_a_huge_int(expression, record, expected):
    assert parse_condition(expression).matches(record) is expected


# ----------------------------------------------------------------------- resolve_inputs

names = st.text(alphabet="abcXY019-_.", min_size=1, max_size=6).filter(lambda n: n not in (".", ".."))
trees = st.recursive(st.none(), lambda children: st.dictionaries(names, children, max_size=4), max_leaves=12).filter(
    lambda t: isinstance(t, dict))


def _make(root: Path, tree: dict) -> list[str]:
    """Create *tree* (None = a file, dict = a directory); the files, as paths under *root*."""
    made = []
    for name, sub in tree.items():
        path = root / name
        if sub is None:
            path.write_bytes(b"{}\n")
            made.append(str(path))
        else:
            path.mkdir()
            made += _make(path, sub)
    return made


def _visible(root: Path, path: str) -> bool:
    return not any(part.startswith((".", "_")) for part in Path(path).relative_to(root).parts)


@FILESYSTEM
@given(trees)
def test_a_directory_resolves_to_each_visible_file_once(tree):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        root.mkdir()
        files = _make(root, tree)
        expected = {f for f in files if _visible(root, f)}

        if not expected:
            with pytest.raises(InputPathError, match=re.escape(str(root))):
                resolve_inputs([str(root)])
            return
        resolved = resolve_inputs([str(root)])

        assert set(resolved) == expected
        assert len(resolved) == len(set(resolved))
        assert resolve_inputs([str(root)]) == resolved  # the same order every time
        # files of one directory come in name order
        for directory in {os.path.dirname(p) for p in resolved}:
            here = [os.path.basename(p) for p in resolved if os.path.dirname(p) == directory]
            assert here == sorted(here)


@FILESYSTEM
@given(trees, st.randoms(use_true_random=False))
def test_files_named_explicitly_are_read_in_the_given_order_even_hidden_ones(tree, rnd):
    with tempfile.TemporaryDirectory() as tmp:
        files = _make(Path(tmp), tree)
        assume(files)
        rnd.shuffle(files)

        assert resolve_inputs(files) == files
        assert resolve_inputs([*files, STDIN]) == [*files, STDIN]


@FILESYSTEM
@given(names, st.sampled_from(["", "sub/", "a/b/"]))
def test_a_missing_path_is_an_input_error_naming_it(name, folder):
    with tempfile.TemporaryDirectory() as tmp:
        missing = os.path.join(tmp, folder, name + ".jsonl")

        with pytest.raises(InputPathError, match=re.escape(missing)):
            resolve_inputs([missing])


@pytest.mark.parametrize("terminal, expected", [(False, [STDIN]), (True, None)])
def test_no_paths_mean_stdin_unless_it_is_a_terminal(terminal, expected):
    if expected is None:
        with pytest.raises(UsageError, match="no INPUT"):
            resolve_inputs([], stdin_is_terminal=terminal)
    else:
        assert resolve_inputs([], stdin_is_terminal=terminal) == expected
