"""The compiled core of middleware (Rust). Use the ``middleware`` package instead."""

import datetime
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, final

from middleware.rows import Rows

_Params = Sequence[Any] | Mapping[str, Any] | None
_Timeout = float | datetime.timedelta | None

__all__ = [
    "ArrowStream",
    "AsyncFeed",
    "AsyncSession",
    "Completions",
    "Connection",
    "Cursor",
    "Identity",
    "ResultSet",
    "RowStream",
    "SecretInfo",
    "__version__",
    "_fast_datetime",
    "check_access",
    "clear_cache",
    "connect",
    "create_table",
    "delete_secret",
    "get_all_secrets",
    "get_secret",
    "get_secret_bytes",
    "list_secrets",
    "put_secret",
    "query_with_timeout",
    "run_cli",
    "whoami",
]

__version__: str

def _fast_datetime() -> bool: ...
def run_cli(argv: list[str]) -> int:
    """Run the ``middleware`` command line with ``argv`` (program name first).

    Returns the exit code: 0 ok, 1 error, 2 usage, 3 access denied, 4 timeout.
    """

@final
class SecretInfo:
    """One stored version of a secret, as :func:`list_secrets` reports it."""

    __match_args__ = ("name", "version", "comment")
    @property
    def name(self) -> str:
        """The secret's name."""
    @property
    def version(self) -> str:
        """The version as stored: left-padded with zeros to 19 characters."""
    @property
    def comment(self) -> str | None:
        """The comment given when it was stored, if any."""
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

def get_secret(
    name: str,
    version: str | int | None = None,
    *,
    context: dict[str, str] | None = None,
    table: str | None = None,
    region: str | None = None,
) -> str:
    """Fetch and decrypt a credstash secret as text.

    ``version`` None means the latest. ``context`` is the KMS encryption context
    it was stored with. ``table`` and ``region`` override ``[credstash]``.
    Results are cached in-process for ``[credstash] cache_ttl`` (default 5 min).

    Raises SecretNotFound, KmsError (e.g. the context did not match),
    AccessDenied (AWS refused), SecretIntegrityError (tampered record, or a
    data key under a KMS key not in ``[credstash] decrypt_keys``), and
    DataError when the secret is not UTF-8 text (use get_secret_bytes).
    """

def get_secret_bytes(
    name: str,
    version: str | int | None = None,
    *,
    context: dict[str, str] | None = None,
    table: str | None = None,
    region: str | None = None,
) -> bytes:
    """Like :func:`get_secret`, returning the raw bytes (any record format)."""

def put_secret(
    name: str,
    value: str | bytes,
    version: str | int | None = None,
    *,
    autoversion: bool = False,
    context: dict[str, str] | None = None,
    digest: str = "SHA256",
    kms_key: str | None = None,
    comment: str | None = None,
    algorithm: str = "aes-ctr-legacy",
    table: str | None = None,
    region: str | None = None,
) -> str:
    """Encrypt and store a new version of a secret, in credstash's own format.

    ``version`` defaults to "1" (as ``credstash put``); ``autoversion=True``
    stores the latest numeric version + 1 instead. An existing version is
    never overwritten (ProgrammingError). ``digest`` is one of SHA, SHA224,
    SHA256, SHA384, SHA512, MD5. ``kms_key`` defaults to ``[credstash] kms_key``.
    ``algorithm="aes-gcm"`` writes credsmash's authenticated AES-GCM format
    instead (credstash itself cannot read it). Returns the stored version
    (zero-padded to 19 characters).
    """

def list_secrets(*, table: str | None = None, region: str | None = None) -> list[SecretInfo]:
    """Every name and version in the table (sorted), without decrypting anything."""

def get_all_secrets(
    version: str | int | None = None,
    *,
    context: dict[str, str] | None = None,
    table: str | None = None,
    region: str | None = None,
) -> dict[str, str]:
    """Decrypt the latest (or given) version of every secret.

    Fails as a whole, promptly, if any one secret cannot be read.
    """

