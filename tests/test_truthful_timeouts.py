"""Timeouts that tell the truth: `cancelled` only on the server's word, a
statement that completed is reported as done, no statement is ever sent
twice, and the backstop does not outlive its statement."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

import middleware
from middleware import errors

from conftest import active_sleeps, admin_sql, wait_until
from fix_proxy import TcpProxy
from fix_stack import AsUser
from stack import Stack


@pytest.fixture
def ledger(local_stack: Stack) -> Iterator[str]:
    """A fresh table read_write may insert into."""
    name = f"ledger_{uuid.uuid4().hex[:8]}"
    admin_sql(local_stack, f"create table {name} (id int, at timestamptz default now())")
    admin_sql(local_stack, f"grant all on {name} to read_write")
    yield name
    admin_sql(local_stack, f"drop table {name}; drop function if exists {name}_slow")


def ids_in(local_stack: Stack, table: str) -> list[int]:
    return [row[0] for row in admin_sql(local_stack, f"select id from {table} order by id")]


def server_default(local_stack: Stack) -> str:
    return str(admin_sql(local_stack, "select reset_val from pg_settings where name = 'statement_timeout'")[0][0])


def test_a_confirmed_cancel_says_so_and_keeps_the_sqlstate(as_user: AsUser, local_stack: Stack, ledger: str) -> None:
    as_user("alice")
    conn = middleware.connect(user="read_write")
    conn.autocommit = True
    with pytest.raises(middleware.QueryTimeout) as caught:
        conn.query_with_timeout(f"insert into {ledger} select 1 from pg_sleep(5)", timeout=0.3)
    err = caught.value
    assert err.cancelled is True and err.sqlstate == "57014"
    assert "did not take effect" in str(err)
    assert not conn.closed
    assert ids_in(local_stack, ledger) == []
    assert conn.query_with_timeout("select 7")[0] == (7,)


@pytest.mark.timeout(60)
def test_a_statement_that_completed_during_the_cancel_is_reported_done(
    as_user: AsUser, local_stack: Stack, ledger: str, tcp_proxy: TcpProxy
) -> None:
    as_user("alice")
    conn = middleware.connect(user="read_write", host="127.0.0.1", port=tcp_proxy.port)
    conn.autocommit = True
    assert conn.query_with_timeout("select 1")[0] == (1,)
    tcp_proxy.latency = 0.4  # the answer arrives after the limit
    for i in range(3):
        rows = conn.query_with_timeout(f"insert into {ledger} values ({i}) returning id", timeout=0.3)
        assert list(rows) == [(i,)], "the result of a statement that took effect"
    assert ids_in(local_stack, ledger) == [0, 1, 2], "each exactly once"
    assert not conn.closed
    tcp_proxy.latency = 0.0
    assert conn.query_with_timeout("select 2")[0] == (2,)


@pytest.mark.timeout(120)
def test_racing_limits_never_lie_and_never_write_twice(as_user: AsUser, local_stack: Stack, ledger: str) -> None:
    as_user("alice")
    done: list[int] = []
    cancelled: list[int] = []
    unknown: list[int] = []
    lock = threading.Lock()

    def worker(base: int) -> None:
        conn = middleware.connect(user="read_write")
        conn.autocommit = True
        rng = random.Random(base)
        for i in range(base, base + 25):
            limit = rng.uniform(0.015, 0.06)  # around the statement's 0.03 s
            try:
                conn.query_with_timeout(f"insert into {ledger} select %s from pg_sleep(0.03)", (i,), timeout=limit)
                outcome = done
            except middleware.QueryTimeout as e:
                outcome = cancelled if e.cancelled else unknown
                if conn.closed:
                    conn = middleware.connect(user="read_write")
                    conn.autocommit = True
            with lock:
                outcome.append(i)

    threads = [threading.Thread(target=worker, args=(n * 100,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = ids_in(local_stack, ledger)
    assert len(stored) == len(set(stored)), "no statement ran twice"
    assert set(done) <= set(stored), "everything reported done is there"
    assert not set(cancelled) & set(stored), "nothing reported cancelled is there"
    assert len(done) + len(cancelled) + len(unknown) == 100
    assert done and cancelled, f"the limits raced both ways: {len(done)} done, {len(cancelled)} cancelled"
    print(f"racing: {len(done)} done, {len(cancelled)} cancelled, {len(unknown)} unknown")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("autocommit", [True, False])
def test_an_operator_cancelling_commit_is_an_error_never_a_silent_success(
    as_user: AsUser, local_stack: Stack, ledger: str, autocommit: bool
) -> None:
    as_user("alice")
    admin_sql(
        local_stack,
        f"""create function {ledger}_slow() returns trigger language plpgsql as
            $$ begin perform pg_sleep(2); return null; end $$;
            create constraint trigger {ledger}_slow after insert on {ledger}
            deferrable initially deferred for each row execute function {ledger}_slow()""",
    )
    conn = middleware.connect(user="read_write")
    conn.autocommit = autocommit
    cur = conn.cursor()
    if autocommit:
        cur.execute("begin")
    cur.execute(f"insert into {ledger} values (1)")
    pid = conn.query_with_timeout("select pg_backend_pid()")[0][0]

    def operator() -> None:
        busy = f"select count(*) from pg_stat_activity where pid = {pid} and state = 'active'"
        wait_until(lambda: admin_sql(local_stack, busy)[0][0] == 1, 5)
        admin_sql(local_stack, f"select pg_cancel_backend({pid})")

    threading.Thread(target=operator).start()
    end: Callable[[], object] = (lambda: cur.execute("commit")) if autocommit else conn.commit
    with pytest.raises(errors.QueryCanceled) as caught:
        end()
    assert isinstance(caught.value, middleware.OperationalError)
    time.sleep(0.5)
    assert ids_in(local_stack, ledger) == [], "the commit did not happen, and was not re-run"


def test_someone_elses_cancel_surfaces_and_is_not_retried(as_user: AsUser, local_stack: Stack, ledger: str) -> None:
    as_user("alice")
    conn = middleware.connect(user="read_write")
    conn.autocommit = True
    # A cancel of our own first, so a "recent cancel" exists on this connection.
    with pytest.raises(middleware.QueryTimeout):
        conn.query_with_timeout("select pg_sleep(5)", timeout=0.2)
    pid = conn.query_with_timeout("select pg_backend_pid()")[0][0]
    threading.Timer(0.5, lambda: admin_sql(local_stack, f"select pg_cancel_backend({pid})")).start()
    with pytest.raises(errors.QueryCanceled):
        conn.cursor().execute(f"insert into {ledger} select 1 from pg_sleep(1.5)")
    time.sleep(2)
    assert ids_in(local_stack, ledger) == []


@pytest.mark.parametrize("autocommit", [True, False])
def test_the_backstop_does_not_outlive_its_statement(as_user: AsUser, local_stack: Stack, autocommit: bool) -> None:
    as_user("alice")
    default = server_default(local_stack)
    conn = middleware.connect()
    conn.autocommit = autocommit
    cur = conn.cursor()
    for limit in (5, 5, 7):
        assert conn.query_with_timeout("show statement_timeout", timeout=limit)[0] == (f"{limit + 10}s",)
        cur.execute("show statement_timeout")
        assert cur.fetchone() == (default,)
    with pytest.raises(middleware.QueryTimeout):
        conn.query_with_timeout("select pg_sleep(3)", timeout=0.2)
    conn.rollback()
    cur.execute("show statement_timeout")
    assert cur.fetchone() == (default,)
    conn.commit()
    cur.execute("show statement_timeout")
    assert cur.fetchone() == (default,)


def test_a_session_setting_of_the_users_own_is_kept(as_user: AsUser, local_stack: Stack) -> None:
    as_user("alice")
    conn = middleware.connect()
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("set statement_timeout = '42s'")
    assert conn.query_with_timeout("show statement_timeout", timeout=1)[0] == ("11s",)
    cur.execute("show statement_timeout")
    assert cur.fetchone() == ("42s",)


@pytest.mark.timeout(120)
def test_closed_is_true_whenever_the_backend_is_terminated(as_user: AsUser, local_stack: Stack) -> None:
    as_user("alice")
    for _ in range(20):
        conn = middleware.connect()
        pid = conn.query_with_timeout("select pg_backend_pid()")[0][0]
        threading.Timer(0.05, lambda p=pid: admin_sql(local_stack, f"select pg_terminate_backend({p})")).start()
        with pytest.raises(middleware.OperationalError):
            conn.cursor().execute("select pg_sleep(5)")
        assert conn.closed


SLOW_LINK_CHILD = """
import sys, time, middleware
conn = middleware.connect(host="127.0.0.1", port=int(sys.argv[1]))
cur = conn.cursor()
print("ready", flush=True)
started = time.monotonic()
try:
    cur.execute("select pg_sleep(30)")
