"""The demo city's survey: sizes, weights, answers, the under-represented 16-24 band, and
trust lower where deprivation is higher."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tests.demo.conftest import read_history


def test_survey(socio: pd.DataFrame, data_dir: Path) -> None:
    survey = read_history("survey/responses.csv")
    assert list(survey.columns) == [
        "response_id",
        "nid",
        "year",
        "weight",
        "age_band",
        "gender",
        "trust_local_gov",
        "feel_safe",
        "experienced_hate",
        "trust_neighbours",
    ]
    # ~48 a neighbourhood a year: enough that only ~10 fall under the 30 of min_sample
    assert 12_000 <= len(survey) <= 16_000 and survey.response_id.is_unique
    assert set(survey.year) == {2025, 2026}
    assert survey.weight.between(0.4, 3.0).all()
    assert set(survey.gender) == {"female", "male", "other"}
    assert set(survey.trust_local_gov) == set(survey.trust_neighbours) == {1, 2, 3, 4, 5}
    assert set(survey.feel_safe) == set(survey.experienced_hate) == {0, 1}
    sizes = survey.groupby(["year", "nid"]).size()
    for year in (2025, 2026):
        assert 8 <= (sizes.loc[year] < 30).sum() <= 12
    # the 16-24 band is under-represented in several neighbourhoods
    groups = read_history("indicators/population_groups.csv")
    pop_share = groups[groups.year == 2026].pivot(
        index="area_code", columns="age_band", values="population"
    )
    pop_share = pop_share["16-24"] / pop_share.sum(axis=1)
    sample = survey[survey.year == 2026]
    sample_share = (sample.age_band == "16-24").groupby(sample.nid).mean()
    assert (sample_share < 0.4 * pop_share.loc[sample_share.index]).sum() >= 5
    # trust is lower where deprivation is higher
    sample = sample.assign(wt=sample.weight * sample.trust_local_gov)
    trust = sample.groupby("nid").wt.sum() / sample.groupby("nid").weight.sum()
    unemployed = socio[socio.year == 2026].set_index("area_code").unemployed_pct
    assert np.corrcoef(trust, unemployed.loc[trust.index])[0, 1] < -0.3
