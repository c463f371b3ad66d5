"""Other geographies: hand-made squares apportioned by area and by population (tobler), the
50 % rule, crosswalks, and a geography file without its id column."""

from __future__ import annotations

import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from citygeo.store import Store
from tests.fixtures.realcities import ingest, ingest_fails, score, write_methodology

CRS = "EPSG:32723"  # UTM 23S: squares of 1 km, exact areas
X0, Y0, KM = 500_000.0, 5_000_000.0, 1000.0


def _box(left: float, right: float) -> shapely.Polygon:
    return shapely.box(X0 + left * KM, Y0, X0 + right * KM, Y0 + KM)


# Neighbourhoods N1 = [0, 1], N2 = [1, 2], N3 = [2, 3] (km). Source areas: A = [0, 0.5] (in N1),
# B = [0.5, 1.5] (half in N1, half in N2), C = [1.5, 2] (in N2), D = [2, d] (in N3, d < 3).
SOURCE = pd.DataFrame(
    {
        "lsoa": ["A", "B", "C", "D"],
        "households": [100, 200, 50, 80],
        "pct": [10.0, 20.0, 40.0, 70.0],
        "pop": [100, 400, 100, 60],
    }
)

CITY = """
[city]
name = "Squares"
fictional = true
projected_crs = "EPSG:32723"

[boundaries]
path = "hoods.gpkg"
id = "code"
name = "code"
population = "pop"

[[indicators]]
path = "lsoa_values.csv"
id = "lsoa"
year = 2024
columns = ["households", "pct"]
geography = "lsoa.gpkg"
geography_id = "LSOA_CODE"
extensive = ["households"]
source = "census"
{extra}

[sources.census]
name = "Census"
"""

METHODOLOGY = """
version = "g1"
normalisation = "minmax"

[[domains]]
id = "d"
index = "risk"

[[measures]]
id = "pct"
domain = "d"
direction = "risk"

[[measures]]
id = "households"
domain = "d"
direction = "risk"
"""


def _city(
    folder: Path, d_right: float = 2.4, extra: str = "", id_column: str = "LSOA_CODE"
) -> Path:
    gpd.GeoDataFrame(
        {"code": ["N1", "N2", "N3"], "pop": [1000, 1000, 1000]},
        geometry=[_box(0, 1), _box(1, 2), _box(2, 3)],
        crs=CRS,
    ).to_file(folder / "hoods.gpkg")
    gpd.GeoDataFrame(
        {id_column: ["A", "B", "C", "D"], "pop": SOURCE["pop"]},
        geometry=[_box(0, 0.5), _box(0.5, 1.5), _box(1.5, 2), _box(2, d_right)],
        crs=CRS,
    ).to_file(folder / "lsoa.gpkg")
    SOURCE.drop(columns="pop").to_csv(folder / "lsoa_values.csv", index=False)
    config = folder / "city.toml"
    config.write_text(textwrap.dedent(CITY.format(extra=extra)).lstrip(), encoding="utf-8")
    return config


def _values(store: Path) -> pd.DataFrame:
    with Store(store).reader() as con:
        frame = con.execute("SELECT nid, indicator, value FROM indicator_values").df()
    return frame.pivot(index="nid", columns="indicator", values="value")


def test_area_weights_by_hand(tmp_path: Path, capsys) -> None:
    store = tmp_path / "s.duckdb"
    out = ingest(_city(tmp_path), store, capsys)
    values = _values(store)
    # Extensive: N1 = all of A + half of B = 100 + 100; N2 = half of B + all of C = 100 + 50.
    assert values.loc["N1", "households"] == pytest.approx(200.0, rel=1e-9)
    assert values.loc["N2", "households"] == pytest.approx(150.0, rel=1e-9)
    # Intensive, area-weighted mean: N1 = (10·0.5 + 20·0.5); N2 = (20·0.5 + 40·0.5).
    assert values.loc["N1", "pct"] == pytest.approx(15.0, rel=1e-9)
    assert values.loc["N2", "pct"] == pytest.approx(30.0, rel=1e-9)
    # N3 is covered 40 % (D = [2, 2.4]): no value, reported, flagged not_covered.
    assert "N3" not in values.index
    assert "2 neighbourhoods wholly covered" in out and "N3 (40 %)" in out
    scores = score(store, write_methodology(tmp_path, METHODOLOGY), capsys)
    flags = list(scores.loc["N3", "flags"])
    assert {"not_covered:pct", "not_covered:households"} <= set(flags)
    assert "missing:pct" not in flags and np.isnan(scores.loc["N3", "raw__pct"])
    assert "not_covered:pct" not in list(scores.loc["N1", "flags"])


