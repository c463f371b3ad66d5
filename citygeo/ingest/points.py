"""Incidents and assets: read points, validate them, assign them to neighbourhoods in DuckDB.

Point-in-polygon assignment is vectorised, never a Python loop, in two parts:

1. A grid pre-filter (:mod:`citygeo.ingest.cells`): points in a cell that lies wholly in the
   interior of one neighbourhood (or in none) get its answer by an integer hash join in DuckDB.
2. Every other point (near a border, or where neighbourhoods overlap) is fetched as arrays and
   tested exactly by GEOS on prepared polygons (:func:`citygeo.ingest.cells.assign_points`,
   ``intersects``: a point on a border is in both neighbourhoods).

A point on a border shared by two neighbourhoods goes to the one whose code (``nid``) sorts
first, so assignment is deterministic; the grid never decides such points.

The file is read once, in parallel, into a table of the parsed values (no line numbers: a
``row_number() OVER ()`` would make the read single-threaded). The table is created from a
single ordered scan, so row ``rowid`` is record ``rowid`` of the file (DuckDB preserves
insertion order for a one-table ``SELECT``): line ``rowid + 2`` of a CSV (after the header),
feature ``rowid + 1`` of a vector file. The raw text of a bad value is read again, with line
numbers, only when a message needs it. A CSV is read with its coordinates typed as numbers
first (:func:`_parse_typed`); if any value is not one, it is read again as text
(:func:`_parse`), which words every message.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import shapely

from citygeo.config import PointsSpec
from citygeo.errors import CRSError, StoreError
from citygeo.ingest.cells import EMPTY, CellGrid, assign_points, cell_grid
from citygeo.ingest.dates import (
    DateReading,
    groups_from_rows,
    infer_reading,
    reading_from_format,
    sql_date,
    summary_sql,
)
from citygeo.ingest.point_checks import (
    _CSV_SUFFIXES,
    _MERGED,
    _PARSED,
    _date_column,
    _first_line,
    _is_vector,
    _merge_repeated_ids,
    _outside_everywhere,
    _validate,
)
from citygeo.ingest.point_reads import (
    _columns,
    _drop_raw,
    _parse,
    _parse_typed,
    _require,
    _sql_text,
    _stage_csv,
    _stage_vector,
)
from citygeo.ingest.readers import require_file
from citygeo.store import Connection, ensure_columns, one_row, quote_ident, settle

log = logging.getLogger(__name__)

_PTS = "__citygeo_points"
_CELLS = "__citygeo_cells"
_CELL_FRAME = "__citygeo_cells_frame"
_ASSIGN = "__citygeo_assign"
_ASSIGN_FRAME = "__citygeo_assign_frame"
TYPED_READ = True
"""Read a CSV's coordinates as numbers first (:func:`_parse_typed`); False: always as text."""


@dataclass(frozen=True)
class PointsResult:
    """What one points file gave: rows read, assigned, outside the city."""

    path: Path
    kind: str
    rows: int
    assigned: int
    outside: int
    merged: int = 0


