"""SQLAlchemy's dialect compliance suite (tests/sqla) against the local stack.

    .venv/bin/python dev/sqla_suite.py [pytest arguments]

Starts the stack (or uses a running one: --stack-dir DIR, as printed by
`python dev/stack.py up`), then runs pytest in tests/sqla as the stack's IAM
user alice, who may use the database user read_write, through
postgresql+middleware://read_write@/analytics. The suite runs in its own pytest
process because SQLAlchemy's plugin configures pytest for itself. Exits with
pytest's status; prints the pass/skip/fail counts last.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import stack

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "tests" / "sqla"
DBURI = f"postgresql+middleware://read_write@/analytics?dbname={stack.SQLA_DATABASE}"


@contextlib.contextmanager
def stack_info(directory: Path | None) -> Iterator[dict[str, Any]]:
    if directory is not None:
        yield json.loads((directory / "stack.json").read_text())
        return
    with stack.running() as info:
        yield info


def user_env(info: dict[str, Any], profile: str) -> dict[str, str]:
    """This environment acting as one of the stack's IAM users (as tests/conftest.py's user_env)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MIDDLEWARE_"))}
    env.update(info["env"], AWS_PROFILE=profile, HOME=info["dir"])
    env.pop("XDG_CONFIG_HOME", None)
    return env


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
        return subprocess.run(command, env=user_env(info, "alice"), cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
