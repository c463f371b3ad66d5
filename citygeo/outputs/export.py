"""Exports for GIS teams: GeoJSON, GeoPackage, GeoParquet and CSV, each with a sidecar (DESIGN.md §5).

One code path serves the ``citygeo export`` command and the dashboard's export page:
:func:`write_export` reads the current scores (or, in analyst mode only, the incident
points), applies the privacy rules of DESIGN.md §6, and hands a GeoDataFrame to a writer
picked by name from :data:`FORMATS` (an unknown name lists the valid ones).
:func:`export_bytes` runs the same function into a temporary folder for a download button.

Choices (documented here and in the sidecar of every file):

- **Columns.** The §5 contract columns first, in contract order (``nid … flags``), then
  ``district, population, area_km2``, then ``domain__*``, ``measure__*``, ``raw__*`` and
  ``n__*`` (event and asset counts). One row per neighbourhood and year; without
  ``year`` every scored year is written (the current methodology of each year).
- **Flags.** GeoJSON writes a JSON array of strings, GeoParquet a ``list<string>`` column;
  GeoPackage and CSV, which have no list type, write one text value with the codes
  joined by ``;`` (:data:`FLAG_SEPARATOR`; an empty string means "no flags").
- **Geometry.** WGS 84 lon/lat (EPSG:4326) everywhere, polygons oriented as RFC 7946
  asks (exterior rings counter-clockwise, holes clockwise). GeoJSON coordinates are
  rounded to 6 decimals (~0.1 m); a polygon that rounding made invalid is re-snapped
  with ``shapely.set_precision`` (and ``make_valid`` as a last resort). GeoPackage and
  GeoParquet keep full precision. CSV has no geometry but ``label_lon``/``label_lat``: a
  point inside each polygon (``representative_point``), 6 decimals.
- **GeoJSON** has no ``crs`` member; each Feature's ``id`` is its ``nid`` (with several
  years the same id appears once per year; ``nid`` + ``year`` is the key). A foreign
  member ``citygeo`` carries the mode and the sensitivity flag.
- **Public vs analyst.** Public (the default) nulls every value a withheld flag names
  (``suppressed:`` — built on 1 to ``min_count − 1`` events; ``unreliable:`` — survey
  n below ``min_sample``), keeps the flag so a reader sees why, and never writes incident
  points or stakeholder contacts. Analyst mode writes every value, and the sidecar (and
  the file's own metadata where the format has a place for it) says ``sensitive: true``.
- **File names.** :func:`write_export` writes exactly the path it is given. The default
  name (:func:`default_export_name`, used when the CLI gets no ``--out`` and for
  downloads) is ``<city>-<year|all-years>[-incidents][.analyst].<ext>``: analyst files
  carry ``.analyst`` before the extension.
- **Safety.** An existing file (or its sidecar) is replaced only with ``force``; the file is
  written to a temporary name in the same folder and moved into place with
  ``os.replace``, so a failed export leaves no partial file. The data file is moved
  first, then its sidecar.

Sidecar ``<file>.meta.json`` (``schema`` = 1): ``schema, layer, mode, sensitive,
generated_at`` (ISO 8601, UTC), ``citygeo_version, city {name, fictional, description},
years, crs, columns, methodologies [{version, sha256, years, note, created_at, spec}]``
(one entry per methodology used by the exported years), ``sources`` (the catalogue rows:
source_id, name, owner, licence, collected, refresh, method, known_biases, coverage),
``suppression {min_count, min_sample, public_withholds, applied, withheld_values}``,
``contains {incident_points, stakeholder_contacts}``, then ``file, format, rows,
flags_encoding, geometry_encoding``.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import pyogrio
import shapely

from citygeo import __version__
from citygeo.errors import InputError, StoreError
from citygeo.rules.privacy import ANALYST, MODES, PUBLIC, public_scores
from citygeo.schema import DEFAULT_GROUP, SCORE_COLUMNS
from citygeo.store import Connection, Store, current_methodologies, current_score_rows

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]

FLAG_SEPARATOR = ";"
COORDINATE_DECIMALS = 6
CHUNK_ROWS = 5_000
LAYERS = ("scores", "incidents")
SIDECAR_SUFFIX = ".meta.json"
SIDECAR_SCHEMA = 1
NEIGHBOURHOOD_COLUMNS = ("district", "population", "area_km2")
EXTRA_PREFIXES = ("domain__", "measure__", "raw__", "n__")
INCIDENT_COLUMNS = ("incident_id", "occurred_on", "category", "nid", "source_id")
PUBLIC_WITHHOLDS = (
    "values built on 1 to min_count − 1 events (flag suppressed:<measure>) and survey "
    "estimates with an effective sample under min_sample (flag unreliable:<measure>) are "
    "null — raw__, measure__ and n__ columns — and keep their flag; incident points and "
    "stakeholder contact details are not exported")


# -- reading what is exported -------------------------------------------------------------
# Which scores are current is decided by ``store.current_methodologies`` / ``current_score_rows``
# (shared with the service layer and the dashboard). Each public reader opens ONE read-only
# connection (opening one loads the spatial extension,
# which is the slow part), so an export reads one consistent version of the file.
def _tables(con: Connection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def _city(con: Connection) -> dict[str, str]:
    if "city" not in _tables(con):
        return {}
    return {str(k): str(v) for k, v in con.execute("SELECT key, value FROM city").fetchall()}


def _methodologies(con: Connection) -> pd.DataFrame:
    """The current methodology per year (``store.current_methodologies``), ``sha256`` column."""
    return current_methodologies(con).rename(columns={"methodology_sha256": "sha256"})


def _scores(con: Connection, store: Store, year: int | None, mode: str, grp: str) -> pd.DataFrame:
    _check_mode(mode)
    current = _methodologies(con)
    if current.empty:
        raise StoreError(f"The store {store.path} holds no scores; run `citygeo score "
                         f"--store {store.path}` first.")
    if year is not None and year not in set(current["year"].astype(int)):
        scored = ", ".join(str(y) for y in current["year"])
        raise StoreError(f"The store {store.path} has no scores for {year}; scored years: "
                         f"{scored}. Pass one of them with --year, or none for all.")
    frame = current_score_rows(con, "scores", grp=grp, year=year)
    return public_scores(frame) if mode == PUBLIC else frame


def _neighbourhoods(con: Connection) -> gpd.GeoDataFrame:
    frame = con.execute("SELECT nid, district, population, area_km2, ST_AsWKB(geom) AS wkb "
                        "FROM neighbourhoods ORDER BY nid").df()
    geoms = shapely.from_wkb([bytes(b) if b is not None else None for b in frame.pop("wkb")])
    return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326")


def _sources(con: Connection) -> pd.DataFrame:
    if "sources" not in _tables(con):
        return pd.DataFrame()
    return con.execute("SELECT * FROM sources ORDER BY source_id").df()


def read_city(store: Store) -> dict[str, str]:
    """The ``[city]`` settings recorded by the last ingest (name, fictional, description …)."""
    with store.reader() as con:
        return _city(con)


def is_fictional(city: dict[str, str]) -> bool:
    """Whether the city settings say the city is fictional (the demo city is)."""
    return str(city.get("fictional", "")).strip().lower() in {"true", "1", "yes"}


def read_current_methodologies(store: Store) -> pd.DataFrame:
    """Per scored year, the latest methodology (version, sha256, spec, note, created_at)."""
    with store.reader() as con:
        return _methodologies(con)


def read_scores(store: Store, year: int | None = None, *, mode: str = PUBLIC,
                grp: str = DEFAULT_GROUP) -> pd.DataFrame:
    """The current scores of every year (or one), in the public view unless ``mode`` is analyst.

    Raises
    ------
    StoreError
        The store holds no scores, or none for ``year`` (the message lists the scored years).
    """
    with store.reader() as con:
        return _scores(con, store, year, mode, grp)


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise InputError(f"Unknown mode {mode!r}; valid modes: {', '.join(MODES)}.")


def score_columns(frame: pd.DataFrame) -> list[str]:
    """The export's column order: contract columns, neighbourhood columns, then the rest."""
    extras = [c for prefix in EXTRA_PREFIXES for c in frame.columns if str(c).startswith(prefix)]
    return [*SCORE_COLUMNS, *[c for c in NEIGHBOURHOOD_COLUMNS if c in frame.columns], *extras]


