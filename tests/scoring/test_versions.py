"""One specification per methodology version (DESIGN.md §3): ``version_conflict``."""

from __future__ import annotations

import json

from citygeo.scoring import canonical_json, methodology_sha256
from citygeo.scoring.methodology import Methodology, version_conflict

from .conftest import methodology_from


def saved(*methodologies: Methodology) -> list[tuple[str, str, str]]:
    """As the store keeps them: version, sha256 and the canonical JSON."""
    return [(m.version, methodology_sha256(m), canonical_json(m)) for m in methodologies]


def test_new_version_or_same_specification_is_no_conflict() -> None:
    first = methodology_from()
    assert version_conflict([], first) is None
    assert version_conflict(saved(first), first) is None  # the same again: a no-op
    assert (
        version_conflict(saved(first), methodology_from(version="test.2", normalisation="rank"))
        is None
    )
    # the spec may also come as a dict (parsed JSON)
    as_dict = [(v, s, json.loads(spec)) for v, s, spec in saved(first)]
    assert version_conflict(as_dict, first) is None


def test_different_weights_under_the_same_version_are_named() -> None:
    first = methodology_from()
    domains = [d.model_dump() for d in first.domains]
    domains[0]["weight"] = 2.0
    heavier = methodology_from(domains=domains)
    message = version_conflict(saved(first), heavier)
    assert message is not None
    assert message.startswith(
        "methodology version test.1 is already saved with a different specification"
    )
    assert "weights of hardship 1 → 2" in message
    assert methodology_sha256(first)[:12] in message
    assert 'set a new version = "..."' in message


def test_changed_settings_and_measures_are_named() -> None:
    first = methodology_from()
    measures = [m.model_dump(by_alias=True, exclude_none=True) for m in first.measures]
    measures[2]["categories"] = ["hate_crime"]
    changed = methodology_from(normalisation="percentile", ties="min", measures=measures)
    message = version_conflict(saved(first), changed)
    assert message is not None
    assert "normalisation minmax → percentile" in message and "ties average → min" in message
    assert "measures redefined: hate_rate" in message


def test_only_the_note_differs_is_still_another_specification() -> None:
    first = methodology_from(note="first note")
    message = version_conflict(saved(first), methodology_from(note="second note"))
    assert message is not None
    assert "only the note differs ('first note' saved, 'second note' now)" in message


def test_several_saved_under_one_version_by_an_older_citygeo() -> None:
    a, b = methodology_from(note="a"), methodology_from(note="b")
    assert version_conflict(saved(a, b), b) is None  # one of them: same specification
    message = version_conflict(saved(a, b), methodology_from(note="c"))
    assert message is not None and "(2 specifications are saved under it)" in message
    assert "'b' saved" in message  # compared with the latest


def test_unknown_keys_of_an_older_spec_are_listed() -> None:
    first = methodology_from()
    spec = json.loads(canonical_json(first)) | {"retired_option": True}
    message = version_conflict([(first.version, "0" * 64, spec)], first)
    assert message is not None and "these keys differ: retired_option" in message


def test_only_relabelled_is_another_specification_and_says_so() -> None:
    first = methodology_from()
    domains = [d.model_dump() for d in first.domains]
    domains[0]["label"] = "Hardship, in plain words"
    message = version_conflict(saved(first), methodology_from(domains=domains))
    assert message is not None
    assert "only labels differ: hardship None → 'Hardship, in plain words'" in message
    assert "note" not in message.split("One version")[0]
