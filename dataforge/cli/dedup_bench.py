"""``dataforge dedup bench``: the seed's pairwise-against-TF-IDF comparison on the user's own file."""
from __future__ import annotations

import contextlib
import os
import sys
import time

import click

from dataforge.cli.common import DataforgeCommand, FiniteFloatRange, Reporter, number, reporting_options
from dataforge.cli.dedup import dedup
from dataforge.dedup.options import (DEFAULT_COLUMN, DEFAULT_ID_COLUMN, BENCH_CUTOFF, BENCH_QUERIES, BENCH_SEED, BENCH_SIZES, DEFAULT_THRESHOLD,
                                     MatchOptions)
from dataforge.errors import InputDataError, UsageError
from dataforge.io import AtomicFile, check_output_free


def parse_sizes(value: str) -> tuple:
    """``1000,10000,50000`` -> (1000, 10000, 50000); a usage error (exit 2) otherwise."""
    try:
        sizes = tuple(int(part.strip().replace("_", "")) for part in value.split(","))
    except ValueError:
        raise UsageError(f"--sizes {value!r}: give whole numbers separated by commas, e.g. 1000,10000") from None
    if any(size < 2 for size in sizes):
        raise UsageError(f"--sizes {value!r}: every size must be at least 2")
    return tuple(sorted(set(sizes)))


@dedup.command("bench", cls=DataforgeCommand)
@click.argument("input_path", metavar="INPUT")
@click.option("--column", default=DEFAULT_COLUMN, show_default=True, metavar="NAME", help="The name column.")
@click.option("--id-column", metavar="NAME",
              help=f"The id column, which --truth refers to (default: {DEFAULT_ID_COLUMN} when present, "
                   "else the row number from 1).")
@click.option("--sizes", default=",".join(map(str, BENCH_SIZES)), show_default=True, metavar="N,N,...",
              help="Names in each sample; a size above the file's is capped with a note.")
@click.option("--queries", type=click.IntRange(min=1), default=BENCH_QUERIES, show_default=True,
              help="Pairwise queries timed per size; the time a query x names estimates all-vs-all.")
@click.option("--seed", type=int, default=BENCH_SEED, show_default=True, help="Seed of the random samples.")
@click.option("--threshold", type=FiniteFloatRange(0, 1, max_open=True), default=DEFAULT_THRESHOLD, show_default=True,
              help="dataforge keeps pairs whose cosine similarity is above this.")
@click.option("--cutoff", type=FiniteFloatRange(0, 100), default=BENCH_CUTOFF, show_default=True,
              help="Pairwise: a best match scoring at least this WRatio (0-100) is a pair.")
@click.option("--threads", type=click.IntRange(min=0), default=0, show_default=True,
              help="Threads for dataforge's product; 0 = every core. Pairwise runs on one.")
@click.option("--truth", metavar="TRUTH.csv",
              help="CSV of record id, entity id: precision, recall and F1 of both methods.")
@click.option("--plot", "plot_path", metavar="FILE.png", help="Also draw the comparison (.png, .svg or .pdf).")
@click.option("--force", is_flag=True, help="Replace the --plot file if it exists.")
@click.option("--encoding", default="utf-8", show_default=True, help="Input encoding, e.g. cp1252 or latin-1.")
@reporting_options
def bench_command(input_path, column, id_column, sizes, queries, seed, threshold, cutoff, threads, truth, plot_path,
                  force, encoding, as_json, quiet, verbose, debug):
    """Time pairwise fuzzy matching against dataforge on samples of INPUT.

    For each size, a reproducible sample of that many names: rapidfuzz's
    extractOne with fuzzywuzzy's WRatio scorer (and thefuzz/fuzzywuzzy when
    installed) is timed on --queries names, each against the rest of the
    sample, and extrapolated to all of them as the seed notebook does;
    dataforge's matcher is timed on the whole sample. Prints a table (or
    --json) of the estimate, dataforge's time, the speedup and the pairs
    found. See docs/dedup.md.

    \b
    Example:
        dataforge dedup bench data/sample/companies.csv.gz --sizes 1000,5000
        dataforge dedup bench data/sample/companies.csv.gz --sizes 5000 \\
            --truth data/sample/companies-truth.csv.gz --plot bench.png
    """
    from dataforge.dedup.table import Table

    started = time.monotonic()
    reporter = Reporter(quiet, as_json, verbose)
    from dataforge.dedup.bench import BenchOptions  # options are checked before the input is read
    from dataforge.dedup.bench_plot import PLOT_FORMATS

    options = BenchOptions(sizes=parse_sizes(sizes), queries=queries, seed=seed, cutoff=cutoff,
                           match=MatchOptions(threshold=threshold, threads=threads)).check()
    plot_format = None
    if plot_path is not None:
        plot_format = os.path.splitext(plot_path)[1].lower().lstrip(".")
        if plot_format not in PLOT_FORMATS:
            raise UsageError(f"--plot {plot_path}: give a .png, .svg or .pdf file name")
        check_output_free(plot_path, force)
    with contextlib.ExitStack() as stack:
        table = Table([input_path], encoding, stack)
        if table.empty:
            raise InputDataError(f"{table.shown[0]} is empty: no names to benchmark")
        name_col = table.column(column, "name column")
        id_col = table.id_column(id_column, DEFAULT_ID_COLUMN)
        truth_series = None
        if truth is not None:
            from dataforge.dedup.evaluate import read_truth

            truth_series = read_truth(truth)
        frame = table.read([name_col] + ([id_col] if id_col else []))

    from dataforge.dedup.bench import run_bench

    names = frame[name_col]
    ids = frame[id_col].str.strip() if id_col else None
    with reporter.progress() as progress:
        result = run_bench(names, ids, options, truth=truth_series, sweep=plot_path is not None, progress=progress)
    for note in result.notes:
        reporter.say(f"Note: {note}")
    if result.unknown_ids:
        reporter.warn(f"{number(result.unknown_ids)} records of {table.shown[0]} are not in {truth}: "
                      "each counts as an entity of its own")
    if plot_path is not None:
        from dataforge.dedup.bench_plot import plot

        with AtomicFile(plot_path) as out:
            plot(result, out, plot_format, title=f"dataforge dedup bench {os.path.basename(input_path)}")
    summary = {"command": "dedup bench", "input": table.shown[0], **result.as_dict()}
    summary.update(plot=plot_path, seconds=round(time.monotonic() - started, 3))
    reporter.summary(summary)
    if not as_json:
        _print_tables(result, truth is not None)
        shown = f", plot -> {plot_path}" if plot_path else ""
        reporter.say(f"dedup bench: {len(result.sizes)} sizes of {table.shown[0]}{shown} "
                     f"({summary['seconds']:.1f} s)")