def test_half_rule_keeps_a_neighbourhood_covered_60_percent(tmp_path: Path, capsys) -> None:
    store = tmp_path / "s.duckdb"
    ingest(_city(tmp_path, d_right=2.6), store, capsys)
    values = _values(store)
    # N3 is 60 % covered, by D only: D's whole count and D's value.
    assert values.loc["N3", "households"] == pytest.approx(80.0, rel=1e-9)
    assert values.loc["N3", "pct"] == pytest.approx(70.0, rel=1e-9)


@pytest.mark.parametrize("where", ["geography file", "table"])
def test_population_weights_by_hand(tmp_path: Path, capsys, where: str) -> None:
    store = tmp_path / "s.duckdb"
    column = "pop" if where == "geography file" else "people"
    config = _city(tmp_path, extra=f'apportion = "population"\ngeography_population = "{column}"')
    if where == "table":  # the population as a column of the table itself
        SOURCE.rename(columns={"pop": "people"}).to_csv(tmp_path / "lsoa_values.csv", index=False)
    ingest(config, store, capsys)
    values = _values(store)
    # People spread evenly in each source area: N1 holds A's 100 and half of B's 400 (200).
    assert values.loc["N1", "pct"] == pytest.approx((10 * 100 + 20 * 200) / 300, rel=1e-9)
    assert values.loc["N2", "pct"] == pytest.approx((20 * 200 + 40 * 100) / 300, rel=1e-9)
    assert values.loc["N1", "households"] == pytest.approx(
        200.0, rel=1e-9
    )  # split by the same shares
    assert "people" not in values.columns


def test_missing_source_value_is_left_out_not_zero(tmp_path: Path, capsys) -> None:
    config = _city(tmp_path)
    frame = SOURCE.drop(columns="pop").astype({"pct": object})
    frame.loc[0, "pct"] = None  # A has no pct: N1 is then covered by B alone, half of it
    frame.to_csv(tmp_path / "lsoa_values.csv", index=False)
    store = tmp_path / "s.duckdb"
    ingest(config, store, capsys)
    values = _values(store)
    assert values.loc["N1", "pct"] == pytest.approx(20.0, rel=1e-9)  # B's value, not (0 + 20) / 2
    assert values.loc["N1", "households"] == pytest.approx(200.0, rel=1e-9)


def test_geography_without_its_id_column_is_refused(tmp_path: Path, capsys) -> None:
    store = tmp_path / "s.duckdb"
    config = _city(tmp_path)
    ingest(config, store, capsys)
    _city(tmp_path, id_column="LSOA11CD")
    ingest_fails(
        config, store, capsys, "lsoa.gpkg", "no column 'LSOA_CODE'", "LSOA11CD", "`geography_id`"
    )


def test_crosswalk_by_hand(tmp_path: Path, capsys) -> None:
    config = _city(tmp_path)
    text = config.read_text().replace(
        'geography = "lsoa.gpkg"\ngeography_id = "LSOA_CODE"\n', 'crosswalk = "old_to_new.csv"\n'
    )
    config.write_text(text)
    pd.DataFrame(
        {
            "from": ["A", "B", "B", "C"],
            "to": ["N1", "N1", "N2", "N2"],
            "weight": [1.0, 0.5, 0.5, 1.0],
        }
    ).to_csv(tmp_path / "old_to_new.csv", index=False)
    store = tmp_path / "s.duckdb"
    ingest(config, store, capsys)
    values = _values(store)
    assert values.loc["N1", "households"] == pytest.approx(100 + 0.5 * 200)
    assert values.loc["N1", "pct"] == pytest.approx((10 * 1 + 20 * 0.5) / 1.5)
    assert values.loc["N2", "pct"] == pytest.approx((20 * 0.5 + 40 * 1) / 1.5)
    assert "N3" not in values.index  # no old code leads to N3: not covered


def test_counts_by_another_geography(tmp_path: Path, capsys) -> None:
    config = _city(tmp_path)
    pd.DataFrame(
        {"area": ["A", "B", "C"], "month": "2024-03", "offence": "hate_crime", "n": [4, 10, 2]}
    ).to_csv(tmp_path / "counts.csv", index=False)
    config.write_text(
        config.read_text()
        + textwrap.dedent("""
        [[counts]]
        path = "counts.csv"
        id = "area"
        period = "month"
        category = "offence"
        count = "n"
        geography = "lsoa.gpkg"
        geography_id = "LSOA_CODE"
        """)
    )
    store = tmp_path / "s.duckdb"
    ingest(config, store, capsys)
    with Store(store).reader() as con:
        rows = dict(con.execute("SELECT nid, count FROM incident_counts").fetchall())
    assert rows == pytest.approx({"N1": 4 + 5, "N2": 5 + 2})  # N3: D has no count, not covered