def delete_secret(name: str, *, table: str | None = None, region: str | None = None) -> None:
    """Delete every version of a secret. SecretNotFound if there is none."""

def create_table(table: str | None = None, *, region: str | None = None) -> bool:
    """Create the credstash table as ``credstash setup`` does.

    Returns False when it already existed.
    """

def clear_cache() -> None:
    """Forget every decrypted secret, Redshift temporary password and RDS auth token cached in this process."""

@final
class Connection:
    """A PEP 249 connection to one database as one database user.

    ``autocommit`` is off: the first statement opens a transaction; call
    ``commit()`` or ``rollback()``. As a context manager it commits (or rolls
    back on an exception) and closes. The PEP 249 exception classes are
    available as attributes (``conn.Error``, ...).
    """

    @property
    def closed(self) -> bool:
        """True once closed, or when the server connection was lost."""
    @property
    def autocommit(self) -> bool:
        """Whether each statement commits by itself."""
    @autocommit.setter
    def autocommit(self, value: bool) -> None: ...
    @property
    def database(self) -> str:
        """The configured database name."""
    @property
    def user(self) -> str:
        """The database user."""
    def cursor(self, name: str | None = None) -> Cursor:
        """A new cursor. With a ``name``, a server-side cursor (psycopg's
        semantics): ``execute`` runs ``DECLARE name NO SCROLL CURSOR FOR ...``
        inside the transaction and fetches ``itersize`` rows per round trip;
        ``close()`` runs ``CLOSE``. Not in autocommit mode."""
    def query_arrow(self, sql: str, params: _Params = None, *, timeout: _Timeout = None) -> ArrowStream:
        """Run ``sql`` and return its result as Arrow record batches, built
        from the wire in Rust (no Python object per value), read through the
        Arrow PyCapsule stream interface: ``pyarrow.table(x)``,
        ``pyarrow.RecordBatchReader.from_stream(x)``, ``polars.from_arrow(x)``.
        Memory is bounded by a batch (65,536 rows). Errors up to the first
        batch are raised here; ``timeout`` as ``query_with_timeout``."""
    def commit(self) -> None:
        """Commit the open transaction, if any."""
    def rollback(self) -> None:
        """Roll back the open transaction, if any."""
    def close(self) -> None:
        """Close the connection (an open transaction is rolled back)."""
    def query_with_timeout(self, sql: str, params: _Params = None, timeout: _Timeout = None) -> Rows:
        """Run ``sql`` bounded by ``timeout`` (seconds or timedelta; default: the
        connection's, else the database's ``default_timeout``).

        On expiry a cancel is sent to the server. QueryTimeout with
        ``cancelled=True`` means the server confirmed it: the statement did not
        take effect, and the connection stays usable (after ``rollback()``
        inside a transaction). If the statement completed before the cancel
        landed, its result is returned. If neither could be confirmed in time,
        the connection is closed and QueryTimeout has ``cancelled=False``: the
        statement may have completed. A timeout above ``max_timeout`` is
        refused. No statement is ever sent twice.
        """
    def __getattr__(self, name: str) -> type[Exception]: ...
    def __enter__(self) -> Connection: ...
    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
        /,
    ) -> bool: ...

