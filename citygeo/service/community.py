"""What the community side of a profile shows: survey results with intervals and n, online
signals, the partners serving a neighbourhood (local apart from city-wide), consultations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from citygeo.rules.online import detect_spikes, monthly_series
from citygeo.rules.privacy import (
    public_stakeholders,
)
from citygeo.rules.registers import (
    last_heard,
    not_heard,
    partners_serving,
)
from citygeo.rules.survey import weighted_estimates
from citygeo.schema import DEFAULT_GROUP
from citygeo.scoring import Methodology
from citygeo.service.city import (
    CityData,
    empty_frame,
)
from citygeo.words import (
    measure_label,
)


def _survey_groups(responses: pd.DataFrame) -> list[str]:
    return [
        c
        for c in responses.columns
        if c not in {"response_id", "nid", "year", "weight", "item", "value"}
    ]


def survey_results(
    city: CityData, nid: str, year: int | None, methodology: Methodology | None
) -> tuple[pd.DataFrame, int]:
    """Weighted survey results of one neighbourhood with 95 % intervals and n.

    An item that a measure reads as ``share_at_least:k`` is reported as the share answering
    k or more (in %); others as the weighted mean. Returns the rows and how many were hidden
    as unreliable (public mode hides estimates with an effective n under ``min_sample``).
    """
    columns = [
        "item",
        "label",
        "grp_var",
        "grp",
        "estimate",
        "ci_low",
        "ci_high",
        "n",
        "n_eff",
        "unreliable",
        "unit",
    ]
    public = city.public
    responses = city.table("survey_responses")
    if year is None or responses.empty:
        return empty_frame(columns), 0
    responses = responses[(responses["nid"] == nid) & (responses["year"] == year)]
    if responses.empty:
        return empty_frame(columns), 0
    min_sample = methodology.min_sample if methodology else 30
    shares = {
        m.survey_item: float(m.survey_transform.split(":")[1])
        for m in (methodology.measures if methodology else ())
        if m.source == "survey" and m.survey_transform.startswith("share_at_least")
    }
    answers = responses.copy()
    for item, k in shares.items():
        chosen = answers["item"] == item
        answers.loc[chosen, "value"] = (answers.loc[chosen, "value"] >= k).astype(float)
    est = weighted_estimates(answers, _survey_groups(responses), min_sample=min_sample)
    est = est[est["nid"] == nid].copy()
    binary = answers.groupby("item")["value"].agg(lambda v: bool(v.dropna().isin([0.0, 1.0]).all()))
    est["unit"] = est["item"].map(lambda i: "%" if bool(binary.get(i, False)) else "mean")
    for col in ("estimate", "ci_low", "ci_high"):
        est[col] = np.where(est["unit"] == "%", est[col] * 100, est[col])
    labels = {
        m.survey_item: measure_label(methodology, m.id)
        for m in (methodology.measures if methodology else ())
        if m.source == "survey"
    }
    est["label"] = est["item"].map(lambda i: labels.get(i, str(i).replace("_", " ")))
    hidden = int(est["unreliable"].sum()) if public else 0
    if public:
        est = est[~est["unreliable"]]
    est = est.sort_values(
        ["item", "grp_var", "grp"], key=lambda s: s if s.name != "grp_var" else s != "all"
    )
    return est[columns].reset_index(drop=True), hidden


def online_trend(city: CityData, nid: str) -> pd.DataFrame:
    """Monthly online signals in one neighbourhood with spikes: ``period, count, spike``."""
    signals = city.table("online_signals")
    if signals.empty:
        return empty_frame(["period", "count", "spike"])
    signals = signals[signals["nid"] == nid]
    if signals.empty:
        return empty_frame(["period", "count", "spike"])
    series = detect_spikes(monthly_series(signals, nids=[nid]))
    series = series[series["nid"] == nid]
    return series[["period", "count", "spike"]].reset_index(drop=True)


def _stakeholders(city: CityData) -> pd.DataFrame:
    frame = city.table("stakeholders")
    if frame.empty:
        return pd.DataFrame(columns=["stakeholder_id", "name", "sector", "themes", "serves"])
    return public_stakeholders(frame)


def partners_for(city: CityData, nids: Sequence[str]) -> pd.DataFrame:
    """Partners serving the neighbourhoods (no contact details, in every mode), local ones first:
    ``nid, stakeholder_id, name, sector, themes, city_wide`` (True = serves every neighbourhood)."""
    stakeholders = _stakeholders(city)
    serving = partners_serving(stakeholders, list(nids))
    if serving.empty:
        return empty_frame(["nid", "stakeholder_id", "name", "sector", "themes", "city_wide"])
    wide = set(
        city_wide(stakeholders, city.neighbourhoods["nid"].astype(str).tolist())["stakeholder_id"]
    )
    serving["city_wide"] = serving["stakeholder_id"].isin(wide)
    return serving.sort_values(["nid", "city_wide", "name"], ignore_index=True)


def city_wide(stakeholders: pd.DataFrame, nids: Sequence[str]) -> pd.DataFrame:
    """The partners serving every neighbourhood: ``serves`` is "all", or lists every code."""
    codes = set(nids)

    def everywhere(serves: object) -> bool:
        served = set(serves) if isinstance(serves, list | tuple | set) else {str(serves)}
        return "all" in served or (bool(codes) and codes <= served)

    return stakeholders[stakeholders["serves"].map(everywhere)].reset_index(drop=True)


def _consultations(city: CityData) -> pd.DataFrame:
    frame = city.table("consultations")
    return frame if not frame.empty else pd.DataFrame(columns=["date", "nid", "groups"])


def consultation_groups(consultations: pd.DataFrame) -> list[str]:
    return sorted({g for groups in consultations["groups"] for g in groups} - {DEFAULT_GROUP})


def consultation_status(
    city: CityData, nids: Sequence[str] | None, as_of: dt.date, months: int = 12
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(last heard per neighbourhood and group, those not heard in ``months``) for ``nids`` (None =
    all)."""
    hoods = city.neighbourhoods[["nid", "name"]]
    if nids is not None:
        wanted = list(nids)
        # a code of earlier boundaries (not in today's file) keeps its own consultations
        earlier = [n for n in wanted if n not in set(hoods["nid"])]
        hoods = pd.concat(
            [hoods[hoods["nid"].isin(wanted)], pd.DataFrame({"nid": earlier, "name": earlier})],
            ignore_index=True,
        )
    cons = _consultations(city)
    groups = consultation_groups(cons)
    heard = last_heard(cons, hoods, groups, as_of=as_of)
    stale = not_heard(cons, hoods, groups, as_of, months, heard=heard)
    return heard, stale
