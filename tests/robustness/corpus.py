"""The bad-input corpus: one way to break the small city per case, and what must happen.

Each case names how it breaks the full small city (``tests/robustness/city.py``), the
outcome it must have — ``loads`` (exit 0; a repair or guess is reported as a warning) or
``fails`` (exit 2 with a message naming the file and the row, column or problem) — the
fragments that message or warning must contain, and optionally a check on what was loaded.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import openpyxl
import pandas as pd
import shapely

from tests.fixtures.city import ORIGIN, SmallCity, grid_city
from tests.robustness.processes import PlainStore as Store

Breaker = Callable[[SmallCity], None]
Check = Callable[[Store], None]


@dataclass(frozen=True)
class Case:
    id: str
    breaks: Breaker
    outcome: Literal["loads", "fails"]
    fragments: tuple[str, ...]
    check: Check | None = None
    command: Literal["ingest", "score"] = "ingest"
    extra_args: tuple[str, ...] = field(default_factory=tuple)


# -- helpers that break one file ------------------------------------------------------------
def _text(city: SmallCity, name: str) -> str:
    return (city.folder / name).read_text(encoding="utf-8")


def _reencode(name: str, encoding: str, transform: Callable[[str], str] = lambda t: t) -> Breaker:
    def breaks(city: SmallCity) -> None:
        text = transform(_text(city, name))
        (city.folder / name).write_bytes(text.encode(encoding))

    return breaks


def _write(name: str, content: str | bytes) -> Breaker:
    def breaks(city: SmallCity) -> None:
        data = content.encode("utf-8") if isinstance(content, str) else content
        (city.folder / name).write_bytes(data)

    return breaks


def _header_only(name: str) -> Breaker:
    def breaks(city: SmallCity) -> None:
        (city.folder / name).write_text(_text(city, name).splitlines()[0] + "\n", encoding="utf-8")

    return breaks


def _edit_csv(name: str, edit: Callable[[pd.DataFrame], pd.DataFrame], sep: str = ",") -> Breaker:
    def breaks(city: SmallCity) -> None:
        path = city.folder / name
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        edit(frame).to_csv(path, index=False, sep=sep)

    return breaks


def _set(column: str, row: int, value: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[row, column] = value
        return frame

    return edit


def _config(old: str, new: str) -> Breaker:
    def breaks(city: SmallCity) -> None:
        text = city.config.read_text(encoding="utf-8")
        assert old in text, old
        city.config.write_text(text.replace(old, new, 1), encoding="utf-8")

    return breaks


def _boundaries(edit: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]) -> Breaker:
    def breaks(city: SmallCity) -> None:
        edit(grid_city()).to_file(city.folder / "boundaries.geojson", driver="GeoJSON")

    return breaks


def _geojson(features: list[dict[str, object]]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features})


def _grid_features(
    ring_of: Callable[[int, list[list[float]]], list[list[float]]] | None = None,
    pop_of: Callable[[int], object] = lambda i: 1000 * i,
) -> list[dict[str, object]]:
    """The 3 × 3 grid as hand-written GeoJSON features (ring edited by ``ring_of``)."""
    features = []
    for i, geom in enumerate(grid_city().geometry, 1):
        ring = [list(map(float, xy)) for xy in geom.exterior.coords]
        ring = ring_of(i, ring) if ring_of else ring
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": f"N{i}",
                    "name": f"Cell {i}",
                    "district": "East",
                    "pop": pop_of(i),
                },
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return features


def _raw_geojson_pop(pop_text: str) -> Breaker:
    """Boundaries whose N1 population is written verbatim (e.g. ``1e400``) into the JSON."""

    def breaks(city: SmallCity) -> None:
        text = _geojson(_grid_features(pop_of=lambda i: "@POP@" if i == 1 else 1000 * i))
        (city.folder / "boundaries.geojson").write_text(text.replace('"@POP@"', pop_text))

    return breaks


# -- checks on what was loaded --------------------------------------------------------------
def _indicator_value(store: Store, nid: str, indicator: str) -> float:
    rows = store.query(
        "SELECT value FROM indicator_values WHERE nid = ? AND indicator = ?", [nid, indicator]
    )
    assert len(rows) == 1, rows
    return float(rows["value"].iloc[0])


def _expect_indicators(**expected: float) -> Check:
    def check(store: Store) -> None:
        for key, value in expected.items():
            nid, indicator = key.split("__", 1)
            assert _indicator_value(store, nid, indicator) == value

    return check


def _expect_incident_nids(expected: dict[str, str]) -> Check:
    def check(store: Store) -> None:
        got = store.query(
            "SELECT incident_id, nid FROM incidents WHERE list_contains(?, incident_id)",
            [list(expected)],
        )
        assert dict(zip(got["incident_id"], got["nid"], strict=True)) == expected

    return check


def _expect_incident_counts(counts: dict[str, int]) -> Check:
    def check(store: Store) -> None:
        got = store.query("SELECT nid, count(*) AS n FROM incidents GROUP BY nid")
        assert dict(zip(got["nid"], got["n"].astype(int), strict=True)) == counts

    return check


def _expect_missing(nid: str, indicator: str) -> Check:
    def check(store: Store) -> None:
        rows = store.query(
            "SELECT value FROM indicator_values WHERE nid = ? AND indicator = ?", [nid, indicator]
        )
        assert rows.empty, rows

    return check


def _expect_count(table: str, n: int) -> Check:
    def check(store: Store) -> None:
        assert store.count(table) == n

    return check


def _expect_consultation_dates(dates: list[str]) -> Check:
    def check(store: Store) -> None:
        got = store.query("SELECT CAST(date AS VARCHAR) AS d FROM consultations ORDER BY d")
        assert list(got["d"]) == dates

    return check


def _expect_equal_areas(store: Store) -> None:
    areas = store.query("SELECT nid, area_km2 FROM neighbourhoods ORDER BY nid")["area_km2"]
    assert areas.max() - areas.min() < 1e-3 * areas.max()  # N1 is a full square again


BASE_COUNTS = {f"N{i}": i for i in range(1, 10)}  # cell i holds i incidents


def _expect_categories(expected: set[str]) -> Check:
    def check(store: Store) -> None:
        assert set(store.query("SELECT DISTINCT category FROM incidents")["category"]) == expected

    return check


# -- boundaries -----------------------------------------------------------------------------
def _bowtie(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    x0, y0, x1, y1 = frame.geometry.iloc[0].bounds
    frame.loc[0, "geometry"] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])
    return frame


def _zero_area(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    x0, y0, x1, _ = frame.geometry.iloc[0].bounds
    frame.loc[0, "geometry"] = shapely.Polygon([(x0, y0), (x1, y0), ((x0 + x1) / 2, y0), (x0, y0)])
    return frame


def _overlap(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    _, y0, x1, y1 = frame.geometry.iloc[1].bounds
    frame.loc[1, "geometry"] = shapely.box(ORIGIN[0] + 0.004, y0, x1, y1)  # N2 reaches into N1
    return frame


def _inside(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    cx, cy = frame.geometry.iloc[4].centroid.coords[0]
    inner = shapely.box(cx - 0.003, cy - 0.002, cx + 0.003, cy + 0.002)  # around N5's incidents
    extra = gpd.GeoDataFrame(
        [{"code": "N10", "name": "Inner", "district": "East", "pop": 500, "geometry": inner}],
        crs=frame.crs,
    )
    return pd.concat([frame, extra], ignore_index=True)


def _mixed_types(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    x0, y0, x1, y1 = frame.geometry.iloc[2].bounds
    frame.loc[2, "geometry"] = shapely.LineString([(x0, y0), (x1, y1)])
    return frame


def _multipolygon(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame.loc[0, "geometry"] = shapely.MultiPolygon([frame.geometry.iloc[0]])
    return frame


def _unclosed(i: int, ring: list[list[float]]) -> list[list[float]]:
    return ring[:-1] if i == 1 else ring


def _metres_as_degrees(city: SmallCity) -> None:
    utm = grid_city().to_crs("EPSG:32725")
    features = []
    for i, geom in enumerate(utm.geometry, 1):
        ring = [list(map(float, xy)) for xy in geom.exterior.coords]
        features.append(
            {
                "type": "Feature",
                "properties": {"code": f"N{i}", "name": f"C{i}", "district": "E", "pop": 1000},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    (city.folder / "boundaries.geojson").write_text(_geojson(features))  # no crs: read as WGS 84


def _swap_boundaries(city: SmallCity) -> None:
    frame = grid_city()
    frame["geometry"] = shapely.transform(frame.geometry.to_numpy(), lambda xy: xy[:, ::-1])
    frame.to_file(city.folder / "boundaries.geojson", driver="GeoJSON")


def _negative_population(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame["pop"] = frame["pop"].astype(object)
    frame.loc[3, "pop"] = -40
    return frame


# -- points ---------------------------------------------------------------------------------
def _border_points(city: SmallCity) -> None:
    """Points exactly on shared edges and a shared corner, using the file's own vertices."""
    data = json.loads((city.folder / "boundaries.geojson").read_text())
    rings = {f["properties"]["code"]: f["geometry"]["coordinates"][0] for f in data["features"]}
    xs1 = sorted({x for x, _ in rings["N1"]})
    ys1 = sorted({y for _, y in rings["N1"]})
    xs2 = sorted({x for x, _ in rings["N2"]})
    ys5 = sorted({y for _, y in rings["N5"]})
    mid_y = (ys1[0] + ys1[1]) / 2
    mid_x2 = (xs2[0] + xs2[1]) / 2
    rows = [
        ("B-N1N2", xs1[1], mid_y),  # vertical edge N1 | N2
        ("B-corner", xs1[1], ys1[1]),  # corner of N1, N2, N4, N5
        ("B-N2N5", mid_x2, ys5[0]),  # horizontal edge N2 / N5
        ("B-N5N6", xs2[1], (ys5[0] + ys5[1]) / 2),  # vertical edge N5 | N6
    ]
    path = city.folder / "incidents.csv"
    frame = pd.read_csv(path, dtype=str)
    extra = pd.DataFrame(
        {
            "incident_id": [r[0] for r in rows],
            "date": "2024-05-02",
            "category": "hate_crime",
            "lon": [repr(r[1]) for r in rows],
            "lat": [repr(r[2]) for r in rows],
        }
    )
    pd.concat([frame, extra], ignore_index=True).to_csv(path, index=False)


