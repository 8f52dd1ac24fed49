"""``dedup match`` from files to files: check, read, match, write atomically, summarise.

:func:`match_files` is what the ``dataforge dedup match`` command runs, and
what a Python caller runs to get the same files: every option is checked
before any work, the name and id columns are found in the header (the id
column defaults to ``CompanyNumber`` when the file has one), the pairs and
the groups go through one writer (:func:`csv_output`), and the counts come
back as a :class:`MatchSummary`.
"""
from __future__ import annotations

import contextlib
import io
import os
import time
from dataclasses import dataclass, field
from typing import IO, Iterator, Optional, Sequence

from dataforge.dedup.options import (DEFAULT_COLUMN, DEFAULT_GROUPING, DEFAULT_ID_COLUMN, ENGINES, GROUP_COLUMNS,
                                     GROUPINGS, PAIR_COLUMNS, MatchOptions)
from dataforge.errors import UsageError
from dataforge.io import STDIN, AtomicFile, check_output_free, is_uri, local_path
from dataforge.progress import Progress


@dataclass(frozen=True)
class MatchSummary:
    """What a :func:`match_files` run read and wrote."""

    rows: int
    distinct_names: int
    skipped_empty_names: int
    pairs: int
    refine: bool
    threshold: float
    outputs: list
    seconds: float = 0.0
    master_rows: Optional[int] = None
    master_distinct_names: Optional[int] = None
    groups: Optional[int] = None
    grouping: Optional[str] = None  # center | components | best_master
    warnings: list = field(default_factory=list)  # what may be wrong with the input (a line each)
    notes: list = field(default_factory=list)  # what was decided about it (delimiter, encoding)
    learn: bool = False  # pairs decided by a learned model (--learn, --labels or --model)
    model: Optional[dict] = None  # learn: prior, candidate pairs, labels used, EM iterations, where it came from
    index: Optional[str] = None  # the saved index matched against (dataforge.dedup.index)
    stages: dict = field(default_factory=dict)  # seconds by stage: read, vectorise, product, pairs, groups, write

    def as_dict(self) -> dict:
        """The ``--json`` summary: the counts, then what only some runs have, then time and outputs."""
        data = {"rows": self.rows, "distinct_names": self.distinct_names,
                "skipped_empty_names": self.skipped_empty_names, "pairs": self.pairs, "refine": self.refine,
                "threshold": self.threshold, "learn": self.learn}
        if self.model is not None:
            data["model"] = dict(self.model)
        if self.master_rows is not None:
            data.update(master_rows=self.master_rows, master_distinct_names=self.master_distinct_names)
        if self.index is not None:
            data["index"] = self.index
        if self.groups is not None:
            data.update(groups=self.groups, grouping=self.grouping)
        data.update(seconds=self.seconds, stages=dict(self.stages), outputs=list(self.outputs))
        return data


@contextlib.contextmanager
def csv_output(path: str, engine=None) -> Iterator[IO[str]]:
    """A text stream for CSV that lands atomically at *path* (``-`` is stdout; with the
    Spark *engine*, a remote path goes through Spark's Hadoop filesystem)."""
    opener = engine.filesystem.output if engine is not None and is_uri(path) else AtomicFile
    with opener(path if is_uri(path) else local_path(path)) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        try:
            yield text
            text.flush()
        finally:
            text.detach()


def joined_names(frame, columns: Sequence[str]):
    """The name column, or several columns' non-empty values joined by a space."""
    if len(columns) == 1:
        return frame[columns[0]]
    joined = frame[columns[0]].fillna("").astype(str).str.strip()
    for column in columns[1:]:
        part = frame[column].fillna("").astype(str).str.strip()
        joined = joined.where(part == "", joined.where(joined == "", joined + " ") + part)
    return joined.rename(" ".join(columns))


def check_engine(engine: str, spark_master: Optional[str], paths: Sequence[str]) -> None:
    """Refuse an engine, master or remote path this run cannot use (before any work)."""
    from dataforge.spark_setup import check_master

    if engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if spark_master and engine != "spark":
        raise UsageError("--spark-master needs --engine spark")
    if spark_master:
        check_master(spark_master)
    remote = [p for p in paths if p is not None and is_uri(p)]
    if remote and engine != "spark":
        raise UsageError(f"{remote[0]}: remote paths (hdfs://, s3a://, gs://) need --engine spark")


