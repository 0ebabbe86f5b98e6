"""query_with_timeout: bounded queries, cancelled on the server, that never
hang, and results notebooks can use."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import textwrap
import time
from typing import Any

import psycopg
import pytest

import middleware

from conftest import active_sleeps, admin_sql, wait_until
from fix_proxy import TcpProxy
from fix_stack import AsUser
from stack import Stack


def test_a_timeout_cancels_on_the_server_and_the_connection_lives_on(as_user: AsUser, local_stack: Stack) -> None:
    as_user("alice")
    conn = middleware.connect()
    started = time.monotonic()
    with pytest.raises(middleware.QueryTimeout) as caught:
        conn.query_with_timeout("select pg_sleep(30)", timeout=1)
    took = time.monotonic() - started
    assert took < 1.5
    err = caught.value
    assert isinstance(err, TimeoutError) and isinstance(err, middleware.OperationalError)
    assert err.timeout == 1.0 and 1.0 <= err.elapsed < 1.5  # type: ignore[operator]
    assert "1s" in str(err) and "cancelled on the server" in str(err)
    assert wait_until(lambda: active_sleeps(local_stack) == 0, 0.5)
    conn.rollback()
    assert list(conn.query_with_timeout("select 1 as one")) == [(1,)]


def test_a_timeout_while_streaming_a_large_result(as_user: AsUser) -> None:
    as_user("alice")
    conn = middleware.connect()
    conn.autocommit = True
    with pytest.raises(middleware.QueryTimeout):
        conn.query_with_timeout("select g, repeat('x', 100) from generate_series(1, 50000000) g", timeout=0.5)
    assert conn.query_with_timeout("select 2")[0] == (2,)


def test_a_timeout_inside_a_transaction_needs_a_rollback(as_user: AsUser) -> None:
    as_user("alice")
    conn = middleware.connect()
    cur = conn.cursor()
    cur.execute("select 1")  # opens the transaction
    with pytest.raises(middleware.QueryTimeout):
        conn.query_with_timeout("select pg_sleep(5)", timeout=0.3)
    with pytest.raises(middleware.DatabaseError) as aborted:
        cur.execute("select 1")
    assert aborted.value.sqlstate == "25P02"
    conn.rollback()
    cur.execute("select 3")
    assert cur.fetchone() == (3,)


def test_limits_defaults_and_bad_values(as_user: AsUser) -> None:
    as_user("alice")
    with pytest.raises(middleware.ProgrammingError, match=r"10m.*5m.*analytics"):
        middleware.query_with_timeout("select 1", timeout=600)
    with pytest.raises(middleware.ProgrammingError, match=r"10m.*5m"):
        middleware.connect(timeout=dt.timedelta(minutes=10))
    for bad in (0, -1, "10", True, float("nan"), float("inf"), [1]):
        with pytest.raises(middleware.ProgrammingError, match="timeout"):
            middleware.query_with_timeout("select 1", timeout=bad)  # type: ignore[arg-type]
    conn = middleware.connect(timeout=0.3)  # this connection's default
    with pytest.raises(middleware.QueryTimeout) as caught:
        conn.query_with_timeout("select pg_sleep(3)")
    assert caught.value.timeout == pytest.approx(0.3)
    # The transaction that call opened was rolled back: no rollback() needed.
    assert conn.query_with_timeout("select 4", timeout=dt.timedelta(seconds=2))[0] == (4,)


def test_module_level_reuses_and_replaces_its_connection(as_user: AsUser, local_stack: Stack) -> None:
    as_user("alice")
    pid1 = middleware.query_with_timeout("select pg_backend_pid()")[0][0]
    pid2 = middleware.query_with_timeout("select pg_backend_pid()")[0][0]
    assert pid1 == pid2
    admin_sql(local_stack, f"select pg_terminate_backend({pid1})")
    time.sleep(0.2)  # the driver notices the closed socket
    pid3 = middleware.query_with_timeout("select pg_backend_pid()")[0][0]
    assert pid3 != pid1
    with pytest.raises(middleware.AccessDenied):
        middleware.query_with_timeout("select 1", user="nobody")


# --------------------------------------------------------------- bounded cancel


@pytest.mark.timeout(60)
def test_a_stalled_network_cannot_make_the_cancel_hang(as_user: AsUser, local_stack: Stack) -> None:
    as_user("alice")
    proxy = TcpProxy(local_stack.pg_port)
    try:
        conn = middleware.connect(host="127.0.0.1", port=proxy.port)
        assert conn.query_with_timeout("select 1")[0] == (1,)
        proxy.stalled.set()
        started = time.monotonic()
        with pytest.raises((middleware.QueryTimeout, middleware.OperationalError)):
            conn.query_with_timeout("select pg_sleep(20)", timeout=0.5)
        assert time.monotonic() - started < 0.5 + 2 + 3 + 1, "timeout + cancel bound + drain bound"
        assert conn.closed
    finally:
        proxy.close()


# ----------------------------------------------------------------------- Ctrl-C

CHILD = """
import time, middleware
conn = middleware.connect()
conn.autocommit = True
print("ready", flush=True)
started = time.monotonic()
try:
    conn.query_with_timeout("select pg_sleep(30)", timeout=60)
