"""``Rows``: what ``query_with_timeout`` returns. A sequence of tuples that
knows its column names and converts to dicts, pandas and Arrow, and shows
itself like a DataFrame in a notebook."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    import pandas
    import pyarrow

__all__ = ["Rows"]

_SHOWN = 10


class Rows(Sequence[tuple[Any, ...]]):
    """The rows of a result, as tuples, with ``.columns``.

    Rows from ``query_with_timeout`` keep the result as the server sent it:
    tuples are made on first use, and ``to_arrow()``/``to_pandas()`` build
    columns straight from it, without a Python object per value.
    """

    __slots__ = ("_made", "_result", "columns")

    def __init__(self, columns: list[str], rows: list[tuple[Any, ...]] | None = None, *, _result: Any = None) -> None:
        self.columns: list[str] = columns
        self._made = rows
        self._result = _result

    @property
    def _rows(self) -> list[tuple[Any, ...]]:
        if self._made is None:
            self._made = self._result.tuples() if self._result is not None else []
        return self._made

    @overload
    def __getitem__(self, index: int) -> tuple[Any, ...]: ...
    @overload
    def __getitem__(self, index: slice) -> list[tuple[Any, ...]]: ...
    def __getitem__(self, index: int | slice) -> tuple[Any, ...] | list[tuple[Any, ...]]:
        return self._rows[index]

    def __len__(self) -> int:
        if self._made is None and self._result is not None:
            return len(self._result)
        return len(self._rows)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._rows)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Rows):
            return self.columns == other.columns and self._rows == other._rows
        if isinstance(other, list):
            return self._rows == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def to_dicts(self) -> list[dict[str, Any]]:
        """Each row as a ``{column: value}`` dict."""
        return [dict(zip(self.columns, row, strict=True)) for row in self._rows]

    def to_pandas(self) -> pandas.DataFrame:
        """A pandas DataFrame (``pip install 'middleware[pandas]'``)."""
        try:
            import pandas as pd
        except ImportError as e:
            raise ImportError("Rows.to_pandas() needs pandas: pip install 'middleware[pandas]'") from e
        frame = pd.DataFrame.from_records(self._rows, columns=self.columns)
        for name in frame.columns:
            # Integer columns become nullable Int64 (a NULL must not turn them into floats).
            column = frame[name]
            if str(column.dtype) == "int64" or (column.dtype == object and _all_ints(column)):
                frame[name] = column.astype("Int64")
        return frame

    def to_arrow(self) -> pyarrow.Table:
        """A pyarrow Table (``pip install 'middleware[arrow]'``): int64, float64,
        bool, large_string, timestamp[us] (UTC for timestamptz) and date32
        columns are built directly from the result; other types via Python."""
        try:
            import pyarrow as pa
        except ImportError as e:
            raise ImportError("Rows.to_arrow() needs pyarrow: pip install 'middleware[arrow]'") from e
        if self._result is not None and len(self._result):
            arrays = [_arrow_column(pa, len(self._result), *parts) for parts in self._result.arrow_columns()]
            return pa.Table.from_arrays(arrays, names=self.columns)
        columns = list(zip(*self._rows, strict=True)) if self._rows else [() for _ in self.columns]
        return pa.table({name: pa.array(list(col)) for name, col in zip(self.columns, columns, strict=True)})

    def __repr__(self) -> str:
        shape = f"{len(self._rows)} rows x {len(self.columns)} columns"
        if not self._rows:
            return f"Rows({shape}, columns={self.columns})"
        cells = [[_short(v) for v in row] for row in self._rows[:_SHOWN]]
        widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(self.columns)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(self.columns, widths, strict=True))]
        lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
        if len(self._rows) > _SHOWN:
            lines.append("...")
        lines.append(f"[{shape}]")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import html  # (with re) a noticeable part of `import middleware`; only notebooks need it

        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_short(v))}</td>" for v in row) + "</tr>" for row in self._rows[:_SHOWN]
        )
        more = f"<p>... {len(self._rows) - _SHOWN} more rows</p>" if len(self._rows) > _SHOWN else ""
        return (
            f"<table class='middleware-rows'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            f"{more}<p>{len(self._rows)} rows &times; {len(self.columns)} columns</p>"
        )


def _arrow_column(
    pa: Any,
    length: int,
    kind: str,
    nulls: int,
    validity: bytes | None,
    data: bytes | None,
    offsets: bytes | None,
    objects: list[Any] | None,
) -> Any:
    """One column from the buffers the core built (Arrow's layout)."""
    if kind == "object":
        return pa.array(objects)
    types = {
        "int64": pa.int64(),
        "float64": pa.float64(),
        "bool": pa.bool_(),
        "string": pa.large_string(),
        "timestamp_utc": pa.timestamp("us", tz="UTC"),
        "timestamp": pa.timestamp("us"),
        "date32": pa.date32(),
    }
    buffers = [None if validity is None else pa.py_buffer(validity)]
    if offsets is not None:
        buffers.append(pa.py_buffer(offsets))
    buffers.append(pa.py_buffer(data))
    return pa.Array.from_buffers(types[kind], length, buffers, null_count=nulls)


def _arrow_from_tuples(columns: list[str], rows: list[tuple[Any, ...]]) -> Any:
    """A pyarrow Table from row tuples (``Cursor.fetch_arrow_table()``)."""
    import pyarrow as pa

    values = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    return pa.table({name: pa.array(list(col)) for name, col in zip(columns, values, strict=True)})


def _all_ints(values: Any) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, int) and not isinstance(v, bool) for v in present)


def _short(value: Any) -> str:
    text = "NULL" if value is None else str(value)
    return text if len(text) <= 40 else text[:39] + "…"