class _Side:
    """One side of a match read from its table: names, ids and --also columns."""

    def __init__(self, table, columns: Sequence[str], id_column: Optional[str], also: Sequence[str],
                 warnings: list, id_required: bool = True):
        name_cols = [table.column(c, "name column") for c in columns]
        id_col = table.id_column(id_column, DEFAULT_ID_COLUMN, required=id_required)
        also_cols = [table.column(c, "--also column") for c in also]
        frame = table.read(name_cols + ([id_col] if id_col else []) + also_cols)
        self.names = joined_names(frame, name_cols)
        self.ids = frame[id_col] if id_col else frame.index.to_series() + 1
        repeated = self.ids[self.ids.duplicated(keep="first")]
        if id_col and len(repeated):
            warnings.append(f"{len(repeated):,} rows of {table.shown[0]} repeat an id already used "
                            f"(e.g. {repeated.iloc[0]!r} in {id_col.strip()}): pairs name records by id")
        self.also = frame[also_cols].set_axis(list(also), axis=1) if also else None


def match_files(inputs: Sequence[str], output: str = STDIN, *, columns: Sequence[str] = (DEFAULT_COLUMN,),
                id_column: Optional[str] = None, groups: Optional[str] = None, grouping: str = DEFAULT_GROUPING,
                against: Optional[str] = None, against_columns: Sequence[str] = (), also: Sequence[str] = (),
                encoding: str = "utf-8", options: MatchOptions = MatchOptions(), engine: str = "local",
                spark_master: Optional[str] = None, spark_quiet: bool = True, force: bool = False,
                labels: Optional[str] = None, model: Optional[str] = None, save_model: Optional[str] = None,
                explain: bool = False, index: Optional[str] = None, progress: Progress = None) -> MatchSummary:
    """Match the names of the CSV *inputs* and write the pairs CSV to *output* (``-`` is stdout).

    *columns* are the name column(s) (several are joined by a space), *id_column*
    the ids (default ``CompanyNumber`` when present, else the row number from 1);
    *groups* also writes every input row with ``group_id`` and ``group_name``
    (by *grouping*, or each record's best master match with *against*, a master
    CSV matched on *against_columns*, default *columns*).  *also* are columns a
    pair must also agree on.  *engine* ``spark`` runs the product on Spark at
    *spark_master*.  Existing outputs are refused unless *force*.

    With ``options.learn`` the pairs are decided by a model learned from the
    records (:mod:`dataforge.dedup.learn`), and *also* columns are evidence in
    it rather than filters; *labels* (a labels CSV) are a person's decisions,
    which are final and retrain the model; *model* applies a saved model
    instead of learning one; *save_model* writes the learned one; *explain*
    adds each measure's part of every pair's weight.  Either *labels* or
    *model* implies learn.

    *index* is a saved index (``dedup index build``) to match against instead
    of *against*, at the IDF it froze; its vectorising options apply (a
    conflicting ngram or strip_legal is a UsageError), and a damaged index an
    IndexDamagedError (exit 1).

    The outputs land together or not at all.  Raises UsageError before any work
    for options or paths no run could use (a missing or corrupt model among
    them).
    """
    from dataforge.dedup.kernel import top_n_pairs
    from dataforge.dedup.match import find_matches
    from dataforge.dedup.table import Table

    started = time.monotonic()
    learning = options.learn or labels is not None or model is not None
    options = options._replace(learn=learning)
    if index is not None:
        options = _check_index(index, options, against, engine, also, model, labels)
    saved_model = _check_learning(options, labels, model, save_model, explain, also)
    if index is not None and saved_model is not None:
        _check_index_model(index, options, saved_model)
    if saved_model is not None:
        options = options._replace(threshold=saved_model.threshold if options.threshold is None
                                   else options.threshold)
    options = options.check()
    if grouping not in GROUPINGS:
        raise UsageError(f"--grouping must be one of {', '.join(GROUPINGS)}, not {grouping!r}")
    if not columns:
        raise UsageError("give at least one name --column")
    if groups is not None and _same_path(groups, output):
        raise UsageError("--groups and -o must be different paths")
    outputs = [output] + ([groups] if groups is not None else [])
    if save_model is not None and any(_same_path(save_model, path) for path in outputs):
        raise UsageError("--save-model and -o/--groups must be different paths")
    master_inputs = [against] if against else []
    check_engine(engine, spark_master, list(inputs) + master_inputs + outputs + ([index] if index else []))
    for path in outputs + ([save_model] if save_model is not None else []):
        if not is_uri(path):
            check_output_free(local_path(path), force, inputs=list(inputs) + master_inputs)
    label_frame = None
    if labels is not None:
        from dataforge.dedup.learn import read_labels

        label_frame = read_labels(labels)
    warnings: list = []
    with contextlib.ExitStack() as stack:
        spark = None
        if engine == "spark":
            from dataforge.dedup.spark import spark_engine

            spark = stack.enter_context(spark_engine(spark_master, quiet=spark_quiet))
            for path in filter(is_uri, outputs):
                spark.filesystem.check_output_free(path, force)
        # the outputs are claimed (their temporary files made) before any input is read, so an
        # output that cannot be written fails at once; both land together or not at all, the
        # groups first and stdout (which cannot be taken back) last
        writing = stack.enter_context(contextlib.ExitStack())
        groups_out = writing.enter_context(csv_output(groups, spark)) if groups is not None else None
        model_out = writing.enter_context(AtomicFile(local_path(save_model))) if save_model is not None else None
        pairs_out = writing.enter_context(csv_output(output, spark))
        if spark is not None:
            inputs = spark.filesystem.fetch(inputs, stack)
            master_inputs = spark.filesystem.fetch(master_inputs, stack)
        saved_index = None
        if index is not None:
            from dataforge.dedup.index import MatchIndex

            saved_index = MatchIndex.open(local_path(index))
        stages: dict = {}
        step = time.monotonic()
        table = Table(inputs, encoding, stack)
        master = Table(master_inputs, encoding, stack) if master_inputs else None
        mine = None
        if table.empty:
            warnings.append(f"{table.shown[0]} is empty: no rows to match")
        else:
            mine = _Side(table, columns, id_column, also, warnings)
        theirs = None
        if master is not None:
            if master.empty:
                raise UsageError(f"master list {master.shown[0]} is empty")
            theirs = _Side(master, against_columns or columns, id_column, also, warnings, id_required=False)

        notes = table.notes + (master.notes if master is not None else [])
        counts = dict(rows=0, distinct_names=0, skipped_empty_names=0, pairs=0)
        matches = None
        stages["read"] = time.monotonic() - step
        if mine is not None:
            matches = find_matches(
                mine.names, mine.ids, against=theirs.names if theirs else None,
                against_ids=theirs.ids if theirs else None, also=mine.also,
                against_also=theirs.also if theirs else None, options=options, progress=progress,
                product=spark.top_n_pairs if spark else top_n_pairs, labels=label_frame, model=saved_model,
                explain=explain, index=saved_index)
            counts.update(rows=matches.rows, distinct_names=matches.names, skipped_empty_names=matches.skipped,
                          pairs=len(matches.pairs))
            stages.update(_match_stages(matches.seconds))
            if theirs is not None or saved_index is not None:
                counts.update(master_rows=matches.master_rows, master_distinct_names=matches.master_names)
        elif saved_index is not None:
            counts.update(master_rows=saved_index.records, master_distinct_names=saved_index.distinct_names)
        step = time.monotonic()
        if groups_out is not None:
            counts["groups"] = _write_groups(groups_out, table, matches, mine, theirs, grouping)
            stages["groups"] = time.monotonic() - step
            step = time.monotonic()
            counts["grouping"] = "best_master" if theirs is not None or saved_index is not None else grouping
        if model_out is not None:
            if matches is None or matches.model is None:
                raise UsageError(f"--save-model {save_model}: there were no records to learn a model from")
            matches.model.save(model_out)
        _write_pairs(pairs_out, matches)
    stages["write"] = time.monotonic() - step  # with the outputs' atomic replace
    learned = None
    if options.learn and matches is not None and matches.model is not None:
        trained = matches.model.trained
        learned = dict(prior=round(float(matches.model.prior), 6), trained_pairs=trained.get("pairs"),
                       labels=trained.get("labels"), iterations=trained.get("iterations"),
                       source=model if model is not None else "learned from this run")
        if save_model is not None:
            learned["saved"] = save_model
    return MatchSummary(refine=options.refine, threshold=options.threshold,
                        outputs=outputs + ([save_model] if save_model is not None else []), warnings=warnings,
                        notes=notes, seconds=round(time.monotonic() - started, 3), learn=options.learn,
                        model=learned, index=index, stages={k: round(v, 3) for k, v in stages.items()}, **counts)


