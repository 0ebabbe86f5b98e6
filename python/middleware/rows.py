"""``Rows``: what ``query_with_timeout`` returns. A sequence of tuples that
knows its column names and converts to dicts, pandas and Arrow, and shows
itself like a DataFrame in a notebook."""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    import pandas
    import pyarrow

__all__ = ["Rows"]

_SHOWN = 10


class Rows(Sequence[tuple[Any, ...]]):
    """The rows of a result, as tuples, with ``.columns``."""

    __slots__ = ("_rows", "columns")

    def __init__(self, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        self.columns: list[str] = columns
        self._rows = rows

    @overload
    def __getitem__(self, index: int) -> tuple[Any, ...]: ...
    @overload
    def __getitem__(self, index: slice) -> list[tuple[Any, ...]]: ...
    def __getitem__(self, index: int | slice) -> tuple[Any, ...] | list[tuple[Any, ...]]:
        return self._rows[index]

    def __len__(self) -> int:
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
        """A pyarrow Table (``pip install 'middleware[arrow]'``)."""
        try:
            import pyarrow as pa
        except ImportError as e:
            raise ImportError("Rows.to_arrow() needs pyarrow: pip install 'middleware[arrow]'") from e
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
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_short(v))}</td>" for v in row) + "</tr>" for row in self._rows[:_SHOWN]
        )
        more = f"<p>... {len(self._rows) - _SHOWN} more rows</p>" if len(self._rows) > _SHOWN else ""
        return (
            f"<table class='middleware-rows'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            f"{more}<p>{len(self._rows)} rows &times; {len(self.columns)} columns</p>"
        )


def _all_ints(values: Any) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, int) and not isinstance(v, bool) for v in present)


def _short(value: Any) -> str:
    text = "NULL" if value is None else str(value)
    return text if len(text) <= 40 else text[:39] + "…"