def ingest_points(
    con: Connection,
    spec: PointsSpec,
    source_id: str | None,
    warnings: list[str],
    *,
    today: pd.Timestamp | None = None,
) -> PointsResult:
    """Load one points file into ``incidents`` or ``assets`` (neighbourhoods must be loaded)."""
    require_file(spec.path, spec.kind)
    encoding = None
    if spec.path.suffix.lower() in _CSV_SUFFIXES:
        encoding = _stage_csv(con, spec, warnings)
    else:
        _stage_vector(con, spec, warnings)
    try:
        columns = _columns(con)
        _require(columns, spec)
        with ThreadPoolExecutor(max_workers=1) as pool:
            # The grid (Python, one core) is computed while DuckDB reads the file.
            polygons = _polygons(con)
            shapes = shapely.from_wkb([wkb for _, wkb in polygons])
            grid_job = pool.submit(cell_grid, shapes)
            if not (encoding and TYPED_READ and _parse_typed(con, spec, encoding)):
                _parse(con, spec, warnings)
            settle(con)  # every later scan of the parsed rows then runs on every thread
            grid = grid_job.result()
        reading = _date_reading(con, spec, warnings)
        base = _validate(con, spec, warnings, today or pd.Timestamp.today().normalize(), reading)
    finally:
        _drop_raw(con)
    _load_cells(con, grid, [nid for nid, _ in polygons])
    if spec.x and spec.crs and not _is_vector(spec):
        base = _transform(con, spec)
    merged = _merge_repeated_ids(con, spec, warnings)
    _assign(con, grid, shapes, [nid for nid, _ in polygons])
    assigned, outside, total = _insert(con, spec, source_id, grid, base, reading)
    if outside:
        warnings.append(
            f"{spec.path.name}: {outside:,} of {total:,} points fall in no "
            "neighbourhood; they are kept in the store without a neighbourhood"
        )
    log.info(
        "assigned %d %s to neighbourhoods; %d outside (%s)", assigned, spec.kind, outside, spec.path
    )
    con.execute(
        f"DROP TABLE IF EXISTS {_PARSED}; DROP TABLE IF EXISTS {_PTS}; "
        f"DROP TABLE IF EXISTS {_CELLS}; DROP TABLE IF EXISTS {_ASSIGN}; "
        f"DROP TABLE IF EXISTS {_MERGED}"
    )
    return PointsResult(spec.path, spec.kind, total, assigned, outside, merged)


def _date_reading(con: Connection, spec: PointsSpec, warnings: list[str]) -> DateReading | None:
    """How to read the date column: ``date_format``, or the format all its values prove.

    The inference reads one summary row per shape of value, computed in DuckDB over the
    distinct values (:func:`citygeo.ingest.dates.summary_sql`). None for undated points."""
    if spec.kind != "incidents" or not spec.date:
        return None
    column = _date_column(spec)
    if spec.date_format:
        return reading_from_format(spec.date_format, column)
    sql = summary_sql(_PARSED, "__date_text")
    reading = infer_reading(groups_from_rows(con.execute(sql).fetchall()), column)
    if reading.note:
        warnings.append(reading.note)
    log.info("%s: dates of column %r %s", spec.path, spec.date, reading.described)
    return reading


def _polygons(con: Connection) -> list[tuple[str, bytes]]:
    """``(nid, WKB)`` of every loaded neighbourhood, in ``nid`` order."""
    rows = con.execute("SELECT nid, ST_AsWKB(geom) FROM neighbourhoods ORDER BY nid").fetchall()
    return [(nid, bytes(wkb)) for nid, wkb in rows]


def _load_cells(con: Connection, grid: CellGrid, nids: list[str]) -> None:
    """Store the grid's decided cells as ``(cell, nid)``; ``nids[i]`` is polygon ``i``'s code.

    ``nid`` is NULL for an empty cell; cell -1 (outside the grid) is empty too. Cells that
    are not listed are left to the spatial join."""
    frame = pd.DataFrame(
        {
            "cell": np.append(grid.cells, -1).astype(np.int32),
            "code": np.append(grid.codes, -1).astype(np.int32),
        }
    )
    codes = pd.DataFrame(
        {"code": np.arange(len(nids), dtype=np.int32), "nid": pd.array(nids, dtype="string")}
    )
    con.register(_CELL_FRAME, frame)
    con.register(_CELL_FRAME + "_nids", codes)
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_CELLS} AS SELECT c.cell, h.nid "
            f"FROM {_CELL_FRAME} c LEFT JOIN {_CELL_FRAME}_nids h USING (code)"
        )
    finally:
        con.unregister(_CELL_FRAME)
        con.unregister(_CELL_FRAME + "_nids")
    log.debug(
        "grid pre-filter: %d x %d cells of %.6f, %d decided",
        grid.nx,
        grid.ny,
        grid.size,
        len(grid.cells),
    )


