"""One exception class per PostgreSQL SQLSTATE, with psycopg 3's names.

When the server reports an error, middleware raises the class of its SQLSTATE
code, so you can catch exactly the condition you expect::

    from middleware import errors

    try:
        cur.execute("INSERT INTO users (email) VALUES (%s)", [email])
    except errors.UniqueViolation:
        ...  # the address is taken
    except errors.LockNotAvailable:
        ...  # NOWAIT, or lock_timeout ran out

Each class subclasses the PEP 249 exception of its SQLSTATE class (the first
two characters of the code), exactly as psycopg maps them, so code that
catches ``IntegrityError`` or ``OperationalError`` keeps working:

* 22 is ``DataError``; 23 ``IntegrityError``; 0A ``NotSupportedError``;
* 08, 27, 28, 2F, 38, 39, 3B, 40, 53, 54, 55, 57, 58, F0 and HV are
  ``OperationalError`` (QueryCanceled, SerializationFailure, DeadlockDetected,
  InvalidPassword, AdminShutdown, ...);
* 10, 20, 21, 26, 34, 3D, 3F, 42, 44 and P0 are ``ProgrammingError``
  (UndefinedTable, SyntaxError, RaiseException, ...);
* 24, 25, 2B, 2D and XX are ``InternalError`` (InFailedSqlTransaction, ...;
  SQLSTATE XX000 itself is ``InternalError_``, to keep the PEP 249 name free);
* any other class (02, 09, 72, ...) is plain ``DatabaseError``.

A code with no class of its own gets the PEP 249 class of its SQLSTATE class
(an unknown "22ZZZ" raises ``DataError``). Every instance carries
``.sqlstate``, ``.message``, ``.detail``, ``.hint`` and ``.position`` (and
``.severity``), set from the server's report; each class also has the class
attributes ``sqlstate`` (e.g. "57014") and ``name`` (e.g. "QUERY_CANCELED").

``lookup()`` finds a class from a code or a condition name, e.g. to catch a
condition by the name a PL/pgSQL function raises::

    except errors.lookup("LOCK_NOT_AVAILABLE"):
        ...

The PEP 249 classes themselves are re-exported here too, so
``errors.IntegrityError`` is ``middleware.IntegrityError``. A query that runs
past middleware's own time limit raises ``middleware.QueryTimeout`` (an
OperationalError), not ``QueryCanceled``, which is for the server's cancels.
"""

from __future__ import annotations

from middleware import _sqlstates
from middleware._sqlstates import *  # noqa: F403 (the classes, named in _sqlstates.__all__)
from middleware.exceptions import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
)

__all__ = [
    "DataError",
    "DatabaseError",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "lookup",
]
__all__ += _sqlstates.__all__

#: The PEP 249 class of each SQLSTATE class, keyed by the first two characters
#: of the code or, for whole families (F0, HV, P0, XX), by the first one. Codes
#: whose class is missing here are plain DatabaseError. Same table as psycopg.
_FALLBACK: dict[str, type[DatabaseError]] = {
    "08": OperationalError,  # connection exception
    "0A": NotSupportedError,  # feature not supported
    "10": ProgrammingError,  # XQuery error
    "20": ProgrammingError,  # case not found
    "21": ProgrammingError,  # cardinality violation
    "22": DataError,  # data exception
    "23": IntegrityError,  # integrity constraint violation
    "24": InternalError,  # invalid cursor state
    "25": InternalError,  # invalid transaction state
    "26": ProgrammingError,  # invalid SQL statement name
    "27": OperationalError,  # triggered data change violation
    "28": OperationalError,  # invalid authorization specification
    "2B": InternalError,  # dependent privilege descriptors still exist
    "2D": InternalError,  # invalid transaction termination
    "2F": OperationalError,  # SQL routine exception
    "34": ProgrammingError,  # invalid cursor name
    "38": OperationalError,  # external routine exception
    "39": OperationalError,  # external routine invocation exception
    "3B": OperationalError,  # savepoint exception
    "3D": ProgrammingError,  # invalid catalog name
    "3F": ProgrammingError,  # invalid schema name
    "40": OperationalError,  # transaction rollback
    "42": ProgrammingError,  # syntax error or access rule violation
    "44": ProgrammingError,  # WITH CHECK OPTION violation
    "53": OperationalError,  # insufficient resources
    "54": OperationalError,  # program limit exceeded
    "55": OperationalError,  # object not in prerequisite state
    "57": OperationalError,  # operator intervention
    "58": OperationalError,  # system error (outside PostgreSQL)
    "F": OperationalError,  # F0: configuration file error
    "H": OperationalError,  # HV: foreign data wrapper error
    "P": ProgrammingError,  # P0: PL/pgSQL error
    "X": InternalError,  # XX: internal error
}


def _build_tables() -> tuple[dict[str, type[DatabaseError]], dict[str, type[DatabaseError]]]:
    """Index the classes of _sqlstates by code, and by code and condition name."""
    by_code: dict[str, type[DatabaseError]] = {}
    by_key: dict[str, type[DatabaseError]] = {}
    for attr in _sqlstates.__all__:
        cls: type[DatabaseError] = getattr(_sqlstates, attr)
        # Tracebacks and pickles name the public module: middleware.errors.UniqueViolation.
        cls.__module__ = __name__
        code: str = vars(cls)["sqlstate"]
        by_code[code] = cls
        by_key[code] = cls
    # Names in code order: where two codes share a name (NULL_VALUE_NOT_ALLOWED is
    # 22004 and 39004), the later code wins, as in psycopg.
    for code in sorted(by_code):
        cls = by_code[code]
        by_key[vars(cls)["name"]] = cls
    return by_code, by_key


_BY_CODE, _BY_KEY = _build_tables()


def lookup(sqlstate: str) -> type[DatabaseError]:
    """Return the exception class of a SQLSTATE code ("23505") or condition name ("unique_violation").

    Case-insensitive. Raise KeyError for a code or name that has no class of
    its own (``_class_for`` holds the fallback used when raising).
    """
    try:
        return _BY_KEY[sqlstate.upper()]
    except KeyError:
        raise KeyError(f"no exception class for SQLSTATE or condition name {sqlstate!r}") from None


def _class_for(sqlstate: str) -> type[DatabaseError]:
    """The class to raise for a SQLSTATE the server reported (called by the Rust core).

    The exact class when the code has one, else the PEP 249 class of its
    SQLSTATE class, else DatabaseError. Never raises.
    """
    return _BY_CODE.get(sqlstate) or _FALLBACK.get(sqlstate[:2]) or _FALLBACK.get(sqlstate[:1]) or DatabaseError
