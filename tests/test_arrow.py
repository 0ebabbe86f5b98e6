"""Connection.query_arrow(): Arrow record batches built from the wire in
Rust, handed over through the Arrow PyCapsule stream interface."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator

import duckdb
import polars as pl
import pyarrow as pa
import pytest

import middleware

from conftest import admin_sql, wait_until
from fix_stack import AsUser
from stack import Stack

TYPES_SQL = """
select 1::int2 as i2, 2::int4 as i4, 3::int8 as i8, 1.5::float4 as f4, 2.5::float8 as f8, true as b,
       'héllo'::text as t, 'v'::varchar(5) as v, '\\x0102'::bytea as by, date '2024-02-29' as d,
       timestamp '2024-01-02 03:04:05.678901' as ts, timestamptz '2024-01-02 03:04:05+02' as tz,
       12.34::numeric(10, 2) as n, 1.5::numeric as nf, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid as u,
       '{"a": 1}'::json as j, '{"b": 2}'::jsonb as jb, array[1, null, 3]::int4[] as arr,
       array['x', 'y']::text[] as tarr, '10.0.0.1'::inet as ip, date 'infinity' as dinf,
       timestamp '-infinity' as tsninf, interval '1 day 2 hours' as iv
union all
select null, null, null, null, null, null, null, null, null, null, null, null, null::numeric(10, 2), null, null,
       null, null, null, null, null, null, null, null
