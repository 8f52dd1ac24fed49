"""Signals a run is stopped with, handled one way: Ctrl-C, SIGTERM and SIGHUP all unwind.

:func:`install` (called where a process starts: the console script) makes
SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted`, a KeyboardInterrupt,
so every ``with`` block and ``except KeyboardInterrupt`` on the way out runs:
temporary files are removed, task processes stopped, and nothing lands.  The
signal is also remembered, so a run whose interrupt was swallowed on the way
(a library that catches KeyboardInterrupt) still never lands an output
(:func:`raise_if_stopped`, called before an output is renamed into place) and
exits 128 + the signal's number.
"""
from __future__ import annotations

import os
import signal
from contextlib import contextmanager
from typing import Iterator, Optional

_stopped: Optional[int] = None
_fork_hook = False
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal: exit 128 + its number (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP)."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _handler(signum, frame) -> None:
    global _stopped
    first = _stopped is None
    _stopped = signum
    if first:  # a second signal while unwinding must not interrupt the clean-up itself
        raise Interrupted(signum)


def install() -> None:
    """Make the stop signals unwind the run (main thread only, as Python's signals are).

    A forked child (mrjob's pool workers) ignores SIGINT and dies on SIGTERM/SIGHUP:
    a Ctrl-C reaches the whole process group, and a worker that raised
    KeyboardInterrupt would print multiprocessing's "Process ForkPoolWorker-1:"
    and its traceback; the parent unwinds instead and its pool is terminated
    (SIGTERM) on the way out.
    """
    for signum in STOP_SIGNALS:
        signal.signal(signum, _handler)
    global _fork_hook
    if not _fork_hook and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_python_defaults)
        _fork_hook = True


@contextmanager
def held_back() -> Iterator[None]:
    """Hold the stop signals back (blocked, not lost) while native modules initialise.

    A KeyboardInterrupt raised inside an extension module's init can crash
    the interpreter: orjson's init dereferences the failed import of a module
    it needs (SIGSEGV, measured 10 in 200 Ctrl-Cs 40 ms into start-up).  A
    signal that arrives meanwhile is delivered when the block ends, and then
    unwinds as usual.  Where threads' signal masks do not exist (Windows), a
    no-op.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _python_defaults() -> None:
    global _stopped
    _stopped = None
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) is _handler:
            signal.signal(signum, signal.SIG_IGN if signum == signal.SIGINT else signal.SIG_DFL)


def stopped() -> Optional[int]:
    """The signal that stopped this run, if one did."""
    return _stopped


def raise_if_stopped() -> None:
    """Raise Interrupted if a stop signal arrived, even one some library swallowed."""
    if _stopped is not None:
        raise Interrupted(_stopped)


def exit_code(error: BaseException) -> int:
    """128 + the signal for an Interrupted, 130 for a plain KeyboardInterrupt."""
    return error.exit_code if isinstance(error, Interrupted) else 128 + signal.SIGINT
