"""Incidents and assets: read points, validate them, assign them to neighbourhoods in DuckDB.

Point-in-polygon assignment runs in DuckDB, never in a Python loop, in two parts:

1. A grid pre-filter (:mod:`citygeo.ingest.cells`): points in a cell that lies wholly in the
   interior of one neighbourhood (or in none) get its answer by an integer hash join.
2. Every other point (near a border, or where neighbourhoods overlap) goes through a DuckDB
   spatial join (``ST_Intersects`` with the R-tree ``SPATIAL_JOIN`` operator).

A point on a border shared by two neighbourhoods goes to the one whose code (``nid``) sorts
first, so assignment is deterministic; the grid never decides such points.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from citygeo.config import PointsSpec
from citygeo.errors import CRSError, InputError, format_problems
from citygeo.ingest.cells import CellGrid, cell_grid
from citygeo.ingest.columns import DATE_FORMATS, text_series
from citygeo.ingest.readers import read_vector, require_file, sniff_text
from citygeo.store import Connection, DatabaseError, quote_ident

log = logging.getLogger(__name__)

_CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
_RAW = "__citygeo_points_raw"
_FRAME = "__citygeo_points_frame"
_PARSED = "__citygeo_points_parsed"
_PTS = "__citygeo_points"
_CELLS = "__citygeo_cells"
_CELL_FRAME = "__citygeo_cells_frame"
_ASSIGN = "__citygeo_assign"
_FUTURE_GRACE_DAYS = 1


@dataclass(frozen=True)
class PointsResult:
    """What one points file gave: rows read, assigned, outside the city."""

    path: Path
    kind: str
    rows: int
    assigned: int
    outside: int


def ingest_points(con: Connection, spec: PointsSpec, source_id: str | None,
                  warnings: list[str], *, today: pd.Timestamp | None = None) -> PointsResult:
    """Load one points file into ``incidents`` or ``assets`` (neighbourhoods must be loaded)."""
    require_file(spec.path, spec.kind)
    if spec.path.suffix.lower() in _CSV_SUFFIXES:
        _stage_csv(con, spec, warnings)
    else:
        _stage_vector(con, spec, warnings)
    columns = _columns(con)
    _require(columns, spec)
    _parse(con, spec, warnings)
    _validate(con, spec, warnings, today or pd.Timestamp.today().normalize())
    _build_points(con, spec, _load_cells(con))
    assigned, outside, total = _assign(con, spec)
    _insert(con, spec, source_id)
    if outside:
        warnings.append(f"{spec.path.name}: {outside:,} of {total:,} points fall in no "
                        "neighbourhood; they are kept in the store without a neighbourhood")
    log.info("assigned %d %s to neighbourhoods; %d outside (%s)", assigned, spec.kind, outside, spec.path)
    _drop_raw(con)
    con.execute(f"DROP TABLE IF EXISTS {_PARSED}; DROP TABLE IF EXISTS {_PTS}; "
                f"DROP TABLE IF EXISTS {_CELLS}; DROP TABLE IF EXISTS {_ASSIGN}")
    return PointsResult(spec.path, spec.kind, total, assigned, outside)


def _stage_csv(con: Connection, spec: PointsSpec, warnings: list[str]) -> None:
    encoding, _ = sniff_text(spec.path)
    duck_encoding = {"utf-16": "utf-16", "cp1252": "latin-1"}.get(encoding, "utf-8")
    if encoding == "cp1252":
        warnings.append(f"{spec.path.name}: not UTF-8; read as Windows-1252 (Latin-1). Check "
                        "accented letters, or save the file as UTF-8.")
    # A view (views take no parameters: the path is an escaped SQL string literal); the file
    # is read once, by _parse, keeping only the named columns.
    source = _csv_source(str(spec.path), duck_encoding)
    try:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {_RAW} AS SELECT row_number() OVER () + 1 "
                    f"AS __line, * FROM {source}")
    except DatabaseError as err:
        raise InputError(f"{spec.path}: cannot read this {spec.kind} CSV: {err}") from err


def _csv_source(path: str, encoding: str) -> str:
    """``read_csv(...)`` over ``path`` with every value as text (literals escaped)."""
    return (f"read_csv('{_sql_text(path)}', all_varchar = true, header = true, "
            f"encoding = '{_sql_text(encoding)}')")


def _stage_vector(con: Connection, spec: PointsSpec, warnings: list[str]) -> None:
    frame = read_vector(spec.path, spec.kind, layer=spec.layer, warnings=warnings)
    if frame.crs is None and not spec.crs:
        raise CRSError(f"{spec.path}: the points file carries no CRS; add `crs = \"EPSG:…\"` "
                       "to this [[points]] entry.")
    if frame.crs is None:
        frame = frame.set_crs(spec.crs)
    bad = ~frame.geometry.geom_type.isin(["Point"]) | frame.geometry.is_empty
    if bad.any():
        rows = ", ".join(str(i + 1) for i in bad.to_numpy().nonzero()[0][:10])
        raise InputError(f"{spec.path}: features {rows} are not single points.")
    frame = frame.to_crs("EPSG:4326")
    table = pd.DataFrame({c: text_series(frame[c])
                          for c in frame.columns if c != frame.geometry.name})
    table["__lon"] = frame.geometry.x.map(repr)
    table["__lat"] = frame.geometry.y.map(repr)
    table.insert(0, "__line", range(1, len(table) + 1))
    con.register(_FRAME, table)
    con.execute(f"CREATE OR REPLACE TEMP VIEW {_RAW} AS SELECT * FROM {_FRAME}")


def _columns(con: Connection) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {_RAW}").fetchall()]


def _is_vector(spec: PointsSpec) -> bool:
    return spec.path.suffix.lower() not in _CSV_SUFFIXES


def _coordinate_columns(spec: PointsSpec) -> tuple[str, str]:
    if _is_vector(spec):
        return "__lon", "__lat"
    return (spec.lon, spec.lat) if spec.lon and spec.lat else (spec.x or "", spec.y or "")


def _require(columns: list[str], spec: PointsSpec) -> None:
    wanted = [spec.id, spec.date, spec.category, spec.name, spec.formal, spec.themes]
    if not _is_vector(spec):
        wanted += list(_coordinate_columns(spec))
    missing = [c for c in wanted if c and c not in columns]
    if missing:
        have = ", ".join(c for c in columns if not c.startswith("__"))
        raise InputError(f"{spec.path}: the {spec.kind} file has no column "
                         f"{', '.join(repr(c) for c in missing)} (columns found: {have}).")


def _line_word(spec: PointsSpec) -> str:
    return "feature" if _is_vector(spec) else "line"


def _coordinate_expr(column: str) -> str:
    """A number from text, reading a decimal comma (``-29,995``) as a point; else NULL.

    NaN and infinity parse too; validation rejects them (``isfinite``)."""
    col = quote_ident(column)
    return (f"coalesce(TRY_CAST(trim({col}) AS DOUBLE), "
            f"TRY_CAST(replace(trim({col}), ',', '.') AS DOUBLE))")


def _parse(con: Connection, spec: PointsSpec, warnings: list[str]) -> None:
    """Keep only the columns the spec names, and parse coordinates and dates once.

    ``__x``, ``__y`` and ``__date`` are NULL where the text does not parse (or is not a finite
    number); validation reads them instead of casting the raw text again, and the raw text
    stays for the messages.
    """
    xcol, ycol = _coordinate_columns(spec)
    kept = [c for c in dict.fromkeys([xcol, ycol, spec.id, spec.date, spec.category, spec.name,
                                      spec.formal, spec.themes]) if c]
    typed = [f"{_coordinate_expr(xcol)} AS __x", f"{_coordinate_expr(ycol)} AS __y"]
    if spec.kind == "incidents" and spec.date:
        typed.append(f"{_date_expr(spec.date)} AS __date")
    select = ", ".join([*(quote_ident(c) for c in kept), *typed])
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_PARSED} AS SELECT __line, {select} FROM {_RAW}")
    except DatabaseError as err:
        raise InputError(f"{spec.path}: cannot read this {spec.kind} CSV: {err}") from err
    finally:
        _drop_raw(con)
    if not _is_vector(spec):
        _warn_decimal_commas(con, spec, warnings)


def _warn_decimal_commas(con: Connection, spec: PointsSpec, warnings: list[str]) -> None:
    for column in _coordinate_columns(spec):
        col = quote_ident(column)
        commas = con.execute(f"SELECT count(*) FROM {_PARSED} WHERE TRY_CAST(trim({col}) AS DOUBLE) "
                             f"IS NULL AND contains({col}, ',')").fetchone()[0]
        if commas:
            warnings.append(f"{spec.path.name}: column {column!r} uses decimal commas; "
                            "read -29,995 as -29.995")


def _drop_raw(con: Connection) -> None:
    con.execute(f"DROP VIEW IF EXISTS {_RAW}")
    with contextlib.suppress(DatabaseError):
        con.unregister(_FRAME)


def _validate(con: Connection, spec: PointsSpec, warnings: list[str], today: pd.Timestamp) -> None:
    total = con.execute(f"SELECT count(*) FROM {_PARSED}").fetchone()[0]
    if total == 0:
        raise InputError(f"{spec.path}: the {spec.kind} file has a header but no rows.")
    problems: list[str] = []
    word = _line_word(spec)
    xcol, ycol = (quote_ident(c) for c in _coordinate_columns(spec))
    for col, parsed in ((xcol, "__x"), (ycol, "__y")):
        rows = con.execute(f"SELECT __line, {col} FROM {_PARSED} WHERE NOT coalesce(isfinite("
                           f"{parsed}), false) ORDER BY __line LIMIT 20").fetchall()
        problems += [f"{word} {line}, column {col}: {value!r} is not a coordinate"
                     for line, value in rows]
    if not spec.x and not problems:
        rows = con.execute(
            f"SELECT __line, {xcol}, {ycol} FROM {_PARSED} WHERE abs(__x) > 180 "
            f"OR abs(__y) > 90 ORDER BY __line LIMIT 10").fetchall()
        problems += [f"{word} {line}: ({x}, {y}) is not a longitude/latitude pair; projected "
                     "coordinates need `x`, `y` and `crs` in the config" for line, x, y in rows]
    if spec.kind == "incidents" and spec.date:
        problems += _validate_dates(con, spec, warnings, today)
    if spec.id:
        problems += _duplicate_ids(con, spec)
    if problems:
        raise InputError(format_problems(f"{spec.path}: the {spec.kind} file has problems:", problems))


def _duplicate_ids(con: Connection, spec: PointsSpec) -> list[str]:
    """Ids given more than once: find them with a plain count first (no per-id line lists)."""
    assert spec.id
    ident = quote_ident(spec.id)
    dups = [r[0] for r in con.execute(f"SELECT {ident} FROM {_PARSED} GROUP BY 1 "
                                      "HAVING count(*) > 1 ORDER BY 1 LIMIT 10").fetchall()]
    if not dups:
        return []
    named = [d for d in dups if d is not None]
    rows = con.execute(f"SELECT {ident}, list(__line ORDER BY __line)[1:5] FROM {_PARSED} "
                       f"WHERE list_contains(?::VARCHAR[], {ident}) OR ({ident} IS NULL AND ?) "
                       "GROUP BY 1 ORDER BY 1", [named, None in dups]).fetchall()
    return [f"column {spec.id!r}: id {value!r} appears more than once ({_line_word(spec)}s "
            f"{', '.join(map(str, lines))}); each record needs a unique id"
            for value, lines in rows]


def _date_expr(column: str, alias: str = "") -> str:
    formats = ", ".join(f"'{f}'" for f in DATE_FORMATS)
    return f"CAST(try_strptime(trim({alias}{quote_ident(column)}), [{formats}]) AS DATE)"


def _validate_dates(con: Connection, spec: PointsSpec, warnings: list[str],
                    today: pd.Timestamp) -> list[str]:
    assert spec.date
    col = quote_ident(spec.date)
    rows = con.execute(f"SELECT __line, {col} FROM {_PARSED} WHERE __date IS NULL "
                       "ORDER BY __line LIMIT 20").fetchall()
    problems = [f"{_line_word(spec)} {line}, column {spec.date!r}: {value!r} is not a date "
                "(use YYYY-MM-DD; DD/MM/YYYY and DD.MM.YYYY are read too)" for line, value in rows]
    if not problems:
        limit = (today + pd.Timedelta(days=_FUTURE_GRACE_DAYS)).date()
        future = con.execute(f"SELECT count(*), min(__line) FROM {_PARSED} WHERE __date > ?",
                             [limit]).fetchone()
        if future[0]:
            warnings.append(f"{spec.path.name}: {future[0]} incidents are dated in the future "
                            f"(first on line {future[1]}); check the date column")
    return problems


def _load_cells(con: Connection) -> CellGrid:
    """Decide the grid cells over the loaded neighbourhoods; store them as ``(cell, nid)``.

    ``nid`` is NULL for an empty cell; cell -1 (outside the grid) is empty too. Cells that
    are not listed are left to the spatial join."""
    rows = con.execute("SELECT nid, ST_AsWKB(geom) FROM neighbourhoods ORDER BY nid").fetchall()
    grid = cell_grid(shapely.from_wkb([bytes(wkb) for _, wkb in rows]))
    frame = pd.DataFrame({"cell": np.append(grid.cells, -1).astype(np.int32),
                          "code": np.append(grid.codes, -1).astype(np.int32)})
    nids = pd.DataFrame({"code": np.arange(len(rows), dtype=np.int32),
                         "nid": pd.array([nid for nid, _ in rows], dtype="string")})
    con.register(_CELL_FRAME, frame)
    con.register(_CELL_FRAME + "_nids", nids)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_CELLS} AS SELECT c.cell, h.nid "
                    f"FROM {_CELL_FRAME} c LEFT JOIN {_CELL_FRAME}_nids h USING (code)")
    finally:
        con.unregister(_CELL_FRAME)
        con.unregister(_CELL_FRAME + "_nids")
    log.debug("grid pre-filter: %d x %d cells of %.6f, %d decided", grid.nx, grid.ny, grid.size,
              len(grid.cells))
    return grid


def _build_points(con: Connection, spec: PointsSpec, grid: CellGrid) -> None:
    """The rows to insert, with their geometry and the grid's answer, from the parsed table.

    ``__decided`` is true where the grid decided the point (``__nid`` is then its
    neighbourhood, or NULL outside every one); the spatial join decides the others."""
    geom = "ST_Point(p.__x, p.__y)"
    xy = ("p.__x", "p.__y")
    if spec.x and spec.crs and not _is_vector(spec):
        try:
            crs = pyproj.CRS.from_user_input(spec.crs).to_string()
        except pyproj.exceptions.CRSError as err:
            raise CRSError(f"[points] crs {spec.crs!r} is not a known CRS: {err}") from err
        geom = f"ST_Transform({geom}, $crs, 'EPSG:4326', always_xy := true)"
        xy = (f"ST_X({geom})", f"ST_Y({geom})")
        params: dict[str, str] = {"crs": crs}
    else:
        params = {}
    columns = ", ".join(f"{expr} AS {quote_ident(name)}" for name, expr in _row_columns(spec).items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_PTS} AS SELECT q.* EXCLUDE (__gx, __gy), "
                f"c.cell IS NOT NULL AS __decided, c.nid AS __nid FROM (SELECT {columns}, "
                f"{geom} AS __geom, {xy[0]} AS __gx, {xy[1]} AS __gy FROM {_PARSED} p) q "
                f"LEFT JOIN {_CELLS} c ON c.cell = {grid.sql_cell('q.__gx', 'q.__gy')}", params)
    con.execute(f"DROP TABLE {_PARSED}")


def _assign(con: Connection, spec: PointsSpec) -> tuple[int, int, int]:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_ASSIGN} AS "
                f"SELECT p.rowid AS __row, min(n.nid) AS nid FROM {_PTS} p JOIN neighbourhoods n "
                "ON ST_Intersects(n.geom, p.__geom) WHERE NOT p.__decided GROUP BY p.rowid")
    total, by_grid = con.execute(f"SELECT count(*), count(__nid) FROM {_PTS}").fetchone()
    assigned = by_grid + con.execute(f"SELECT count(*) FROM {_ASSIGN}").fetchone()[0]
    if assigned == 0:
        swapped = con.execute(
            f"SELECT count(*) FROM (SELECT DISTINCT p.rowid FROM {_PTS} p JOIN neighbourhoods n "
            "ON ST_Intersects(n.geom, ST_Point(ST_Y(p.__geom), ST_X(p.__geom))))").fetchone()[0]
        hint = (f" Swapping longitude and latitude would put {swapped:,} inside: are the lon/lat "
                "columns the wrong way round?" if swapped else
                " Check the coordinate columns and their CRS (lon/lat swapped? projected "
                "coordinates given as lon/lat?).")
        raise InputError(f"{spec.path}: all {total:,} {spec.kind} points fall outside every "
                         f"neighbourhood.{hint}")
    return assigned, total - assigned, total


def _text(column: str | None, default: str = "NULL") -> str:
    return f"NULLIF(trim(p.{quote_ident(column)}), '')" if column else default


def _row_columns(spec: PointsSpec) -> dict[str, str]:
    """Column of ``incidents`` or ``assets`` → SQL expression over the parsed row ``p``."""
    ident = _text(spec.id, f"'{_sql_text(spec.path.stem)}:' || p.__line")
    if spec.kind == "incidents":
        category = _text(spec.category, "'incident'")
        return {"incident_id": ident, "occurred_on": "p.__date" if spec.date else "NULL::DATE",
                "category": f"coalesce({category}, 'unspecified')"}
    formal = (f"CASE lower(trim(p.{quote_ident(spec.formal)})) WHEN 'true' THEN true "
              "WHEN 'yes' THEN true WHEN '1' THEN true WHEN 'formal' THEN true "
              "WHEN 'false' THEN false WHEN 'no' THEN false WHEN '0' THEN false "
              "WHEN 'informal' THEN false ELSE NULL END") if spec.formal else "NULL::BOOLEAN"
    themes = (f"list_filter(list_transform(string_split(regexp_replace(coalesce(p.{quote_ident(spec.themes)}, ''), "
              "'[,|]', ';', 'g'), ';'), x -> trim(x)), x -> x <> '')") if spec.themes else "[]::VARCHAR[]"
    return {"asset_id": ident, "kind": f"coalesce({_text(spec.category)}, 'unspecified')",
            "name": _text(spec.name, "NULL::VARCHAR"), "formal": formal, "themes": themes}


def _insert(con: Connection, spec: PointsSpec, source_id: str | None) -> None:
    """Insert the built rows with their neighbourhood (no ORDER BY: row order is no contract)."""
    columns = list(_row_columns(spec))
    names = ", ".join(quote_ident(c) for c in columns)
    values = ", ".join(f"p.{quote_ident(c)}" for c in columns)
    con.execute(f"INSERT INTO {quote_ident(spec.kind)} ({names}, geom, nid, source_id) "
                f"SELECT {values}, p.__geom, coalesce(p.__nid, a.nid), ? "
                f"FROM {_PTS} p LEFT JOIN {_ASSIGN} a ON a.__row = p.rowid", [source_id])


def _sql_text(text: str) -> str:
    return text.replace("'", "''")


def points_frame(con: Connection, table: str) -> gpd.GeoDataFrame:
    """Read back a points table as a GeoDataFrame (used by tests and exports in analyst mode)."""
    frame = con.execute(f"SELECT * EXCLUDE (geom), ST_X(geom) AS lon, ST_Y(geom) AS lat "
                        f"FROM {quote_ident(table)}").df()
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
                            crs="EPSG:4326")
