"""Methodology review (journey 4): re-weight, recompute live, compare ranks, save a version."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from citygeo.errors import InputError
from citygeo.scoring import Methodology, Prepared, parse_methodology, prepare, recompute
from citygeo.scoring.inputs import ScoringInputs
from citygeo.service.scoring import protected_inputs, save_scores, score_methodology, scoring_inputs
from citygeo.store import Store


# -- methodology review (journey 4) ------------------------------------------------------------
def reweighted(base: Methodology, *, domain_weights: dict[str, float] | None = None,
               measure_weights: dict[str, float] | None = None, aggregation: str | None = None,
               normalisation: str | None = None, version: str | None = None, note: str | None = None) -> Methodology:
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
            raise InputError("goalposts normalisation needs a goalposts year; set goalposts_year in the methodology file.")
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
    prepared = prepare(protected_inputs(inputs, methodology), methodology,
                       protect_small_counts=True)  # computed as saved scores are
    return Prepared4Review(prepared, inputs, sorted(prepared.year_rows))



def live_scores(review: Prepared4Review, methodology: Methodology, year: int) -> pd.DataFrame:
    """Indices and ranks of ``year`` under ``methodology`` (fast path, no Monte Carlo)."""
    out = recompute(review.prepared, methodology)
    return out[out["year"] == year].reset_index(drop=True)



def rank_moves(saved: pd.DataFrame, live: pd.DataFrame) -> pd.DataFrame:
    """Risk ranks that move between the saved scores and live ones: ``nid, name, saved, new, moved``.

    ``moved`` = new − saved (negative = closer to rank 1, i.e. more at risk); largest moves first.
    """
    a = saved[["nid", "name", "risk_rank"]].rename(columns={"risk_rank": "saved"})
    b = live[["nid", "risk_rank"]].rename(columns={"risk_rank": "new"})
    table = a.merge(b, on="nid", how="outer")
    table["moved"] = table["new"].astype("Float64") - table["saved"].astype("Float64")
    table = table[table["moved"].fillna(0) != 0]
    order = table["moved"].abs().sort_values(ascending=False, kind="stable").index
    return table.loc[order].reset_index(drop=True)



def save_version(store: Store, review: Prepared4Review, methodology: Methodology, years: Sequence[int],
                 note: str, *, draws: int = 1000) -> pd.DataFrame:
    """Score ``years`` with ``methodology`` (every group) and save it as a new version.

    Years not listed keep the methodology they were scored with, so their comparison with
    the new version is marked "not comparable" with the reason.
    """
    if not note.strip():
        raise InputError("Write a note saying why this version differs from the last one before saving.")
    if not years:
        raise InputError("Choose at least one year to score with the new version.")
    frame, districts = score_methodology(review.inputs, methodology,
                                         sorted(int(y) for y in years), draws=draws)
    save_scores(store, methodology, frame, districts, note)
    return frame

