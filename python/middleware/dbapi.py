"""PEP 249 type objects and constructors.

``cursor.description[i][1]`` is the column's PostgreSQL type OID; it compares
equal to the matching type object (``STRING``, ``BINARY``, ``NUMBER``,
``DATETIME``, ``ROWID``).
"""

from __future__ import annotations

import datetime as _dt
import time as _time

__all__ = [
    "BINARY",
    "DATETIME",
    "NUMBER",
    "ROWID",
    "STRING",
    "Binary",
    "Date",
    "DateFromTicks",
    "Time",
    "TimeFromTicks",
    "Timestamp",
    "TimestampFromTicks",
]


class DBAPITypeObject:
    """Compares equal to every type OID of its group."""

    def __init__(self, name: str, *oids: int) -> None:
        self.name = name
        self.values = frozenset(oids)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DBAPITypeObject):
            return self.values == other.values
        return other in self.values

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self.values)

    def __repr__(self) -> str:
        return f"<DBAPITypeObject {self.name}>"


# text, varchar, bpchar, name, char, json, jsonb, xml, uuid-as-text-like, citext is not fixed
STRING = DBAPITypeObject("STRING", 25, 1043, 1042, 19, 18, 114, 3802, 142, 705)
BINARY = DBAPITypeObject("BINARY", 17)
NUMBER = DBAPITypeObject("NUMBER", 20, 21, 23, 26, 700, 701, 790, 1700)
DATETIME = DBAPITypeObject("DATETIME", 1082, 1083, 1114, 1184, 1186, 1266)
ROWID = DBAPITypeObject("ROWID", 26)

Date = _dt.date
Time = _dt.time
Timestamp = _dt.datetime
Binary = bytes


def DateFromTicks(ticks: float) -> _dt.date:  # noqa: N802 - PEP 249 name
    """The local date of a POSIX timestamp."""
    return Date(*_time.localtime(ticks)[:3])


def TimeFromTicks(ticks: float) -> _dt.time:  # noqa: N802 - PEP 249 name
    """The local time of a POSIX timestamp."""
    return Time(*_time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks: float) -> _dt.datetime:  # noqa: N802 - PEP 249 name
    """The local date and time of a POSIX timestamp."""
    return Timestamp(*_time.localtime(ticks)[:6])
