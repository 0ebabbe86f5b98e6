"""One fetch of the benchmark query by one driver, in its own process so peak
RSS is its own. Prints: seconds rows peak_rss_mb."""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time

QUERY = (
    "select g::int8 as a, (g * 2)::int8 as b, g::float8 / 3 as c, 'row ' || g as d,"
    " timestamptz '2026-01-01' + g * interval '1 second' as e, g % 2 = 0 as f"
    " from generate_series(1, {n}) g"
)


def main() -> None:
    driver, n, info = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
    sql = QUERY.format(n=n)
    dsn = dict(
        host="localhost",
        port=info["pg_port"],
        dbname="analytics",
        user="read_only",
        password=info["db_passwords"]["read_only"],
    )
    url = f"postgresql://read_only:{dsn['password']}@localhost:{info['pg_port']}/analytics"
    started = time.perf_counter()
    if driver == "middleware":
        import middleware

        conn = middleware.connect()
        started = time.perf_counter()
        cur = conn.cursor()
        cur.execute(sql)
        rows = cur.fetchall()
    elif driver == "middleware-arrow":
        import middleware

        conn = middleware.connect()
        started = time.perf_counter()
        rows = middleware.query_with_timeout(sql, timeout=300).to_arrow()  # type: ignore[assignment]
    elif driver == "psycopg":
        import psycopg

        conn = psycopg.connect(**dsn, sslmode="require")
        started = time.perf_counter()
        cur = conn.cursor(binary=True)
        cur.execute(sql)
        rows = cur.fetchall()
    elif driver == "psycopg2":
        import psycopg2

        conn = psycopg2.connect(**dsn, sslmode="require")
        started = time.perf_counter()
        cur = conn.cursor()
        cur.execute(sql)
        rows = cur.fetchall()
    elif driver == "asyncpg":
        import asyncpg

        async def go() -> list:  # type: ignore[type-arg]
            args = {**dsn, "database": dsn["dbname"]}
            del args["dbname"]
            conn = await asyncpg.connect(**args, ssl="require")
            nonlocal started
            started = time.perf_counter()
            return await conn.fetch(sql)

        rows = asyncio.run(go())
    elif driver == "middleware-aio":
        import middleware.aio as aio

        async def ours() -> list:  # type: ignore[type-arg]
            conn = await aio.connect()
            nonlocal started
            started = time.perf_counter()
            cur = conn.cursor()
            await cur.execute(sql)
            return await cur.fetchall()

        rows = asyncio.run(ours())
    elif driver == "connectorx-arrow":
        import connectorx

        started = time.perf_counter()
        rows = connectorx.read_sql(url + "?sslmode=require", sql, return_type="arrow")
    else:
        raise SystemExit(f"unknown driver {driver}")
    elapsed = time.perf_counter() - started
    count = len(rows) if not hasattr(rows, "num_rows") else rows.num_rows
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{elapsed:.4f} {count} {peak:.1f}")


if __name__ == "__main__":
    main()
