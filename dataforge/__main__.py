"""``python -m dataforge`` and the ``dataforge`` console script: where the process starts.

The stop signals are handled before the command's modules are imported, and
held back while they load (native modules must not be interrupted half-way
through their init), so a Ctrl-C (or SIGTERM) during start-up ends with one
line and 128 + the signal number, never a traceback or a crash.
"""
import sys


def main() -> None:
    from dataforge import signals

    try:
        with signals.held_back():
            signals.install()
            from dataforge.cli import main as run_cli
    except KeyboardInterrupt as e:
        sys.stderr.write("Interrupted.\n")
        sys.exit(signals.exit_code(e))
    try:
        run_cli()
    except KeyboardInterrupt as e:  # a signal after the command finished, while Python exits
        sys.exit(signals.exit_code(e))


if __name__ == "__main__":
    main()
