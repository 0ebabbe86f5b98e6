"""SQLAlchemy, pandas and polars through postgresql+middleware, against the stack.

Warnings are errors (pyproject's filterwarnings), so pandas and SQLAlchemy
accept the engine without complaint.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import credstash
import numpy as np
import pandas as pd
import polars as pl
import pytest
import sqlalchemy as sa

import middleware

from conftest import admin_sql
from fix_stack import AsUser
from stack import Stack

URL = "postgresql+middleware://read_write@/analytics"


@pytest.fixture
def engine(as_user: AsUser) -> Iterator[sa.Engine]:
    as_user("alice")
    engine = sa.create_engine(URL)
    yield engine
    engine.dispose()


def backend_pid(conn: sa.Connection) -> int:
    return int(conn.execute(sa.text("select pg_backend_pid()")).scalar_one())


# ------------------------------------------------------------------- the URL


def test_the_url_has_no_password_and_connects_as_the_user_asked_for(engine: sa.Engine, local_stack: Stack) -> None:
    assert engine.url.password is None and engine.url.host is None
    assert engine.dialect.driver == "middleware"
    with engine.connect() as conn:
        assert conn.execute(sa.text("select current_user")).scalar_one() == "read_write"
    rendered = engine.url.render_as_string(hide_password=False)
    assert all(password not in rendered for password in local_stack.db_passwords.values())
    # Both parts are optional: connect()'s defaults (the database's default_user).
    default = sa.create_engine("postgresql+middleware://")
    with default.connect() as conn:
        assert conn.execute(sa.text("select current_user, current_database()")).one() == ("read_only", "analytics")
    default.dispose()


def test_the_helper_builds_the_same_engine(as_user: AsUser) -> None:
    as_user("alice")
    engine = middleware.create_engine("analytics", "read_write", pool_pre_ping=True, profile="alice")
    assert engine.url.render_as_string() == URL
    with engine.connect() as conn:
        assert conn.execute(sa.text("select current_user")).scalar_one() == "read_write"
    engine.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+middleware://read_write:secret@/analytics",
        "postgresql+middleware://read_write@db.example.com/analytics",
        "postgresql+middleware://read_write@:5432/analytics",
    ],
)
def test_a_password_host_or_port_in_the_url_is_refused(url: str) -> None:
    with pytest.raises(sa.exc.ArgumentError, match="names no password, host or port"):
        sa.create_engine(url).connect()


def test_bob_asking_for_read_write_gets_our_access_denied(as_user: AsUser, local_stack: Stack) -> None:
    as_user("alice")
    engine = sa.create_engine(URL + "?profile=bob")
    with pytest.raises(sa.exc.DBAPIError) as caught:
        engine.connect()
    denied = caught.value.orig
    assert isinstance(denied, middleware.AccessDenied)
    assert denied.arn == local_stack.users["bob"].arn
    assert denied.allowed == ["read_only"]
    assert "access denied" in str(caught.value) and local_stack.users["bob"].arn in str(caught.value)


def test_aws_refusing_the_secret_keeps_its_text(as_user: AsUser, local_stack: Stack) -> None:
    as_user("alice")
    # The policy lets carol use read_only; IAM lets her read nothing from credstash.
    engine = sa.create_engine("postgresql+middleware://read_only@/analytics?profile=carol")
    with pytest.raises(sa.exc.DBAPIError) as caught:
        engine.connect()
    refused = caught.value.orig
    assert isinstance(refused, middleware.AccessDenied)
    assert refused.aws_code == "AccessDenied" and refused.action == "dynamodb:Query"
    assert local_stack.users["carol"].arn in str(caught.value) and "IAM permissions" in str(caught.value)


def test_a_timeout_bounds_statements_and_keeps_its_text(as_user: AsUser) -> None:
    as_user("alice")
    engine = sa.create_engine(URL + "?timeout=0.5")
    with engine.connect() as conn:
        with pytest.raises(sa.exc.OperationalError) as caught:
            conn.execute(sa.text("select pg_sleep(10)"))
        timeout = caught.value.orig
        assert isinstance(timeout, middleware.QueryTimeout) and timeout.cancelled
        assert "exceeded its time limit of 500ms" in str(caught.value)
        # SQLAlchemy handles every TimeoutError like an interrupted call and
        # replaces the connection (is_exit_exception), though ours survived it.
        assert caught.value.connection_invalidated
        conn.rollback()
        # A statement's own execution option wins over the engine's.
        assert conn.execution_options(timeout=10).execute(sa.text("select pg_sleep(0.8), 1")).one()[1] == 1
    engine.dispose()
    unbounded = sa.create_engine(URL)
    with unbounded.connect() as conn, pytest.raises(sa.exc.OperationalError, match="time limit of 300ms"):
        conn.execution_options(timeout=0.3).execute(sa.text("select pg_sleep(10)"))
    unbounded.dispose()


def test_isolation_levels_and_autocommit(as_user: AsUser) -> None:
    as_user("alice")
    engine = sa.create_engine(URL, isolation_level="REPEATABLE READ")
    with engine.connect() as conn:
        assert conn.get_isolation_level() == "REPEATABLE READ"
        assert conn.execute(sa.text("show transaction isolation level")).scalar_one() == "repeatable read"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        assert conn.connection.dbapi_connection.autocommit is True  # type: ignore[union-attr]
        conn.execute(sa.text("create temporary table t_auto (x int)"))  # runs outside any transaction
    engine.dispose()


# --------------------------------------------------------------------- pandas


def test_read_sql_small_and_in_chunks(engine: sa.Engine) -> None:
    small = pd.read_sql("select g as n, g * 1.5 as x, 'row ' || g as s from generate_series(1, 10) g", engine)
    assert small.shape == (10, 3) and small["n"].tolist() == list(range(1, 11))
    assert small["x"].iloc[-1] == 15.0 and small["s"].iloc[0] == "row 1"
    chunks = list(pd.read_sql("select g from generate_series(1, 200000) g", engine, chunksize=50_000))
    assert [len(c) for c in chunks] == [50_000] * 4
    assert sum(int(c["g"].sum()) for c in chunks) == 200_000 * 200_001 // 2


@pytest.mark.parametrize("method", [None, "multi"], ids=["default", "multi"])
def test_to_sql_round_trips_with_nulls(engine: sa.Engine, method: str | None) -> None:
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "name": ["a", None, "c"],
            "score": [1.5, np.nan, 3.25],
            "at": [pd.Timestamp("2026-01-01 10:00"), pd.NaT, pd.Timestamp("2026-03-01 12:30:00.5")],
            "ok": [True, False, None],
            "n": pd.array([1, None, 3], dtype="Int64"),
        }
    )
    table = f"roundtrip_{method or 'default'}"
    for _ in range(2):  # "replace" drops and creates the table again under the same statements
        assert frame.to_sql(table, engine, index=False, if_exists="replace", method=method) == 3
    back = pd.read_sql_table(table, engine).sort_values("id", ignore_index=True)
    pd.testing.assert_frame_equal(back.drop(columns="n"), frame.drop(columns="n"), check_dtype=False)
    assert back["n"].astype("Int64").equals(frame["n"])  # integers with NULLs come back as float, as with psycopg
    with engine.begin() as conn:
        conn.execute(sa.text(f"drop table {table}"))


# ------------------------------------------------------------------ the pool


def test_stream_results_over_a_million_rows(engine: sa.Engine) -> None:
    count = total = 0
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=50_000).execute(
            sa.text("select g from generate_series(1, 1000000) g")
        )
        for partition in result.partitions():
            count += len(partition)
            total += sum(row[0] for row in partition)
    assert (count, total) == (1_000_000, 1_000_000 * 1_000_001 // 2)


@pytest.mark.parametrize("pre_ping", [True, False], ids=["pre_ping", "invalidated"])
def test_a_terminated_backend_is_replaced(as_user: AsUser, local_stack: Stack, pre_ping: bool) -> None:
    as_user("alice")
    engine = sa.create_engine(URL, pool_size=1, max_overflow=0, pool_pre_ping=pre_ping)
    with engine.connect() as conn:
        first = backend_pid(conn)
    admin_sql(local_stack, f"select pg_terminate_backend({first})")
    if not pre_ping:
        # Without a ping the dead connection fails once, is invalidated, and the pool moves on.
        # The driver may already know (InterfaceError "closed") or find out (OperationalError).
        with pytest.raises(sa.exc.DBAPIError) as caught, engine.connect() as conn:
            backend_pid(conn)
        assert caught.value.connection_invalidated
        assert isinstance(caught.value.orig, (middleware.InterfaceError, middleware.OperationalError))
    with engine.connect() as conn:
        assert backend_pid(conn) != first
    engine.dispose()


def test_a_password_rotated_in_credstash_and_the_database_reaches_the_pool(as_user: AsUser, local_stack: Stack) -> None:
    as_user("alice")
    engine = sa.create_engine(URL, pool_size=2, max_overflow=0)
    held = engine.connect()  # a pooled connection made with the current password (now cached)
    original = local_stack.db_passwords["read_write"]
    rotated = uuid.uuid4().hex
    context = {"database": "analytics", "db_user": "read_write"}
    as_user("admin", keep_caches=True)  # alice's cached password is the point
    credstash.reset_sessions()
    try:
        credstash.putSecretAutoversion("analytics.read_write.password", rotated, region="us-east-1", context=context)
        admin_sql(local_stack, f"alter role read_write password '{rotated}'")
        as_user("alice", keep_caches=True)
        with engine.connect() as fresh:  # a new connection: the cached password fails, is fetched again
            assert fresh.execute(sa.text("select current_user")).scalar_one() == "read_write"
        assert held.execute(sa.text("select 1")).scalar_one() == 1  # open sessions are unaffected
    finally:
        held.close()
        engine.dispose()
        as_user("admin")
        credstash.putSecretAutoversion("analytics.read_write.password", original, region="us-east-1", context=context)
        admin_sql(local_stack, f"alter role read_write password '{original}'")


# -------------------------------------------------------------------- polars


def test_polars_reads_through_the_engine(engine: sa.Engine) -> None:
    frame = pl.read_database("select region, count(*) as n from sales group by region order by region", engine)
    assert frame.columns == ["region", "n"]
    assert frame["region"].to_list() == ["east", "north", "south", "west"]
    assert frame["n"].sum() == 1000
