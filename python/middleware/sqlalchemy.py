"""SQLAlchemy dialect: ``postgresql+middleware://[DB_USER]@/[DATABASE][?profile=...&timeout=...]``.

No password, host or port in the URL: each new pooled connection goes through
:func:`middleware.connect` (access pre-check, credstash with its cache, a fresh
password on 28P01), so a rotated or revoked credential takes effect on the
pool's next connection. pandas, JupySQL and polars use it through an engine::

    engine = sqlalchemy.create_engine("postgresql+middleware://read_only@/analytics?profile=alice")
    engine = middleware.create_engine("analytics", "read_only", profile="alice")

Registered as the ``postgresql.middleware`` entry point of ``sqlalchemy.dialects``.
Errors keep their text: ``sqlalchemy.exc.DBAPIError.orig`` is the middleware exception.

``stream_results=True`` (and pandas' ``chunksize=``) use server-side cursors
(``Connection.cursor(name=...)``: DECLARE/FETCH), so memory is bounded by a page.
"""

from __future__ import annotations

import decimal
import itertools
import json
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

try:
    from sqlalchemy import exc, util
    from sqlalchemy.dialects.postgresql import JSON, JSONB
    from sqlalchemy.dialects.postgresql.base import INTERVAL, PGDialect, PGExecutionContext
    from sqlalchemy.engine import URL, processors
    from sqlalchemy.sql import sqltypes
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("middleware's SQLAlchemy dialect needs SQLAlchemy 2: pip install 'middleware[sqlalchemy]'") from e

import middleware

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.engine.interfaces import ConnectArgsType, DBAPIConnection, DBAPICursor, IsolationLevel

__all__ = ["MiddlewareDialect", "create_engine"]

# Type OIDs as the driver reports them in cursor.description.
_FLOAT_OIDS = frozenset({700, 701})
_JSON_OIDS = frozenset({114, 3802})

# connect() keywords that may come from the URL's query string, and how the
# text is read (everything else passes through as text and connect() judges).
_NUMBER_KEYS = frozenset({"port", "timeout", "connect_timeout", "default_timeout"})
_BOOL_KEYS = frozenset({"allow_insecure_password"})
_CONNECT_KEYS = frozenset({"profile", "host", "dbname", "sslmode", "sslrootcert"}) | _NUMBER_KEYS | _BOOL_KEYS


def _query_value(key: str, value: str | tuple[str, ...]) -> Any:
    if isinstance(value, tuple):
        raise exc.ArgumentError(f"{key} appears more than once in the URL")
    if key in _NUMBER_KEYS:
        try:
            number = float(value)
        except ValueError:
            return value  # e.g. "30s": connect() reads durations itself
        return int(number) if number.is_integer() and key == "port" else number
    if key in _BOOL_KEYS:
        if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise exc.ArgumentError(f"{key} must be true or false, not {value!r}")
        return value.lower() in ("true", "1", "yes")
    return value


# ---------------------------------------------------------------------- types
# The driver returns Python values already (Decimal, datetime, UUID, parsed
# JSON, lists). Parameters are typed by their Python type, and str or None as
# "unknown" for the server to infer, so binds render a cast (`%(x)s::VARCHAR`)
# wherever SQLAlchemy knows the type, as the psycopg and pg8000 dialects do.


class _NumericCommon(sqltypes.NumericCommon):  # type: ignore[type-arg]
    """Decimal or float as the column type asks, from what the server sent."""

    def bind_processor(self, dialect: Any) -> None:
        return None  # Decimal and float are sent as they are

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        if self.asdecimal:
            if coltype in _FLOAT_OIDS:
                return processors.to_decimal_processor_factory(decimal.Decimal, self._effective_decimal_return_scale)
            return None  # numeric arrives as Decimal, integers as int
        if coltype in _FLOAT_OIDS:
            return None
        return processors.to_float


class _Numeric(_NumericCommon, sqltypes.Numeric):  # type: ignore[type-arg]
    render_bind_cast = True


class _Float(_NumericCommon, sqltypes.Float):  # type: ignore[type-arg]
    render_bind_cast = True


