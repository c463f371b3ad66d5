"""The scoring engine: DataFrames in, DataFrames out (DESIGN.md §3 and §5).

Typical use::

    from citygeo.scoring import ScoringInputs, load_methodology, score_city
    scores = score_city(ScoringInputs(...), load_methodology("methodology.toml"))

For the dashboard's weight sliders, :func:`prepare` once and :func:`recompute` on every
change (no normalisation is redone).
"""

from __future__ import annotations

from citygeo.schema import count_column
from citygeo.scoring.change import change_table, compare_methodologies
from citygeo.scoring.coherence import CoherenceReport, coherence_report
from citygeo.scoring.districts import district_inputs, score_districts
from citygeo.scoring.engine import Prepared, domain_scores, oriented_measures, prepare, recompute
from citygeo.scoring.flags import build_flags
from citygeo.scoring.hotspots import global_moran, local_moran_classes, queen_weights
from citygeo.scoring.inputs import ScoringInputs
from citygeo.scoring.measures import build_measures, estimate_survey, survey_statistics
from citygeo.scoring.methodology import (
    Methodology,
    canonical_json,
    load_methodology,
    methodology_sha256,
    parse_methodology,
    validate_against,
)
from citygeo.scoring.robustness import rank_intervals, unstable_neighbourhoods
from citygeo.scoring.score import (
    PendingScores,
    score_city,
    score_prepared,
    start_scoring,
)

__all__ = [
    "CoherenceReport",
    "Methodology",
    "PendingScores",
    "Prepared",
    "ScoringInputs",
    "build_flags",
    "build_measures",
    "canonical_json",
    "change_table",
    "coherence_report",
    "compare_methodologies",
    "count_column",
    "district_inputs",
    "domain_scores",
    "estimate_survey",
    "global_moran",
    "load_methodology",
    "local_moran_classes",
    "methodology_sha256",
    "oriented_measures",
    "parse_methodology",
    "prepare",
    "queen_weights",
    "rank_intervals",
    "recompute",
    "score_city",
    "score_districts",
    "score_prepared",
    "start_scoring",
    "survey_statistics",
    "unstable_neighbourhoods",
    "validate_against",
]