except KeyboardInterrupt:
    print(f"caught {time.monotonic() - started:.2f} closed={conn.closed}", flush=True)
time.sleep(3)  # the detached cancel completes meanwhile
"""


@pytest.mark.timeout(60)
def test_ctrl_c_on_a_slow_link_still_cancels_on_the_server(local_stack: Stack, tcp_proxy: TcpProxy) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(SLOW_LINK_CHILD), str(tcp_proxy.port)],
        env=local_stack.env_for("alice"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None and child.stderr is not None
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        assert wait_until(lambda: active_sleeps(local_stack) == 1, 5)
        tcp_proxy.latency = 0.5  # the cancel cannot finish within the interrupt's grace
        child.send_signal(signal.SIGINT)
        caught = child.stdout.readline()
        assert caught.startswith("caught"), child.stderr.read()
        assert "closed=True" in caught, "the outcome is unknown, so the connection is closed"
        assert wait_until(lambda: active_sleeps(local_stack) == 0, 4), "the detached cancel reached the server"
        child.wait(10)


@pytest.mark.parametrize(
    ("code", "name", "base"),
    [
        ("40001", "SerializationFailure", middleware.OperationalError),
        ("40P01", "DeadlockDetected", middleware.OperationalError),
        ("57014", "QueryCanceled", middleware.OperationalError),
        ("55P03", "LockNotAvailable", middleware.OperationalError),
        ("25P02", "InFailedSqlTransaction", middleware.InternalError),
        ("23505", "UniqueViolation", middleware.IntegrityError),
        ("23503", "ForeignKeyViolation", middleware.IntegrityError),
        ("23502", "NotNullViolation", middleware.IntegrityError),
        ("23514", "CheckViolation", middleware.IntegrityError),
        ("22012", "DivisionByZero", middleware.DataError),
        ("42P01", "UndefinedTable", middleware.ProgrammingError),
        ("42703", "UndefinedColumn", middleware.ProgrammingError),
        ("42601", "SyntaxError", middleware.ProgrammingError),
        ("42501", "InsufficientPrivilege", middleware.ProgrammingError),
        ("P0001", "RaiseException", middleware.ProgrammingError),
        ("0A000", "FeatureNotSupported", middleware.NotSupportedError),
        ("XX000", "InternalError_", middleware.InternalError),
        ("22ZZZ", None, middleware.DataError),  # unknown code, known class
    ],
)
def test_sqlstates_raise_psycopgs_classes(as_user: AsUser, code: str, name: str | None, base: type[Exception]) -> None:
    as_user("alice")
    conn = middleware.connect()
    conn.autocommit = True
    with pytest.raises(base) as caught:
        conn.cursor().execute(f"do $$ begin raise exception 'boom {code}' using errcode = '{code}'; end $$")
    err = caught.value
    assert err.sqlstate == code and err.message == f"boom {code}"  # type: ignore[attr-defined]
    if name is not None:
        assert type(err) is errors.lookup(code) and type(err).__name__ == name
    assert conn.query_with_timeout("select 1")[0] == (1,)