def _scores_frame(con: Connection, store: Store, year: int | None, mode: str) -> gpd.GeoDataFrame:
    scores = _scores(con, store, year, mode, DEFAULT_GROUP)
    hoods = _neighbourhoods(con)
    merged = scores.merge(pd.DataFrame(hoods), on="nid", how="left", validate="many_to_one")
    missing = merged.loc[merged["geometry"].isna(), "nid"].unique().tolist()
    if missing:
        raise StoreError(f"Scores name neighbourhoods the store has no polygon for: "
                         f"{', '.join(missing[:10])}; re-run `citygeo ingest` and `citygeo score`.")
    frame = gpd.GeoDataFrame(merged[score_columns(merged)], geometry=merged["geometry"].to_numpy(),
                             crs="EPSG:4326")
    return frame.reset_index(drop=True)


def scores_frame(store: Store, year: int | None = None, *, mode: str = PUBLIC) -> gpd.GeoDataFrame:
    """The scores layer as exported: one row per neighbourhood and year, with its polygon."""
    with store.reader() as con:
        return _scores_frame(con, store, year, mode)


def _refuse_public_incidents(mode: str, layer: str = "incidents") -> None:
    _check_mode(mode)
    if layer == "incidents" and mode != ANALYST:
        raise InputError("Incident points are sensitive and are never exported in public mode "
                         "(DESIGN.md §6). Use --analyst to export them for analysts, or export "
                         "the scores layer, which aggregates them by neighbourhood.")


