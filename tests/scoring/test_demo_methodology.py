"""The demo city's methodology file loads, names only demo data, and uses every feature."""

from __future__ import annotations

from pathlib import Path

from citygeo.scoring import load_methodology, survey_statistics, validate_against

DEMO = Path(__file__).resolve().parents[2] / "data" / "methodology.toml"
INDICATORS = {
    "unemployed_pct",
    "youth_unemployed_pct",
    "median_income",
    "no_qualifications_pct",
    "overcrowded_pct",
    "poor_health_pct",
    "service_access",
    "residential_turnover_pct",
}
CATEGORIES = {
    "hate_crime",
    "hate_incident",
    "extremist_propaganda",
    "intercommunal_violence",
    "targeted_vandalism",
}
KINDS = {
    "youth_centre",
    "community_centre",
    "library",
    "place_of_worship",
    "sports_club",
    "peace_committee",
    "residents_association",
    "parenting_network",
    "interfaith_forum",
    "mentoring_scheme",
}
ITEMS = {"trust_local_gov", "feel_safe", "experienced_hate", "trust_neighbours"}


def test_demo_methodology_matches_demo_data_names() -> None:
    m = load_methodology(DEMO)
    validate_against(m, INDICATORS, CATEGORIES, KINDS, ITEMS)
    assert (m.normalisation, m.aggregation, m.outliers) == ("minmax", "arithmetic", "off")
    assert "synthetic" in m.note


def test_demo_methodology_uses_every_feature() -> None:
    m = load_methodology(DEMO)
    assert {x.source for x in m.measures} == {"indicator", "incidents", "assets", "survey"}
    assert {d.index for d in m.domains} == {"risk", "protective"}
    assert any(x.smoothing == "empirical_bayes" for x in m.measures)
    assert {x.denominator for x in m.measures if x.source == "incidents"} == {
        "population",
        "area_km2",
    }
    assert any(m.inverted(x) for x in m.measures)
    assert any(x.indicator != x.id for x in m.measures if x.source == "indicator")
    assert survey_statistics(m) == ("mean", "share_at_least:4")
    # every asset kind and incident category of the demo is used somewhere
    assert set().union(*(x.kinds or () for x in m.measures)) == KINDS
    assert set().union(*(x.categories or () for x in m.measures)) == CATEGORIES
