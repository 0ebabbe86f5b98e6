"""Who did what: the core's records in Python's logging, an audit record per
connect and query, a JSON-lines sink, and application_name naming the human."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

import middleware

from conftest import admin_sql, run_cli
from fix_stack import AsUser
from stack import Stack


def audits(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "middleware.audit"]


def test_core_records_reach_python_logging(as_user: AsUser, caplog: pytest.LogCaptureFixture) -> None:
    as_user("alice")
    caplog.set_level(logging.DEBUG, logger="middleware")
    conn = middleware.connect()
    conn.query_with_timeout("select 1")
    names = {r.name for r in caplog.records}
    assert {"middleware.aws", "middleware.pg", "middleware.broker"} <= names, names
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("AWS kms TrentService.Decrypt") for m in messages), messages
    assert any(m.startswith("AWS dynamodb DynamoDB_20120810.Query") for m in messages), messages
    assert any("connected to read_only@localhost" in m and "sslmode=verify-full" in m for m in messages), messages
    assert any(m.startswith("query ok") and "select 1" in m for m in messages), messages


def test_nothing_is_recorded_when_logging_is_off(as_user: AsUser, caplog: pytest.LogCaptureFixture) -> None:
    as_user("alice")
    caplog.set_level(logging.WARNING, logger="middleware")
    middleware.connect().query_with_timeout("select 1")
    assert [r for r in caplog.records if r.name.startswith("middleware")] == []


def test_an_audit_record_per_connect_and_query(as_user: AsUser, caplog: pytest.LogCaptureFixture) -> None:
    as_user("alice")
    caplog.set_level(logging.INFO, logger="middleware.audit")
    conn = middleware.connect()
    conn.query_with_timeout("select g from generate_series(1, 3) g")
    with pytest.raises(middleware.QueryTimeout):
        conn.query_with_timeout("select pg_sleep(2)", timeout=0.2)
    with pytest.raises(middleware.ProgrammingError):
        conn.cursor().execute("selec 1")
    as_user("bob")
    with pytest.raises(middleware.AccessDenied):
        middleware.connect(user="read_write")
    got = [(r.event, r.outcome, r.db_user, getattr(r, "rows", None), r.sqlstate) for r in audits(caplog)]  # type: ignore[attr-defined]
    assert got == [
        ("connect", "ok", "read_only", None, None),
        ("query", "ok", "read_only", 3, None),
        ("query", "timeout", "read_only", None, "57014"),
        ("query", "error", "read_only", None, "42601"),
        ("connect", "denied", "read_write", None, None),
    ]
    arns = [r.arn for r in audits(caplog)]  # type: ignore[attr-defined]
    assert all(a.endswith(":user/alice") for a in arns[:4]) and arns[4].endswith(":user/bob")
    assert all(r.database == "analytics" and r.duration_ms >= 0 for r in audits(caplog))  # type: ignore[attr-defined]


def test_the_database_sees_the_human_behind_the_shared_user(as_user: AsUser, local_stack: Stack) -> None:
    as_user("alice")
    conn = middleware.connect()
    pid = conn.query_with_timeout("select pg_backend_pid()")[0][0]
    rows = admin_sql(local_stack, f"select usename, application_name from pg_stat_activity where pid = {pid}")
    assert rows == [("read_only", "middleware:alice")]


def test_the_json_lines_sink_and_a_failing_one(local_stack: Stack, tmp_path: Path) -> None:
    sink = tmp_path / "audit.jsonl"
    config = tmp_path / "middleware.toml"
    original = local_stack.config.read_text()
    config.write_text(f'{original}\n[audit]\nfile = "{sink}"\n')
    env = local_stack.env_for("alice", MIDDLEWARE_CONFIG=str(config))
    done = run_cli("query", "select 1 as one", env=env)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in sink.read_text().splitlines()]
    assert [(x["event"], x["outcome"], x["db_user"]) for x in lines] == [
        ("connect", "ok", "read_only"),
        ("query", "ok", "read_only"),
    ]
    assert lines[1]["rows"] == 1 and lines[0]["arn"].endswith(":user/alice") and "time" in lines[0]
    config.write_text(f'{original}\n[audit]\nfile = "{tmp_path}/no/such/dir/audit.jsonl"\n')
    failing = run_cli("query", "select 2 as two", env=env)
    assert failing.returncode == 0 and "2" in failing.stdout, "a failing sink never fails a query"
