"""Change over time: how each neighbourhood's scores and ranks moved between two years.

Two years are **comparable** when they were scored with the same methodology (same
sha256), or with methodologies whose scoring content is identical (they differ only in
``version``, ``note`` or the labels). Otherwise ``comparable`` is False and ``reason`` says
what changed ("methodology 2025.1 → 2026.1 changed: weights of Socio-economic hardship 1 → 2;
…", domains and measures named by their labels), when the methodologies are given (keyed by
sha256), or just that the fingerprints differ.

Two years scored on different boundary vintages (``boundary_vintage``) are not comparable
either, and the reason says so, unless a crosswalk carried the earlier year to the current
boundaries (its rows then carry the current vintage).

Note that with a relative normalisation (minmax, zscore, percentile, rank) a score
change also reflects other neighbourhoods' change; only ``goalposts`` keeps one fixed
scale across years. The ``scale`` column says which applies; rank change is the
robust signal for the relative methods.

``*_rank_change`` is ``rank(to) − rank(from)``: negative = moved towards rank 1 (higher
risk / more protection than before, relative to the city).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from citygeo.i18n import _
from citygeo.scoring.methodology import Domain, Measure, Methodology

__all__ = ["change_table", "compare_methodologies"]

_META = {"version", "note"}


def compare_methodologies(before: Methodology, after: Methodology) -> tuple[bool, str]:
    """Whether scores made with ``before`` and ``after`` compare, and why not."""
    a = before.model_dump(mode="json", by_alias=True)
    b = after.model_dump(mode="json", by_alias=True)
    changes = (
        _setting_changes(a, b) + _weight_changes(before, after) + _measure_changes(before, after)
    )
    head = _("methodology {old} → {new}").format(old=before.version, new=after.version)
    if not changes:
        return True, "" if a == b else _("{head}: only the version, note or labels changed").format(
            head=head
        )
    return False, _("{head} changed: {changes}").format(head=head, changes="; ".join(changes))


def _setting_changes(a: dict[str, object], b: dict[str, object]) -> list[str]:
    keys = sorted(k for k in a if k not in _META | {"domains", "measures"} and a[k] != b[k])
    return [f"{k} {a[k]} → {b[k]}" for k in keys]


def _weight_changes(before: Methodology, after: Methodology) -> list[str]:
    old = {d.id: d for d in before.domains} | {m.id: m for m in before.measures}
    new = {d.id: d for d in after.domains} | {m.id: m for m in after.measures}
    moved = [
        f"{_named(new[k])} {old[k].weight:g} → {new[k].weight:g}"
        for k in old
        if k in new and old[k].weight != new[k].weight
    ]
    return [_("weights of {items}").format(items=", ".join(moved))] if moved else []


def _named(item: Domain | Measure) -> str:
    """A domain or measure as people know it: its label, else its id."""
    return item.label or item.id


def _measure_changes(before: Methodology, after: Methodology) -> list[str]:
    def spec(items: tuple[Domain, ...] | tuple[Measure, ...]) -> dict[str, dict[str, object]]:
        return {
            i.id: {
                k: v for k, v in i.model_dump(by_alias=True).items() if k not in {"weight", "label"}
            }
            for i in items
        }

    everything: list[Domain | Measure] = [
        *before.domains,
        *before.measures,
        *after.domains,
        *after.measures,
    ]
    names = {i.id: _named(i) for i in everything}  # the newer label wins
    out = []
    for what, old, new in (
        (_("domains"), spec(before.domains), spec(after.domains)),
        (_("measures"), spec(before.measures), spec(after.measures)),
    ):
        added, removed = sorted(set(new) - set(old)), sorted(set(old) - set(new))
        redefined = sorted(k for k in set(old) & set(new) if old[k] != new[k])
        for sentence, items in (
            (_("{what} added: {items}"), added),
            (_("{what} removed: {items}"), removed),
            (_("{what} redefined: {items}"), redefined),
        ):
            if items:
                out.append(sentence.format(what=what, items=", ".join(names[i] for i in items)))
    return out


def change_table(
    scores: pd.DataFrame,
    from_year: int,
    to_year: int,
    methodologies: Mapping[str, Methodology] | None = None,
) -> pd.DataFrame:
    """Per neighbourhood: scores and ranks in both years, their change, comparability.

    ``scores`` holds score rows (``score_city`` output) of both years.
    """
    cols = [
        "nid",
        "name",
        "risk_score",
        "risk_rank",
        "protective_score",
        "protective_rank",
        "methodology_sha256",
    ]
    cols += [c for c in ("boundary_vintage",) if c in scores.columns]
    before = scores.loc[scores["year"] == from_year, cols].set_index("nid")
    after = scores.loc[scores["year"] == to_year, cols].set_index("nid")
    table = before.merge(
        after, how="outer", left_index=True, right_index=True, suffixes=("_from", "_to")
    )
    out = pd.DataFrame(index=table.index)
    out["name"] = table["name_to"].fillna(table["name_from"])
    out["from_year"], out["to_year"] = from_year, to_year
    for index in ("risk", "protective"):
        for what in ("score", "rank"):
            out[f"{index}_{what}_from"] = table[f"{index}_{what}_from"]
            out[f"{index}_{what}_to"] = table[f"{index}_{what}_to"]
            out[f"{index}_{what}_change"] = (
                table[f"{index}_{what}_to"] - table[f"{index}_{what}_from"]
            )
    comparable, reason, scale = _comparability(table, methodologies or {})
    if "boundary_vintage_from" in table.columns:
        comparable, reason = _boundaries(table, comparable, reason, from_year, to_year)
    out["comparable"], out["reason"], out["scale"] = comparable, reason, scale
    return out.reset_index()


def _boundaries(
    table: pd.DataFrame, comparable: list[bool], reasons: list[str], from_year: int, to_year: int
) -> tuple[list[bool], list[str]]:
    """Years scored on different boundary vintages are not comparable (DESIGN.md §2)."""
    out_ok, out_reason = [], []
    for ok, reason, a, b in zip(
        comparable,
        reasons,
        table["boundary_vintage_from"],
        table["boundary_vintage_to"],
        strict=True,
    ):
        if isinstance(a, str) and isinstance(b, str) and a != b:
            why = _(
                "the neighbourhood boundaries changed between {old_year} and {new_year} "
                "(boundary file {old} → {new}) and no crosswalk links the old and new codes"
            ).format(old_year=from_year, new_year=to_year, old=a, new=b)
            out_ok.append(False)
            out_reason.append(f"{why}; {reason}" if reason else why)
        else:
            out_ok.append(ok)
            out_reason.append(reason)
    return out_ok, out_reason


def _comparability(
    table: pd.DataFrame, methodologies: Mapping[str, Methodology]
) -> tuple[list[bool], list[str], list[str]]:
    comparable, reasons, scales = [], [], []
    for sha_from, sha_to in zip(table["methodology_sha256_from"], table["methodology_sha256_to"]):
        ok, reason = _pair(sha_from, sha_to, methodologies)
        comparable.append(ok)
        reasons.append(reason)
        m = methodologies.get(sha_to) if isinstance(sha_to, str) else None
        scales.append(
            "" if m is None else ("fixed" if m.normalisation == "goalposts" else "relative")
        )
    return comparable, reasons, scales


def _pair(
    sha_from: object, sha_to: object, methodologies: Mapping[str, Methodology]
) -> tuple[bool, str]:
    if not isinstance(sha_from, str) or not isinstance(sha_to, str):
        return False, _("not scored in both years")
    if sha_from == sha_to:
        return True, ""
    if sha_from in methodologies and sha_to in methodologies:
        return compare_methodologies(methodologies[sha_from], methodologies[sha_to])
    return (
        False,
        _("methodology changed (sha256 {old} → {new})").format(old=sha_from[:8], new=sha_to[:8]),
    )
