"""middleware.aio against asyncpg and psycopg's AsyncConnection, in one run:
10,000 small queries over 10 connections with gather, and a 1M-row fetch
(each driver in its own process, see fetch_worker.py)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import psycopg
from bench_pg import fetch

import middleware.aio as aio

from stack import Stack

QUERIES = 10_000
CONNECTIONS = 10


async def spread(run_one: Any, conns: list[Any]) -> float:
    started = time.perf_counter()
    await asyncio.gather(*(run_one(conns[i % CONNECTIONS], i) for i in range(QUERIES)))
    return time.perf_counter() - started


async def ours() -> float:
    conns = [await aio.connect() for _ in range(CONNECTIONS)]
    for c in conns:
        c.autocommit = True

    async def one(conn: Any, i: int) -> None:
        cur = conn.cursor()
        await cur.execute("select %s::int", (i,))
        assert (await cur.fetchone()) == (i,)

    return await spread(one, conns)


async def theirs_asyncpg(info: Stack) -> float:
    conns = [
        await asyncpg.connect(
            host="localhost",
            port=info.pg_port,
            database="analytics",
            user="read_only",
            password=info.db_passwords["read_only"],
            ssl="require",
        )
        for _ in range(CONNECTIONS)
    ]
    locks = {id(c): asyncio.Lock() for c in conns}  # asyncpg refuses concurrent use of one connection

    async def one(conn: Any, i: int) -> None:
        async with locks[id(conn)]:
            assert await conn.fetchval("select $1::int", i) == i

    return await spread(one, conns)


async def theirs_psycopg(info: Stack) -> float:
    conns = [
        await psycopg.AsyncConnection.connect(
            host="localhost",
            port=info.pg_port,
            dbname="analytics",
            user="read_only",
            password=info.db_passwords["read_only"],
            sslmode="require",
            autocommit=True,
        )
        for _ in range(CONNECTIONS)
    ]

    async def one(conn: Any, i: int) -> None:
        cur = await conn.execute("select %s::int", (i,))
        assert (await cur.fetchone()) == (i,)

    return await spread(one, conns)


def run(info: Stack) -> None:
    base = asyncio.run(theirs_asyncpg(info))
    results = [
        ("asyncpg (a lock per connection)", base),
        ("psycopg AsyncConnection", asyncio.run(theirs_psycopg(info))),
        ("middleware.aio", asyncio.run(ours())),
    ]
    print(f"\n### asyncio: {QUERIES:,} x `select %s::int` over {CONNECTIONS} connections with gather\n")
    print("| driver | time | vs asyncpg |")
    print("|---|---|---|")
    for label, t in results:
        print(f"| {label} | {t:.2f} s | {t / base:.2f}x |")
    fetched = {d: fetch(d, info) for d in ("asyncpg", "middleware-aio")}
    base_t = fetched["asyncpg"][0]
    print("\n### asyncio: 1,000,000 rows x 6 columns into Python\n")
    print("| driver | time | vs asyncpg | peak RSS |")
    print("|---|---|---|---|")
    for name, label in (("asyncpg", "asyncpg fetch"), ("middleware-aio", "middleware.aio fetchall")):
        t, rss = fetched[name]
        print(f"| {label} | {t:.2f} s | {t / base_t:.2f}x | {rss:.0f} MB |")
