"""A dated column of a table read whole: parsed with the format given or proven, and its
problems worded (one line per kind, with a count and examples)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from citygeo.ingest.columns import text_series
from citygeo.ingest.dates import (
    _EXAMPLES,
    DateColumn,
    DateReading,
    infer_reading,
    parse_series,
    reading_from_format,
    summarise_values,
)
from citygeo.ingest.readers import row_label


def bad_dates_problem(
    column: DateColumn,
    reading: DateReading,
    count: int,
    examples: Sequence[tuple[str, str]],
    what: str = "a date",
) -> str:
    """One problem line for ``count`` values that the reading cannot parse.

    ``examples`` are ``(line label, value)`` pairs, e.g. ``("line 8", "May 2024")``.
    """
    hint = (
        f"they do not match {reading.described}"
        if reading.given
        else f"{reading.described}; if the column uses another format, {column.ask(['…'])}"
    )
    if count == 1:
        label, value = examples[0]
        return f"{label}, column {column.column!r}: {value!r} is not {what} ({hint})"
    shown = ", ".join(f"{label}: {value!r}" for label, value in examples[:_EXAMPLES])
    more = f" and {count - _EXAMPLES:,} more" if count > _EXAMPLES else ""
    return f"column {column.column!r}: {count:,} values are not {what} ({hint}): {shown}{more}"


def undated_problem(column: DateColumn, count: int, labels: Sequence[str]) -> str:
    """One problem line for ``count`` rows with an empty date cell."""
    shown = ", ".join(labels[:_EXAMPLES]) + (
        f" and {count - _EXAMPLES:,} more" if count > _EXAMPLES else ""
    )
    return f"column {column.column!r}: {count:,} rows have no date ({shown})"


def read_date_column(
    frame: pd.DataFrame,
    column: DateColumn,
    date_format: str | None,
    problems: list[str],
    warnings: list[str],
    what: str = "a date",
) -> tuple[pd.Series, DateReading]:
    """Read a date column of a text frame (from :func:`~citygeo.ingest.readers.read_table`).

    Returns the dates (NaT where a cell is empty or does not parse; both are added to
    ``problems``, one line each with a count and examples) and the reading used; what was
    inferred is added to ``warnings``. The frame's index labels are its data rows.
    """
    texts = text_series(frame[column.column])
    reading = (
        reading_from_format(date_format, column)
        if date_format
        else infer_reading(summarise_values(texts), column)
    )
    if reading.note:
        warnings.append(reading.note)
    dates = parse_series(texts, reading)
    bad = (texts.notna() & dates.isna()).to_numpy()
    if bad.any():
        examples = [
            (row_label(column.path, int(label)), str(texts[label]))
            for label in texts.index[bad][:_EXAMPLES]
        ]
        problems.append(bad_dates_problem(column, reading, int(bad.sum()), examples, what))
    empty = texts.isna().to_numpy()
    if empty.any():
        labels = [row_label(column.path, int(label)) for label in texts.index[empty][:_EXAMPLES]]
        problems.append(undated_problem(column, int(empty.sum()), labels))
    return dates, reading
