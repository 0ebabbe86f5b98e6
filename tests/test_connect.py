"""connect(): a PEP 249 connection over the stack's real PostgreSQL (scram,
TLS), with the password read from credstash."""

from __future__ import annotations

import datetime as dt
import decimal
import gc
import os
import threading
import unittest
import uuid
import weakref
from pathlib import Path

import credstash
import dbapi20
import psycopg
import pytest

import middleware

from conftest import admin_sql
from fix_stack import AsUser
from stack import Stack
from stack.tls import make_tls

# ------------------------------------------------------------ DB-API 2.0 suite


class TestDBAPI20(dbapi20.DatabaseAPI20Test, unittest.TestCase):  # type: ignore[misc]
    driver = middleware
    connect_args = ()
    connect_kw_args = {"user": "read_write"}  # noqa: RUF012 - the suite's own interface
    table_prefix = "dbapi20test_"
    lower_func = "lower"

    @pytest.fixture(autouse=True)
    def _as_alice(self, as_user: AsUser) -> None:
        # A unittest.TestCase: its methods take no fixtures.
        as_user("alice")

    def test_nextset(self) -> None:
        """Reason: PostgreSQL returns one result set per statement; like psycopg,
        no nextset() is offered (the suite allows that)."""
        con = self._connect()
        try:
            assert not hasattr(con.cursor(), "nextset")
        finally:
            con.close()

    def test_setoutputsize(self) -> None:
        """Reason: setoutputsize is a documented no-op (PEP 249 allows it)."""
        con = self._connect()
        try:
            con.cursor().setoutputsize(1000)
        finally:
            con.close()


# -------------------------------------------------------------------- types

TYPES_SQL = """
select true, false, 1::int2, 2::int4, 3::int8, 1.5::float4, 2.25::float8,
       12345.6789::numeric, 'NaN'::numeric, -0.001::numeric(10,4), 'héllo'::text, 'x'::varchar(3),
       'ab'::char(3), 'name'::name, '\\x00ff'::bytea, date '2024-02-29', time '13:14:15.123456',
       timestamp '2024-01-02 03:04:05.678', timestamptz '2024-01-02 03:04:05+02',
       interval '1 day 02:03:04.5', '9d2f4bd8-06d5-4b35-9a32-0c2a5b0b7f6d'::uuid,
       '{"a": [1, 2, null]}'::json, '{"b": true}'::jsonb, array[1, null, 3]::int4[],
       array[array['a','b'],array['c',null]], null::int4, array[]::text[], '{1.5,2.5}'::numeric[],
       'sad'::text::name, 5::oid, '192.168.0.1/24'::inet, point(1, 2)::text
"""


def test_every_mapped_type_matches_psycopg(as_user: AsUser, local_stack: Stack) -> None:
    as_user("alice")
    conn = middleware.connect()
    cur = conn.cursor()
    cur.execute(TYPES_SQL)
    ours = cur.fetchone()
    password = local_stack.db_passwords["read_only"]
    with psycopg.connect(
        host="localhost",
        port=local_stack.pg_port,
        dbname="analytics",
        user="read_only",
        password=password,
        sslmode="verify-full",
        sslrootcert=str(local_stack.ca),
    ) as pconn:
        theirs = pconn.execute(TYPES_SQL).fetchone()
    assert ours is not None and theirs is not None
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        if isinstance(b, decimal.Decimal) and b.is_nan():
            assert isinstance(a, decimal.Decimal) and a.is_nan(), i
        elif isinstance(b, memoryview):
            assert a == bytes(b), i
        elif isinstance(b, dt.timedelta) or (isinstance(b, dt.datetime) and b.tzinfo):
            assert a == b, (i, a, b)
        elif type(b).__module__ == "ipaddress":
            assert a == str(b), "types without a mapping come back as text"
        else:
            assert (a, type(a)) == (b, type(b)), (i, a, b)
    assert ours[18].tzinfo is dt.timezone.utc
    # psycopg refuses infinities; we clamp them to Python's limits.
    cur.execute("select '-infinity'::date, 'infinity'::timestamptz, 'infinity'::timestamp")
    assert cur.fetchone() == (
        dt.date.min,
        dt.datetime.max.replace(tzinfo=dt.timezone.utc),
        dt.datetime.max,
    )
    # Types without a mapping come back as text, never as an error.
    cur.execute("select point(1, 2), '1 year'::interval, 'a & b'::tsquery, macaddr '08:00:2b:01:02:03'")
    row = cur.fetchone()
    assert row is not None and isinstance(row[2], str)
    conn.close()