def _incidents_frame(con: Connection, year: int | None, mode: str) -> gpd.GeoDataFrame:
    _refuse_public_incidents(mode)
    where, params = ("WHERE year(occurred_on) = ?", [year]) if year is not None else ("", [])
    columns = ", ".join(INCIDENT_COLUMNS)
    frame = con.execute(f"SELECT {columns}, ST_AsWKB(geom) AS wkb FROM incidents {where} "
                        "ORDER BY occurred_on, incident_id", params).df()
    geoms = shapely.from_wkb([bytes(b) if b is not None else None for b in frame.pop("wkb")])
    frame["occurred_on"] = pd.to_datetime(frame["occurred_on"]).dt.strftime("%Y-%m-%d")
    return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326")


def incidents_frame(store: Store, year: int | None = None, *, mode: str = PUBLIC) -> gpd.GeoDataFrame:
    """The incident points (analyst mode only: they never leave the store in public mode)."""
    _refuse_public_incidents(mode)
    with store.reader() as con:
        return _incidents_frame(con, year, mode)


# -- geometry ----------------------------------------------------------------------------
def rfc7946_geometries(geoms: np.ndarray | gpd.GeoSeries,
                       decimals: int = COORDINATE_DECIMALS) -> np.ndarray:
    """Geometries rounded to ``decimals``, valid, exterior rings counter-clockwise.

    Rounding can make a polygon invalid (a vertex lands on an edge, a thin part
    collapses); those are re-snapped to the grid with ``shapely.set_precision``, which
    returns a valid geometry, and ``make_valid`` is the last resort.
    """
    values = np.asarray(geoms, dtype=object)
    rounded = shapely.transform(values, lambda xy: np.round(xy, decimals))
    broken = ~shapely.is_valid(rounded) & ~shapely.is_missing(rounded)
    if broken.any():
        grid = 10.0 ** -decimals
        fixed = shapely.set_precision(values[broken], grid)
        still = ~shapely.is_valid(fixed)
        if still.any():
            fixed[still] = shapely.set_precision(
                shapely.make_valid(fixed[still], method="structure", keep_collapsed=False), grid)
        rounded[broken] = fixed
        log.info("rounding to %d decimals made %d geometries invalid; repaired", decimals,
                 int(broken.sum()))
    return shapely.orient_polygons(rounded, exterior_cw=False)


