"""Journey 4 in the browser, on its own server and store copy (it writes): a weight moves ranks,
saving a new version changes the map and makes the years "not comparable"."""

from __future__ import annotations

import io
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import Dashboard, start_dashboard
from tests.browser.helpers import MAP, full_screenshot, painted_colours
from tests.browser.test_pages import _wait_text

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def own_dashboard(
    demo_store: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dashboard]:
    folder = tmp_path_factory.mktemp("methodology")
    copy = folder / "demo-copy.duckdb"
    shutil.copy2(demo_store, copy)
    app = start_dashboard(copy, folder)
    yield app
    app.stop()


def _map_pixels(page: object) -> np.ndarray:
    painted_colours(page)
    time.sleep(1.5)
    shot = page.locator(MAP).first.screenshot()  # type: ignore[attr-defined]
    return np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")).astype(int)


def test_a_saved_weight_changes_the_map_and_marks_years_not_comparable(
    browser: object, own_dashboard: Dashboard, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page = context.new_page()
    try:
        page.goto(own_dashboard.url + "/?measure=risk_score&year=2026")
        before = _map_pixels(page)
        page.goto(own_dashboard.url + "/methodology")
        _wait_text(page, "No risk rank moves with these settings.")
        slider = (
            page.locator('[data-testid="stSlider"]')
            .filter(has_text="Hate, extremism")
            .get_by_role("slider")
        )
        slider.focus()
        page.keyboard.press("End")  # tensions weight 1.5 → 3
        body = _wait_text(page, "neighbourhoods change rank; the largest move is")
        move = re.search(r"the largest move is .*?, (N\d+): rank (\d+) → (\d+)\.", body)
        assert move, body[:2000]
        nid, new_rank = move.group(1), int(move.group(3))
        page.get_by_label("Note: why this version differs from the last one").fill(
            "Tensions count double (test)"
        )
        page.get_by_role("button", name="Save new version").click()
        _wait_text(page, "Saved version 2025.2 for 2026.", timeout=180)
        full_screenshot(page, str(tmp_path / "methodology-saved.png"))

        page.goto(own_dashboard.url + "/?measure=risk_score&year=2026")
        _wait_text(page, "methodology 2025.2")
        after = _map_pixels(page)
        changed = (np.abs(before - after).sum(axis=2) > 30).mean()
        assert changed > 0.005, f"only {changed:.2%} of the map's pixels changed"

        page.goto(own_dashboard.url + f"/profile?nid={nid}")
        body = _wait_text(page, "Trend over the years")
        assert f"{new_rank} of 150" in body
        body = _wait_text(
            page,
            "not comparable, because methodology 2025.1 → 2025.2 changed: "
            "weights of Hate, extremism and intercommunal tensions 1.5 → 3",
        )
        full_screenshot(page, str(tmp_path / "profile-not-comparable.png"))
    finally:
        context.close()
