"""The result-size guard ([databases.x] max_result_rows / max_result_bytes):
a result held whole stops being read at the limit, the statement is
cancelled on the server, the error says so truthfully, and the connection
stays usable. stream() and named cursors, the remedies, are not limited."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pytest

import middleware
import middleware.aio
from middleware import errors

from conftest import admin_sql, run_cli, wait_until
from stack import Stack

# In the select list, generate_series streams (in FROM it is materialised first).
HUGE = "select generate_series(1, 50000000) as i, repeat('x', 100) as pad"


def active_series(info: Stack) -> int:
    rows = admin_sql(
        info,
        "select count(*) from pg_stat_activity where state = 'active' and query like '%generate_series%'"
        " and pid <> pg_backend_pid()",
    )
    return int(rows[0][0])


def limits_file(directory: Path, **keys: int) -> Path:
    """A user config (under $XDG_CONFIG_HOME) setting limits on the stack's analytics database."""
    lines = "".join(f"{key} = {value}\n" for key, value in keys.items())
    path = directory / "middleware" / "middleware.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"[databases.analytics]\n{lines}")
    return directory


@pytest.fixture
def limited(
    as_user: Callable[[str], None], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Callable[..., middleware.Connection]]:
    """Opens connections as alice with the given limits in the config."""
    as_user("alice")
    opened: list[middleware.Connection] = []

    def open_with(user: str | None = None, **keys: int) -> middleware.Connection:
        home = limits_file(tmp_path / uuid.uuid4().hex, **keys)
        monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
        middleware.clear_cache()
        conn = middleware.connect(user=user)
        opened.append(conn)
        return conn

    yield open_with
    for conn in opened:
        if not conn.closed:
            conn.close()


@pytest.fixture
def ledger(local_stack: Stack) -> Iterator[str]:
    name = f"ledger_{uuid.uuid4().hex[:8]}"
    admin_sql(local_stack, f"create table {name} (id int)")
    admin_sql(local_stack, f"grant all on {name} to read_write")
    yield name
    admin_sql(local_stack, f"drop table {name}")


def count_in(local_stack: Stack, table: str) -> int:
    return int(admin_sql(local_stack, f"select count(*) from {table}")[0][0])


def test_too_many_rows_cancels_the_query_and_the_connection_stays_usable(
    local_stack: Stack, limited: Callable[..., middleware.Connection]
) -> None:
    conn = limited(max_result_rows=1000)
    conn.autocommit = True
    cur = conn.cursor()
    with pytest.raises(middleware.OperationalError) as caught:
        cur.execute(HUGE)
    text = str(caught.value)
    for part in ["max_result_rows = 1000", '"analytics"', "cancelled on the server", "stream(", "name=", "LIMIT"]:
        assert part in text, text
    assert type(caught.value) is middleware.OperationalError
    assert wait_until(lambda: active_series(local_stack) == 0, within=5), "the server still runs it"
    assert cur.execute("select 1").fetchone() == (1,)
    assert not conn.closed


def test_a_result_at_the_limit_is_whole(limited: Callable[..., middleware.Connection]) -> None:
    conn = limited(max_result_rows=1000)
    rows = conn.cursor().execute("select generate_series(1, 1000)").fetchall()
    assert [r[0] for r in rows] == list(range(1, 1001))
    assert len(conn.query_with_timeout("select generate_series(1, 1000)")) == 1000


def test_too_many_bytes(local_stack: Stack, limited: Callable[..., middleware.Connection]) -> None:
    conn = limited(max_result_bytes=100_000)
    conn.autocommit = True
    assert len(conn.cursor().execute("select repeat('x', 100) from generate_series(1, 500)").fetchall()) == 500
    with pytest.raises(middleware.OperationalError, match=r"max_result_bytes = 100000 .*bytes on the wire"):
        conn.cursor().execute("select repeat('x', 1000), generate_series(1, 50000000)")
    assert wait_until(lambda: active_series(local_stack) == 0, within=5)
    assert conn.cursor().execute("select 2").fetchone() == (2,)


