"""File formats for GIS tools (one registry, :data:`FORMATS`): GeoJSON (RFC 7946), GeoPackage,
GeoParquet and CSV, written atomically (a temporary file moved into place). The choices each
format makes are listed in :mod:`citygeo.outputs.export`."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import pyogrio
import shapely

from citygeo.errors import InputError
from citygeo.settings import Mode

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]

FLAG_SEPARATOR = ";"
COORDINATE_DECIMALS = 6
CHUNK_ROWS = 5_000
SIDECAR_SUFFIX = ".meta.json"


# -- geometry ----------------------------------------------------------------------------
def rfc7946_geometries(
    geoms: np.ndarray | gpd.GeoSeries, decimals: int = COORDINATE_DECIMALS
) -> np.ndarray:
    """Geometries rounded to ``decimals``, valid, exterior rings counter-clockwise.

    Rounding can make a polygon invalid (a vertex lands on an edge, a thin part
    collapses); those are re-snapped to the grid with ``shapely.set_precision``, which
    returns a valid geometry, and ``make_valid`` is the last resort.
    """
    values = np.asarray(geoms, dtype=object)
    rounded = shapely.transform(values, lambda xy: np.round(xy, decimals))
    broken = ~shapely.is_valid(rounded) & ~shapely.is_missing(rounded)
    if broken.any():
        grid = 10.0**-decimals
        fixed = shapely.set_precision(values[broken], grid)
        still = ~shapely.is_valid(fixed)
        if still.any():
            fixed[still] = shapely.set_precision(
                shapely.make_valid(fixed[still], method="structure", keep_collapsed=False), grid
            )
        rounded[broken] = fixed
        log.info(
            "rounding to %d decimals made %d geometries invalid; repaired",
            decimals,
            int(broken.sum()),
        )
    return shapely.orient_polygons(rounded, exterior_cw=False)


def label_points(
    geoms: np.ndarray | gpd.GeoSeries, decimals: int = COORDINATE_DECIMALS
) -> tuple[np.ndarray, np.ndarray]:
    """lon, lat of a point inside each geometry (``representative_point``), rounded."""
    points = shapely.point_on_surface(np.asarray(geoms, dtype=object))
    xy = shapely.get_coordinates(points)
    return np.round(xy[:, 0], decimals), np.round(xy[:, 1], decimals)


# -- writers -----------------------------------------------------------------------------
def _flags_text(flags: Any) -> str:
    if flags is None or (isinstance(flags, float) and math.isnan(flags)):
        return ""
    return FLAG_SEPARATOR.join(str(f) for f in flags)


def flags_list(flags: Any) -> list[str]:
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

    def write(
        self,
        frame: gpd.GeoDataFrame,
        path: Path,
        *,
        layer: str,
        metadata: dict[str, Any],
        progress: Progress | None = None,
    ) -> None:
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
    geometry_encoding = (
        "RFC 7946: WGS 84 lon/lat, 6 decimals, exterior rings counter-clockwise, no crs member"
    )

    def write(
        self,
        frame: gpd.GeoDataFrame,
        path: Path,
        *,
        layer: str,
        metadata: dict[str, Any],
        progress: Progress | None = None,
    ) -> None:
        total = len(frame)
        columns = [c for c in frame.columns if c != frame.geometry.name]
        key = "nid" if "nid" in columns and layer == "scores" else columns[0]
        head = {
            "type": "FeatureCollection",
            "name": layer,
            "citygeo": {
                k: metadata[k]
                for k in ("mode", "sensitive", "generated_at", "citygeo_version")
                if k in metadata
            },
        }
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
        geometries = [
            None if g is None else orjson.Fragment(g) for g in shapely.to_geojson(geoms).tolist()
        ]
        keys = columns[names.index(key)]
        parts = [
            orjson.dumps(
                {
                    "type": "Feature",
                    "id": ident,
                    "properties": dict(zip(names, row)),
                    "geometry": geometry,
                }
            )
            for ident, row, geometry in zip(keys, zip(*columns), geometries, strict=True)
        ]
        text = b",\n".join(parts)
        return (b",\n" + text) if continued and parts else text


def _json_values(series: pd.Series) -> list[Any]:
    """A column as plain Python values for orjson (NaN floats are written as null)."""
    if series.name == "flags":
        return [flags_list(f) for f in series]
    if pd.api.types.is_float_dtype(series):
        return series.to_numpy(dtype=float, na_value=np.nan).tolist()
    if pd.api.types.is_integer_dtype(series) and not series.hasnans:
        return series.to_numpy(dtype=np.int64).tolist()
    values = series.astype(object).where(series.notna(), None).tolist()
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def plain_records(block: pd.DataFrame) -> list[dict[str, Any]]:
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

    def write(
        self,
        frame: gpd.GeoDataFrame,
        path: Path,
        *,
        layer: str,
        metadata: dict[str, Any],
        progress: Progress | None = None,
    ) -> None:
        total = len(frame)
        table = _with_text_flags(frame)
        table = table.set_geometry(
            shapely.orient_polygons(table.geometry.to_numpy(), exterior_cw=False), crs=frame.crs
        )
        tags = {
            f"citygeo_{k}": str(metadata[k])
            for k in ("mode", "sensitive", "generated_at", "citygeo_version")
            if k in metadata
        }
        for start, stop in _chunks(total):
            pyogrio.write_dataframe(
                table.iloc[start:stop],
                path,
                layer=layer,
                driver=self.driver,
                append=start > 0,
                promote_to_multi=False,
                layer_metadata=tags if start == 0 else None,
            )
            self._report(progress, stop, total, f"writing GeoPackage ({stop:,}/{total:,})")


class GeoParquetWriter(Writer):
    """GeoParquet (with its ``geo`` metadata) through geopandas ``to_parquet``."""

    name = "parquet"
    extension = ".parquet"
    mime = "application/vnd.apache.parquet"
    flags_encoding = "list<string> column (empty list = no flags)"
    geometry_encoding = (
        "GeoParquet WKB, EPSG:4326, full precision, exterior rings counter-clockwise"
    )

    def write(
        self,
        frame: gpd.GeoDataFrame,
        path: Path,
        *,
        layer: str,
        metadata: dict[str, Any],
        progress: Progress | None = None,
    ) -> None:
        # One call: GeoParquet's ``geo`` metadata (bbox, geometry types) covers the whole
        # file, and writing 35,000 polygons takes well under a second (benchmarks/export.py).
        table = frame.copy()
        if "flags" in table:
            table["flags"] = [flags_list(f) for f in table["flags"]]
        table = table.set_geometry(
            shapely.orient_polygons(table.geometry.to_numpy(), exterior_cw=False), crs=frame.crs
        )
        self._report(progress, 0, len(frame), "writing GeoParquet")
        table.to_parquet(
            path, index=False, compression="zstd", schema_version="1.1.0", write_covering_bbox=False
        )
        self._report(progress, len(frame), len(frame), "writing GeoParquet")


class CSVWriter(Writer):
    """CSV (UTF-8, comma-separated): the same columns, plus a label point's lon/lat."""

    name = "csv"
    extension = ".csv"
    mime = "text/csv"
    flags_encoding = f"text: codes joined by '{FLAG_SEPARATOR}' (empty = no flags)"
    geometry_encoding = (
        "no geometry; label_lon, label_lat: a point inside each polygon "
        "(representative_point), WGS 84, 6 decimals"
    )

    def write(
        self,
        frame: gpd.GeoDataFrame,
        path: Path,
        *,
        layer: str,
        metadata: dict[str, Any],
        progress: Progress | None = None,
    ) -> None:
        total = len(frame)
        table = pd.DataFrame(_with_text_flags(frame).drop(columns=frame.geometry.name))
        lon, lat = label_points(frame.geometry.to_numpy())
        table["label_lon"], table["label_lat"] = lon, lat
        with open(path, "w", encoding="utf-8", newline="") as out:
            for start, stop in _chunks(total):
                table.iloc[start:stop].to_csv(
                    out, index=False, header=start == 0, float_format=None, lineterminator="\n"
                )
                self._report(progress, stop, total, f"writing CSV ({stop:,}/{total:,})")


