"""Boundary vintages (DESIGN.md §2, the annual update): every boundary file a city was
ingested with is kept, and a change of boundaries is reported, never applied silently.

A vintage is identified by its content (the codes and outlines), so re-ingesting the same
file is no change. A neighbourhood is *redrawn* when its code stays but its outline moved:
the area of the symmetric difference of the old and new outlines exceeds
``REDRAWN_TOLERANCE`` (1 %) of the old area, measured in the city's projected CRS.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from citygeo.errors import InputError
from citygeo.ingest.readers import read_table
from citygeo.store import Connection, append_rows, reads
from citygeo.store import years as store_years

REDRAWN_TOLERANCE = 0.01


@dataclass
class BoundaryChange:
    """How the new boundary file differs from the previous vintage."""

    previous: str | None
    vintage: str
    first_year: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    redrawn: dict[str, float] = field(default_factory=dict)  # code → area change (% of old)
    crosswalk_rows: int = 0

    @property
    def changed(self) -> bool:
        return self.previous is not None and self.previous != self.vintage

    def sentence(self) -> str:
        """The ingest report's line about the change."""
        parts = [
            f"{len(self.added)} added ({_few(self.added)})" if self.added else "",
            f"{len(self.removed)} removed ({_few(self.removed)})" if self.removed else "",
            (
                f"{len(self.redrawn)} redrawn ("
                + _few(
                    [
                        f"{k}: outline changed by {v:.1f}% of its area"
                        for k, v in self.redrawn.items()
                    ]
                )
                + ")"
            )
            if self.redrawn
            else "",
        ]
        what = "; ".join(p for p in parts if p) or "outlines changed by less than 1% of any area"
        tail = (
            f"The crosswalk links the codes ({self.crosswalk_rows} rows): earlier years are "
            "carried to the new boundaries when they are scored"
            if self.crosswalk_rows
            else "Earlier years keep the boundaries they were scored on, and change over time "
            "across the two boundary sets is not comparable; set [boundaries] crosswalk "
            "(a CSV with columns from, to, weight) to compare them"
        )
        return (
            f"the boundaries changed (vintage {self.previous} → {self.vintage}, from "
            f"{self.first_year}): {what}. {tail}."
        )


def _few(items: list[str], limit: int = 8) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def vintage_id(hoods: gpd.GeoDataFrame) -> str:
    """A content id of a boundary set: its codes and normalised outlines."""
    digest = hashlib.sha256()
    order = hoods.sort_values("nid", kind="stable")
    for nid, geom in zip(order["nid"], shapely.normalize(order.geometry.to_numpy()), strict=True):
        digest.update(str(nid).encode() + b"\0" + shapely.to_wkb(geom) + b"\0")
    return digest.hexdigest()[:12]


def record_vintage(
    con: Connection,
    hoods: gpd.GeoDataFrame,
    file: Path,
    first_year: int,
    crs: str,
    crosswalk: Path | None,
) -> BoundaryChange:
    """Keep ``hoods`` as a vintage (if new) and say how it differs from the previous one."""
    vintage = vintage_id(hoods)
    previous = _previous(con, first_year)
    held = set(store_years.vintage_ids(con))
    change = BoundaryChange(previous[0] if previous else None, vintage, first_year)
    if vintage not in held:
        frame = pd.DataFrame(hoods.drop(columns="geometry"))
        frame["geom_wkb"] = shapely.to_wkb(hoods.geometry.to_numpy())
        frame["vintage"], frame["first_year"], frame["file"] = vintage, first_year, file.name
        append_rows(con, "boundary_vintages", frame, geometry={"geom": "geom_wkb"})
    else:
        change.first_year = store_years.vintage_first_year(con, vintage)
    if previous is None or previous[0] == vintage:
        return change
    old = previous[1]
    change.added = sorted(set(hoods["nid"]) - set(old["nid"]))
    change.removed = sorted(set(old["nid"]) - set(hoods["nid"]))
    change.redrawn = _redrawn(old, hoods, crs)
    if crosswalk is not None:
        table = read_crosswalk(crosswalk, set(old["nid"]), set(hoods["nid"]))
        table["from_vintage"], table["to_vintage"] = previous[0], vintage
        con.execute(
            "DELETE FROM boundary_crosswalks WHERE from_vintage = ? AND to_vintage = ?",
            [previous[0], vintage],
        )
        append_rows(con, "boundary_crosswalks", table)
        change.crosswalk_rows = len(table)
    return change


