"""The five journeys of DESIGN.md, walked in headless Chromium on the demo city, a screenshot
per step.

Runs on its own server and store copy (journey 4 saves a version). Screenshots go to a tmp
folder, or to $CITYGEO_JOURNEY_SHOTS when set (to look at them); $CITYGEO_JOURNEY_SIZES
(e.g. "1400x900,1920x1080") walks every journey at each window size (default 1400x900, the
laptop the issue names). Journey 3's ingest is the CLI's (tests/ingest); here the analyst
takes the GeoPackage from the export page.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import Dashboard, start_dashboard
from tests.browser.helpers import full_screenshot, painted_colours
from tests.browser.test_pages import _wait_text

pytestmark = pytest.mark.browser

SIZES = [
    tuple(int(v) for v in s.split("x"))
    for s in os.environ.get("CITYGEO_JOURNEY_SIZES", "1400x900").split(",")
    if s
]


@pytest.fixture(scope="module")
def own_dashboard(
    demo_store: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dashboard]:
    folder = tmp_path_factory.mktemp("journeys")
    copy = folder / "demo-copy.duckdb"
    shutil.copy2(demo_store, copy)
    app = start_dashboard(copy, folder)
    yield app
    app.stop()


class Walk:
    """A page at one window size that saves a numbered screenshot per step."""

    def __init__(self, page: object, folder: Path, name: str) -> None:
        self.page, self.folder, self.name, self.step = page, folder, name, 0

    def shot(self, what: str, whole: bool = False) -> Path:
        self.step += 1
        path = self.folder / f"{self.name}-{self.step:02d}-{what}.png"
        if whole:  # Streamlit scrolls inside its main block: grow the window to see all of it
            full_screenshot(self.page, str(path))
            return path
        self.page.mouse.move(5, 5)  # type: ignore[attr-defined]
        time.sleep(1.0)
        self.page.screenshot(path=str(path))  # type: ignore[attr-defined]
        return path


@pytest.fixture(params=SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def walk(
    request: pytest.FixtureRequest, browser: object, own_dashboard: Dashboard, tmp_path: Path
) -> Iterator[Walk]:
    width, height = request.param
    folder = Path(os.environ.get("CITYGEO_JOURNEY_SHOTS") or tmp_path) / f"{width}x{height}"
    folder.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(
        viewport={"width": width, "height": height},  # type: ignore[attr-defined]
        accept_downloads=True,
    )
    page = context.new_page()
    page.base = own_dashboard.url  # type: ignore[attr-defined]
    try:
        yield Walk(page, folder, request.node.originalname.removeprefix("test_"))
    finally:
        context.close()


def _pick(page: object, label: str, text: str) -> None:
    """Type into a searchable selectbox and take the first match (keyboard only)."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).locator("input")  # type: ignore[attr-defined]
    box.first.click()
    page.keyboard.type(text)  # type: ignore[attr-defined]
    time.sleep(0.5)
    page.keyboard.press("Enter")  # type: ignore[attr-defined]


def _inside_window(page: object, text: str) -> bool:
    """Whether the first element showing ``text`` ends inside the window's width."""
    box = page.get_by_text(text, exact=True).first.bounding_box()  # type: ignore[attr-defined]
    return box is not None and box["x"] + box["width"] <= page.viewport_size["width"]  # type: ignore[attr-defined]


