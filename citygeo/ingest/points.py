"""Incidents and assets: read points, validate them, assign them to neighbourhoods in DuckDB.

Point-in-polygon assignment is a DuckDB spatial join (``ST_Intersects`` with the R-tree
``SPATIAL_JOIN`` operator), not a Python loop. A point on a border shared by two
neighbourhoods goes to the one whose code sorts first, so assignment is deterministic.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyproj

from citygeo.config import PointsSpec
from citygeo.errors import CRSError, InputError, format_problems
from citygeo.ingest.columns import DATE_FORMATS, text_series
from citygeo.ingest.readers import read_vector, require_file, sniff_text
from citygeo.store import Connection, DatabaseError, quote_ident

log = logging.getLogger(__name__)

_CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
_RAW = "__citygeo_points_raw"
_PTS = "__citygeo_points"
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
    _read_decimal_commas(con, spec, warnings)
    _validate(con, spec, warnings, today or pd.Timestamp.today().normalize())
    _build_points(con, spec)
    assigned, outside, total = _assign(con, spec)
    if spec.kind == "incidents":
        _insert_incidents(con, spec, source_id)
    else:
        _insert_assets(con, spec, source_id)
    if outside:
        warnings.append(f"{spec.path.name}: {outside:,} of {total:,} points fall in no "
                        "neighbourhood; they are kept in the store without a neighbourhood")
    log.info("assigned %d %s to neighbourhoods; %d outside (%s)", assigned, spec.kind, outside, spec.path)
    con.execute(f"DROP TABLE IF EXISTS {_RAW}; DROP TABLE IF EXISTS {_PTS}; "
                "DROP TABLE IF EXISTS __citygeo_assign")
    return PointsResult(spec.path, spec.kind, total, assigned, outside)


def _stage_csv(con: Connection, spec: PointsSpec, warnings: list[str]) -> None:
    encoding, _ = sniff_text(spec.path)
    duck_encoding = {"utf-16": "utf-16", "cp1252": "latin-1"}.get(encoding, "utf-8")
    if encoding == "cp1252":
        warnings.append(f"{spec.path.name}: not UTF-8; read as Windows-1252 (Latin-1). Check "
                        "accented letters, or save the file as UTF-8.")
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_RAW} AS SELECT row_number() OVER () + 1 "
                    "AS __line, * FROM read_csv(?, all_varchar = true, header = true, "
                    "encoding = ?)", [str(spec.path), duck_encoding])
    except DatabaseError as err:
        raise InputError(f"{spec.path}: cannot read this {spec.kind} CSV: {err}") from err


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
    con.register("__citygeo_points_frame", table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_RAW} AS SELECT * FROM __citygeo_points_frame")
    con.unregister("__citygeo_points_frame")


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


def _read_decimal_commas(con: Connection, spec: PointsSpec, warnings: list[str]) -> None:
    """Coordinate columns written entirely with decimal commas (``-29,995``) are read as such."""
    if _is_vector(spec):
        return
    for column in _coordinate_columns(spec):
        col = quote_ident(column)
        commas, others = con.execute(
            f"SELECT count(*) FILTER (WHERE regexp_full_match(trim({col}), '[-+]?[0-9]+,[0-9]+')), "
            f"count(*) FILTER (WHERE NOT regexp_full_match(trim({col}), '[-+]?[0-9]+,[0-9]+')) "
            f"FROM {_RAW} WHERE {col} IS NOT NULL AND trim({col}) <> ''").fetchone()
        if commas and not others:
            con.execute(f"UPDATE {_RAW} SET {col} = replace(trim({col}), ',', '.')")
            warnings.append(f"{spec.path.name}: column {column!r} uses decimal commas; "
                            "read -29,995 as -29.995")


def _line_word(spec: PointsSpec) -> str:
    return "feature" if _is_vector(spec) else "line"


def _validate(con: Connection, spec: PointsSpec, warnings: list[str], today: pd.Timestamp) -> None:
    total = con.execute(f"SELECT count(*) FROM {_RAW}").fetchone()[0]
    if total == 0:
        raise InputError(f"{spec.path}: the {spec.kind} file has a header but no rows.")
    problems: list[str] = []
    word = _line_word(spec)
    xcol, ycol = (quote_ident(c) for c in _coordinate_columns(spec))
    for col in (xcol, ycol):
        rows = con.execute(f"SELECT __line, {col} FROM {_RAW} WHERE NOT coalesce(isfinite("
                           f"TRY_CAST(trim({col}) AS DOUBLE)), false) ORDER BY __line LIMIT 20"
                           ).fetchall()
        problems += [f"{word} {line}, column {col}: {value!r} is not a coordinate"
                     for line, value in rows]
    if not spec.x and not problems:
        rows = con.execute(
            f"SELECT __line, {xcol}, {ycol} FROM {_RAW} WHERE abs(TRY_CAST({xcol} AS DOUBLE)) > 180 "
            f"OR abs(TRY_CAST({ycol} AS DOUBLE)) > 90 ORDER BY __line LIMIT 10").fetchall()
        problems += [f"{word} {line}: ({x}, {y}) is not a longitude/latitude pair; projected "
                     "coordinates need `x`, `y` and `crs` in the config" for line, x, y in rows]
    if spec.kind == "incidents" and spec.date:
        problems += _validate_dates(con, spec, warnings, today)
    if spec.id:
        rows = con.execute(f"SELECT {quote_ident(spec.id)}, list(__line ORDER BY __line)[1:5] "
                           f"FROM {_RAW} GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT 10").fetchall()
        problems += [f"column {spec.id!r}: id {ident!r} appears more than once ({word}s "
                     f"{', '.join(map(str, lines))}); each record needs a unique id"
                     for ident, lines in rows]
    if problems:
        raise InputError(format_problems(f"{spec.path}: the {spec.kind} file has problems:", problems))


def _date_expr(column: str, alias: str = "") -> str:
    formats = ", ".join(f"'{f}'" for f in DATE_FORMATS)
    return f"CAST(try_strptime(trim({alias}{quote_ident(column)}), [{formats}]) AS DATE)"


def _validate_dates(con: Connection, spec: PointsSpec, warnings: list[str],
                    today: pd.Timestamp) -> list[str]:
    assert spec.date
    col = quote_ident(spec.date)
    rows = con.execute(f"SELECT __line, {col} FROM {_RAW} WHERE {_date_expr(spec.date)} IS NULL "
                       "ORDER BY __line LIMIT 20").fetchall()
    problems = [f"{_line_word(spec)} {line}, column {spec.date!r}: {value!r} is not a date "
                "(use YYYY-MM-DD; DD/MM/YYYY and DD.MM.YYYY are read too)" for line, value in rows]
    if not problems:
        limit = (today + pd.Timedelta(days=_FUTURE_GRACE_DAYS)).date()
        future = con.execute(f"SELECT count(*), min(__line) FROM {_RAW} WHERE {_date_expr(spec.date)} "
                             "> ?", [limit]).fetchone()
        if future[0]:
            warnings.append(f"{spec.path.name}: {future[0]} incidents are dated in the future "
                            f"(first on line {future[1]}); check the date column")
    return problems


def _build_points(con: Connection, spec: PointsSpec) -> None:
    xcol, ycol = (quote_ident(c) for c in _coordinate_columns(spec))
    geom = f"ST_Point(CAST(trim({xcol}) AS DOUBLE), CAST(trim({ycol}) AS DOUBLE))"
    if spec.x and spec.crs and not _is_vector(spec):
        try:
            crs = pyproj.CRS.from_user_input(spec.crs).to_string()
        except pyproj.exceptions.CRSError as err:
            raise CRSError(f"[points] crs {spec.crs!r} is not a known CRS: {err}") from err
        geom = f"ST_Transform({geom}, $crs, 'EPSG:4326', always_xy := true)"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_PTS} AS SELECT *, {geom} AS __geom FROM {_RAW}",
                    {"crs": crs})
        return
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_PTS} AS SELECT *, {geom} AS __geom FROM {_RAW}")


def _assign(con: Connection, spec: PointsSpec) -> tuple[int, int, int]:
    con.execute("CREATE OR REPLACE TEMP TABLE __citygeo_assign AS "
                f"SELECT p.__line, min(n.nid) AS nid FROM {_PTS} p JOIN neighbourhoods n "
                "ON ST_Intersects(n.geom, p.__geom) GROUP BY p.__line")
    total = con.execute(f"SELECT count(*) FROM {_PTS}").fetchone()[0]
    assigned = con.execute("SELECT count(*) FROM __citygeo_assign").fetchone()[0]
    if assigned == 0:
        swapped = con.execute(
            f"SELECT count(*) FROM (SELECT DISTINCT p.__line FROM {_PTS} p JOIN neighbourhoods n "
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


def _insert_incidents(con: Connection, spec: PointsSpec, source_id: str | None) -> None:
    ident = _text(spec.id, f"'{_sql_text(spec.path.stem)}:' || p.__line")
    date = _date_expr(spec.date, "p.") if spec.date else "NULL"
    category = _text(spec.category, "'incident'")
    con.execute(f"INSERT INTO incidents (incident_id, occurred_on, category, geom, nid, source_id) "
                f"SELECT {ident}, {date}, coalesce({category}, 'unspecified'), p.__geom, a.nid, ? "
                f"FROM {_PTS} p LEFT JOIN __citygeo_assign a USING (__line) ORDER BY p.__line",
                [source_id])


def _insert_assets(con: Connection, spec: PointsSpec, source_id: str | None) -> None:
    ident = _text(spec.id, f"'{_sql_text(spec.path.stem)}:' || p.__line")
    formal = (f"CASE lower(trim(p.{quote_ident(spec.formal)})) WHEN 'true' THEN true "
              "WHEN 'yes' THEN true WHEN '1' THEN true WHEN 'formal' THEN true "
              "WHEN 'false' THEN false WHEN 'no' THEN false WHEN '0' THEN false "
              "WHEN 'informal' THEN false ELSE NULL END") if spec.formal else "NULL"
    themes = (f"list_filter(list_transform(string_split(regexp_replace(coalesce(p.{quote_ident(spec.themes)}, ''), "
              "'[,|]', ';', 'g'), ';'), x -> trim(x)), x -> x <> '')") if spec.themes else "[]::VARCHAR[]"
    con.execute(f"INSERT INTO assets (asset_id, kind, name, formal, themes, geom, nid, source_id) "
                f"SELECT {ident}, coalesce({_text(spec.category)}, 'unspecified'), {_text(spec.name)}, "
                f"{formal}, {themes}, p.__geom, a.nid, ? FROM {_PTS} p "
                "LEFT JOIN __citygeo_assign a USING (__line) ORDER BY p.__line", [source_id])


def _sql_text(text: str) -> str:
    return text.replace("'", "''")


def points_frame(con: Connection, table: str) -> gpd.GeoDataFrame:
    """Read back a points table as a GeoDataFrame (used by tests and exports in analyst mode)."""
    frame = con.execute(f"SELECT * EXCLUDE (geom), ST_X(geom) AS lon, ST_Y(geom) AS lat "
                        f"FROM {quote_ident(table)}").df()
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
                            crs="EPSG:4326")
