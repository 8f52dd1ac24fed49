"""``dataforge dedup index build|add|info``: a saved match index for cron (dataforge.dedup.index)."""
from __future__ import annotations

import click

from dataforge.cli.common import DataforgeCommand, Reporter, number, reporting_options
from dataforge.cli.dedup import dedup, encoding_option, name_columns, strip_legal_option
from dataforge.dedup.options import DEFAULT_NGRAM, MatchOptions


@dedup.group("index")
def index_group() -> None:
    """A saved match index of a master list: build it once, match each night's records against it.

    \b
    Example:
        dataforge dedup index build master.csv -o master.dfidx
        dataforge dedup match new.csv --index master.dfidx -o pairs.csv
        dataforge dedup index add master.dfidx more.csv
        dataforge dedup index info master.dfidx
    """


def _size(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB"


def _report(reporter: Reporter, what: str, summary) -> None:
    for note in summary.notes:
        reporter.say(f"Note: {note}")
    for warning in summary.warnings:
        reporter.warn(warning)
    reporter.summary(summary.as_dict())
    if summary.rebuild_advised:
        reporter.warn(f"rebuild advised: {summary.rebuild_reason}; dataforge dedup index build --force gives the "
                      f"scores of a refit")
    reporter.say(f"dedup index {what}: {number(summary.records)} records, {number(summary.distinct_names)} distinct "
                 f"names, {number(summary.features)} n-grams, {_size(summary.bytes)}, IDF drift "
                 f"{summary.drift:.2%} -> {summary.index} ({summary.seconds:.2f} s)")


@index_group.command("build", cls=DataforgeCommand)
@click.argument("inputs", nargs=-1, metavar="[MASTER]...")
@click.option("-o", "--output", required=True, metavar="INDEX", help="The index to write (a directory).")
@click.option("--force", is_flag=True, help="Replace an index that exists (atomically: a query sees the old or "
                                            "the new one).")
@name_columns()
@click.option("--ngram", type=click.IntRange(min=1, max=9), default=DEFAULT_NGRAM, show_default=True,
              help="Characters per n-gram feature.")
@strip_legal_option
@encoding_option
@reporting_options
def build_command(inputs, output, force, columns, id_column, ngram, strip_legal, encoding, as_json, quiet, verbose,
                  debug):
    """Build a saved match index of a master CSV: its TF-IDF (vocabulary and frozen IDF), the pruned
    kernel's structures, ids and names, as memory-mapped .npy arrays and a JSON manifest with a
    format version and checksums (never a pickle). Takes match's column, id and n-gram options;
    `dedup match --index` then queries it. See docs/dedup.md.

    \b
    Example:
        dataforge dedup index build master.csv -o master.dfidx
        dataforge dedup index build crm.csv --column Name --id-column Id --strip-legal -o crm.dfidx
    """
    from dataforge.dedup.index_files import build_index_files

    reporter = Reporter(quiet, as_json, verbose)
    with reporter.progress() as progress:
        summary = build_index_files(inputs, output, columns=columns, id_column=id_column, encoding=encoding,
                                    options=MatchOptions(ngram=ngram, strip_legal=strip_legal), force=force,
                                    progress=progress)
    _report(reporter, "build", summary)


@index_group.command("add", cls=DataforgeCommand)
@click.argument("index")
@click.argument("inputs", nargs=-1, metavar="[INPUT]...")
@name_columns(default=(), shown="the index's")
@encoding_option
@reporting_options
def add_command(index, inputs, columns, id_column, encoding, as_json, quiet, verbose, debug):
    """Append the records of a CSV to a saved index without a rebuild. The frozen IDF is kept (the
    new names are weighed by it), its drift from a refit's is reported, and a warning says when a
    rebuild is advised. One writer at a time (a second add fails, exit 1); an add that is stopped
    leaves the index as it was.

    \b
    Example:
        dataforge dedup index add master.dfidx more.csv
        dataforge dedup index add master.dfidx changes.csv --json
    """
    from dataforge.dedup.index_files import add_index_files

    reporter = Reporter(quiet, as_json, verbose)
    with reporter.progress() as progress:
        summary = add_index_files(index, inputs, columns=columns, id_column=id_column, encoding=encoding,
                                  progress=progress)
    reporter.say(f"added {number(summary.read_records)} records ({number(summary.read_distinct_names)} new names)")
    _report(reporter, "add", summary)


@index_group.command("info", cls=DataforgeCommand)
@click.argument("index")
@reporting_options
def info_command(index, as_json, quiet, verbose, debug):
    """Print a saved index's manifest, sizes and IDF drift, after checking every array.

    \b
    Example:
        dataforge dedup index info master.dfidx
        dataforge dedup index info master.dfidx --json
    """
    from dataforge.dedup.index_files import index_info

    reporter = Reporter(quiet, as_json, verbose)
    info = index_info(index)
    reporter.summary(info)
    if as_json or quiet:
        return
    options = info["options"]
    lines = [
        f"index {info['path']}: format {info['format']} version {info['version']}, checksums verified",
        f"  records {number(info['records'])}, distinct names {number(info['distinct_names'])}, "
        f"n-grams {number(info['features'])} ({number(info['common_features'])} common), {_size(info['bytes'])}",
        f"  options: --ngram {options['ngram']}{' --strip-legal' if options['strip_legal'] else ''}, "
        f"columns {', '.join(info['columns']) or '-'}, id column {info['id_column'] or 'default'}",
        f"  built {info['built']['at']} from {', '.join(info['built']['inputs']) or '-'} "
        f"({number(info['built']['records'])} records)",
    ]
    for added in info["added"]:
        lines.append(f"  added {added['at']} from {', '.join(added['inputs']) or '-'} "
                     f"({number(added['records'])} records, {number(added['distinct_names'])} new names)")
    lines.append(f"  IDF drift {info['drift']:.2%} (fitted on {number(info['idf_names'])} names); "
                 f"{'rebuild advised: ' + info['rebuild_reason'] if info['rebuild_advised'] else 'no rebuild needed'}")
    for name, size in sorted(info["arrays"].items(), key=lambda item: -item[1]):
        lines.append(f"  {name}.npy {_size(size)}")
    click.echo("\n".join(lines))