def duration(seconds: float) -> str:
    """Seconds for people: 850 us, 12 ms, 3.4 s, 7.5 min, 32 h."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    if seconds < 120:
        return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _print_tables(result, with_truth: bool) -> None:
    """The comparison as rich tables on stdout (it is the command's output; notes go to stderr)."""
    from rich.console import Console
    from rich.table import Table as RichTable

    terminal = sys.stdout.isatty()
    console = Console(file=sys.stdout, width=None if terminal else 160, highlight=False)
    options = result.options
    times = RichTable(title="pairwise extractOne (WRatio) against dataforge dedup match", title_justify="left",
                      caption="est. = the time a query x names, as the seed notebook extrapolates",
                      caption_justify="left")
    for heading, justify in (("names", "right"), ("method", "left"), ("a query", "right"), ("all names", "right"),
                             ("speedup", "right"), ("pairs found", "right")):
        times.add_column(heading, justify=justify)
    for size in result.sizes:
        for k, library in enumerate(result.libraries):
            run = size.pairwise[library]
            times.add_row(number(size.size) if k == 0 else "", f"{library} extractOne, {run.queries} queries",
                          duration(run.per_query), f"{duration(run.estimate)} est.",
                          f"{run.estimate / size.dataforge_s:,.0f}x",
                          f"{int((run.score >= options.cutoff).sum())} of {run.queries} >= {options.cutoff:g}")
        times.add_row("", "dataforge dedup match", "", duration(size.dataforge_s), "", number(size.pairs),
                      end_section=True)
    tables = [times]
    if with_truth:
        tables += _quality_tables(result)
    if terminal:
        for table in tables:
            console.print(table)
        return
    with console.capture() as captured:  # a file or pipe: no padding at the ends of lines
        for table in tables:
            console.print(table)
    sys.stdout.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))


def _quality_tables(result) -> list:
    from rich.table import Table as RichTable

    options = result.options
    t = options.match.threshold
    quality = RichTable(title="against the truth (pair counting)", title_justify="left")
    for heading, justify in (("names", "right"), ("method", "left"), ("precision", "right"), ("recall", "right"),
                             ("F1", "right"), ("predicted", "right"), ("to find", "right")):
        quality.add_column(heading, justify=justify)
    for size in result.sizes:
        q = size.quality
        queries = size.pairwise["rapidfuzz"].queries
        rows = [
            (f"rapidfuzz best match >= {options.cutoff:g}, {queries} queries", q["pairwise_queries"]),
            (f"dataforge best match > {t:g}, same queries", q["dataforge_queries"]),
            (f"dataforge pairs > {t:g}, all names", q["pairs"]),
            (f"dataforge groups > {t:g}, all names", q["groups"]),
        ]
        for k, (method, m) in enumerate(rows):
            quality.add_row(number(size.size) if k == 0 else "", method, f"{m['precision']:.3f}",
                            f"{m['recall']:.3f}", f"{m['f1']:.3f}", number(m["predicted"]), number(m["actual"]))
        quality.add_row("", f"largest group {number(q['largest_group'])}, largest true entity "
                            f"{number(q['largest_entity'])}", "", "", "", "", "", end_section=True)
    sweep = result.sweep
    thresholds = RichTable(title=f"dataforge across thresholds, {number(sweep.names)} names", title_justify="left")
    for heading in ("threshold", "pairs", "precision", "recall", "F1", ""):
        thresholds.add_column(heading, justify="right" if heading else "left")
    for threshold, pairs, q in sweep.thresholds:
        mark = "best" if threshold == sweep.best else ""
        if threshold == t:
            mark = f"{mark}, --threshold" if mark else "--threshold"
        thresholds.add_row(f"{threshold:g}", number(pairs), f"{q.precision:.3f}", f"{q.recall:.3f}", f"{q.f1:.3f}",
                           mark, style="bold" if threshold == sweep.best else None)
    return [quality, thresholds]
