"""The whole `middleware query` process against the flow it replaces: two
`credstash get` calls (host and password) and then `psql -c`."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import middleware

from stack import Stack

BIN = Path(sys.executable).parent


def wall(cmd: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def original_flow(info: Stack) -> None:
    ctx = ["database=analytics", "db_user=read_only"]
    host = subprocess.run(
        [str(BIN / "credstash"), "get", "bench.analytics.host"], capture_output=True, text=True, check=True
    ).stdout.strip()
    password = subprocess.run(
        [str(BIN / "credstash"), "get", "analytics.read_only.password", *ctx],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    env = {**os.environ, "PGPASSWORD": password, "PGSSLMODE": "require"}
    subprocess.run(
        [
            "psql",
            "-h",
            host,
            "-p",
            str(info.pg_port),
            "-U",
            "read_only",
            "-d",
            "analytics",
            "-c",
            "select 1",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        env=env,
    )


def run(info: Stack) -> None:
    os.environ["AWS_PROFILE"] = "admin"
    middleware.clear_cache()
    if not any(s.name == "bench.analytics.host" for s in middleware.list_secrets()):
        middleware.put_secret("bench.analytics.host", "localhost")
    os.environ["AWS_PROFILE"] = "alice"
    ours = wall([str(BIN / "middleware"), "query", "analytics", "select 1", "--format", "json"], 10)
    samples = []
    for _ in range(10):
        t0 = time.perf_counter()
        original_flow(info)
        samples.append(time.perf_counter() - t0)
    theirs = statistics.median(samples)
    print("\n### A query from the shell, whole process (median of 10)\n")
    print("| flow | wall | ratio |")
    print("|---|---|---|")
    print(f"| original: 2x `credstash get` + `psql -c 'select 1'` | {theirs * 1e3:.0f} ms | 1.00x |")
    print(f"| `middleware query analytics 'select 1' --format json` | {ours * 1e3:.0f} ms | {ours / theirs:.2f}x |")
