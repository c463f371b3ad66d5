"""The first page in headless Chromium: the map paints in several colours, offline."""

from __future__ import annotations

from pathlib import Path

import pytest

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