class _Box:
    row: object = None


def test_rows_are_built_the_fast_way_and_stay_collectable(as_user: AsUser) -> None:
    # datetimes through CPython's datetime C API, not by calling the class.
    assert middleware._core._fast_datetime() is True
    as_user("alice")
    conn = middleware.connect()
    cur = conn.cursor()
    cur.execute("select 1::int8, 'x'::text, now(), current_date, null::int4, 2.5::float8")
    atomic = cur.fetchone()
    # Only atomic values: the collector has nothing to find in it, so it is not tracked.
    assert atomic is not None and not gc.is_tracked(atomic)
    cur.execute("""select 1, '{"a": 1}'::json, array[1, 2]""")
    holder = cur.fetchone()
    assert holder is not None and gc.is_tracked(holder), "a row holding a dict or list stays collectable"
    box = _Box()
    box.row = holder
    holder[1]["box"] = box  # a cycle through the row: row -> dict -> box -> row
    gone = weakref.ref(box)
    cur.close()  # the cursor's own reference to its rows
    del holder, box
    gc.collect()
    assert gone() is None, "the cycle through the row was collected"
    conn.close()


def _io_thread_switches() -> int:
    """Context switches of the shared runtime's worker threads so far."""
    total = 0
    for task in Path("/proc/self/task").iterdir():
        try:
            if (task / "comm").read_text().strip() != "middleware-io":
                continue
            status = (task / "status").read_text()
        except FileNotFoundError:
            continue  # the thread ended meanwhile
        total += sum(
            int(line.split()[1])
            for line in status.splitlines()
            if line.endswith("ctxt_switches") is False and "ctxt_switches" in line
        )
    return total


def test_a_blocking_connection_does_its_io_on_the_calling_thread(as_user: AsUser) -> None:
    # As libpq: one wake-up a round trip, not a hand-off to a worker and back.
    as_user("alice")
    conn = middleware.connect()
    cur = conn.cursor()
    cur.execute("select 1")
    before = _io_thread_switches()
    for i in range(300):
        cur.execute("select %s::int", (i,))
        assert cur.fetchone() == (i,)
    woken = _io_thread_switches() - before
    assert woken < 60, f"the shared runtime's workers were woken {woken} times for 300 statements"
    conn.close()


def test_parameters_round_trip(as_user: AsUser) -> None:
    as_user("alice")
    conn = middleware.connect()
    cur = conn.cursor()
    values = [
        None,
        True,
        7,
        2**70,
        1.25,
        decimal.Decimal("3.14159"),
        "tëxt",
        b"\x00\x01",
        dt.date(2020, 2, 29),
        dt.time(1, 2, 3, 4),
        dt.datetime(2020, 1, 2, 3, 4, 5, 6),
        dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
        dt.timedelta(days=2, seconds=3),
        uuid.UUID("9d2f4bd8-06d5-4b35-9a32-0c2a5b0b7f6d"),
        {"k": [1, "two"]},
        [1, 2, None],
    ]
    for value in values:
        cur.execute("select %s", (value,))
        got = cur.fetchone()
        assert got is not None
        if value is None or isinstance(value, (str, dict)):
            assert got[0] == value
        else:
            assert got[0] == value, (value, got)
    cur.execute("select %(a)s::int + %(b)s::int, %(a)s::int", {"a": 2, "b": 3})
    assert cur.fetchone() == (5, 2)
    cur.execute("select '100%%', %s", ("%s",))
    assert cur.fetchone() == ("100%", "%s")
    conn.close()