def _with_text_flags(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if "flags" not in frame:
        return frame
    table = frame.copy()
    table["flags"] = pd.array([_flags_text(f) for f in frame["flags"]], dtype="str")
    return table


FORMATS: dict[str, type[Writer]] = {
    cls.name: cls for cls in (GeoJSONWriter, GeoPackageWriter, GeoParquetWriter, CSVWriter)
}


def get_writer(fmt: str) -> Writer:
    """The writer called ``fmt``; an unknown name lists the valid ones."""
    try:
        return FORMATS[str(fmt).lower()]()
    except KeyError:
        raise InputError(
            f"Unknown export format {fmt!r}; valid formats: {', '.join(FORMATS)}."
        ) from None


# -- files -------------------------------------------------------------------------------
def sidecar_path(out: Path | str) -> Path:
    """``<file>.meta.json`` next to ``out`` (``city.gpkg`` → ``city.gpkg.meta.json``)."""
    out = Path(out)
    return out.with_name(out.name + SIDECAR_SUFFIX)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "city"


def default_export_name(
    city: str, fmt: str, *, year: int | None = None, mode: str = Mode.PUBLIC, layer: str = "scores"
) -> str:
    """``<city>-<year|all-years>[-incidents][.analyst].<ext>``
    (e.g. ``port-averlane-2026.analyst.gpkg``)."""
    writer = get_writer(fmt)
    parts = [_slug(city), str(year) if year is not None else "all-years"]
    if layer != "scores":
        parts.append(layer)
    marker = ".analyst" if mode == Mode.ANALYST else ""
    return "-".join(parts) + marker + writer.extension


def check_free(target: Path, force: bool) -> None:
    if target.exists() and not force:
        raise InputError(
            f"{target} already exists; pass --force to replace it (or choose another --out)."
        )


def _temporary_name(out: Path) -> Path:
    """An unused name in ``out``'s folder (same file system, so ``os.replace`` is atomic)."""
    if not out.parent.is_dir():
        raise InputError(
            f"The folder {out.parent} does not exist; create it or choose another --out."
        )
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
    check_free(out, force)
    tmp = _temporary_name(out)
    try:
        yield tmp
        os.replace(tmp, out)
    finally:
        _remove(tmp)


def write_frame(
    frame: gpd.GeoDataFrame,
    fmt: str,
    out: Path | str,
    *,
    layer: str = "scores",
    metadata: dict[str, Any] | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> Path:
    """Write a GeoDataFrame with one of :data:`FORMATS`, atomically, and its sidecar
    ``<out>.meta.json`` when ``metadata`` is given. Returns ``out``.

    Nothing is left behind on failure: both files are written under temporary names in
    the target folder and moved into place (data file first) only when both are complete.
    """
    writer = get_writer(fmt)
    out = Path(out)
    sidecar = sidecar_path(out)
    check_free(out, force)
    if metadata is not None:
        check_free(sidecar, force)
    if frame.crs is None or not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    meta = dict(metadata or {})
    data_tmp, meta_tmp = _temporary_name(out), None
    try:
        writer.write(frame, data_tmp, layer=layer, metadata=meta, progress=progress)
        if metadata is not None:
            meta.update(
                file=out.name,
                format=writer.name,
                rows=len(frame),
                flags_encoding=writer.flags_encoding,
                geometry_encoding=writer.geometry_encoding,
            )
            meta_tmp = _temporary_name(sidecar)
            meta_tmp.write_bytes(
                orjson.dumps(meta, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY) + b"\n"
            )
        os.replace(data_tmp, out)
        if meta_tmp is not None:
            os.replace(meta_tmp, sidecar)
    finally:
        _remove(data_tmp)
        _remove(meta_tmp)
    return out
