"""Property tests of the privacy rules over random small cities (DESIGN.md §6).

Each example is a grid city of 4–9 cells with random populations and random incident counts
per cell and category (mostly 0–6), and a methodology with a total measure over both
categories plus one measure per category, so totals and their parts are both published.
For every public output (``read_scores`` of scores and district scores, each export format
read back, the HTML report) the tests check that no value built on 1 to ``min_count − 1``
events is revealed:

(a) directly — flagged measures have null raw__/measure__/n__ and every published count is 0
    or at least ``min_count``; the report says "fewer than N";
(b) by difference — a visible total minus its visible parts never leaves a small number,
    neither for a neighbourhood's categories nor for a district's neighbourhoods;
(c) through scores — changing one small cell to another small count leaves every published
    column of every public output identical.
Incident ids and stakeholder contacts never appear in public outputs.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citygeo.ingest import ingest_city
from citygeo.outputs.export import write_export
from citygeo.outputs.formats import FORMATS
from citygeo.outputs.report import render_profile_html
from citygeo.service.city import read_scores
from citygeo.service.scoring import score_store
from citygeo.store import Store
from tests.fixtures.city import BASE_CONFIG, cell_centre, grid_city

CATEGORIES = ("hate_crime", "hate_incident")
MEASURES = {
    "all_rate": CATEGORIES,
    "crime_rate": ("hate_crime",),
    "incident_rate": ("hate_incident",),
}
CONTACT = "secret.contact@example.org"

METHODOLOGY = """
version = "prop.1"
normalisation = "minmax"
aggregation = "arithmetic"
min_count = {min_count}

[[domains]]
id = "hardship"
index = "risk"
weight = 1.0

[[domains]]
id = "tensions"
index = "risk"
weight = 1.0

[[domains]]
id = "resources"
index = "protective"
weight = 1.0

[[measures]]
id = "unemployed_pct"
domain = "hardship"
direction = "risk"

[[measures]]
id = "income"
domain = "resources"
direction = "protective"
""" + "".join(
    f"""
[[measures]]
id = "{mid}"
domain = "tensions"
direction = "risk"
from = "incidents"
categories = {list(cats)!r}
per = 1000
denominator = "population"
""".replace("'", '"')
    for mid, cats in MEASURES.items()
)

EXTRA = """
[registers]
stakeholders = "stakeholders.csv"