def test_placeholder_mismatches_are_programming_errors(as_user: AsUser) -> None:
    as_user("alice")
    cur = middleware.connect().cursor()
    with pytest.raises(middleware.ProgrammingError, match="2 placeholder.*1 parameter"):
        cur.execute("select %s, %s", (1,))
    with pytest.raises(middleware.ProgrammingError, match='no parameter named "b"'):
        cur.execute("select %(a)s, %(b)s", {"a": 1})
    with pytest.raises(middleware.ProgrammingError, match="mapping"):
        cur.execute("select %s", {"a": 1})
    with pytest.raises(TypeError, match="cannot pass a object"):
        cur.execute("select %s", (object(),))
    with pytest.raises(middleware.DataError, match="NUL"):
        cur.execute("select %s", ("a\x00b",))


# ------------------------------------------------------------------- errors


def test_server_errors_map_to_pep249_classes_with_fields(as_user: AsUser) -> None:
    as_user("alice")
    conn = middleware.connect(user="read_write")
    conn.autocommit = True
    cur = conn.cursor()
    with pytest.raises(middleware.ProgrammingError) as syntax:
        cur.execute("selec 1")
    assert syntax.value.sqlstate == "42601" and syntax.value.position == 1
    with pytest.raises(middleware.DataError) as div:
        cur.execute("select 1/0")
    assert div.value.sqlstate == "22012" and "division by zero" in str(div.value)
    cur.execute("create temp table t (id int primary key)")
    cur.execute("insert into t values (1)")
    with pytest.raises(middleware.IntegrityError) as dup:
        cur.execute("insert into t values (1)")
    assert dup.value.sqlstate == "23505" and dup.value.detail and "(id)=(1)" in dup.value.detail
    with pytest.raises(middleware.ProgrammingError) as missing:
        cur.execute("select * from no_such_table")
    assert missing.value.sqlstate == "42P01"
    conn.close()
    with pytest.raises(middleware.InterfaceError, match="closed"):
        cur.execute("select 1")
    with pytest.raises(middleware.InterfaceError, match="closed"):
        conn.cursor()


def test_a_terminated_backend_is_an_operational_error_and_closes(as_user: AsUser, local_stack: Stack) -> None:
    as_user("alice")
    conn = middleware.connect()
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("select pg_backend_pid()")
    pid = cur.fetchone()[0]  # type: ignore[index]
    admin_sql(local_stack, f"select pg_terminate_backend({pid})")
    with pytest.raises((middleware.OperationalError, middleware.InterfaceError)):
        cur.execute("select 1")
    assert conn.closed


def test_transactions_commit_and_rollback(as_user: AsUser) -> None:
    as_user("alice")
    conn = middleware.connect(user="read_write")
    cur = conn.cursor()
    table = f"tx_{uuid.uuid4().hex[:8]}"
    cur.execute(f"create table {table} (v int)")
    conn.commit()
    cur.execute(f"insert into {table} values (1)")
    conn.rollback()
    cur.execute(f"insert into {table} values (2)")
    conn.commit()
    cur.execute(f"select v from {table}")
    assert cur.fetchall() == [(2,)]
    cur.executemany(f"insert into {table} values (%s)", [(3,), (4,)])
    assert cur.rowcount == 2
    conn.commit()
    with middleware.connect(user="read_write") as other:
        c2 = other.cursor()
        c2.execute(f"select count(*) from {table}")
        assert c2.fetchone() == (3,)
        c2.execute(f"drop table {table}")
    assert other.closed


# ---------------------------------------------------------------------- TLS


