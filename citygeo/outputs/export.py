"""Exports for GIS teams: GeoJSON, GeoPackage, GeoParquet and CSV, each with a sidecar
(DESIGN.md §5).

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

import io
import json
import logging
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from citygeo import __version__
from citygeo.config import CitySettings
from citygeo.errors import InputError, StoreError
from citygeo.outputs.formats import (
    Progress,
    check_free,
    default_export_name,
    flags_list,
    get_writer,
    plain_records,
    sidecar_path,
    write_frame,
)
from citygeo.schema import SCORE_COLUMNS
from citygeo.service.city import current_scores, parse_mode, require_scores, settings
from citygeo.settings import Mode
from citygeo.store import Connection, Store, reads
from citygeo.store import years as store_years

log = logging.getLogger(__name__)

LAYERS = ("scores", "incidents")
SIDECAR_SCHEMA = 1
NEIGHBOURHOOD_COLUMNS = ("district", "population", "area_km2")
EXTRA_PREFIXES = ("domain__", "measure__", "raw__", "n__")
PUBLIC_WITHHOLDS = (
    "values built on 1 to min_count − 1 events (flag suppressed:<measure>) and survey "
    "estimates with an effective sample under min_sample (flag unreliable:<measure>) are "
    "null — raw__, measure__ and n__ columns — and keep their flag; incident points and "
    "stakeholder contact details are not exported"
)


# -- reading what is exported -------------------------------------------------------------
# The current scores are read by ``service.city.current_scores`` (the one reader, shared with
# the dashboard and the printout). Each export opens ONE read-only connection, so it reads one
# consistent version of the file.
def score_columns(frame: pd.DataFrame) -> list[str]:
    """The export's column order: contract columns, neighbourhood columns, then the rest."""
    extras = [c for prefix in EXTRA_PREFIXES for c in frame.columns if str(c).startswith(prefix)]
    return [*SCORE_COLUMNS, *[c for c in NEIGHBOURHOOD_COLUMNS if c in frame.columns], *extras]


def _scores_frame(con: Connection, store: Store, year: int | None, mode: Mode) -> gpd.GeoDataFrame:
    require_scores(con, store, year)
    scores = current_scores(con, mode=mode, year=year)
    merged = _with_polygons(con, scores)
    missing = merged.loc[merged["geometry"].isna(), "nid"].unique().tolist()
    if missing:
        raise StoreError(
            f"Scores name neighbourhoods the store has no polygon for: "
            f"{', '.join(missing[:10])}; re-run `citygeo ingest` and `citygeo score`."
        )
    frame = gpd.GeoDataFrame(
        merged[score_columns(merged)], geometry=merged["geometry"].to_numpy(), crs="EPSG:4326"
    )
    return frame.reset_index(drop=True)


def _with_polygons(con: Connection, scores: pd.DataFrame) -> pd.DataFrame:
    """Each score row with the polygon (and neighbourhood columns) it was scored on: today's
    boundaries, or an earlier boundary vintage for a year scored on it without a crosswalk."""
    hoods = reads.neighbourhoods(con, geometry=True).drop(columns="name")
    scores = scores.assign(__order=range(len(scores)))
    vintages = store_years.vintage_ids(con)
    earlier = (
        scores["boundary_vintage"].notna() & (scores["boundary_vintage"] != vintages[-1])
        if "boundary_vintage" in scores and vintages
        else pd.Series(False, index=scores.index)
    )
    parts = [scores[~earlier].merge(hoods, on="nid", how="left", validate="many_to_one")]
    for vintage, rows in scores[earlier].groupby("boundary_vintage", sort=True):
        old = store_years.vintage_neighbourhoods(con, str(vintage)).drop(columns="name")
        parts.append(rows.merge(old, on="nid", how="left", validate="many_to_one"))
    merged = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    merged["geometry"] = shapely.from_wkb(merged.pop("geom_wkb").to_numpy())
    return merged.sort_values("__order", ignore_index=True).drop(columns="__order")


def scores_frame(
    store: Store, year: int | None = None, *, mode: Mode | str = Mode.PUBLIC
) -> gpd.GeoDataFrame:
    """The scores layer as exported: one row per neighbourhood and year, with its polygon."""
    with store.reader() as con:
        return _scores_frame(con, store, year, parse_mode(mode))


def _refuse_public_incidents(mode: Mode, layer: str = "incidents") -> None:
    if layer == "incidents" and mode is not Mode.ANALYST:
        raise InputError(
            "Incident points are sensitive and are never exported in public mode "
            "(DESIGN.md §6). Use --analyst to export them for analysts, or export "
            "the scores layer, which aggregates them by neighbourhood."
        )


def _incidents_frame(con: Connection, year: int | None, mode: Mode) -> gpd.GeoDataFrame:
    _refuse_public_incidents(mode)
    frame = reads.incident_points(con, year)
    geoms = shapely.from_wkb(frame.pop("geom_wkb").to_numpy())
    frame["occurred_on"] = pd.to_datetime(frame["occurred_on"]).dt.strftime("%Y-%m-%d")
    return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326")


def incidents_frame(
    store: Store, year: int | None = None, *, mode: Mode | str = Mode.PUBLIC
) -> gpd.GeoDataFrame:
    """The incident points (analyst mode only: they never leave the store in public mode)."""
    _refuse_public_incidents(parse_mode(mode))
    with store.reader() as con:
        return _incidents_frame(con, year, parse_mode(mode))


