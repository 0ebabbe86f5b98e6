"""Cursor.executemany(): pipelined, and all or nothing as psycopg 3's (whose
executemany runs in pipeline mode): a failing row leaves none of the batch
behind in autocommit, and aborts the transaction otherwise. Compared with
psycopg itself on the same server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

import middleware
import middleware.aio
from middleware import errors

from conftest import active_sleeps, admin_sql, wait_until
from stack import Stack


@pytest.fixture
def table(local_stack: Stack) -> Iterator[str]:
    """A fresh table read_write may insert into; id 5 is refused (a failing row)."""
    name = f"many_{uuid.uuid4().hex[:8]}"
    admin_sql(local_stack, f"create table {name} (id int check (id <> 5), note text)")
    admin_sql(local_stack, f"grant all on {name} to read_write")
    yield name
    admin_sql(local_stack, f"drop table {name}")


@pytest.fixture
def conn(as_user: Callable[[str], None]) -> Iterator[middleware.Connection]:
    as_user("alice")
    middleware.clear_cache()
    c = middleware.connect(user="read_write")
    yield c
    if not c.closed:
        c.close()


def psycopg_conn(local_stack: Stack, autocommit: bool) -> psycopg.Connection[Any]:
    return psycopg.connect(
        host="localhost",
        port=local_stack.pg_port,
        dbname="analytics",
        user="read_write",
        password=local_stack.db_passwords["read_write"],
        sslmode="require",
        autocommit=autocommit,
    )


def ids(local_stack: Stack, table: str) -> list[int]:
    return [r[0] for r in admin_sql(local_stack, f"select id from {table} order by id")]


def rows_with_a_bad_one(n: int = 3000, bad_at: int = 1500) -> list[tuple[int, str]]:
    return [(5 if i == bad_at else i, f"row {i}") for i in range(10, 10 + n)]


@pytest.mark.parametrize("autocommit", [True, False])
def test_rowcount_and_rows(local_stack: Stack, table: str, conn: middleware.Connection, autocommit: bool) -> None:
    conn.autocommit = autocommit
    cur = conn.cursor()
    cur.executemany(f"insert into {table} values (%s, %s)", [(i, f"row {i}") for i in range(10, 10_010)])
    assert cur.rowcount == 10_000
    assert cur.description is None
    conn.commit()
    assert ids(local_stack, table) == list(range(10, 10_010))
    cur.executemany(
        f"update {table} set note = %(note)s where id = %(id)s", [{"id": 10, "note": "x"}, {"id": 11, "note": None}]
    )
    assert cur.rowcount == 2
    cur.executemany(f"delete from {table} where id = %s", [])
    assert cur.rowcount == 0
    conn.commit()
    assert admin_sql(local_stack, f"select note from {table} where id in (10, 11) order by id") == [("x",), (None,)]


def test_a_failing_row_in_autocommit_leaves_nothing_as_psycopg(
    local_stack: Stack, table: str, conn: middleware.Connection
) -> None:
    sql = f"insert into {table} values (%s, %s)"
    with psycopg_conn(local_stack, autocommit=True) as theirs, pytest.raises(psycopg.errors.CheckViolation):
        theirs.cursor().executemany(sql, rows_with_a_bad_one())
    psycopg_left = ids(local_stack, table)
    conn.autocommit = True
    with pytest.raises(errors.CheckViolation) as caught:
        conn.cursor().executemany(sql, rows_with_a_bad_one())
    assert caught.value.sqlstate == "23514"
    assert ids(local_stack, table) == psycopg_left == []
    assert conn.cursor().execute("select 1").fetchone() == (1,), "the connection is ready"
    assert admin_sql(local_stack, "select 1 where false") == []


def test_a_failing_row_in_a_transaction_aborts_it_as_psycopg(
    local_stack: Stack, table: str, conn: middleware.Connection
) -> None:
    sql = f"insert into {table} values (%s, %s)"
    with psycopg_conn(local_stack, autocommit=False) as theirs:
        theirs.execute(f"insert into {table} values (1, 'before')")
        with pytest.raises(psycopg.errors.CheckViolation):
            theirs.cursor().executemany(sql, rows_with_a_bad_one())
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            theirs.execute("select 1")
        theirs.rollback()
    assert ids(local_stack, table) == []
    cur = conn.cursor()
    cur.execute(f"insert into {table} values (1, 'before')")
    with pytest.raises(errors.CheckViolation):
        cur.executemany(sql, rows_with_a_bad_one())
    with pytest.raises(errors.InFailedSqlTransaction):
        cur.execute("select 1")
    conn.rollback()
    assert ids(local_stack, table) == []
    # The batch as the transaction's first statement: that transaction is rolled back for us.
    with pytest.raises(errors.CheckViolation):
        cur.executemany(sql, rows_with_a_bad_one())
    assert cur.execute("select 2").fetchone() == (2,)
    conn.commit()
    assert ids(local_stack, table) == []


def test_a_bad_row_found_before_sending_sends_nothing(
    local_stack: Stack, table: str, conn: middleware.Connection
) -> None:
    conn.autocommit = True
    with pytest.raises(middleware.ProgrammingError, match="placeholder"):
        conn.cursor().executemany(f"insert into {table} values (%s, %s)", [(1, "a"), (2,)])
    assert ids(local_stack, table) == []


@pytest.mark.parametrize("autocommit", [True, False])
def test_a_timeout_cancels_the_batch_and_nothing_is_left(
    local_stack: Stack, table: str, conn: middleware.Connection, autocommit: bool
) -> None:
    conn.autocommit = autocommit
    cur = conn.cursor()
    default = cur.execute("show statement_timeout").fetchone()
    with pytest.raises(middleware.QueryTimeout) as caught:
        cur.executemany(
            f"insert into {table} select %s, 'slow' from pg_sleep(0.2)", [(i,) for i in range(10, 40)], timeout=0.5
        )
    assert caught.value.cancelled is True and "did not take effect" in str(caught.value)
    assert wait_until(lambda: active_sleeps(local_stack) == 0, within=5)
    assert ids(local_stack, table) == []
    conn.rollback()  # a no-op in autocommit; else the cancel aborted the transaction (show began it)
    assert cur.execute("show statement_timeout").fetchone() == default, "the backstop did not outlive the batch"
    cur.executemany(f"insert into {table} values (%s, %s)", [(1, "a"), (2, "b")], timeout=5)
    conn.commit()
    assert ids(local_stack, table) == [1, 2]


def test_rows_with_different_parameter_types_and_a_mapping(
    local_stack: Stack, table: str, conn: middleware.Connection
) -> None:
    conn.autocommit = True
    cur = conn.cursor()
    cur.executemany(
        f"insert into {table} values (%(id)s, %(note)s)",
        [{"id": 1, "note": "a"}, {"id": 2, "note": None}, {"id": None, "note": "c"}, {"id": 4, "note": "d"}],
    )
    assert cur.rowcount == 4
    assert admin_sql(local_stack, f"select id, note from {table} order by note nulls first") == [
        (2, None),
        (1, "a"),
        (None, "c"),
        (4, "d"),
    ]


def test_asyncio_executemany_is_pipelined_and_all_or_nothing(
    local_stack: Stack, table: str, as_user: Callable[[str], None]
) -> None:
    as_user("alice")
    middleware.clear_cache()

    async def run() -> int:
        conn = await middleware.aio.connect(user="read_write")
        conn.autocommit = True
        try:
            cur = conn.cursor()
            with pytest.raises(errors.CheckViolation):
                await cur.executemany(f"insert into {table} values (%s, %s)", rows_with_a_bad_one())
            assert ids(local_stack, table) == []
            await cur.executemany(
                f"insert into {table} values (%s, %s)", [(i, "x") for i in range(10, 1010)], timeout=30
            )
            return int(cur.rowcount)
        finally:
            await conn.close()

    assert asyncio.run(run()) == 1000
    assert len(ids(local_stack, table)) == 1000
