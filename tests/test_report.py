"""The printable neighbourhood profile (issue 5): escaping, drivers, privacy, CLI."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from citygeo.errors import CitygeoError, InputError
from citygeo.outputs.report import print_to_pdf, render_profile_html, shapes_of
from citygeo.outputs.svg import neighbours_of
from citygeo.service.city import load
from citygeo.service.profile import Profile, profile
from citygeo.store import Store
from tests.fixtures.city import run_cli
from tests.fixtures.town import HOSTILE, build_city

ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The export test town, with a hostile name on N3 and on a source."""
    return build_city(tmp_path_factory.mktemp("report-town"), names={"N3": HOSTILE})


def test_hostile_names_are_escaped(town: Store) -> None:
    for nid in ("N3", "N2"):  # N3 itself, and N2 whose neighbour N3 is
        page = render_profile_html(town, nid)
        assert HOSTILE not in page
        assert "<img" not in page and "onerror=alert" not in page.replace(ESCAPED, "")
        assert ESCAPED in page
    assert "<h1>" + ESCAPED + "</h1>" in render_profile_html(town, "N3")


def test_page_is_self_contained_and_sized_for_a4(town: Store) -> None:
    page = render_profile_html(town, "N4")
    assert "@page { size: A4;" in page
    assert not re.search(r"<(script|link|img|iframe|object)\b", page)
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert urls == {"http://www.w3.org/2000/svg"}  # the SVG namespace, never fetched
    assert page.count("<svg") == 2  # the map and the drivers (one scored year: no trend line)
    assert "Fictional city." in page and "A fictional test town." in page


def test_trend_chart_needs_two_years_and_map_draws_the_neighbours(town: Store) -> None:
    page = render_profile_html(town, "N3")
    # one scored year: map + drivers, no trend line
    assert page.count('class="trend"') == 0 and page.count('class="map"') == 1
    assert sorted(neighbours_of(shapes_of(town), "N3")["nid"]) == ["N2", "N4"]
    assert page.count('<path class="nb"') == 2 and page.count('<path class="me"') == 1
    # the frame (N2–N4 plus 8% padding) cuts into N1 and N5: drawn light, as context
    assert page.count('<path class="ctx"') == 2


def _profile(town: Store, nid: str, mode: str = "public") -> Profile:
    return profile(load(town, mode=mode), nid)


def test_drivers_add_up_to_the_risk_score(town: Store) -> None:
    """Two equally weighted risk domains with one measure each: every contribution is half
    the normalised measure, and they add up to the risk score (arithmetic mean)."""
    for nid in ("N1", "N2", "N3", "N4", "N5"):
        p = _profile(town, nid, mode="analyst")
        drivers = p.drivers.set_index("measure")
        assert set(drivers.index) == {"hate_rate", "unemployed_pct"}
        assert drivers["contribution"].notna().all()
        assert drivers["contribution"].to_numpy() == pytest.approx(
            0.5 * drivers["normalised"].to_numpy(), abs=1e-9
        )
        assert drivers["contribution"].sum() == pytest.approx(float(p.row["risk_score"]), abs=1e-9)  # type: ignore[index, arg-type]
    # by hand: unemployed 4, 9, 6, 12, 7 → minmax over 4..12; N4 is the maximum → 100 → 50 points
    n4 = _profile(town, "N4", mode="analyst").drivers.set_index("measure")
    assert n4.loc["unemployed_pct", "contribution"] == pytest.approx(50.0)
    # hate rate N5 = 2.4 per 1,000 is the maximum → 100 → 50 points
    n5 = _profile(town, "N5", mode="analyst")
    assert n5.row["raw__hate_rate"] == pytest.approx(2.4)  # type: ignore[index]
    assert n5.drivers.set_index("measure").loc["hate_rate", "contribution"] == pytest.approx(50.0)