def _mixed_dates(frame: pd.DataFrame) -> pd.DataFrame:
    formats = [
        "2024-05-01",
        "01/05/2024",
        "01.05.2024",
        "2024/05/01",
        "20240501",
        "2024-05-01T10:30:00",
        "01-05-2024",
    ]
    frame["date"] = [formats[i % len(formats)] for i in range(len(frame))]
    return frame


def _all_dates(day: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        frame["date"] = day
        return frame

    return edit


def _expect_dates(days: list[str]) -> Check:
    def check(store: Store) -> None:
        got = store.query(
            "SELECT DISTINCT CAST(occurred_on AS VARCHAR) AS d FROM incidents ORDER BY d"
        )
        assert list(got["d"]) == days

    return check


def _swap_lonlat(frame: pd.DataFrame) -> pd.DataFrame:
    frame[["lon", "lat"]] = frame[["lat", "lon"]].to_numpy()
    return frame


def _metres_points(frame: pd.DataFrame) -> pd.DataFrame:
    frame["lon"] = "500123.5"
    frame["lat"] = "5012345.0"
    return frame


def _decimal_comma_points(city: SmallCity) -> None:
    path = city.folder / "incidents.csv"
    frame = pd.read_csv(path, dtype=str)
    for col in ("lon", "lat"):
        frame[col] = frame[col].str.replace(".", ",", regex=False)
    frame.to_csv(path, index=False, sep=";")


def _latin1_category(frame: pd.DataFrame) -> pd.DataFrame:
    frame["category"] = "sécurité"
    return frame


# -- indicators -----------------------------------------------------------------------------
def _latin1_indicators(city: SmallCity) -> None:
    text = _text(city, "indicators.csv").replace("unemployed_pct", "chômage_pct")
    (city.folder / "indicators.csv").write_bytes(text.encode("latin-1"))


def _decimal_comma_indicators(city: SmallCity) -> None:
    frame = pd.read_csv(city.folder / "indicators.csv", dtype=str)
    frame["unemployed_pct"] = [f"{i},5" for i in range(1, 10)]
    frame.to_csv(city.folder / "indicators.csv", index=False, sep=";")


def _xlsx_merged_title(city: SmallCity) -> None:
    frame = pd.read_csv(city.folder / "indicators.csv")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Census 2024 — unemployment and income by area", None, None])
    sheet.merge_cells("A1:C1")
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append(list(row))
    book.save(city.folder / "indicators.xlsx")
    _config('path = "indicators.csv"', 'path = "indicators.xlsx"')(city)


def _xlsx_two_header_rows(city: SmallCity) -> None:
    frame = pd.read_csv(city.folder / "indicators.csv")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([None, "Labour market", "Income"])
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append(list(row))
    book.save(city.folder / "indicators.xlsx")
    _config('path = "indicators.csv"', 'path = "indicators.xlsx"')(city)


# -- config ---------------------------------------------------------------------------------
def _symlink_outside(city: SmallCity) -> None:
    outside = city.folder.parent / "elsewhere.csv"
    outside.write_text(_text(city, "indicators.csv"))
    (city.folder / "indicators.csv").unlink()
    os.symlink(outside, city.folder / "indicators.csv")


def _symlink_inside(city: SmallCity) -> None:
    (city.folder / "data").mkdir()
    (city.folder / "indicators.csv").rename(city.folder / "data" / "census.csv")
    os.symlink(city.folder / "data" / "census.csv", city.folder / "indicators.csv")


def _absolute_outside(allow: bool) -> Breaker:
    def breaks(city: SmallCity) -> None:
        outside = city.folder.parent / "shared" / "indicators.csv"
        outside.parent.mkdir()
        (city.folder / "indicators.csv").rename(outside)
        _config('path = "indicators.csv"', f'path = "{outside}"')(city)
        if allow:
            _config("fictional = true", "fictional = true\nallow_outside_paths = true")(city)

    return breaks


# -- methodology (run as `citygeo score --methodology BAD.toml`) -----------------------------
def _methodology(transform: Callable[[str], str], encoding: str = "utf-8") -> Breaker:
    def breaks(city: SmallCity) -> None:
        text = transform(_text(city, "methodology.toml"))
        (city.folder / "BAD.toml").write_bytes(text.encode(encoding))

    return breaks


_SCORE_BAD = ("--methodology", "@BAD@", "--draws", "10")

CASES: list[Case] = [
    # boundaries
    Case(
        "bnd-self-intersecting",
        _boundaries(_bowtie),
        "loads",
        ("repaired invalid polygon of N1", "Self-intersection"),
    ),
    Case(
        "bnd-zero-area",
        _boundaries(_zero_area),
        "fails",
        ("boundaries.geojson", "feature 1 (N1)", "no area after repair"),
    ),
    Case(
        "bnd-overlapping",
        _boundaries(_overlap),
        "loads",
        (
            "1 pairs of neighbourhoods overlap",
            "N1 and N2 overlap by",
            "assigned to the neighbourhood whose code sorts first",
        ),
        _expect_incident_counts(BASE_COUNTS),
    ),
    Case(
        "bnd-inside-another",
        _boundaries(_inside),
        "loads",
        ("N5 and N10 overlap by 0.", "code sorts first"),
        _expect_incident_counts({**{k: v for k, v in BASE_COUNTS.items() if k != "N5"}, "N10": 5}),
    ),
    Case(
        "bnd-mixed-geometry-types",
        _boundaries(_mixed_types),
        "fails",
        ("boundaries.geojson", "feature 3 (N3)", "LineString", "must be polygons"),
    ),
    Case(
        "bnd-multipolygon-among-polygons",
        _boundaries(_multipolygon),
        "loads",
        (),
        _expect_incident_counts(BASE_COUNTS),
    ),
    Case(
        "bnd-unclosed-ring",
        lambda c: _write("boundaries.geojson", _geojson(_grid_features(_unclosed)))(c),
        "loads",
        (
            "boundaries.geojson: some geometries are malformed",
            "closed linestring",
            "an unclosed ring was closed",
        ),
        _expect_equal_areas,
    ),
    Case(
        "bnd-metres-declared-wgs84",
        _metres_as_degrees,
        "fails",
        ("boundaries.geojson", "outside lon/lat range", "CRS"),
    ),
    Case(
        "bnd-lonlat-swapped",
        _swap_boundaries,
        "fails",
        ("incidents.csv", "fall outside every neighbourhood", "wrong way round"),
    ),
    Case(
        "bnd-empty-file",
        _write("boundaries.geojson", b""),
        "fails",
        ("boundaries.geojson", "boundary file is empty"),
    ),
    Case(
        "bnd-negative-population",
        _boundaries(_negative_population),
        "fails",
        ("boundaries.geojson", "feature 4 (N4)", "'pop'", "negative population -40"),
    ),
    Case(
        "bnd-population-1e400",
        _raw_geojson_pop("1e400"),
        "fails",
        ("boundaries.geojson", "cannot read this boundary file", "Unrecognized number: 1e400"),
    ),
    Case(
        "bnd-population-inf-string",
        _raw_geojson_pop('"inf"'),
        "fails",
        ("boundaries.geojson", "'pop'", "'inf' is infinite"),
    ),
    # indicators
    Case(
        "ind-latin1",
        _latin1_indicators,
        "loads",
        ("indicators.csv", "not UTF-8", "Windows-1252"),
        _expect_indicators(N3__chômage_pct=3.0),
    ),
    Case(
        "ind-utf8-bom",
        _reencode("indicators.csv", "utf-8-sig"),
        "loads",
        (),
        _expect_indicators(N1__unemployed_pct=1.0, N9__income=21000.0),
    ),
    Case(
        "ind-utf16",
        _reencode("indicators.csv", "utf-16"),
        "loads",
        (),
        _expect_indicators(N2__unemployed_pct=2.0),
    ),
    Case(
        "ind-semicolon-decimal-comma",
        _decimal_comma_indicators,
        "loads",
        ("column 'unemployed_pct' uses decimal commas",),
        _expect_indicators(N4__unemployed_pct=4.5),
    ),
    Case(
        "ind-tab-delimited",
        _reencode("indicators.csv", "utf-8", lambda t: t.replace(",", "\t")),
        "loads",
        (),
        _expect_indicators(N7__income=23000.0),
    ),
    Case(
        "ind-xlsx-merged-title-row",
        _xlsx_merged_title,
        "fails",
        (
            "indicators.xlsx",
            "(with 'area_code') are on row 2, not on row 1",
            "row 1 holds 'Census 2024",
            "a title or a merged header",
            "Delete the row above",
        ),
    ),
    Case(
        "ind-xlsx-two-header-rows",
        _xlsx_two_header_rows,
        "fails",
        ("indicators.xlsx", "are on row 2, not on row 1", "row 1 holds 'Labour market'"),
    ),
    Case(
        "ind-empty-file",
        _write("indicators.csv", b""),
        "fails",
        ("indicators.csv", "indicator file is empty"),
    ),
    Case(
        "ind-header-only",
        _header_only("indicators.csv"),
        "fails",
        ("indicators.csv", "header but no rows"),
    ),
    Case(
        "ind-huge-1e308",
        _edit_csv("indicators.csv", _set("income", 0, "1e308")),
        "loads",
        (),
        _expect_indicators(N1__income=1e308),
    ),
    Case(
        "ind-overflow-1e400",
        _edit_csv("indicators.csv", _set("income", 1, "1e400")),
        "fails",
        ("indicators.csv", "line 3", "'income'", "'1e400' is infinite"),
    ),
    Case(
        "ind-inf-string",
        _edit_csv("indicators.csv", _set("unemployed_pct", 4, "-inf")),
        "fails",
        ("indicators.csv", "line 6", "'unemployed_pct'", "'-inf' is infinite"),
    ),
    Case(
        "ind-nan-string-is-missing",
        _edit_csv("indicators.csv", _set("unemployed_pct", 4, "NaN")),
        "loads",
        (),
        _expect_missing("N5", "unemployed_pct"),
    ),
    # points
    Case(
        "pts-utf16",
        _reencode("incidents.csv", "utf-16"),
        "loads",
        (),
        _expect_incident_counts(BASE_COUNTS),
    ),
    Case(
        "pts-utf8-bom",
        _reencode("incidents.csv", "utf-8-sig"),
        "loads",
        (),
        _expect_incident_counts(BASE_COUNTS),
    ),
    Case(
        "pts-latin1-category",
        lambda c: (
            _edit_csv("incidents.csv", _latin1_category)(c),
            _reencode("incidents.csv", "latin-1")(c),
        ),
        "loads",
        ("incidents.csv", "not UTF-8", "Windows-1252"),
        _expect_categories({"sécurité"}),
    ),
    Case(
        "pts-semicolon-decimal-comma",
        _decimal_comma_points,
        "loads",
        ("incidents.csv", "decimal commas"),
        _expect_incident_counts(BASE_COUNTS),
    ),
    Case(
        "pts-tab-delimited",
        _reencode("incidents.csv", "utf-8", lambda t: t.replace(",", "\t")),
        "loads",
        (),
        _expect_incident_counts(BASE_COUNTS),
    ),
    Case(
        "pts-empty-file",
        _write("incidents.csv", b""),
        "fails",
        ("incidents.csv", "incidents file is empty"),
    ),
    Case(
        "pts-header-only",
        _header_only("incidents.csv"),
        "fails",
        ("incidents.csv", "header but no rows"),
    ),
    Case(
        "pts-lonlat-swapped",
        _edit_csv("incidents.csv", _swap_lonlat),
        "fails",
        ("incidents.csv", "all 45 incidents points fall outside", "wrong way round"),
    ),
    Case(
        "pts-metres-as-lonlat",
        _edit_csv("incidents.csv", _metres_points),
        "fails",
        ("incidents.csv", "line 2", "not a longitude/latitude pair", "`x`, `y` and `crs`"),
    ),
    Case(
        "pts-on-shared-border",
        _border_points,
        "loads",
        (),
        _expect_incident_nids({"B-N1N2": "N1", "B-corner": "N1", "B-N2N5": "N2", "B-N5N6": "N5"}),
    ),
    Case(
        "pts-duplicate-ids",
        _edit_csv("incidents.csv", _set("incident_id", 5, "I1-0")),
        "fails",
        ("incidents.csv", "column 'incident_id'", "'I1-0' appears more than once", "lines 2, 7"),
    ),
    # Several ways of writing dates in one column: refused (01/05/2024 could be 1 May or 5
    # January), asking for date_format; never read day-first by assumption.
    Case(
        "pts-dates-several-formats",
        _edit_csv("incidents.csv", _mixed_dates),
        "fails",
        ("incidents.csv", "column 'date'", "different ways", "'01/05/2024'", "date_format"),
    ),
    Case(
        "pts-dates-all-ambiguous",
        _edit_csv("incidents.csv", _all_dates("03/04/2024")),
        "fails",
        (
            "incidents.csv",
            "column 'date'",
            "'03/04/2024'",
            "day-first or month-first",
            'date_format = "%d/%m/%Y"',
            'date_format = "%m/%d/%Y"',
        ),
    ),
    Case(
        "pts-dates-month-first-proved",
        lambda c: (
            _edit_csv("incidents.csv", _all_dates("05/01/2024"))(c),
            _edit_csv("incidents.csv", _set("date", 3, "05/13/2024"))(c),
        ),
        "loads",
        ("incidents.csv", "month-first", "%m/%d/%Y", "decided by 1 value whose second field"),
        _expect_dates(["2024-05-01", "2024-05-13"]),
    ),
    Case(
        "pts-date-format-unknown-directive",
        _config('date = "date"', 'date = "date"\ndate_format = "%d/%Q/%Y"'),
        "fails",
        ("incidents.csv", "column 'date'", "date_format = '%d/%Q/%Y'", "unknown directive", "%Q"),
    ),
    Case(
        "pts-date-format-not-fitting",
        _config('date = "date"', 'date = "date"\ndate_format = "%d/%m/%Y"'),
        "fails",
        (
            "incidents.csv",
            "column 'date'",
            "45 values are not a date",
            "do not match",
            'date_format = "%d/%m/%Y"',
            "line 2: '2024-05-01'",
        ),
    ),
    Case(
        "pts-repeated-ids-count-once",
        lambda c: (
            _config('category = "category"', 'category = "category"\nduplicate_ids = "count_once"')(
                c
            ),
            _edit_csv("incidents.csv", _set("incident_id", 3, "I1-0"))(c),
        ),
        "loads",
        ("incidents.csv", "1 row repeats the id and category of an earlier row", "counted once"),
        _expect_count("incidents", 44),
    ),
    Case(
        "pts-dates-in-future",
        _edit_csv("incidents.csv", _set("date", 3, "2999-01-01")),
        "loads",
        ("incidents.csv", "1 incidents are dated in the future", "line 5"),
    ),
    Case(
        "pts-date-unparseable",
        _edit_csv("incidents.csv", _set("date", 2, "May 2024")),
        "fails",
        ("incidents.csv", "line 4", "'date'", "'May 2024' is not a date"),
    ),
    Case(
        "pts-nan-coordinate",
        _edit_csv("incidents.csv", _set("lon", 0, "NaN")),
        "fails",
        ("incidents.csv", "line 2", '"lon"', "'NaN' is not a coordinate"),
    ),
    Case(
        "pts-inf-coordinate",
        _edit_csv("incidents.csv", _set("lat", 1, "1e400")),
        "fails",
        ("incidents.csv", "line 3", '"lat"', "'1e400' is not a coordinate"),
    ),
    # survey
    Case(
        "survey-negative-and-nan-weight",
        lambda c: (
            _edit_csv("survey.csv", _set("weight", 0, "-1"))(c),
            _edit_csv("survey.csv", _set("weight", 1, "NaN"))(c),
        ),
        "fails",
        ("survey.csv", "line 2", "line 3", "'weight'", "must be a positive number"),
    ),
    Case(
        "survey-semicolon-bom",
        lambda c: (
            _edit_csv("survey.csv", lambda f: f, sep=";")(c),
            _reencode("survey.csv", "utf-8-sig")(c),
        ),
        "loads",
        (),
        _expect_count("survey_responses", 27),
    ),
    Case(
        "survey-header-only",
        _header_only("survey.csv"),
        "fails",
        ("survey.csv", "header but no rows"),
    ),
    # online signals
    Case(
        "online-negative-count",
        _edit_csv("online.csv", _set("count", 2, "-3")),
        "fails",
        ("online.csv", "line 4", "'count'", "must be a whole number"),
    ),
    Case(
        "online-count-1e400",
        _edit_csv("online.csv", _set("count", 0, "1e400")),
        "fails",
        ("online.csv", "line 2", "'count'", "infinite"),
    ),
    Case(
        "online-bad-period",
        _edit_csv("online.csv", _set("period", 3, "May 2024")),
        "fails",
        ("online.csv", "line 5", "'period'", "not a month"),
    ),
    # registers
    Case(
        "stakeholders-missing-column",
        _edit_csv("stakeholders.csv", lambda f: f.drop(columns="sector")),
        "fails",
        ("stakeholders.csv", "no column 'sector'"),
    ),
    Case(
        "stakeholders-empty-file",
        _write("stakeholders.csv", b""),
        "fails",
        ("stakeholders.csv", "stakeholders file is empty"),
    ),
    Case(
        "consultations-dates-several-formats",
        _edit_csv("consultations.csv", _set("date", 1, "15.06.2024")),
        "fails",
        (
            "consultations.csv",
            "column 'date'",
            "2 different ways",
            "'15.06.2024'",
            "consultations_date_format",
        ),
    ),
    Case(
        "consultations-date-format",
        lambda c: (
            _edit_csv("consultations.csv", _set("date", 0, "01.03.2024"))(c),
            _edit_csv("consultations.csv", _set("date", 1, "15.06.2024"))(c),
            _config("[registers]", '[registers]\nconsultations_date_format = "%d.%m.%Y"')(c),
        ),
        "loads",
        (),
        _expect_consultation_dates(["2024-03-01", "2024-06-15"]),
    ),
    Case(
        "consultations-bad-date",
        _edit_csv("consultations.csv", _set("date", 0, "spring")),
        "fails",
        ("consultations.csv", "line 2", "'date'", "'spring' is not a date"),
    ),
    # config
    Case("config-utf16", _reencode("city.toml", "utf-16"), "fails", ("city.toml", "not UTF-8")),
    Case(
        "config-empty",
        _write("city.toml", b""),
        "fails",
        ("city.toml", "[city] required key is missing", "[boundaries] required key is missing"),
    ),
    Case(
        "config-unknown-key",
        _config("[city]", '[city]\ncolour = "red"'),
        "fails",
        ("city.toml", "[city.colour] unknown key"),
    ),
    Case(
        "config-unknown-projected-crs",
        _config("fictional = true", 'fictional = true\nprojected_crs = "EPSG:99999"'),
        "fails",
        ("city.toml", "[city] projected_crs 'EPSG:99999' is not a known CRS"),
    ),
    Case(
        "config-geographic-projected-crs",
        _config("fictional = true", 'fictional = true\nprojected_crs = "EPSG:4326"'),
        "fails",
        ("city.toml", "'EPSG:4326' (WGS 84) is not a projected CRS"),
    ),
    Case(
        "config-absolute-path-outside",
        _absolute_outside(allow=False),
        "fails",
        ("city.toml", "indicators[0].path", "outside the config's folder", "allow_outside_paths"),
    ),
    Case(
        "config-absolute-path-allowed",
        _absolute_outside(allow=True),
        "loads",
        (),
        _expect_indicators(N1__unemployed_pct=1.0),
    ),
    Case(
        "config-symlink-escapes",
        _symlink_outside,
        "fails",
        ("city.toml", "indicators[0].path", "outside the config's folder"),
    ),
    Case(
        "config-symlink-inside",
        _symlink_inside,
        "loads",
        (),
        _expect_indicators(N8__unemployed_pct=8.0),
    ),
    # methodology, on a scored small city
    Case(
        "meth-toml-syntax",
        _methodology(lambda t: t.replace('version = "robust.1"', "version = ")),
        "fails",
        ("BAD.toml", "not valid TOML", "line 1"),
        command="score",
        extra_args=_SCORE_BAD,
    ),
    Case(
        "meth-utf16",
        _methodology(lambda t: t, "utf-16"),
        "fails",
        ("BAD.toml", "not UTF-8"),
        command="score",
        extra_args=_SCORE_BAD,
    ),
    Case(
        "meth-negative-weight",
        _methodology(lambda t: t.replace("weight = 1.0", "weight = -2", 1)),
        "fails",
        ("BAD.toml", "domains[0].weight", "'hardship'", "greater than or equal to 0"),
        command="score",
        extra_args=_SCORE_BAD,
    ),
    Case(
        "meth-unknown-indicator",
        _methodology(lambda t: t.replace('id = "unemployed_pct"', 'id = "unemployed_rate"')),
        "fails",
        ("unemployed_rate",),
        command="score",
        extra_args=_SCORE_BAD,
    ),
    Case(
        "meth-unknown-normalisation",
        _methodology(lambda t: t.replace('"minmax"', '"softmax"')),
        "fails",
        ("BAD.toml", "normalisation", "'softmax' is not known", "minmax"),
        command="score",
        extra_args=_SCORE_BAD,
    ),
    Case(
        "meth-empty-file",
        _write("BAD.toml", b""),
        "fails",
        ("BAD.toml", "invalid methodology"),
        command="score",
        extra_args=_SCORE_BAD,
    ),
]


def command_args(case: Case, city: SmallCity) -> list[str]:
    """The CLI arguments that run ``case`` on ``city``."""
    if case.command == "score":
        extra = [a.replace("@BAD@", str(city.folder / "BAD.toml")) for a in case.extra_args]
        return ["score", "--store", str(city.store), *extra]
    return ["ingest", str(city.config), "--store", str(city.store), *case.extra_args]
