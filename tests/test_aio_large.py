"""middleware.aio's large results: AsyncCursor.stream() (async iteration,
leaving early or cancelling the task cancels on the server) and
AsyncConnection.query_arrow()."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pyarrow as pa
import pytest

import middleware
import middleware.aio as aio

from conftest import admin_sql, wait_until
from stack import Stack

HUGE = "select generate_series(1, 50000000) as i"


@pytest.fixture
def alice(as_user: Callable[[str], None]) -> None:
    as_user("alice")
    middleware.clear_cache()


def active_series(info: Stack) -> int:
    rows = admin_sql(
        info,
        "select count(*) from pg_stat_activity where state = 'active' and query like '%generate_series%'"
        " and pid <> pg_backend_pid()",
    )
    return int(rows[0][0])


@pytest.mark.usefixtures("alice")
def test_stream_yields_what_fetchall_returns_and_leaving_early_cancels(local_stack: Stack) -> None:
    async def main() -> None:
        conn = await aio.connect()
        conn.autocommit = True
        cur = conn.cursor()
        sql = "select i, i::text as t from generate_series(1, 10000) as i where i %% %s = 0"
        await cur.execute(sql, (3,))
        expected = await cur.fetchall()
        stream = cur.stream(sql, (3,))
        got = [row async for row in stream]
        assert got == expected and len(got) == 3333
        assert [d[0] for d in stream.description or []] == ["i", "t"]
        assert stream.rowcount == 3333
        async with cur.stream(HUGE) as huge:
            async for row in huge:
                assert row == (1,)
                break
        assert wait_until(lambda: active_series(local_stack) == 0, within=5)
        await cur.execute("select 42")
        assert await cur.fetchone() == (42,)
        await conn.close()

    asyncio.run(main())


@pytest.mark.usefixtures("alice")
def test_cancelling_the_task_reading_a_stream_cancels_the_statement(local_stack: Stack) -> None:
    async def main() -> None:
        conn = await aio.connect()
        conn.autocommit = True
        stream = conn.cursor().stream("select pg_sleep(30), 1")

        async def read() -> list[tuple[object, ...]]:
            return [row async for row in stream]

        task = asyncio.create_task(read())
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert wait_until(lambda: int(admin_sql(local_stack, _sleeping)[0][0]) == 0, within=5)
        cur = conn.cursor()
        await cur.execute("select 7")
        assert await cur.fetchone() == (7,)
        await conn.close()

    asyncio.run(main())


_sleeping = (
    "select count(*) from pg_stat_activity where state = 'active' and query like '%pg_sleep(30)%'"
    " and pid <> pg_backend_pid()"
)


@pytest.mark.usefixtures("alice")
def test_query_arrow() -> None:
    async def main() -> None:
        conn = await aio.connect()
        table = pa.table(await conn.query_arrow("select i, i * 2 as j from generate_series(1, 100000) as i"))
        assert table.num_rows == 100000 and table.column_names == ["i", "j"]
        assert table.column("j")[99999].as_py() == 200000
        with pytest.raises(middleware.ProgrammingError):
            await conn.query_arrow("selec 1")
        await conn.rollback()
        await conn.close()

    asyncio.run(main())
