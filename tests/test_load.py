"""Load: many threads, each with its own connection, mixed with timeouts; and
the secret cache under concurrent first access (one KMS Decrypt)."""

from __future__ import annotations

import http.client
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

import middleware

from conftest import admin_sql, wait_until
from fix_stack import AsUser
from stack import Stack

THREADS = 32
QUERIES = 500
ROUNDS = 5

pytestmark = [pytest.mark.slow, pytest.mark.load]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def backends(info: Stack) -> int:
    rows = admin_sql(info, "select count(*) from pg_stat_activity where usename in ('read_only', 'read_write')")
    return int(rows[0][0])


@pytest.mark.timeout(600)
def test_threads_with_timeouts_do_not_deadlock_leak_or_grow(as_user: AsUser, local_stack: Stack) -> None:
    as_user("alice")
    baseline = backends(local_stack)
    conns = [middleware.connect() for _ in range(THREADS)]
    for conn in conns:
        conn.autocommit = True
    errors: list[BaseException] = []
    timeouts = [0] * THREADS
    rss: list[float] = []

    def work(n: int, round_: int) -> None:
        try:
            cur = conns[n].cursor()
            i = -1
            for i in range(QUERIES // ROUNDS):
                if i % 25 == 0:
                    try:
                        conns[n].query_with_timeout("select pg_sleep(5)", timeout=0.05)
                    except middleware.QueryTimeout:
                        timeouts[n] += 1
                else:
                    cur.execute("select %s::int * 2, repeat('x', 100)", (i,))
                    assert cur.fetchone() == (i * 2, "x" * 100)
        except BaseException as e:
            errors.append(RuntimeError(f"thread {n} round {round_} query {i}: {e!r}"))

    for round_ in range(ROUNDS):
        threads = [threading.Thread(target=work, args=(n, round_)) for n in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rss.append(rss_mb())
    assert errors == []
    assert sum(timeouts) == THREADS * ROUNDS * (QUERIES // ROUNDS // 25)
    # Stable: after the first round warmed everything up, memory does not keep growing.
    assert rss[-1] - rss[1] < 25, f"RSS by round (MB): {[round(r) for r in rss]}"
    for conn in conns:
        conn.close()
    assert wait_until(lambda: backends(local_stack) <= baseline, 5), "server backends leaked"


class CountingProxy:
    """Forwards AWS requests to moto unchanged (Host header included, so the
    signatures still verify) and counts them by operation."""

    def __init__(self, target: str) -> None:
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()
        proxy = self
        upstream = urlparse(target)

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                op = self.headers.get("X-Amz-Target")
                if op is None:  # the query protocol (STS, IAM) names the action in the body
                    action = [p for p in body.decode(errors="replace").split("&") if p.startswith("Action=")]
                    op = action[0] if action else "unknown"
                with proxy.lock:
                    proxy.counts[op] = proxy.counts.get(op, 0) + 1
                conn = http.client.HTTPConnection(str(upstream.hostname), upstream.port, timeout=30)
                conn.putrequest("POST", self.path, skip_host=True, skip_accept_encoding=True)
                for key, value in self.headers.items():
                    conn.putheader(key, value)
                conn.endheaders(body)
                reply = conn.getresponse()
                data = reply.read()
                self.send_response(reply.status)
                for key, value in reply.getheaders():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(local_stack: Stack) -> Iterator[CountingProxy]:
    p = CountingProxy(local_stack.moto_url)
    yield p
    p.close()


def test_concurrent_first_reads_share_one_kms_decrypt(
    as_user: AsUser, proxy: CountingProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_user("alice")
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    middleware.clear_cache()
    ctx = {"database": "analytics", "db_user": "read_only"}
    results: list[str] = []
    barrier = threading.Barrier(16)

    def read() -> None:
        barrier.wait()
        results.append(middleware.get_secret("analytics.read_only.password", context=ctx))

    threads = [threading.Thread(target=read) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 16 and len(set(results)) == 1
    assert proxy.counts.get("TrentService.Decrypt") == 1, proxy.counts
    assert proxy.counts.get("DynamoDB_20120810.Query") == 1, proxy.counts


def test_the_identity_check_costs_one_sts_call_per_process_and_credentials(
    local_stack: Stack, proxy: CountingProxy
) -> None:
    code = "import middleware\nfor _ in range(3): middleware.connect().close()\n"
    code += "middleware.whoami()\nmiddleware.check_access()\n"
    env = local_stack.env_for("bob", AWS_ENDPOINT_URL=proxy.url)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert proxy.counts.get("Action=GetCallerIdentity") == 1, proxy.counts
