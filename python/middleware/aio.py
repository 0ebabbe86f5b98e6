"""middleware for asyncio: the names of the sync API, awaitable.

    conn = await middleware.aio.connect("analytics")
    async with conn:
        rows = await conn.query_with_timeout("select ...", timeout=30)
        cur = conn.cursor()
        await cur.execute("select %s::int", (1,))
        print(await cur.fetchall())
    rows = await middleware.aio.query_with_timeout("select 1")

Work runs on middleware's one background runtime (no thread per call); the
results come back to the event loop that awaited them. Cancelling the
awaiting task cancels the query on the server (bounded, as a timeout does),
and the connection is usable afterwards, or closed when the cancel could not
be confirmed. Calls on one connection wait their turn. Errors are the same
classes with the same messages as the sync API.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import AsyncIterator, Generator, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any

from middleware import _core
from middleware._core import Identity
from middleware.exceptions import InterfaceError, ProgrammingError
from middleware.rows import Rows

__all__ = [
    "AsyncConnection",
    "AsyncCursor",
    "AsyncRowStream",
    "check_access",
    "connect",
    "query_with_timeout",
    "whoami",
]

_Params = Sequence[Any] | Mapping[str, Any] | None


class _Loop:
    """One event loop's link to the runtime: work it started, by id, and the
    socket that wakes it when some finished."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.core = _core.Completions()
        self.waiting: dict[int, asyncio.Future[Any]] = {}
        loop.add_reader(self.core.fileno(), self._wake)
        weakref.finalize(self, _forget_reader, weakref.ref(loop), self.core.fileno())

    def _wake(self) -> None:
        for ident, ok, value in self.core.drain():
            future = self.waiting.pop(ident, None)
            if future is None or future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    async def wait(self, ident: int) -> Any:
        future = self.loop.create_future()
        self.waiting[ident] = future
        try:
            return await future
        except asyncio.CancelledError:
            # The task was cancelled: the work stops on the server too.
            self.waiting.pop(ident, None)
            self.core.interrupt(ident)
            raise


def _forget_reader(loop: weakref.ref[asyncio.AbstractEventLoop], fd: int) -> None:
    live = loop()
    if live is not None and not live.is_closed():
        live.remove_reader(fd)


_loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Loop] = weakref.WeakKeyDictionary()


def _here() -> _Loop:
    loop = asyncio.get_running_loop()
    link = _loops.get(loop)
    if link is None:
        link = _loops[loop] = _Loop(loop)
    return link


class AsyncRowStream:
    """What `AsyncCursor.stream()` returns: `async for row in ...`, rows as
    they arrive with bounded memory. Leaving early (`aclose()`, `async with`,
    or cancelling the task) cancels the statement on the server."""

    def __init__(self, feed: Any) -> None:
        self._feed: Any = feed
        self._rows: list[tuple[Any, ...]] = []
        self._position = 0
        self.description: list[tuple[Any, ...]] | None = None
        self.rowcount = -1

    def __aiter__(self) -> AsyncRowStream:
        return self

    async def __anext__(self) -> tuple[Any, ...]:
        while self._position >= len(self._rows):
            if self._feed is None:
                raise StopAsyncIteration
            link = _here()
            try:
                description, rows, count = await link.wait(link.core.stream_next(self._feed))
            except BaseException:
                self._feed = None
                raise
            if self.description is None:
                self.description = description
            if rows is None:
                self._feed, self.rowcount = None, count
                raise StopAsyncIteration
            self._rows, self._position = rows, 0
        row = self._rows[self._position]
        self._position += 1
        return row

    async def aclose(self) -> None:
        if self._feed is not None:
            self._feed.close()
            self._feed = None
        self._rows, self._position = [], 0

    async def __aenter__(self) -> AsyncRowStream:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


