"""``dataforge dedup match``: parse options, read the table, call find_matches, write, report."""
from __future__ import annotations

import contextlib
import io
import os
import time
from typing import IO, Optional

import click

from dataforge.cli.common import DataforgeCommand, Reporter, number, progress_bar, reporting_options
from dataforge.spark_setup import DEFAULT_SPARK_MASTER, check_master, has_scheme
from dataforge.dedup.options import (DEFAULT_GROUPING, DEFAULT_NGRAM, DEFAULT_REFINE_THRESHOLD, DEFAULT_THRESHOLD,
                                     DEFAULT_TOP, GROUP_COLUMNS, GROUPINGS, KERNELS, PAIR_COLUMNS, MatchOptions)
from dataforge.errors import UsageError
from dataforge.io import STDIN, AtomicFile, check_output_free, is_uri

ENGINES = ("local", "spark")

DEFAULT_COLUMN = "CompanyName"
DEFAULT_ID_COLUMN = "CompanyNumber"


@click.group()
def dedup() -> None:
    """Fuzzy de-duplication of company names (character n-gram TF-IDF, sparse top-N cosine)."""


@contextlib.contextmanager
def csv_writer(path: str, engine=None) -> "IO[str]":
    """A text stream for CSV that lands atomically at *path* (``-`` is stdout; with the
    Spark *engine*, a path with a scheme goes through Spark's Hadoop filesystem)."""
    opener = engine.output if engine is not None and has_scheme(path) else AtomicFile
    with opener(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        try:
            yield text
            text.flush()
        finally:
            text.detach()


@dedup.command("match", cls=DataforgeCommand)
@click.argument("inputs", nargs=-1, metavar="[INPUT]...")
@click.option("-o", "--output", default="-", show_default=True, metavar="PATH",
              help="Pairs CSV (.gz compresses); - for stdout.")
@click.option("--force", is_flag=True, help="Replace outputs that exist.")
@click.option("--column", "columns", multiple=True, default=[DEFAULT_COLUMN], show_default=True, metavar="NAME",
              help="The name column; repeat it to match on several columns joined by spaces "
                   "(e.g. --column GivenName --column Surname --column Street).")
@click.option("--id-column", metavar="NAME",
              help=f"The id column (default: {DEFAULT_ID_COLUMN} when present, else the row number from 1).")
@click.option("--groups", "groups_path", metavar="PATH",
              help="Also write every input row with group_id and group_name.")
@click.option("--grouping", type=click.Choice(GROUPINGS), default=DEFAULT_GROUPING, show_default=True,
              help="How --groups groups the pairs: center keeps a record with the best-paired center, so weak "
                   "links do not chain; components joins every chain of pairs (string_grouper's grouping).")
@click.option("--against", metavar="MASTER",
              help="Match each name only against this master CSV (its ids and names on the right).")
@click.option("--against-column", "against_columns", multiple=True, metavar="NAME",
              help="The master's name column(s) (default: --column).")
@click.option("--refine", is_flag=True,
              help="Rescore the candidates on their distinctive words (common words and legal forms count for "
                   "little); recommended for de-duplication.")
@click.option("--threshold", type=float,
              help=f"Keep pairs scoring above this (0 to below 1). [default: {DEFAULT_THRESHOLD}; "
                   f"with --refine {DEFAULT_REFINE_THRESHOLD}]")
@click.option("--top", type=int, default=DEFAULT_TOP, show_default=True,
              help="Best matches kept per distinct name, itself included; 0 = every pair above the threshold.")
@click.option("--ngram", type=int, default=DEFAULT_NGRAM, show_default=True, help="Characters per n-gram feature.")
@click.option("--threads", type=int, default=0, show_default=True, help="Threads for the product; 0 = every core.")
@click.option("--kernel", type=click.Choice(KERNELS), default="auto", show_default=True,
              help="How the product is computed: pruned skips pairs that cannot reach the threshold, brute is "
                   "the seed's; same pairs and scores (pruned keeps all names tied for a last place). auto = pruned "
                   "when the threshold is above 0.")
@click.option("--strip-legal", is_flag=True, help="Drop legal forms (LIMITED, LTD, PLC, GMBH, ...) before matching.")
@click.option("--phonetic", is_flag=True, help="Add Double Metaphone codes of each word as features.")
@click.option("--also", "also_columns", multiple=True, metavar="COLUMN",
              help="Keep only pairs that also agree on this column (repeatable), e.g. RegAddress.PostCode.")
@click.option("--encoding", default="utf-8", show_default=True, help="Input encoding, e.g. cp1252 or latin-1.")
@click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True,
              help="Where the product runs: this machine, or Spark (same pairs and groups; inputs and outputs "
                   "may then be hdfs://, s3a://, file:// paths).")
