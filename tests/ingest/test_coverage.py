"""Coverage of a source: missing (never zero) and flagged ``not_covered:`` outside it, in the
scores, the exports, the profile and the map table; exact inside; the hint to set it."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from citygeo.service.city import covered_by, load
from citygeo.service.map import map_table
from citygeo.service.profile import profile
from citygeo.store import Store
from tests.fixtures.city import ORIGIN, STEP, SmallCity, cell_centre, run_cli
from tests.fixtures.realcities import ingest, ingest_fails, score, write_methodology

WEST = {"N1", "N4", "N7"}  # column 0 of the grid: district "West"


def _with_coverage(city: SmallCity, line: str) -> None:
    text = city.config.read_text().replace(
        'name = "Test police records"', f'name = "Test police records"\n{line}'
    )
    city.config.write_text(text)


def test_measures_outside_coverage_are_missing_and_flagged(small_city: SmallCity, capsys) -> None:
    _with_coverage(small_city, 'coverage = ["West"]')
    out = ingest(small_city.config, small_city.store, capsys)
    assert "covers 3 of 9 neighbourhoods" in out
    scores = score(small_city.store, write_methodology(small_city.folder), capsys)
    for nid in scores.index:
        flags = list(scores.loc[nid, "flags"])
        if nid in WEST:
            assert "not_covered:hate_rate" not in flags
        else:
            assert np.isnan(scores.loc[nid, "raw__hate_rate"]), nid
            assert np.isnan(scores.loc[nid, "n__hate_rate"]), nid
            assert "not_covered:hate_rate" in flags and "missing:hate_rate" not in flags
        assert "not_covered:unemployed_pct" not in flags  # the census covers the whole city
    # Inside: N7 holds incidents 0..6 (7 of them) and 7,000 people → exactly 1.0 per 1,000.
    assert scores.loc["N7", "raw__hate_rate"] == pytest.approx(7 / 7000 * 1000, rel=1e-12)
    assert scores.loc["N4", "raw__hate_rate"] == pytest.approx(4 / 4000 * 1000, rel=1e-12)
    assert scores.loc["N7", "n__hate_rate"] == 7


def test_coverage_in_exports_profile_and_map(small_city: SmallCity, capsys, tmp_path) -> None:
    _with_coverage(small_city, 'coverage = ["West"]')
    ingest(small_city.config, small_city.store, capsys)
    score(small_city.store, write_methodology(small_city.folder), capsys)
    out = tmp_path / "scores.geojson"
    code, _, err = run_cli(
        ["export", "--format", "geojson", "--out", str(out), "--store", str(small_city.store)],
        capsys,
    )
    assert code == 0, err
    features = {
        f["properties"]["nid"]: f["properties"] for f in json.loads(out.read_text())["features"]
    }
    assert features["N5"]["raw__hate_rate"] is None
    assert "not_covered:hate_rate" in features["N5"]["flags"]
    assert features["N7"]["raw__hate_rate"] == pytest.approx(1.0)
    csv = tmp_path / "scores.csv"
    code, _, err = run_cli(
        ["export", "--format", "csv", "--out", str(csv), "--store", str(small_city.store)], capsys
    )
    assert code == 0, err
    table = pd.read_csv(csv).set_index("nid")
    assert (
        np.isnan(table.loc["N5", "raw__hate_rate"])
        and "not_covered:hate_rate" in table.loc["N5", "flags"]
    )

    city = load(Store(small_city.store))
    prof = profile(city, "N5")
    assert any("not covered by Test police records" in n for n in prof.notes), prof.notes
    row = prof.versus_median.set_index("measure").loc["hate_rate"]
    assert row["note"] == "not covered by Test police records"
    assert row["comparison"] == ""  # no ratio, no percentile for an unknown value
    methodology = prof.methodology
    assert covered_by(city, methodology) == {"hate_rate": "Test police records"}
    frame = city.scores[city.scores["grp"] == "all"]
    table = map_table(
        frame, "raw__hate_rate", city.neighbourhoods, methodology, covered_by(city, methodology)
    ).set_index("nid")
    assert table.loc["N5", "shown"] == "not covered by Test police records"
    assert bool(table.loc["N5", "not_covered"]) and not bool(table.loc["N7", "not_covered"])
    sources = city.table("sources").set_index("source_id")
    assert sources.loc["police", "coverage"] == "West: 3 of 9 neighbourhoods"


@pytest.mark.parametrize(("right_edge", "covered"), [(1.4, WEST), (1.6, WEST | {"N2", "N5", "N8"})])
def test_coverage_polygon_half_rule(
    small_city: SmallCity, capsys, right_edge: float, covered: set[str]
) -> None:
    x0, y0 = ORIGIN
    area = shapely.box(x0 - STEP, y0 - STEP, x0 + right_edge * STEP, y0 + 4 * STEP)
    gpd.GeoDataFrame({"name": ["patrol area"]}, geometry=[area], crs="EPSG:4326").to_file(
        small_city.folder / "patrol.geojson", driver="GeoJSON"
    )
    _with_coverage(small_city, 'coverage = "patrol.geojson"')
    ingest(small_city.config, small_city.store, capsys)
    scores = score(small_city.store, write_methodology(small_city.folder), capsys)
    outside = {n for n in scores.index if "not_covered:hate_rate" in list(scores.loc[n, "flags"])}
    assert outside == set(scores.index) - covered


def test_coverage_naming_an_unknown_district_is_refused(small_city: SmallCity, capsys) -> None:
    ingest(small_city.config, small_city.store, capsys)
    _with_coverage(small_city, 'coverage = ["Westt"]')
    ingest_fails(
        small_city.config,
        small_city.store,
        capsys,
        "[sources.police] coverage",
        "'Westt'",
        "neither a district nor a neighbourhood code",
    )


def test_concentrated_points_suggest_coverage(small_city: SmallCity, capsys) -> None:
    x, y = cell_centre(1)
    rows = [
        {"incident_id": f"I{k}", "date": "2024-05-01", "category": "hate_crime", "lon": x, "lat": y}
        for k in range(20)
    ]
    x, y = cell_centre(5)
    rows.append(
        {"incident_id": "J", "date": "2024-05-01", "category": "hate_crime", "lon": x, "lat": y}
    )
    pd.DataFrame(rows).to_csv(small_city.folder / "incidents.csv", index=False)
    out = ingest(small_city.config, small_city.store, capsys)
    assert "95% of its incident points fall in West (3 of 9 neighbourhoods)" in out
    assert 'coverage = ["West"] in [sources.police]' in out
    _with_coverage(small_city, 'coverage = ["West"]')
    assert "fall in West" not in ingest(small_city.config, small_city.store, capsys)


def test_coverage_of_a_source_the_new_delivery_does_not_name_stays(
    small_city: SmallCity, capsys
) -> None:
    """A later config that no longer declares a source keeps that source's coverage (its data
    stay in the history); a config that declares it again replaces it."""
    _with_coverage(small_city, 'coverage = ["West"]')
    ingest(small_city.config, small_city.store, capsys)
    store = Store(small_city.store)

    def covered() -> dict[str, float]:
        rows = store.query(
            "SELECT nid, share FROM coverage WHERE source_id = 'police' AND kind = 'source'"
        )
        return dict(zip(rows["nid"], rows["share"], strict=True))

    assert {n for n, s in covered().items() if s > 0} == WEST
    text = small_city.config.read_text()
    start, end = text.index("[[points]]"), text.index("[sources.census]")
    police = text.index("[sources.police]")
    after = text.index("\n[", police + 1) if "\n[" in text[police + 1 :] else len(text)
    small_city.config.write_text(text[:start] + text[end:police] + text[after:])
    ingest(small_city.config, small_city.store, capsys)
    assert {n for n, s in covered().items() if s > 0} == WEST
    small_city.config.write_text(text.replace('coverage = ["West"]\n', ""))
    ingest(small_city.config, small_city.store, capsys)
    assert covered() == {}
