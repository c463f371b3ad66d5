"""The DuckDB store: the only package that imports duckdb, and the home of every SQL query
outside the ingest's spatial join.

- :mod:`citygeo.store.database`: the :class:`Store` (one file per city; read-only readers,
  one atomic writer at a time), the offline spatial extension, identifier quoting.
- :mod:`citygeo.store.reads`: every read the service layer makes (one function per fact).
- :mod:`citygeo.store.writes`: table and score writes inside ``Store.writer()``.
"""

from citygeo.store import reads, writes
from citygeo.store.database import (
    Connection,
    DatabaseError,
    StagedCopy,
    Store,
    connect,
    create_schema,
    extension_directory,
    one_row,
    one_thread,
    quote_ident,
    settle,
    table_columns,
)
from citygeo.store.writes import append_rows, ensure_columns, replace_table

__all__ = [
    "Connection",
    "DatabaseError",
    "StagedCopy",
    "Store",
    "append_rows",
    "connect",
    "create_schema",
    "ensure_columns",
    "extension_directory",
    "one_row",
    "one_thread",
    "quote_ident",
    "reads",
    "replace_table",
    "settle",
    "table_columns",
    "writes",
]
