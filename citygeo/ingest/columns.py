"""Checks on the columns of a table read as text: presence, numbers, codes, dates, lists."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from citygeo.errors import InputError, format_problems
from citygeo.ingest.readers import iso_text, row_label

_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d{1,3}(\.\d{3})*,\d+\s*$|^\s*[-+]?\d+,\d+\s*$")
_NA_TEXT = {"nan", "na", "n/a", "null", "none", "-", ".."}


def is_missing(value: object) -> bool:
    """None, NaN, pd.NA and NaT are all "no value"."""
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and np.isnan(value))
    )


def cell_text(value: object) -> str | None:
    """A cell as stripped text, or None when it holds no value.

    A date or timestamp (an Excel date cell, a GeoPackage date field) becomes ISO text:
    ``2020-03-04`` at midnight, else ``2020-03-04 10:30:00``, which the date reading of
    :mod:`citygeo.ingest.dates` reads without ambiguity.
    """
    if is_missing(value):
        return None
    if isinstance(value, (datetime, date)):
        return iso_text(value)
    return str(value).strip()


def text_series(series: pd.Series) -> pd.Series:
    """Cells as stripped text in an object Series; empty cells and NA markers become None."""
    cells = [cell_text(v) for v in series]
    cells = [None if c is None or c == "" or c.lower() in _NA_TEXT else c for c in cells]
    return pd.Series(cells, index=series.index, dtype=object)


def require_columns(frame: pd.DataFrame, columns: list[str | None], path: Path, what: str) -> None:
    """Raise InputError naming every configured column that the file lacks."""
    missing = [c for c in columns if c and c not in frame.columns]
    if missing:
        have = ", ".join(map(str, frame.columns))
        raise InputError(
            f"{path}: the {what} file has no column "
            f"{', '.join(repr(c) for c in missing)} (columns found: {have}). "
            "Fix the column name in the city config or in the file."
        )


def require_rows(frame: pd.DataFrame, path: Path, what: str) -> None:
    if frame.empty:
        raise InputError(f"{path}: the {what} file has a header but no rows.")


def as_codes(series: pd.Series) -> pd.Series:
    """Neighbourhood codes as text, exactly as written (no stripping of zeros or spaces)."""
    return pd.Series(
        [None if is_missing(v) else _code_text(v) for v in series], index=series.index, dtype=object
    )


def _code_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value)


def loose_code(code: str) -> str:
    """A code without spaces, case or leading zeros in its numbers, only to suggest near matches."""
    squeezed = re.sub(r"\s+", "", code).upper()
    return re.sub(r"\d+", lambda m: str(int(m.group())), squeezed)


def match_codes(codes: pd.Series, known: set[str]) -> tuple[list[str], dict[str, str]]:
    """Split the distinct codes not in ``known`` into plain misses and near misses.

    Returns the unmatched codes and, for those that would match after stripping zeros or
    spaces, a hint mapping code → the neighbourhood code it probably means.
    """
    loose = {loose_code(k): k for k in known}
    unmatched = sorted({c for c in codes.dropna().unique() if c not in known})
    hints = {c: loose[loose_code(c)] for c in unmatched if loose_code(c) in loose}
    return unmatched, hints


def parse_numbers(
    frame: pd.DataFrame,
    column: str,
    path: Path,
    problems: list[str],
    warnings: list[str],
    na_values: Sequence[str] = (),
) -> pd.Series:
    """Parse a text column as numbers; each unparseable cell becomes a problem naming its row.

    Empty cells and the usual "not available" markers become missing values, and so do the
    publisher's missing-value codes ``na_values`` (see :func:`na_mask`). A column written
    entirely with decimal commas (``12,5``) is read as such, with a warning. Rows are named
    by the frame's index labels (its data rows as read, so a frame with rows left out still
    names the right lines).
    """
    text = text_series(frame[column])
    values = pd.to_numeric(text, errors="coerce")
    bad = text.notna() & values.isna()
    if bad.any() and text[bad].map(lambda v: bool(_DECIMAL_COMMA.match(v))).all():
        converted = pd.Series(
            [
                None
                if v is None
                else v.replace(".", "").replace(",", ".")
                if _DECIMAL_COMMA.match(v)
                else v
                for v in text
            ],
            index=text.index,
            dtype=object,
        )
        values = pd.to_numeric(converted, errors="coerce")
        warnings.append(f"{path.name}: column {column!r} uses decimal commas; read 12,5 as 12.5")
        bad = text.notna() & values.isna()
    coded = na_mask(text, values, na_values)
    values = values.where(~coded)
    bad &= ~coded
    labels = text.index[bad.to_numpy()]
    for label in labels[:20]:
        problems.append(
            f"{row_label(path, int(label))}, column {column!r}: {text[label]!r} is not a number"
        )
    if len(labels) > 20:
        problems.append(f"… and {len(labels) - 20} more non-numbers in column {column!r}")
    infinite = np.isinf(values.to_numpy(dtype=float, na_value=np.nan))
    for label in text.index[infinite][:5]:
        problems.append(
            f"{row_label(path, int(label))}, column {column!r}: {text[label]!r} is infinite"
        )
    return values.astype(float)


def na_mask(text: pd.Series, values: pd.Series, na_values: Sequence[str]) -> pd.Series:
    """Which cells hold one of the publisher's missing-value codes ``na_values``.

    A cell matches when its text, trimmed, equals a code exactly (``"-999"``, ``"x"``), or
    when it is a number equal to a code that is a number (``"-999.0"`` and ``"-999.00"``
    match ``"-999"``; ``"-999.5"`` does not).
    """
    if not na_values:
        return pd.Series(False, index=text.index)
    codes = {str(c).strip() for c in na_values}
    numbers = {float(c) for c in codes if _is_number(c)}
    by_text = text.isin(codes)
    by_number = values.isin(numbers) if numbers else pd.Series(False, index=text.index)
    return (by_text | by_number).fillna(False).astype(bool)


def is_numeric_column(series: pd.Series, na_values: Sequence[str] = ()) -> bool:
    """True when most non-empty cells (at least half) parse as numbers.

    A column with a few typos still counts as numeric, so its bad cells are reported rather
    than the whole column being silently skipped. Cells holding one of ``na_values`` (as
    text) are left out of the count, like empty cells.
    """
    codes = {str(c).strip() for c in na_values}
    text = series.dropna().map(lambda v: str(v).strip()).astype(object)
    text = text[(text != "") & ~text.str.lower().isin(_NA_TEXT) & ~text.isin(codes)]
    if text.empty:
        return False
    numeric = text.map(lambda v: bool(_DECIMAL_COMMA.match(v)) or _is_number(v))
    return bool(numeric.mean() >= 0.5)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def split_list(value: object) -> list[str]:
    """``"youth; women"`` → ``["youth", "women"]`` (semicolons or commas)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(v).strip() for v in value if str(v).strip()]
    if is_missing(value):
        return []
    text = str(value)
    sep = ";" if ";" in text else ("|" if "|" in text else ",")
    return [part.strip() for part in text.split(sep) if part.strip()]


