"""Faults: each gives a clear error in bounded time, never a hang, and the
next call recovers. PostgreSQL restarted or killed, an AWS endpoint that
fails, throttles or stalls, AWS keys rotated mid-process."""

from __future__ import annotations

import http.server
import re
import subprocess
import threading
import time
from collections.abc import Iterator

import boto3
import pytest

import middleware

from fix_proxy import TcpProxy
from fix_stack import AsUser
from stack import Stack, User


def pg_ctl(info: Stack, *args: str) -> None:
    # The server's output goes to its log: a pipe here would be held open by
    # the postmaster and never reach EOF.
    subprocess.run(
        [*info.pg_ctl, "-D", info.pg_data, "-l", info.pg_log, *args],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=60,
    )


def pg_start(info: Stack) -> None:
    pg_ctl(info, "-w", "-o", info.pg_options, "start")


def test_a_restart_between_queries_is_invisible_to_the_module_api(as_user: AsUser, local_stack: Stack) -> None:
    as_user("alice")
    assert middleware.query_with_timeout("select 1")[0] == (1,)
    pg_ctl(local_stack, "-m", "fast", "-w", "restart")
    time.sleep(0.3)  # the driver sees the server close the socket
    assert middleware.query_with_timeout("select 2")[0] == (2,)


@pytest.mark.timeout(60)
def test_a_restart_during_a_query_is_an_operational_error_then_recovery(as_user: AsUser, local_stack: Stack) -> None:
    as_user("alice")
    conn = middleware.connect()
    conn.autocommit = True
    threading.Timer(1.0, pg_ctl, args=(local_stack, "-m", "immediate", "-w", "restart")).start()
    started = time.monotonic()
    with pytest.raises(middleware.OperationalError):
        conn.query_with_timeout("select pg_sleep(20)", timeout=30)
    assert time.monotonic() - started < 6
    assert conn.closed
    time.sleep(1)
    assert middleware.connect().query_with_timeout("select 3")[0] == (3,)


@pytest.mark.timeout(60)
def test_a_stopped_server_fails_fast_and_a_restarted_one_works(as_user: AsUser, local_stack: Stack) -> None:
    as_user("alice")
    middleware.connect().close()  # secret cached
    pg_ctl(local_stack, "-m", "immediate", "-w", "stop")
    try:
        started = time.monotonic()
        with pytest.raises(middleware.OperationalError, match="refused.*running"):
            middleware.connect()
        assert time.monotonic() - started < 5
    finally:
        pg_start(local_stack)
    assert middleware.connect().query_with_timeout("select 4")[0] == (4,)


class FakeAws:
    """An AWS endpoint of the test's own that answers every request with one
    failure (or never answers), counting the attempts."""

    def __init__(self, mode: str) -> None:
        self.attempts = 0
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake.attempts += 1
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if mode == "stall":
                    time.sleep(30)
                    return
                status, code = (500, "InternalFailure") if mode == "5xx" else (400, "ThrottlingException")
                body = f'{{"__type": "{code}", "message": "fake {code}"}}'.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(params=["5xx", "throttling", "stall"])
def fake_aws(request: pytest.FixtureRequest) -> Iterator[FakeAws]:
    fake = FakeAws(request.param)
    yield fake
    fake.close()


