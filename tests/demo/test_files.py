"""The demo city's files as a whole: the committed data/ is exactly its generator's output,
the files refer to each other consistently, the city.toml follows the contract, the README
says the data is fictional, and only ``citygeo.demo.files`` writes files."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from citygeo import demo


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return demo.generate(tmp_path_factory.mktemp("demo"))


def test_committed_data_is_exactly_the_generator_output(
    generated: dict[str, Path], data_dir: Path
) -> None:
    tmp = generated["city.toml"].parent
    committed = {
        str(p.relative_to(data_dir))
        for p in data_dir.rglob("*")
        if p.is_file() and p.name != "methodology.toml"
    }
    assert set(generated) == committed  # nothing stale left in data/, nothing missing
    for relative, path in generated.items():
        assert (data_dir / relative).read_bytes() == path.read_bytes(), f"{relative} drifted"
    assert not (tmp / "methodology.toml").exists()  # maintained by hand, never generated


def test_the_city_arrives_as_yearly_deliveries(generated: dict[str, Path]) -> None:
    """One config per year; each year's tables hold only that year; 2024 and 2025 are on the
    boundaries before N112 was split, 2026 brings the new ones with the crosswalk."""
    configs = sorted(p for p in generated if p.endswith(".toml"))
    assert configs == ["city-2024.toml", "city-2025.toml", "city.toml"]
    years = {"city-2024.toml": 2024, "city-2025.toml": 2025, "city.toml": 2026}
    for name, year in years.items():
        config = tomllib.loads(generated[name].read_text(encoding="utf-8"))
        incidents = config["points"][0]["path"]
        assert incidents == f"points/incidents-{year}.csv"
        dates = pd.read_csv(generated[incidents])["date"].str[:4].astype(int)
        assert set(dates) == {year}
        online = pd.read_csv(generated[config["online"]["path"]])["period"].str[:4]
        assert set(online.astype(int)) == {year}
        boundaries = gpd.read_file(generated[config["boundaries"]["path"]])
        assert len(boundaries) == (150 if year == 2026 else 149)
        assert ("N113" in set(boundaries["code"])) is (year == 2026)
        assert ("crosswalk" in config["boundaries"]) is (year == 2026)
    crosswalk = pd.read_csv(generated["boundaries/crosswalk-2025-2026.csv"])
    assert crosswalk[["from", "to"]].values.tolist() == [["N112", "N112"], ["N112", "N113"]]
    assert crosswalk["weight"].sum() == pytest.approx(1.0, abs=1e-4)
    # The old N112 is exactly the union of the new N112 and N113, and its residents their sum.
    old = gpd.read_file(generated["boundaries/neighbourhoods-until-2025.geojson"]).set_index("code")
    new = gpd.read_file(generated["boundaries/neighbourhoods.geojson"]).set_index("code")
    union = new.loc[["N112", "N113"]].geometry.union_all()
    assert old.loc["N112"].geometry.symmetric_difference(union).area < 1e-12
    assert old.loc["N112", "pop"] == new.loc["N112", "pop"] + new.loc["N113", "pop"]
    # 2025's merged N112 is the population-weighted mean of the two halves' rates.
    y25 = pd.read_csv(generated["indicators/socioeconomic-2025.csv"]).set_index("area_code")
    assert "N113" not in y25.index
    w = new.loc[["N112", "N113"], "pop"].to_numpy(dtype=float)
    assert {"N112", "N113"} <= set(
        pd.read_csv(generated["indicators/socioeconomic-2026.csv"])["area_code"]
    )
    assert y25.loc["N112", "unemployed_pct"] > 0 and w.sum() == old.loc["N112", "pop"]


def test_total_size_stays_small(data_dir: Path) -> None:
    sizes = {p: p.stat().st_size for p in data_dir.rglob("*") if p.is_file()}
    assert sum(sizes.values()) < 4_000_000
    assert (data_dir / "boundaries" / "neighbourhoods.geojson").stat().st_size < 600_000


def test_codes_referenced_anywhere_exist(
    neighbourhoods: gpd.GeoDataFrame, committed_csv: Callable[[str], pd.DataFrame]
) -> None:
    codes = set(neighbourhoods.code)
    assert set(committed_csv("indicators/socioeconomic.csv").area_code) == codes
    assert set(committed_csv("indicators/population_groups.csv").area_code) == codes
    assert set(committed_csv("survey/responses.csv").nid) == codes
    assert set(committed_csv("online/signals.csv").nid) - {""} <= codes
    serves = committed_csv("registers/stakeholders.csv").serves
    assert set(";".join(s for s in serves if s != "all").split(";")) <= codes
    consulted = set(";".join(committed_csv("registers/consultations.csv").nid).split(";")) - {""}
    assert consulted <= codes


def test_city_toml_follows_the_contract(data_dir: Path) -> None:
    config = tomllib.loads((data_dir / "city.toml").read_text(encoding="utf-8"))
    city = config["city"]
    assert config["boundaries"].pop("crosswalk") == "boundaries/crosswalk-2025-2026.csv"
    assert city["name"] == "Port Averlane" and city["fictional"] is True
    assert "synthetic" in city["description"].lower()
    assert city["projected_crs"] == "EPSG:32727"
    assert config["boundaries"] == {
        "path": "boundaries/neighbourhoods.geojson",
        "id": "code",
        "name": "name",
        "district": "district",
        "population": "pop",
    }
    paths = [
        config["boundaries"]["path"],
        config["survey"]["path"],
        config["online"]["path"],
        config["registers"]["stakeholders"],
        config["registers"]["consultations"],
    ]
    paths += [i["path"] for i in config["indicators"]] + [p["path"] for p in config["points"]]
    assert all((data_dir / p).is_file() for p in paths)
    assert [i.get("group") for i in config["indicators"]] == [None, "age_band"]
    incidents, assets = config["points"]
    assert incidents["kind"] == "incidents" and incidents["id"] == "incident_id"
    assert assets["kind"] == "assets" and assets["category"] == "kind"
    assert config["survey"]["items"] == [
        "trust_local_gov",
        "feel_safe",
        "experienced_hate",
        "trust_neighbours",
    ]
    assert config["methodology"] == {"path": "methodology.toml"}
    used = {i["source"] for i in config["indicators"]} | {p["source"] for p in config["points"]}
    used |= {config["survey"]["source"], config["online"]["source"], config["registers"]["source"]}
    assert used <= set(config["sources"])


def test_only_the_asset_register_is_overdue(data_dir: Path) -> None:
    sources = tomllib.loads((data_dir / "city.toml").read_text(encoding="utf-8"))["sources"]
    assert set(sources) == {
        "census",
        "labour-survey",
        "police",
        "asset-register",
        "resilience-survey",
        "online-monitoring",
        "partner-register",
        "listening-log",
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


def test_readme_says_the_data_is_fictional_and_synthetic(data_dir: Path) -> None:
    text = (data_dir / "README.md").read_text(encoding="utf-8")
    assert "FICTIONAL" in text and "SYNTHETIC" in text
    assert "python -m citygeo.demo" in text


def test_only_the_files_module_writes() -> None:
    """The generator's other modules are pure: they return frames and strings, never write."""
    writes = {"write_text", "write_bytes", "to_csv", "to_file", "to_parquet", "mkdir", "open"}
    writers = set()
    for path in Path(demo.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        called = {
            node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
        }
        if called & writes:
            writers.add(path.name)
    assert writers == {"files.py"}
