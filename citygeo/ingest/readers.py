"""Read files into frames, whatever their format; every failure names the file."""

from __future__ import annotations

import csv
import logging
import warnings as pywarnings
from datetime import date, datetime, time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from citygeo.errors import InputError

log = logging.getLogger(__name__)

VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".parquet", ".geoparquet", ".fgb", ".zip"}
TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xls", ".parquet"}


def require_file(path: Path, what: str) -> None:
    """Raise InputError unless ``path`` is an existing, non-empty file."""
    if not path.exists():
        raise InputError(
            f"{path}: {what} file not found. Check the path in the city config "
            "(paths are relative to the config file)."
        )
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected a {what} file.")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the {what} file is empty.")


def read_vector(
    path: Path, what: str, layer: str | None = None, warnings: list[str] | None = None
) -> gpd.GeoDataFrame:
    """Read a vector file (GeoJSON, GeoPackage, Shapefile, GeoParquet, …).

    What GDAL or pyogrio had to guess or repair while reading (an unclosed ring, a column
    of mixed types) is added to ``warnings`` instead of being printed.
    """
    require_file(path, what)
    suffix = path.suffix.lower()
    try:
        if suffix in {".parquet", ".geoparquet"}:
            return gpd.read_parquet(path)
        return _read_ogr(path, layer, warnings if warnings is not None else [])
    except (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        pyogrio.errors.FieldError,
        pyogrio.errors.GeometryError,
    ) as err:
        raise InputError(f"{path}: cannot read this {what} file: {err}") from err
    except (ValueError, OSError) as err:
        raise InputError(
            f"{path}: cannot read this {what} file ({type(err).__name__}: {err}). "
            "Supported: GeoJSON, GeoPackage, Shapefile, GeoParquet."
        ) from err


def _read_ogr(path: Path, layer: str | None, warnings: list[str]) -> gpd.GeoDataFrame:
    """Read with pyogrio; geometries GEOS cannot decode (e.g. unclosed rings) are repaired."""
    with pywarnings.catch_warnings(record=True) as caught:
        pywarnings.simplefilter("always")
        try:
            frame = gpd.read_file(path, layer=layer, engine="pyogrio")
        except shapely.errors.GEOSException as err:
            frame = gpd.read_file(path, layer=layer, engine="pyogrio", on_invalid="fix")
            warnings.append(
                f"{path.name}: some geometries are malformed as written ({err}); "
                "they were repaired on reading (for example an unclosed ring was "
                "closed): check them"
            )
    seen: set[str] = set()
    for item in caught:
        text = str(item.message)
        if text not in seen and not issubclass(
            item.category, (DeprecationWarning, ResourceWarning)
        ):
            seen.add(text)
            warnings.append(f"{path.name}: {text}")
    return frame


def sniff_text(path: Path) -> tuple[str, str]:
    """Guess the encoding and the delimiter of a delimited text file."""
    with path.open("rb") as fh:
        head = fh.read(65536)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif head.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    else:
        try:
            head.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError as err:
            # A cut in the middle of a multi-byte character at the end of the sample is fine.
            encoding = "utf-8" if err.start >= len(head) - 3 else "cp1252"
    text = head.decode(encoding, errors="ignore")
    first = text.splitlines()[0] if text.splitlines() else ""
    try:
        delimiter = csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    return encoding, delimiter


def read_table(
    path: Path,
    what: str,
    sheet: str | int | None = None,
    warnings: list[str] | None = None,
    key_column: str | None = None,
) -> pd.DataFrame:
    """Read a CSV, XLSX or Parquet table with every column as text (no type guessing).

    Empty cells become missing values. Column names are stripped of surrounding spaces.
    A guessed encoding is added to ``warnings``. When ``key_column`` is not in the header
    but on a later row (a title or a merged header above the column names), the error
    says on which row the column names are.
    """
    require_file(path, what)
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(path)
            frame = frame.astype(object).where(frame.notna(), None)
            frame = frame.apply(lambda col: col.map(_as_text))
        elif suffix in {".xlsx", ".xls"}:
            # As typed cells, then text: a date cell becomes ISO text (2020-03-04), never
            # "2020-03-04 00:00:00" or a serial number, so it is read as the date it is.
            frame = pd.read_excel(path, sheet_name=sheet or 0, dtype=object)
            frame = frame.astype(object).where(frame.notna(), None)
            frame = frame.apply(lambda col: col.map(_as_text))
        else:
            encoding, delimiter = sniff_text(path)
            if encoding == "cp1252":
                log.warning("%s is not UTF-8; read it as Windows-1252 (Latin-1)", path)
                if warnings is not None:
                    warnings.append(
                        f"{path.name}: not UTF-8; read as Windows-1252 (Latin-1). "
                        "Check accented letters, or save the file as UTF-8."
                    )
            frame = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                encoding=encoding,
                sep=delimiter,
                skipinitialspace=True,
            )
    except (
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        UnicodeDecodeError,
        ValueError,
        OSError,
    ) as err:
        raise InputError(f"{path}: cannot read this {what} table: {err}") from err
    frame.columns = [str(c).strip() for c in frame.columns]
    if key_column and key_column not in frame.columns:
        _header_below(frame, path, key_column)
    if any(c.startswith("Unnamed:") for c in frame.columns) and len(frame.columns) > 1:
        unnamed = [c for c in frame.columns if c.startswith("Unnamed:")]
        if len(unnamed) >= len(frame.columns) / 2:
            raise InputError(
                f"{path}: the header row has {len(unnamed)} empty column names; "
                "is the first row a title or a merged header? Put the column "
                "names on the first row."
            )
    return frame.astype(object).where(frame.notna(), None)


def _header_below(frame: pd.DataFrame, path: Path, key_column: str) -> None:
    """Raise InputError when ``key_column`` is found on one of the first rows below the header."""
    for index, row in enumerate(frame.head(10).itertuples(index=False)):
        cells = [str(v).strip() for v in row if isinstance(v, str)]
        if key_column in cells:
            first = next((c for c in frame.columns if not c.startswith("Unnamed:")), "")
            raise InputError(
                f"{path}: the column names (with {key_column!r}) are on row {index + 2}, not on "
                f"row 1; row 1 holds {first!r}, a title or a merged header. Delete the "
                f"row{'s' if index else ''} above the column names."
            )


def _as_text(value: object) -> object:
    """A code or value read from a typed file, as text: 7 and 7.0 both become "7".

    A date or timestamp becomes ISO text (``2020-03-04``; with `` 10:30:00`` when it has a
    time of day), which the date reading takes as the date it is."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (date, datetime)):
        return iso_text(value)
    return str(value)


def iso_text(value: date) -> str:
    """A date as ``YYYY-MM-DD``; a timestamp as that plus `` HH:MM:SS`` unless at midnight.

    A timestamp with a time zone keeps its wall-clock time (the date as written)."""
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value.isoformat()


def row_label(path: Path, index: int) -> str:
    """How a person finds row ``index`` (0-based data row) of ``path``."""
    if path.suffix.lower() == ".parquet":
        return f"row {index + 1}"
    return f"line {index + 2}"
