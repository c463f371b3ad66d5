"""Risk-only and protective-only methodologies end to end: the other index is null and every
output says "not scored" in plain words (issue 13)."""

from __future__ import annotations

import geopandas as gpd
import pytest

from citygeo.outputs.report import render_profile_html
from citygeo.service.city import load, read_scores
from citygeo.service.profile import profile
from citygeo.store import Store
from tests.fixtures.city import SmallCity, run_cli
from tests.fixtures.methodologies import PROTECTIVE_ONLY, RISK_ONLY


@pytest.mark.parametrize(
    "text,scored,missing",
    [(RISK_ONLY, "risk", "protective"), (PROTECTIVE_ONLY, "protective", "risk")],
)
def test_one_index_scores_end_to_end(
    small_city: SmallCity, capsys: pytest.CaptureFixture[str], text: str, scored: str, missing: str
) -> None:
    assert (
        run_cli(["ingest", str(small_city.config), "--store", str(small_city.store)], capsys)[0]
        == 0
    )
    method = small_city.write("one.toml", text)
    code, _, err = run_cli(
        ["score", "--store", str(small_city.store), "--methodology", str(method), "--draws", "20"],
        capsys,
    )
    assert code == 0, err
    store = Store(small_city.store)
    scores = read_scores(store)
    assert scores[f"{scored}_score"].notna().all() and scores[f"{scored}_rank"].notna().all()
    for column in (f"{missing}_score", f"{missing}_rank", f"{missing}_decile", "typology"):
        assert scores[column].isna().all(), column
    if missing == "risk":
        assert scores["risk_rank_p05"].isna().all()
    out = small_city.folder / "one.gpkg"
    assert (
        run_cli(
            ["export", "--format", "gpkg", "--out", str(out), "--store", str(store.path)], capsys
        )[0]
        == 0
    )
    exported = gpd.read_file(out)
    assert exported[f"{missing}_score"].isna().all() and exported[f"{scored}_score"].notna().all()
    p = profile(load(store), "N5")
    assert f"{missing} index not scored (this methodology has no {missing} domains)" in p.headline
    page = render_profile_html(store, "N5")
    assert f"{missing} index not scored (this methodology has no {missing} domains)" in page
    assert "not scored: it needs both indices" in page  # the typology