@click.option("--spark-master", metavar="URL",
              help=f"Spark master for --engine spark: local[N], yarn, spark://HOST:PORT, k8s://URL "
                   f"(default {DEFAULT_SPARK_MASTER}).")
@reporting_options
def match_command(inputs, output, force, columns, id_column, groups_path, grouping, against, against_columns, refine,
                  threshold, top, ngram, threads, kernel, strip_legal, phonetic, also_columns, encoding, engine,
                  spark_master, as_json, quiet, verbose, debug):
    """Find pairs of records whose names are alike; optionally group them.

    Reads CSV (.csv, .csv.gz, .tsv; no INPUT or - reads stdin) and writes one
    row per pair of distinct records: left_id, left_name, right_id,
    right_name, similarity, best first. Records with the same name pair at
    1.0. The defaults reproduce the seed notebook's scores (3-gram TF-IDF,
    top 10 per name above 0.6); --refine rescores them on distinctive words,
    the recommended mode for de-duplication. See docs/dedup.md.

    \b
    Example:
        dataforge dedup match companies.csv -o pairs.csv
        dataforge dedup match companies.csv --refine --groups groups.csv -o pairs.csv
        dataforge dedup match crm.csv --column Name --id-column Id --groups groups.csv -o pairs.csv
        dataforge dedup match new.csv --against master.csv --threshold 0.8 -o -
        dataforge dedup match hdfs:///data/companies.csv --engine spark --spark-master yarn \\
            -o hdfs:///out/pairs.csv
    """
    from dataforge.dedup.kernel import top_n_pairs
    from dataforge.dedup.match import find_matches
    from dataforge.dedup.table import Table, write_frame_csv

    started = time.monotonic()
    reporter = Reporter(quiet, as_json, verbose)
    options = MatchOptions(threshold=threshold, top=top, ngram=ngram, threads=threads, strip_legal=strip_legal,
                           phonetic=phonetic, kernel=kernel, refine=refine).check()
    if as_json and STDIN in (output, groups_path):
        raise UsageError("--json prints its summary on stdout, so outputs must go to files: give -o PATH")
    if groups_path is not None and (groups_path == output or (
            STDIN not in (output, groups_path) and os.path.realpath(groups_path) == os.path.realpath(output))):
        raise UsageError("--groups and -o must be different paths")
    outputs = [output] + ([groups_path] if groups_path is not None else [])
    master_inputs = [against] if against else []
    _check_engine(engine, spark_master, list(inputs) + master_inputs + outputs)
    for path in outputs:
        if not has_scheme(path):
            check_output_free(path, force)
    with contextlib.ExitStack() as stack:
        spark = None
        if engine == "spark":
            from dataforge.dedup.spark import spark_engine

            spark = stack.enter_context(spark_engine(spark_master, quiet=not verbose))
            for path in filter(has_scheme, outputs):
                spark.check_output_free(path, force)
            inputs = spark.fetch(inputs, stack)
            master_inputs = spark.fetch(master_inputs, stack)
        table = Table(inputs, encoding, stack)
        master = Table(master_inputs, encoding, stack) if master_inputs else None
        if table.empty:
            reporter.warn(f"{table.shown[0]} is empty: no rows to match")
            names = ids = None
            frame = None
        else:
            name_cols = [table.column(c, "name column") for c in columns]
            id_col = table.column(id_column, "id column") if id_column else (
                table.column(DEFAULT_ID_COLUMN) if table.has_column(DEFAULT_ID_COLUMN) else None)
            also_cols = [table.column(c, "--also column") for c in also_columns]
            frame = table.read(name_cols + ([id_col] if id_col else []) + also_cols)
            names = _joined(frame, name_cols)
            ids = frame[id_col] if id_col else frame.index.to_series() + 1
        master_names = master_ids = master_also = None
        if master is not None:
            if master.empty:
                raise UsageError(f"master list {master.shown[0]} is empty")
            m_names = [master.column(c, "name column") for c in (against_columns or columns)]
            m_id = master.column(id_column) if id_column and master.has_column(id_column) else (
                master.column(DEFAULT_ID_COLUMN) if master.has_column(DEFAULT_ID_COLUMN) else None)
            m_also = [master.column(c, "--also column") for c in also_columns]
            master_frame = master.read(m_names + ([m_id] if m_id else []) + m_also)
            master_names = _joined(master_frame, m_names)
            master_ids = master_frame[m_id] if m_id else master_frame.index.to_series() + 1
            master_also = master_frame[m_also].set_axis(also_columns, axis=1) if also_columns else None

        summary = {"rows": 0, "distinct_names": 0, "skipped_empty_names": 0, "pairs": 0, "refine": refine,
                   "threshold": options.threshold}
        if frame is not None:
            with progress_bar(reporter, "matching name blocks") as progress:
                matches = find_matches(
                    names, ids, against=master_names, against_ids=master_ids,
                    also=frame[also_cols].set_axis(list(also_columns), axis=1) if also_columns else None,
                    against_also=master_also, options=options, progress=progress,
                    product=spark.top_n_pairs if spark else top_n_pairs)
            pairs = matches.pairs
            summary.update(rows=matches.rows, distinct_names=matches.names, skipped_empty_names=matches.skipped,
                           pairs=len(pairs))
            if master is not None:
                summary.update(master_rows=matches.master_rows, master_distinct_names=matches.master_names)
        else:
            import pandas as pd

            pairs = pd.DataFrame(columns=PAIR_COLUMNS)
        # both outputs land together or not at all: groups re-reads the input and can
        # still fail, so it is written first and stdout (which cannot be taken back) last
        with contextlib.ExitStack() as writing:
            if groups_path is not None:
                groups_out = writing.enter_context(csv_writer(groups_path, spark))
                summary["groups"] = _write_groups(groups_out, table, matches if frame is not None else None,
                                                  names, ids, master_names, master_ids, grouping)
                summary["grouping"] = "best_master" if master is not None else grouping
            out = writing.enter_context(csv_writer(output, spark))
            write_frame_csv(out, pairs)
    summary.update(seconds=round(time.monotonic() - started, 3), outputs=outputs)
    reporter.summary(summary)
    if not as_json:
        skipped = f" ({number(summary['skipped_empty_names'])} with no name skipped)" \
            if summary["skipped_empty_names"] else ""
        groups = f", {number(summary['groups'])} groups" if "groups" in summary else ""
        reporter.say(f"dedup match: {number(summary['rows'])} rows, {number(summary['distinct_names'])} distinct "
                     f"names{skipped}, {number(summary['pairs'])} pairs{groups} "
                     f"-> {', '.join('stdout' if o == STDIN else o for o in outputs)} ({summary['seconds']:.2f} s)")


