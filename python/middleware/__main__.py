"""The ``middleware`` command line (also ``python -m middleware``)."""

from __future__ import annotations

import signal
import sys

from middleware import _core


def main() -> None:
    """Run the CLI with this process's arguments and exit with its code."""
    if sys.argv[1:2] == ["connect"]:
        # psql handles Ctrl-C itself (it cancels its query); this process
        # only waits for it, and must not die of the same keypress.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(_core.run_cli(sys.argv))


if __name__ == "__main__":
    main()
