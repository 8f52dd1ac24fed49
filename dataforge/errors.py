"""Typed errors the library raises; the CLI turns them into exit codes and one line."""
from __future__ import annotations


class DataforgeError(Exception):
    """A runtime failure: the CLI prints one line and exits 1."""

    exit_code = 1


class UsageError(DataforgeError):
    """Bad options or paths found before any work starts: exit 2."""

    exit_code = 2


class InputPathError(UsageError):
    """An input path is missing, unreadable, or a glob matches nothing."""


class OutputExistsError(UsageError):
    """The output path exists and overwriting was not asked for."""


class OutputRaceError(DataforgeError):
    """Another run wrote the same output while this one worked: this run's result is not landed."""


class OutputWriteError(DataforgeError):
    """An output could not be written: its disk is full or a quota is reached (nothing landed)."""


class StrictModeError(DataforgeError):
    """--strict was given and some input lines had to be skipped."""


class InputDataError(DataforgeError):
    """An input file cannot be read through: a corrupt or truncated .gz/.bz2."""


class IndexDamagedError(DataforgeError):
    """A saved match index is truncated, corrupt, or of another format version: nothing is matched."""


class JobFailedError(DataforgeError):
    """The mrjob runner failed (a task died, a cluster refused the job, ...)."""
