"""The DuckDB store: the only module that imports duckdb.

One file per city. Reads use short-lived read-only connections to the current file. Every
write happens on a copy of the file that replaces the original atomically (``os.replace``)
when the whole unit of work has succeeded, so a failed or killed write leaves the store
byte-for-byte as it was and readers never see a half-written city.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import logging
import os
import shutil
import stat
import sys
import sysconfig
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import geopandas as gpd
import pandas as pd
import shapely

from citygeo.errors import StoreError
from citygeo.schema import TABLES

log = logging.getLogger(__name__)

Connection = duckdb.DuckDBPyConnection
DatabaseError = duckdb.Error


def extension_directory() -> Path:
    """The folder where the ``duckdb-ext-spatial`` wheel put the spatial extension."""
    candidates = [Path(sysconfig.get_paths()["purelib"])] + [Path(p) for p in sys.path if p]
    for base in candidates:
        folder = base / "duckdb_ext" / "extensions"
        if folder.is_dir():
            return folder
    raise StoreError(
        "The DuckDB spatial extension is not installed. Install it with "
        "`pip install duckdb-ext-spatial` (it ships the extension; nothing is downloaded)."
    )


def connect(path: Path | str, *, read_only: bool = False) -> Connection:
    """Open a DuckDB connection with the spatial extension loaded offline."""
    config: dict[str, str | bool | int | float | list[str]] = {
        "extension_directory": str(extension_directory()),
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    }
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.Error as err:
        raise StoreError(f"Cannot open the store {path}: {err}") from err
    con.execute("LOAD spatial")
    return con


def quote_ident(name: str) -> str:
    """Quote an SQL identifier (column or table name) so no user text reaches SQL unquoted."""
    return '"' + str(name).replace('"', '""') + '"'


def table_columns(con: Connection, table: str) -> list[str]:
    """A table's columns in order (temporary tables included; none when there is no table)."""
    return [
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position",
            [table],
        ).fetchall()
    ]


@contextlib.contextmanager
def one_thread(con: Connection) -> Iterator[None]:
    """Run statements on one thread, then restore the setting.

    Used where float sums must come out the same on every run (DuckDB adds the partial sums
    of its threads in whatever order they finish)."""
    threads = one_row(con.execute("SELECT current_setting('threads')").fetchone())[0]
    con.execute("SET threads = 1")
    try:
        yield
    finally:
        con.execute("SET threads = ?", [int(threads)])


def settle(con: Connection) -> None:
    """Commit what a :meth:`Store.writer` unit of work wrote so far, and go on in a new
    transaction.

    DuckDB reads a table made inside an open transaction on one thread (its rows are still
    the transaction's own); once committed, on every thread. The unit of work stays all or
    nothing: it runs on a private copy of the store, which replaces the store only when all of
    it succeeded, so a later failure still leaves the store as it was. Row ids of a table made
    in the transaction are renumbered from 0 by the commit: settle before reading them. On a
    connection outside any transaction (every statement committed already) it does nothing.
    """
    try:
        con.execute("COMMIT")
    except duckdb.TransactionException:
        return
    con.execute("BEGIN TRANSACTION")


def one_row(row: tuple[Any, ...] | None) -> tuple[Any, ...]:
    """The row of a query that always returns one (an aggregate without ``GROUP BY``), as
    ``fetchone()`` gave it; StoreError if there was none."""
    if row is None:
        raise StoreError("a query that always returns one row returned none")
    return row


def create_schema(con: Connection) -> None:
    """Create every table of DESIGN.md §2 that does not exist yet."""
    for table, columns in TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {quote_ident(table)} ({columns})")


