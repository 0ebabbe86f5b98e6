"""middleware.errors: the per-SQLSTATE classes, their PEP 249 bases, lookup()
and the fallback the core uses. Pure: no database, no stack."""

from __future__ import annotations

import pickle
from typing import Any

import psycopg.errors
import pytest

import middleware
from middleware import errors
from middleware.exceptions import (
    DatabaseError,
    DataError,
    IntegrityError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
)

EXPECTED = [
    # (class, SQLSTATE, condition name, PEP 249 base)
    (errors.UniqueViolation, "23505", "UNIQUE_VIOLATION", IntegrityError),
    (errors.ForeignKeyViolation, "23503", "FOREIGN_KEY_VIOLATION", IntegrityError),
    (errors.NotNullViolation, "23502", "NOT_NULL_VIOLATION", IntegrityError),
    (errors.CheckViolation, "23514", "CHECK_VIOLATION", IntegrityError),
    (errors.ExclusionViolation, "23P01", "EXCLUSION_VIOLATION", IntegrityError),
    (errors.SerializationFailure, "40001", "SERIALIZATION_FAILURE", OperationalError),
    (errors.DeadlockDetected, "40P01", "DEADLOCK_DETECTED", OperationalError),
    (errors.QueryCanceled, "57014", "QUERY_CANCELED", OperationalError),
    (errors.AdminShutdown, "57P01", "ADMIN_SHUTDOWN", OperationalError),
    (errors.CrashShutdown, "57P02", "CRASH_SHUTDOWN", OperationalError),
    (errors.CannotConnectNow, "57P03", "CANNOT_CONNECT_NOW", OperationalError),
    (errors.LockNotAvailable, "55P03", "LOCK_NOT_AVAILABLE", OperationalError),
    (errors.InvalidPassword, "28P01", "INVALID_PASSWORD", OperationalError),
    (errors.InvalidAuthorizationSpecification, "28000", "INVALID_AUTHORIZATION_SPECIFICATION", OperationalError),
    (errors.ConnectionFailure, "08006", "CONNECTION_FAILURE", OperationalError),
    (errors.DiskFull, "53100", "DISK_FULL", OperationalError),
    (errors.OutOfMemory, "53200", "OUT_OF_MEMORY", OperationalError),
    (errors.TooManyConnections, "53300", "TOO_MANY_CONNECTIONS", OperationalError),
    (errors.StatementTooComplex, "54001", "STATEMENT_TOO_COMPLEX", OperationalError),
    (errors.UndefinedTable, "42P01", "UNDEFINED_TABLE", ProgrammingError),
    (errors.UndefinedColumn, "42703", "UNDEFINED_COLUMN", ProgrammingError),
    (errors.UndefinedFunction, "42883", "UNDEFINED_FUNCTION", ProgrammingError),
    (errors.SyntaxError, "42601", "SYNTAX_ERROR", ProgrammingError),
    (errors.InsufficientPrivilege, "42501", "INSUFFICIENT_PRIVILEGE", ProgrammingError),
    (errors.DuplicateTable, "42P07", "DUPLICATE_TABLE", ProgrammingError),
    (errors.InvalidCatalogName, "3D000", "INVALID_CATALOG_NAME", ProgrammingError),
    (errors.RaiseException, "P0001", "RAISE_EXCEPTION", ProgrammingError),
    (errors.DivisionByZero, "22012", "DIVISION_BY_ZERO", DataError),
    (errors.NumericValueOutOfRange, "22003", "NUMERIC_VALUE_OUT_OF_RANGE", DataError),
    (errors.InvalidTextRepresentation, "22P02", "INVALID_TEXT_REPRESENTATION", DataError),
    (errors.StringDataRightTruncation, "22001", "STRING_DATA_RIGHT_TRUNCATION", DataError),
    (errors.InFailedSqlTransaction, "25P02", "IN_FAILED_SQL_TRANSACTION", InternalError),
    (errors.IdleInTransactionSessionTimeout, "25P03", "IDLE_IN_TRANSACTION_SESSION_TIMEOUT", InternalError),
    (errors.InvalidCursorState, "24000", "INVALID_CURSOR_STATE", InternalError),
    (errors.DependentObjectsStillExist, "2BP01", "DEPENDENT_OBJECTS_STILL_EXIST", InternalError),
    (errors.InternalError_, "XX000", "INTERNAL_ERROR", InternalError),
    (errors.FeatureNotSupported, "0A000", "FEATURE_NOT_SUPPORTED", NotSupportedError),
    (errors.SnapshotTooOld, "72000", "SNAPSHOT_TOO_OLD", DatabaseError),
    (errors.NoData, "02000", "NO_DATA", DatabaseError),
]


