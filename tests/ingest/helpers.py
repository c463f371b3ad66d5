"""Shared helpers of the real-world input tests: a methodology file, ingest and score by the CLI."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

from citygeo.service.city import read_scores
from citygeo.store import Store
from tests.conftest import file_digest, run_cli

HATE_METHODOLOGY = """
version = "t1"
normalisation = "minmax"
min_count = 2

[[domains]]
id = "hardship"
index = "risk"

[[domains]]
id = "tensions"
index = "risk"

[[measures]]
id = "unemployed_pct"
domain = "hardship"
direction = "risk"

[[measures]]
id = "hate_rate"
domain = "tensions"
direction = "risk"
from = "incidents"
categories = ["hate_crime", "hate_incident"]
per = 1000
denominator = "population"
"""


def write_methodology(folder: Path, text: str = HATE_METHODOLOGY) -> Path:
    path = folder / "methodology.toml"
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def ingest(config: Path, store: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Ingest by the CLI (must succeed); returns what it printed."""
    code, out, err = run_cli(["ingest", str(config), "--store", str(store)], capsys)
    assert code == 0, err
    return out + err


def ingest_fails(
    config: Path, store: Path, capsys: pytest.CaptureFixture[str], *expected: str
) -> str:
    """Ingest by the CLI: exit 2, no traceback, the store byte for byte as before."""
    before = file_digest(store)
    code, _, err = run_cli(["ingest", str(config), "--store", str(store)], capsys)
    assert code == 2, err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, f"{text!r} not in message:\n{err}"
    assert file_digest(store) == before, "the store changed after a failed ingest"
    return err


def score(store: Path, methodology: Path, capsys: pytest.CaptureFixture[str]) -> pd.DataFrame:
    """Score by the CLI and read the scores back in the analyst view, indexed by nid."""
    code, _, err = run_cli(
        ["score", "--store", str(store), "--methodology", str(methodology)], capsys
    )
    assert code == 0, err
    return read_scores(Store(store), mode="analyst").set_index("nid")