class AsyncCursor:
    """A cursor of an `AsyncConnection`: `await execute(...)`, then fetch."""

    arraysize: int = 1

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self.description: list[tuple[Any, ...]] | None = None
        self.rowcount = -1
        self._rows: list[tuple[Any, ...]] = []
        self._position = 0
        self.closed = False

    def _check(self) -> None:
        if self.closed:
            raise InterfaceError("the cursor is closed")

    async def execute(self, operation: str, parameters: _Params = None) -> AsyncCursor:
        self._check()
        description, rows, count = await self.connection._run(operation, parameters, None, rows=False)
        self.description, self._rows, self.rowcount, self._position = description, rows, count, 0
        return self

    async def executemany(
        self, operation: str, seq_of_parameters: Iterable[_Params], *, timeout: Any = None
    ) -> AsyncCursor:
        """As `Cursor.executemany`: pipelined, all or nothing; `timeout` bounds the batch."""
        self._check()
        link = _here()
        _, _, count = await link.wait(
            link.core.execute_many(self.connection._session, operation, seq_of_parameters, timeout)
        )
        self.description, self._rows, self.rowcount, self._position = None, [], count, 0
        return self

    def stream(self, sql: str, params: _Params = None) -> AsyncRowStream:
        """As `Cursor.stream`: `async for row in cur.stream(sql):` rows as they
        arrive, bounded memory; leaving early cancels the statement."""
        self._check()
        link = _here()
        return AsyncRowStream(link.core.stream(self.connection._session, sql, params))

    def _fetched(self, n: int | None) -> list[tuple[Any, ...]]:
        self._check()
        if self.description is None:
            raise ProgrammingError("no results to fetch: the last statement returned no rows")
        end = len(self._rows) if n is None else min(self._position + n, len(self._rows))
        out = self._rows[self._position : end]
        self._position = end
        return out

    async def fetchone(self) -> tuple[Any, ...] | None:
        rows = self._fetched(1)
        return rows[0] if rows else None

    async def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        return self._fetched(self.arraysize if size is None else size)

    async def fetchall(self) -> list[tuple[Any, ...]]:
        return self._fetched(None)

    def __aiter__(self) -> AsyncIterator[tuple[Any, ...]]:
        return self

    async def __anext__(self) -> tuple[Any, ...]:
        row = await self.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row

    async def close(self) -> None:
        self.closed = True
        self._rows = []

    async def __aenter__(self) -> AsyncCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class AsyncConnection:
    """An asyncio connection to one database as one database user (use
    `await middleware.aio.connect(...)`). Calls on it wait their turn."""

    def __init__(self, session: _core.AsyncSession) -> None:
        self._session = session

    @property
    def database(self) -> str:
        return self._session.database

    @property
    def user(self) -> str:
        return self._session.user

    @property
    def closed(self) -> bool:
        return self._session.closed

    @property
    def autocommit(self) -> bool:
        return self._session.autocommit

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        self._session.autocommit = value

    async def _run(self, sql: str, params: _Params, timeout: Any, *, rows: bool) -> Any:
        link = _here()
        return await link.wait(link.core.execute(self._session, sql, params, timeout, rows))

    def cursor(self) -> AsyncCursor:
        if self._session.closed:
            raise InterfaceError("the connection is closed")
        return AsyncCursor(self)

    async def query_with_timeout(self, sql: str, params: _Params = None, timeout: Any = None) -> Rows:
        """As `Connection.query_with_timeout`: bounded by `timeout` (seconds or
        timedelta; default the connection's), cancelled on the server on
        expiry; `QueryTimeout.cancelled` tells whether the server confirmed it."""
        result: Rows = await self._run(sql, params, timeout, rows=True)
        return result

    async def query_arrow(self, sql: str, params: _Params = None, *, timeout: Any = None) -> Any:
        """As `Connection.query_arrow`: awaits the first record batch, then
        returns the `ArrowStream` (`pyarrow.table(x)`, polars, DuckDB). Reading
        the rest blocks the reading thread: `await asyncio.to_thread(pa.table, x)`
        keeps the loop free."""
        link = _here()
        return await link.wait(link.core.query_arrow(self._session, sql, params, timeout))

    async def commit(self) -> None:
        link = _here()
        await link.wait(link.core.end(self._session, True))

    async def rollback(self) -> None:
        link = _here()
        await link.wait(link.core.end(self._session, False))

    async def close(self) -> None:
        self._session.close()

    async def __aenter__(self) -> AsyncConnection:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Commits on success, rolls back on an exception, then closes (as psycopg)."""
        try:
            if not self.closed:
                await (self.rollback() if kind is not None else self.commit())
        finally:
            self._session.close()

    def __repr__(self) -> str:
        return repr(self._session)


class _Connecting:
    """`await connect(...)`, or `async with connect(...) as conn:`."""

    def __init__(self, opening: Any) -> None:
        self._opening = opening
        self._conn: AsyncConnection | None = None

    def __await__(self) -> Generator[Any, None, AsyncConnection]:
        return self._opening.__await__()  # type: ignore[no-any-return]

    async def __aenter__(self) -> AsyncConnection:
        self._conn = await self._opening
        return await self._conn.__aenter__()

    async def __aexit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._conn is not None:
            await self._conn.__aexit__(kind, value, tb)


async def _open(
    database: str | None, user: str | None, timeout: Any, overrides: dict[str, Any], autocommit: bool
) -> AsyncConnection:
    link = _here()
    session = await link.wait(link.core.connect(database, user, timeout, overrides or None, autocommit))
    return AsyncConnection(session)


def connect(database: str | None = None, user: str | None = None, *, timeout: Any = None, **overrides: Any) -> Any:
    """As `middleware.connect`, awaitable: `conn = await aio.connect("analytics")`."""
    return _Connecting(_open(database, user, timeout, overrides, False))


_cached: dict[tuple[str | None, str | None, int], AsyncConnection] = {}


async def query_with_timeout(
    sql: str, params: _Params = None, *, timeout: Any = None, database: str | None = None, user: str | None = None
) -> Rows:
    """As `middleware.query_with_timeout`: one autocommit connection per
    (database, user) in the process, replaced when it was closed."""
    key = (database, user, os.getpid())
    conn = _cached.get(key)
    if conn is None or conn.closed:
        conn = _cached[key] = await _open(database, user, None, {}, True)
    return await conn.query_with_timeout(sql, params, timeout)


async def whoami(*, profile: str | None = None) -> Identity:
    """As `middleware.whoami`."""
    link = _here()
    result: Identity = await link.wait(link.core.whoami(profile))
    return result


async def check_access(database: str | None = None, user: str | None = None, *, profile: str | None = None) -> None:
    """As `middleware.check_access`: None, or raises AccessDenied."""
    link = _here()
    await link.wait(link.core.check_access(database, user, profile))