@final
class Cursor:
    """A PEP 249 cursor; ``execute`` fetches the whole result."""

    arraysize: int
    itersize: int
    """Rows a server-side cursor fetches per round trip (default 2000)."""
    @property
    def name(self) -> str | None:
        """The server-side cursor's name, or None for a client-side cursor."""
    @property
    def connection(self) -> Connection: ...
    @property
    def description(
        self,
    ) -> list[tuple[str, int, None, None, None, None, None]] | None:
        """(name, type OID, None x 5) per column of the last result."""
    @property
    def rowcount(self) -> int:
        """Rows affected or returned by the last statement; -1 if unknown."""
    @property
    def closed(self) -> bool: ...
    def execute(self, operation: str, parameters: _Params = None, *, timeout: _Timeout = None) -> Cursor:
        """Run one statement with ``%s`` / ``%(name)s`` placeholders.

        ``timeout`` (seconds or timedelta) bounds it as ``query_with_timeout``
        does (QueryTimeout, cancelled on the server); without it there is no limit.
        """
    def executemany(self, operation: str, seq_of_parameters: Sequence[_Params], *, timeout: _Timeout = None) -> Cursor:
        """Run ``operation`` once per parameter set, pipelined (the next set is
        sent before the previous one's answer is back) and all or nothing, as
        psycopg 3: in autocommit mode the batch runs in one transaction of its
        own, so a failing row leaves none of the batch behind; inside a
        transaction a failing row aborts it, as any error does. ``rowcount``
        is the total of rows affected. ``timeout`` bounds the whole batch (as
        ``execute``'s bounds one statement)."""
    def fetchone(self) -> tuple[Any, ...] | None: ...
    def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]: ...
    def fetchall(self) -> list[tuple[Any, ...]]: ...
    def fetch_arrow_table(self) -> Any:
        """The cursor's remaining rows as a ``pyarrow.Table``."""
    def close(self) -> None: ...
    def setinputsizes(self, sizes: Any) -> None: ...
    def setoutputsize(self, size: Any, column: Any = None) -> None: ...
    def query_with_timeout(self, sql: str, params: _Params = None, timeout: _Timeout = None) -> Rows: ...
    def stream(self, sql: str, params: _Params = None) -> RowStream:
        """Run ``sql`` and iterate over its rows as they arrive, with bounded
        memory (a few thousand rows at a time, held back on the socket while
        you work). Leaving the loop early, ``close()`` on the stream or on this
        cursor cancels the statement on the server; the connection stays
        usable (inside your own open transaction: after ``rollback()``). Bounded
        by ``connect(timeout=...)`` when one was given. Another statement on
        the connection while a stream is open raises ProgrammingError."""
    def __iter__(self) -> Iterator[tuple[Any, ...]]: ...
    def __next__(self) -> tuple[Any, ...]: ...
    def __enter__(self) -> Cursor: ...
    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
        /,
    ) -> bool: ...

@final
class ArrowStream:
    """What ``Connection.query_arrow()`` returns; read it once."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """The Arrow PyCapsule stream interface (``requested_schema`` ignored)."""
    def __arrow_c_schema__(self) -> object:
        """The Arrow PyCapsule schema interface: the result's schema, without reading."""
    def close(self) -> None:
        """Stop reading: the statement is cancelled on the server if it runs."""

@final
class RowStream:
    """What ``Cursor.stream()`` returns: an iterator of row tuples."""

    @property
    def description(
        self,
    ) -> list[tuple[str, int, None, None, None, None, None]] | None:
        """(name, type OID, None x 5) per column, once the first rows arrived."""
    @property
    def rowcount(self) -> int:
        """Rows returned, once the stream is exhausted; -1 before."""
    def close(self) -> None:
        """Stop reading: the statement is cancelled on the server."""
    def __iter__(self) -> Iterator[tuple[Any, ...]]: ...
    def __next__(self) -> tuple[Any, ...]: ...
    def __enter__(self) -> RowStream: ...
    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
        /,
    ) -> bool: ...

@final
class Identity:
    """The calling AWS identity and the database users it may use."""

    @property
    def arn(self) -> str: ...
    @property
    def account(self) -> str: ...
    @property
    def user_id(self) -> str: ...
    @property
    def allowed(self) -> dict[str, list[str]]:
        """{database: [users this identity may use there]}."""

def connect(
    database: str | None = None,
    user: str | None = None,
    *,
    timeout: _Timeout = None,
    **overrides: Any,
) -> Connection:
    """Connect to a configured database as a database user.

    ``database`` None means the first configured; ``user`` None its
    ``default_user``. The caller's AWS identity is checked against the access
    policy first (AccessDenied otherwise), then the password is read from
    credstash. ``timeout`` is this connection's default query timeout.
    ``overrides``: host, port, dbname, sslmode, sslrootcert, connect_timeout,
    default_timeout, and profile (the AWS profile to act as).
    """

