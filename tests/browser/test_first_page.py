"""The first page in headless Chromium: the map paints in several colours, offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import start_dashboard
from tests.browser.helpers import MAP, painted_colours

pytestmark = pytest.mark.browser


def test_map_paints_and_says_fictional(page: object, dashboard: object, tmp_path: Path) -> None:
    page.goto(dashboard.url + "/")  # type: ignore[attr-defined]
    _pixels, colours = painted_colours(page)
    page.screenshot(path=str(tmp_path / "map.png"), full_page=True)  # type: ignore[attr-defined]
    assert colours >= 3, f"the map painted only {colours} colours (see {tmp_path / 'map.png'})"
    body = page.inner_text("body")  # type: ignore[attr-defined]
    assert "fictional city" in body
    assert "Port Averlane" in body
    assert page.locator(MAP).count() == 1  # type: ignore[attr-defined]


def test_serve_py_paints_the_map_from_a_file_gzipped_once(
    browser: object, demo_store: Path, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """``streamlit run serve.py``: the same dashboard, its map file sent by the middleware
    (gzipped once, marked immutable), and the map paints from it."""
    served = start_dashboard(demo_store, tmp_path_factory.mktemp("serve"), script="serve.py")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        files: list[object] = []
        page.on(
            "response",
            lambda r: (
                files.append(r) if "/app/static/" in r.url and r.url.endswith(".geojson") else None
            ),
        )
        page.goto(served.url + "/")
        _pixels, colours = painted_colours(page)
        page.screenshot(path=str(tmp_path / "map.png"), full_page=True)
        assert colours >= 3, f"the map painted only {colours} colours (see {tmp_path / 'map.png'})"
        assert "fictional city" in page.inner_text("body")
        assert files, "the map's outlines file was not fetched"
        for response in files:
            headers = response.headers  # type: ignore[attr-defined]
            assert headers.get("content-encoding") == "gzip", headers
            assert headers.get("cache-control", "").endswith("immutable"), headers
    finally:
        context.close()
        served.stop()
