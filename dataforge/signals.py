"""Signals a run is stopped with, handled one way: Ctrl-C, SIGTERM and SIGHUP all unwind.

:func:`install` (called where a process starts: the console script) makes
SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted`, a KeyboardInterrupt,
so every ``with`` block and ``except KeyboardInterrupt`` on the way out runs:
temporary files are removed, task processes stopped, and nothing lands.  The
signal is also remembered, so a run whose interrupt was swallowed on the way
(a library that catches KeyboardInterrupt) still never lands an output
(:func:`raise_if_stopped`, called before an output is renamed into place) and
exits 128 + the signal's number.

Python cannot raise everywhere: a signal handled inside a fork hook (logging
releases its lock in one), a ``__del__`` or a weakref callback is reported as
"Exception ignored in ..." and dropped.  So the stop signals are blocked while
the process forks (the hooks run whole; logging's lock is released), and an
interrupt that still lands where it cannot be raised is not printed but raised
again a moment later (an alarm), when the main thread is back in ordinary code.
"""
from __future__ import annotations

import logging  # first: its fork hooks (a lock taken before, released after) then run inside ours
import os
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Iterator, Optional

_stopped: Optional[int] = None
_raised = False  # the stop signal was raised as Interrupted and not dropped by Python on the way
_fork_hook = False
_mask_before_fork = None
RESEND_AFTER = 0.02  # seconds: an interrupt Python dropped is sent again this long after
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
    global _stopped, _raised
    _stopped = signum
    if not _raised:  # a second signal while unwinding must not interrupt the clean-up itself
        _raised = True
        raise Interrupted(signum)


def _unraisable(hook_args) -> None:
    """An Interrupted Python could not raise (a fork hook, __del__): say nothing, raise it again soon.

    Again by an alarm, not a thread: a thread started in a fork hook would make
    Python 3.12+ warn that the process forked while multi-threaded.
    """
    global _raised, _resend
    if (isinstance(hook_args.exc_value, Interrupted) and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()):
        _raised = False
        if _resend is None:  # (one alarm for interrupts dropped one after another)
            _resend = (hook_args.exc_value.signum, signal.signal(signal.SIGALRM, _raise_again))
        signal.setitimer(signal.ITIMER_REAL, RESEND_AFTER)  # the main thread is back from its hook by then
        return
    _default_unraisable(hook_args)


_default_unraisable = sys.unraisablehook
_resend = None  # (the stop signal to raise again, the SIGALRM handler to put back)


def _raise_again(alarm, frame) -> None:
    global _resend
    if _resend is None:
        return
    (signum, previous), _resend = _resend, None
    signal.signal(signal.SIGALRM, previous)
    _handler(signum, frame)


def _block_for_fork() -> None:
    global _mask_before_fork
    _mask_before_fork = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)


def _unblock_in_parent() -> None:
    global _mask_before_fork
    mask, _mask_before_fork = _mask_before_fork, None
    if mask is not None:  # a signal held back meanwhile is handled here, in ordinary code once resent
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


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
    sys.unraisablehook = _unraisable
    global _fork_hook
    if not _fork_hook and hasattr(os, "register_at_fork"):
        # registered last: blocks before every other hook runs, unblocks after all of them
        if hasattr(signal, "pthread_sigmask"):
            os.register_at_fork(before=_block_for_fork, after_in_parent=_unblock_in_parent)
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
    global _stopped, _raised, _mask_before_fork
    _stopped, _raised = None, False
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) is _handler:
            signal.signal(signum, signal.SIG_IGN if signum == signal.SIGINT else signal.SIG_DFL)
    if sys.unraisablehook is _unraisable:
        sys.unraisablehook = _default_unraisable
    mask, _mask_before_fork = _mask_before_fork, None
    if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


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
