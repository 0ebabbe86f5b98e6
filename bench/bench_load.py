"""32 threads sharing the module, each with its own connection, 500 queries
each (every 25th a timeout that cancels on the server), in 5 rounds:
throughput, latency percentiles and RSS by round."""

from __future__ import annotations

import contextlib
import os
import statistics
import threading
import time

import middleware

from stack import Stack

THREADS, QUERIES, ROUNDS = 32, 500, 5


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run(info: Stack) -> None:
    os.environ["AWS_PROFILE"] = "alice"
    conns = [middleware.connect() for _ in range(THREADS)]
    for conn in conns:
        conn.autocommit = True
    latencies: list[float] = []
    lock = threading.Lock()
    rss = []

    def work(n: int) -> None:
        cur = conns[n].cursor()
        mine = []
        for i in range(QUERIES // ROUNDS):
            t0 = time.perf_counter()
            if i % 25 == 0:
                with contextlib.suppress(middleware.QueryTimeout):
                    conns[n].query_with_timeout("select pg_sleep(5)", timeout=0.05)
            else:
                cur.execute("select %s::int * 2, repeat('x', 100)", (i,))
                cur.fetchone()
                mine.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    for _ in range(ROUNDS):
        threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rss.append(rss_mb())
    total = time.perf_counter() - started
    for conn in conns:
        conn.close()
    q = statistics.quantiles(latencies, n=100)
    print(f"\n### Load: {THREADS} threads x {QUERIES} queries (every 25th a 50 ms timeout)\n")
    print("| queries/s | p50 | p99 | RSS by round (MB) |")
    print("|---|---|---|---|")
    print(
        f"| {THREADS * QUERIES / total:,.0f} | {q[49] * 1e3:.2f} ms | {q[98] * 1e3:.2f} ms "
        f"| {', '.join(f'{r:.0f}' for r in rss)} |"
    )