[methodology]
path = "methodology.toml"
"""


@st.composite
def cities(draw: st.DrawFn) -> dict[str, object]:
    rows, cols = draw(st.sampled_from([(2, 2), (2, 3), (3, 2), (3, 3)]))
    n = rows * cols
    small = st.integers(0, 6)
    count = st.one_of(small, small, small, st.integers(7, 15))
    return {
        "rows": rows,
        "cols": cols,
        "min_count": draw(st.integers(3, 6)),
        "pops": draw(st.lists(st.integers(200, 5000), min_size=n, max_size=n)),
        "counts": draw(
            st.lists(st.tuples(count, count), min_size=n, max_size=n).filter(
                lambda c: sum(map(sum, c)) > 0
            )
        ),  # an incidents file needs at least one row
    }


def build(folder: Path, city: dict[str, object]) -> Store:
    folder.mkdir(parents=True)
    rows, cols = int(city["rows"]), int(city["cols"])
    n = rows * cols
    grid: gpd.GeoDataFrame = grid_city(rows, cols)
    grid["pop"] = city["pops"]
    grid.to_file(folder / "boundaries.geojson", driver="GeoJSON")
    pd.DataFrame(
        {
            "area_code": [f"N{i}" for i in range(1, n + 1)],
            "unemployed_pct": [float(i) for i in range(1, n + 1)],
            "income": [30000 - 1000 * i for i in range(1, n + 1)],
        }
    ).to_csv(folder / "indicators.csv", index=False)
    records = []
    for i, pair in enumerate(city["counts"], 1):  # type: ignore[arg-type]
        x, y = cell_centre(i, cols)
        for category, k in zip(CATEGORIES, pair, strict=True):
            records += [
                {
                    "incident_id": f"INC-{i}-{category}-{j}",
                    "date": "2024-05-01",
                    "category": category,
                    "lon": x,
                    "lat": y,
                }
                for j in range(k)
            ]
    pd.DataFrame(records, columns=["incident_id", "date", "category", "lon", "lat"]).to_csv(
        folder / "incidents.csv", index=False
    )
    pd.DataFrame(
        {
            "stakeholder_id": ["S1"],
            "name": ["Youth service"],
            "sector": ["public"],
            "themes": ["youth"],
            "serves": ["all"],
            "contact": [CONTACT],
        }
    ).to_csv(folder / "stakeholders.csv", index=False)
    (folder / "methodology.toml").write_text(
        textwrap.dedent(METHODOLOGY.format(min_count=city["min_count"])).lstrip(), encoding="utf-8"
    )
    config = folder / "city.toml"
    config.write_text(BASE_CONFIG.lstrip() + EXTRA, encoding="utf-8")
    store = Store(folder / "store.duckdb")
    ingest_city(config, store)
    score_store(store, draws=20)
    return store


def public_outputs(store: Store, folder: Path, reports: int = 3) -> dict[str, pd.DataFrame | str]:
    """Every public output of the store: frames keyed by name, plus report texts."""
    out: dict[str, pd.DataFrame | str] = {
        "scores": read_scores(store).drop(columns=["methodology_sha256"]),
        "districts": read_scores(store, table="district_scores").drop(
            columns=["methodology_sha256"]
        ),
    }
    suffixes = {"geojson": "geojson", "gpkg": "gpkg", "parquet": "parquet", "csv": "csv"}
    for fmt in FORMATS:
        path = folder / f"export.{suffixes[fmt]}"
        write_export(store, fmt, path, mode="public", force=True)
        frame = (
            pd.read_csv(path)
            if fmt == "csv"
            else gpd.read_parquet(path)
            if fmt == "parquet"
            else gpd.read_file(path)
        )
        out[f"export_{fmt}"] = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
        raw = path.read_bytes()
        out[f"bytes_{fmt}"] = raw.decode("latin-1")
        out[f"meta_{fmt}"] = Path(f"{path}.meta.json").read_text(encoding="utf-8")
    for nid in list(out["scores"]["nid"])[:reports]:  # type: ignore[index]
        out[f"report_{nid}"] = render_profile_html(store, str(nid), mode="public")
    return out


def _cell_counts(city: dict[str, object]) -> dict[str, dict[str, int]]:
    """Exact counts per neighbourhood and measure (hand-computed from the drawn city)."""
    out = {}
    for i, (a, b) in enumerate(city["counts"], 1):  # type: ignore[arg-type]
        out[f"N{i}"] = {"all_rate": a + b, "crime_rate": a, "incident_rate": b}
    return out


def _is_small(value: float, m: int) -> bool:
    return 0 < value < m


def check_direct_and_difference(
    out: dict[str, pd.DataFrame | str], city: dict[str, object]
) -> None:
    m = int(city["min_count"])  # type: ignore[arg-type]
    exact = _cell_counts(city)
    scores = out["scores"].set_index("nid")  # type: ignore[union-attr]
    for name, frame in out.items():
        if not isinstance(frame, pd.DataFrame) or frame.empty:
            continue
        for mid in MEASURES:
            column = f"n__{mid}"
            if column in frame:
                shown = pd.to_numeric(frame[column], errors="coerce").dropna()
                assert not any(_is_small(v, m) for v in shown), (name, column, shown.tolist())
    # (a) each small cell's measures are flagged and null, in scores and every export.
    for nid, values in exact.items():
        crime, incident = values["crime_rate"], values["incident_rate"]
        for mid, value in values.items():
            contains_small = (_is_small(crime, m) and mid != "incident_rate") or (
                _is_small(incident, m) and mid != "crime_rate"
            )
            if contains_small:
                assert f"suppressed:{mid}" in scores.loc[nid, "flags"], (nid, mid)
                for prefix in ("raw__", "measure__", "n__"):
                    assert np.isnan(scores.loc[nid, f"{prefix}{mid}"]), (nid, prefix, mid)
                for fmt in FORMATS:
                    export = out[f"export_{fmt}"].set_index("nid")  # type: ignore[union-attr]
                    for prefix in ("raw__", "measure__", "n__"):
                        if f"{prefix}{mid}" in export:
                            assert pd.isna(export.loc[nid, f"{prefix}{mid}"]), (
                                fmt,
                                nid,
                                prefix,
                                mid,
                            )
            else:  # never over-suppressed: a value without a small cell is shown exactly
                assert scores.loc[nid, f"n__{mid}"] == value, (nid, mid)
        report = out.get(f"report_{nid}")
        if isinstance(report, str) and (_is_small(crime, m) or _is_small(incident, m)):
            assert f"fewer than {m}" in report
    # (b) total − visible parts, per neighbourhood.
    for nid in scores.index:
        total = scores.loc[nid, "n__all_rate"]
        parts = [scores.loc[nid, "n__crime_rate"], scores.loc[nid, "n__incident_rate"]]
        if not np.isnan(total) and sum(np.isnan(parts)) == 1:
            derived = total - np.nansum(parts)
            assert not _is_small(derived, m), (nid, total, parts)
    # (b) district − visible neighbourhoods.
    districts = out["districts"].set_index("nid")  # type: ignore[union-attr]
    hoods = grid_city(int(city["rows"]), int(city["cols"])).set_index("code")["district"]  # type: ignore[arg-type]
    for district in districts.index:
        members = hoods.index[hoods == district]
        for mid in MEASURES:
            total = districts.loc[district, f"n__{mid}"]
            parts = scores.loc[members, f"n__{mid}"].to_numpy(dtype=float)
            if not np.isnan(total) and np.isnan(parts).sum() == 1:
                derived = total - np.nansum(parts)
                assert not _is_small(derived, m), (district, mid, total, parts)
    # Never in public outputs: incident ids, stakeholder contacts.
    for name, value in out.items():
        text = value if isinstance(value, str) else value.to_csv()
        assert "INC-" not in text, name
        assert CONTACT not in text, name


def _published(out: dict[str, pd.DataFrame | str]) -> dict[str, object]:
    """The outputs without what legitimately changes between two runs (times, file bytes)."""
    keep: dict[str, object] = {}
    for name, value in out.items():
        if isinstance(value, pd.DataFrame):
            keep[name] = value.drop(
                columns=[c for c in value if "created" in c or "exported" in c], errors="ignore"
            ).reset_index(drop=True)
        elif name.startswith("report_"):
            # ISO stamps, and the printout's locale-formatted "1/12/2026 22:35 UTC" (two runs
            # either side of a minute boundary print different minutes).
            iso = re.sub(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?(\.\d+)?", "<time>", value)
            keep[name] = re.sub(r"\d{1,4}/\d{1,2}/\d{2,4} \d{2}:\d{2} UTC", "<time>", iso)
    return keep


SETTINGS = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(city=cities())
def test_no_small_value_is_revealed_directly_or_by_difference(
    city: dict[str, object], tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("prop")
    store = build(folder / "city", city)
    check_direct_and_difference(public_outputs(store, folder), city)


@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(city=cities(), data=st.data())
def test_changing_a_small_cell_changes_no_published_value(
    city: dict[str, object], data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    m = int(city["min_count"])  # type: ignore[arg-type]
    counts = [list(p) for p in city["counts"]]  # type: ignore[union-attr]
    small = [(i, j) for i, pair in enumerate(counts) for j, v in enumerate(pair) if _is_small(v, m)]
    if not small or m < 3:
        counts[0][0] = 1
        small = [(0, 0)]
    i, j = data.draw(st.sampled_from(small))
    other = data.draw(st.sampled_from([v for v in range(1, m) if v != counts[i][j]] or [1]))
    changed = [list(p) for p in counts]
    changed[i][j] = other
    if changed == counts:
        return
    first = {**city, "counts": [tuple(p) for p in counts]}
    second = {**city, "counts": [tuple(p) for p in changed]}
    folder = tmp_path_factory.mktemp("prop_c")
    one = _published(public_outputs(build(folder / "a", first), folder / "a"))
    two = _published(public_outputs(build(folder / "b", second), folder / "b"))
    assert one.keys() == two.keys()
    for name in one:
        if isinstance(one[name], pd.DataFrame):
            pd.testing.assert_frame_equal(one[name], two[name], obj=name)  # type: ignore[arg-type]
        else:
            assert one[name] == two[name], name
