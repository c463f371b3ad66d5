"""Dates on every dated source: date_format honoured, otherwise the format the values prove.

Each ingest test reads the dates back from the DuckDB store; each refusal checks exit 2, the
message (file, column, a quoted value, the key to set) and that the store did not change.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely

from citygeo.errors import ConfigError, InputError
from citygeo.ingest.dates import (
    DateColumn,
    groups_from_rows,
    infer_reading,
    reading_from_format,
    summarise_values,
    summary_sql,
)
from citygeo.store import Store, connect, quote_ident
from tests.fixtures.city import (
    SmallCity,
    cell_centre,
    ingest_ok,
    ingest_refused,
    run_cli,
)

DATA = Path(__file__).parent / "data"
POLICE = DATA / "police_uk_camden_2019_06.csv"


# -- helpers ---------------------------------------------------------------------------------
def _set_dates(city: SmallCity, dates: list[str]) -> None:
    """Rewrite incidents.csv with one row per date (all in N5), ids I0, I1, …"""
    x, y = cell_centre(5)
    pd.DataFrame(
        {
            "incident_id": [f"I{i}" for i in range(len(dates))],
            "date": dates,
            "category": "hate_crime",
            "lon": x,
            "lat": y,
        }
    ).to_csv(city.folder / "incidents.csv", index=False)


def _add_to_points(city: SmallCity, line: str) -> None:
    text = city.config.read_text()
    city.config.write_text(text.replace('date = "date"\n', f'date = "date"\n{line}\n', 1))


def _stored(city: SmallCity) -> list[tuple[str, str, str]]:
    rows = Store(city.store).query(
        "SELECT incident_id, CAST(occurred_on AS VARCHAR) AS d, "
        "date_precision FROM incidents ORDER BY incident_id"
    )
    return list(rows.itertuples(index=False, name=None))


@pytest.fixture
def ingested(small_city: SmallCity, capsys: pytest.CaptureFixture[str]) -> SmallCity:
    """The small city ingested once, so a refusal can be checked against a real store."""
    ingest_ok(small_city, capsys)
    return small_city


# -- inference, end to end --------------------------------------------------------------------
def test_day_first_proved_by_a_first_field_above_12(small_city, capsys):
    _set_dates(small_city, ["25/03/2024", "03/04/2024", "1/2/2024"])
    out = ingest_ok(small_city, capsys)
    assert _stored(small_city) == [
        ("I0", "2024-03-25", "day"),
        ("I1", "2024-04-03", "day"),
        ("I2", "2024-02-01", "day"),
    ]
    assert (
        "incidents.csv, column 'date': dates read as day-first (%d/%m/%Y), decided by 1 "
        "value whose first field is above 12"
    ) in out


def test_month_first_with_a_12_hour_time_chicago_style(small_city, capsys):
    _set_dates(
        small_city,
        [
            "12/11/2020 11:45:00 PM",
            "12/25/2020 01:05:00 AM",
            "03/04/2020 12:00:00 AM",
            "07/30/2020 12:30:00 PM",
        ],
    )
    out = ingest_ok(small_city, capsys)
    assert [d for _, d, _ in _stored(small_city)] == [
        "2020-12-11",
        "2020-12-25",
        "2020-03-04",
        "2020-07-30",
    ]
    assert (
        "dates read as month-first with a 12-hour time (%m/%d/%Y %I:%M:%S %p), decided by "
        "2 values whose second field is above 12"
    ) in out


def test_day_first_with_a_24_hour_time_and_dots(small_city, capsys):
    _set_dates(small_city, ["25.03.2024 23:10", "01.04.2024 00:05", "02.04.2024 13:00"])
    out = ingest_ok(small_city, capsys)
    assert [d for _, d, _ in _stored(small_city)] == ["2024-03-25", "2024-04-01", "2024-04-02"]
    assert "day-first with a 24-hour time (%d.%m.%Y %H:%M)" in out


def test_iso_dates_and_timestamps_need_no_word(small_city, capsys):
    _set_dates(
        small_city, ["2024-03-04", "2024-03-05T10:11:12", "2024-03-06 23:59:59.123", "2024-3-7"]
    )
    out = ingest_ok(small_city, capsys)
    assert [d for _, d, _ in _stored(small_city)] == [
        "2024-03-04",
        "2024-03-05",
        "2024-03-06",
        "2024-03-07",
    ]
    assert "column 'date'" not in out


def test_months_are_stored_as_their_first_day_and_marked(small_city, capsys):
    _set_dates(small_city, ["2024-03", "2024-04", "2024-04"])
    out = ingest_ok(small_city, capsys)
    assert _stored(small_city) == [
        ("I0", "2024-03-01", "month"),
        ("I1", "2024-04-01", "month"),
        ("I2", "2024-04-01", "month"),
    ]
    assert (
        "values are months (YYYY-MM): each is stored as the first day of its month, marked "
        "as a month" in out
    )


def test_a_date_format_without_a_day_reads_months(small_city, capsys):
    _set_dates(small_city, ["03/2024", "11/2024"])
    _add_to_points(small_city, 'date_format = "%m/%Y"')
    ingest_ok(small_city, capsys)
    assert _stored(small_city) == [("I0", "2024-03-01", "month"), ("I1", "2024-11-01", "month")]


# -- refusals ------------------------------------------------------------------------------
def test_all_ambiguous_is_refused_naming_date_format(ingested, capsys):
    _set_dates(ingested, ["03/04/2020", "01/02/2020", "12/12/2020"])
    ingest_refused(
        ingested,
        capsys,
        "incidents.csv: column 'date'",
        "'03/04/2020'",
        "every date could be day-first or month-first",
        "all 3 values",
        'date_format = "%d/%m/%Y" (day first) or date_format = "%m/%d/%Y" (month first) '
        "to this [[points]] entry (incidents.csv)",
    )


def test_date_format_is_honoured_both_ways(small_city, capsys):
    _set_dates(small_city, ["03/04/2020", "01/02/2020"])
    _add_to_points(small_city, 'date_format = "%m/%d/%Y"')
    ingest_ok(small_city, capsys)
    assert [d for _, d, _ in _stored(small_city)] == ["2020-03-04", "2020-01-02"]
    config = small_city.config.read_text().replace("%m/%d/%Y", "%d/%m/%Y")
    small_city.config.write_text(config)
    ingest_ok(small_city, capsys)
    assert [d for _, d, _ in _stored(small_city)] == ["2020-04-03", "2020-02-01"]


def test_values_proving_both_orders_are_refused(ingested, capsys):
    _set_dates(ingested, ["25/03/2024", "03/25/2024", "26/03/2024"])
    ingest_refused(
        ingested,
        capsys,
        "column 'date'",
        "the dates disagree",
        "2 values can only be day-first",
        "'25/03/2024'",
        "1 only month-first",
        "'03/25/2024'",
        'date_format = "%d/%m/%Y"',
    )


def test_mixed_shapes_are_refused(ingested, capsys):
    _set_dates(ingested, ["2024-03-04", "2024-03-05", "25/03/2024"])
    ingest_refused(
        ingested,
        capsys,
        "column 'date'",
        "written in 2 different ways",
        "2 like '2024-03-04' (YYYY-MM-DD)",
        "1 like '25/03/2024'",
        "date_format",
    )


def test_months_and_days_mixed_are_refused(ingested, capsys):
    _set_dates(ingested, ["2024-03", "2024-03-05"])
    ingest_refused(ingested, capsys, "written in 2 different ways", "(YYYY-MM (months))")


def test_unknown_directive_is_refused(ingested, capsys):
    _add_to_points(ingested, 'date_format = "%Y-%m-%d %Q"')
    ingest_refused(
        ingested,
        capsys,
        "incidents.csv: column 'date'",
        "date_format = '%Y-%m-%d %Q'",
        "unknown directive (%Q)",
    )


def test_date_format_that_does_not_fit_quotes_values_in_one_line(ingested, capsys):
    _add_to_points(ingested, 'date_format = "%d/%m/%Y"')
    err = ingest_refused(
        ingested,
        capsys,
        "column 'date': 45 values are not a date",
        'they do not match date_format = "%d/%m/%Y"',
        "line 2: '2024-05-01'",
        "and 40 more",
    )
    assert err.count("not a date") == 1


def test_many_bad_dates_are_one_line_with_a_count(ingested, capsys):
    _set_dates(ingested, ["2024-05-01"] * 5 + ["2024-02-30"] * 25 + ["someday"])
    err = ingest_refused(
        ingested,
        capsys,
        "column 'date': 26 values are not a date",
        "read as %Y-%m-%d",
        "line 7: '2024-02-30'",
        "and 21 more",
    )
    assert err.count("not a date") == 1


def test_empty_date_cells_are_one_line(ingested, capsys):
    _set_dates(ingested, ["2024-05-01", "", "", "2024-05-02"])
    ingest_refused(ingested, capsys, "column 'date': 2 rows have no date (line 3, line 4)")


# -- the real police.uk file ---------------------------------------------------------------
def _police_city(folder: Path, date_format: str | None) -> Path:
    folder.mkdir()
    shutil.copy(POLICE, folder / "crimes.csv")
    boxes = [shapely.box(-0.25, 51.50, -0.15, 51.57), shapely.box(-0.15, 51.50, -0.10, 51.57)]
    gpd.GeoDataFrame(
        {"code": ["W1", "W2"], "name": ["West", "East"]}, geometry=boxes, crs="EPSG:4326"
    ).to_file(folder / "wards.geojson", driver="GeoJSON")
    fmt = f'date_format = "{date_format}"\n' if date_format else ""
    config = folder / "city.toml"
    config.write_text(f"""[city]
