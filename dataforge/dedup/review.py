"""``dedup review``: one self-contained HTML page for a person to check a match's pairs and groups.

:func:`read_pairs` reads a pairs file of ``dedup match`` (checked: the
columns of :data:`~dataforge.dedup.options.PAIR_COLUMNS`, numbers that are
numbers) and :func:`doubt_order` ranks its pairs, most doubtful first (the
score closest to the decision threshold); the terminal labeller
(:mod:`dataforge.dedup.label`) uses both.  :func:`review_page` writes the
page: the ranked subset (the ``top`` most doubtful pairs, the ``top_groups``
largest and least certain groups) and the summary of every pair, as one JSON
object embedded in the template ``review.html`` (the data apart from the
page's code, as splink's cluster studio does), escaped so that no name can
end the script element; the page puts names in with ``textContent`` only.
"""
from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from dataforge.dedup.options import (DEFAULT_COLUMN, DEFAULT_ID_COLUMN, DEFAULT_LEARN_THRESHOLD, DEFAULT_THRESHOLD,
                                     GROUP_COLUMNS, PAIR_COLUMNS, REVIEW_TOP_GROUPS, REVIEW_TOP_PAIRS)
from dataforge.errors import UsageError
from dataforge.io import STDIN, AtomicFile, check_output_free, is_uri, local_path
from dataforge.progress import Progress

GROUP_MEMBERS_SHOWN = 100  # members (and in-group pairs, twice this) a group shows; the rest are counted
EXTRA_COLUMNS_SHOWN = 8  # without --show, the input's first columns shown beside each record
HISTOGRAM_BINS = 40
WEIGHT_PREFIX = "weight_"
TEMPLATE = Path(__file__).with_name("review.html")
DATA_MARK = "__REVIEW_DATA__"


@dataclass
class Pairs:
    """A pairs file of ``dedup match``, read and checked."""

    frame: pd.DataFrame  # PAIR_COLUMNS as text, the numbers as floats, and what else the file has
    source: str
    key: str  # the file's content hash: what the page keys its labels by
    learned: bool  # has match_probability and match_weight (--learn)
    measures: list  # the --explain parts (weight_prior, weight_name, ...) without their prefix

    @property
    def score_column(self) -> str:
        return "match_probability" if self.learned else "similarity"

    def __post_init__(self):
        # the records the pairs name, once each, and every pair as two positions among them
        self.ids = pd.Index(pd.concat([self.frame["left_id"], self.frame["right_id"]], ignore_index=True).unique())
        self.left = self.ids.get_indexer(self.frame["left_id"])
        self.right = self.ids.get_indexer(self.frame["right_id"])
        self.names = np.empty(len(self.ids), dtype=object)
        self.names[self.right] = self.frame["right_name"].to_numpy(dtype=object)
        self.names[self.left] = self.frame["left_name"].to_numpy(dtype=object)

    def threshold(self, given: Optional[float]) -> float:
        """The decision threshold: *given*, else --learn's 0.5 for match probabilities, else the 0.6 of
        similarities (pairs of --refine were decided at 0.9: give it)."""
        if given is not None:
            return float(given)
        return DEFAULT_LEARN_THRESHOLD if self.learned else DEFAULT_THRESHOLD


def check_local(*paths: Optional[str]) -> None:
    """dedup review and label read and write files of this machine only."""
    for path in paths:
        if path is not None and is_uri(path):
            raise UsageError(f"{path}: dedup review and label read and write local files only")


