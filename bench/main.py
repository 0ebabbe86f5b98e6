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
import bench_overhead
import bench_pg
import bench_secrets
import bench_sqla

import stack

# (name, module, the stack's AWS profile it runs as), in the order they run.
BENCHMARKS = (
    ("secrets", bench_secrets, "admin"),
    ("cli", bench_cli, "admin"),
    ("access", bench_access, "admin"),
    ("load", bench_load, "admin"),
    ("pg", bench_pg, "alice"),
    ("overhead", bench_overhead, "alice"),
    ("aio", bench_aio, "alice"),
    ("logging", bench_logging, "alice"),
    ("sqla", bench_sqla, "alice"),
)


def main() -> None:
    wanted = set(sys.argv[1:]) or {name for name, _, _ in BENCHMARKS}
    with stack.running() as info:
        for name, bench, profile in BENCHMARKS:
            if name in wanted:
                # This process acts as the stack user (the benchmarks' own subprocesses inherit it).
                env = info.env_for(profile)
                os.environ.clear()
                os.environ.update(env)
                bench.run(info)


if __name__ == "__main__":
    main()