def _json_result(dialect: Any, coltype: Any) -> Callable[[Any], Any] | None:
    """json/jsonb arrive parsed; anything else typed JSON arrives as text."""
    custom = dialect._json_deserializer
    if coltype in _JSON_OIDS:
        if custom is None:
            return None
        # A custom deserializer gets JSON text, re-encoded from the parsed value.
        return lambda value: None if value is None else custom(json.dumps(value))
    loads = custom or json.loads
    return lambda value: None if value is None else loads(value)


class _JSON(JSON):
    render_bind_cast = True

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        return _json_result(dialect, coltype)


class _JSONB(JSONB):
    render_bind_cast = True

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        return _json_result(dialect, coltype)


class _JSONIntIndex(sqltypes.JSON.JSONIntIndexType):
    __visit_name__ = "json_int_index"
    render_bind_cast = True


class _JSONStrIndex(sqltypes.JSON.JSONStrIndexType):
    __visit_name__ = "json_str_index"
    render_bind_cast = True


def _cast(base: type[Any]) -> type[Any]:
    """``base`` with its binds rendered with a cast."""
    return type(f"_{base.__name__}", (base,), {"render_bind_cast": True})


_COLSPECS: dict[type[Any], type[Any]] = {
    sqltypes.Numeric: _Numeric,
    sqltypes.Float: _Float,
    sqltypes.JSON: _JSON,
    JSON: _JSON,
    JSONB: _JSONB,
    sqltypes.JSON.JSONIntIndexType: _JSONIntIndex,
    sqltypes.JSON.JSONStrIndexType: _JSONStrIndex,
    sqltypes.Interval: _cast(INTERVAL),
    INTERVAL: _cast(INTERVAL),
    **{
        base: _cast(base)
        for base in (
            sqltypes.String,
            sqltypes.Integer,
            sqltypes.SmallInteger,
            sqltypes.BigInteger,
            sqltypes.Boolean,
            sqltypes.Date,
            sqltypes.DateTime,
            sqltypes.Time,
        )
    },
}


# ----------------------------------------------------------------- execution

_cursor_ids = itertools.count(1)


class MiddlewareExecutionContext(PGExecutionContext):
    def create_server_side_cursor(self) -> DBAPICursor:
        ident = f"c_{id(self):x}_{next(_cursor_ids):x}"
        cursor: DBAPICursor = self._dbapi_connection.cursor(name=ident)
        return cursor


def _outside_transaction(dbapi_connection: Any, sql: str) -> list[tuple[Any, ...]]:
    """Runs ``sql`` in autocommit, so that it opens no transaction; inside an
    open transaction (where autocommit cannot be switched on) it runs there."""
    was = dbapi_connection.autocommit
    switched = False
    if not was:
        try:
            dbapi_connection.autocommit = True
            switched = True
        except middleware.ProgrammingError:
            pass  # a transaction is open
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(sql)
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            cursor.close()
    finally:
        if switched and not dbapi_connection.closed:
            dbapi_connection.autocommit = False


