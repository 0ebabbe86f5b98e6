"""middleware: database access for data teams.

Reads database passwords from a credstash store (AWS DynamoDB + KMS), checks
that the calling AWS identity may use the database user it asks for, and hands
back PostgreSQL / Amazon Redshift connections whose queries are bounded by a
timeout. Importing this package does no I/O and starts nothing.
"""

from __future__ import annotations

from middleware._core import (
    SecretInfo,
    __version__,
    clear_cache,
    create_table,
    delete_secret,
    get_all_secrets,
    get_secret,
    get_secret_bytes,
    list_secrets,
    put_secret,
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

#: PEP 249 module globals.
apilevel = "2.0"
threadsafety = 1
paramstyle = "pyformat"

__all__ = [
    "AccessDenied",
    "ConfigError",
    "DataError",
    "DatabaseError",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "KmsError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "QueryTimeout",
    "SecretInfo",
    "SecretIntegrityError",
    "SecretNotFound",
    "Warning",
    "__version__",
    "apilevel",
    "clear_cache",
    "create_table",
    "delete_secret",
    "get_all_secrets",
    "get_secret",
    "get_secret_bytes",
    "list_secrets",
    "paramstyle",
    "put_secret",
    "threadsafety",
]