def test_public_profile_withholds_small_counts(town: Store) -> None:
    public = _profile(town, "N2").drivers.set_index("measure")
    assert np.isnan(public.loc["hate_rate", "contribution"])
    assert not np.isnan(public.loc["unemployed_pct", "contribution"])
    page = render_profile_html(town, "N2")
    assert "fewer than 5 events" in page
    assert "0.50" not in page  # N2's rate (1 / 2,000 × 1,000) is not shown
    analyst_page = render_profile_html(town, "N2", mode="analyst")
    assert "0.50" in analyst_page and "Sensitive" in analyst_page


def test_the_printout_holds_what_the_page_shows(town: Store) -> None:
    """One profile, two renderings: the printout carries the headline, every section of the
    page (survey, consultation, mechanisms and partners) and the measures against the median."""
    p = _profile(town, "N4")
    page = render_profile_html(town, "N4")
    for heading in (
        "Scores",
        "What drives the risk score",
        "Each measure against the city median",
        "Trend over the years",
        "Survey results",
        "Consultation",
        "Mechanisms and partners serving it",
        "Where this neighbourhood stands out (top tenth of the city)",
        "Caveats",
        "Sources",
    ):
        assert f"<h2>{heading}</h2>" in page
    assert p.headline in page.replace("&#x27;", "'")
    assert p.consultation_text in page


def test_fictional_notice_only_for_fictional_cities(town: Store, tmp_path: Path) -> None:
    assert "Fictional city." in render_profile_html(town, "N1")
    copy = Store(tmp_path / "real.duckdb")
    copy.path.write_bytes(town.path.read_bytes())
    with copy.writer() as con:
        con.execute("UPDATE city SET value = 'False' WHERE key = 'fictional'")
    assert "Fictional city." not in render_profile_html(copy, "N1")


def test_unknown_nid_is_a_clear_error(
    town: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(InputError, match="No neighbourhood has the code 'N99'"):
        render_profile_html(town, "N99")
    out = tmp_path / "p.html"
    code, _, err = run_cli(
        ["report", "--nid", "N99", "--out", str(out), "--store", str(town.path)], capsys
    )
    assert code == 2 and "N99" in err and "Traceback" not in err and not out.exists()


def test_cli_report_writes_the_page_and_needs_force_to_replace(
    town: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "n4.html"
    args = ["report", "--nid", "N4", "--out", str(out), "--store", str(town.path)]
    code, _, _ = run_cli(args, capsys)
    assert code == 0 and "<h1>Cell 4</h1>" in out.read_text(encoding="utf-8")
    code, _, err = run_cli(args, capsys)
    assert code == 2 and "--force" in err
    code, _, _ = run_cli([*args, "--force", "--year", "2024"], capsys)
    assert code == 0


def test_pdf_without_chromium_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CitygeoError, match="needs Chromium at /nonexistent/chromium"):
        print_to_pdf("<p>x</p>", tmp_path / "x.pdf", chromium="/nonexistent/chromium")
    assert list(tmp_path.iterdir()) == []


def test_the_printout_says_where_it_stands_out_apart_from_the_caveats(town: Store) -> None:
    hoods = [f"N{i}" for i in range(1, 7)]
    out = next(n for n in hoods if _profile(town, n).stands_out)
    calm = next((n for n in hoods if not _profile(town, n).stands_out), None)
    page = render_profile_html(town, out).replace("&#x27;", "'")
    stands = page.index("<h2>Where this neighbourhood stands out (top tenth of the city)</h2>")
    caveats = page.index("<h2>Caveats</h2>")
    assert stands < caveats
    for label in _profile(town, out).stands_out:
        assert f"<li>{label}</li>" in page[stands:caveats]
    assert "among the top tenth of the city." not in page  # no longer worded as a caveat
    assert "Local Moran's I of the risk score" in page[caveats:]  # the methodology note
    assert "(high-high)" not in page and "(low-high)" not in page
    if calm is not None:
        assert "Not among the top tenth of the city for any risk measure." in render_profile_html(
            town, calm
        )