def _match_stages(seconds: dict) -> dict:
    """find_matches' own timings as --json's stages: vectorise, product, refine or the learned model's
    (records, compare, learn), and the rest of it as pairs (names' pairs to records', sorting)."""
    out = {key: seconds[key] for key in ("vectorise", "product", "refine", "records", "compare", "learn")
           if key in seconds}
    if "total" in seconds:
        out["pairs"] = max(0.0, seconds["total"] - sum(out.values()))
    return out


def _same_path(a: str, b: str) -> bool:
    """Whether two output paths are one file (``-`` is stdout, the same only as itself)."""
    return a == b or (STDIN not in (a, b) and os.path.realpath(local_path(a)) == os.path.realpath(local_path(b)))


def _check_index(index: str, options: MatchOptions, against: Optional[str], engine: str,
                 also: Sequence[str], model: Optional[str] = None, labels: Optional[str] = None) -> MatchOptions:
    """The options of a match against a saved index, or a UsageError for those it cannot take;
    only the manifest is read here (the arrays are opened and verified with the outputs claimed)."""
    from dataforge.dedup.index import query_options, read_manifest

    if against is not None:
        raise UsageError("--index and --against are two master lists: give one")
    if engine == "spark":
        raise UsageError("--index runs on this machine only: --engine spark is not supported with --index "
                         "(docs/dedup.md, A saved index for cron)")
    if also:
        raise UsageError("--also is not supported with --index yet: match with --against")
    if options.learn and (model is None or labels is not None):
        raise UsageError("--learn and --labels are not supported with --index yet (a saved --model is): "
                         "learn with --against, save the model, and give it with --index")
    if is_uri(index):
        raise UsageError(f"--index {index}: an index is a local directory")
    return query_options(index, read_manifest(local_path(index)), options)