def test_tls_modes(as_user: AsUser, local_stack: Stack, tmp_path: Path) -> None:
    as_user("alice")
    assert not middleware.connect(host="127.0.0.1").closed, "the certificate names 127.0.0.1"
    with pytest.raises(middleware.OperationalError, match="certificate.*verify-full"):
        middleware.connect(host="127.0.0.2")
    assert not middleware.connect(host="127.0.0.2", sslmode="verify-ca").closed, "chain only"
    other_ca, _, _ = make_tls(tmp_path / "other")
    with pytest.raises(middleware.OperationalError, match="certificate"):
        middleware.connect(sslrootcert=str(other_ca))
    assert not middleware.connect(host="127.0.0.2", sslmode="require", sslrootcert="").closed
    with pytest.raises(middleware.DatabaseError, match="requires TLS"):
        middleware.connect(sslmode="disable", sslrootcert="")


def test_unreachable_host_fails_fast_with_advice(as_user: AsUser) -> None:
    as_user("alice")
    import time

    started = time.monotonic()
    with pytest.raises(middleware.OperationalError, match="refused"):
        middleware.connect(host="127.0.0.1", port=9)
    assert time.monotonic() - started < 5


# ------------------------------------------------------- threads, fork, rotation


@pytest.mark.timeout(120)
def test_threads_each_with_a_connection_do_not_deadlock(as_user: AsUser) -> None:
    as_user("alice")
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            conn = middleware.connect()
            cur = conn.cursor()
            for i in range(200):
                cur.execute("select %s::int + %s::int", (n, i))
                assert cur.fetchone() == (n + i,)
            conn.close()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.timeout(60)
def test_a_forked_child_can_connect_and_query(as_user: AsUser) -> None:
    as_user("alice")
    parent = middleware.connect()
    parent.cursor().execute("select 1")
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            with pytest.raises(middleware.InterfaceError, match="another process"):
                parent.cursor().execute("select 1")
            cur = middleware.connect().cursor()
            cur.execute("select 41 + 1")
            code = 0 if cur.fetchone() == (42,) else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    cur = parent.cursor()
    cur.execute("select 1")
    assert cur.fetchone() == (1,)


def test_a_rotated_password_just_works(as_user: AsUser, local_stack: Stack) -> None:
    as_user("alice")
    middleware.connect(user="read_write").close()  # caches the current password
    original = local_stack.db_passwords["read_write"]
    rotated = uuid.uuid4().hex
    as_user("admin", keep_caches=True)  # alice's cached password is the point
    credstash.reset_sessions()
    ctx = {"database": "analytics", "db_user": "read_write"}
    try:
        credstash.putSecretAutoversion("analytics.read_write.password", rotated, region="us-east-1", context=ctx)
        admin_sql(local_stack, f"alter role read_write password '{rotated}'")
        as_user("alice", keep_caches=True)
        conn = middleware.connect(user="read_write")  # cached password fails, refetched, retried
        assert not conn.closed
        conn.close()
    finally:
        as_user("admin")
        credstash.putSecretAutoversion("analytics.read_write.password", original, region="us-east-1", context=ctx)
        admin_sql(local_stack, f"alter role read_write password '{original}'")


def test_connect_rejects_unknown_keywords_and_databases(as_user: AsUser) -> None:
    as_user("alice")
    with pytest.raises(TypeError, match='unexpected keyword argument "hots"'):
        middleware.connect(hots="x")
    with pytest.raises(middleware.ConfigError, match='no database named "nope".*analytics'):
        middleware.connect("nope")
    with pytest.raises(middleware.ConfigError, match="sslmode"):
        middleware.connect(sslmode="sometimes")


def test_repr_never_shows_a_password(as_user: AsUser, local_stack: Stack) -> None:
    as_user("alice")
    conn = middleware.connect()
    for password in local_stack.db_passwords.values():
        assert password not in repr(conn)
        assert password not in repr(conn.cursor())
