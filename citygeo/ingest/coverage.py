"""Coverage of a source (DESIGN.md §3 "Real-world inputs"): which neighbourhoods it speaks for.

A source's ``coverage`` is the whole city by default, or a list of districts or neighbourhood
codes, or a polygon file (a neighbourhood is covered when at least half of its area lies
inside). Measures built from a source are missing, never zero, outside its coverage: the
ingest writes one ``coverage`` row per source with a coverage and neighbourhood
(``source_id, kind = 'source', item = NULL, nid, share``) and the scoring reads them.
Apportioned tables (:mod:`citygeo.ingest.geography`) add rows of ``kind = 'indicator'`` or
``'category'`` for the share of each neighbourhood their areas cover.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from citygeo.config import CityConfig
from citygeo.config.city import SourceSpec
from citygeo.errors import ConfigError
from citygeo.ingest.readers import read_vector
from citygeo.schema import COVERED_SHARE
from citygeo.store import Connection, append_rows

COVERAGE_COLUMNS = ["source_id", "kind", "item", "nid", "share"]
# A city-wide source whose points fall this much in districts holding at most CONCENTRATED_AREA
# of the neighbourhoods draws the hint to set `coverage`.
CONCENTRATED_POINTS = 0.9
CONCENTRATED_AREA = 1 / 3


def empty_coverage() -> pd.DataFrame:
    """A coverage frame with no rows."""
    return pd.DataFrame(
        {c: pd.Series(dtype="float64" if c == "share" else "object") for c in COVERAGE_COLUMNS}
    )


def source_coverage(
    config: CityConfig, hoods: gpd.GeoDataFrame, projected_crs: str
) -> pd.DataFrame:
    """One row per source with a coverage and neighbourhood: the share of it the source covers.

    Raises ConfigError naming ``[sources.X] coverage`` when a listed district or code is unknown.
    """
    parts = []
    for key, source in config.sources.items():
        if source.coverage_areas:
            share = _listed_share(key, source, hoods, config)
        elif source.coverage_file:
            share = _polygon_share(key, source, hoods, projected_crs)
        else:
            continue
        parts.append(
            pd.DataFrame(
                {
                    "source_id": key,
                    "kind": "source",
                    "item": None,
                    "nid": hoods["nid"].to_numpy(),
                    "share": share,
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else empty_coverage()


def _listed_share(
    key: str, source: SourceSpec, hoods: gpd.GeoDataFrame, config: CityConfig
) -> np.ndarray:
    listed = [str(a).strip() for a in source.coverage_areas]
    districts = set(hoods["district"].dropna().astype(str))
    codes = set(hoods["nid"].astype(str))
    unknown = [a for a in listed if a not in districts and a not in codes]
    if unknown:
        known = ", ".join(sorted(districts)[:8]) or "none (set [boundaries] district)"
        raise ConfigError(
            f"{config.config_path}: [sources.{key}] coverage names "
            f"{', '.join(repr(a) for a in unknown[:5])}, which is neither a district "
            f"nor a neighbourhood code of {config.boundaries.path.name} (districts: "
            f"{known}); fix `coverage` (spelling as in the boundary file)."
        )
    inside = hoods["district"].astype(str).isin(listed) | hoods["nid"].astype(str).isin(listed)
    return inside.to_numpy(dtype=float)


def _polygon_share(
    key: str, source: SourceSpec, hoods: gpd.GeoDataFrame, projected_crs: str
) -> np.ndarray:
    path = source.coverage_file
    assert path is not None
    shapes = read_vector(path, f"coverage of [sources.{key}]")
    if shapes.crs is None:
        raise ConfigError(
            f"{path}: the coverage file of [sources.{key}] carries no CRS; save it "
            "with one (GeoJSON is WGS 84)."
        )
    area = shapes.to_crs(projected_crs).geometry.union_all()
    projected = hoods.to_crs(projected_crs).geometry
    total = projected.area.to_numpy()
    inside = projected.intersection(area).area.to_numpy()
    return np.round(np.where(total > 0, inside / np.where(total > 0, total, 1), 0.0), 9)


def coverage_text(key: str, source: SourceSpec, coverage: pd.DataFrame) -> str:
    """The ``sources.coverage`` text: what the config says and how many neighbourhoods it covers."""
    rows = coverage[(coverage["source_id"] == key) & (coverage["kind"] == "source")]
    if rows.empty:
        return source.coverage if isinstance(source.coverage, str) else ""
    covered = int((rows["share"] >= COVERED_SHARE).sum())
    what = (
        ", ".join(source.coverage_areas)
        if source.coverage_areas
        else f"the area of {source.coverage_file.name}"  # type: ignore[union-attr]
        " (a neighbourhood counts when at least half of it lies inside)"
    )
    return f"{what}: {covered} of {len(rows)} neighbourhoods"


def write_coverage(con: Connection, coverage: pd.DataFrame, sources: set[str]) -> None:
    """Write this ingest's coverage rows and keep what they do not replace (the annual update).

    A source the config declares replaces its own coverage (a source now covering the whole
    city has none); apportioned indicators and counts replace the rows of the same item. The
    rows of sources and items this delivery does not touch stay with the data they describe.
    """
    con.execute(
        "CREATE TABLE IF NOT EXISTS coverage (source_id VARCHAR, kind VARCHAR, "
        "item VARCHAR, nid VARCHAR, share DOUBLE)"
    )
    items = coverage.loc[coverage["kind"] != "source", ["kind", "item"]].drop_duplicates()
    declared = pd.DataFrame({"kind": "source", "item": sorted(sources)}, dtype=object)
    replaced = pd.concat([declared, items.astype(object)], ignore_index=True)
    con.register("__replaced_coverage", replaced)
    try:
        con.execute(
            "DELETE FROM coverage c WHERE EXISTS (SELECT 1 FROM __replaced_coverage r "
            "WHERE r.kind = c.kind AND (CASE WHEN c.kind = 'source' THEN c.source_id "
            "ELSE c.item END) = r.item)"
        )
    finally:
        con.unregister("__replaced_coverage")
    if not coverage.empty:
        append_rows(con, "coverage", coverage[COVERAGE_COLUMNS])


def warn_concentrated(con: Connection, config: CityConfig, warnings: list[str]) -> None:
    """Warn when a city-wide source's incident points fall in a small part of the city.

    The districts holding most points are named (the fewest that hold
    ``CONCENTRATED_POINTS`` of them) when they hold at most ``CONCENTRATED_AREA`` of the
    neighbourhoods, with the ``coverage`` line to set.
    """
    rows = con.execute(
        "SELECT i.source_id, n.district, count(*) AS points FROM incidents i "
        "JOIN neighbourhoods n USING (nid) WHERE n.district IS NOT NULL GROUP BY ALL"
    ).df()
    sizes = (
        con.execute(
            "SELECT district, count(*) AS hoods FROM neighbourhoods "
            "WHERE district IS NOT NULL GROUP BY ALL"
        )
        .df()
        .set_index("district")["hoods"]
    )
    if rows.empty or len(sizes) < 2:
        return
    for key, part in rows.groupby(rows["source_id"].fillna("")):
        source = config.sources.get(str(key))
        if source is not None and (source.coverage_areas or source.coverage_file):
            continue
        part = part.sort_values("points", ascending=False)
        share = part["points"].cumsum() / part["points"].sum()
        top = part.iloc[: int(np.searchsorted(share.to_numpy(), CONCENTRATED_POINTS)) + 1]
        hoods = int(sizes.loc[top["district"]].sum())
        if hoods > CONCENTRATED_AREA * sizes.sum():
            continue
        pct = 100 * top["points"].sum() / part["points"].sum()
        names = ", ".join(str(d) for d in top["district"])
        listed = ", ".join(f'"{d}"' for d in top["district"])
        name = f"source {key!r}" if key else "an incidents file without a source"
        warnings.append(
            f"{name}: {pct:.0f}% of its incident points fall in {names} ({hoods} of "
            f"{int(sizes.sum())} neighbourhoods). If it only covers that part of the city, set "
            f"coverage = [{listed}] in [sources.{key or 'X'}]: otherwise every other "
            "neighbourhood counts as having no incidents, not as having no data."
        )


def covered_report(coverage: pd.DataFrame, names: dict[str, str], warnings: list[str]) -> None:
    """One report line per source coverage: how many neighbourhoods are covered."""
    rows = coverage[coverage["kind"] == "source"]
    for key, part in rows.groupby("source_id"):
        covered = int((part["share"] >= COVERED_SHARE).sum())
        warnings.append(
            f"source {key!r} ({names.get(str(key), key)}) covers {covered} of "
            f"{len(part)} neighbourhoods: its measures are missing (not zero) and "
            f"flagged not_covered in the other {len(part) - covered}."
        )


def warn_without_rows(
    values: pd.DataFrame, path: object, hoods: gpd.GeoDataFrame, warnings: list[str]
) -> None:
    """Name the neighbourhoods an indicator table has no row for (shown as missing)."""
    absent = sorted(set(hoods["nid"]) - set(values["nid"]))
    if not absent or values.empty:
        return
    names = hoods.set_index("nid")["name"]
    sample = ", ".join(f"{n} ({names.get(n)})" for n in absent[:8])
    warnings.append(
        f"{getattr(path, 'name', path)}: no row for {len(absent)} of {len(hoods)} "
        f"neighbourhoods ({sample}{' …' if len(absent) > 8 else ''}); their measures "
        "from this table are shown as missing (no data), never as zero. If their codes "
        "changed, a `crosswalk` table (from, to, weight) can link the old codes."
    )