def read_pairs(path: str, encoding: str = "utf-8") -> Pairs:
    """The pairs CSV at *path*; a file with no header, without the pairs' columns, or with a score that is
    not a number is a UsageError.  A header alone is an empty run (no pairs), not an error."""
    from dataforge.dedup.table import Table

    if path == STDIN:
        raise UsageError("the pairs must be a file, not stdin (the page keys its labels by the file's content)")
    table = Table([path], encoding)
    shown = table.shown[0]
    if table.empty:
        raise UsageError(f"{shown} is empty: a pairs file of dedup match starts with its header "
                         f"({','.join(PAIR_COLUMNS)})")
    missing = [c for c in PAIR_COLUMNS if not table.has_column(c)]
    if missing:
        raise UsageError(f"{shown} is not a pairs file of dedup match: no {', '.join(missing)} column "
                         f"(it needs {', '.join(PAIR_COLUMNS)})")
    columns = [table.column(c) for c in table.columns]
    frame = table.read(columns).set_axis([c.strip() for c in columns], axis=1)
    learned = table.has_column("match_probability") and table.has_column("match_weight")
    measures = [c[len(WEIGHT_PREFIX):] for c in frame.columns if c.startswith(WEIGHT_PREFIX)]
    numeric = ["similarity"] + (["match_probability", "match_weight"] if learned else []) + \
        [WEIGHT_PREFIX + m for m in measures]
    for column in numeric:
        values = pd.to_numeric(frame[column], errors="coerce")
        if values.isna().any():  # spaces around a number are no error: only what is not one is
            values = pd.to_numeric(frame[column].str.strip(), errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy())
        if len(bad):
            raise UsageError(f"{shown} line {bad[0] + 2}: {column} {frame[column].iloc[bad[0]]!r} is not a number")
        frame[column] = values.astype(float)
    return Pairs(frame=frame, source=shown, key=_content_hash(local_path(path)), learned=learned,
                 measures=measures)


def _content_hash(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:24]


def doubt_order(pairs: Pairs, threshold: float) -> np.ndarray:
    """The pairs' rows, most doubtful first: the score nearest the threshold (ties in file order)."""
    margin = np.abs(pairs.frame[pairs.score_column].to_numpy(float) - threshold)
    return np.argsort(margin, kind="stable")


def pair_key(left_id: str, right_id: str) -> tuple:
    """One key for a pair whichever way round it is written (labels name unordered pairs)."""
    return (left_id, right_id) if left_id <= right_id else (right_id, left_id)


@dataclass(frozen=True)
class ReviewSummary:
    """What a :func:`review_page` run read and wrote."""

    pairs: int
    shown_pairs: int
    groups: Optional[int]  # None: no groups could be made (no pairs)
    shown_groups: int
    rows: Optional[int]  # rows of --input or --groups, when given
    threshold: float
    score: str  # match_probability or similarity
    output: str
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return dict(pairs=self.pairs, shown_pairs=self.shown_pairs, groups=self.groups,
                    shown_groups=self.shown_groups, rows=self.rows, threshold=self.threshold, score=self.score,
                    seconds=self.seconds, outputs=[self.output])


class _Records:
    """The rows of --input or --groups: ids, the columns to show, and (from --groups) each row's group."""

    def __init__(self, path: str, encoding: str, id_column: Optional[str], show: Sequence[str], groups: bool):
        from dataforge.dedup.table import Table

        table = Table([path], encoding)
        self.shown = table.shown[0]
        what = "--groups" if groups else "--input"
        if table.empty:
            raise UsageError(f"{what} {self.shown} is empty: it has no header")
        if groups:
            missing = [c for c in GROUP_COLUMNS if not table.has_column(c)]
            if missing:
                raise UsageError(f"--groups {self.shown} is not a groups file of dedup match: no "
                                 f"{', '.join(missing)} column")
        id_col = table.id_column(id_column, DEFAULT_ID_COLUMN)
        if show:
            self.columns = [table.column(c, "--show column") for c in show]
        else:
            left_out = {c.strip() for c in GROUP_COLUMNS + [DEFAULT_COLUMN]} | ({id_col.strip()} if id_col else set())
            self.columns = [c for c in table.columns if c.strip() not in left_out][:EXTRA_COLUMNS_SHOWN]
        wanted = ([id_col] if id_col else []) + self.columns + ([table.column("group_id")] if groups else [])
        frame = table.read(wanted)
        self.rows = len(frame)
        ids = frame[id_col] if id_col else pd.Series(np.arange(1, len(frame) + 1).astype(str))
        self.ids = ids.reset_index(drop=True)
        self.values = frame[self.columns].reset_index(drop=True)
        self.names = [c.strip() for c in self.columns]
        self.group_of = frame[table.column("group_id")].reset_index(drop=True) if groups else None


