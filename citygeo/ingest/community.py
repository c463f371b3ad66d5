"""Survey microdata, online signals and the registers of partners and consultations."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from citygeo.config import OnlineSpec, SurveySpec
from citygeo.errors import InputError
from citygeo.ingest.columns import (
    as_codes,
    match_codes,
    parse_numbers,
    raise_problems,
    require_columns,
    require_rows,
    rows_with_codes,
    split_list,
    text_series,
)
from citygeo.ingest.date_columns import read_date_column
from citygeo.ingest.dates import DateColumn
from citygeo.ingest.readers import read_table, row_label

log = logging.getLogger(__name__)


def read_survey(spec: SurveySpec, known: set[str], warnings: list[str]) -> pd.DataFrame:
    """Respondent rows → long ``response_id, nid, year, weight, <groups…>, item, value``."""
    path = spec.path
    frame = read_table(path, "survey", warnings=warnings, key_column=spec.id)
    year_col = spec.year if isinstance(spec.year, str) else None
    require_columns(
        frame,
        [spec.id, year_col, spec.weight, spec.respondent, *spec.groups, *spec.items],
        path,
        "survey",
    )
    require_rows(frame, path, "survey")
    problems: list[str] = []
    codes = as_codes(frame[spec.id])
    keep = rows_with_codes(frame, codes, spec.id, path, warnings)
    frame, codes = frame[keep], codes[keep]
    years = (
        parse_numbers(frame, year_col, path, problems, warnings)
        if year_col
        else pd.Series(float(spec.year), index=frame.index)
    )
    weights = (
        parse_numbers(frame, spec.weight, path, problems, warnings)
        if spec.weight
        else pd.Series(1.0, index=frame.index)
    )
    for label in frame.index[((weights <= 0) | weights.isna()).to_numpy()][:10]:
        problems.append(
            f"{row_label(path, int(label))}, column {spec.weight!r}: "
            f"weight {frame[spec.weight][label]!r} must be a positive number"
        )
    items = {item: parse_numbers(frame, item, path, problems, warnings) for item in spec.items}
    raise_problems(path, "survey", problems)
    ids = (
        frame[spec.respondent].astype(str)
        if spec.respondent
        else pd.Series([f"r{i + 1}" for i in frame.index], index=frame.index)
    )
    wide = pd.DataFrame(
        {
            "response_id": ids,
            "nid": codes,
            "year": years.astype("int64"),
            "weight": weights,
            **{g: text_series(frame[g]) for g in spec.groups},
            **items,
        }
    )
    wide = _drop_unmatched(wide, known, path, "respondents", warnings)
    long = wide.melt(
        id_vars=["response_id", "nid", "year", "weight", *spec.groups],
        value_vars=spec.items,
        var_name="item",
        value_name="value",
    )
    return long.dropna(subset=["value"]).reset_index(drop=True)


def read_online(spec: OnlineSpec, known: set[str], warnings: list[str]) -> pd.DataFrame:
    """Counts per period, neighbourhood (empty = city-wide), platform and category."""
    path = spec.path
    frame = read_table(path, "online signals", warnings=warnings, key_column="period")
    require_columns(
        frame, ["period", "nid", "platform", "category", "count"], path, "online signals"
    )
    require_rows(frame, path, "online signals")
    problems: list[str] = []
    column = DateColumn(path, "period", section="[online]", months="expected")
    periods, _ = read_date_column(
        frame, column, spec.date_format, problems, warnings, what="a month (YYYY-MM) or a date"
    )
    counts = parse_numbers(frame, "count", path, problems, warnings)
    for idx in np.flatnonzero(((counts < 0) | (counts % 1 != 0)).to_numpy())[:10]:
        problems.append(
            f"{row_label(path, int(idx))}, column 'count': "
            f"{frame['count'].iloc[idx]!r} must be a whole number ≥ 0"
        )
    raise_problems(path, "online signals", problems)
    result = pd.DataFrame(
        {
            "period": periods.dt.date,
            "nid": as_codes(frame["nid"]),
            "platform": frame["platform"],
            "category": frame["category"],
            "count": counts.fillna(0).astype("int64"),
        }
    )
    local = result["nid"].notna()
    kept = _drop_unmatched(result[local], known, path, "rows", warnings)
    return pd.concat([kept, result[~local]], ignore_index=True)


def read_stakeholders(path: Path, known: set[str], warnings: list[str]) -> pd.DataFrame:
    """The partner register; ``serves`` is a list of codes or ``["all"]``."""
    frame = read_table(path, "stakeholders", warnings=warnings, key_column="stakeholder_id")
    require_columns(frame, ["stakeholder_id", "name", "sector"], path, "stakeholders")
    require_rows(frame, path, "stakeholders")
    serves = (
        frame["serves"].map(split_list) if "serves" in frame else pd.Series([["all"]] * len(frame))
    )
    serves = serves.map(lambda codes: codes or ["all"])
    unknown = sorted({c for codes in serves for c in codes if c != "all" and c not in known})
    if unknown:
        _, hints = match_codes(pd.Series(unknown), known)
        warnings.append(
            f"{path.name}: partners serve {len(unknown)} unknown neighbourhood codes: "
            + ", ".join(
                f"{c!r}" + (f" (did you mean {hints[c]!r}?)" if c in hints else "")
                for c in unknown[:10]
            )
        )
    return pd.DataFrame(
        {
            "stakeholder_id": frame["stakeholder_id"],
            "name": frame["name"],
            "sector": frame["sector"],
            "themes": frame["themes"].map(split_list) if "themes" in frame else [[]] * len(frame),
            "serves": serves,
            "contact": frame.get("contact", None),
        }
    )


def read_consultations(
    path: Path, known: set[str], warnings: list[str], date_format: str | None = None
) -> pd.DataFrame:
    """The listening log: when and how which neighbourhoods and groups were heard.

    ``date_format`` is ``[registers] consultations_date_format``; without it the format of
    the ``date`` column is inferred (:mod:`citygeo.ingest.dates`). A month-only date is
    stored as the month's first day (with a warning).
    """
    frame = read_table(path, "consultations", warnings=warnings, key_column="date")
    require_columns(frame, ["date", "format"], path, "consultations")
    require_rows(frame, path, "consultations")
    problems: list[str] = []
    column = DateColumn(
        path, "date", key="consultations_date_format", section="[registers]", months="first-day"
    )
    dates, _ = read_date_column(frame, column, date_format, problems, warnings)
    participants = (
        parse_numbers(frame, "participants", path, problems, warnings)
        if "participants" in frame
        else pd.Series(np.nan, index=frame.index)
    )
    raise_problems(path, "consultations", problems)
    nids = frame["nid"].map(split_list) if "nid" in frame else pd.Series([[]] * len(frame))
    unknown = sorted({c for codes in nids for c in codes if c not in known})
    if unknown:
        warnings.append(
            f"{path.name}: consultations name {len(unknown)} unknown neighbourhood "
            f"codes: {', '.join(map(repr, unknown[:10]))}"
        )
    return pd.DataFrame(
        {
            "date": dates.dt.date,
            "nid": nids,
            "format": frame["format"],
            "groups": frame["groups"].map(split_list) if "groups" in frame else [[]] * len(frame),
            "participants": participants.astype("Int64"),
            "themes": frame["themes"].map(split_list) if "themes" in frame else [[]] * len(frame),
            "summary": frame.get("summary", None),
        }
    )


def _drop_unmatched(
    frame: pd.DataFrame, known: set[str], path: Path, what: str, warnings: list[str]
) -> pd.DataFrame:
    unmatched, hints = match_codes(frame["nid"], known)
    keep = frame["nid"].isin(known)
    if not keep.any() and len(frame):
        raise InputError(
            f"{path}: no neighbourhood code in this file matches a neighbourhood "
            f"(e.g. {', '.join(map(repr, unmatched[:5]))})."
        )
    if unmatched:
        detail = ", ".join(
            f"{c!r}" + (f" (did you mean {hints[c]!r}?)" if c in hints else "")
            for c in unmatched[:10]
        )
        warnings.append(
            f"{path.name}: {int((~keep).sum())} {what} with codes that match no "
            f"neighbourhood were left out: {detail}"
        )
    return frame[keep]