def _previous(con: Connection, first_year: int) -> tuple[str, gpd.GeoDataFrame] | None:
    """The vintage the store's current neighbourhoods are (recorded first for older stores)."""
    current = reads.neighbourhoods(con, geometry=True)
    if current.empty:
        return None
    shapes = gpd.GeoDataFrame(
        current.drop(columns="geom_wkb"),
        geometry=shapely.from_wkb(current["geom_wkb"].to_numpy()),
        crs="EPSG:4326",
    )
    vintage = vintage_id(shapes)
    if vintage not in set(store_years.vintage_ids(con)):
        years = [y for *_, y, _ in store_years.held_years(con)]
        frame = pd.DataFrame(shapes.drop(columns="geometry"))
        frame["geom_wkb"] = current["geom_wkb"]
        frame["vintage"], frame["file"] = vintage, ""
        frame["first_year"] = min(years) if years else first_year
        append_rows(con, "boundary_vintages", frame, geometry={"geom": "geom_wkb"})
    return vintage, shapes


def _redrawn(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, crs: str) -> dict[str, float]:
    both = old[["nid", "geometry"]].merge(
        pd.DataFrame(new[["nid", "geometry"]]), on="nid", suffixes=("_old", "_new")
    )
    if both.empty:
        return {}
    a = gpd.GeoSeries(both["geometry_old"].to_numpy(), crs="EPSG:4326").to_crs(crs)
    b = gpd.GeoSeries(both["geometry_new"].to_numpy(), crs="EPSG:4326").to_crs(crs)
    moved = a.symmetric_difference(b).area.to_numpy() / a.area.to_numpy()
    return {
        str(nid): round(100 * float(share), 1)
        for nid, share in zip(both["nid"], moved, strict=True)
        if share > REDRAWN_TOLERANCE
    }


def read_crosswalk(path: Path, old: set[str], new: set[str]) -> pd.DataFrame:
    """A crosswalk CSV (``from, to, weight``: old code, new code, share of the old code)."""
    table = read_table(path, "crosswalk")
    missing = [c for c in ("from", "to", "weight") if c not in table.columns]
    if missing:
        raise InputError(
            f"{path}: the crosswalk needs columns from, to, weight (missing: "
            f"{', '.join(missing)}; found: {', '.join(map(str, table.columns))})."
        )
    frame = pd.DataFrame(
        {
            "from_nid": table["from"].astype(str).str.strip(),
            "to_nid": table["to"].astype(str).str.strip(),
            "weight": pd.to_numeric(table["weight"], errors="coerce"),
        }
    )
    problems = []
    for column, known, what in (("from_nid", old, "the previous"), ("to_nid", new, "the new")):
        unknown = sorted(set(frame[column]) - known)
        if unknown:
            problems.append(
                f"{len(unknown)} codes in column {column[:-4]!r} are not in {what} "
                f"boundaries ({_few(unknown, 5)})"
            )
    bad = frame.index[~frame["weight"].between(0, 1, inclusive="right")].tolist()
    if bad:
        problems.append(
            f"{len(bad)} rows have a weight that is not a share in (0, 1] (rows "
            f"{_few([str(i + 2) for i in bad], 5)})"
        )
    if problems:
        raise InputError(f"{path}: " + "; ".join(problems) + ". Fix the crosswalk file.")
    return frame


__all__ = ["REDRAWN_TOLERANCE", "BoundaryChange", "read_crosswalk", "record_vintage", "vintage_id"]