class Store:
    """A city's DuckDB file: read-only reads, one atomic writer at a time."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    def exists(self) -> bool:
        return self.path.is_file()

    def version(self) -> tuple[int, int]:
        """A token that changes whenever the file is replaced (for caches)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return (0, 0)
        return (st.st_ino, st.st_mtime_ns)

    # -- reading -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def reader(self) -> Iterator[Connection]:
        """A read-only connection to the current file (a consistent snapshot of one version).

        DuckDB shares one database instance between connections of a process that name the
        same path, so a reader opened while another is still open would see the file as it
        was before the last write replaced it. The reader therefore opens the file itself and
        connects through ``/proc/self/fd/N``: a name unique to this open file, so it always
        gets the current file, and keeps that version until it closes.
        """
        if not self.exists():
            raise StoreError(
                f"There is no store at {self.path}. Create one with `citygeo ingest CITY.toml "
                f"--store {self.path}` or `citygeo demo --store {self.path}`."
            )
        fd = _open_current(self.path)
        try:
            con = connect(_FD_FOLDER / str(fd) if fd is not None else self.path, read_only=True)
            try:
                yield con
            finally:
                con.close()
        finally:
            if fd is not None:
                os.close(fd)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run one read query and return a DataFrame."""
        with self.reader() as con:
            return con.execute(sql, params or []).df()

    def tables(self) -> set[str]:
        rows = self.query("SELECT table_name FROM information_schema.tables")
        return set(rows["table_name"])

    def count(self, table: str) -> int:
        if table not in self.tables():
            return 0
        return int(self.query(f"SELECT count(*) AS n FROM {quote_ident(table)}")["n"].iloc[0])

    def read_table(
        self,
        table: str,
        columns: Sequence[str] | None = None,
        where: str = "",
        params: Sequence[Any] | None = None,
    ) -> pd.DataFrame:
        """Read a table (geometry columns come back as WKB bytes named ``<col>_wkb``)."""
        with self.reader() as con:
            return _read_table(con, table, columns, where, params)

    def neighbourhoods(self, *, geometry: bool = True) -> pd.DataFrame | gpd.GeoDataFrame:
        """The neighbourhoods, as a GeoDataFrame in EPSG:4326 when ``geometry``."""
        cols = ["nid", "name", "district", "population", "area_km2"]
        frame = self.read_table("neighbourhoods", cols + (["geom"] if geometry else []))
        frame = frame.sort_values("nid", kind="stable").reset_index(drop=True)
        if not geometry:
            return frame
        geoms = shapely.from_wkb(frame.pop("geom_wkb").to_numpy())
        return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326")

    # -- writing -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def writer(self, staged: StagedCopy | None = None) -> Iterator[Connection]:
        """One all-or-nothing unit of work.

        The current file is copied next to itself, the work runs on the copy inside one
        transaction, and the copy replaces the original only when everything succeeded.
        Writers are serialised with a lock file, so no write is lost. ``staged``: a copy made
        ahead (:meth:`staged_copy`), used instead of copying now when it is a complete copy of
        the file that is current under the lock.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                self._remove_stale_copies(keep=staged)
                yield from self._write_swap(staged)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def staged_copy(self) -> Iterator[StagedCopy]:
        """Copy the current file (and flush the copy to disk) in a thread while the caller
        works, for a later :meth:`writer` to start from; removed on leaving if unused.

        A score spends seconds computing before it writes; copying a 350 MB store and
        flushing it then takes its own seconds. Copied ahead, the writer only has to check,
        under the lock, that the file copied is still the current one.
        """
        staged = StagedCopy(self.path)
        try:
            yield staged
        finally:
            staged.discard()

    def _remove_stale_copies(self, keep: StagedCopy | None = None) -> None:
        """Delete copies left by a writer that was killed (only writers holding the lock make
        ``.tmp-`` copies), and staged copies of a process that was killed (another process's
        live staged copy may go too: that process then copies afresh)."""
        name = glob.escape(self.path.name)
        for pattern in (".tmp-*", ".staged-*"):
            for stale in self.path.parent.glob(name + pattern):
                if keep is not None and stale == keep.path:
                    continue
                with contextlib.suppress(FileNotFoundError):
                    stale.unlink()
                    log.info("removed %s, left by an interrupted write", stale)

    def _write_swap(self, staged: StagedCopy | None = None) -> Iterator[Connection]:
        fd, tmp_name = tempfile.mkstemp(prefix=self.path.name + ".tmp-", dir=self.path.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        tmp.unlink()
        try:
            if self.exists() and not (staged is not None and staged.take(tmp, self.version())):
                shutil.copy2(self.path, tmp)
            con = connect(tmp)
            try:
                con.execute("BEGIN TRANSACTION")
                create_schema(con)
                yield con
                con.execute("COMMIT")
                con.execute("CHECKPOINT")
            except BaseException:
                with contextlib.suppress(duckdb.Error):
                    con.execute("ROLLBACK")
                raise
            finally:
                con.close()
            _fsync(tmp)
            os.replace(tmp, self.path)
            _fsync_dir(self.path.parent)
            log.info("store %s written", self.path)
        finally:
            for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()

    def initialise(self) -> None:
        """Create an empty store with the full schema (no-op for tables that exist)."""
        with self.writer():
            pass


class StagedCopy:
    """A copy of a store's current file, made and flushed to disk in a thread (no lock held:
    the current file is never written in place, only replaced)."""

    def __init__(self, path: Path) -> None:
        fd, name = tempfile.mkstemp(prefix=path.name + ".staged-", dir=path.parent)
        os.close(fd)
        self.path = Path(name)
        self.source = path
        self.version: tuple[int, int] | None = None  # of the file copied, once complete
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._copy, name="staged-copy", daemon=True)
        self._thread.start()

    def _copy(self) -> None:
        try:
            with open(self.source, "rb") as src:
                st = os.fstat(src.fileno())
                with open(self.path, "wb") as dst:
                    _copy_contents(src, dst)
                    # the copied file's mode and times (as shutil.copy2), from the same fstat
                    os.fchmod(dst.fileno(), stat.S_IMODE(st.st_mode))
                    os.utime(dst.fileno(), ns=(st.st_atime_ns, st.st_mtime_ns))
                    os.fsync(dst.fileno())
            # the version of the file copied (a file that replaced it has another inode)
            self.version = (st.st_ino, st.st_mtime_ns)
        except BaseException as err:  # noqa: BLE001 - the writer copies afresh instead
            self._error = err

    def wait(self) -> None:
        """Return when the copy is complete (or has failed)."""
        self._thread.join()

    def take(self, target: Path, current: tuple[int, int]) -> bool:
        """Move the copy to ``target`` if it is a complete copy of the ``current`` file
        (called under the writer lock); False (the writer copies afresh) otherwise."""
        self.wait()
        if self._error is not None or self.version != current:
            log.info("staged copy of %s not used (%s)", self.source, self._error or "replaced")
            return False
        try:
            os.rename(self.path, target)
        except FileNotFoundError:  # another writer removed it as stale
            return False
        return True

    def discard(self) -> None:
        """Remove the copy if no writer took it."""
        self.wait()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _copy_contents(src: Any, dst: Any) -> None:
    """Copy an open file into another in the kernel (``copy_file_range``), or through Python
    where the kernel cannot."""
    try:
        while os.copy_file_range(src.fileno(), dst.fileno(), 1 << 30):
            pass
    except OSError:
        src.seek(0)
        dst.seek(0)
        dst.truncate()
        shutil.copyfileobj(src, dst)
        dst.flush()


