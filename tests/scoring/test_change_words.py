"""Why two years are not comparable, said in the reader's language (issue 15)."""

from __future__ import annotations

from citygeo.i18n import using
from citygeo.scoring import Methodology, parse_methodology
from citygeo.scoring.change import compare_methodologies


def _pair() -> tuple[Methodology, Methodology]:
    spec = {
        "version": "a.1",
        "domains": [{"id": "hardship", "index": "risk"}],
        "measures": [{"id": "unemployed_pct", "domain": "hardship", "direction": "risk"}],
    }
    heavier = {
        **spec,
        "version": "a.2",
        "domains": [{"id": "hardship", "index": "risk", "weight": 2.0}],
    }
    return parse_methodology(spec, "a"), parse_methodology(heavier, "b")


def test_the_reason_follows_the_language() -> None:
    before, after = _pair()
    ok, english = compare_methodologies(before, after)
    assert not ok and english == "methodology a.1 → a.2 changed: weights of hardship 1 → 2"
    with using("fr"):
        _, french = compare_methodologies(before, after)
    with using("ar"):
        _, arabic = compare_methodologies(before, after)
    assert french == "méthodologie a.1 → a.2 : modifications : pondérations de hardship 1 → 2"
    assert arabic.startswith("المنهجية a.1 ← a.2") and "أوزان hardship 1 → 2" in arabic


def test_the_reason_names_domains_and_measures_by_their_labels() -> None:
    hate = {"id": "hate_rate", "label": "Hate incidents", "domain": "tensions", "direction": "risk"}
    tensions = {"id": "tensions", "label": "Intercommunal tensions", "index": "risk"}
    spec = {"version": "a.1", "domains": [tensions], "measures": [hate]}
    heavier = {
        "version": "a.2",
        "domains": [{**tensions, "weight": 3.0}],
        "measures": [{**hate, "direction": "protective"}],
    }
    ok, reason = compare_methodologies(
        parse_methodology(spec, "a"), parse_methodology(heavier, "b")
    )
    assert not ok
    assert "weights of Intercommunal tensions 1 → 3" in reason and "of tensions" not in reason
    assert "measures redefined: Hate incidents" in reason and "hate_rate" not in reason
    relabelled = {"version": "a.3", "domains": [tensions], "measures": [{**hate, "label": "X"}]}
    ok, reason = compare_methodologies(
        parse_methodology(spec, "a"), parse_methodology(relabelled, "c")
    )
    assert ok and reason == "methodology a.1 → a.3: only the version, note or labels changed"
