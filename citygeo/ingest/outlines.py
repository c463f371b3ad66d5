"""Display outlines, computed once when the boundaries are written, so that the first map a
server draws only reads them (a 35,000-neighbourhood city took ~36 s to simplify and merge on
its first request)."""

from __future__ import annotations

import geopandas as gpd
import orjson
import pandas as pd

from citygeo.geo.display import display_outlines, district_outlines
from citygeo.store import Connection, replace_table


def write_outlines(con: Connection, neighbourhoods: gpd.GeoDataFrame) -> None:
    """Replace ``display_outlines`` and ``district_outlines`` with those of ``neighbourhoods``
    (``nid, district, geometry`` in EPSG:4326)."""
    ordered = neighbourhoods.sort_values("nid", kind="stable").reset_index(drop=True)
    outlines = display_outlines(ordered)
    boxes = pd.DataFrame(outlines.boxes, columns=["xmin", "ymin", "xmax", "ymax"])
    replace_table(
        con,
        "display_outlines",
        pd.DataFrame(
            {
                "nid": outlines.nids,
                "district": outlines.districts,
                "geometry": outlines.texts,
            }
        ).join(boxes),
    )
    names, geometries = district_outlines(outlines)
    replace_table(
        con,
        "district_outlines",
        pd.DataFrame(
            {"district": names, "geometry": [orjson.dumps(g).decode() for g in geometries]},
            columns=["district", "geometry"],
        ),
    )