def _check_matches(pairs: Pairs, records: _Records, what: str) -> None:
    """A --groups or --input file from another run is refused: it must hold the pairs' records."""
    if not len(pairs.frame):
        return
    left = pairs.ids[np.unique(pairs.left)]
    if not left.isin(records.ids).any():
        raise UsageError(f"{what} {records.shown} does not match the pairs: none of the pairs' ids is in it "
                         f"(e.g. {left[0]!r}); give the file that dedup match read or wrote with them")
    if records.group_of is not None:
        size = records.group_of.map(records.group_of.value_counts())
        stray = records.ids[(size > 1) & ~records.ids.isin(pairs.ids)]
        if len(stray):
            raise UsageError(f"--groups {records.shown} does not match the pairs: {len(stray):,} records of its "
                             f"groups are in no pair (e.g. {stray.iloc[0]!r}); give the groups of the same run")


def _histogram(scores: np.ndarray, threshold: float) -> dict:
    low = min(threshold, math.floor(float(scores.min()) * 20) / 20) if len(scores) else min(threshold, 0.5)
    low = max(0.0, min(low, 0.95))
    counts, _ = np.histogram(np.clip(scores, low, 1.0), bins=HISTOGRAM_BINS, range=(low, 1.0))
    return dict(low=low, high=1.0, counts=counts.tolist())


def _groups(pairs: Pairs, records: Optional[_Records], threshold: float, top_groups: int, add_record) -> dict:
    """Group sizes, and the largest and least certain groups with their members and in-group pairs.

    Groups are codes: each record of the pairs gets its group's code (-1: none), so a pair is inside a group
    when both its records have one code."""
    from dataforge.dedup.group import center_groups

    score = pairs.frame[pairs.score_column].to_numpy(float)
    if records is not None and records.group_of is not None:
        codes, group_ids = pd.factorize(records.group_of)
        member_ids = records.ids.to_numpy(dtype=object)
        first = ~records.ids.duplicated().to_numpy()
        row = pd.Index(member_ids[first]).get_indexer(pairs.ids)
        code_of = np.where(row >= 0, codes[first][np.maximum(row, 0)], -1)
        how = f"the groups of {records.shown}"
    else:
        # no groups file: center clustering of the pairs above the threshold, as dedup match --groups makes them
        kept = score > threshold
        order_by = pairs.frame["match_weight"].to_numpy(float) if pairs.learned else score
        center = center_groups(len(pairs.ids), pairs.left[kept], pairs.right[kept], order_by[kept])
        codes, centers = pd.factorize(center)
        group_ids = pairs.ids[centers]
        member_ids = pairs.ids.to_numpy(dtype=object)
        code_of = codes
        if records is not None:  # --input's records in no pair are groups of their own
            alone = records.ids[~records.ids.isin(pairs.ids)].drop_duplicates()
            codes = np.concatenate([codes, len(centers) + np.arange(len(alone))])
            group_ids = group_ids.append(pd.Index(alone))
            member_ids = np.concatenate([member_ids, alone.to_numpy(dtype=object)])
        how = "center clustering of the pairs above the threshold (no --groups given)"
    sizes = np.bincount(codes, minlength=len(group_ids))
    by_size = np.argsort(-sizes, kind="stable")
    multi = by_size[sizes[by_size] > 1]
    inside = (code_of[pairs.left] == code_of[pairs.right]) & (code_of[pairs.left] >= 0)
    group, a, b, held_score = code_of[pairs.left][inside], pairs.left[inside], pairs.right[inside], score[inside]
    # how sure a group is: its weakest member's best pair inside the group (what holds that member in)
    best = pd.DataFrame({"group": np.concatenate([group, group]), "member": np.concatenate([a, b]),
                         "score": np.concatenate([held_score, held_score])})
    weakest = best.groupby(["group", "member"])["score"].max().groupby(level="group").min()
    weakest = weakest.reindex(multi).fillna(-math.inf)
    largest = list(multi[:top_groups])
    least = list(weakest.sort_values(kind="stable").index[:top_groups])
    wanted = np.array(sorted(set(largest) | set(least)), dtype=np.int64)
    take = np.flatnonzero(np.isin(codes, wanted))
    members = pd.Series(member_ids[take]).groupby(codes[take]).apply(list)
    in_wanted = np.isin(group, wanted)
    held = pd.DataFrame({"group": group[in_wanted], "a": a[in_wanted], "b": b[in_wanted],
                         "score": held_score[in_wanted]}).sort_values("score", ascending=False, kind="stable")
    held = {g: part for g, part in held.groupby("group", sort=False)}
    shown = {}
    for code in dict.fromkeys(largest + least):
        part = held.get(code)
        pairs_in = [] if part is None else part.head(2 * GROUP_MEMBERS_SHOWN)
        shown[code] = dict(
            id=str(group_ids[code]), size=int(sizes[code]), weakest=_number(weakest[code]),
            members=[add_record(m) for m in members.get(code, [])[:GROUP_MEMBERS_SHOWN]],
            pairs=[[add_record(pairs.ids[x]), add_record(pairs.ids[y]), float(v)]
                   for x, y, v in ([] if part is None else pairs_in[["a", "b", "score"]].itertuples(index=False))],
            more_pairs=0 if part is None else max(0, len(part) - 2 * GROUP_MEMBERS_SHOWN))
    distribution = np.bincount(sizes[sizes > 0])
    return dict(how=how, count=int((sizes > 0).sum()), multi=int(len(multi)),
                sizes=[[int(k), int(n)] for k, n in enumerate(distribution) if n],
                largest=[shown[c] for c in largest], least_certain=[shown[c] for c in least])