def label_points(geoms: np.ndarray | gpd.GeoSeries,
                 decimals: int = COORDINATE_DECIMALS) -> tuple[np.ndarray, np.ndarray]:
    """lon, lat of a point inside each geometry (``representative_point``), rounded."""
    points = shapely.point_on_surface(np.asarray(geoms, dtype=object))
    xy = shapely.get_coordinates(points)
    return np.round(xy[:, 0], decimals), np.round(xy[:, 1], decimals)


# -- writers -----------------------------------------------------------------------------
def _flags_text(flags: Any) -> str:
    if flags is None or (isinstance(flags, float) and math.isnan(flags)):
        return ""
    return FLAG_SEPARATOR.join(str(f) for f in flags)


def _flags_list(flags: Any) -> list[str]:
    if flags is None or (isinstance(flags, float) and math.isnan(flags)):
        return []
    return [str(f) for f in flags]


def _chunks(total: int, size: int | None = None) -> Iterator[tuple[int, int]]:
    size = size or CHUNK_ROWS
    for start in range(0, total, size):
        yield start, min(start + size, total)
    if total == 0:
        yield 0, 0


class Writer:
    """Base class: one output format. Subclasses set the class attributes and ``write``."""

    name: ClassVar[str] = ""
    extension: ClassVar[str] = ""
    mime: ClassVar[str] = "application/octet-stream"
    driver: ClassVar[str] = ""
    flags_encoding: ClassVar[str] = ""
    geometry_encoding: ClassVar[str] = ""

    def write(self, frame: gpd.GeoDataFrame, path: Path, *, layer: str, metadata: dict[str, Any],
              progress: Progress | None = None) -> None:
        raise NotImplementedError

    @staticmethod
    def _report(progress: Progress | None, done: int, total: int, label: str) -> None:
        if progress is not None:
            progress(done, total, label)


class GeoJSONWriter(Writer):
    """RFC 7946 GeoJSON, streamed feature by feature (orjson) in chunks."""

    name = "geojson"
    extension = ".geojson"
    mime = "application/geo+json"
    flags_encoding = "JSON array of strings (empty array = no flags)"
    geometry_encoding = "RFC 7946: WGS 84 lon/lat, 6 decimals, exterior rings counter-clockwise, no crs member"

    def write(self, frame: gpd.GeoDataFrame, path: Path, *, layer: str, metadata: dict[str, Any],
              progress: Progress | None = None) -> None:
        total = len(frame)
        columns = [c for c in frame.columns if c != frame.geometry.name]
        key = "nid" if "nid" in columns and layer == "scores" else columns[0]
        head = {"type": "FeatureCollection", "name": layer,
                "citygeo": {k: metadata[k] for k in ("mode", "sensitive", "generated_at",
                                                      "citygeo_version") if k in metadata}}
        with open(path, "wb") as out:
            out.write(orjson.dumps(head)[:-1] + b',"features":[\n')
            for start, stop in _chunks(total):
                block = frame.iloc[start:stop]
                geoms = rfc7946_geometries(block.geometry.to_numpy())
                out.write(self._features(block[columns], geoms, key, start > 0))
                self._report(progress, stop, total, f"writing GeoJSON ({stop:,}/{total:,})")
            out.write(b"\n]}\n")

    @staticmethod
    def _features(block: pd.DataFrame, geoms: np.ndarray, key: str, continued: bool) -> bytes:
        names = [str(c) for c in block.columns]
        columns = [_json_values(block[c]) for c in block.columns]
        geometries = [None if g is None else orjson.Fragment(g)
                      for g in shapely.to_geojson(geoms).tolist()]
        keys = columns[names.index(key)]
        parts = [orjson.dumps({"type": "Feature", "id": ident, "properties": dict(zip(names, row)),
                               "geometry": geometry})
                 for ident, row, geometry in zip(keys, zip(*columns), geometries, strict=True)]
        text = b",\n".join(parts)
        return (b",\n" + text) if continued and parts else text