def raise_problems(path: Path, what: str, problems: list[str]) -> None:
    if problems:
        raise InputError(format_problems(f"{path}: the {what} file has problems:", problems))


_BOOL = {
    "true": True,
    "t": True,
    "yes": True,
    "y": True,
    "1": True,
    "formal": True,
    "false": False,
    "f": False,
    "no": False,
    "n": False,
    "0": False,
    "informal": False,
}


def parse_bool(value: object) -> bool | None:
    if is_missing(value):
        return None
    return _BOOL.get(str(value).strip().lower())


_TOTAL_EXAMPLES = 5


def rows_with_codes(
    frame: pd.DataFrame, codes: pd.Series, id_column: str, path: Path, warnings: list[str]
) -> pd.Series:
    """Which rows have a code; the others (often a city or district total) are left out.

    Not an error: each row left out is named in ``warnings`` with what it holds (its first
    cell of text that is not a number), e.g. ``line 79: no code in column 'GEOID', name
    "CHICAGO" — a city total? left out``; many such rows make one line with a count and
    examples. Returns a boolean mask over ``frame``'s rows.
    """
    empty = codes.isna().to_numpy()
    if not empty.any():
        return pd.Series(True, index=frame.index)
    others = [c for c in frame.columns if c != id_column]
    labels = frame.index[empty]
    held = [
        (row_label(path, int(label)), _row_holds(frame.loc[label, others]))
        for label in labels[:_TOTAL_EXAMPLES]
    ]
    if len(labels) == 1:
        line, holds = held[0]
        warnings.append(
            f"{path.name}, {line}: no code in column {id_column!r}, {holds} — "
            "a city total? left out"
        )
    else:
        shown = "; ".join(f"{line}: {holds}" for line, holds in held)
        extra = len(labels) - _TOTAL_EXAMPLES
        more = f" and {extra:,} more" if extra > 0 else ""
        warnings.append(
            f"{path.name}: {len(labels):,} rows have no code in column {id_column!r} "
            f"and were left out (city or district totals?): {shown}{more}"
        )
    return pd.Series(~empty, index=frame.index)


def _row_holds(row: pd.Series) -> str:
    """What a row holds, in a few words: its first text that is not a number."""
    for column, value in row.items():
        text = cell_text(value)
        if text and not _is_number(text) and text.lower() not in _NA_TEXT:
            return f'{column} "{text}"'
    if any(cell_text(v) for v in row):
        return "only numbers"
    return "an empty row"