def _joined(frame, columns: list[str]):
    """The name column, or several columns' non-empty values joined by a space."""
    if len(columns) == 1:
        return frame[columns[0]]
    joined = frame[columns[0]].fillna("").astype(str).str.strip()
    for column in columns[1:]:
        part = frame[column].fillna("").astype(str).str.strip()
        joined = joined.where(part == "", joined.where(joined == "", joined + " ") + part)
    return joined.rename(" ".join(columns))


def _check_engine(engine: str, spark_master: Optional[str], paths: list) -> None:
    if spark_master and engine != "spark":
        raise UsageError("--spark-master needs --engine spark")
    if spark_master:
        check_master(spark_master)
    remote = [p for p in paths if is_uri(p)]
    if remote and engine != "spark":
        raise UsageError(f"{remote[0]}: paths with a scheme (hdfs://, s3a://, file://) need --engine spark")


def _write_groups(out: IO[str], table, matches, names, ids, master_names, master_ids, grouping: str) -> int:
    """Stream every input row back out with group_id and group_name; return the number of groups."""
    import pandas as pd

    from dataforge.dedup.match import groups_of

    groups = groups_of(matches, names, ids, against=master_names, against_ids=master_ids,
                       grouping=grouping) if matches else None
    header_only = pd.DataFrame(columns=[c for c in table.columns if c not in GROUP_COLUMNS] + GROUP_COLUMNS)
    if groups is None:
        header_only.to_csv(out, index=False)
        return 0
    offset = 0
    for chunk in table.chunks():
        chunk = chunk.drop(columns=[c for c in GROUP_COLUMNS if c in chunk.columns])
        part = groups.iloc[offset: offset + len(chunk)]
        chunk["group_id"] = part["group_id"].to_numpy()
        chunk["group_name"] = part["group_name"].to_numpy()
        chunk.to_csv(out, index=False, header=offset == 0)
        offset += len(chunk)
    if offset == 0:
        header_only.to_csv(out, index=False)
    return len(groups.drop_duplicates())
