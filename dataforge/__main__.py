"""``python -m dataforge`` and the ``dataforge`` console script: where the process starts.

The stop signals are handled before the command's modules are imported, so a
Ctrl-C (or SIGTERM) during start-up ends with one line and 128 + the signal
number, never a traceback.
"""
import sys


def main() -> None:
    from dataforge import signals

    signals.install()
    try:
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