@pytest.mark.parametrize(("cls", "code", "name", "base"), EXPECTED, ids=[row[1] for row in EXPECTED])
def test_class_has_code_name_and_pep249_base(cls: Any, code: str, name: str, base: type) -> None:
    assert cls.sqlstate == code
    assert cls.name == name
    assert cls.__bases__ == (base,)
    assert issubclass(cls, middleware.DatabaseError)
    assert issubclass(cls, middleware.Error)
    assert cls.__doc__ and "\n" not in cls.__doc__.strip()
    assert cls.__module__ == "middleware.errors"
    assert errors.lookup(code) is cls
    assert errors.lookup(name) is cls
    assert errors.lookup(name.lower()) is cls
    assert errors._class_for(code) is cls


def test_every_class_matches_psycopg() -> None:
    """Same codes, names and PEP 249 bases as psycopg's own table."""
    theirs = {
        obj.sqlstate: obj
        for obj in vars(psycopg.errors).values()
        if isinstance(obj, type) and issubclass(obj, psycopg.errors.DatabaseError) and obj.sqlstate
    }
    assert sorted(errors._BY_CODE) == sorted(theirs)
    for code, cls in errors._BY_CODE.items():
        assert cls.__name__ == theirs[code].__name__, code
        assert cls.__bases__[0].__name__ == theirs[code].__bases__[0].__name__, code
        name = vars(cls)["name"]
        assert errors.lookup(name).__name__ == psycopg.errors.lookup(name).__name__, name


def test_every_class_derives_from_its_sqlstate_class_fallback() -> None:
    for code, cls in errors._BY_CODE.items():
        fallback = errors._class_for(code[:2] + "ZZZ")
        assert cls.__bases__ == (fallback,), code
        assert cls.__name__ in errors.__all__
        assert getattr(errors, cls.__name__) is cls


def test_catching_by_pep249_class() -> None:
    with pytest.raises(OperationalError):
        raise errors.QueryCanceled("canceling statement due to statement timeout")
    with pytest.raises(middleware.IntegrityError):
        raise errors.UniqueViolation("duplicate key value violates unique constraint")
    with pytest.raises(errors.InternalError):
        raise errors.InFailedSqlTransaction("current transaction is aborted")


@pytest.mark.parametrize(
    ("code", "base"),
    [
        ("22ZZZ", DataError),
        ("23ZZZ", IntegrityError),
        ("0AZZZ", NotSupportedError),
        ("08ZZZ", OperationalError),
        ("40ZZZ", OperationalError),
        ("57ZZZ", OperationalError),
        ("28ZZZ", OperationalError),
        ("42ZZZ", ProgrammingError),
        ("P0ZZZ", ProgrammingError),
        ("25ZZZ", InternalError),
        ("XXZZZ", InternalError),
        ("F0ZZZ", OperationalError),
        ("HVZZZ", OperationalError),
        ("72ZZZ", DatabaseError),
        ("99ZZZ", DatabaseError),
        ("", DatabaseError),
    ],
)
def test_unknown_code_falls_back_to_its_class(code: str, base: type[DatabaseError]) -> None:
    assert errors._class_for(code) is base
    with pytest.raises(KeyError):
        errors.lookup(code)


def test_lookup_unknown_name_raises_key_error() -> None:
    with pytest.raises(KeyError, match="NO_SUCH_CONDITION"):
        errors.lookup("NO_SUCH_CONDITION")


def test_lookup_is_case_insensitive_for_codes_too() -> None:
    assert errors.lookup("22p02") is errors.InvalidTextRepresentation
    assert errors.lookup("Unique_Violation") is errors.UniqueViolation


def test_shared_condition_name_picks_the_later_code_like_psycopg() -> None:
    assert errors.lookup("22004") is errors.NullValueNotAllowed
    assert errors.lookup("39004") is errors.NullValueNotAllowedExt
    assert errors.lookup("NULL_VALUE_NOT_ALLOWED") is errors.NullValueNotAllowedExt


def test_instances_keep_server_fields_and_pickle() -> None:
    err = errors.UniqueViolation('duplicate key value violates unique constraint "users_email_key"')
    assert err.sqlstate == "23505"  # the class attribute until the core sets the instance's
    err.sqlstate, err.detail, err.hint, err.position = "23505", "Key (email)=(a@b.c) already exists.", None, 12
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is errors.UniqueViolation
    assert (again.sqlstate, again.detail, again.position) == ("23505", "Key (email)=(a@b.c) already exists.", 12)
    assert str(again) == str(err)


def test_pep249_classes_are_reexported() -> None:
    assert errors.DatabaseError is middleware.DatabaseError
    assert errors.OperationalError is middleware.OperationalError
    assert errors.InternalError is middleware.InternalError
    assert errors.InternalError_ is not errors.InternalError
    assert set(errors.__all__) >= {"lookup", "DatabaseError", "UniqueViolation", "InternalError_"}
    assert "_class_for" not in errors.__all__