name = "Camden sample"

[boundaries]
path = "wards.geojson"
id = "code"
name = "name"

[[points]]
kind = "incidents"
path = "crimes.csv"
id = "ID"
lon = "Longitude"
lat = "Latitude"
date = "Epoch"
{fmt}category = "Category"
""")
    return config


def test_police_uk_file_is_ambiguous_without_date_format(tmp_path, capsys):
    config = _police_city(tmp_path / "city", None)
    store = tmp_path / "store.duckdb"
    code, _, err = run_cli(["ingest", str(config), "--store", str(store)], capsys)
    assert code == 2
    assert "crimes.csv: column 'Epoch'" in err and "'06/01/2019 12:00:00 AM'" in err
    assert 'date_format = "%m/%d/%Y %I:%M:%S %p"' in err
    assert not store.exists()


def test_police_uk_file_reads_with_its_date_format(tmp_path, capsys):
    config = _police_city(tmp_path / "city", "%m/%d/%Y %I:%M:%S %p")
    store = tmp_path / "store.duckdb"
    code, _, err = run_cli(["ingest", str(config), "--store", str(store)], capsys)
    assert code == 0, err
    rows = Store(store).query(
        "SELECT CAST(occurred_on AS VARCHAR) AS d, date_precision, "
        "count(*) AS n FROM incidents GROUP BY ALL"
    )
    assert list(rows.itertuples(index=False, name=None)) == [("2019-06-01", "day", 40)]


# -- other dated sources ---------------------------------------------------------------------
_REGISTERS = """
[registers]
consultations = "consultations.{suffix}"
"""


def _consultations_city(city: SmallCity, suffix: str, extra: str = "") -> None:
    city.config.write_text(city.config.read_text() + _REGISTERS.format(suffix=suffix) + extra)


def test_excel_date_cells_are_read_as_dates(small_city, capsys):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["date", "format", "nid"])
    sheet.append([dt.datetime(2024, 3, 4), "meeting", "N1"])  # 4 March, not 3 April
    sheet.append([dt.datetime(2024, 11, 2, 18, 30), "walk", "N2"])  # with a time of day
    sheet.append([dt.date(2024, 1, 12), "survey", "N3"])
    book.save(small_city.folder / "consultations.xlsx")
    _consultations_city(small_city, "xlsx")
    out = ingest_ok(small_city, capsys)
    got = Store(small_city.store).query(
        "SELECT CAST(date AS VARCHAR) AS d FROM consultations ORDER BY d"
    )
    assert list(got["d"]) == ["2024-01-12", "2024-03-04", "2024-11-02"]
    assert "consultations.xlsx" not in out  # ISO dates: nothing inferred, nothing to say


def test_excel_date_cells_mixed_with_text_dates_are_refused(small_city, capsys):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["date", "format"])
    sheet.append([dt.datetime(2024, 3, 4), "meeting"])
    sheet.append(["04/03/2024", "walk"])
    book.save(small_city.folder / "consultations.xlsx")
    _consultations_city(small_city, "xlsx")
    code, _, err = run_cli(
        ["ingest", str(small_city.config), "--store", str(small_city.store)], capsys
    )
    assert code == 2
    assert "consultations.xlsx: column 'date'" in err and "consultations_date_format" in err


def test_consultations_date_format_and_inferred_day_first(small_city, capsys):
    small_city.write("consultations.csv", "date,format\n13/05/2024,meeting\n02/06/2024,walk\n")
    _consultations_city(small_city, "csv")
    out = ingest_ok(small_city, capsys)
    got = Store(small_city.store).query(
        "SELECT CAST(date AS VARCHAR) AS d FROM consultations ORDER BY d"
    )
    assert list(got["d"]) == ["2024-05-13", "2024-06-02"]
    assert "consultations.csv, column 'date': dates read as day-first" in out


def test_online_periods_by_date_format(small_city, capsys):
    small_city.write(
        "online.csv",
        "period,nid,platform,category,count\n"
        "May 2024,N1,forum,hate_speech,3\n"
        "Jun 2024,,forum,hate_speech,4\n",
    )
    small_city.config.write_text(
        small_city.config.read_text() + '\n[online]\npath = "online.csv"\ndate_format = "%b %Y"\n'
    )
    ingest_ok(small_city, capsys)
    got = Store(small_city.store).query(
        "SELECT CAST(period AS VARCHAR) AS p, count FROM online_signals ORDER BY p"
    )
    assert list(got.itertuples(index=False, name=None)) == [("2024-05-01", 3), ("2024-06-01", 4)]


# -- the decision, unit by unit ------------------------------------------------------------
COLUMN = DateColumn(Path("x.csv"), "d")


def _infer(values: list[str]):  # type: ignore[no-untyped-def]
    return infer_reading(summarise_values(values), COLUMN)


def test_inference_formats() -> None:
    assert _infer(["2024-03-04"]).formats == ("%Y-%m-%d",)
    assert _infer(["2024/03/04 10:00"]).formats == ("%Y/%m/%d %H:%M",)
    assert _infer(["13-01-2024", "01-02-2024 10:00:00"]).formats == (
        "%d-%m-%Y",
        "%d-%m-%Y %H:%M:%S",
    )
    assert _infer(["01/13/2024 1:05PM"]).formats == ("%m/%d/%Y %I:%M%p",)
    assert _infer(["2023/03/11 01:00:00 AM"]).formats == ("%Y/%m/%d %I:%M:%S %p",)  # SFPD
    assert _infer(["2024-05"]).precision == "month"


def test_values_of_no_known_shape_take_no_part() -> None:
    assert _infer(["25/03/2024", "sometime in May", "03/04/2024"]).formats == ("%d/%m/%Y",)
    with pytest.raises(InputError, match="no value is a date citygeo can read.*'May 2024'"):
        _infer(["May 2024"])


def test_a_value_with_both_fields_above_12_proves_nothing() -> None:
    with pytest.raises(InputError, match="every date could be"):
        _infer(["13/13/2024", "01/02/2024"])


def test_given_formats_are_checked() -> None:
    assert reading_from_format("%d.%m.%Y", COLUMN).precision == "day"
    assert reading_from_format("%Y-%m", COLUMN).precision == "month"
    for bad, why in (
        ("%d/%m", "no year"),
        ("%Y", "no month"),
        ("%Y-%m-%d %", "lone %"),
        ("%Y-%m-%d %z", "unknown directive"),
    ):
        with pytest.raises(ConfigError, match=why):
            reading_from_format(bad, COLUMN)


def test_sql_and_python_summaries_agree(tmp_path: Path) -> None:
    """The points ingest summarises in DuckDB, the other sources in Python: same groups."""
    values = [
        "25/03/2024",
        "03/04/2024",
        "12/25/2020 01:05:00 AM",
        "2024-03",
        "2024-03-04",
        "2024-03-05T10:11:12.5",
        "nonsense",
        "1.2.2024",
        "03/04/2024",
        None,
    ]
    con = connect(tmp_path / "x.duckdb")
    con.register("v", pd.DataFrame({"t": pd.Series(values, dtype=object)}))
    con.execute("CREATE TABLE t AS SELECT t FROM v")
    sql_groups = groups_from_rows(con.execute(summary_sql("t", quote_ident("t"))).fetchall())
    con.close()
    py_groups = summarise_values(values)
    key = lambda g: (str(g.features), g.rows)
    assert sorted(sql_groups, key=key) == sorted(py_groups, key=key)


def test_a_store_from_before_date_precision_gets_the_column(small_city, capsys):
    ingest_ok(small_city, capsys)
    with Store(small_city.store).writer() as con:
        con.execute("DROP TABLE incidents")
        con.execute(
            "CREATE TABLE incidents (incident_id VARCHAR, occurred_on DATE, category "
            "VARCHAR, geom GEOMETRY, nid VARCHAR, source_id VARCHAR)"
        )
    _set_dates(small_city, ["2024-03", "2024-04"])
    ingest_ok(small_city, capsys)
    assert _stored(small_city) == [("I0", "2024-03-01", "month"), ("I1", "2024-04-01", "month")]
