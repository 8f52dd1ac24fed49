"""What every dataforge command shares: error handling, output flags, reporting."""
from __future__ import annotations

import contextlib
import logging
import os
import sys
from typing import Callable, Iterator

import click
import orjson

from dataforge.errors import DataforgeError


class DataforgeCommand(click.Command):
    """A click command that turns library errors into one line and an exit code.

    DataforgeError subclasses carry their exit code (1 runtime, 2 usage);
    Ctrl-C exits 130; anything unexpected prints one line and exits 1.
    ``--debug`` (or DATAFORGE_DEBUG=1) shows the traceback instead.
    """

    def invoke(self, ctx: click.Context):
        debug = bool(ctx.params.get("debug")) or os.environ.get("DATAFORGE_DEBUG", "") not in ("", "0")
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)
        except DataforgeError as e:
            if debug:
                raise
            click.echo(f"Error: {e}", err=True)
            ctx.exit(e.exit_code)
        except Exception as e:  # noqa: BLE001 - the contract is one line, not a traceback
            if debug:
                raise
            message = str(e).strip().splitlines()[0] if str(e).strip() else ""
            click.echo(f"Error: {type(e).__name__}: {message} (run with --debug for the traceback)", err=True)
            ctx.exit(1)


class OneLineUsageGroup(click.Group):
    """A group whose commands' click usage errors (bad option values, unknown
    options) print as one ``Error:`` line and exit 2, like the library's."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.UsageError as e:
            e.ctx = None  # with no context click prints neither the Usage header nor the hint
            raise


def reporting_options(func: Callable) -> Callable:
    """--json, --quiet, --verbose and --debug, shared by every command."""
    func = click.option("--debug", is_flag=True, help="Show tracebacks for errors.")(func)
    func = click.option("-v", "--verbose", is_flag=True, help="Also show mrjob's log on stderr.")(func)
    func = click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")(func)
    func = click.option("--json", "as_json", is_flag=True,
                        help="Print one JSON summary object on stdout.")(func)
    return func


class Reporter:
    """Prints to stderr for people and stdout for scripts, never mixed."""

    def __init__(self, quiet: bool, as_json: bool, verbose: bool = False):
        self.quiet = quiet
        self.as_json = as_json
        # mrjob logs a failed task's whole story; without -v the one Error: line says it
        logging.getLogger("mrjob").setLevel(logging.INFO if verbose else logging.CRITICAL + 1)
        if verbose:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(message)s"))
            logging.getLogger("mrjob").addHandler(handler)

    def say(self, message: str) -> None:
        if not self.quiet:
            click.echo(message, err=True)

    def warn(self, message: str) -> None:
        if not self.quiet:
            click.echo(f"Warning: {message}", err=True)

    def summary(self, data: dict) -> None:
        if self.as_json:
            click.echo(orjson.dumps(data).decode())

    @contextlib.contextmanager
    def progress(self) -> Iterator[Callable[[str], None]]:
        """A rich spinner with elapsed time on a terminal; nothing otherwise."""
        if self.quiet or not sys.stderr.isatty():
            yield lambda message: None
            return
        # imported only when there is a terminal to draw on
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("starting", total=None)
            yield lambda message: progress.update(task, description=message)


def number(n: int) -> str:
    return f"{n:,}"


@contextlib.contextmanager
def progress_bar(reporter: "Reporter", description: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on a terminal, updated with (done, total); nothing otherwise."""
    if reporter.quiet or not sys.stderr.isatty():
        yield lambda done, total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(description, total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)

