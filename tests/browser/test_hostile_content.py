"""Hostile text (HTML/JavaScript in names, labels, notes, sources) renders as text on every page."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from citygeo.ingest import ingest_city
from citygeo.service.scoring import score_store
from citygeo.store import Store
from tests.browser.conftest import Dashboard, start_dashboard
from tests.browser.helpers import MAP, painted_colours
from tests.fixtures.city import BASE_CONFIG, grid_city
from tests.fixtures.methodologies import SMALL_CITY as METHODOLOGY

pytestmark = pytest.mark.browser

IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "</script><script>window.__xss=2</script>"


@pytest.fixture(scope="module")
def hostile_dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    folder = tmp_path_factory.mktemp("hostile")
    city = grid_city()
    city.loc[0, "name"] = f"{IMG}Cell one"
    city.loc[1, "name"] = f"Cell two {SCRIPT}"
    city.to_file(folder / "boundaries.geojson", driver="GeoJSON")
    pd.DataFrame(
        {
            "area_code": [f"N{i}" for i in range(1, 10)],
            "unemployed_pct": [float(i) for i in range(1, 10)],
            "income": [30000 - 1000 * i for i in range(1, 10)],
        }
    ).to_csv(folder / "indicators.csv", index=False)
    pd.DataFrame(
        {
            "indicator": ["unemployed_pct", "income"],
            "label": [f"Unemployment {IMG}", f"Income {SCRIPT}"],
            "unit": ["%", "€"],
        }
    ).to_csv(folder / "labels.csv", index=False)
    rows = [
        {
            "incident_id": f"I{i}-{k}",
            "date": "2024-05-01",
            "category": "hate_crime" if k % 2 else "hate_incident",
            "lon": -30.0 + ((i - 1) % 3 + 0.5) * 0.01,
            "lat": -45.0 + ((i - 1) // 3 + 0.5) * 0.01,
        }
        for i in range(1, 10)
        for k in range(3 * i)
    ]
    pd.DataFrame(rows).to_csv(folder / "incidents.csv", index=False)
    config = BASE_CONFIG.replace(
        'name = "Test Town"',
        f'name = "Test Town {IMG}"'.replace('"window', "'window").replace('1">', "1'>"),
    )
    config = 'indicator_labels = "labels.csv"\n' + config
    config = config.replace(
        'owner = "Police"', f'owner = "Police"\nknown_biases = "under-reporting {SCRIPT}"'
    )
    (folder / "city.toml").write_text(config)
    methodology = METHODOLOGY.replace('note = "test"', f'note = "why: {SCRIPT}"').replace(
        'label = "Hardship"', "label = \"Hardship <img src=x onerror='window.__xss=3'>\""
    )
    (folder / "methodology.toml").write_text(methodology)
    store = Store(folder / "store.duckdb")
    ingest_city(folder / "city.toml", store)
    score_store(store, folder / "methodology.toml", draws=20)
    app = start_dashboard(store.path, folder)
    yield app
    app.stop()


def _settle(page: object, text: str, timeout: float = 90.0) -> str:
    deadline = time.monotonic() + timeout
    body = ""
    while time.monotonic() < deadline:
        body = page.inner_text("body")  # type: ignore[attr-defined]
        if text in body and "Running..." not in body:
            time.sleep(1.0)
            return page.inner_text("body")  # type: ignore[attr-defined]
        time.sleep(0.5)
    raise AssertionError(f"{text!r} did not appear; the page shows: {body[:600]}")


def _no_injection(page: object) -> None:
    assert page.evaluate("() => window.__xss") is None  # type: ignore[attr-defined]
    assert page.locator('img[src="x"]').count() == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "path,literal",
    [
        ("/profile?nid=N1", "<img src=x"),
        ("/profile?nid=N2", "</script><script>"),
        ("/compare?nids=N1,N2,N3", "<img src=x"),
        ("/methodology", "<img src=x"),
        ("/data", "fictional city"),  # sources are in a canvas-drawn table: check no injection
        ("/registers", "fictional city"),
        ("/export", "fictional city"),
        ("/", "<img src=x"),
    ],
)
def test_pages_render_hostile_text_as_text(
    browser: object, hostile_dashboard: Dashboard, path: str, literal: str, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.goto(hostile_dashboard.url + path)
        body = _settle(page, "fictional city")
        assert literal in body, f"{literal!r} is not shown as text on {path}"
        _no_injection(page)
        assert not dialogs
        page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    finally:
        context.close()


def test_map_tooltip_shows_hostile_name_as_text(
    browser: object, hostile_dashboard: Dashboard
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page = context.new_page()
    try:
        page.goto(hostile_dashboard.url + "/?measure=risk_score")
        painted_colours(page)
        box = page.locator(MAP).first.bounding_box()
        texts = []
        # hover over a grid of points until the tooltip of N1 or N2 (bottom row) appears
        for fx in (0.2, 0.35, 0.5, 0.65, 0.8):
            for fy in (0.85, 0.75, 0.65):
                page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
                time.sleep(1.5)
                tip = page.locator(".deck-tooltip")
                if tip.count() and tip.first.is_visible():
                    texts.append(tip.first.inner_text())
                    if any("Cell one" in t or "Cell two" in t for t in texts):
                        break
            if any("Cell one" in t or "Cell two" in t for t in texts):
                break
        hostile = [t for t in texts if "Cell one" in t or "Cell two" in t]
        assert hostile, f"no tooltip of N1/N2 appeared (saw {texts[:3]})"
        assert "<img src=x" in hostile[0] or "<script>" in hostile[0]
        _no_injection(page)
    finally:
        context.close()
