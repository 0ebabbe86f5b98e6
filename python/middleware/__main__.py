"""The ``middleware`` command line (also ``python -m middleware``)."""

from __future__ import annotations

import signal
import sys

from middleware import _core


def _command(args: list[str]) -> str | None:
    """The subcommand: the first argument that is not an option (the only
    global options, --debug/--help/--version, take no value)."""
    return next((a for a in args if not a.startswith("-")), None)


def main() -> None:
    """Run the CLI with this process's arguments and exit with its code."""
    if _command(sys.argv[1:]) == "connect":
        # psql handles Ctrl-C itself (it cancels its query); this process
        # must not die of the same keypress. While psql runs, the core watches
        # SIGINT, SIGHUP and SIGTERM itself, to remove the password file.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(_core.run_cli(sys.argv))


if __name__ == "__main__":
    main()