def test_rows_query_arrow_and_aio_are_limited_too(
    local_stack: Stack, limited: Callable[..., middleware.Connection]
) -> None:
    conn = limited(max_result_rows=1000)
    with pytest.raises(middleware.OperationalError, match="max_result_rows = 1000"):
        conn.query_with_timeout(HUGE)
    with pytest.raises(middleware.OperationalError, match="max_result_rows = 1000"):
        pa.table(conn.query_arrow(HUGE))
    assert pa.table(conn.query_arrow("select generate_series(1, 1000) as i")).num_rows == 1000
    # Past query_arrow's first batch (65,536 rows) the consumer reads on: pyarrow raises its own type.
    wide = limited(max_result_rows=100_000)
    with pytest.raises(pa.ArrowInvalid, match="max_result_rows = 100000"):
        pa.table(wide.query_arrow(HUGE))
    assert wide.cursor().execute("select 1").fetchone() == (1,)

    async def in_asyncio() -> str:
        aconn = await middleware.aio.connect()
        try:
            cur = aconn.cursor()
            with pytest.raises(middleware.OperationalError) as caught:
                await cur.execute(HUGE)
            await cur.execute("select 3")
            assert await cur.fetchone() == (3,)
            return str(caught.value)
        finally:
            await aconn.close()

    assert "max_result_rows = 1000" in asyncio.run(in_asyncio())
    assert wait_until(lambda: active_series(local_stack) == 0, within=5)


def test_stream_and_named_cursors_are_not_limited(limited: Callable[..., middleware.Connection]) -> None:
    conn = limited(max_result_rows=100)
    assert sum(1 for _ in conn.cursor().stream("select generate_series(1, 5000)")) == 5000
    named = conn.cursor(name="big")
    named.execute("select generate_series(1, 5000)")
    assert len(named.fetchall()) == 5000
    named.close()
    conn.rollback()


def test_in_a_transaction_the_cancel_aborts_it_as_any_error_would(
    local_stack: Stack, ledger: str, limited: Callable[..., middleware.Connection]
) -> None:
    conn = limited(user="read_write", max_result_rows=1000)
    cur = conn.cursor()
    cur.execute(f"insert into {ledger} values (1)")
    with pytest.raises(middleware.OperationalError) as caught:
        cur.execute(HUGE)
    assert "the open transaction is now aborted" in str(caught.value)
    assert "rollback()" in str(caught.value)
    with pytest.raises(errors.InFailedSqlTransaction):
        cur.execute("select 1")
    conn.rollback()
    assert count_in(local_stack, ledger) == 0, "the aborted transaction's insert is gone"
    # The first statement of a transaction: the transaction it opened is rolled back.
    with pytest.raises(middleware.OperationalError, match="connection is ready for the next statement"):
        cur.execute(HUGE)
    assert cur.execute("select 4").fetchone() == (4,)
    conn.rollback()


def test_a_modifying_statement_is_reported_as_it_ended(
    local_stack: Stack, ledger: str, limited: Callable[..., middleware.Connection]
) -> None:
    conn = limited(user="read_write", max_result_rows=10)
    conn.autocommit = True
    for _ in range(5):
        admin_sql(local_stack, f"truncate {ledger}")
        with pytest.raises(middleware.OperationalError) as caught:
            conn.cursor().execute(f"insert into {ledger} select generate_series(1, 20000) returning id")
        text = str(caught.value)
        if "did not take effect" in text:
            assert count_in(local_stack, ledger) == 0, text
        else:
            assert "took effect" in text, text
            assert count_in(local_stack, ledger) == 20000, text
    assert conn.cursor().execute("select 5").fetchone() == (5,)


def test_the_cli_query_is_limited_and_config_shows_the_keys(local_stack: Stack, tmp_path: Path) -> None:
    env = local_stack.env_for("alice", XDG_CONFIG_HOME=str(limits_file(tmp_path, max_result_rows=10)))
    over = run_cli("query", "select generate_series(1, 1000000)", env=env)
    assert over.returncode == 1 and "max_result_rows = 10" in over.stderr, over.stderr
    assert run_cli("query", "select generate_series(1, 10)", env=env).stdout.count("\n") == 11
    shown = run_cli("config", "show", env=env).stdout
    assert "max_result_rows = 10" in shown, shown


def test_bad_limits_are_config_errors_naming_the_key(local_stack: Stack, tmp_path: Path) -> None:
    path = tmp_path / "middleware" / "middleware.toml"
    path.parent.mkdir()
    path.write_text('[databases.analytics]\nmax_result_bytes = "lots"\n')
    env = local_stack.env_for("alice", XDG_CONFIG_HOME=str(tmp_path))
    checked = run_cli("config", "check", env=env)
    assert checked.returncode == 1 and "databases.analytics.max_result_bytes" in checked.stderr, checked.stderr
    path.write_text("[databases.analytics]\nmax_result_rows = 0\n")
    checked = run_cli("config", "check", env=env)
    assert "max_result_rows" in checked.stderr and "above 0" in checked.stderr, checked.stderr
