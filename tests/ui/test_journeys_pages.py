"""Issue 14 on the pages (AppTest): what the officials of the five journeys need to read and print."""

from __future__ import annotations

import pandas as pd

from tests.ui.conftest import Run


def _tables(at: object) -> list[pd.DataFrame]:
    return [t.value for t in at.table]  # type: ignore[attr-defined]


def test_profile_tables_are_drawn_whole_with_every_column(demo_app: Run) -> None:
    """Static tables: no inner scroll box on screen, every row and column in the browser's print."""
    at = demo_app("profile.py", nid="N017")
    assert not at.exception and not at.error
    assert not at.dataframe, "scrolling data grids hide rows and cut columns when printed"
    columns = [list(t.columns) for t in _tables(at)]
    assert ["Measure", "Domain", "Share of the index", "Value (0–100)", "Points of risk"] in columns
    assert ["Measure", "Value", "City median", "× median", "Reads as"] in columns
    partners = next(t for t in _tables(at) if "Partner" in t.columns)
    assert len(partners) >= 1
    survey = next(t for t in _tables(at) if "95% interval" in t.columns)
    assert (survey["n"].astype(int) > 0).all()
    for table in _tables(at):
        assert not table.astype(str).isin(["None", "nan", "<NA>"]).any().any(), table
