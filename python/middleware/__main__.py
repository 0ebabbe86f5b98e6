"""The ``middleware`` command line (also ``python -m middleware``)."""

from __future__ import annotations

import sys

from middleware import _core


def main() -> None:
    """Run the CLI with this process's arguments and exit with its code."""
    sys.exit(_core.run_cli(sys.argv))


if __name__ == "__main__":
    main()
