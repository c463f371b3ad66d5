"""What a neighbourhood's numbers are made of: drivers (each measure's share of an index),
each measure against the city median, domains, the trend and the groups (for the profile)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from citygeo.i18n import _
from citygeo.rules.privacy import (
    withheld_measures,
)
from citygeo.schema import domain_column, is_missing, measure_column, raw_column
from citygeo.scoring import Methodology, change_table
from citygeo.service.city import (
    CityData,
    empty_frame,
    score_groups,
    scores,
)
from citygeo.words import (
    compared_with_city,
    measure_label,
    normalised_reads_as,
    reads_as,
    withheld_reason,
)


def index_shares(
    methodology: Methodology, index: str, present: set[str] | None = None
) -> dict[str, float]:
    """Each measure's share of an index: domain weight share × measure weight share in its domain.

    Measures not in ``present`` are left out and their domain re-weighted, as the engine does.
    """
    domains = [d for d in methodology.domains if d.index == index]
    total = sum(d.weight for d in domains) or 1.0
    shares: dict[str, float] = {}
    for d in domains:
        members = [m for m in methodology.measures_of(d.id) if present is None or m.id in present]
        weight = sum(m.weight for m in members) or 1.0
        for m in members:
            shares[m.id] = d.weight / total * m.weight / weight
    return shares


def driver_table(
    row: dict[str, object], methodology: Methodology, index: str = "risk"
) -> pd.DataFrame:
    """What drives an index: ``measure, label, domain, share, normalised, contribution, reads_as``.

    ``contribution`` = the measure's share of the index × its normalised (0–100, oriented)
    value; with arithmetic aggregation of bounded measures they add up to the index. A measure
    withheld in the public view keeps its share (the engine used it) but has no contribution
    (NaN); a missing one is left out and its domain re-weighted, as the engine does.
    """
    flags = set(row.get("flags") or [])  # type: ignore[call-overload]
    values = {m.id: row.get(measure_column(m.id)) for m in methodology.measures}
    present = {
        k
        for k, v in values.items()
        if f"missing:{k}" not in flags
        and (
            v is not None
            and not (isinstance(v, float) and np.isnan(v))
            or set(withheld_measures(flags)) & {k}
        )
    }
    shares = index_shares(methodology, index, present)
    rows = []
    for m in methodology.measures:
        if m.id not in shares:
            continue
        value = float(values[m.id]) if values[m.id] is not None else np.nan  # type: ignore[arg-type]
        domain = methodology.domain(m.domain)
        rows.append(
            {
                "measure": m.id,
                "label": measure_label(methodology, m.id),
                "domain": domain.label or domain.id,
                "share": shares[m.id],
                "normalised": value,
                "contribution": shares[m.id] * value,
                "reads_as": normalised_reads_as(index),
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=["measure", "label", "domain", "share", "normalised", "contribution", "reads_as"],
    )
    return frame.sort_values("contribution", ascending=False, ignore_index=True)


def versus_median(
    year_scores: pd.DataFrame,
    row: dict[str, object] | None,
    methodology: Methodology | None,
    covered_by: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Each measure's raw value against the city median that year.

    ``measure, label, direction, value, median, ratio, percentile, comparison, reads_as, note``:
    ``comparison`` says it in words — "2.3× the city median" only when the median is above zero
    and the ratio at most :data:`RATIO_LIMIT`, else the share of neighbourhoods below this one
    and the median ("higher than 97% of neighbourhoods; city median 0"), so a median of zero
    or near zero never makes a ratio of thousands.
    """
    columns = [
        "measure",
        "label",
        "direction",
        "value",
        "median",
        "ratio",
        "percentile",
        "comparison",
        "reads_as",
        "note",
    ]
    if row is None or methodology is None:
        return empty_frame(columns)
    rows = []
    flags = list(row.get("flags") or [])  # type: ignore[call-overload]
    for m in methodology.measures:
        col = raw_column(m.id)
        if col not in year_scores:
            continue
        value = row.get(col)
        others = pd.to_numeric(year_scores[col], errors="coerce").dropna().to_numpy(dtype=float)
        median = float(np.median(others)) if len(others) else np.nan
        value = np.nan if is_missing(value) else float(value)  # type: ignore[arg-type]
        ratio = value / median if median > 0 and not np.isnan(value) else np.nan
        share = (
            float((others < value).mean() * 100) if len(others) and not np.isnan(value) else np.nan
        )
        rows.append(
            {
                "measure": m.id,
                "label": measure_label(methodology, m.id),
                "direction": m.direction,
                "value": value,
                "median": median,
                "ratio": ratio,
                "percentile": share,
                "comparison": compared_with_city(value, median, ratio, share),
                "reads_as": reads_as(m.direction),
                "note": withheld_reason(flags, m.id, methodology, covered_by) or "",
            }
        )
    return pd.DataFrame(rows, columns=columns)


def domain_table(
    year_scores: pd.DataFrame, row: dict[str, object] | None, methodology: Methodology | None
) -> pd.DataFrame:
    """Each domain's score and the city median that year: ``domain, label, index, score,
    median``."""
    columns = ["domain", "label", "index", "score", "median"]
    if row is None or methodology is None:
        return empty_frame(columns)
    rows = []
    for d in methodology.domains:
        col = domain_column(d.id)
        values = (
            pd.to_numeric(year_scores[col], errors="coerce")
            if col in year_scores
            else pd.Series(dtype=float)
        )
        rows.append(
            {
                "domain": d.id,
                "label": d.label or d.id,
                "index": d.index,
                "score": row.get(col),
                "median": float(values.median()) if values.notna().any() else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def trend(city: CityData, all_scores: pd.DataFrame, nid: str) -> pd.DataFrame:
    """Year-on-year change of one neighbourhood, marked not comparable where methodologies differ.

    ``from_year, to_year, risk_score_from, risk_score_to, risk_rank_from, risk_rank_to,
    risk_rank_change, comparable, reason``.
    """
    columns = [
        "from_year",
        "to_year",
        "risk_score_from",
        "risk_score_to",
        "risk_score_change",
        "risk_rank_from",
        "risk_rank_to",
        "risk_rank_change",
        "protective_score_to",
        "comparable",
        "reason",
    ]
    if all_scores.empty:
        return empty_frame(columns)
    years = sorted(int(y) for y in all_scores["year"].unique())
    known = city.methodologies
    mine = all_scores[all_scores["nid"] == nid]
    rows = [change_table(mine, a, b, known) for a, b in itertools.pairwise(years)]
    if not rows:
        single = mine.assign(
            from_year=np.nan,
            to_year=mine["year"],
            risk_score_to=mine["risk_score"],
            risk_rank_to=mine["risk_rank"],
            protective_score_to=mine["protective_score"],
            comparable=False,
            reason=_("only one year scored"),
        )
        return single.reindex(columns=columns)
    return pd.concat(rows, ignore_index=True).reindex(columns=columns)


def group_breakdown(city: CityData, nid: str, year: int | None) -> pd.DataFrame:
    """Risk and protective scores of one neighbourhood per population group: ``grp, risk_score,
    risk_rank, …``."""
    columns = ["grp", "risk_score", "risk_rank", "protective_score", "protective_rank"]
    if year is None:
        return empty_frame(columns)
    frames = [scores(city, year, g) for g in score_groups(city)]
    frames = [f[f["nid"] == nid] for f in frames if not f.empty]
    if not frames:
        return empty_frame(columns)
    return pd.concat(frames, ignore_index=True)[columns]
