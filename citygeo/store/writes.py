"""Writes inside a unit of work (``Store.writer()``): tables replaced or appended, scores saved."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from citygeo.errors import StoreError
from citygeo.store.database import (
    Connection,
    DatabaseError,
    one_thread,
    quote_ident,
    table_columns,
)

if TYPE_CHECKING:  # the scoring package (esda, libpysal) loads only where scores are written
    from citygeo.scoring.methodology import Methodology


def replace_table(
    con: Connection, table: str, frame: pd.DataFrame, geometry: dict[str, str] | None = None
) -> None:
    """Replace the rows of ``table`` with ``frame`` (column names matched by name).

    ``geometry`` maps a table column to the frame column holding its WKB bytes.
    """
    con.execute(f"DELETE FROM {quote_ident(table)}")
    append_rows(con, table, frame, geometry)


def append_rows(
    con: Connection, table: str, frame: pd.DataFrame, geometry: dict[str, str] | None = None
) -> None:
    """Insert ``frame`` into ``table``; geometry columns are built from WKB bytes."""
    if frame.empty:
        return
    geometry = geometry or {}
    view = f"__citygeo_{table}"
    con.register(view, _as_arrow(frame))
    try:
        cols, exprs = [], []
        for col in frame.columns:
            target = next((g for g, src in geometry.items() if src == col), None)
            if target is not None:
                cols.append(quote_ident(target))
                exprs.append(f"ST_GeomFromWKB({quote_ident(col)})")
            else:
                cols.append(quote_ident(col))
                exprs.append(quote_ident(col))
        with one_thread(con):
            con.execute(
                f"INSERT INTO {quote_ident(table)} ({', '.join(cols)}) "
                f"SELECT {', '.join(exprs)} FROM {quote_ident(view)}"
            )
    except DatabaseError as err:
        raise StoreError(f"Could not write table {table!r}: {err}") from err
    finally:
        con.unregister(view)


def _as_arrow(frame: pd.DataFrame) -> pa.Table | pd.DataFrame:
    """The frame as an Arrow table for DuckDB to scan; the frame itself where Arrow cannot type
    a column (mixed Python objects), which DuckDB's pandas scan reads as before."""
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return frame


def ensure_columns(con: Connection, table: str, columns: dict[str, str]) -> None:
    """Add any missing columns (name → DuckDB type) to ``table``."""
    have = set(table_columns(con, table))
    for name, sqltype in columns.items():
        if name not in have:
            con.execute(
                f"ALTER TABLE {quote_ident(table)} ADD COLUMN {quote_ident(name)} {sqltype}"
            )


def _sql_type(series: pd.Series) -> str:
    if series.name == "flags":
        return "VARCHAR[]"
    if pd.api.types.is_bool_dtype(series):
        return "BOOLEAN"
    if pd.api.types.is_integer_dtype(series):
        return "BIGINT"
    if pd.api.types.is_numeric_dtype(series):
        return "DOUBLE"
    return "VARCHAR"


def write_scores(
    con: Connection, methodology: Methodology, scores: pd.DataFrame, note: str | None = None
) -> None:
    """Record the methodology and replace its score rows for the years in ``scores``."""
    from citygeo.scoring.methodology import canonical_json, methodology_sha256

    sha = methodology_sha256(methodology)
    con.execute("DELETE FROM methodologies WHERE sha256 = ?", [sha])
    con.execute(
        "INSERT INTO methodologies VALUES (?, ?, ?, ?, ?)",
        [
            methodology.version,
            sha,
            canonical_json(methodology),
            note if note is not None else methodology.note,
            datetime.now(UTC).replace(tzinfo=None),
        ],
    )
    replace_score_rows(con, "scores", scores, sha)


def replace_score_rows(con: Connection, table: str, scores: pd.DataFrame, sha: str) -> None:
    """Replace the rows of one methodology and its years in a scores-like table."""
    frame = scores.copy()
    frame["flags"] = frame["flags"].map(
        lambda f: [str(x) for x in f] if isinstance(f, (list, tuple, np.ndarray)) else []
    )
    columns = {str(c): _sql_type(frame[c]) for c in frame.columns}
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {quote_ident(table)} (nid VARCHAR, year INTEGER, "
        "grp VARCHAR, methodology_sha256 VARCHAR)"
    )
    ensure_columns(con, table, columns)
    years = sorted(int(y) for y in frame["year"].unique())
    con.execute(
        f"DELETE FROM {quote_ident(table)} WHERE methodology_sha256 = ? AND list_contains(?, year)",
        [sha, years],
    )
    append_rows(con, table, frame)
