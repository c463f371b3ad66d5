"""The CDC/ATSDR SVI reproduced exactly by ``examples/methodologies/svi-2022.toml``.

The published Pennsylvania county files (tests/fixtures/svi, public domain) are scored
from their ``EP_`` columns through the real engine, and every published level is
compared exactly: ``EPL_`` per variable, ``SPL_``/``RPL_`` per theme, ``SPL_THEMES`` and
``RPL_THEMES``. Hand-made cases pin ties (lowest rank), missing values and exact halves.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from citygeo.scoring import ScoringInputs, load_methodology, prepare, score_city
from citygeo.scoring.engine import domain_aggregates, index_aggregates, index_inputs
from citygeo.scoring.methodology import Methodology

ROOT = Path(__file__).resolve().parents[2]
SVI_FILE = ROOT / "examples" / "methodologies" / "svi-2022.toml"
FIXTURES = ROOT / "tests" / "fixtures" / "svi"
THEMES = {"socioeconomic": 1, "household": 2, "minority": 3, "housing": 4}


@pytest.fixture(scope="module")
def svi() -> Methodology:
    return load_methodology(SVI_FILE)


def published(path: Path) -> pd.DataFrame:
    """The CDC file as text (so published decimals stay exact), keyed by FIPS."""
    return pd.read_csv(path, dtype=str, encoding="utf-8-sig").set_index("FIPS", drop=False)


def svi_inputs(frame: pd.DataFrame, methodology: Methodology, year: int) -> ScoringInputs:
    """ScoringInputs from the ``EP_`` columns; CDC's -999 becomes NaN (missing)."""
    hoods = pd.DataFrame(
        {
            "nid": frame["FIPS"].to_numpy(),
            "name": frame["COUNTY"].to_numpy() if "COUNTY" in frame else frame["FIPS"].to_numpy(),
            "district": None,
            "population": 1000.0,
            "area_km2": 1.0,
        }
    )
    long = []
    for measure in methodology.measures:
        values = pd.to_numeric(frame[measure.indicator_name]).replace(-999, np.nan)
        long.append(
            pd.DataFrame(
                {
                    "nid": frame["FIPS"].to_numpy(),
                    "indicator": measure.indicator_name,
                    "year": year,
                    "grp": "all",
                    "value": values.to_numpy(dtype=float),
                }
            )
        )
    return ScoringInputs(
        neighbourhoods=hoods,
        indicator_values=pd.concat(long, ignore_index=True),
        incident_counts=pd.DataFrame(columns=["nid", "year", "category", "count"]),
        asset_counts=pd.DataFrame(columns=["nid", "kind", "theme", "count"]),
    )


def as_score(text: str) -> float:
    """A published 0–1 value on citygeo's 0–100 scale (NaN for CDC's -999)."""
    value = Decimal(text)
    return float("nan") if value == -999 else float(value * 100)


def expected(frame: pd.DataFrame, column: str) -> np.ndarray:
    return np.array([as_score(v) for v in frame[column]])


def assert_exact(actual: object, wanted: np.ndarray, what: str) -> None:
    got = np.asarray(actual, dtype=float)
    same = (got == wanted) | (np.isnan(got) & np.isnan(wanted))
    bad = np.flatnonzero(~same)
    assert not len(bad), (
        f"{what}: {len(bad)} differ, e.g. rows {bad[:3]}: {got[bad[:3]]} vs {wanted[bad[:3]]}"
    )


@pytest.mark.parametrize(
    ("name", "year"), [("SVI2020_PA_county_cdc.csv", 2020), ("SVI2022_PA_county_cdc.csv", 2022)]
)
def test_pennsylvania_counties_reproduced_exactly(svi: Methodology, name: str, year: int) -> None:
    frame = published(FIXTURES / name)
    inputs = svi_inputs(frame, svi, year)
    scores = score_city(inputs, svi, draws=50).set_index("nid").loc[frame.index]
    assert len(scores) == 67
    for measure in svi.measures:
        variable = measure.indicator_name.removeprefix("EP_")
        assert_exact(
            scores[f"measure__{measure.id}"], expected(frame, f"EPL_{variable}"), f"EPL_{variable}"
        )
    for domain, k in THEMES.items():
        assert_exact(scores[f"domain__{domain}"], expected(frame, f"RPL_THEME{k}"), f"RPL_THEME{k}")
    assert_exact(scores["risk_score"], expected(frame, "RPL_THEMES"), "RPL_THEMES")
    # the sums behind the ranks, from the same engine functions score_city uses
    prepared = prepare(inputs, svi)
    order = pd.Index(prepared.table.rows["nid"]).get_indexer(frame.index)
    sums = domain_aggregates(prepared, svi)[order]
    for j, (domain, k) in enumerate(THEMES.items()):
        assert [d.id for d in svi.domains][j] == domain
        assert_exact(sums[:, j], expected(frame, f"SPL_THEME{k}"), f"SPL_THEME{k}")
    overall = index_aggregates(index_inputs(prepared, svi)[1], prepared, svi, "risk")[order]
    assert_exact(overall, expected(frame, "SPL_THEMES"), "SPL_THEMES")
    # no protective index in the SVI: not scored, and so no typology
    assert scores["protective_score"].isna().all()
    assert scores["protective_rank"].isna().all() and scores["protective_decile"].isna().all()
    assert scores["typology"].isna().all()
    assert scores["risk_rank"].notna().all()
    assert scores["risk_rank_p05"].notna().all()  # the Monte Carlo ran on the risk index


