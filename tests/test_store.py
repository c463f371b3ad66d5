"""The store: offline spatial extension, atomic writes, read-only readers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from citygeo.errors import StoreError
from citygeo.store import Store, append_rows, connect, quote_ident
from tests.fixtures.city import file_digest


def test_spatial_extension_loads_offline(tmp_path: Path) -> None:
    con = connect(tmp_path / "x.duckdb")
    try:
        row = con.execute(
            "SELECT extension_name, loaded, install_path FROM duckdb_extensions() "
            "WHERE extension_name = 'spatial'"
        ).fetchone()
        assert row[1] is True
        assert "duckdb_ext" in row[2]
        assert (
            con.execute(
                "SELECT ST_Area(ST_GeomFromText('POLYGON((0 0,2 0,2 2,0 2,0 0))'))"
            ).fetchone()[0]
            == 4.0
        )
    finally:
        con.close()


def test_failed_write_leaves_file_unchanged(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    with store.writer() as con:
        append_rows(con, "sources", pd.DataFrame({"source_id": ["a"], "name": ["A"]}))
    before = file_digest(store.path)
    with pytest.raises(RuntimeError, match="boom"), store.writer() as con:
        con.execute("DELETE FROM sources")
        raise RuntimeError("boom")
    assert file_digest(store.path) == before
    assert store.count("sources") == 1
    assert [p.name for p in tmp_path.iterdir() if "tmp" in p.name] == []


def test_reader_of_missing_store_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="citygeo ingest"):
        Store(tmp_path / "nope.duckdb").query("SELECT 1")


def test_reader_cannot_write(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    store.initialise()
    with store.reader() as con, pytest.raises(Exception, match="read-only"):
        con.execute("DELETE FROM sources")


def test_hostile_identifier_is_quoted(tmp_path: Path) -> None:
    name = 'x"; DROP TABLE neighbourhoods; --'
    store = Store(tmp_path / "s.duckdb")
    with store.writer() as con:
        con.execute(f"CREATE TABLE t ({quote_ident(name)} INTEGER)")
        append_rows(con, "t", pd.DataFrame({name: [1]}))
    assert "neighbourhoods" in store.tables()
    assert store.query(f"SELECT {quote_ident(name)} AS v FROM t")["v"].tolist() == [1]