def _read_table(
    con: Connection,
    table: str,
    columns: Sequence[str] | None,
    where: str,
    params: Sequence[Any] | None,
) -> pd.DataFrame:
    info = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()
    if not info:
        raise StoreError(f"The store has no table {table!r}; was the city ingested?")
    types = dict(info)
    wanted = list(columns) if columns else list(types)
    select = []
    for col in wanted:
        if col not in types:
            raise StoreError(f"The store's table {table!r} has no column {col!r}.")
        if types[col] == "GEOMETRY":
            select.append(f"ST_AsWKB({quote_ident(col)}) AS {quote_ident(col + '_wkb')}")
        else:
            select.append(quote_ident(col))
    sql = f"SELECT {', '.join(select)} FROM {quote_ident(table)} {where}"
    frame = con.execute(sql, params or []).df()
    for col in wanted:
        if types[col] == "GEOMETRY":
            frame[col + "_wkb"] = frame[col + "_wkb"].map(
                lambda b: bytes(b) if b is not None else None
            )
    return frame


_FD_FOLDER = Path("/proc/self/fd")


def _open_current(path: Path) -> int | None:
    """An open descriptor of the file now at ``path`` (None where /proc/self/fd does not exist)."""
    if not _FD_FOLDER.is_dir():
        return None
    try:
        return os.open(path, os.O_RDONLY)
    except FileNotFoundError as err:
        raise StoreError(f"The store {path} disappeared while opening it: {err}") from err


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


__all__ = [
    "Connection",
    "DatabaseError",
    "StagedCopy",
    "Store",
    "connect",
    "create_schema",
    "extension_directory",
    "one_row",
    "quote_ident",
]
