"""What logging costs: 5,000 small queries (execute + fetchone) on one
connection with Python logging unconfigured, at WARNING for `middleware`
(records below it are never made), and at DEBUG (every query a record)."""

from __future__ import annotations

import io
import logging
import time

import middleware

from stack import Stack

QUERIES = 5_000


def run_queries() -> float:
    conn = middleware.connect()
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("select 1")
    started = time.perf_counter()
    for i in range(QUERIES):
        cur.execute("select %s::int", (i,))
        cur.fetchone()
    return time.perf_counter() - started


def run(info: Stack) -> None:
    logger = logging.getLogger("middleware")
    sink = logging.StreamHandler(io.StringIO())
    results = []
    for label, level in (
        ("logging not configured", logging.NOTSET),
        ("middleware at WARNING", logging.WARNING),
        ("middleware at DEBUG (a record per query)", logging.DEBUG),
    ):
        logger.setLevel(level)
        if level:
            logger.addHandler(sink)
        best = min(run_queries() for _ in range(3))
        logger.removeHandler(sink)
        results.append((label, best))
    logger.setLevel(logging.NOTSET)
    base = results[0][1]
    print(f"\n### Logging cost: {QUERIES:,} x execute('select %s::int') + fetchone() (best of 3)\n")
    print("| logging | time | per query | vs not configured |")
    print("|---|---|---|---|")
    for label, t in results:
        print(f"| {label} | {t:.2f} s | {t / QUERIES * 1e6:.0f} µs | {t / base:.2f}x |")
