"""Bad input: each gives the documented exception with a useful message, and
nothing is lost or leaked."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable

import boto3
import pytest

import middleware

from fix_stack import AsUser
from stack import Stack

TABLE = "credential-store"
V1 = "0" * 18 + "1"


def stored(name: str) -> dict[str, object]:
    table = boto3.Session().resource("dynamodb").Table(TABLE)
    return dict(table.get_item(Key={"name": name, "version": V1})["Item"])


def replace(item: dict[str, object]) -> None:
    boto3.Session().resource("dynamodb").Table(TABLE).put_item(Item=item)


CORRUPTIONS: dict[str, Callable[[dict[str, object]], object]] = {
    "missing contents": lambda i: i.pop("contents"),
    "missing key": lambda i: i.pop("key"),
    "missing hmac": lambda i: i.pop("hmac"),
    "bad base64": lambda i: i.update(contents="not base64!"),
    "bad padding": lambda i: i.update(contents=str(i["contents"]).rstrip("=") + "A"),
    "odd-length hex": lambda i: i.update(hmac="abc"),
    "non-hex": lambda i: i.update(hmac="zz" * 32),
    "unknown digest": lambda i: i.update(digest="WHIRLPOOL"),
    "hmac of a number": lambda i: i.update(hmac=12345),
}


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_malformed_records_are_integrity_errors_naming_the_problem(as_user: AsUser, corruption: str) -> None:
    as_user("admin")
    name = f"bad.{uuid.uuid4().hex[:8]}"
    middleware.put_secret(name, "the plaintext must not leak")
    item = stored(name)
    CORRUPTIONS[corruption](item)
    replace(item)
    with pytest.raises((middleware.SecretIntegrityError, middleware.KmsError)) as caught:
        middleware.get_secret(name)
    text = str(caught.value)
    assert name in text and "must not leak" not in text
    if isinstance(caught.value, middleware.SecretIntegrityError):
        attribute = corruption.split()[-1] if corruption.startswith("missing") else None
        assert attribute is None or f"'{attribute}'" in text, text


def test_a_non_utf8_plaintext_read_as_text(as_user: AsUser) -> None:
    as_user("admin")
    name = f"bin.{uuid.uuid4().hex[:8]}"
    middleware.put_secret(name, b"\xff\xfe\x00")
    with pytest.raises(middleware.DataError, match="not UTF-8"):
        middleware.get_secret(name)
    assert middleware.get_secret_bytes(name) == b"\xff\xfe\x00"


def test_sizes_and_names_at_and_past_dynamodbs_limits(as_user: AsUser) -> None:
    as_user("admin")
    big = "x" * (280 * 1024)
    name = f"big.{uuid.uuid4().hex[:8]}"
    middleware.put_secret(name, big)
    assert middleware.get_secret(name) == big
    with pytest.raises(middleware.ProgrammingError, match="at most about 280 KB"):
        middleware.put_secret(f"huge.{uuid.uuid4().hex[:8]}", big + "x")
    with pytest.raises(middleware.ProgrammingError, match="2048 bytes"):
        middleware.put_secret("n" * 2049, "v")
    with pytest.raises(middleware.ProgrammingError, match="empty"):
        middleware.put_secret("", "v")
    for hostile in ["quote'\"name", "semi;colon -- drop", "ünïcødé/名前", "spaces  and\ttabs", "*"]:
        middleware.put_secret(hostile, "v", autoversion=True)
        assert middleware.get_secret(hostile) == "v"
        middleware.delete_secret(hostile)


def test_records_with_whitespace_wrapped_base64_are_read(as_user: AsUser) -> None:
    as_user("admin")
    name = f"wrapped.{uuid.uuid4().hex[:8]}"
    middleware.put_secret(name, "a value long enough to wrap over more than one line of base64" * 2)
    item = stored(name)
    contents = str(item["contents"])
    item["contents"] = "\n".join(contents[i : i + 60] for i in range(0, len(contents), 60))
    replace(item)
    assert middleware.get_secret(name).startswith("a value long enough")
    assert base64.b64decode(contents)


def test_huge_sql_and_results(as_user: AsUser) -> None:
    as_user("alice")
    conn = middleware.connect()
    conn.autocommit = True
    huge = "select 1 as one -- " + "x" * (8 * 1024 * 1024)
    assert conn.query_with_timeout(huge)[0] == (1,)
    wide = conn.query_with_timeout("select repeat('y', 10 * 1024 * 1024) as big")[0][0]
    assert len(wide) == 10 * 1024 * 1024
    with pytest.raises(middleware.ProgrammingError) as caught:
        conn.query_with_timeout("select " + ",".join(["1"] * 2000) + " from")
    assert caught.value.sqlstate == "42601"


def test_invalid_utf8_in_results_is_a_data_error(as_user: AsUser, local_stack: Stack) -> None:
    from conftest import admin_sql

    admin_sql(local_stack, "drop database if exists legacy_ascii")
    admin_sql(
        local_stack,
        "create database legacy_ascii encoding 'SQL_ASCII' lc_collate 'C' lc_ctype 'C' template template0",
    )
    as_user("alice")
    conn = middleware.connect(dbname="legacy_ascii")
    conn.autocommit = True
    # The server refuses to send text that is not UTF-8 to a UTF-8 client (and
    # the client checks again): either way a DataError, not garbage.
    with pytest.raises(middleware.DataError) as caught:
        conn.query_with_timeout("select E'caf\\xe9'::text as name")
    assert caught.value.sqlstate == "22021" or "not valid UTF-8" in str(caught.value)
    assert conn.query_with_timeout("select 'ok'::text")[0] == ("ok",), "the connection is fine afterwards"
    assert conn.query_with_timeout("select E'caf\\xe9'::text::bytea")[0] == (b"caf\xe9",)


def test_a_self_referential_list_parameter_is_an_error_and_the_process_lives(
    as_user: AsUser,
) -> None:
    as_user("alice")
    conn = middleware.connect()
    conn.autocommit = True
    cur = conn.cursor()
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises((middleware.DataError, middleware.ProgrammingError), match="nested more than 6"):
        cur.execute("select %s", (loop,))
    deep: list[object] = [1]
    for _ in range(6):
        deep = [deep]
    with pytest.raises(middleware.DataError, match="at most 6 dimensions"):
        cur.execute("select %s", (deep,))
    cur.execute("select %s::int[]", ([[[[[[1]]]]]],))
    assert cur.fetchone() == ([[[[[[1]]]]]],)
    cur.execute("select 1")
    assert cur.fetchone() == (1,), "the connection is fine afterwards"


def test_bytea_array_parameters_round_trip_exactly(as_user: AsUser) -> None:
    as_user("alice")
    conn = middleware.connect()
    conn.autocommit = True
    cur = conn.cursor()
    blobs = [b"\x00\x01", b"\\", b"", b'"{,}\\x', bytes(range(256)), None]
    cur.execute("select %s::bytea[]", (blobs,))
    assert cur.fetchone() == (blobs,)
    cur.execute("create temp table blobs (b bytea[])")
    cur.execute("insert into blobs (b) values (%s)", ([b"\x00\x01"],))
    cur.execute("select octet_length(b[1]), b[1] from blobs")
    assert cur.fetchone() == (2, b"\x00\x01")
    cur.execute("select %s::bytea[][]", ([[b"\x00"], [b"\xff"]],))
    assert cur.fetchone() == ([[b"\x00"], [b"\xff"]],)


def test_cli_prints_dates_and_timestamps_beyond_chronos_range(local_stack: Stack) -> None:
    from conftest import run_cli

    env = local_stack.env_for("alice")
    sql = (
        "select date '300000-01-01' as d, date '5874897-12-31' as last, timestamp '294276-12-31 23:59:59.5' as ts,"
        " timestamptz '294276-01-01 00:00:00+00' as tz, date 'infinity' as inf, timestamp '-infinity' as ninf,"
        " time '24:00' as t, date '0001-01-01' - 1 as bc"
    )
    for fmt in ("csv", "json", "table"):
        done = run_cli("query", sql, "--format", fmt, env=env)
        assert done.returncode == 0, done.stderr
        assert "panick" not in done.stderr.lower()
        for expected in (
            "300000-01-01",
            "5874897-12-31",
            "294276-12-31T23:59:59.500",
            "294276-01-01T00:00:00+00:00",
            "infinity",
            "-infinity",
            "24:00:00",
            "0000-12-31",
        ):
            assert expected in done.stdout, (fmt, expected, done.stdout)
    csv = run_cli("query", sql, "--format", "csv", env=env).stdout.splitlines()
    assert csv[1] == (
        "300000-01-01,5874897-12-31,294276-12-31T23:59:59.500,294276-01-01T00:00:00+00:00,infinity,-infinity,"
        "24:00:00,0000-12-31"
    )


def test_doctor_with_a_multibyte_access_key_id_does_not_panic(local_stack: Stack) -> None:
    from conftest import run_cli

    env = local_stack.env_for("alice")
    env.pop("AWS_PROFILE")
    env.update(AWS_ACCESS_KEY_ID="AKIA123é456789", AWS_SECRET_ACCESS_KEY="not-a-secret")
    done = run_cli("doctor", env=env)
    assert "panick" not in done.stderr.lower() and "Traceback" not in done.stderr
    assert done.returncode == 1
    assert "access key AKIA123é…" in done.stdout
