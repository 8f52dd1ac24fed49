"""``dataforge dedup review`` (options -> review_page -> report) and ``dedup label`` (a terminal loop over a
:class:`~dataforge.dedup.label.LabelSession`: draw the pair, read a key, press it)."""
from __future__ import annotations

import contextlib
import sys

import click

from dataforge.cli.common import (DataforgeCommand, FiniteFloatRange, Reporter, check_json_outputs, number,
                                  reporting_options)
from dataforge.cli.dedup import dedup
from dataforge.dedup.options import (DEFAULT_ID_COLUMN, DEFAULT_LEARN_THRESHOLD, DEFAULT_THRESHOLD, REVIEW_TOP_GROUPS,
                                     REVIEW_TOP_PAIRS)
from dataforge.errors import UsageError
from dataforge.io import STDIN


def threshold_option(func):
    return click.option(
        "--threshold", type=FiniteFloatRange(0, 1, max_open=True),
        help=f"The decision threshold doubt is measured from [default: {DEFAULT_LEARN_THRESHOLD} when the pairs "
             f"have match_probability, else {DEFAULT_THRESHOLD}; give 0.9 for --refine's pairs].")(func)


@dedup.command("review", cls=DataforgeCommand)
@click.argument("pairs")
@click.option("-o", "--output", required=True, metavar="PATH", help="The HTML page to write; - for stdout.")
@click.option("--force", is_flag=True, help="Replace the page if it exists.")
@click.option("--groups", "groups_path", metavar="PATH",
              help="The groups file of the same dedup match run (default: the page groups the pairs above the "
                   "threshold by center clustering).")
@click.option("--input", "input_path", metavar="PATH",
              help="The input file of the run, for the columns --show names beside each record.")
@click.option("--id-column", metavar="NAME",
              help=f"The id column of --groups and --input (default: {DEFAULT_ID_COLUMN} when present, else the row "
                   f"number from 1), as for dedup match.")
@click.option("--show", "show", multiple=True, metavar="COLUMN",
              help="A column of --input (or --groups) to show beside each record, e.g. RegAddress.PostCode "
                   "(repeatable; default: the file's first columns but the id and CompanyName).")
@threshold_option
@click.option("--top", type=click.IntRange(min=0), default=REVIEW_TOP_PAIRS, show_default=True,
              help="The most doubtful pairs the page holds; 0 = every pair (a large page).")
@click.option("--top-groups", type=click.IntRange(min=0), default=REVIEW_TOP_GROUPS, show_default=True,
              help="The largest groups, and the least certain, the page holds.")
@click.option("--labels", "labels_path", metavar="CSV",
              help="Labels given before (left_id,right_id,label, as dedup match --labels reads): the page starts "
                   "with them, and Export writes them with the new ones.")
@click.option("--encoding", default="utf-8", show_default=True, help="The encoding of the CSV files.")
@reporting_options
def review_command(pairs, output, force, groups_path, input_path, id_column, show, threshold, top, top_groups,
                   labels_path, encoding, as_json, quiet, verbose, debug):
    """Write one self-contained HTML page to check the pairs and groups of a dedup match run.

    The page needs nothing but a browser (no server, no network; it can be
    sent as an attachment): a summary with the score histogram and the group
    sizes, the borderline pairs first (closest to the threshold, with the
    learned model's explanation when the pairs have weight_* columns), the
    largest and least certain groups, and a search box. Label the pairs by
    keyboard (y same, n different, u unsure, j/k next and back); the labels
    stay in the browser, and Export downloads labels.csv for dedup match
    --labels. A pairs file with a header only makes a page that says there is
    nothing to review. See docs/dedup.md.

    \b
    Example:
        dataforge dedup match companies.csv --learn --threshold 0.1 --explain \\
            -o pairs.csv --groups groups.csv
        dataforge dedup review pairs.csv --groups groups.csv --show RegAddress.PostCode -o review.html
        dataforge dedup match companies.csv --learn --labels labels.csv -o pairs.csv --force
        dataforge dedup review pairs.csv --labels labels.csv -o review.html --force
    """
    from dataforge.dedup.review import review_page

    reporter = Reporter(quiet, as_json, verbose)
    check_json_outputs(as_json, output)
    with reporter.progress() as progress:
        summary = review_page(pairs, output, groups=groups_path, input=input_path, id_column=id_column, show=show,
                              threshold=threshold, top=top, top_groups=top_groups, encoding=encoding,
                              labels=labels_path, force=force, progress=progress)
    reporter.summary(summary.as_dict())
    if not as_json:
        groups = f", {number(summary.groups)} groups ({number(summary.shown_groups)} shown)" \
            if summary.groups is not None else ""
        what = f"{number(summary.pairs)} pairs ({number(summary.shown_pairs)} most doubtful shown)" \
            if summary.pairs else "no pairs: the page says there is nothing to review"
        reporter.say(f"dedup review: {what}{groups}, threshold {summary.threshold:g} on {summary.score} -> "
                     f"{'stdout' if output == STDIN else output} ({summary.seconds:.2f} s)")


