"""One pandas call through one SQLAlchemy engine, in its own process so peak
RSS is its own. Prints: seconds rows peak_rss_mb.

    sqla_worker.py read_sql|to_sql middleware|psycopg ROWS STACK_JSON
"""

from __future__ import annotations

import json
import resource
import sys
import time

import numpy as np
import pandas as pd
import sqlalchemy as sa


def engine(driver: str, info: dict[str, object]) -> sa.Engine:
    if driver == "middleware":
        return sa.create_engine("postgresql+middleware://read_write@/analytics")
    password = info["db_passwords"]["read_write"]  # type: ignore[index]
    return sa.create_engine(
        f"postgresql+psycopg://read_write:{password}@localhost:{info['pg_port']}/analytics?sslmode=require"
    )


def frame(n: int) -> pd.DataFrame:
    """The columns of the `wide` table (bench_sqla.py), made in pandas."""
    g = np.arange(1, n + 1)
    return pd.DataFrame(
        {
            "a": g,
            "b": g * 2,
            "c": g / 3,
            "d": [f"row {i}" for i in g],
            "e": pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(g, unit="s"),
            "f": g % 2 == 0,
        }
    )


def main() -> None:
    job, driver, n, info = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
    eng = engine(driver, info)
    eng.connect().close()  # the pool holds one connection: connect time is not measured
    if job == "read_sql":
        started = time.perf_counter()
        result = pd.read_sql(f"select * from wide limit {n}", eng)
        elapsed = time.perf_counter() - started
        rows = len(result)
    else:
        data = frame(n)
        table = f"to_sql_{driver}"
        started = time.perf_counter()
        data.to_sql(table, eng, index=False, if_exists="replace")
        elapsed = time.perf_counter() - started
        with eng.begin() as conn:  # to_sql's own count is -1 for psycopg's batches
            rows = int(conn.execute(sa.text(f"select count(*) from {table}")).scalar_one())
            conn.execute(sa.text(f"drop table {table}"))
    eng.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{elapsed:.4f} {rows} {peak:.1f}")


if __name__ == "__main__":
    main()
