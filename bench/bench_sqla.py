"""pandas through SQLAlchemy: our postgresql+middleware engine against a
postgresql+psycopg engine (psycopg 3, the password given, TLS), each call in a
process of its own (sqla_worker.py), best of RUNS.

- pd.read_sql of `wide`: 1,000,000 rows x (int8, int8, float8, text,
  timestamptz, bool), a table made from fetch_worker.QUERY
- DataFrame.to_sql of 100,000 such rows (default method: executemany, which
  SQLAlchemy turns into multi-row INSERTs for both dialects)

Meaningful on a release build only (bash bench/run.sh sqla).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
from fetch_worker import QUERY

from stack import Stack

WORKER = Path(__file__).resolve().parent / "sqla_worker.py"
READ_ROWS = 1_000_000
WRITE_ROWS = 100_000
RUNS = int(os.environ.get("BENCH_RUNS", "3"))  # BENCH_RUNS=1: a quick check that it works


def make_wide(info: Stack) -> None:
    with psycopg.connect(
        host=str(info.pg_socket_dir), port=info.pg_port, user="postgres", dbname="analytics", autocommit=True
    ) as conn:
        conn.execute("drop table if exists wide")
        conn.execute("create table wide as " + QUERY.format(n=READ_ROWS))
        conn.execute("grant select on wide to read_only, read_write")
        conn.execute("vacuum analyze wide")


def best(job: str, driver: str, rows: int, info: Stack) -> tuple[float, float]:
    slim = json.dumps({"pg_port": info.pg_port, "db_passwords": dict(info.db_passwords)})
    samples = []
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, str(WORKER), job, driver, str(rows), slim], capture_output=True, text=True, check=True
        ).stdout.split()
        assert int(out[1]) == rows, out
        samples.append((float(out[0]), float(out[2])))
    return min(samples)


def run(info: Stack) -> None:
    make_wide(info)
    print(f"\n### pandas through SQLAlchemy (best of {RUNS}, each in its own process)\n")
    print("| call | postgresql+psycopg | postgresql+middleware | ratio | peak RSS psycopg / middleware |")
    print("|---|---|---|---|---|")
    for job, rows, label in (
        ("read_sql", READ_ROWS, f"pd.read_sql of wide ({READ_ROWS:,} x 6)"),
        ("to_sql", WRITE_ROWS, f"DataFrame.to_sql of {WRITE_ROWS:,} x 6"),
    ):
        theirs_t, theirs_rss = best(job, "psycopg", rows, info)
        ours_t, ours_rss = best(job, "middleware", rows, info)
        print(
            f"| {label} | {theirs_t:.2f} s | {ours_t:.2f} s | {ours_t / theirs_t:.2f}x "
            f"| {theirs_rss:.0f} MB / {ours_rss:.0f} MB |"
        )
