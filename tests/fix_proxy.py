"""A TCP proxy of the tests' own, between the client and PostgreSQL, for what a
real server cannot show: a link that stalls, or one with latency.

    proxy = TcpProxy(stack.pg_port)      # or the `tcp_proxy` fixture
    conn = middleware.connect(host="127.0.0.1", port=proxy.port)
    proxy.latency = 0.4                  # from now on, server->client bytes arrive 0.4 s late
    proxy.stalled.set()                  # nothing moves (new connections included)

Latency is a constant delay per chunk (a pipe, not a queue of sleeps): each
chunk is sent when its due time comes, so throughput is unchanged.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from stack import Stack


class TcpProxy:
    """Forwards every connection to 127.0.0.1:`target`."""

    def __init__(self, target: int, delay: float = 0.0) -> None:
        self.target = target
        #: Seconds added to every chunk, both ways, by sleeping (a slow link).
        self.delay = delay
        #: Seconds of one-way latency on the server->client side.
        self.latency = 0.0
        self.stalled = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.server.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                client.close()
                continue
            self.connections += 1
            self.sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, from_server: bool) -> None:
        due: list[tuple[float, int, bytes]] = []
        order = itertools.count()
        ready = threading.Condition()
        done = threading.Event()

        def sender() -> None:
            try:
                while True:
                    with ready:
                        while not due and not done.is_set():
                            ready.wait(0.05)
                        if not due and done.is_set():
                            break
                        at, _, chunk = due[0]
                        wait = at - time.monotonic()
                        if wait > 0:
                            ready.wait(min(wait, 0.05))
                            continue
                        heapq.heappop(due)
                    dst.sendall(chunk)
            except OSError:
                pass
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

        thread = threading.Thread(target=sender, daemon=True)
        thread.start()
        try:
            while data := src.recv(65536):
                while self.stalled.is_set():
                    time.sleep(0.05)
                if self.delay:
                    time.sleep(self.delay)
                latency = self.latency if from_server else 0.0
                with ready:
                    heapq.heappush(due, (time.monotonic() + latency, next(order), data))
                    ready.notify()
        except OSError:
            pass
        done.set()
        with ready:
            ready.notify()

    def close(self) -> None:
        self.stalled.clear()
        self.server.close()
        for s in self.sockets:
            # shutdown() first: close() alone neither wakes a thread blocked
            # in recv() nor sends the FIN while that thread holds the socket.
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


@pytest.fixture
def tcp_proxy(local_stack: Stack) -> Iterator[TcpProxy]:
    """A proxy in front of the stack's PostgreSQL, closed after the test."""
    proxy = TcpProxy(local_stack.pg_port)
    try:
        yield proxy
    finally:
        proxy.close()