def query_with_timeout(
    sql: str,
    params: _Params = None,
    *,
    timeout: _Timeout = None,
    database: str | None = None,
    user: str | None = None,
) -> Rows:
    """Run a query on a cached autocommit connection per (database, user)."""

def whoami(*, profile: str | None = None) -> Identity:
    """The caller's AWS identity (STS) and which users it may use per database."""

def check_access(database: str | None = None, user: str | None = None, *, profile: str | None = None) -> None:
    """Return None if the caller may use ``user`` on ``database``, else raise AccessDenied."""

@final
class ResultSet:
    """A query's rows as the server sent them (behind ``Rows``)."""

    def __len__(self) -> int: ...
    def tuples(self) -> list[tuple[Any, ...]]:
        """Every row as a tuple."""
    def arrow_columns(
        self,
    ) -> list[tuple[str, int, bytes | None, bytes | None, bytes | None, list[Any] | None]]:
        """Per column: (kind, null count, validity, data, offsets, objects) in Arrow's layout."""

@final
class AsyncFeed:
    """A running statement's rows for ``middleware.aio`` (``AsyncRowStream``)."""

    def close(self) -> None:
        """Stop reading: the statement is cancelled on the server."""

@final
class Completions:
    """One event loop's link to the runtime (behind ``middleware.aio``): work
    runs as tasks, finished work waits in a queue and wakes the loop through
    the socket ``fileno()``."""

    def __new__(cls) -> Completions: ...
    def fileno(self) -> int:
        """The socket the loop watches (``loop.add_reader``)."""
    def drain(self) -> list[tuple[int, bool, Any]]:
        """Finished work since the last call: ``(id, ok, result or exception)``."""
    def interrupt(self, id: int) -> None:
        """Stop work whose awaiting task was cancelled (cancels on the server)."""
    def connect(
        self,
        database: str | None = None,
        user: str | None = None,
        timeout: _Timeout = None,
        overrides: dict[str, Any] | None = None,
        autocommit: bool = False,
    ) -> int:
        """Start opening a connection; the result is an ``AsyncSession``."""
    def execute(
        self, conn: AsyncSession, sql: str, params: _Params = None, timeout: _Timeout = None, rows: bool = False
    ) -> int:
        """Start one statement: ``(description, tuples, rowcount)``, or ``Rows`` when ``rows``."""
    def execute_many(
        self, conn: AsyncSession, sql: str, seq_of_parameters: Iterable[_Params], timeout: _Timeout = None
    ) -> int:
        """Start ``sql`` once per parameter set, pipelined: ``(None, [], rowcount)``."""
    def stream(self, conn: AsyncSession, sql: str, params: _Params = None) -> AsyncFeed:
        """Start a statement whose rows are read batch by batch (``AsyncCursor.stream``)."""
    def stream_next(self, feed: AsyncFeed) -> int:
        """Start reading the next batch: ``(description, tuples, -1)``, or at the
        end ``(description, None, rowcount)``."""
    def query_arrow(self, conn: AsyncSession, sql: str, params: _Params = None, timeout: _Timeout = None) -> int:
        """Start ``query_arrow``; the result is an ``ArrowStream``."""
    def end(self, conn: AsyncSession, commit: bool) -> int:
        """Start a COMMIT (or ROLLBACK) of the open transaction, if any."""
    def whoami(self, profile: str | None = None) -> int:
        """Start finding the caller's identity; the result is an ``Identity``."""
    def check_access(self, database: str | None = None, user: str | None = None, profile: str | None = None) -> int:
        """Start the access pre-check; the result is None (or AccessDenied)."""

@final
class AsyncSession:
    """The session under a ``middleware.aio.AsyncConnection``."""

    autocommit: bool
    @property
    def database(self) -> str: ...
    @property
    def user(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> bool:
        """Drop the session; whether it was open."""