@dedup.command("label", cls=DataforgeCommand)
@click.argument("pairs")
@click.option("-o", "--output", required=True, metavar="PATH",
              help="The labels CSV (left_id,right_id,label). If it exists it is no error: its pairs are skipped "
                   "and it is written back, atomically, with the new labels added.")
@threshold_option
@click.option("--encoding", default="utf-8", show_default=True, help="The encoding of the pairs file.")
@reporting_options
def label_command(pairs, output, threshold, encoding, as_json, quiet, verbose, debug):
    """Label pairs in the terminal, one at a time, the most doubtful first.

    For a server over SSH, where a page cannot be opened. Keys: y (same),
    n (different), u (unsure), b (back), q (quit). Every label is saved at
    once, atomically, to -o, in the format dedup match --labels reads; run
    it again with the same -o to resume: the pairs already labelled there
    are skipped and the file keeps them. Needs a terminal on stdin.

    \b
    Example:
        dataforge dedup label pairs.csv -o labels.csv
        dataforge dedup match companies.csv --learn --labels labels.csv -o pairs.csv --force
    """
    from dataforge.dedup.label import LabelSession

    reporter = Reporter(quiet, as_json, verbose)
    if sys.stdin is None or not sys.stdin.isatty():
        raise UsageError("dedup label reads keys from a terminal, and stdin is not one: run it in a terminal "
                         "(ssh -t), or write a page with dedup review")
    session = LabelSession(pairs, output, threshold=threshold, encoding=encoding)
    _label_loop(session)
    counts = session.counts
    reporter.summary(dict(pairs=len(session.pairs.frame), already_labelled=session.already,
                          labelled=sum(counts.values()), **counts, left=len(session.queue) - session.position,
                          outputs=[output]))
    if not as_json:
        reporter.say(f"dedup label: {number(sum(counts.values()))} labelled ({counts['yes']} yes, {counts['no']} no, "
                     f"{counts['unsure']} unsure), {number(session.already)} from before, "
                     f"{number(max(0, len(session.queue) - session.position))} left -> {output}")


def _label_loop(session) -> None:
    """Draw the pair, read a key, press it, until the queue ends or q; on stderr, so --json's stdout stays clean."""
    from rich.console import Console

    console = Console(stderr=True, highlight=False)
    if session.done:
        console.print("Nothing to label: every pair of the file is labelled in the output already."
                      if session.queue or session.already else "Nothing to label: the pairs file has no pairs.")
        return
    with _keys_unechoed():
        _draw_and_read(session, console)


@contextlib.contextmanager
def _keys_unechoed():
    """The terminal without echo or line buffering for the whole session (restored after): a key typed while a
    pair is drawn waits for the next read instead of being echoed onto the screen.  Ctrl-C still interrupts."""
    import termios
    import tty

    fd = sys.stdin.fileno()
    before = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, before)


def _draw_and_read(session, console) -> None:
    from rich.panel import Panel
    from rich.table import Table

    while True:
        pair = session.shown()
        table = Table.grid(padding=(0, 2))
        table.add_column(style="dim")
        table.add_column()
        table.add_column()
        table.add_row("id", _plain(pair.left_id), _plain(pair.right_id))
        table.add_row("name", f"[bold]{_plain(pair.left_name)}[/]", f"[bold]{_plain(pair.right_name)}[/]")
        scores = f"similarity {pair.similarity:.3f}"
        if pair.probability is not None:
            scores += f"   match_probability {pair.probability:.3f}   match_weight {pair.weight:.2f}"
        parts = "   ".join(f"{m} {v:+.2f}" for m, v in pair.parts.items())
        label = f"   this session: {pair.label}" if pair.label else ""
        body = Table.grid()
        body.add_row(table)
        body.add_row(f"\n{scores}{label}")
        if parts:
            body.add_row(f"[dim]{parts}[/]")
        body.add_row("\n[bold]y[/] same   [bold]n[/] different   [bold]u[/] unsure   [bold]b[/] back   "
                     "[bold]q[/] quit (every label is saved as it is given)")
        console.clear()
        console.print(Panel(body, title=f"pair {pair.position + 1:,} of {len(session.queue):,}, most doubtful first "
                                         f"(threshold {session.threshold:g})"))
        if not all(session.press(key) for key in _keys()):
            return


def _keys() -> str:
    """The keys typed since the last read (read at once, not with click.getchar, whose raw mode drops keys typed
    ahead); an escape sequence (an arrow key) is none of ours, and Ctrl-D is q."""
    import os

    typed = os.read(sys.stdin.fileno(), 32).decode("utf-8", "replace")
    if not typed or "\x04" in typed:
        return "q"
    return "" if typed.startswith("\x1b") else typed


def _plain(text: str) -> str:
    """A name or id shown as text: rich markup in it ([bold]) is not markup, and a terminal's control codes in
    it (an escape sequence) are taken out."""
    import re

    from rich.markup import escape

    return escape(re.sub(r"[\x00-\x1f\x7f-\x9f]", "", str(text)))
