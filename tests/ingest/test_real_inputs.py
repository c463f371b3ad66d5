"""Rows without a code, repeated incident ids and publishers' missing-value codes.

Each test ingests through the CLI into a real DuckDB file and reads the store back.
"""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd

from citygeo.store import Store
from tests.fixtures.city import (
    SmallCity,
    cell_centre,
    ingest_ok,
    ingest_refused,
)


def _values(city: SmallCity, indicator: str) -> dict[str, float]:
    rows = Store(city.store).query(
        "SELECT nid, value FROM indicator_values WHERE indicator = ?", [indicator]
    )
    return dict(zip(rows["nid"], rows["value"], strict=True))


# -- rows with an empty code ----------------------------------------------------------------
def _indicators_with_totals(city: SmallCity, totals: list[dict[str, object]]) -> None:
    frame = pd.DataFrame(
        {
            "area_code": [f"N{i}" for i in range(1, 10)],
            "name": [f"Cell {i}" for i in range(1, 10)],
            "unemployed_pct": [float(i) for i in range(1, 10)],
        }
    )
    pd.concat([frame, pd.DataFrame(totals)], ignore_index=True).to_csv(
        city.folder / "indicators.csv", index=False
    )


def test_a_city_total_row_without_a_code_is_left_out_with_a_warning(small_city, capsys):
    # Chicago's census table ends with a "CHICAGO" row whose code is empty
    _indicators_with_totals(
        small_city, [{"area_code": "", "name": "CHICAGO", "unemployed_pct": "n/a?"}]
    )
    out = ingest_ok(small_city, capsys)
    assert (
        "indicators.csv, line 11: no code in column 'area_code', name \"CHICAGO\" — a city "
        "total? left out"
    ) in out
    assert _values(small_city, "unemployed_pct") == {f"N{i}": float(i) for i in range(1, 10)}


def test_many_rows_without_a_code_make_one_line(small_city, capsys):
    totals = [{"area_code": "", "name": f"District {k}", "unemployed_pct": 50.0} for k in range(7)]
    totals.append({"area_code": "", "name": "", "unemployed_pct": 5.0})
    _indicators_with_totals(small_city, totals)
    out = ingest_ok(small_city, capsys)
    assert (
        "indicators.csv: 8 rows have no code in column 'area_code' and were left out (city or "
        'district totals?): line 11: name "District 0"; line 12: name "District 1"'
    ) in out
    assert "and 3 more" in out
    assert out.count("no code") == 1
    assert len(_values(small_city, "unemployed_pct")) == 9


def test_a_row_of_numbers_without_a_code_says_so(small_city, capsys):
    _indicators_with_totals(small_city, [{"area_code": "", "unemployed_pct": 5.0}])
    out = ingest_ok(small_city, capsys)
    assert "line 11: no code in column 'area_code', only numbers — a city total? left out" in out


def test_survey_rows_without_a_code_are_left_out(small_city, capsys):
    small_city.write(
        "survey.csv",
        "response_id,nid,year,weight,trust\nR1,N1,2024,1,3\nR2,,2024,1,4\nR3,N2,2024,1,5\n",
    )
    small_city.config.write_text(
        small_city.config.read_text() + '\n[survey]\npath = "survey.csv"\nitems = ["trust"]\n'
    )
    out = ingest_ok(small_city, capsys)
    assert "survey.csv, line 3: no code in column 'nid', response_id \"R2\"" in out
    got = Store(small_city.store).query(
        "SELECT response_id, nid FROM survey_responses ORDER BY response_id"
    )
    assert list(got.itertuples(index=False, name=None)) == [("R1", "N1"), ("R3", "N2")]


# -- repeated incident ids -------------------------------------------------------------------
def _incidents(city: SmallCity, rows: list[tuple[str, str, str, int]]) -> None:
    """(id, date, category, neighbourhood number) per row."""
    records = []
    for ident, date, category, cell in rows:
        x, y = cell_centre(cell)
        records.append(
            {"incident_id": ident, "date": date, "category": category, "lon": x, "lat": y}
        )
    pd.DataFrame(records).to_csv(city.folder / "incidents.csv", index=False)


COUNT_ONCE = 'category = "category"\nduplicate_ids = "count_once"\n'

# SFPD-style: one row per offence; 180001 twice as assault (one incident) and once as robbery
SFPD_ROWS = [
    ("180001", "2024-05-01", "assault", 1),
    ("180001", "2024-05-02", "assault", 2),
    ("180001", "2024-05-01", "robbery", 1),
    ("180002", "2024-05-03", "assault", 3),
    ("180003", "2024-05-04", "assault", 4),
    ("180003", "2024-05-04", "assault", 4),
    ("180003", "2024-05-04", "assault", 4),
]


def test_repeated_ids_are_refused_by_default_naming_count_once(small_city, capsys):
    ingest_ok(small_city, capsys)
    _incidents(small_city, SFPD_ROWS)
    err = ingest_refused(
        small_city,
        capsys,
        "column 'incident_id': 2 ids are given to more than one row",
        "id '180001' appears more than once (lines 2, 3, 4)",
        "id '180003' appears more than once (lines 6, 7, 8)",
        'duplicate_ids = "count_once"',
        "[[points]] entry (incidents.csv)",
    )
    assert err.count("appears more than once") == 2


