"""The ``dataforge`` command: its ``jobs`` and ``dedup`` groups, and the console-script entry point."""
from __future__ import annotations

import click

from dataforge import __version__
from dataforge.cli.common import DataforgeGroup
from dataforge.cli.dedup import dedup
from dataforge.cli import dedup_bench  # noqa: F401,E402  registers `dedup bench` on the dedup group
from dataforge.cli import dedup_index  # noqa: F401,E402  registers `dedup index build|add|info`
from dataforge.cli import dedup_review  # noqa: F401,E402  registers `dedup review` and `dedup label`
from dataforge.cli.jobs import jobs
from dataforge.jobs.tasks import use_stdlib_distutils


@click.group(cls=DataforgeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dataforge")
def cli() -> None:
    """dataforge: MapReduce filtering jobs over JSON lines, and fuzzy de-duplication.

    \b
    Exit codes: 0 done, 1 runtime failure (one line on stderr; --debug shows the
    traceback), 2 usage error (bad option, missing input, output exists),
    130/143/129 stopped by Ctrl-C/SIGTERM/SIGHUP, 141 stdout closed (docs/safety.md).

    \b
    Example:
        dataforge jobs filter data/ --title "data scientist" -o ds.jsonl
        zcat day.jsonl.gz | dataforge jobs split --test-size 0.3 -o out/
        dataforge dedup match companies.csv --groups groups.csv -o pairs.csv
    """


cli.add_command(jobs)
cli.add_command(dedup)


def main() -> None:
    """Run the command line (dataforge.__main__ installs the signal handling first).

    SIGPIPE stays ignored, as Python sets it, so a closed pipe (``-o - | head``)
    is a BrokenPipeError that unwinds like any failure, removing temporary
    files, and then ends quietly (DataforgeCommand)."""
    use_stdlib_distutils()  # before anything imports mrjob, and for the tasks this process starts
    cli(prog_name="dataforge")
