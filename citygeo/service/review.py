"""Methodology review (journey 4): re-weight, recompute live, compare ranks, save a version."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from citygeo.errors import InputError
from citygeo.scoring import (
    Methodology,
    Prepared,
    methodology_sha256,
    parse_methodology,
    prepare,
    rank_intervals,
    recompute,
)
from citygeo.scoring.inputs import ScoringInputs
from citygeo.scoring.methodology import methodology_spec, version_conflict
from citygeo.service.city import CityData
from citygeo.service.scoring import protected_inputs, save_scores, score_methodology, scoring_inputs
from citygeo.store import Store


# -- methodology review (journey 4) ------------------------------------------------------------
def reweighted(
    base: Methodology,
    *,
    domain_weights: dict[str, float] | None = None,
    measure_weights: dict[str, float] | None = None,
    aggregation: str | None = None,
    normalisation: str | None = None,
    version: str | None = None,
    note: str | None = None,
) -> Methodology:
    """A copy of ``base`` with new weights and options (validated like a methodology file)."""
    spec = base.model_dump(mode="json", by_alias=True)
    for d in spec["domains"]:
        d["weight"] = float((domain_weights or {}).get(d["id"], d["weight"]))
    for m in spec["measures"]:
        m["weight"] = float((measure_weights or {}).get(m["id"], m["weight"]))
    if aggregation:
        spec["aggregation"] = aggregation
    if normalisation:
        spec["normalisation"] = normalisation
        if normalisation == "goalposts" and not spec.get("goalposts_year"):
            raise InputError(
                "goalposts normalisation needs a goalposts year; "
                "set goalposts_year in the methodology file."
            )
    if version:
        spec["version"] = version
    if note is not None:
        spec["note"] = note
    return parse_methodology(spec, "the methodology page")


@dataclass(frozen=True)
class Prepared4Review:
    """What the methodology page re-weights: prepared measures (all group) and the inputs."""

    prepared: Prepared
    inputs: ScoringInputs
    years: list[int]


def prepare_review(store: Store, methodology: Methodology) -> Prepared4Review:
    """Read the inputs and ``prepare`` the measures once (then ``recompute`` per slider move)."""
    inputs = scoring_inputs(store, methodology)
    prepared = prepare(
        protected_inputs(inputs, methodology), methodology, protect_small_counts=True
    )  # computed as saved scores are
    return Prepared4Review(prepared, inputs, sorted(prepared.year_rows))


def live_scores(review: Prepared4Review, methodology: Methodology, year: int) -> pd.DataFrame:
    """Indices and ranks of ``year`` under ``methodology`` (fast path, no Monte Carlo)."""
    out = recompute(review.prepared, methodology)
    return out[out["year"] == year].reset_index(drop=True)


def rank_moves(saved: pd.DataFrame, live: pd.DataFrame) -> pd.DataFrame:
    """Risk ranks that move between the saved scores and live ones:
    ``nid, name, saved, new, moved``.

    ``moved`` = new − saved (negative = closer to rank 1, i.e. more at risk); largest moves first.
    """
    a = saved[["nid", "name", "risk_rank"]].rename(columns={"risk_rank": "saved"})
    b = live[["nid", "risk_rank"]].rename(columns={"risk_rank": "new"})
    table = a.merge(b, on="nid", how="outer")
    table["moved"] = table["new"].astype("Float64") - table["saved"].astype("Float64")
    table = table[table["moved"].fillna(0) != 0]
    order = table["moved"].abs().sort_values(ascending=False, kind="stable").index
    return table.loc[order].reset_index(drop=True)


def save_version(
    store: Store,
    review: Prepared4Review,
    methodology: Methodology,
    years: Sequence[int],
    note: str,
    *,
    draws: int = 1000,
) -> pd.DataFrame:
    """Score ``years`` with ``methodology`` (every group) and save it as a new version.

    Years not listed keep the methodology they were scored with, so their comparison with
    the new version is marked "not comparable" with the reason.
    """
    if not note.strip():
        raise InputError(
            "Write a note saying why this version differs from the last one before saving."
        )
    if not years:
        raise InputError("Choose at least one year to score with the new version.")
    frame, districts = score_methodology(
        review.inputs, methodology, sorted(int(y) for y in years), draws=draws
    )
    save_scores(store, methodology, frame, districts, note)
    return frame


def proposal_intervals(
    review: Prepared4Review, methodology: Methodology, year: int, draws: int = 200
) -> pd.DataFrame:
    """The live scores of ``year`` under the proposed ``methodology`` with their risk-rank
    intervals (``risk_rank_p05``, ``risk_rank_p95``), from ``draws`` seeded re-weightings (fewer
    than the 1,000 of a save, so the page answers quickly; the save computes them again)."""
    out = recompute(review.prepared, methodology).reset_index(drop=True)
    intervals = rank_intervals(review.prepared, methodology, draws=draws)
    out[["risk_rank_p05", "risk_rank_p95"]] = intervals.to_numpy()
    return out[out["year"] == year].reset_index(drop=True)


def saved_specifications(city: CityData) -> list[tuple[str, str, dict[str, Any]]]:
    """The store's methodologies as ``(version, sha256, spec)``, oldest first
    (for version_conflict)."""
    history = (
        city.history.sort_values("created_at") if "created_at" in city.history else city.history
    )
    return [
        (str(v), str(sha), methodology_spec(city.methodologies[sha]))
        for v, sha in zip(history["version"], history["sha256"], strict=True)
        if sha in city.methodologies
    ]


def already_saved(city: CityData, methodology: Methodology) -> bool:
    """True when this very specification is already saved under its version (saving is a no-op)."""
    sha = methodology_sha256(methodology)
    return any(v == methodology.version and s == sha for v, s, _ in saved_specifications(city))


def check_version(city: CityData, methodology: Methodology) -> None:
    """InputError naming the version and what differs, when ``methodology.version`` is already
    saved with a different specification (DESIGN.md §3: one specification per version)."""
    problem = version_conflict(saved_specifications(city), methodology)
    if problem is not None:
        raise InputError(problem[0].upper() + problem[1:])
