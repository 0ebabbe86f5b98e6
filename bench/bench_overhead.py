"""Per-call costs on one connection, middleware vs psycopg 3 in the same run:
5,000 x execute("select %s::int") + fetchone(), and executemany of 10,000
two-column rows (in a transaction, and in autocommit, where both drivers
make the batch all or nothing). Best of 5 each, interleaved."""

from __future__ import annotations

import time
from typing import Any

import psycopg

import middleware

from stack import Stack

SMALL = 5000
MANY = 10_000
RUNS = 5


def small(conn: Any) -> float:
    cur = conn.cursor()
    t0 = time.perf_counter()
    for i in range(SMALL):
        cur.execute("select %s::int", (i,))
        cur.fetchone()
    took = time.perf_counter() - t0
    conn.rollback()
    return took


def many(conn: Any, table: str) -> float:
    cur = conn.cursor()
    rows = [(i, f"row {i}") for i in range(MANY)]
    t0 = time.perf_counter()
    cur.executemany(f"insert into {table} (a, b) values (%s, %s)", rows)
    took = time.perf_counter() - t0
    assert cur.rowcount == MANY, cur.rowcount
    conn.rollback()
    return took


def many_autocommit(conn: Any, table: str) -> float:
    conn.autocommit = True
    try:
        took = many(conn, table)
        conn.cursor().execute(f"truncate {table}")
    finally:
        conn.autocommit = False
    return took


def run(info: Stack) -> None:
    ours = middleware.connect(user="read_write")
    theirs = psycopg.connect(
        host="localhost",
        port=info.pg_port,
        dbname="analytics",
        user="read_write",
        password=info.db_passwords["read_write"],
        sslmode="require",
    )
    for conn, table in ((ours, "bench_many_ours"), (theirs, "bench_many_theirs")):
        conn.autocommit = True
        conn.cursor().execute(f"create temp table {table} (a int, b text)")
        conn.autocommit = False
    cases = (
        ("5,000 x execute('select %s::int') + fetchone()", lambda c, t: small(c)),
        ("executemany, 10,000 rows x 2 columns, in a transaction", many),
        ("executemany, 10,000 rows x 2 columns, autocommit", many_autocommit),
    )
    results = {}
    for label, fn in cases:
        fn(ours, "bench_many_ours")  # warm: prepared statements, caches
        fn(theirs, "bench_many_theirs")
        o, t = [], []
        for _ in range(RUNS):
            o.append(fn(ours, "bench_many_ours"))
            t.append(fn(theirs, "bench_many_theirs"))
        results[label] = (min(o), min(t))
    print("\n### Per-call overhead, one connection (best of 5, interleaved)\n")
    print("| measurement | psycopg 3 | middleware | ratio |")
    print("|---|---|---|---|")
    for label, (o, t) in results.items():
        print(f"| {label} | {t * 1e3:.0f} ms | {o * 1e3:.0f} ms | {o / t:.2f}x |")
    ours.close()
    theirs.close()
