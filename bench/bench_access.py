"""What the access pre-check costs: one STS call per process and credentials,
then a lookup in memory."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import middleware

from stack import Stack

FIRST = """
import time, middleware
t0 = time.perf_counter(); middleware.check_access(); t1 = time.perf_counter()
middleware.connect().close(); t2 = time.perf_counter()
middleware.connect().close(); t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""


def run(info: Stack) -> None:
    os.environ["AWS_PROFILE"] = "alice"
    middleware.check_access()
    samples = []
    for _ in range(2000):
        t0 = time.perf_counter()
        middleware.check_access()
        samples.append(time.perf_counter() - t0)
    warm = statistics.median(samples)
    firsts = []
    for _ in range(5):
        out = subprocess.run([sys.executable, "-c", FIRST], capture_output=True, text=True, check=True)
        firsts.append([float(x) for x in out.stdout.split()])
    check, first_connect, second_connect = (statistics.median(col) for col in zip(*firsts, strict=True))
    print("\n### The access pre-check (median)\n")
    print("| measurement | time |")
    print("|---|---|")
    print(f"| `check_access()`, identity cached (every later call) | {warm * 1e6:.0f} µs |")
    print(f"| `check_access()`, first in a process (one STS call) | {check * 1e3:.2f} ms |")
    print(f"| `connect()` right after it (DynamoDB + KMS + login) | {first_connect * 1e3:.2f} ms |")
    print(f"| `connect()` again (everything cached but the login) | {second_connect * 1e3:.2f} ms |")
