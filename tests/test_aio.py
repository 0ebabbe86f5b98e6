"""middleware.aio against the stack: the sync contract, awaitable; a cancelled
task cancels its query on the server; calls really run concurrently."""

from __future__ import annotations

import asyncio
import os
import resource
import time

import pytest

import middleware
import middleware.aio as aio

from conftest import active_sleeps, admin_sql, wait_until
from fix_stack import AsUser
from stack import Stack


def test_connect_query_cursor_and_context_managers(as_user: AsUser) -> None:
    as_user("alice")

    async def main() -> None:
        conn = await aio.connect()
        assert (conn.database, conn.user, conn.autocommit, conn.closed) == ("analytics", "read_only", False, False)
        rows = await conn.query_with_timeout("select current_user, %s::int as n", (41,), timeout=5)
        assert list(rows) == [("read_only", 41)] and rows.columns == ["current_user", "n"]
        cur = conn.cursor()
        await cur.execute("select g from generate_series(1, 5) g")
        assert cur.description is not None and cur.description[0][0] == "g" and cur.rowcount == 5
        assert await cur.fetchone() == (1,)
        assert await cur.fetchmany(2) == [(2,), (3,)]
        assert [row async for row in cur] == [(4,), (5,)]
        await conn.rollback()
        await conn.close()
        assert conn.closed
        async with aio.connect(user="read_write") as rw:
            await rw.cursor().execute("create temp table t (x int)")
            await rw.cursor().execute("insert into t values (1), (2)")
            assert list(await rw.query_with_timeout("select sum(x) from t")) == [(3,)]
        assert rw.closed
        assert list(await aio.query_with_timeout("select 1 as one")) == [(1,)]
        who = await aio.whoami()
        assert who.arn.endswith(":user/alice") and "read_write" in who.allowed["analytics"]
        await aio.check_access("analytics", "read_write")  # raises when denied

    asyncio.run(main())


def test_errors_are_the_sync_apis(as_user: AsUser, local_stack: Stack) -> None:
    as_user("alice")

    async def timeout() -> None:
        conn = await aio.connect()
        conn.autocommit = True
        with pytest.raises(middleware.QueryTimeout) as caught:
            await conn.query_with_timeout("select pg_sleep(5)", timeout=0.3)
        assert caught.value.cancelled is True
        with pytest.raises(middleware.ProgrammingError, match="above the maximum"):
            await conn.query_with_timeout("select 1", timeout=3600)
        from middleware import errors

        with pytest.raises(errors.UndefinedTable):
            await conn.cursor().execute("select * from nope")
        assert list(await conn.query_with_timeout("select 2")) == [(2,)]

    asyncio.run(timeout())
    as_user("bob")

    async def denied() -> None:
        with pytest.raises(middleware.AccessDenied, match="read_write") as caught:
            await aio.connect(user="read_write")
        assert caught.value.arn is not None and caught.value.arn.endswith(":user/bob")

    asyncio.run(denied())


def test_cancelling_the_task_cancels_the_server_query(as_user: AsUser, local_stack: Stack) -> None:
    as_user("alice")

    async def main() -> None:
        conn = await aio.connect()
        task = asyncio.create_task(conn.cursor().execute("select pg_sleep(30)"))
        assert await asyncio.to_thread(wait_until, lambda: active_sleeps(local_stack) == 1, 5)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.monotonic() - started < 0.1, "the caller gets CancelledError at once"
        assert await asyncio.to_thread(wait_until, lambda: active_sleeps(local_stack) == 0, 0.5)
        await conn.rollback()
        assert list(await conn.query_with_timeout("select 3")) == [(3,)], "usable afterwards"
        assert not conn.closed

    asyncio.run(main())


def test_calls_on_many_connections_run_concurrently(as_user: AsUser) -> None:
    as_user("alice")

    async def main() -> float:
        conns = [await aio.connect() for _ in range(5)]
        started = time.monotonic()
        await asyncio.gather(*(conns[i % 5].query_with_timeout("select pg_sleep(0.2)", timeout=10) for i in range(25)))
        return time.monotonic() - started

    took = asyncio.run(main())
    # 25 x 0.2 s: 5 at a time on 5 connections (each waits its turn) is ~1 s, serially 5 s.
    assert took < 1.6, f"{took:.2f}s"


@pytest.mark.timeout(180)
@pytest.mark.slow
@pytest.mark.load
def test_a_minute_of_100_tasks_on_10_connections_leaks_nothing(as_user: AsUser, local_stack: Stack) -> None:
    as_user("alice")
    seconds = float(os.environ.get("AIO_LOAD_SECONDS", "60"))

    def backends() -> int:
        return int(admin_sql(local_stack, "select count(*) from pg_stat_activity where usename = 'read_only'")[0][0])

    async def main() -> tuple[int, list[int]]:
        conns = [await aio.connect() for _ in range(10)]
        for c in conns:
            c.autocommit = True
        deadline = time.monotonic() + seconds
        done = 0
        rss: list[int] = []

        async def worker(n: int) -> None:
            nonlocal done
            conn = conns[n % 10]
            while time.monotonic() < deadline:
                if n % 7 == 0:
                    with pytest.raises(middleware.QueryTimeout):
                        await conn.query_with_timeout("select pg_sleep(1)", timeout=0.05)
                else:
                    rows = await conn.query_with_timeout("select %s::int", (n,), timeout=5)
                    assert list(rows) == [(n,)]
                done += 1

        async def sample() -> None:
            while time.monotonic() < deadline:
                rss.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
                await asyncio.sleep(seconds / 10)

        await asyncio.gather(sample(), *(worker(n) for n in range(100)))
        for c in conns:
            await c.close()
        return done, rss

    before = backends()
    done, rss = asyncio.run(main())
    assert done > 1000
    assert wait_until(lambda: backends() <= before, 5), "no backend left behind"
    growth_kb = rss[-1] - rss[len(rss) // 2]
    assert growth_kb < 30_000, f"RSS grew {growth_kb} kB in the second half"
    print(f"aio load: {done} queries in {seconds:.0f}s, peak RSS {rss[-1] // 1024} MB")


def test_fork_after_use(as_user: AsUser) -> None:
    as_user("alice")

    async def use() -> None:
        assert list(await aio.query_with_timeout("select 1")) == [(1,)]

    asyncio.run(use())
    pid = os.fork()
    if pid == 0:  # the child: a fresh loop and connection work
        code = 1
        try:

            async def child() -> None:
                conn = await aio.connect()
                assert list(await conn.query_with_timeout("select 5")) == [(5,)]

            asyncio.run(child())
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    asyncio.run(use())
