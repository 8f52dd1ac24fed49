"""What every dataforge command shares: error handling, output flags, reporting."""
from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
from typing import Callable, Iterator, Optional

import click
import orjson

from dataforge import signals
from dataforge.errors import DataforgeError, UsageError


class DataforgeGroup(click.Group):
    """The root command group: every usage error, click's own included, is one line and exit 2.

    Click prints a usage error as a Usage: block and a hint; dataforge's
    convention, whichever half raises it, is ``Error: <message>`` alone (the
    message names the flag: ``Invalid value for '--threads': ...``).
    """

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = code if isinstance(code, int) else 0
        except click.UsageError as e:
            click.echo(f"Error: {e.format_message()}", err=True)
            code = e.exit_code
        except click.ClickException as e:
            e.show()
            code = e.exit_code
        except click.Abort as e:
            if isinstance(e.__cause__, KeyboardInterrupt):  # a stop signal while click parsed
                click.echo("Interrupted.", err=True)
                code = signals.exit_code(e.__cause__)
            else:
                click.echo("Aborted!", err=True)
                code = 1
        if not standalone_mode:
            return code
        sys.exit(code)


class DataforgeCommand(click.Command):
    """A click command that turns library errors into one line and an exit code.

    DataforgeError subclasses carry their exit code (1 runtime, 2 usage);
    a stop signal exits 128 + its number (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP),
    also when some library swallowed it; a closed stdout (``| head``) exits
    141 quietly; anything unexpected prints one line and exits 1.
    ``--debug`` (or DATAFORGE_DEBUG=1) shows the traceback instead.
    """

    def invoke(self, ctx: click.Context):
        debug = bool(ctx.params.get("debug")) or os.environ.get("DATAFORGE_DEBUG", "") not in ("", "0")
        try:
            result = super().invoke(ctx)
            signals.raise_if_stopped()
            return result
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt as e:
            click.echo("Interrupted.", err=True)
            ctx.exit(signals.exit_code(e))
        except BrokenPipeError:
            # the reader went away: nothing to say; stdout points at /dev/null so that
            # Python's final flush does not complain either
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(128 + 13)
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


class FiniteFloatRange(click.FloatRange):
    """click.FloatRange that also refuses nan and infinities (which compare false to every bound)."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def reporting_options(func: Callable) -> Callable:
    """--json, --quiet, --verbose and --debug, shared by every command."""
    func = click.option("--debug", is_flag=True, help="Show tracebacks for errors.")(func)
    func = click.option("-v", "--verbose", is_flag=True, help="Also show mrjob's log on stderr.")(func)
    func = click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")(func)
    func = click.option("--json", "as_json", is_flag=True,
                        help="Print one JSON summary object on stdout.")(func)
    return func


def check_json_outputs(as_json: bool, *outputs) -> None:
    """--json prints on stdout, so no output of the run may go there (one rule for every command)."""
    from dataforge.io import STDIN

    if as_json and STDIN in outputs:
        raise UsageError("--json prints its summary on stdout, so outputs must go to files: give -o PATH")


class Reporter:
    """Prints to stderr for people and stdout for scripts, never mixed."""

    def __init__(self, quiet: bool, as_json: bool, verbose: bool = False):
        self.quiet = quiet
        self.as_json = as_json
        # mrjob logs a failed task's whole story; without -v the one Error: line says it
        log = logging.getLogger("mrjob")
        log.setLevel(logging.INFO if verbose else logging.CRITICAL + 1)
        for earlier in [h for h in log.handlers if getattr(h, "dataforge", False)]:
            log.removeHandler(earlier)  # one command after another in one process: one handler, today's stderr
        if verbose:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(message)s"))
            handler.dataforge = True
            log.addHandler(handler)

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
    def progress(self) -> Iterator[Callable[..., None]]:
        """The one progress UI: yields the library's callback, ``(what, done=None, total=None)``
        (dataforge.progress).  On a terminal it draws what the run is doing, and a bar with
        its count, elapsed time and ETA while the work is counted; nothing otherwise."""
        if self.quiet or not sys.stderr.isatty():
            yield lambda what, done=None, total=None: None
            return
        # imported only when there is a terminal to draw on
        from rich.console import Console
        from rich.progress import (BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[count]}"),
                   TimeElapsedColumn(), TimeRemainingColumn())
        with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("starting", total=None, count="")

            def update(what: str, done: Optional[int] = None, total: Optional[int] = None) -> None:
                if total is None:  # not counted: a spinner, no bar and no ETA
                    if progress.tasks[0].total is not None:
                        progress.reset(task, total=None, count="")
                    progress.update(task, description=what)
                else:
                    progress.update(task, description=what, completed=done or 0, total=total,
                                    count=f"{number(done or 0)}/{number(total)}")

            yield update


def number(n: int) -> str:
    return f"{n:,}"