except KeyboardInterrupt:
    print(f"caught {time.monotonic() - started:.2f}", flush=True)
print("next", conn.query_with_timeout("select 5")[0][0], flush=True)
"""


@pytest.mark.timeout(60)
def test_ctrl_c_cancels_the_server_query_and_keeps_the_connection(local_stack: Stack) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CHILD)],
        env=local_stack.env_for("alice"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None and child.stderr is not None
        assert child.stdout.readline().strip() == "ready"
        assert wait_until(lambda: active_sleeps(local_stack) == 1, 5)
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        caught = child.stdout.readline()
        assert caught.startswith("caught"), child.stderr.read()
        assert time.monotonic() - sent < 0.5 + 0.3, "KeyboardInterrupt within half a second"
        assert child.stdout.readline().strip() == "next 5"
        assert child.wait(10) == 0
    assert wait_until(lambda: active_sleeps(local_stack) == 0, 0.5)


# ------------------------------------------------------------------------ Rows


def test_rows_equal_psycopg_and_convert(as_user: AsUser, local_stack: Stack) -> None:
    as_user("alice")
    sql = "select id, region, amount, sold_at from sales order by id limit 50"
    rows = middleware.query_with_timeout(sql)
    with psycopg.connect(
        host="localhost",
        port=local_stack.pg_port,
        dbname="analytics",
        user="read_only",
        password=local_stack.db_passwords["read_only"],
        sslmode="require",
    ) as pconn:
        expected = pconn.execute(sql).fetchall()
    assert list(rows) == expected
    assert rows.columns == ["id", "region", "amount", "sold_at"]
    assert len(rows) == 50 and rows[0] == expected[0] and rows[-2:] == expected[-2:]
    assert rows.to_dicts()[0] == dict(zip(rows.columns, expected[0], strict=True))
    text = repr(rows)
    assert "50 rows x 4 columns" in text and "region" in text and "..." in text
    html = rows._repr_html_()
    assert html.startswith("<table") and "<th>amount</th>" in html and "40 more rows" in html

    frame = rows.to_pandas()
    assert list(frame.columns) == rows.columns
    assert str(frame["id"].dtype) == "Int64"
    assert str(frame["sold_at"].dtype).startswith("datetime64") and "UTC" in str(frame["sold_at"].dtype)
    assert frame["amount"].dtype == object  # Decimal kept exact
    table = rows.to_arrow()
    assert table.num_rows == 50 and table.column_names == rows.columns


def test_missing_extras_say_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = middleware.Rows(["a"], [(1,)])
    monkeypatch.setitem(sys.modules, "pandas", None)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ImportError, match=r"middleware\[pandas\]"):
        rows.to_pandas()
    with pytest.raises(ImportError, match=r"middleware\[arrow\]"):
        rows.to_arrow()


def test_empty_rows() -> None:
    rows: Any = middleware.Rows(["a", "b"], [])
    assert len(rows) == 0 and rows.to_dicts() == [] and "0 rows x 2 columns" in repr(rows)


ARROW_SQL = """
select g::int2 as i2, g::int4 as i4, g::int8 * 1000000000 as i8, g::float4 / 3 as f4, g::float8 / 7 as f8,
       g % 2 = 0 as b, 'row ' || g as t, ('v' || g)::varchar(10) as v,
       timestamptz '2026-01-01 00:00:00+00' + g * interval '1 hour' as tz,
       timestamp '1999-12-31 23:00:00' + g * interval '1 minute' as ts, date '1999-12-30' + g as d,
       (g * 1.25)::numeric(10, 2) as n, md5(g::text)::uuid as u
from generate_series(1, 300) g
"""


def test_to_arrow_builds_columns_directly_and_equals_the_tuples(as_user: AsUser) -> None:
    as_user("alice")
    import pyarrow as pa

    nulls = "select " + ", ".join(
        f"case when i % 3 = 0 then null else {c} end as {c}"
        for c in ("i2", "i4", "i8", "f4", "f8", "b", "t", "v", "tz", "ts", "d", "n", "u")
    )
    sql = f"{nulls}, i from (select *, row_number() over () as i from ({ARROW_SQL}) s) x"
    rows = middleware.query_with_timeout(sql)
    table = rows.to_arrow()
    assert table.num_rows == len(rows) == 300 and table.column_names == rows.columns
    assert table.schema.field("i8").type == pa.int64()
    assert table.schema.field("tz").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("d").type == pa.date32()
    assert table.column("i4").null_count == 100
    for name, column in zip(rows.columns, zip(*rows, strict=True), strict=True):
        assert table.column(name).to_pylist() == list(column), name
    empty = middleware.query_with_timeout("select 1 as a where false")
    assert empty.to_arrow().num_rows == 0 and len(empty) == 0
