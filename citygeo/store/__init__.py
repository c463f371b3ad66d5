"""The DuckDB store: the only package that imports duckdb (see :mod:`citygeo.store.database`)."""

from citygeo.store.database import (
    CURRENT_METHODOLOGY_COLUMNS,
    Connection,
    DatabaseError,
    Store,
    append_rows,
    connect,
    current_methodologies,
    current_score_rows,
    ensure_columns,
    extension_directory,
    quote_ident,
    replace_table,
)

__all__ = [
    "CURRENT_METHODOLOGY_COLUMNS",
    "Connection",
    "DatabaseError",
    "Store",
    "append_rows",
    "connect",
    "current_methodologies",
    "current_score_rows",
    "ensure_columns",
    "extension_directory",
    "quote_ident",
    "replace_table",
]