def test_official_before_a_council_meeting(walk: Walk, pdf_tools: None) -> None:
    page = walk.page
    page.goto(page.base + "/?measure=risk_score")  # type: ignore[attr-defined]
    _, colours = painted_colours(page, min_colours=3)  # wait for what is asserted
    assert colours >= 3
    walk.shot("map")
    _pick(page, "Open a neighbourhood's profile", "N017")
    body = _wait_text(page, "What drives the risk score")
    assert "/profile?nid=N017" in page.url  # type: ignore[attr-defined]
    assert "rank 13 of 150" in body and "n = 51" in body
    walk.shot("profile")
    assert _inside_window(page, "Points of risk"), "the drivers' answer column is off-screen"
    assert page.locator('[data-testid="stDataFrame"]').count() == 0  # no inner scroll boxes
    walk.shot("profile-whole", whole=True)
    pdf = walk.folder / "profile-N017.pdf"
    page.emulate_media(media="print")  # type: ignore[attr-defined]
    page.pdf(path=str(pdf), format="A4", print_background=True)  # type: ignore[attr-defined]
    page.emulate_media(media="screen")  # type: ignore[attr-defined]
    text = " ".join(
        subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    for wanted in (
        "Points of risk",
        "Reads as",
        "95% interval",
        "Local partners working here",
        "Last consulted on",
        "Groups not heard",
        "Where this neighbourhood stands out (top tenth of the city)",
        "Caveats",
    ):
        assert wanted in text, f"{wanted!r} is not in the printout"
    # the last rows of the long tables are printed too (none hidden in a scroll box)
    assert "Averlane Police - Hate Crime Unit" in text and "Trust in local government" in text


def test_planner_compares_four_neighbourhoods(walk: Walk) -> None:
    page = walk.page
    page.goto(page.base + "/compare?nids=N001,N017,N045,N027")  # type: ignore[attr-defined]
    body = _wait_text(page, "(rank 1 = highest risk)")
    assert "places, to" in body or "same place" in body or "not comparable, because" in body
    assert "worst value is marked orange and “worse”, the best blue and “better”" in body
    walk.shot("compare", whole=True)
    with page.expect_download(timeout=120_000) as info:  # type: ignore[attr-defined]
        page.get_by_text("Download this table (CSV)").click()  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text())))
    assert len(rows) == 4 and rows[0]["Year"] == "2026"
    assert rows[0]["City"].endswith("(fictional city, synthetic data)")


def test_gis_analyst_takes_the_geopackage(walk: Walk) -> None:
    page = walk.page
    page.goto(page.base + "/export")  # type: ignore[attr-defined]
    _wait_text(page, "zip because it holds two files")
    _pick(page, "Format", "GeoPackage")
    _wait_text(page, ".gpkg (with its")
    walk.shot("export")
    with page.expect_download(timeout=180_000) as info:  # type: ignore[attr-defined]
        page.get_by_role("button", name=".gpkg (with its").first.click()  # type: ignore[attr-defined]
    names = zipfile.ZipFile(info.value.path()).namelist()
    assert any(n.endswith(".gpkg") for n in names) and any(n.endswith(".meta.json") for n in names)


def test_coordinator_reviews_the_methodology(walk: Walk) -> None:
    page = walk.page
    page.goto(page.base + "/methodology")  # type: ignore[attr-defined]
    _wait_text(page, "Your proposal:")
    walk.shot("methodology")
    slider = (
        page.locator('[data-testid="stSlider"]')
        .filter(has_text="Hate, extremism")
        .get_by_role("slider")
    )  # type: ignore[attr-defined]
    slider.focus()
    page.keyboard.press("End")  # type: ignore[attr-defined]
    try:
        _wait_text(page, "neighbourhoods change rank; the largest move is", timeout=40)
    except (
        AssertionError
    ):  # a walk at another window size saved this weight already: move it the other way
        slider.focus()
        page.keyboard.press("Home")  # type: ignore[attr-defined]
        _wait_text(page, "neighbourhoods change rank; the largest move is")
    walk.shot("weight-moved", whole=True)
    version = page.get_by_label("Version", exact=True).first.input_value()  # type: ignore[attr-defined]
    page.get_by_label("Note: why this version differs from the last one").fill(
        "Tensions count double (journey)"
    )  # type: ignore[attr-defined]
    page.get_by_role("button", name="Save new version").click()  # type: ignore[attr-defined]
    _wait_text(page, f"Saved version {version}", timeout=240)
    # the success line is drawn first; the header below it follows in the same rerun
    body = _wait_text(page, f"Current version {version}", timeout=60)
    assert "Current version 2025.1" not in body
    walk.shot("saved")


def test_engagement_officer_finds_who_was_not_heard(walk: Walk) -> None:
    page = walk.page
    page.goto(page.base + "/registers")  # type: ignore[attr-defined]
    _wait_text(page, "Not heard in the last 12 months")
    body = _wait_text(page, "LGBTQ+ people")
    assert "lgbtq" not in body
    walk.shot("registers", whole=True)
    _pick(page, "Look into a group", "recent")
    _wait_text(page, "Local partners working there")
    time.sleep(2)
    walk.shot("group-drill", whole=True)