def _transform(con: Connection, spec: PointsSpec) -> int:
    """Projected ``x``/``y`` (validated) → longitude/latitude in ``__x``/``__y``, rows in order.

    Returns the new table's first ``rowid`` (as :func:`_validate` does)."""
    try:
        crs = pyproj.CRS.from_user_input(spec.crs).to_string()
    except pyproj.exceptions.CRSError as err:
        raise CRSError(f"[points] crs {spec.crs!r} is not a known CRS: {err}") from err
    geom = "ST_Transform(ST_Point(__x, __y), $crs, 'EPSG:4326', always_xy := true)"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_PTS} AS SELECT * EXCLUDE (__g) REPLACE ("
        f"ST_X(__g) AS __x, ST_Y(__g) AS __y) "
        f"FROM (SELECT *, {geom} AS __g FROM {_PARSED})",
        {"crs": crs},
    )
    con.execute(f"DROP TABLE {_PARSED}; ALTER TABLE {_PTS} RENAME TO {_PARSED}")
    settle(con)  # before the row ids are read: the commit renumbers them
    base, last, total = one_row(
        con.execute(f"SELECT min(rowid), max(rowid), count(*) FROM {_PARSED}").fetchone()
    )
    if last - base + 1 != total:  # as in _validate
        raise StoreError(
            f"{spec.path}: cannot number the records read (row ids {base}-{last} "
            f"for {total} rows); please report this as a bug in citygeo."
        )
    return int(base)


def _assign(con: Connection, grid: CellGrid, shapes: np.ndarray, nids: list[str]) -> None:
    """``(rowid, smallest nid)`` of each point the grid leaves undecided that lies in a
    neighbourhood (``shapes[i]`` is the polygon of ``nids[i]``, in ``nid`` order).

    The undecided points are fetched as arrays and tested by GEOS on prepared polygons
    (:func:`citygeo.ingest.cells.assign_points`); DuckDB's ``SPATIAL_JOIN`` tests the full
    polygon for every candidate and took 3-5 times as long (benchmarks/README.md)."""
    rows = con.execute(
        f"SELECT p.rowid AS __row, p.__x, p.__y FROM {_PARSED} p ANTI JOIN "
        f"{_CELLS} c ON c.cell = {grid.sql_cell('p.__x', 'p.__y')}"
    ).fetchnumpy()
    codes = assign_points(shapes, rows["__x"], rows["__y"])
    inside = codes != EMPTY
    frame = pd.DataFrame(
        {
            "__row": np.asarray(rows["__row"])[inside],
            "nid": pd.array(np.asarray(nids, dtype=object)[codes[inside]], dtype="string"),
        }
    )
    con.register(_ASSIGN_FRAME, frame)
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_ASSIGN} AS SELECT __row, nid FROM {_ASSIGN_FRAME}"
        )
    finally:
        con.unregister(_ASSIGN_FRAME)


def reassign_points(con: Connection, table: str) -> int:
    """Give the points ``table`` already holds the neighbourhood they lie in on the current
    boundaries (after a boundary change: rows kept from earlier deliveries were assigned on
    the old ones). Same rule as a new file: the smallest code wins on a shared border; a point
    in no neighbourhood gets none. Returns how many rows changed neighbourhood."""
    rows = con.execute(
        f"SELECT rowid AS __row, ST_X(geom) AS x, ST_Y(geom) AS y, nid "
        f"FROM {quote_ident(table)} WHERE geom IS NOT NULL"
    ).fetchnumpy()
    if len(rows["__row"]) == 0:
        return 0
    polygons = _polygons(con)
    nids = [nid for nid, _ in polygons]
    shapes = shapely.from_wkb([wkb for _, wkb in polygons])
    codes = assign_points(shapes, np.asarray(rows["x"], float), np.asarray(rows["y"], float))
    named = np.asarray(nids + [None], dtype=object)[np.where(codes == EMPTY, len(nids), codes)]
    old = np.asarray(rows["nid"], dtype=object)
    moved = np.asarray([a != b for a, b in zip(old, named, strict=True)])
    if not moved.any():
        return 0
    frame = pd.DataFrame(
        {
            "__row": np.asarray(rows["__row"])[moved],
            "nid": pd.array(named[moved], dtype="string"),
        }
    )
    con.register(_ASSIGN_FRAME, frame)
    try:
        con.execute(
            f"UPDATE {quote_ident(table)} t SET nid = f.nid FROM {_ASSIGN_FRAME} f "
            "WHERE t.rowid = f.__row"
        )
    finally:
        con.unregister(_ASSIGN_FRAME)
    return int(moved.sum())


def _text(column: str | None, default: str = "NULL") -> str:
    return f"NULLIF(trim(p.{quote_ident(column)}), '')" if column else default


