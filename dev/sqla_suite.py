"""SQLAlchemy's dialect compliance suite (tests/sqla) against the local stack.

    .venv/bin/python dev/sqla_suite.py [pytest arguments]

Starts the stack (or uses a running one: --stack-dir DIR, as printed by
`python dev/stack up`), then runs pytest in tests/sqla as the stack's IAM
user alice, who may use the database user read_write, through
postgresql+middleware://read_write@/analytics. The suite runs in its own pytest
process because SQLAlchemy's plugin configures pytest for itself. Exits with
pytest's status; prints the pass/skip/fail counts last.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import stack

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "tests" / "sqla"
DBURI = f"postgresql+middleware://read_write@/analytics?dbname={stack.SQLA_DATABASE}"


@contextlib.contextmanager
def stack_info(directory: Path | None) -> Iterator[stack.Stack]:
    if directory is not None:
        yield stack.Stack.load(directory)
        return
    with stack.running() as info:
        yield info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack-dir", type=Path, help="a running stack's directory (default: start one)")
    args, pytest_args = parser.parse_known_args()
    with stack_info(args.stack_dir) as info:
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(SUITE / "setup.cfg"),
            "--rootdir",
            str(SUITE),
            "--dburi",
            DBURI,
            *(pytest_args or [str(SUITE)]),
        ]
        return subprocess.run(command, env=info.env_for("alice"), cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
