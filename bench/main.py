"""Runs the benchmarks against one local stack and prints results as tables."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "dev"))

import bench_access
import bench_aio
import bench_cli
import bench_load
import bench_logging
import bench_pg
import bench_secrets
import bench_sqla

import stack


def main() -> None:
    wanted = set(sys.argv[1:]) or {"secrets", "access", "pg", "cli", "load", "aio", "sqla", "logging"}
    with stack.running() as info:
        for key in list(os.environ):
            if key.startswith(("AWS_", "MIDDLEWARE_")):
                del os.environ[key]
        os.environ.update(info["env"], AWS_PROFILE="admin", HOME=info["dir"])
        if "secrets" in wanted:
            bench_secrets.run(info)
        if "cli" in wanted:
            bench_cli.run(info)
        if "access" in wanted:
            bench_access.run(info)
        if "load" in wanted:
            bench_load.run(info)
        if "pg" in wanted:
            os.environ["AWS_PROFILE"] = "alice"
            bench_pg.run(info)
        if "aio" in wanted:
            os.environ["AWS_PROFILE"] = "alice"
            bench_aio.run(info)
        if "logging" in wanted:
            os.environ["AWS_PROFILE"] = "alice"
            bench_logging.run(info)
        if "sqla" in wanted:
            os.environ["AWS_PROFILE"] = "alice"
            bench_sqla.run(info)


if __name__ == "__main__":
    main()
