"""Accessibility of the seven pages in the three languages (issue 15), audited by axe-core in
headless Chromium: no critical or serious violation anywhere; the keyboard alone reaches a
named neighbourhood's profile from the map."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.browser.helpers import MAP, wait_text

pytestmark = pytest.mark.browser

PAGES = {
    "map": "/?",
    "profile": "/profile?nid=N017&",
    "compare": "/compare?nids=N001,N017,N045&",
    "methodology": "/methodology?",
    "data": "/data?",
    "registers": "/registers?",
    "export": "/export?",
}
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
def test_no_serious_violations(
    page: object, dashboard: object, tmp_path: Path, name: str, lang: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page.goto(f"{dashboard.url}{PAGES[name]}lang={lang}")  # type: ignore[attr-defined]
    _settled(page, name, lang)
    results = Axe().run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    page.screenshot(path=str(tmp_path / f"{name}-{lang}.png"), full_page=True)  # type: ignore[attr-defined]
    found = {
        v["id"]: [(n["target"], n.get("failureSummary", "")[:200]) for n in v["nodes"][:3]]
        for v in blocking
    }
    assert found == {}, f"{name} ({lang}): {found}"


FOCUSED_IN = """(text) => { const el = document.activeElement;
  const box = el && el.closest('[data-testid="stSelectbox"]');
  return !!box && box.innerText.includes(text); }"""


@pytest.mark.parametrize(
    ("lang", "label"), [("en", "Open a neighbourhood's profile"), ("ar", "افتح بطاقة حي")]
)
def test_keyboard_alone_reaches_a_named_profile(
    page: object, dashboard: object, tmp_path: Path, lang: str, label: str
) -> None:
    """Tab to the map page's neighbourhood search, type a name, Enter: the profile opens (no
    mouse, no address typed), in the same language."""
    page.goto(f"{dashboard.url}/?lang={lang}")  # type: ignore[attr-defined]
    _settled(page, "map", lang)
    for _presses in range(60):
        if page.evaluate(FOCUSED_IN, label):  # type: ignore[attr-defined]
            break
        page.keyboard.press("Tab")  # type: ignore[attr-defined]
    else:
        raise AssertionError(f"Tab never reached the search labelled {label!r}")
    page.keyboard.type("Thistlebrook Hill", delay=40)  # type: ignore[attr-defined]
    time.sleep(1.0)
    page.screenshot(path=str(tmp_path / f"keyboard-typed-{lang}.png"))  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    time.sleep(3)
    page.screenshot(path=str(tmp_path / f"keyboard-entered-{lang}.png"))  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while "/profile" not in page.url and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.3)
    assert "/profile" in page.url and "nid=N017" in page.url, page.url  # type: ignore[attr-defined]
    wait_text(page, "Thistlebrook Hill (N017)")
    deadline = time.monotonic() + 10
    while f"lang={lang}" not in page.url and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.3)
    assert f"lang={lang}" in page.url  # type: ignore[attr-defined]
    page.screenshot(path=str(tmp_path / f"keyboard-profile-{lang}.png"))  # type: ignore[attr-defined]