def export_metadata(
    store: Store, frame: gpd.GeoDataFrame, *, year: int | None, mode: Mode | str, layer: str
) -> dict[str, Any]:
    """The sidecar's content (schema in the module docstring; ``schema`` versions it)."""
    with store.reader() as con:
        return _export_metadata(con, frame, year=year, mode=parse_mode(mode), layer=layer)


def _export_metadata(
    con: Connection, frame: gpd.GeoDataFrame, *, year: int | None, mode: Mode, layer: str
) -> dict[str, Any]:
    city = CitySettings.model_validate(reads.city_settings(con))
    methodologies = reads.current_methodologies(con).rename(
        columns={"methodology_sha256": "sha256"}
    )
    if year is not None:
        methodologies = methodologies[methodologies["year"] == year]
    used: list[dict[str, Any]] = []
    for sha, rows in methodologies.groupby("sha256", sort=False):
        first = rows.iloc[0]
        used.append(
            {
                "version": str(first["version"]),
                "sha256": str(sha),
                "years": [int(y) for y in rows["year"]],
                "note": first["note"],
                "created_at": pd.Timestamp(first["created_at"]).isoformat(),
                "spec": json.loads(first["spec"]),
            }
        )
    latest = used[-1]["spec"] if used else {}
    sources = reads.register(con, "sources")
    years = (
        sorted({int(y) for y in frame["year"]})
        if "year" in frame and len(frame)
        else ([year] if year is not None else [])
    )
    return {
        "schema": SIDECAR_SCHEMA,
        "layer": layer,
        "mode": mode.value,
        "sensitive": mode is Mode.ANALYST,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "citygeo_version": __version__,
        "city": {"name": city.name, "fictional": city.fictional, "description": city.description},
        "years": years,
        "crs": "EPSG:4326 (WGS 84, lon/lat)",
        "columns": [str(c) for c in frame.columns if c != frame.geometry.name],
        "methodologies": used,
        "sources": plain_records(sources) if not sources.empty else [],
        "suppression": {
            "min_count": latest.get("min_count"),
            "min_sample": latest.get("min_sample"),
            "public_withholds": PUBLIC_WITHHOLDS,
            "applied": mode is Mode.PUBLIC,
            "withheld_values": _withheld_count(frame) if layer == "scores" else None,
        },
        "contains": {"incident_points": layer == "incidents", "stakeholder_contacts": False},
    }


def _withheld_count(frame: pd.DataFrame) -> int:
    """How many (row, measure) pairs carry a withheld flag (suppressed: / unreliable:)."""
    if "flags" not in frame:
        return 0
    return int(
        sum(
            sum(1 for f in flags_list(flags) if f.startswith(("suppressed:", "unreliable:")))
            for flags in frame["flags"]
        )
    )


def write_export(
    store: Store,
    fmt: str,
    out: Path | str,
    *,
    year: int | None = None,
    mode: Mode | str = Mode.PUBLIC,
    layer: str = "scores",
    force: bool = False,
    progress: Progress | None = None,
) -> Path:
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
    mode = parse_mode(mode)
    if layer not in LAYERS:
        raise InputError(f"Unknown layer {layer!r}; valid layers: {', '.join(LAYERS)}.")
    out = Path(out)
    for target in (out, sidecar_path(out)):
        check_free(target, force)
    _refuse_public_incidents(mode, layer)
    with store.reader() as con:
        frame = (
            _scores_frame(con, store, year, mode)
            if layer == "scores"
            else _incidents_frame(con, year, mode)
        )
        metadata = _export_metadata(con, frame, year=year, mode=mode, layer=layer)
    path = write_frame(
        frame, writer.name, out, layer=layer, metadata=metadata, force=force, progress=progress
    )
    log.info("exported %d %s rows (%s, %s mode) to %s", len(frame), layer, writer.name, mode, path)
    return path


def export_bytes(
    store: Store,
    fmt: str,
    *,
    year: int | None = None,
    mode: Mode | str = Mode.PUBLIC,
    layer: str = "scores",
    with_sidecar: bool = False,
) -> tuple[bytes, str, str]:
    """The export as bytes for a download button: ``(data, file name, MIME type)``.

    The same :func:`write_export` runs into a temporary folder. With ``with_sidecar`` the
    result is a ZIP holding the file and its ``.meta.json``.
    """
    writer = get_writer(fmt)
    name = default_export_name(
        settings(store).name or "city", writer.name, year=year, mode=parse_mode(mode), layer=layer
    )
    with tempfile.TemporaryDirectory(prefix="citygeo-export-") as folder:
        path = write_export(
            store, writer.name, Path(folder) / name, year=year, mode=mode, layer=layer
        )
        data = path.read_bytes()
        if not with_sidecar:
            return data, name, writer.mime
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(name, data)
            archive.writestr(sidecar_path(name).name, sidecar_path(path).read_bytes())
        return buffer.getvalue(), name + ".zip", "application/zip"


__all__ = [
    "LAYERS",
    "export_bytes",
    "export_metadata",
    "incidents_frame",
    "score_columns",
    "scores_frame",
    "write_export",
]
