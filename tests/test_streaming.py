"""Cursor.stream(): rows as they arrive with bounded memory; leaving early
cancels the statement on the server and keeps the connection usable."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import pytest

import middleware

from conftest import admin_sql, wait_until
from fix_stack import AsUser
from stack import Stack


@pytest.fixture
def conn(as_user: AsUser) -> Iterator[middleware.Connection]:
    as_user("alice")
    c = middleware.connect()
    yield c
    if not c.closed:
        c.close()


def active_series(info: Stack) -> int:
    rows = admin_sql(
        info,
        "select count(*) from pg_stat_activity where state = 'active' and query like '%generate_series%'"
        " and pid <> pg_backend_pid()",
    )
    return int(rows[0][0])


def test_stream_yields_what_fetchall_returns(conn: middleware.Connection) -> None:
    sql = "select i, i::text as t, null::int as n from generate_series(1, 10000) as i where i %% %s = 0"
    cur = conn.cursor()
    expected = cur.execute(sql, (3,)).fetchall()
    stream = conn.cursor().stream(sql, (3,))
    got = list(stream)
    assert got == expected
    assert len(got) == 3333
    assert [d[0] for d in stream.description or []] == ["i", "t", "n"]
    assert stream.rowcount == 3333


def test_an_empty_result_and_a_statement_without_rows(conn: middleware.Connection) -> None:
    stream = conn.cursor().stream("select 1 as one where false")
    assert list(stream) == []
    assert [d[0] for d in stream.description or []] == ["one"]
    assert list(conn.cursor().stream("set search_path = public")) == []


def test_early_break_on_a_huge_series_cancels_it_and_the_connection_stays_usable(
    local_stack: Stack, conn: middleware.Connection
) -> None:
    cur = conn.cursor()
    started = time.monotonic()
    for row in cur.stream("select generate_series(1, 50000000) as i"):
        assert row == (1,)
        break
    assert time.monotonic() - started < 1.0
    assert wait_until(lambda: active_series(local_stack) == 0, within=5), "the server is still running it"
    assert cur.execute("select 42").fetchone() == (42,)
    conn.rollback()
    assert conn.cursor().execute("select 1").fetchone() == (1,)


def test_closing_the_cursor_closes_its_stream(local_stack: Stack, conn: middleware.Connection) -> None:
    cur = conn.cursor()
    stream = cur.stream("select generate_series(1, 50000000) as i")
    assert next(stream) == (1,)
    cur.close()
    assert list(stream) == []
    assert wait_until(lambda: active_series(local_stack) == 0, within=5)
    assert conn.cursor().execute("select 2").fetchone() == (2,)


def test_another_statement_while_streaming_is_refused_not_a_deadlock(conn: middleware.Connection) -> None:
    stream = conn.cursor().stream("select generate_series(1, 100000) as i")
    assert next(stream) == (1,)
    with pytest.raises(middleware.ProgrammingError, match="streaming"):
        conn.cursor().execute("select 1")
    with pytest.raises(middleware.ProgrammingError, match="streaming"):
        conn.cursor().stream("select 1")
    stream.close()
    assert conn.cursor().execute("select 1").fetchone() == (1,)


def test_an_error_mid_stream_is_raised_and_the_connection_recovers(conn: middleware.Connection) -> None:
    stream = conn.cursor().stream("select 10 / (5000 - i) from generate_series(1, 10000) as i")
    with pytest.raises(middleware.DataError, match="division by zero"):
        for _ in stream:
            pass
    conn.rollback()
    assert conn.cursor().execute("select 1").fetchone() == (1,)


def test_a_stream_is_bounded_by_connects_timeout(as_user: AsUser) -> None:
    as_user("alice")
    conn = middleware.connect(timeout=1)
    try:
        started = time.monotonic()
        with pytest.raises(middleware.QueryTimeout):
            list(conn.cursor().stream("select pg_sleep(5)"))
        assert time.monotonic() - started < 4
        conn.rollback()
        assert list(conn.cursor().stream("select 1")) == [(1,)]
    finally:
        conn.close()


RSS_SCRIPT = textwrap.dedent(
    """
    import middleware

    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec (the parent's peak).
    def rss_mb(field="VmRSS:"):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1]) / 1024
    conn = middleware.connect()
    cur = conn.cursor()
    list(cur.stream("select 1"))
    before = rss_mb()
    n = 0
    for row in cur.stream(
        "select i, i * 2, i::float8 / 3, md5(i::text), now(), i % 2 = 0 from generate_series(1, 1000000) as i"
    ):
        n += 1
    peak = rss_mb("VmHWM:")
    print(n, round(peak - before, 1))
    """
)


@pytest.mark.slow
def test_streaming_a_million_rows_keeps_memory_bounded(local_stack: Stack) -> None:
    env = local_stack.env_for("alice")
    out = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT], env=env, capture_output=True, text=True, timeout=600, check=True
    )
    n, growth = out.stdout.split()
    assert int(n) == 1_000_000
    assert float(growth) < 100, f"peak RSS grew {growth} MB"


# ------------------------------------------------------------ server-side cursors


def test_a_named_cursor_fetches_pages_with_fetchmany_then_iteration(
    local_stack: Stack, conn: middleware.Connection
) -> None:
    cur = conn.cursor(name="big")
    assert cur.name == "big" and cur.itersize == 2000
    cur.itersize = 100
    cur.execute("select i, i::text from generate_series(1, %s) as i", (1050,))
    assert [d[0] for d in cur.description or []] == ["i", "i"]
    declared = admin_sql(local_stack, "select count(*) from pg_stat_activity where query like 'FETCH FORWARD%'")
    assert declared is not None
    assert cur.fetchmany(3) == [(1, "1"), (2, "2"), (3, "3")]
    assert cur.fetchone() == (4, "4")
    assert len(cur.fetchmany(250)) == 250
    rest = list(cur)
    assert [r[0] for r in rest] == list(range(255, 1051))
    assert cur.fetchone() is None
    cur.close()
    conn.commit()


def test_a_named_cursor_fetchall_and_close_and_the_transaction(conn: middleware.Connection) -> None:
    cur = conn.cursor(name="c2")
    cur.execute("select generate_series(1, 5000)")
    assert cur.fetchone() == (1,)
    assert len(cur.fetchall()) == 4999
    cur.close()
    # psycopg's semantics: outside a transaction (autocommit) DECLARE fails.
    conn.rollback()
    conn.autocommit = True
    with pytest.raises(middleware.Error, match="transaction"):
        conn.cursor(name="c3").execute("select 1")


def test_fetch_arrow_table_on_a_named_cursor(conn: middleware.Connection) -> None:
    pa = pytest.importorskip("pyarrow")
    cur = conn.cursor(name="arrowed")
    cur.itersize = 10
    cur.execute("select i, i * 2 as d from generate_series(1, 100) as i")
    assert cur.fetchone() == (1, 2)
    table = cur.fetch_arrow_table()
    assert isinstance(table, pa.Table)
    assert table.column("i").to_pylist() == list(range(2, 101))
    cur.close()
    conn.rollback()
