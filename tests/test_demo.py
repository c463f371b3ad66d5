"""The fictional demo city: the committed data/ is exactly its generator's output, and the
patterns the rest of citygeo is demonstrated on are really there."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from esda.moran import Moran
from libpysal.weights import Queen

from citygeo import demo

DATA = Path(__file__).resolve().parent.parent / "data"
YEARS = (2024, 2025, 2026)


def _csv(relative: str) -> pd.DataFrame:
    """Read a committed CSV as text, so empty cells stay empty strings."""
    return pd.read_csv(DATA / relative, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return demo.generate(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def neighbourhoods() -> gpd.GeoDataFrame:
    return gpd.read_file(DATA / "boundaries" / "neighbourhoods.geojson")


@pytest.fixture(scope="module")
def socio() -> pd.DataFrame:
    return pd.read_csv(DATA / "indicators" / "socioeconomic.csv")


@pytest.fixture(scope="module")
def incidents(neighbourhoods: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    table = pd.read_csv(DATA / "points" / "incidents.csv")
    points = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table.lon, table.lat), crs=4326)
    joined = points.sjoin(neighbourhoods[["code", "geometry"]], how="left", predicate="within")
    return joined


# --------------------------------------------------------------------------- determinism


def test_committed_data_is_exactly_the_generator_output(generated: dict[str, Path]) -> None:
    tmp = generated["city"].parent
    assert set(generated) == {
        "boundaries", "socioeconomic", "population_groups", "labels", "incidents", "assets",
        "survey", "online", "stakeholders", "consultations", "city", "readme",
    }
    for path in generated.values():
        committed = DATA / path.relative_to(tmp)
        assert committed.read_bytes() == path.read_bytes(), f"{committed} drifted: regenerate"
    assert not (tmp / "methodology.toml").exists()  # maintained by hand, never generated


def test_total_size_stays_small() -> None:
    sizes = {p: p.stat().st_size for p in DATA.rglob("*") if p.is_file()}
    assert sum(sizes.values()) < 4_000_000
    assert (DATA / "boundaries" / "neighbourhoods.geojson").stat().st_size < 600_000


# --------------------------------------------------------------------------- boundaries


def test_boundaries_are_a_tessellation_of_150_valid_polygons(
    neighbourhoods: gpd.GeoDataFrame,
) -> None:
    assert len(neighbourhoods) == 150
    assert neighbourhoods.crs.to_epsg() == 4326
    geoms = neighbourhoods.geometry.to_numpy()
    assert shapely.is_valid(geoms).all()
    assert (shapely.get_type_id(geoms) == 3).all()  # Polygon
    city = shapely.union_all(geoms)
    assert city.geom_type == "Polygon" and len(city.interiors) == 0  # one island, no holes
    assert shapely.area(geoms).sum() == pytest.approx(city.area, rel=1e-9)  # no overlaps
    assert shapely.coverage_is_valid(geoms)  # neighbours share their edges exactly
    assert all(shapely.is_ccw(g.exterior) for g in geoms)  # RFC 7946 winding


def test_boundaries_properties(neighbourhoods: gpd.GeoDataFrame) -> None:
    assert list(neighbourhoods.columns) == ["code", "name", "district", "pop", "geometry"]
    assert list(neighbourhoods.code) == [f"N{i:03d}" for i in range(1, 151)]
    assert neighbourhoods.name.is_unique
    assert neighbourhoods.name.str.contains("[&']").any()
    assert neighbourhoods.district.nunique() == 8
    assert neighbourhoods["pop"].between(800, 12_000).all()
    # the city sits in open ocean around lon -25, lat -40
    centre = shapely.union_all(neighbourhoods.geometry.to_numpy()).centroid
    assert abs(centre.x + 25.0) < 0.1 and abs(centre.y + 40.0) < 0.1


def test_geojson_is_rfc7946_and_says_it_is_synthetic() -> None:
    text = (DATA / "boundaries" / "neighbourhoods.geojson").read_text(encoding="utf-8")
    doc = json.loads(text)
    assert "crs" not in doc
    assert "synthetic" in doc["name"].lower() and "fictional" in doc["description"].lower()
    numbers = re.findall(r"\[(-?\d+\.\d+),(-?\d+\.\d+)\]", text)
    assert numbers and all(len(n.split(".")[1]) == 6 for pair in numbers[:500] for n in pair)


# --------------------------------------------------------------------------- indicators


def test_socioeconomic_columns_and_the_two_health_gaps(socio: pd.DataFrame) -> None:
    assert list(socio.columns) == [
        "area_code", "year", "unemployed_pct", "youth_unemployed_pct", "median_income",
        "no_qualifications_pct", "overcrowded_pct", "poor_health_pct", "service_access",
        "residential_turnover_pct",
    ]
    assert len(socio) == 450 and sorted(socio.year.unique()) == list(YEARS)
    missing = socio[socio.isna().any(axis=1)]
    assert len(missing) == 2 and set(missing.year) == {2026}
    assert socio.drop(columns="poor_health_pct").notna().all().all()
    assert socio.service_access.between(0, 100).all()


def test_deprivation_indicators_move_together(socio: pd.DataFrame) -> None:
    corr = socio[socio.year == 2026].drop(columns=["area_code", "year"]).corr()
    for column in ("youth_unemployed_pct", "no_qualifications_pct", "overcrowded_pct",
                   "poor_health_pct"):
        assert corr.loc["unemployed_pct", column] > 0.6, column
    assert corr.loc["unemployed_pct", "median_income"] < -0.6
    # ... but not perfectly: every indicator keeps its own noise
    assert corr.loc["unemployed_pct", "no_qualifications_pct"] < 0.97


def test_year_on_year_change_is_moderate(socio: pd.DataFrame) -> None:
    wide = socio.pivot(index="area_code", columns="year", values="unemployed_pct")
    change = wide[2026] - wide[2024]
    assert change.abs().median() < 2.0  # points of unemployment over two years
    assert (change != 0).mean() > 0.9  # yet almost every neighbourhood moves
    assert wide[2024].corr(wide[2026]) > 0.8


@pytest.mark.parametrize("year", YEARS)
def test_unemployment_is_spatially_clustered(
    neighbourhoods: gpd.GeoDataFrame, socio: pd.DataFrame, year: int
) -> None:
    weights = Queen.from_dataframe(neighbourhoods, use_index=False)
    weights.transform = "r"
    values = socio[socio.year == year].set_index("area_code").loc[neighbourhoods.code]
    moran = Moran(values.unemployed_pct.to_numpy(), weights, permutations=0)
    assert moran.I > 0.3


def test_deprived_inner_east_affluent_west_and_north(
    neighbourhoods: gpd.GeoDataFrame, socio: pd.DataFrame
) -> None:
    centroids = neighbourhoods.to_crs(32727).centroid
    values = socio[socio.year == 2026].set_index("area_code").loc[neighbourhoods.code]
    east = (centroids.x - centroids.x.mean()).to_numpy()
    north = (centroids.y - centroids.y.mean()).to_numpy()
    inner_east = (east > 1000) & (east < 5000) & (np.abs(north) < 2500)
    west_north = (east < -2000) | (north > 3000)
    assert values.unemployed_pct[inner_east].mean() > values.unemployed_pct[west_north].mean() + 4
    assert values.median_income[inner_east].mean() < values.median_income[west_north].mean()


def test_population_groups(socio: pd.DataFrame) -> None:
    groups = pd.read_csv(DATA / "indicators" / "population_groups.csv")
    assert list(groups.columns) == ["area_code", "year", "age_band", "population", "unemployed_pct"]
    assert len(groups) == 150 * 3 * 4
    assert set(groups.age_band) == {"16-24", "25-44", "45-64", "65+"}
    rates = groups.pivot_table(index=["area_code", "year"], columns="age_band",
                               values="unemployed_pct")
    assert (rates["16-24"] > 1.5 * rates["25-44"]).mean() > 0.9  # youth markedly higher
    youth = socio.set_index(["area_code", "year"]).youth_unemployed_pct
    assert np.allclose(rates["16-24"], youth.loc[rates.index])  # same figure in both files


def test_labels_cover_every_indicator_column(socio: pd.DataFrame) -> None:
    labels = _csv("indicators/labels.csv")
    assert list(labels.columns) == ["indicator", "label", "unit"]
    assert set(socio.columns[2:]) | {"population"} == set(labels.indicator)
    assert (labels.label != "").all() and (labels.unit != "").all()


# --------------------------------------------------------------------------- points


def test_incidents(incidents: gpd.GeoDataFrame) -> None:
    assert 19_000 <= len(incidents) <= 21_000
    assert incidents.incident_id.is_unique
    assert incidents.date.between("2024-01-01", "2026-10-31").all()
    shares = incidents.category.value_counts(normalize=True)
    assert set(shares.index) == set(demo.INCIDENT_CATEGORIES)
    assert shares["hate_incident"] > shares["hate_crime"] > shares["intercommunal_violence"]
    outside = incidents.code.isna().sum()
    assert 20 <= outside <= 30  # mis-geocoded, for the ingest report


def test_incident_cells_include_small_and_empty_ones(incidents: gpd.GeoDataFrame) -> None:
    inside = incidents.dropna(subset=["code"])
    counts = inside.groupby([inside.code, inside.date.str[:4], inside.category]).size()
    full = counts.reindex(
        pd.MultiIndex.from_product(
            [sorted(inside.code.unique()), ["2024", "2025", "2026"], demo.INCIDENT_CATEGORIES]
        ),
        fill_value=0,
    )
    assert ((full >= 1) & (full <= 4)).sum() > 50  # for small-cell suppression
    assert (full == 0).sum() > 20


def test_incidents_cluster_and_follow_deprivation(
    incidents: gpd.GeoDataFrame, neighbourhoods: gpd.GeoDataFrame, socio: pd.DataFrame
) -> None:
    per_nb = incidents.groupby("code").size().reindex(neighbourhoods.code, fill_value=0)
    rate = per_nb.to_numpy() / neighbourhoods["pop"].to_numpy() * 1000
    unemployed = socio[socio.year == 2026].set_index("area_code").loc[neighbourhoods.code]
    r = np.corrcoef(rate, unemployed.unemployed_pct)[0, 1]
    assert 0.2 < r < 0.9  # partly, not entirely, aligned with deprivation
    june = incidents[incidents.date.str.startswith("2025-06")].groupby("code").size()
    assert june.max() > 250 and june.max() > 5 * june.drop(june.idxmax()).max()


def test_assets(neighbourhoods: gpd.GeoDataFrame, socio: pd.DataFrame) -> None:
    assets = _csv("points/assets.csv")
    assert list(assets.columns) == ["asset_id", "kind", "name", "formal", "themes", "lon", "lat"]
    assert 280 <= len(assets) <= 320 and assets.asset_id.is_unique
    assert set(assets.kind) == set(demo.ASSET_KINDS)
    assert set(assets.formal) == {"true", "false"}
    informal = assets[assets.formal == "false"].kind.value_counts()
    assert informal.index[0] in demo.INFORMAL_KINDS
    assert all(set(t.split(";")) <= set(demo.THEMES) for t in assets.themes)
    points = gpd.GeoDataFrame(
        assets, geometry=gpd.points_from_xy(assets.lon.astype(float), assets.lat.astype(float)),
        crs=4326,
    ).sjoin(neighbourhoods[["code", "geometry"]], predicate="within", how="left")
    assert points.code.notna().all()  # all inside the city
    unemployed = socio[socio.year == 2026].set_index("area_code").unemployed_pct
    most_deprived = unemployed.nlargest(10).index
    assert (~most_deprived.isin(points.code)).sum() >= 2  # a gap where risk is high


# --------------------------------------------------------------------------- survey


def test_survey(socio: pd.DataFrame) -> None:
    survey = pd.read_csv(DATA / "survey" / "responses.csv")
    assert list(survey.columns) == [
        "response_id", "nid", "year", "weight", "age_band", "gender", "trust_local_gov",
        "feel_safe", "experienced_hate", "trust_neighbours",
    ]
    # ~48 a neighbourhood a year: enough that only ~10 fall under the 30 of min_sample
    assert 12_000 <= len(survey) <= 16_000 and survey.response_id.is_unique
    assert set(survey.year) == {2025, 2026}
    assert survey.weight.between(0.4, 3.0).all()
    assert set(survey.gender) == {"female", "male", "other"}
    assert set(survey.trust_local_gov) == set(survey.trust_neighbours) == {1, 2, 3, 4, 5}
    assert set(survey.feel_safe) == set(survey.experienced_hate) == {0, 1}
    sizes = survey.groupby(["year", "nid"]).size()
    for year in (2025, 2026):
        assert 8 <= (sizes.loc[year] < 30).sum() <= 12
    # the 16-24 band is under-represented in several neighbourhoods
    groups = pd.read_csv(DATA / "indicators" / "population_groups.csv")
    pop_share = groups[groups.year == 2026].pivot(
        index="area_code", columns="age_band", values="population"
    )
    pop_share = pop_share["16-24"] / pop_share.sum(axis=1)
    sample = survey[survey.year == 2026]
    sample_share = (sample.age_band == "16-24").groupby(sample.nid).mean()
    assert (sample_share < 0.4 * pop_share.loc[sample_share.index]).sum() >= 5
    # trust is lower where deprivation is higher
    sample = sample.assign(wt=sample.weight * sample.trust_local_gov)
    trust = sample.groupby("nid").wt.sum() / sample.groupby("nid").weight.sum()
    unemployed = socio[socio.year == 2026].set_index("area_code").unemployed_pct
    assert np.corrcoef(trust, unemployed.loc[trust.index])[0, 1] < -0.3


# --------------------------------------------------------------------------- online


def test_online_signals_spike_in_july_2025(incidents: gpd.GeoDataFrame) -> None:
    online = _csv("online/signals.csv")
    assert list(online.columns) == ["period", "nid", "platform", "category", "count"]
    assert online.period.min() == "2024-01" and online.period.max() == "2026-10"
    assert online.nid.nunique() == 31  # 30 neighbourhoods + city-wide ("")
    online["count"] = online["count"].astype(int)
    city = online[online.nid == ""].groupby("period")["count"].sum()
    assert city["2025-07"] > 2 * city.drop("2025-07").median()
    assert city.idxmax() == "2025-07"
    cluster = incidents[incidents.date.str.startswith("2025-06")].code.value_counts().index[0]
    local = online[online.nid == cluster].groupby("period")["count"].sum()
    assert local["2025-07"] > 3 * local.drop("2025-07").median()
    assert local["2025-06"] < 2 * local.drop("2025-07").median()  # the spike follows, a month on


# --------------------------------------------------------------------------- registers


def test_codes_referenced_anywhere_exist(neighbourhoods: gpd.GeoDataFrame) -> None:
    codes = set(neighbourhoods.code)
    assert set(_csv("indicators/socioeconomic.csv").area_code) == codes
    assert set(_csv("indicators/population_groups.csv").area_code) == codes
    assert set(_csv("survey/responses.csv").nid) == codes
    assert set(_csv("online/signals.csv").nid) - {""} <= codes
    serves = _csv("registers/stakeholders.csv").serves
    assert set(";".join(s for s in serves if s != "all").split(";")) <= codes
    consulted = set(";".join(_csv("registers/consultations.csv").nid).split(";")) - {""}
    assert consulted <= codes


def test_stakeholders() -> None:
    stakeholders = _csv("registers/stakeholders.csv")
    assert list(stakeholders.columns) == [
        "stakeholder_id", "name", "sector", "themes", "serves", "contact",
    ]
    assert 50 <= len(stakeholders) <= 70 and stakeholders.name.is_unique
    assert set(stakeholders.sector) == {
        "municipality", "civil_society", "education", "health", "police", "faith", "youth",
        "business", "media",
    }
    assert stakeholders.contact.str.fullmatch(r"[a-z0-9.]+@example\.org").all()
    assert (stakeholders.serves == "all").sum() >= 10


def test_consultations_have_the_intended_gaps(neighbourhoods: gpd.GeoDataFrame) -> None:
    log = _csv("registers/consultations.csv")
    assert list(log.columns) == [
        "date", "nid", "format", "groups", "participants", "themes", "summary",
    ]
    assert 80 <= len(log) <= 100
    assert log.date.min() >= "2024-02-01" and log.date.max() <= "2026-11-28"
    assert set(log.format) == {"survey", "focus_group", "roundtable", "workshop", "public_meeting"}
    assert set(";".join(log.groups).split(";")) <= set(demo.GROUPS)
    for group in ("recent_arrivals", "lgbtq"):
        heard = log[log.groups.str.split(";").apply(lambda g, grp=group: grp in g)]
        assert len(heard) > 0 and heard.date.max() < "2025-10-01"
    consulted = set(";".join(log.nid).split(";")) - {""}
    assert 10 <= 150 - len(consulted) <= 50  # some neighbourhoods never consulted
    assert (log.nid == "").any()


# --------------------------------------------------------------------------- config, labelling


def test_city_toml_follows_the_contract() -> None:
    config = tomllib.loads((DATA / "city.toml").read_text(encoding="utf-8"))
    city = config["city"]
    assert city["name"] == "Port Averlane" and city["fictional"] is True
    assert "synthetic" in city["description"].lower()
    assert city["projected_crs"] == "EPSG:32727"
    assert config["boundaries"] == {
        "path": "boundaries/neighbourhoods.geojson", "id": "code", "name": "name",
        "district": "district", "population": "pop",
    }
    paths = [config["boundaries"]["path"], config["survey"]["path"], config["online"]["path"],
             config["registers"]["stakeholders"], config["registers"]["consultations"]]
    paths += [i["path"] for i in config["indicators"]] + [p["path"] for p in config["points"]]
    assert all((DATA / p).is_file() for p in paths)
    assert [i.get("group") for i in config["indicators"]] == [None, "age_band"]
    incidents, assets = config["points"]
    assert incidents["kind"] == "incidents" and incidents["id"] == "incident_id"
    assert assets["kind"] == "assets" and assets["category"] == "kind"
    assert config["survey"]["items"] == [
        "trust_local_gov", "feel_safe", "experienced_hate", "trust_neighbours",
    ]
    assert config["methodology"] == {"path": "methodology.toml"}
    used = {i["source"] for i in config["indicators"]} | {p["source"] for p in config["points"]}
    used |= {config["survey"]["source"], config["online"]["source"],
             config["registers"]["source"]}
    assert used <= set(config["sources"])


def test_only_the_asset_register_is_overdue() -> None:
    sources = tomllib.loads((DATA / "city.toml").read_text(encoding="utf-8"))["sources"]
    assert set(sources) == {
        "census", "labour-survey", "police", "asset-register", "resilience-survey",
        "online-monitoring", "partner-register", "listening-log",
    }
    months = {"P1Y": 12, "P3M": 3, "P1M": 1}
    today = 2026 * 12 + 11  # 2026-11-28, counted in months
    overdue = set()
    for source_id, source in sources.items():
        year, month = map(int, source["collected"].split("-"))
        if year * 12 + month + months[source["refresh"]] < today:
            overdue.add(source_id)
        assert source["known_biases"] and source["coverage"] and source["licence"]
    assert overdue == {"asset-register"}


def test_readme_says_the_data_is_fictional_and_synthetic() -> None:
    text = (DATA / "README.md").read_text(encoding="utf-8")
    assert "FICTIONAL" in text and "SYNTHETIC" in text
    assert "python -m citygeo.demo" in text
