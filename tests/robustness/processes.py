"""Run the real ``python -m citygeo`` in subprocesses, and fingerprint a store's contents."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from citygeo.store import quote_ident, table_columns

REPO = Path(__file__).resolve().parents[2]
# Columns that hold the time of the run, not its result.
TIME_COLUMNS = {("methodologies", "created_at"), ("ingest_reports", "ingested_at")}


def citygeo_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "citygeo", *args]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["COLUMNS"] = "200"
    env.pop("CITYGEO_STORE", None)
    return env


def start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        citygeo_command(*args),
        cwd=cwd,
        env=child_env(),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@contextmanager
def plain_reader(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection without the spatial extension (checks need no geometry
    functions, and loading the extension costs half a second of CPU per connection)."""
    con = duckdb.connect(
        str(path),
        read_only=True,
        config={"autoload_known_extensions": False, "autoinstall_known_extensions": False},
    )
    try:
        yield con
    finally:
        con.close()


class PlainStore:
    """What the corpus checks read from a store: ``query`` and ``count``, no spatial."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        with plain_reader(self.path) as con:
            return con.execute(sql, params or []).df()

    def count(self, table: str) -> int:
        return int(self.query(f"SELECT count(*) AS n FROM {quote_ident(table)}")["n"].iloc[0])


def fingerprint(path: Path) -> dict[str, tuple[int, str]]:
    """Per table: (row count, md5 of its sorted rows), leaving out the time-of-run columns.

    ``ingest_reports`` is fingerprinted by its row count only (each complete ingest adds one).
    """
    result: dict[str, tuple[int, str]] = {}
    with plain_reader(path) as con:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables ORDER BY 1"
            ).fetchall()
        ]
        for table in tables:
            columns = [c for c in table_columns(con, table) if (table, c) not in TIME_COLUMNS]
            if table == "ingest_reports":
                columns = []
            select = ", ".join(quote_ident(c) for c in columns) or "1 AS one"
            count, digest = con.execute(
                f"SELECT count(*), md5(coalesce(string_agg(CAST(t AS VARCHAR), '|' ORDER BY "
                f"CAST(t AS VARCHAR)), '')) FROM (SELECT {select} FROM {quote_ident(table)}) t"
            ).fetchone()
            result[table] = (int(count), str(digest))
    return result