class MiddlewareDialect(PGDialect):
    """PostgreSQL through middleware: passwords from credstash, access checked first."""

    driver = "middleware"
    supports_statement_cache = True
    default_paramstyle = "pyformat"
    execution_ctx_cls = MiddlewareExecutionContext
    colspecs = util.update_copy(PGDialect.colspecs, _COLSPECS)
    # rowcount of executemany is the sum over its statements.
    supports_sane_multi_rowcount = True
    # executemany() is a round trip per row; SQLAlchemy's "insertmanyvalues"
    # sends an INSERT of many rows as one statement per 1000 rows instead
    # (to_sql of 100,000 rows: 78 s -> 5.6 s in a debug build).
    use_insertmanyvalues_wo_returning = True
    supports_native_decimal = True
    # Parsed by the driver; a custom json_deserializer is applied by _json_result.
    supports_native_json_deserialization = True
    dialect_injects_custom_json_deserializer = True
    # Named cursors (DECLARE/FETCH) back stream_results. A class attribute:
    # SQLAlchemy checks it before a dialect's own __init__ runs.
    supports_server_side_cursors = True

    @classmethod
    def import_dbapi(cls) -> ModuleType:
        return middleware

    @classmethod
    def load_provisioning(cls) -> None:
        # SQLAlchemy's test suite sets up PostgreSQL (temporary tables,
        # search_path, ...) the same way for every PostgreSQL driver.
        __import__("sqlalchemy.dialects.postgresql.provision")

    def create_connect_args(self, url: URL) -> ConnectArgsType:
        if url.password is not None or url.host or url.port is not None:
            raise exc.ArgumentError(
                "a postgresql+middleware URL names no password, host or port: middleware reads the database's "
                "address from its config and the password from credstash. Write "
                "postgresql+middleware://[DB_USER]@/[DATABASE][?profile=...&timeout=...]"
            )
        kwargs: dict[str, Any] = {"database": url.database or None, "user": url.username or None}
        for key, value in url.query.items():
            kwargs[key] = _query_value(key, value)
        return [], kwargs

    # -- time limits

    def connect(self, *cargs: Any, **cparams: Any) -> Any:
        # The URL's (or connect_args') timeout also bounds every statement run
        # through this engine; one engine, one dialect, so it is kept here.
        self._statement_timeout = cparams.get("timeout")
        return super().connect(*cargs, **cparams)

    def _limit(self, context: Any) -> Any:
        options = context.execution_options if context is not None else {}
        return options.get("timeout", getattr(self, "_statement_timeout", None))

    def do_execute(self, cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        limit = self._limit(context)
        if limit is None:
            cursor.execute(statement, parameters)
        else:
            cursor.execute(statement, parameters, timeout=limit)

    def do_execute_no_params(self, cursor: Any, statement: str, context: Any = None) -> None:
        limit = self._limit(context)
        if limit is None:
            cursor.execute(statement)
        else:
            cursor.execute(statement, timeout=limit)

    # -- transactions and isolation

    def get_isolation_level_values(self, dbapi_conn: DBAPIConnection) -> Sequence[IsolationLevel]:
        return ("AUTOCOMMIT", "READ COMMITTED", "READ UNCOMMITTED", "REPEATABLE READ", "SERIALIZABLE")

    def set_isolation_level(self, dbapi_connection: DBAPIConnection, level: IsolationLevel) -> None:
        if level == "AUTOCOMMIT":
            dbapi_connection.autocommit = True
            return
        dbapi_connection.autocommit = False
        _outside_transaction(dbapi_connection, f"SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL {level}")

    def get_isolation_level(self, dbapi_connection: DBAPIConnection) -> IsolationLevel:
        rows = _outside_transaction(dbapi_connection, "show transaction isolation level")
        level: IsolationLevel = rows[0][0].upper()
        return level

    def detect_autocommit_setting(self, dbapi_conn: DBAPIConnection) -> bool:
        return bool(dbapi_conn.autocommit)

    def set_readonly(self, connection: Any, value: bool) -> None:
        mode = "READ ONLY" if value else "READ WRITE"
        _outside_transaction(connection, f"SET SESSION CHARACTERISTICS AS TRANSACTION {mode}")

    def get_readonly(self, connection: Any) -> bool:
        return bool(_outside_transaction(connection, "show transaction_read_only")[0][0] == "on")

    def set_deferrable(self, connection: Any, value: bool) -> None:
        mode = "DEFERRABLE" if value else "NOT DEFERRABLE"
        _outside_transaction(connection, f"SET SESSION CHARACTERISTICS AS TRANSACTION {mode}")

    def get_deferrable(self, connection: Any) -> bool:
        return bool(_outside_transaction(connection, "show transaction_deferrable")[0][0] == "on")

    # -- liveness

    def do_ping(self, dbapi_connection: DBAPIConnection) -> bool:
        # In autocommit, so a ping leaves no transaction open behind it.
        _outside_transaction(dbapi_connection, "select 1")
        return True

    def is_disconnect(self, e: Any, connection: Any, cursor: Any) -> bool:
        if isinstance(e, middleware.InterfaceError):
            return "closed" in str(e)  # the connection (or its server side) is gone
        if isinstance(e, middleware.OperationalError) and connection is not None:
            return bool(connection.closed)  # lost, or closed after an unconfirmed cancel
        return False


def create_engine(database: str | None = None, user: str | None = None, **kwargs: Any) -> Engine:
    """See :func:`middleware.create_engine`."""
    import sqlalchemy

    connect_args = dict(kwargs.pop("connect_args", None) or {})
    for key in _CONNECT_KEYS & kwargs.keys():
        connect_args[key] = kwargs.pop(key)
    url = URL.create("postgresql+middleware", username=user, database=database)
    return sqlalchemy.create_engine(url, connect_args=connect_args, **kwargs)


dialect = MiddlewareDialect
