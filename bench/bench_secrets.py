"""middleware's credstash reads against credstash 1.17.1 itself, same moto.

- whole process: `middleware secrets get` vs `credstash get` (wall time)
- in process, warm, cache off: get_secret vs credstash.getSecret (CPU time
  of this process, all threads, per call)
- in process, cache on: get_secret per call
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import credstash

import middleware

from stack import Stack

NAME = "bench.password"
CONTEXT = {"database": "bench"}
BIN = Path(sys.executable).parent


def wall_runs(cmd: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def cpu_per_call(fn: Any, calls: int) -> float:
    fn()  # warm: sessions, connections, config
    c0 = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - c0) / calls


def wall_per_call(fn: Any, calls: int) -> float:
    fn()
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t0) / calls


def row(what: str, ours: float, theirs: float | None, unit: str = "ms") -> str:
    scale = 1e3 if unit == "ms" else 1e6
    if theirs is None:
        return f"| {what} | {ours * scale:.1f} {unit} | - | - |"
    return f"| {what} | {ours * scale:.1f} {unit} | {theirs * scale:.1f} {unit} | {ours / theirs:.2f}x |"


def run(info: Stack) -> None:
    middleware.put_secret(NAME, "a database password of some length", context=CONTEXT)
    ctx_args = [f"{k}={v}" for k, v in CONTEXT.items()]

    ours_proc = wall_runs([str(BIN / "middleware"), "secrets", "get", NAME, *ctx_args], 15)
    theirs_proc = wall_runs([str(BIN / "credstash"), "get", NAME, *ctx_args], 15)

    os.environ["MIDDLEWARE_CREDSTASH_CACHE_TTL"] = "0"
    ours_cpu = cpu_per_call(lambda: middleware.get_secret(NAME, context=CONTEXT), 300)
    ours_wall = wall_per_call(lambda: middleware.get_secret(NAME, context=CONTEXT), 300)
    credstash.reset_sessions()
    fetch = lambda: credstash.getSecret(NAME, region="us-east-1", context=CONTEXT)  # noqa: E731
    theirs_cpu = cpu_per_call(fetch, 300)
    theirs_wall = wall_per_call(fetch, 300)
    del os.environ["MIDDLEWARE_CREDSTASH_CACHE_TTL"]
    middleware.clear_cache()
    cached = wall_per_call(lambda: middleware.get_secret(NAME, context=CONTEXT), 20000)

    print("\n### credstash reads (middleware vs credstash 1.17.1, same moto)\n")
    print("| measurement | middleware | credstash | ratio |")
    print("|---|---|---|---|")
    print(row("`secrets get` whole process, wall (median of 15)", ours_proc, theirs_proc))
    print(row("`get_secret` warm, cache off, client CPU per call", ours_cpu, theirs_cpu))
    print(row("`get_secret` warm, cache off, wall per call", ours_wall, theirs_wall))
    print(row("`get_secret` cache on, per call", cached, None, unit="µs"))