def _position(index: pd.Index, key: str) -> Optional[int]:
    """Where *key* first is in *index*, or None."""
    try:
        found = index.get_loc(key)
    except KeyError:
        return None
    if isinstance(found, slice):
        return found.start
    return int(np.flatnonzero(found)[0]) if isinstance(found, np.ndarray) else int(found)


def _number(value: float) -> Optional[float]:
    return None if value is None or not math.isfinite(value) else float(value)


def review_page(pairs_path: str, output: str, *, groups: Optional[str] = None, input: Optional[str] = None,
                id_column: Optional[str] = None, show: Sequence[str] = (), threshold: Optional[float] = None,
                top: int = REVIEW_TOP_PAIRS, top_groups: int = REVIEW_TOP_GROUPS, encoding: str = "utf-8",
                labels: Optional[str] = None, force: bool = False, progress: Progress = None) -> ReviewSummary:
    """Write the review page of the pairs CSV at *pairs_path* to *output* (``-`` is stdout).

    *groups* is the groups file of the same run (without it, the page groups the pairs above the
    threshold by center clustering); *input* the input file, whose *show* columns (default: its first
    columns but the id and the name) are shown beside each record; *id_column* names the ids in those
    files (default ``CompanyNumber`` when present, else the row number).  *threshold* is the decision
    threshold the doubt is measured from (default 0.5 for match probabilities, else 0.6); *top* the
    most doubtful pairs embedded (0: every pair), *top_groups* the largest and the least certain groups.
    *labels* (a labels CSV, as ``dedup match --labels`` reads) are the labels the page starts with and
    exports with the new ones.  An existing output is refused unless *force*.  A pairs file with a header only makes a page that
    says there is nothing to review.
    """
    started = time.monotonic()
    check_local(pairs_path, groups, input, labels, output)
    if threshold is not None and not (0 <= threshold < 1):
        raise UsageError(f"--threshold must be at least 0 and below 1, not {threshold!r}")
    if top < 0 or top_groups < 0:
        raise UsageError("--top and --top-groups must be whole numbers of at least 0")
    if show and groups is None and input is None:
        raise UsageError("--show needs --input or --groups (the file that has the columns)")
    inputs = [p for p in (pairs_path, groups, input, labels) if p is not None]
    check_output_free(local_path(output), force, inputs=inputs)
    with AtomicFile(local_path(output)) as out:  # claimed before any input is read
        if progress is not None:
            progress("reading the pairs")
        pairs = read_pairs(pairs_path, encoding)
        grouped = _Records(groups, encoding, id_column, show, groups=True) if groups is not None else None
        extra = _Records(input, encoding, id_column, show, groups=False) if input is not None else None
        for what, records in (("--groups", grouped), ("--input", extra)):
            if records is not None:
                _check_matches(pairs, records, what)
        details = extra if extra is not None else grouped
        earlier = _earlier_labels(labels, pairs) if labels is not None else []
        if progress is not None:
            progress("ranking the pairs")
        data = _page_data(pairs, pairs.threshold(threshold), top, top_groups, grouped, details)
        data["labels"] = earlier
        out.write(render(data))
    return ReviewSummary(pairs=data["summary"]["pairs"], shown_pairs=len(data["pairs"]),
                         groups=data["groups"]["count"] if data["groups"] else None,
                         shown_groups=len({g["id"] for k in ("largest", "least_certain")
                                           for g in (data["groups"] or {}).get(k, [])}),
                         rows=details.rows if details is not None else None, threshold=data["threshold"],
                         score=pairs.score_column, output=output, seconds=round(time.monotonic() - started, 3))


