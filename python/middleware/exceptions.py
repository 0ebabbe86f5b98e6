"""Exceptions raised by middleware.

The PEP 249 hierarchy, plus domain errors for secrets and access. Every
message says what happened, to whom, and what to do next.
"""

from __future__ import annotations

#: In IPython / Jupyter, show middleware errors as their message and fields
#: instead of a full traceback. Set to False to get full tracebacks back.
SHORT_TRACEBACKS = True

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
    "SecretIntegrityError",
    "SecretNotFound",
    "Warning",
]


class Warning(Exception):
    """An important warning, such as data truncation (PEP 249)."""


class Error(Exception):
    """Base class of every error middleware raises (PEP 249)."""

    #: Attributes worth showing under the message in a notebook.
    _shown: tuple[str, ...] = ()

    def __str__(self) -> str:
        # KeyError (a base of SecretNotFound) would otherwise repr() the message.
        return str(self.args[0]) if len(self.args) == 1 else super().__str__()

    def _render_traceback_(self) -> list[str]:
        """How IPython shows this error: the message first, then the fields
        that are set, without the frames of middleware's internals."""
        if not SHORT_TRACEBACKS:
            raise NotImplementedError  # IPython then prints the full traceback
        lines = [f"{type(self).__name__}: {self}"]
        for name in self._shown:
            value = getattr(self, name, None)
            if value not in (None, [], ""):
                lines.append(f"    {name}: {value}")
        lines.append("(full traceback: middleware.exceptions.SHORT_TRACEBACKS = False)")
        return lines


class InterfaceError(Error):
    """Misuse of the interface, e.g. using a closed connection or cursor."""


class DatabaseError(Error):
    """An error reported by the database.

    Attributes: ``sqlstate`` (the five-character SQLSTATE code), ``severity``,
    ``message`` (the server's primary text), ``detail``, ``hint`` and
    ``position`` (1-based character offset into the query), each None when the
    server did not send it.
    """

    _shown: tuple[str, ...] = ("sqlstate", "detail", "hint", "position")
    sqlstate: str | None = None
    severity: str | None = None
    message: str | None = None
    detail: str | None = None
    hint: str | None = None
    position: int | None = None


class DataError(DatabaseError):
    """A problem with the processed data: division by zero, out of range (SQLSTATE 22)."""


class OperationalError(DatabaseError):
    """The database could not be reached, the connection was lost, or a resource ran out."""


class IntegrityError(DatabaseError):
    """A constraint was violated (SQLSTATE 23)."""


class InternalError(DatabaseError):
    """The database hit an internal error (SQLSTATE XX)."""


class ProgrammingError(DatabaseError):
    """A mistake in the SQL or its parameters (SQLSTATE 42 and the like)."""


class NotSupportedError(DatabaseError):
    """The database or this driver does not support the operation."""


class ConfigError(Error):
    """The middleware configuration is missing or invalid; the message names the file and key."""


class AccessDenied(Error, PermissionError):
    """The calling AWS identity may not use what it asked for.

    Attributes: ``arn`` (who you are), ``database`` and ``user`` (what you asked
    for), ``allowed`` (the users you may use there), ``contact`` (whom to ask),
    ``aws_code`` and ``action`` (when AWS itself denied the request).
    """

    _shown: tuple[str, ...] = ("arn", "database", "user", "allowed", "contact", "aws_code", "action")
    arn: str | None = None
    database: str | None = None
    user: str | None = None
    allowed: list[str] | None = None
    contact: str | None = None
    aws_code: str | None = None
    action: str | None = None


class SecretNotFound(Error, KeyError):
    """No credstash secret with that name (and version) exists in the table.

    Attributes: ``name``.
    """

    name: str | None = None


class SecretIntegrityError(Error):
    """A stored secret failed its integrity check (HMAC) or could not be decoded,
    or its data key is encrypted under a KMS key not in ``[credstash] decrypt_keys``.

    Attributes: ``name``.
    """

    name: str | None = None


class KmsError(Error):
    """AWS KMS could not encrypt or decrypt, for a reason other than access.

    Attributes: ``aws_code``.
    """

    _shown: tuple[str, ...] = ("aws_code",)
    aws_code: str | None = None


class QueryTimeout(OperationalError, TimeoutError):
    """A query ran past its time limit.

    Attributes: ``timeout`` and ``elapsed`` in seconds, and ``cancelled``:

    - ``cancelled`` is True only when the server confirmed the cancel
      (SQLSTATE 57014, kept in ``sqlstate``): the statement did not take effect
      and the connection is still usable (after ``rollback()`` if a transaction
      was open).
    - ``cancelled`` is False when neither the cancel nor the statement's end
      could be confirmed in time: the connection was closed and the statement
      **may have completed**. Check before running it again.

    A statement that completed while its cancel was on the way is not a
    timeout: its result is returned.
    """

    _shown: tuple[str, ...] = ("timeout", "elapsed", "cancelled", "sqlstate")
    timeout: float | None = None
    elapsed: float | None = None
    cancelled: bool | None = None