def _row_columns(spec: PointsSpec, base: int, reading: DateReading | None) -> dict[str, str]:
    """Column of ``incidents`` or ``assets`` → SQL expression over the parsed row ``p``.

    ``base`` is the ``rowid`` of the file's first record (see :func:`_validate`); ``reading``
    says how to read the date (None: undated)."""
    line = f"(p.rowid + {_first_line(spec) - int(base)})"
    ident = _text(spec.id, f"'{_sql_text(spec.path.stem)}:' || {line}")
    if spec.kind == "incidents":
        category = _text(spec.category, "'incident'")
        date, precision = (
            (sql_date("p.__date_text", reading), f"'{reading.precision}'")
            if reading is not None
            else ("NULL::DATE", "NULL::VARCHAR")
        )
        return {
            "incident_id": ident,
            "occurred_on": date,
            "date_precision": precision,
            "category": f"coalesce({category}, 'unspecified')",
        }
    formal = (
        (
            f"CASE lower(trim(p.{quote_ident(spec.formal)})) WHEN 'true' THEN true "
            "WHEN 'yes' THEN true WHEN '1' THEN true WHEN 'formal' THEN true "
            "WHEN 'false' THEN false WHEN 'no' THEN false WHEN '0' THEN false "
            "WHEN 'informal' THEN false ELSE NULL END"
        )
        if spec.formal
        else "NULL::BOOLEAN"
    )
    themes = (
        (
            "list_filter(list_transform(string_split(regexp_replace("
            f"coalesce(p.{quote_ident(spec.themes)}, ''), "
            "'[,|]', ';', 'g'), ';'), x -> trim(x)), x -> x <> '')"
        )
        if spec.themes
        else "[]::VARCHAR[]"
    )
    return {
        "asset_id": ident,
        "kind": f"coalesce({_text(spec.category)}, 'unspecified')",
        "name": _text(spec.name, "NULL::VARCHAR"),
        "formal": formal,
        "themes": themes,
    }


def _insert(
    con: Connection,
    spec: PointsSpec,
    source_id: str | None,
    grid: CellGrid,
    base: int,
    reading: DateReading | None,
) -> tuple[int, int, int]:
    """Insert the parsed rows with their neighbourhood; return (assigned, outside, total).

    A point's ``nid`` is its grid cell's answer if the cell is decided, else the join's
    (NULL when it lies in no neighbourhood). Rows merged into an earlier one
    (``duplicate_ids = "count_once"``) are left out. No ORDER BY: row order is no contract.
    The counts are taken from the table before and after; if no point landed in a
    neighbourhood the error is raised here (the writer then rolls the whole ingest back)."""
    table = quote_ident(spec.kind)
    if spec.kind == "incidents":  # a store written before incidents had a date precision
        ensure_columns(con, "incidents", {"date_precision": "VARCHAR DEFAULT 'day'"})
    before, assigned_before = one_row(
        con.execute(f"SELECT count(*), count(nid) FROM {table}").fetchone()
    )
    columns = _row_columns(spec, base, reading)
    names = ", ".join(quote_ident(c) for c in columns)
    values = ", ".join(columns.values())
    extra = (
        f"ANTI JOIN {_MERGED} m ON m.__row = p.rowid" if spec.duplicate_ids == "count_once" else ""
    )
    # On every thread: once the parsed rows are committed (settle, above) two threads halve
    # the insert's wall time for the same file size (benchmarks/README.md, "Ingest, later").
    con.execute(
        f"INSERT INTO {table} ({names}, geom, nid, source_id) "
        f"SELECT {values}, ST_Point(p.__x, p.__y), coalesce(c.nid, a.nid), ? "
        f"FROM {_PARSED} p LEFT JOIN {_CELLS} c ON c.cell = "
        f"{grid.sql_cell('p.__x', 'p.__y')} "
        f"LEFT JOIN {_ASSIGN} a ON a.__row = p.rowid {extra}",
        [source_id],
    )
    after, assigned_after = one_row(
        con.execute(f"SELECT count(*), count(nid) FROM {table}").fetchone()
    )
    total, assigned = after - before, assigned_after - assigned_before
    if assigned == 0:
        raise _outside_everywhere(con, spec, total)
    return assigned, total - assigned, total