def _earlier_labels(path: str, pairs: Pairs) -> list:
    """The labels of *path* (checked as dedup match --labels checks them), a pair's last line winning, each
    written the way round the pairs file has it, so that the page finds it."""
    from dataforge.dedup.learn import read_labels

    frame = read_labels(path)
    way = {pair_key(a, b): (a, b) for a, b in zip(pairs.frame["left_id"], pairs.frame["right_id"])}
    found: dict = {}
    for a, b, label in zip(frame["left_id"], frame["right_id"], frame["label"]):
        found[pair_key(a, b)] = [*way.get(pair_key(a, b), (a, b)), label]
    return list(found.values())


def _page_data(pairs: Pairs, threshold: float, top: int, top_groups: int, grouped: Optional[_Records],
               details: Optional[_Records]) -> dict:
    """Everything the page shows, as plain data: records once each, pairs and groups pointing at them."""
    frame = pairs.frame
    index: dict = {}
    records: list = []
    rows_of = pd.Index(details.ids) if details is not None else None

    def add_record(record_id: str) -> int:
        if record_id not in index:
            index[record_id] = len(records)
            row = _position(rows_of, record_id) if rows_of is not None else None
            values = list(details.values.iloc[row]) if row is not None else []
            at = _position(pairs.ids, record_id)
            records.append([record_id, pairs.names[at] if at is not None else "", values])
        return index[record_id]

    score = frame[pairs.score_column].to_numpy(float)
    order = doubt_order(pairs, threshold)
    chosen = order[:top] if top else order
    weights = [WEIGHT_PREFIX + m for m in pairs.measures]
    label = frame["label"] if "label" in frame.columns else None
    shown_pairs = []
    for row in chosen:
        at = frame.iloc[row]
        shown_pairs.append([add_record(at["left_id"]), add_record(at["right_id"]), float(at["similarity"]),
                            float(at["match_probability"]) if pairs.learned else None,
                            float(at["match_weight"]) if pairs.learned else None,
                            [float(at[w]) for w in weights] if weights else None,
                            str(label.iloc[row]) if label is not None else ""])
    groups = _groups(pairs, grouped or details, threshold, top_groups, add_record) if len(frame) else None
    return dict(
        format="dataforge-review", version=1, key=pairs.key, source=pairs.source, threshold=threshold,
        score=pairs.score_column, learned=pairs.learned, measures=pairs.measures,
        columns=details.names if details is not None else [],
        summary=dict(rows=details.rows if details is not None else None, pairs=int(len(frame)),
                     records_in_pairs=len(pairs.ids), above=int((score > threshold).sum()),
                     top=top, top_groups=top_groups),
        histogram=_histogram(score, threshold), records=records, pairs=shown_pairs, groups=groups, labels=[])


def render(data: dict) -> bytes:
    """The page: the template with *data* as JSON in its script element, where ``<``, ``>`` and ``&`` are
    written as JSON escapes, so that no text in a name (``</script>``, ``<!--``) can end the element."""
    import orjson

    text = orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY)
    for raw, escaped in ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"),
                         ("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029")):
        text = text.replace(raw, escaped)
    before, after = TEMPLATE.read_bytes().split(DATA_MARK.encode(), 1)
    return before + text + after