@pytest.mark.timeout(90)
def test_aws_failures_are_retried_then_reported_within_bounds(
    as_user: AsUser, fake_aws: FakeAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_user("alice")
    monkeypatch.setenv("AWS_ENDPOINT_URL", fake_aws.url)
    started = time.monotonic()
    with pytest.raises(middleware.OperationalError) as caught:
        middleware.get_secret("analytics.read_only.password")
    took = time.monotonic() - started
    assert took < 25, f"took {took:.1f}s: bounded by the 20 s operation timeout"
    text = str(caught.value)
    assert re.search(r"InternalFailure|ThrottlingException|timed out|timeout", text, re.I), text
    assert fake_aws.attempts >= 2, "the SDK retried"
    monkeypatch.undo()  # the real endpoint again: the next call recovers


def test_rotated_aws_keys_are_picked_up_mid_process(
    as_user: AsUser, local_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_user("alice")
    monkeypatch.setenv("MIDDLEWARE_CREDSTASH_CACHE_TTL", "0")
    ctx = {"database": "analytics", "db_user": "read_only"}
    before = middleware.get_secret("analytics.read_only.password", context=ctx)
    credentials = local_stack.aws_credentials
    text = credentials.read_text()
    old_id = local_stack.users["alice"].key_id
    iam = boto3.Session(profile_name="admin").client("iam")
    new = iam.create_access_key(UserName="alice")["AccessKey"]
    iam.delete_access_key(UserName="alice", AccessKeyId=old_id)
    old_secret = local_stack.users["alice"].secret_key
    credentials.write_text(text.replace(old_id, new["AccessKeyId"]).replace(old_secret, new["SecretAccessKey"]))
    local_stack.users["alice"] = User(local_stack.users["alice"].arn, new["AccessKeyId"], new["SecretAccessKey"])
    time.sleep(0.01)
    assert middleware.get_secret("analytics.read_only.password", context=ctx) == before
    assert middleware.whoami().arn == local_stack.users["alice"].arn


@pytest.mark.timeout(60)
def test_a_stalled_or_reset_network_is_bounded(as_user: AsUser, local_stack: Stack) -> None:
    as_user("alice")
    stalled = TcpProxy(local_stack.pg_port)
    stalled.stalled.set()  # nothing gets through, not even the TLS handshake
    try:
        started = time.monotonic()
        with pytest.raises(middleware.OperationalError, match="timed out"):
            middleware.connect(host="127.0.0.1", port=stalled.port, connect_timeout=2)
        assert time.monotonic() - started < 4
    finally:
        stalled.close()

    reset = TcpProxy(local_stack.pg_port)
    try:
        conn = middleware.connect(host="127.0.0.1", port=reset.port)
        conn.autocommit = True
        threading.Timer(0.5, reset.close).start()  # the network drops mid-query
        started = time.monotonic()
        with pytest.raises(middleware.OperationalError, match="lost|closed"):
            conn.query_with_timeout("select pg_sleep(10)", timeout=30)
        assert time.monotonic() - started < 3
        assert conn.closed
    finally:
        reset.close()


@pytest.mark.timeout(60)
def test_a_slow_network_is_slow_but_correct_and_timeouts_still_hold(as_user: AsUser, local_stack: Stack) -> None:
    as_user("alice")
    slow = TcpProxy(local_stack.pg_port, delay=0.05)
    try:
        conn = middleware.connect(host="127.0.0.1", port=slow.port)
        conn.autocommit = True
        assert conn.query_with_timeout("select count(*) from sales")[0] == (1000,)
        started = time.monotonic()
        with pytest.raises(middleware.QueryTimeout):
            conn.query_with_timeout("select pg_sleep(10)", timeout=0.5)
        # The limit, then a cancel over the slow link (a TLS handshake and the
        # server's close, a few 50 ms chunks each way) and the drain.
        assert time.monotonic() - started < 0.5 + 2.5
        assert conn.query_with_timeout("select 5")[0] == (5,)
    finally:
        slow.close()


def test_revoked_aws_keys_get_a_clear_message_then_new_ones_work(
    as_user: AsUser, local_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_user("bob")
    monkeypatch.setenv("MIDDLEWARE_CREDSTASH_CACHE_TTL", "0")
    ctx = {"database": "analytics", "db_user": "read_only"}
    before = middleware.get_secret("analytics.read_only.password", context=ctx)
    iam = boto3.Session(profile_name="admin").client("iam")
    old_id, old_secret = local_stack.users["bob"].key_id, local_stack.users["bob"].secret_key
    iam.delete_access_key(UserName="bob", AccessKeyId=old_id)  # revoked (or expired) under our feet
    with pytest.raises(middleware.OperationalError, match="AWS rejected your credentials"):
        middleware.get_secret("analytics.read_only.password", context=ctx)
    new = iam.create_access_key(UserName="bob")["AccessKey"]
    credentials = local_stack.aws_credentials
    text = credentials.read_text().replace(old_id, new["AccessKeyId"]).replace(old_secret, new["SecretAccessKey"])
    credentials.write_text(text)
    local_stack.users["bob"] = User(local_stack.users["bob"].arn, new["AccessKeyId"], new["SecretAccessKey"])
    assert middleware.get_secret("analytics.read_only.password", context=ctx) == before
