"""middleware: database access for data teams.

Reads database passwords from a credstash store (AWS DynamoDB + KMS), checks
that the calling AWS identity may use the database user it asks for, and hands
back PostgreSQL / Amazon Redshift connections whose queries are bounded by a
timeout. Importing this package does no I/O and starts nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from middleware._core import (
    Connection,
    Cursor,
    Identity,
    SecretInfo,
    __version__,
    check_access,
    clear_cache,
    connect,
    create_table,
    delete_secret,
    get_all_secrets,
    get_secret,
    get_secret_bytes,
    list_secrets,
    put_secret,
    query_with_timeout,
    whoami,
)
from middleware.dbapi import (
    BINARY,
    DATETIME,
    NUMBER,
    ROWID,
    STRING,
    Binary,
    Date,
    DateFromTicks,
    Time,
    TimeFromTicks,
    Timestamp,
    TimestampFromTicks,
)
from middleware.exceptions import (
    AccessDenied,
    ConfigError,
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    KmsError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    QueryTimeout,
    SecretIntegrityError,
    SecretNotFound,
    Warning,
)
from middleware.rows import Rows

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


def __getattr__(name: str) -> object:
    # `middleware.errors` (a class per SQLSTATE) costs ~15 ms to import, and
    # asyncio more: both load on first use, not at `import middleware`.
    if name == "errors":
        import middleware.errors

        return middleware.errors
    if name == "aio":
        import middleware.aio

        return middleware.aio
    raise AttributeError(f"module 'middleware' has no attribute {name!r}")


def create_engine(database: str | None = None, user: str | None = None, **kwargs: Any) -> Engine:
    """A SQLAlchemy engine on ``database`` as the database ``user`` (``pip install 'middleware[sqlalchemy]'``).

    Every new pooled connection goes through :func:`connect`: the access check,
    credstash, a refreshed password after a rotation. ``connect()``'s keywords
    (``profile``, ``timeout``, ``sslmode``, ...) are passed to it; the rest go to
    :func:`sqlalchemy.create_engine` (``pool_pre_ping=True``, ``echo``, ...).
    The same as ``sqlalchemy.create_engine("postgresql+middleware://USER@/DATABASE")``.
    """
    from middleware.sqlalchemy import create_engine as create

    return create(database, user, **kwargs)


#: PEP 249 module globals.
apilevel = "2.0"
threadsafety = 1
paramstyle = "pyformat"

__all__ = [
    "BINARY",
    "DATETIME",
    "NUMBER",
    "ROWID",
    "STRING",
    "AccessDenied",
    "Binary",
    "ConfigError",
    "Connection",
    "Cursor",
    "DataError",
    "DatabaseError",
    "Date",
    "DateFromTicks",
    "Error",
    "Identity",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "KmsError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "QueryTimeout",
    "Rows",
    "SecretInfo",
    "SecretIntegrityError",
    "SecretNotFound",
    "Time",
    "TimeFromTicks",
    "Timestamp",
    "TimestampFromTicks",
    "Warning",
    "__version__",
    "apilevel",
    "check_access",
    "clear_cache",
    "connect",
    "create_engine",
    "create_table",
    "delete_secret",
    "get_all_secrets",
    "get_secret",
    "get_secret_bytes",
    "list_secrets",
    "paramstyle",
    "put_secret",
    "query_with_timeout",
    "threadsafety",
    "whoami",
]