def _json_values(series: pd.Series) -> list[Any]:
    """A column as plain Python values for orjson (NaN floats are written as null)."""
    if series.name == "flags":
        return [_flags_list(f) for f in series]
    if pd.api.types.is_float_dtype(series):
        return series.to_numpy(dtype=float, na_value=np.nan).tolist()
    if pd.api.types.is_integer_dtype(series) and not series.hasnans:
        return series.to_numpy(dtype=np.int64).tolist()
    values = series.astype(object).where(series.notna(), None).tolist()
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def _plain_records(block: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (NaN/NA → None, numpy scalars → Python)."""
    columns = {str(c): _json_values(block[c]) for c in block.columns}
    records = [dict(zip(columns, row)) for row in zip(*columns.values())]
    for record in records:
        for name, value in record.items():
            if isinstance(value, float) and not math.isfinite(value):
                record[name] = None
    return records


class GeoPackageWriter(Writer):
    """OGC GeoPackage through pyogrio, appended in chunks; metadata in the GPKG itself."""

    name = "gpkg"
    extension = ".gpkg"
    mime = "application/geopackage+sqlite3"
    driver = "GPKG"
    flags_encoding = f"text: codes joined by '{FLAG_SEPARATOR}' (empty string = no flags)"
    geometry_encoding = "EPSG:4326, full precision, exterior rings counter-clockwise"

    def write(self, frame: gpd.GeoDataFrame, path: Path, *, layer: str, metadata: dict[str, Any],
              progress: Progress | None = None) -> None:
        total = len(frame)
        table = _with_text_flags(frame)
        table = table.set_geometry(shapely.orient_polygons(table.geometry.to_numpy(), exterior_cw=False),
                                   crs=frame.crs)
        tags = {f"citygeo_{k}": str(metadata[k]) for k in ("mode", "sensitive", "generated_at",
                                                           "citygeo_version") if k in metadata}
        for start, stop in _chunks(total):
            pyogrio.write_dataframe(table.iloc[start:stop], path, layer=layer, driver=self.driver,
                                    append=start > 0, promote_to_multi=False,
                                    layer_metadata=tags if start == 0 else None)
            self._report(progress, stop, total, f"writing GeoPackage ({stop:,}/{total:,})")


class GeoParquetWriter(Writer):
    """GeoParquet (with its ``geo`` metadata) through geopandas ``to_parquet``."""

    name = "parquet"
    extension = ".parquet"
    mime = "application/vnd.apache.parquet"
    flags_encoding = "list<string> column (empty list = no flags)"
    geometry_encoding = "GeoParquet WKB, EPSG:4326, full precision, exterior rings counter-clockwise"

    def write(self, frame: gpd.GeoDataFrame, path: Path, *, layer: str, metadata: dict[str, Any],
              progress: Progress | None = None) -> None:
        # One call: GeoParquet's ``geo`` metadata (bbox, geometry types) covers the whole
        # file, and writing 35,000 polygons takes well under a second (benchmarks/export.py).
        table = frame.copy()
        if "flags" in table:
            table["flags"] = [_flags_list(f) for f in table["flags"]]
        table = table.set_geometry(shapely.orient_polygons(table.geometry.to_numpy(), exterior_cw=False),
                                   crs=frame.crs)
        self._report(progress, 0, len(frame), "writing GeoParquet")
        table.to_parquet(path, index=False, compression="zstd", schema_version="1.1.0",
                         write_covering_bbox=False)
        self._report(progress, len(frame), len(frame), "writing GeoParquet")


class CSVWriter(Writer):
    """CSV (UTF-8, comma-separated): the same columns, plus a label point's lon/lat."""

    name = "csv"
    extension = ".csv"
    mime = "text/csv"
    flags_encoding = f"text: codes joined by '{FLAG_SEPARATOR}' (empty = no flags)"
    geometry_encoding = ("no geometry; label_lon, label_lat: a point inside each polygon "
                         "(representative_point), WGS 84, 6 decimals")

    def write(self, frame: gpd.GeoDataFrame, path: Path, *, layer: str, metadata: dict[str, Any],
              progress: Progress | None = None) -> None:
        total = len(frame)
        table = pd.DataFrame(_with_text_flags(frame).drop(columns=frame.geometry.name))
        lon, lat = label_points(frame.geometry.to_numpy())
        table["label_lon"], table["label_lat"] = lon, lat
        with open(path, "w", encoding="utf-8", newline="") as out:
            for start, stop in _chunks(total):
                table.iloc[start:stop].to_csv(out, index=False, header=start == 0,
                                              float_format=None, lineterminator="\n")
                self._report(progress, stop, total, f"writing CSV ({stop:,}/{total:,})")


def _with_text_flags(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if "flags" not in frame:
        return frame
    table = frame.copy()
    table["flags"] = pd.array([_flags_text(f) for f in frame["flags"]], dtype="str")
    return table


FORMATS: dict[str, type[Writer]] = {
    cls.name: cls for cls in (GeoJSONWriter, GeoPackageWriter, GeoParquetWriter, CSVWriter)}


def get_writer(fmt: str) -> Writer:
    """The writer called ``fmt``; an unknown name lists the valid ones."""
    try:
        return FORMATS[str(fmt).lower()]()
    except KeyError:
        raise InputError(f"Unknown export format {fmt!r}; valid formats: "
                         f"{', '.join(FORMATS)}.") from None


# -- files -------------------------------------------------------------------------------
def sidecar_path(out: Path | str) -> Path:
    """``<file>.meta.json`` next to ``out`` (``city.gpkg`` → ``city.gpkg.meta.json``)."""
    out = Path(out)
    return out.with_name(out.name + SIDECAR_SUFFIX)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "city"


def default_export_name(city: str, fmt: str, *, year: int | None = None, mode: str = PUBLIC,
                        layer: str = "scores") -> str:
    """``<city>-<year|all-years>[-incidents][.analyst].<ext>`` (e.g. ``port-averlane-2026.analyst.gpkg``)."""
    writer = get_writer(fmt)
    parts = [_slug(city), str(year) if year is not None else "all-years"]
    if layer != "scores":
        parts.append(layer)
    marker = ".analyst" if mode == ANALYST else ""
    return "-".join(parts) + marker + writer.extension


def _check_free(target: Path, force: bool) -> None:
    if target.exists() and not force:
        raise InputError(f"{target} already exists; pass --force to replace it (or choose "
                         "another --out).")


def _temporary_name(out: Path) -> Path:
    """An unused name in ``out``'s folder (same file system, so ``os.replace`` is atomic)."""
    if not out.parent.is_dir():
        raise InputError(f"The folder {out.parent} does not exist; create it or choose another --out.")
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part" + out.suffix, dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # GDAL refuses to create a GeoPackage over an existing (empty) file
    return tmp


def _remove(tmp: Path | None) -> None:
    if tmp is None:
        return
    for leftover in (tmp, *(tmp.with_name(tmp.name + s) for s in ("-journal", "-wal", "-shm"))):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


@contextlib.contextmanager
def atomic_path(out: Path | str, *, force: bool = False) -> Iterator[Path]:
    """A temporary path in ``out``'s folder that replaces ``out`` only if the block succeeds.

    Raises
    ------
    InputError
        ``out`` exists and ``force`` is false, or its folder does not exist.
    """
    out = Path(out)
    _check_free(out, force)
    tmp = _temporary_name(out)
    try:
        yield tmp
        os.replace(tmp, out)
    finally:
        _remove(tmp)


def write_frame(frame: gpd.GeoDataFrame, fmt: str, out: Path | str, *, layer: str = "scores",
                metadata: dict[str, Any] | None = None, force: bool = False,
                progress: Progress | None = None) -> Path:
    """Write a GeoDataFrame with one of :data:`FORMATS`, atomically, and its sidecar
    ``<out>.meta.json`` when ``metadata`` is given. Returns ``out``.

    Nothing is left behind on failure: both files are written under temporary names in
    the target folder and moved into place (data file first) only when both are complete.
    """
    writer = get_writer(fmt)
    out = Path(out)
    sidecar = sidecar_path(out)
    _check_free(out, force)
    if metadata is not None:
        _check_free(sidecar, force)
    if frame.crs is None or not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    meta = dict(metadata or {})
    data_tmp, meta_tmp = _temporary_name(out), None
    try:
        writer.write(frame, data_tmp, layer=layer, metadata=meta, progress=progress)
        if metadata is not None:
            meta.update(file=out.name, format=writer.name, rows=len(frame),
                        flags_encoding=writer.flags_encoding,
                        geometry_encoding=writer.geometry_encoding)
            meta_tmp = _temporary_name(sidecar)
            meta_tmp.write_bytes(orjson.dumps(meta, option=orjson.OPT_INDENT_2
                                              | orjson.OPT_SERIALIZE_NUMPY) + b"\n")
        os.replace(data_tmp, out)
        if meta_tmp is not None:
            os.replace(meta_tmp, sidecar)
    finally:
        _remove(data_tmp)
        _remove(meta_tmp)
    return out


def export_metadata(store: Store, frame: gpd.GeoDataFrame, *, year: int | None, mode: str,
                    layer: str) -> dict[str, Any]:
    """The sidecar's content (schema in the module docstring; ``schema`` versions it)."""
    with store.reader() as con:
        return _export_metadata(con, frame, year=year, mode=mode, layer=layer)


def _export_metadata(con: Connection, frame: gpd.GeoDataFrame, *, year: int | None, mode: str,
                     layer: str) -> dict[str, Any]:
    city = _city(con)
    methodologies = _methodologies(con)
    if year is not None:
        methodologies = methodologies[methodologies["year"] == year]
    used: list[dict[str, Any]] = []
    for sha, rows in methodologies.groupby("sha256", sort=False):
        first = rows.iloc[0]
        used.append({"version": str(first["version"]), "sha256": str(sha),
                     "years": [int(y) for y in rows["year"]], "note": first["note"],
                     "created_at": pd.Timestamp(first["created_at"]).isoformat(),
                     "spec": json.loads(first["spec"])})
    latest = used[-1]["spec"] if used else {}
    sources = _sources(con)
    years = sorted({int(y) for y in frame["year"]}) if "year" in frame and len(frame) else (
        [year] if year is not None else [])
    return {
        "schema": SIDECAR_SCHEMA,
        "layer": layer,
        "mode": mode,
        "sensitive": mode == ANALYST,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "citygeo_version": __version__,
        "city": {"name": city.get("name", ""), "fictional": is_fictional(city),
                 "description": city.get("description", "")},
        "years": years,
        "crs": "EPSG:4326 (WGS 84, lon/lat)",
        "columns": [str(c) for c in frame.columns if c != frame.geometry.name],
        "methodologies": used,
        "sources": _plain_records(sources) if not sources.empty else [],
        "suppression": {
            "min_count": latest.get("min_count"),
            "min_sample": latest.get("min_sample"),
            "public_withholds": PUBLIC_WITHHOLDS,
            "applied": mode == PUBLIC,
            "withheld_values": _withheld_count(frame) if layer == "scores" else None,
        },
        "contains": {"incident_points": layer == "incidents", "stakeholder_contacts": False},
    }


def _withheld_count(frame: pd.DataFrame) -> int:
    """How many (row, measure) pairs carry a withheld flag (suppressed: / unreliable:)."""
    if "flags" not in frame:
        return 0
    return int(sum(sum(1 for f in _flags_list(flags) if f.startswith(("suppressed:", "unreliable:")))
                   for flags in frame["flags"]))


def write_export(store: Store, fmt: str, out: Path | str, *, year: int | None = None,
                 mode: str = PUBLIC, layer: str = "scores", force: bool = False,
                 progress: Progress | None = None) -> Path:
    """Export the current scores (or, analyst only, the incident points) and a sidecar.

    Parameters
    ----------
    store : the city's store.
    fmt : one of :data:`FORMATS` (``geojson``, ``gpkg``, ``parquet``, ``csv``).
    out : the file to write, exactly as given (see :func:`default_export_name`).
    year : one scored year; ``None`` writes every scored year.
    mode : ``"public"`` (default: withheld values nulled) or ``"analyst"`` (everything;
        the sidecar says ``"sensitive": true``).
    layer : ``"scores"`` or ``"incidents"`` (analyst mode only).
    force : replace ``out`` (and its sidecar) if they exist.
    progress : ``progress(done, total, label)``, called as chunks are written.

    Returns
    -------
    Path
        ``out``; the sidecar is ``<out>.meta.json``.

    Raises
    ------
    InputError
        Unknown format, mode or layer; incidents in public mode; ``out`` exists without
        ``force``.
    StoreError
        No store, no scores, or no scores for ``year``.
    """
    writer = get_writer(fmt)
    _check_mode(mode)
    if layer not in LAYERS:
        raise InputError(f"Unknown layer {layer!r}; valid layers: {', '.join(LAYERS)}.")
    out = Path(out)
    for target in (out, sidecar_path(out)):
        _check_free(target, force)
    _refuse_public_incidents(mode, layer)
    with store.reader() as con:
        frame = (_scores_frame(con, store, year, mode) if layer == "scores"
                 else _incidents_frame(con, year, mode))
        metadata = _export_metadata(con, frame, year=year, mode=mode, layer=layer)
    path = write_frame(frame, writer.name, out, layer=layer, metadata=metadata, force=force,
                       progress=progress)
    log.info("exported %d %s rows (%s, %s mode) to %s", len(frame), layer, writer.name, mode, path)
    return path


def export_bytes(store: Store, fmt: str, *, year: int | None = None, mode: str = PUBLIC,
                 layer: str = "scores", with_sidecar: bool = False) -> tuple[bytes, str, str]:
    """The export as bytes for a download button: ``(data, file name, MIME type)``.

    The same :func:`write_export` runs into a temporary folder. With ``with_sidecar`` the
    result is a ZIP holding the file and its ``.meta.json``.
    """
    writer = get_writer(fmt)
    name = default_export_name(read_city(store).get("name", "city"), writer.name, year=year,
                               mode=mode, layer=layer)
    with tempfile.TemporaryDirectory(prefix="citygeo-export-") as folder:
        path = write_export(store, writer.name, Path(folder) / name, year=year, mode=mode,
                            layer=layer)
        data = path.read_bytes()
        if not with_sidecar:
            return data, name, writer.mime
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(name, data)
            archive.writestr(sidecar_path(name).name, sidecar_path(path).read_bytes())
        return buffer.getvalue(), name + ".zip", "application/zip"


__all__ = ["FLAG_SEPARATOR", "FORMATS", "LAYERS", "CSVWriter", "GeoJSONWriter", "GeoPackageWriter",
           "GeoParquetWriter", "Writer", "atomic_path", "default_export_name", "export_bytes", "export_metadata",
           "get_writer", "incidents_frame", "is_fictional", "label_points", "read_city",
           "read_current_methodologies", "read_scores", "rfc7946_geometries", "scores_frame",
           "sidecar_path", "write_export", "write_frame"]