def _check_index_model(index: str, options: MatchOptions, model) -> None:
    """A saved model scores pairs found as it learned them: the index must vectorise names the same way."""
    learned = model.candidates
    if (learned["ngram"], learned["strip_legal"], learned["phonetic"]) != (options.ngram, options.strip_legal,
                                                                          options.phonetic):
        raise UsageError(f"the model was learned with --ngram {learned['ngram']}"
                         f"{' --strip-legal' if learned['strip_legal'] else ''}"
                         f"{' --phonetic' if learned['phonetic'] else ''}, index {index} matches with --ngram "
                         f"{options.ngram}{' --strip-legal' if options.strip_legal else ''}: "
                         "build the index with the model's options")


def _check_learning(options: MatchOptions, labels: Optional[str], model: Optional[str], save_model: Optional[str],
                    explain: bool, also: Sequence[str]):
    """The flags of a learned match that no run could use are refused; a saved *model* is read and checked
    (a missing, corrupt or foreign file is a UsageError) and returned."""
    if not options.learn:
        for flag, given in (("--save-model", save_model), ("--explain", explain or None)):
            if given is not None:
                raise UsageError(f"{flag} needs --learn (or --labels or --model)")
        return None
    if model is None:
        return None
    if save_model is not None:
        raise UsageError("--save-model with --model would write the same model again: copy the file, or "
                         "learn a new one with --learn")
    if STDIN == model:
        raise UsageError("--model must be a file, not stdin")
    from dataforge.dedup.learn import load_model

    saved = load_model(model)
    saved.check_columns(list(also), model)
    return saved


def _write_pairs(out: IO[str], matches) -> None:
    import pandas as pd

    from dataforge.dedup.table import write_frame_csv

    write_frame_csv(out, matches.pairs if matches is not None else pd.DataFrame(columns=PAIR_COLUMNS))


def _write_groups(out: IO[str], table, matches, mine: Optional[_Side], theirs: Optional[_Side],
                  grouping: str) -> int:
    """Stream every input row back out with group_id and group_name; return the number of groups."""
    import pandas as pd

    from dataforge.dedup.match import groups_of
    from dataforge.dedup.table import write_frame_csv

    header = [c for c in table.columns if c not in GROUP_COLUMNS] + GROUP_COLUMNS
    if matches is None:
        write_frame_csv(out, pd.DataFrame(columns=header))
        return 0
    against, against_ids = matches.master if matches.master is not None else \
        (theirs.names, theirs.ids) if theirs else (None, None)
    found = groups_of(matches, mine.names, mine.ids, against=against, against_ids=against_ids, grouping=grouping)
    offset, headed = 0, False
    for chunk in table.chunks():
        chunk = chunk.drop(columns=[c for c in GROUP_COLUMNS if c in chunk.columns])
        part = found.iloc[offset: offset + len(chunk)]
        chunk["group_id"] = part["group_id"].to_numpy()
        chunk["group_name"] = part["group_name"].to_numpy()
        write_frame_csv(out, chunk, header=not headed)
        offset, headed = offset + len(chunk), True
    if not headed:
        write_frame_csv(out, pd.DataFrame(columns=header))
    return len(found.drop_duplicates())
