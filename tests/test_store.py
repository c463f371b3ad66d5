"""The store: offline spatial extension, atomic writes, read-only readers."""

from __future__ import annotations

import os
import shutil
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


def _sources(store: Store) -> list[str]:
    return sorted(store.query("SELECT source_id FROM sources")["source_id"])


def _add_source(con: object, source_id: str) -> None:
    append_rows(con, "sources", pd.DataFrame({"source_id": [source_id], "name": [source_id]}))  # type: ignore[arg-type]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name or ".staged-" in p.name)


def test_writer_starts_from_a_staged_copy_of_the_current_file(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    with store.writer() as con:
        _add_source(con, "a")
    before = file_digest(store.path)
    with store.staged_copy() as staged:
        staged.wait()  # the copy is complete
        copied = staged.path.stat().st_ino
        assert file_digest(staged.path) == before  # byte for byte, flushed
        assert staged.version == store.version()
        with store.writer(staged) as con:
            _add_source(con, "b")
    # the staged file itself became the store: no second copy was made
    assert store.path.stat().st_ino == copied
    assert _sources(store) == ["a", "b"]
    assert _leftovers(tmp_path) == []


def test_staged_copy_of_a_replaced_file_is_not_used_and_no_write_is_lost(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    with store.writer() as con:
        _add_source(con, "a")
    elsewhere = Store(tmp_path / "elsewhere" / "s.duckdb")
    elsewhere.path.parent.mkdir()
    shutil.copy2(store.path, elsewhere.path)
    with elsewhere.writer() as con:
        _add_source(con, "other")
    with store.staged_copy() as staged:
        staged.wait()
        copied = staged.path.stat().st_ino
        # the file is replaced after it was copied (as a writer's swap does)
        os.replace(elsewhere.path, store.path)
        with store.writer(staged) as con:
            _add_source(con, "b")
    assert store.path.stat().st_ino != copied
    assert _sources(store) == ["a", "b", "other"]
    assert _leftovers(tmp_path) == []


def test_staged_copy_removed_by_another_writer_is_copied_afresh(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    with store.writer() as con:
        _add_source(con, "a")
    with store.staged_copy() as staged:
        staged.wait()
        staged.path.unlink()  # what another writer's stale-copy clean-up does
        with store.writer(staged) as con:
            _add_source(con, "b")
    assert _sources(store) == ["a", "b"]
    assert _leftovers(tmp_path) == []


def test_unused_or_failed_staged_copy_leaves_the_store_and_folder_as_before(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "s.duckdb")
    with store.writer() as con:
        _add_source(con, "a")
    before = file_digest(store.path)
    with (
        pytest.raises(RuntimeError, match="boom"),
        store.staged_copy() as staged,
        store.writer(staged) as con,
    ):
        _add_source(con, "b")
        raise RuntimeError("boom")
    with store.staged_copy():
        pass
    assert file_digest(store.path) == before
    assert _leftovers(tmp_path) == []
