"""The London example end to end, on the files as published: ingest, score, a profile."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from citygeo.cli import main
from citygeo.outputs.report import render_profile_html
from citygeo.service.city import covered_by, load, read_scores
from citygeo.service.compare import compare
from citygeo.service.map import map_table
from citygeo.service.profile import profile
from citygeo.store import Store
from tests.fixtures.realcities import ingest

LONDON = Path(__file__).resolve().parents[2] / "examples" / "london"
CRIME = ["violence_rate", "public_order_rate", "asb_rate"]
ST_PANCRAS = "E05000143"


@pytest.fixture(scope="module")
def london(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    store = tmp_path_factory.mktemp("london") / "london.duckdb"
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        for args in (
            ["ingest", str(LONDON / "city.toml"), "--store", str(store)],
            ["score", "--store", str(store)],
        ):
            try:
                main(args)
            except SystemExit as exc:
                assert not exc.code, out.getvalue()
    return store, out.getvalue()


def _hand_count(nid: str, category: str) -> tuple[int, float]:
    """Points of ``category`` inside the ward's published polygon, and its population."""
    wards = json.loads(
        (LONDON / "boundaries" / "wards_2018_camden_and_neighbours.geojson").read_text()
    )
    ward = next(f for f in wards["features"] if f["properties"]["GSS"] == nid)
    polygon = shapely.geometry.shape(ward["geometry"])
    crimes = pd.read_csv(LONDON / "incidents" / "Police_API_Sample_July_2019.csv")
    chosen = crimes[crimes["Category"] == category]
    inside = shapely.contains_xy(
        polygon, chosen["Longitude"].to_numpy(), chosen["Latitude"].to_numpy()
    )
    return int(inside.sum()), float(ward["properties"]["population"])


def test_ingest_reports_what_it_could_not_match(london: tuple[Path, str]) -> None:
    _, out = london
    assert "142 codes match no neighbourhood" in out  # 2011 ward codes changed since
    assert "no row for 42 of 157 neighbourhoods" in out
    assert "covers 18 of 157 neighbourhoods" in out  # police: Camden's 18 wards


def test_crime_measures_outside_camden_are_not_covered(london: tuple[Path, str]) -> None:
    store, _ = london
    scores = read_scores(Store(store), mode="analyst").set_index("nid")
    hoods = load(Store(store)).neighbourhoods.set_index("nid")
    camden = hoods.index[hoods["district"] == "Camden"]
    assert len(camden) == 18
    outside = scores.drop(index=camden)
    for measure in CRIME:
        assert outside[f"raw__{measure}"].isna().all()
        assert outside["flags"].map(lambda f, m=measure: f"not_covered:{m}" in f).all()
        assert not outside["flags"].map(lambda f, m=measure: f"missing:{m}" in f).any()
        inside = scores.loc[camden]
        assert inside[f"raw__{measure}"].notna().all()
        assert not inside["flags"].map(lambda f, m=measure: f"not_covered:{m}" in f).any()
    assert outside["risk_score"].isna().all()  # a whole domain unknown: no index, and said why
    assert scores.loc[camden, "risk_score"].notna().all()


@pytest.mark.parametrize(
    ("measure", "category"),
    [("violence_rate", "Violence and sexual offences"), ("asb_rate", "Anti-social behaviour")],
)
def test_camden_rates_are_exact(london: tuple[Path, str], measure: str, category: str) -> None:
    store, _ = london
    scores = read_scores(Store(store), mode="analyst").set_index("nid")
    count, population = _hand_count(ST_PANCRAS, category)
    assert count > 20
    assert scores.loc[ST_PANCRAS, f"n__{measure}"] == count
    assert scores.loc[ST_PANCRAS, f"raw__{measure}"] == pytest.approx(
        count / population * 1000, rel=1e-12
    )


def test_profile_and_map_say_not_covered(london: tuple[Path, str]) -> None:
    store, _ = london
    city = load(Store(store))
    prof = profile(city, "E05000043")  # Brunswick Park, Barnet
    said = " ".join(prof.notes)
    assert "not covered by police.uk street-level crimes (Camden extract)" in said
    assert "no index can be computed" in said
    versus = prof.versus_median.set_index("measure")
    assert np.isnan(versus.loc["violence_rate", "value"])
    assert versus.loc["violence_rate", "note"].startswith("not covered by police.uk")
    frame = city.scores[city.scores["grp"] == "all"]
    table = map_table(
        frame,
        "raw__violence_rate",
        city.neighbourhoods,
        prof.methodology,
        covered_by(city, prof.methodology),
    ).set_index("nid")
    assert table["not_covered"].sum() == 157 - 18
    assert table.loc[ST_PANCRAS, "shown"] != table.loc["E05000043", "shown"]
    changed = profile(city, "E05009317")  # Bethnal Green: redrawn in 2014, no 2011-coded row
    assert any("Residents with no qualifications" in n and "no data" in n for n in changed.notes)


def test_without_coverage_the_ingest_suggests_it(tmp_path: Path, capsys) -> None:
    copy = tmp_path / "london"
    shutil.copytree(LONDON, copy)
    config = copy / "city.toml"
    config.write_text(config.read_text().replace('coverage = ["Camden"]', ""))
    out = ingest(config, tmp_path / "s.duckdb", capsys)
    assert "of its incident points fall in Camden (18 of 157 neighbourhoods)" in out
    assert 'coverage = ["Camden"] in [sources.police]' in out


def test_compare_says_not_covered_without_a_ratio(london: tuple[Path, str]) -> None:
    store, _ = london
    table = compare(load(Store(store)), [ST_PANCRAS, "E05000043"]).set_index("nid")
    assert table.loc[ST_PANCRAS, "not_covered"] == ""
    said = table.loc["E05000043", "not_covered"]
    assert said.startswith(
        "Violence and sexual offences per 1,000 residents: not covered by police.uk"
    )
    assert np.isnan(table.loc["E05000043", "raw__violence_rate"])
    assert "×" not in " ".join(str(v) for v in table.loc["E05000043"].to_numpy())


def test_printout_says_not_covered(london: tuple[Path, str]) -> None:
    store, _ = london
    page = render_profile_html(Store(store), "E05000043")
    assert "not covered by police.uk street-level crimes (Camden extract)" in page
    camden = render_profile_html(Store(store), ST_PANCRAS)
    assert "not covered by" not in camden