"""


@pytest.fixture
def conn(as_user: AsUser) -> Iterator[middleware.Connection]:
    as_user("alice")
    c = middleware.connect()
    c.autocommit = True
    yield c
    if not c.closed:
        c.close()


def test_types_and_nulls(conn: middleware.Connection) -> None:
    table = pa.table(conn.query_arrow(TYPES_SQL))
    types = {f.name: f.type for f in table.schema}
    assert types["i2"] == pa.int16() and types["i4"] == pa.int32() and types["i8"] == pa.int64()
    assert types["f4"] == pa.float32() and types["f8"] == pa.float64() and types["b"] == pa.bool_()
    assert types["t"] == pa.string() and types["v"] == pa.string() and types["by"] == pa.binary()
    assert types["d"] == pa.date32() and types["ts"] == pa.timestamp("us")
    assert types["tz"] == pa.timestamp("us", tz="UTC")
    assert types["n"] == pa.decimal128(10, 2) and types["nf"] == pa.string()
    assert types["u"] == pa.string() and types["j"] == pa.string() and types["jb"] == pa.string()
    assert types["arr"] == pa.list_(pa.int32()) and types["tarr"] == pa.list_(pa.string())
    assert types["ip"] == pa.string()
    first = table.slice(0, 1).to_pylist()[0]
    assert first["i2"] == 1 and first["i8"] == 3 and first["f8"] == 2.5 and first["b"] is True
    assert first["t"] == "héllo" and first["by"] == b"\x01\x02" and first["d"] == dt.date(2024, 2, 29)
    assert first["ts"] == dt.datetime(2024, 1, 2, 3, 4, 5, 678901)
    assert first["tz"] == dt.datetime(2024, 1, 2, 1, 4, 5, tzinfo=dt.timezone.utc)
    assert first["n"] == decimal.Decimal("12.34") and first["nf"] == "1.5"
    assert first["u"] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    assert first["j"] == '{"a": 1}' and first["jb"] == '{"b": 2}'
    assert first["arr"] == [1, None, 3] and first["tarr"] == ["x", "y"] and first["ip"] == "10.0.0.1"
    # Infinite dates clamp as the tuples do (date.max / datetime.min).
    assert first["dinf"] == dt.date(9999, 12, 31) and first["tsninf"] == dt.datetime(1, 1, 1)
    tuples = conn.cursor().execute(TYPES_SQL).fetchall()
    assert tuples[0][20] == first["dinf"] and tuples[0][21] == first["tsninf"]
    assert all(v is None for v in table.slice(1, 1).to_pylist()[0].values())


def test_record_batch_reader_streams_in_batches(conn: middleware.Connection) -> None:
    reader = pa.RecordBatchReader.from_stream(
        conn.query_arrow("select i, i::text as t from generate_series(1, %s) as i", (200_000,))
    )
    assert reader.schema.names == ["i", "t"]
    sizes = [batch.num_rows for batch in reader]
    assert sum(sizes) == 200_000 and len(sizes) > 1 and max(sizes) <= 65_536
    assert conn.cursor().execute("select 1").fetchone() == (1,)


def test_an_empty_result_has_its_schema(conn: middleware.Connection) -> None:
    table = pa.table(conn.query_arrow("select 1::int8 as x, 'a'::text as y where false"))
    assert table.num_rows == 0 and table.schema.names == ["x", "y"]
    assert table.schema.field("x").type == pa.int64()


def test_a_stream_is_read_once_and_errors_are_raised_at_the_call(conn: middleware.Connection) -> None:
    stream = conn.query_arrow("select 1 as one")
    assert pa.table(stream).num_rows == 1
    with pytest.raises(middleware.InterfaceError, match="already read"):
        pa.table(stream)
    with pytest.raises(middleware.ProgrammingError):
        conn.query_arrow("select * from no_such_table")
    with pytest.raises(middleware.QueryTimeout):
        conn.query_arrow("select pg_sleep(3)", timeout=0.5)


def test_an_unread_stream_dropped_cancels_its_statement(local_stack: Stack, conn: middleware.Connection) -> None:
    stream = conn.query_arrow("select generate_series(1, 50000000) as i")
    del stream

    def idle() -> bool:
        rows = admin_sql(
            local_stack,
            "select count(*) from pg_stat_activity where state = 'active' and query like '%generate_series%'"
            " and pid <> pg_backend_pid()",
        )
        return int(rows[0][0]) == 0

    assert wait_until(idle, within=5)
    assert conn.cursor().execute("select 3").fetchone() == (3,)


def test_polars_and_duckdb_read_the_stream_itself(conn: middleware.Connection) -> None:
    frame = pl.DataFrame(conn.query_arrow("select 1::int8 as a, 'x'::text as b"))
    assert frame.to_dicts() == [{"a": 1, "b": "x"}]
    # DuckDB asks for the schema (__arrow_c_schema__) before it scans the stream.
    db = duckdb.connect()
    db.register("result", conn.query_arrow("select g::int8 as a, g * 0.5::float8 as b from generate_series(1, 1e5) g"))
    relation = db.sql("select count(*), sum(a), max(b) from result")
    assert relation is not None and relation.fetchall() == [(100000, 5000050000, 50000.0)]
    assert conn.cursor().execute("select 4").fetchone() == (4,)


def test_fetch_arrow_table_has_the_cursors_remaining_rows(conn: middleware.Connection) -> None:
    cur = conn.cursor()
    cur.execute("select i, i::text as t from generate_series(1, 5) as i")
    assert cur.fetchone() == (1, "1")
    table = cur.fetch_arrow_table()
    assert table.column_names == ["i", "t"]
    assert table.to_pydict() == {"i": [2, 3, 4, 5], "t": ["2", "3", "4", "5"]}
    assert cur.fetchone() is None


def test_one_bad_utf8_column_gives_one_message_on_every_path(as_user: AsUser, local_stack: Stack) -> None:
    admin_sql(local_stack, "drop database if exists legacy_ascii_arrow")
    admin_sql(
        local_stack,
        "create database legacy_ascii_arrow encoding 'SQL_ASCII' lc_collate 'C' lc_ctype 'C' template template0",
    )
    as_user("alice")
    conn = middleware.connect(dbname="legacy_ascii_arrow")
    conn.autocommit = True
    sql = "select 1 as id, E'caf\\xe9'::text as name"
    messages = []
    with pytest.raises(middleware.DataError) as caught:
        conn.cursor().execute(sql).fetchall()
    messages.append(str(caught.value))
    with pytest.raises(middleware.DataError) as caught:
        list(conn.query_with_timeout(sql))
    messages.append(str(caught.value))
    with pytest.raises(middleware.DataError) as caught:
        conn.query_with_timeout(sql).to_arrow()
    messages.append(str(caught.value))
    with pytest.raises(middleware.DataError) as caught:
        pa.table(conn.query_arrow(sql))
    messages.append(str(caught.value))
    assert len(set(messages)) == 1, messages
    if caught.value.sqlstate is None:
        assert 'column "name"' in messages[0] and "not valid UTF-8" in messages[0]
    assert conn.cursor().execute("select 'ok'::text").fetchone() == ("ok",)
    conn.close()
