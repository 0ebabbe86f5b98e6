"""Connections and queries against peers on the stack's PostgreSQL (TLS).

- connect(): warm secret cache vs psycopg.connect with the password given
- 1M rows x (int8, int8, float8, text, timestamptz, bool) into Python, each
  driver in its own process (time and peak RSS)
- to_arrow() and query_arrow() vs connectorx's arrow
- cursor.stream() over the whole result: time and RSS growth
- query_with_timeout overshoot, and time until the server is idle
"""

from __future__ import annotations

import contextlib
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

import middleware

from stack import Stack

ROWS = 1_000_000
WORKER = Path(__file__).resolve().parent / "fetch_worker.py"


def median_time(fn: Any, runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def fetch(driver: str, info: Stack) -> tuple[float, float]:
    t, rss, _ = fetch3(driver, info)
    return t, rss


def fetch3(driver: str, info: Stack, runs: int = 3) -> tuple[float, float, float]:
    """Median of `runs` processes: seconds, peak RSS MB, RSS growth MB."""
    slim = {"pg_port": info.pg_port, "db_passwords": dict(info.db_passwords)}
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, str(WORKER), driver, str(ROWS), json.dumps(slim)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert int(out[1]) == ROWS, out
        samples.append((float(out[0]), float(out[2]), float(out[3])))
    t, rss, growth = (statistics.median(column) for column in zip(*samples, strict=True))
    return t, rss, growth


def active_sleeps(info: Stack) -> int:
    with psycopg.connect(
        host=str(info.pg_socket_dir), port=info.pg_port, user="postgres", dbname="analytics", autocommit=True
    ) as conn:
        row = conn.execute(
            "select count(*) from pg_stat_activity where state = 'active' and query like '%pg_sleep%'"
            " and pid <> pg_backend_pid()"
        ).fetchone()
        return int(row[0]) if row else 0


def run(info: Stack) -> None:
    password = info.db_passwords["read_only"]
    middleware.connect().close()  # warm: identity, secret, config
    ours_connect = median_time(lambda: middleware.connect().close(), 30)
    theirs_connect = median_time(
        lambda: psycopg.connect(
            host="localhost",
            port=info.pg_port,
            dbname="analytics",
            user="read_only",
            password=password,
            sslmode="verify-full",
            sslrootcert=str(info.ca),
        ).close(),
        30,
    )

    def cold() -> None:
        middleware.clear_cache()
        middleware.connect().close()

    ours_cold = median_time(cold, 10)

    print("\n### connect() (TLS verify-full, scram)\n")
    print("| measurement | time | vs psycopg.connect |")
    print("|---|---|---|")
    print(f"| psycopg.connect, password given | {theirs_connect * 1e3:.2f} ms | 1.00x |")
    for label, t in (
        ("middleware.connect, warm secret cache", ours_connect),
        ("middleware.connect, secret cache cleared (DynamoDB + KMS)", ours_cold),
    ):
        print(f"| {label} | {t * 1e3:.2f} ms | {t / theirs_connect:.2f}x |")

    drivers = ("psycopg", "middleware", "middleware-rows", "asyncpg", "psycopg2")
    results = {d: fetch(d, info) for d in drivers}
    base_t, base_rss = results["psycopg"]
    print(f"\n### {ROWS:,} rows x (int8, int8, float8, text, timestamptz, bool) into Python\n")
    print("| driver | time | vs psycopg 3 binary | peak RSS | vs psycopg |")
    print("|---|---|---|---|---|")
    for name, label in (
        ("psycopg", "psycopg 3, binary cursor"),
        ("middleware", "middleware cursor.fetchall()"),
        ("middleware-rows", "middleware query_with_timeout() rows, tuples on first use"),
        ("asyncpg", "asyncpg fetch"),
        ("psycopg2", "psycopg2 fetchall"),
    ):
        t, rss = results[name]
        print(f"| {label} | {t:.2f} s | {t / base_t:.2f}x | {rss:.0f} MB | {rss / base_rss:.2f}x |")

    cx_t, cx_rss = fetch("connectorx-arrow", info)
    print("\n### to Arrow\n")
    print("| driver | time | vs connectorx | peak RSS | vs connectorx |")
    print("|---|---|---|---|---|")
    print(f"| connectorx read_sql(return_type='arrow') | {cx_t:.2f} s | 1.00x | {cx_rss:.0f} MB | 1.00x |")
    for label, driver in (
        ("middleware RecordBatchReader.from_stream(conn.query_arrow(...)).read_all()", "middleware-reader-arrow"),
        ("middleware pyarrow.table(conn.query_arrow(...)) (imports pandas)", "middleware-query-arrow"),
        ("middleware query_with_timeout(...).to_arrow()", "middleware-arrow"),
    ):
        t, rss = fetch(driver, info)
        print(f"| {label} | {t:.2f} s | {t / cx_t:.2f}x | {rss:.0f} MB | {rss / cx_rss:.2f}x |")

    stream_t, stream_rss, stream_growth = fetch3("middleware-stream", info)
    fetchall_t = results["middleware"][0]
    print(f"\n### cursor.stream() over {ROWS:,} rows\n")
    print("| measurement | value |")
    print("|---|---|")
    print(f"| time | {stream_t:.2f} s ({stream_t / fetchall_t:.2f}x fetchall()) |")
    print(f"| RSS growth (peak minus before) | {stream_growth:.0f} MB (peak {stream_rss:.0f} MB) |")

    conn = middleware.connect()
    conn.autocommit = True
    overshoot, idle = [], []
    for _ in range(20):
        t0 = time.perf_counter()
        with contextlib.suppress(middleware.QueryTimeout):
            conn.query_with_timeout("select pg_sleep(10)", timeout=0.5)
        returned = time.perf_counter()
        overshoot.append(returned - t0 - 0.5)
        while active_sleeps(info):
            time.sleep(0.001)
        idle.append(time.perf_counter() - t0 - 0.5)
    print("\n### query_with_timeout(pg_sleep(10), timeout=0.5), 20 runs\n")
    print("| measurement | median | max |")
    print("|---|---|---|")
    for label, samples in (("returned after the limit", overshoot), ("server idle after the limit", idle)):
        print(f"| {label} | {statistics.median(samples) * 1e3:.1f} ms | {max(samples) * 1e3:.1f} ms |")
