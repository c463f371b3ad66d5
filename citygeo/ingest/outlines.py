"""Display outlines, computed once when the boundaries are written, so that the first map a
server draws only reads them (a 35,000-neighbourhood city took ~36 s to simplify and merge on
its first request)."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import orjson
import pandas as pd

from citygeo.geo.display import display_outlines, district_outlines
from citygeo.store import Connection, replace_table


@dataclass(frozen=True)
class OutlineTables:
    """The rows of ``display_outlines`` and ``district_outlines`` for some neighbourhoods."""

    display: pd.DataFrame
    districts: pd.DataFrame


def outline_tables(neighbourhoods: gpd.GeoDataFrame) -> OutlineTables:
    """The outline tables of ``neighbourhoods`` (``nid, district, geometry`` in EPSG:4326).

    Pure geometry, no store: the ingest computes them in a thread while it loads the points
    (GEOS releases the GIL) and writes them with :func:`store_outlines`.
    """
    ordered = neighbourhoods.sort_values("nid", kind="stable").reset_index(drop=True)
    outlines = display_outlines(ordered)
    boxes = pd.DataFrame(outlines.boxes, columns=["xmin", "ymin", "xmax", "ymax"])
    display = pd.DataFrame(
        {"nid": outlines.nids, "district": outlines.districts, "geometry": outlines.texts}
    ).join(boxes)
    names, geometries = district_outlines(outlines)
    districts = pd.DataFrame(
        {"district": names, "geometry": [orjson.dumps(g).decode() for g in geometries]},
        columns=["district", "geometry"],
    )
    return OutlineTables(display, districts)


def store_outlines(con: Connection, tables: OutlineTables) -> None:
    """Replace ``display_outlines`` and ``district_outlines`` with ``tables``."""
    replace_table(con, "display_outlines", tables.display)
    replace_table(con, "district_outlines", tables.districts)


def write_outlines(con: Connection, neighbourhoods: gpd.GeoDataFrame) -> None:
    """Replace ``display_outlines`` and ``district_outlines`` with those of ``neighbourhoods``
    (``nid, district, geometry`` in EPSG:4326)."""
    store_outlines(con, outline_tables(neighbourhoods))
