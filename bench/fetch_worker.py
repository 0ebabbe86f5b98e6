"""One fetch of the benchmark query by one driver, in its own process so peak
RSS is its own. Prints: seconds rows peak_rss_mb rss_growth_mb (peak RSS
minus RSS just before the query: what the result itself cost)."""

from __future__ import annotations

import asyncio
import json
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
    before = rss_mb("VmRSS:")
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
    elif driver == "middleware-rows":
        import middleware

        conn = middleware.connect()
        started = time.perf_counter()
        # Rows kept as the server sent them, tuples made when first used: what
        # building tuples on fetch (rather than on arrival) costs.
        rows = middleware.query_with_timeout(sql, timeout=300)  # type: ignore[assignment]
        rows[0]
    elif driver == "middleware-stream":
        import middleware

        conn = middleware.connect()
        before = rss_mb("VmRSS:")
        started = time.perf_counter()
        count = 0
        for _ in conn.cursor().stream(sql):
            count += 1
        rows = range(count)  # type: ignore[assignment]
    elif driver == "middleware-query-arrow":
        import pyarrow as pa

        import middleware

        conn = middleware.connect()
        before = rss_mb("VmRSS:")
        started = time.perf_counter()
        rows = pa.table(conn.query_arrow(sql, timeout=300))  # type: ignore[assignment]
    elif driver == "middleware-reader-arrow":
        import pyarrow as pa

        import middleware

        conn = middleware.connect()
        before = rss_mb("VmRSS:")
        started = time.perf_counter()
        # The same Table without pa.table(), which imports pandas (~50 MB) to
        # ask whether its argument is a DataFrame.
        reader = pa.RecordBatchReader.from_stream(conn.query_arrow(sql, timeout=300))
        rows = reader.read_all()  # type: ignore[assignment]
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
    peak = rss_mb("VmHWM:")
    print(f"{elapsed:.4f} {count} {peak:.1f} {peak - before:.1f}")


def rss_mb(field: str) -> float:
    """VmHWM (peak) or VmRSS (now): ru_maxrss would carry the parent's peak across exec."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return 0.0


if __name__ == "__main__":
    main()