def test_count_once_merges_rows_sharing_id_and_category(small_city, capsys):
    _incidents(small_city, SFPD_ROWS)
    text = small_city.config.read_text()
    small_city.config.write_text(text.replace('category = "category"\n', COUNT_ONCE))
    out = ingest_ok(small_city, capsys)
    got = Store(small_city.store).query(
        "SELECT incident_id, category, CAST(occurred_on AS VARCHAR) AS d, nid FROM incidents "
        "ORDER BY incident_id, category"
    )
    assert list(got.itertuples(index=False, name=None)) == [
        ("180001", "assault", "2024-05-01", "N1"),  # the first row by line is kept
        ("180001", "robbery", "2024-05-01", "N1"),  # another category: another incident
        ("180002", "assault", "2024-05-03", "N3"),
        ("180003", "assault", "2024-05-04", "N4"),
    ]
    assert (
        "incidents.csv: 3 rows repeat the id and category of an earlier row and were counted "
        'once (duplicate_ids = "count_once": the first row by line is kept); 1 of them '
        "differ in date or place from the row kept"
    ) in out
    assert (
        "incidents.csv: 1 id is shared by rows of different categories; those rows stay "
        "separate incidents, one per category"
    ) in out


def test_count_once_still_refuses_several_rows_without_an_id(small_city, capsys):
    ingest_ok(small_city, capsys)
    _incidents(
        small_city,
        [
            ("", "2024-05-01", "assault", 1),
            ("", "2024-05-02", "assault", 2),
            ("7", "2024-05-02", "assault", 2),
        ],
    )
    text = small_city.config.read_text()
    small_city.config.write_text(text.replace('category = "category"\n', COUNT_ONCE))
    ingest_refused(
        small_city,
        capsys,
        "rows without an id cannot be told apart",
        "an empty id appears more than once (lines 2, 3)",
    )


def test_count_once_needs_an_id_column(small_city, capsys):
    text = small_city.config.read_text().replace('id = "incident_id"\n', "", 1)
    small_city.config.write_text(text.replace('category = "category"\n', COUNT_ONCE))
    ingest_refused(small_city, capsys, "count_once", "needs the `id` column")


# -- na_values ---------------------------------------------------------------------------------
def test_na_values_are_missing_never_numbers(small_city, capsys):
    small_city.write(
        "indicators.csv",
        "area_code,EP_POV,EP_UNEMP\n"
        "N1,-999,4.5\nN2,-999.0,-999\nN3, -999.00 ,x\n"
        "N4,-999.5,3\nN5,12,-9999\nN6,1,1\nN7,1,1\nN8,1,1\n"
        "N9,1,1\n",
    )
    text = small_city.config.read_text()
    small_city.config.write_text(
        text.replace("year = 2024\n", 'year = 2024\nna_values = ["-999", "x"]\n', 1)
    )
    out = ingest_ok(small_city, capsys)
    poverty, unemployment = _values(small_city, "EP_POV"), _values(small_city, "EP_UNEMP")
    assert "N1" not in poverty and "N2" not in poverty and "N3" not in poverty
    assert poverty["N4"] == -999.5 and poverty["N5"] == 12.0
    assert "N2" not in unemployment and "N3" not in unemployment
    assert unemployment["N5"] == -9999.0  # not one of this file's codes: a number
    assert not any(math.isnan(v) for v in [*poverty.values(), *unemployment.values()])
    assert (
        "indicators.csv: 5 cells hold a missing-value code of na_values ('-999', 'x', also "
        "matched as numbers, e.g. -999.0 for -999) and are read as missing, not as numbers: "
        "'EP_POV' 3, 'EP_UNEMP' 2"
    ) in out


def test_na_values_keep_a_column_numeric(small_city, capsys):
    """A column mostly of codes is still found as an indicator column (not taken for text)."""
    small_city.write(
        "indicators.csv",
        "area_code,flagged\n"
        + "".join(f"N{i},{'suppressed' if i < 7 else i}\n" for i in range(1, 10)),
    )
    text = small_city.config.read_text()
    small_city.config.write_text(
        text.replace("year = 2024\n", 'year = 2024\nna_values = ["suppressed"]\n', 1)
    )
    ingest_ok(small_city, capsys)
    assert _values(small_city, "flagged") == {"N7": 7.0, "N8": 8.0, "N9": 9.0}


def test_count_once_with_projected_coordinates(small_city, capsys):
    """The merge runs on the table as transformed, so the rows kept are the right ones."""
    _incidents(small_city, SFPD_ROWS)
    frame = pd.read_csv(small_city.folder / "incidents.csv", dtype={"incident_id": str})
    points = gpd.GeoSeries(gpd.points_from_xy(frame["lon"], frame["lat"]), crs=4326).to_crs(32726)
    frame["x"], frame["y"] = points.x, points.y
    frame.drop(columns=["lon", "lat"]).to_csv(small_city.folder / "incidents.csv", index=False)
    text = small_city.config.read_text().replace(
        'lon = "lon"\nlat = "lat"', 'x = "x"\ny = "y"\ncrs = "EPSG:32726"'
    )
    small_city.config.write_text(text.replace('category = "category"\n', COUNT_ONCE))
    ingest_ok(small_city, capsys)
    got = Store(small_city.store).query(
        "SELECT incident_id, category, CAST(occurred_on AS VARCHAR) AS d, nid FROM incidents "
        "ORDER BY incident_id, category"
    )
    assert list(got.itertuples(index=False, name=None)) == [
        ("180001", "assault", "2024-05-01", "N1"),
        ("180001", "robbery", "2024-05-01", "N1"),
        ("180002", "assault", "2024-05-03", "N3"),
        ("180003", "assault", "2024-05-04", "N4"),
    ]