def tiny_svi(values: dict[str, list[float]], svi: Methodology) -> pd.DataFrame:
    """Score a hand-made table (columns EP_*, one row per unit) with the SVI file."""
    n = len(next(iter(values.values())))
    frame = pd.DataFrame({"FIPS": [f"u{i}" for i in range(n)]})
    for measure in svi.measures:
        frame[measure.indicator_name] = values.get(measure.indicator_name, [1.0] * n)
    return score_city(svi_inputs(frame, svi, 2022), svi, draws=0).set_index("nid")


def test_ties_take_the_lowest_rank(svi: Methodology) -> None:
    # values 5, 7, 7, 9, 11: ranks 1, 2, 2, 4, 5 → (r − 1)/4 = 0, .25, .25, .75, 1
    scores = tiny_svi({"EP_MINRTY": [5.0, 7.0, 7.0, 9.0, 11.0]}, svi)
    assert scores["measure__minrty"].tolist() == [0.0, 25.0, 25.0, 75.0, 100.0]
    # theme 3 has one variable: its sum is the percentile, ranked again the same way
    assert scores["domain__minority"].tolist() == [0.0, 25.0, 25.0, 75.0, 100.0]
    # every other variable ties for all units: all get rank 1 → percentile 0
    assert (scores["measure__pov150"] == 0.0).all()


def test_missing_value_leaves_the_ranking_and_makes_theme_and_overall_missing(
    svi: Methodology,
) -> None:
    scores = tiny_svi(
        {"EP_POV150": [1.0, np.nan, 3.0, 2.0, 5.0], "EP_MINRTY": [5.0, 4.0, 3.0, 2.0, 1.0]}, svi
    )
    # u1 is left out: the other four are ranked among four, (r − 1)/3
    pov = scores["measure__pov150"]
    assert np.isnan(pov["u1"])
    assert pov[["u0", "u3", "u2", "u4"]].tolist() == [0.0, 33.33, 66.67, 100.0]
    assert np.isnan(scores.loc["u1", "domain__socioeconomic"])
    assert np.isnan(scores.loc["u1", "risk_score"]) and pd.isna(scores.loc["u1", "risk_rank"])
    # its other themes are still scored: theme 3 ranks all five units
    assert scores["domain__minority"].tolist() == [100.0, 75.0, 50.0, 25.0, 0.0]
    # the overall is ranked among the four units that have it. SPL_THEMES (in 0–100 units,
    # the other 14 variables tie at 0): u0 0 + 100 = 100, u2 66.67 + 50 = 116.67,
    # u3 33.33 + 25 = 58.33, u4 100 + 0 = 100 → ranks 2, 4, 1, 2 (tie lowest) of four
    overall = scores["risk_score"]
    assert overall[["u0", "u2", "u3", "u4"]].tolist() == [33.33, 100.0, 0.0, 33.33]


def test_exact_halves_round_up(svi: Methodology) -> None:
    # 33 units: (r − 1)/32 has exact halves at the fifth decimal: 1/32 = 0.03125 → 0.0313,
    # 3/32 = 0.09375 → 0.0938, 5/32 = 0.15625 → 0.1563 (round-half-even gives 0.0312, 0.0938,
    # 0.1562; binary floats of 1/32·100 are exact, so only half up gives CDC's figures)
    scores = tiny_svi({"EP_MINRTY": [float(i) for i in range(33)]}, svi)
    pct = scores["measure__minrty"].to_numpy()
    assert pct[1] == 3.13 and pct[3] == 9.38 and pct[5] == 15.63 and pct[31] == 96.88
    assert pct[2] == 6.25 and pct[16] == 50.0 and pct[32] == 100.0


def test_equal_decimal_sums_tie_exactly(svi: Methodology) -> None:
    # float sums of rounded percentiles differ in the last bit (0.1 + 0.2 ≠ 0.3); the
    # engine puts each exact decimal sum on one float, so equal sums tie (lowest rank)
    from citygeo.scoring.methodology import parse_methodology

    spec = {
        "version": "t",
        "normalisation": "percentile",
        "ties": "min",
        "round": 4,
        "aggregation": "sum",
        "rescale": "percentile",
        "missing": "propagate",
        "domains": [{"id": "d", "index": "risk"}],
        "measures": [
            {"id": "a", "domain": "d", "direction": "risk"},
            {"id": "b", "domain": "d", "direction": "risk"},
        ],
    }
    m = parse_methodology(spec)
    # 1001 units: percentile (r − 1)/1000, i.e. 0.1 per rank on the 0–100 scale;
    # u0 = 0.1 + 0.2 and u1 = 0.0 + 0.3 (exactly 0.3 both, but not as binary floats)
    n = 1001
    a = [1, 0, *range(2, n)]
    b = [2, 3, 0, 1, *range(4, n)]
    hoods = pd.DataFrame(
        {
            "nid": [f"u{i}" for i in range(n)],
            "name": "x",
            "district": None,
            "population": 1.0,
            "area_km2": 1.0,
        }
    )
    values = pd.DataFrame(
        {
            "nid": list(hoods["nid"]) * 2,
            "indicator": ["a"] * n + ["b"] * n,
            "year": 2022,
            "grp": "all",
            "value": np.array(a + b, dtype=float),
        }
    )
    inputs = ScoringInputs(
        hoods,
        values,
        pd.DataFrame(columns=["nid", "year", "category", "count"]),
        pd.DataFrame(columns=["nid", "kind", "theme", "count"]),
    )
    scores = score_city(inputs, m, draws=0).set_index("nid")
    assert 0.1 + 0.2 != 0.3  # the float trap the snap avoids
    assert (
        scores.loc["u0", "measure__a"] + scores.loc["u0", "measure__b"]
        != scores.loc["u1", "measure__b"]
    )
    assert scores.loc["u0", "domain__d"] == scores.loc["u1", "domain__d"]
    assert scores.loc["u0", "risk_rank"] == scores.loc["u1", "risk_rank"]
