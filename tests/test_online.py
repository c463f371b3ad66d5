"""Online signals: monthly series, spikes, lagged correlation and rates on constructed data."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from citygeo.errors import InputError
from citygeo.rules.online import (
    best_lag,
    detect_spikes,
    lagged_correlation,
    monthly_incidents,
    monthly_series,
    online_rates,
)


def _signals(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["period", "nid", "platform", "category", "count"])


def test_monthly_series_sums_platforms_and_fills_gaps() -> None:
    signals = _signals(
        [
            (dt.date(2024, 1, 3), "A", "x", "hate", 4),
            (dt.date(2024, 1, 20), "A", "y", "hate", 6),  # same month, other platform
            (dt.date(2024, 3, 1), "A", "x", "hate", 5),  # February missing: a zero
            (dt.date(2024, 3, 1), None, "x", "hate", 7),  # city-wide only
            (dt.date(2024, 4, 1), "B", "x", "conspiracy", 2),
        ]
    )
    series = monthly_series(signals)
    a = series[series["nid"] == "A"]
    assert list(a["period"]) == list(pd.date_range("2024-01-01", "2024-04-01", freq="MS"))
    assert list(a["count"]) == [10, 0, 5, 0]
    city = series[series["nid"].isna()]
    assert list(city["count"]) == [10, 0, 12, 2]  # 5 in A + 7 unplaced in March
    # Category filter keeps the span of the whole input: B has zeros from January.
    hate = monthly_series(signals, category="hate", nids=["A", "B", "C"])
    assert list(hate.loc[hate["nid"] == "B", "count"]) == [0, 0, 0, 0]
    assert list(hate.loc[hate["nid"] == "C", "count"]) == [0, 0, 0, 0]
    assert list(hate.loc[hate["nid"].isna(), "count"]) == [10, 0, 12, 0]


def test_monthly_series_rejects_negative_counts() -> None:
    with pytest.raises(InputError, match="count"):
        monthly_series(_signals([(dt.date(2024, 1, 1), "A", "x", "hate", -1)]))


def _series(counts: list[int], nid: str | None = "A") -> pd.DataFrame:
    periods = pd.date_range("2022-01-01", periods=len(counts), freq="MS")
    return pd.DataFrame({"nid": nid, "period": periods, "count": counts})


def test_spike_detection_known_threshold() -> None:
    # Twelve months alternating 10, 12: mean 11; sample sd = sqrt(12 · 1² / 11) = 1.044466;
    # threshold = 11 + 3 · 1.044466 = 14.133.  15 is a spike, 14 would not be.
    spikes = detect_spikes(_series([10, 12] * 6 + [15]))
    last = spikes.iloc[-1]
    assert last["baseline"] == pytest.approx(11.0)
    assert last["threshold"] == pytest.approx(11 + 3 * math.sqrt(12 / 11))
    assert bool(last["spike"])
    assert not detect_spikes(_series([10, 12] * 6 + [14]))["spike"].any()
    # Fewer than six months of history: no baseline, no spike, however large the jump.
    early = detect_spikes(_series([10, 10, 10, 10, 10, 500]))
    assert early["baseline"].isna().all()
    assert not early["spike"].any()


def test_spike_needs_a_minimum_count() -> None:
    # History all zeros (sd 0): 3 is above the threshold 0 but under min_count 10.
    quiet = detect_spikes(_series([0] * 8 + [3]))
    assert quiet.iloc[-1]["threshold"] == 0
    assert not quiet["spike"].any()
    assert detect_spikes(_series([0] * 8 + [10]))["spike"].tolist() == [False] * 8 + [True]


def test_spikes_use_only_the_trailing_window() -> None:
    # 12 months of 100 then 12 months of 10: month 25 (value 20) is judged against the
    # last 12 (all 10, sd 0), not the old 100s. Month 13 (10) is not a spike.
    spikes = detect_spikes(_series([100] * 12 + [10] * 12 + [20], nid=None))
    assert spikes.iloc[-1]["baseline"] == pytest.approx(10.0)
    assert spikes["spike"].tolist() == [False] * 24 + [True]
    assert spikes["nid"].isna().all()


# A non-periodic offline series over 24 months.
OFFLINE = [3, 7, 1, 8, 2, 9, 4, 6, 0, 5, 11, 2, 7, 3, 10, 1, 6, 8, 2, 12, 5, 0, 9, 4]


def _incidents(counts: list[int], nid: str, start: int = 0) -> pd.DataFrame:
    rows = []
    for month, count in enumerate(counts, start=start):
        day = dt.date(2022 + month // 12, month % 12 + 1, 15)
        rows += [(f"{nid}{month}-{i}", day, "hate_crime", nid) for i in range(count)]
    return pd.DataFrame(rows, columns=["incident_id", "occurred_on", "category", "nid"])


def _online(counts: list[int], nid: str, start: int) -> pd.DataFrame:
    rows = [
        (dt.date(2022 + m // 12, m % 12 + 1, 1), nid, "x", "hate", c)
        for m, c in enumerate(counts, start=start)
    ]
    return _signals(rows)


def test_online_two_months_after_offline_gives_lag_two_r_one() -> None:
    offline = monthly_incidents(_incidents(OFFLINE, "A"))
    # online[t] = 2 · offline[t − 2] + 1: the same signal, two months later.
    online = monthly_series(_online([2 * c + 1 for c in OFFLINE], "A", start=2))
    corr = lagged_correlation(online, offline, min_lag=0, max_lag=4)
    best = best_lag(corr)
    for place in (best[best["nid"] == "A"].iloc[0], best[best["nid"].isna()].iloc[0]):
        assert place["lag"] == 2
        assert place["r"] == pytest.approx(1.0)
        assert place["n"] == 24  # offline months 0..23 pair with online months 2..25
    at_zero = corr[(corr["nid"] == "A") & (corr["lag"] == 0)].iloc[0]
    assert at_zero["n"] == 22  # months 2..23 are in both series
    assert at_zero["r"] < 0.9


def test_online_leading_offline_is_a_negative_lag() -> None:
    offline = monthly_incidents(_incidents(OFFLINE, "A", start=1))
    online = monthly_series(_online(OFFLINE, "A", start=0))  # online one month earlier
    best = best_lag(lagged_correlation(online, offline, min_lag=-3, max_lag=3))
    assert best.loc[best["nid"] == "A", "lag"].iloc[0] == -1
    assert best.loc[best["nid"] == "A", "r"].iloc[0] == pytest.approx(1.0)


def test_constant_or_short_series_have_no_correlation() -> None:
    offline = monthly_incidents(_incidents([1] * 10, "A"))  # constant: r undefined
    online = monthly_series(_online(OFFLINE[:10], "A", start=0))
    corr = lagged_correlation(online, offline, max_lag=1)
    assert corr["r"].isna().all()
    best = best_lag(corr)
    assert best["lag"].isna().all()
    short = lagged_correlation(
        monthly_series(_online(OFFLINE[:5], "A", 0)),
        monthly_incidents(_incidents(OFFLINE[:5], "A")),
        max_lag=0,
    )
    assert short["n"].tolist() == [5, 5] and short["r"].isna().all()  # 5 < min_months 6
    with pytest.raises(InputError, match="min_lag"):
        lagged_correlation(online, offline, min_lag=3, max_lag=1)


def test_online_rates_per_thousand_annualised() -> None:
    # Signals run January to June 2024 (6 months): counts are doubled to a year.
    signals = _signals(
        [
            (dt.date(2024, 1, 1), "A", "x", "hate", 6),
            (dt.date(2024, 6, 1), "A", "y", "hate", 4),
            (dt.date(2024, 3, 1), "A", "x", "conspiracy", 1),
            (dt.date(2024, 3, 1), None, "x", "hate", 50),  # unplaced: in no neighbourhood
        ]
    )
    hoods = pd.DataFrame({"nid": ["A", "B", "C"], "population": [2000.0, 500.0, None]})
    rates = online_rates(signals, hoods, 2024).set_index(["nid", "category"])
    assert list(rates.columns) == ["year", "count", "rate"]
    # A hate: 10 in 6 months -> 20 a year, per 2,000 residents -> 10 per 1,000.
    assert rates.loc[("A", "hate"), "count"] == 10
    assert rates.loc[("A", "hate"), "rate"] == pytest.approx(10.0)
    assert rates.loc[("A", "all"), "rate"] == pytest.approx(11.0)  # (10 + 1) · 2 / 2
    assert rates.loc[("B", "hate"), "rate"] == 0.0  # monitored, nothing seen: a real zero
    assert pd.isna(rates.loc[("C", "hate"), "rate"])  # no population, no rate
    with pytest.raises(InputError, match="2023"):
        online_rates(signals, hoods, 2023)
