"""Counts tables (``[[counts]]``): incidents already counted per area, period and category.

What police often share instead of points. Each row is a whole, non-negative number of
incidents of one category in one neighbourhood (or one area of another geography,
apportioned by :mod:`citygeo.ingest.geography`) and one period: a date, a month ``YYYY-MM``
(stored as its first day, marked ``month``) or a year ``YYYY`` (stored as 1 January, marked
``year``). They feed the same ``from = "incidents"`` measures as points; a category and year
given both as points and as counts is refused (it would be counted twice).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from citygeo.config.city import CountsSpec
from citygeo.errors import InputError
from citygeo.ingest import history
from citygeo.ingest.columns import (
    as_codes,
    match_codes,
    parse_numbers,
    raise_problems,
    require_columns,
    require_rows,
    text_series,
)
from citygeo.ingest.coverage import empty_coverage
from citygeo.ingest.date_columns import read_date_column
from citygeo.ingest.dates import DateColumn
from citygeo.ingest.geography import Targets, apportion
from citygeo.ingest.readers import read_table, row_label
from citygeo.store import Connection, append_rows

log = logging.getLogger(__name__)

COUNT_COLUMNS = ["nid", "period", "period_kind", "category", "count", "source_id"]
_YEAR = r"\d{4}"


def read_counts(
    spec: CountsSpec, targets: Targets, warnings: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read one counts table: ``COUNT_COLUMNS`` rows and the coverage rows of its areas."""
    frame = read_table(spec.path, "counts", sheet=spec.sheet, warnings=warnings, key_column=spec.id)
    require_columns(frame, [spec.id, spec.period, spec.count, spec.category], spec.path, "counts")
    require_rows(frame, spec.path, "counts")
    codes = as_codes(frame[spec.id])
    empty = np.flatnonzero(codes.isna().to_numpy())
    if len(empty):
        lines = ", ".join(row_label(spec.path, int(i)) for i in empty[:5])
        warnings.append(
            f"{spec.path.name}: {len(empty)} rows with no code in column {spec.id!r} "
            f"were left out ({lines})."
        )
    problems: list[str] = []
    periods, kinds = _periods(frame, spec, problems, warnings)
    counts = _counts(frame, spec, problems, warnings)
    raise_problems(spec.path, "counts", problems)
    category = (
        text_series(frame[spec.category]).fillna("unspecified")
        if spec.category
        else pd.Series("incident", index=frame.index)
    )
    table = pd.DataFrame(
        {
            "nid": codes,
            "period": periods,
            "period_kind": kinds,
            "category": category,
            "count": counts,
        }
    )[codes.notna().to_numpy()]
    _check_repeated(table, spec)
    if spec.apportioned:
        keys = ["period", "period_kind", "category"]
        spread = apportion(
            table,
            keys,
            ["count"],
            spec.model_copy(update={"extensive": ["count"]}),
            targets,
            frame,
            spec.path,
            warnings,
            item_column="category",
        )
        table = spread.values
        coverage = spread.coverage.assign(source_id=spec.source, kind="category")
    else:
        table = _keep_matched(table, spec, set(targets.hoods["nid"]), warnings)
        coverage = empty_coverage()
    table = table[table["count"].notna()].assign(source_id=spec.source)
    log.info("read %d count rows from %s", len(table), spec.path)
    return table[COUNT_COLUMNS].reset_index(drop=True), coverage


def _periods(
    frame: pd.DataFrame, spec: CountsSpec, problems: list[str], warnings: list[str]
) -> tuple[pd.Series, pd.Series]:
    """Years (every value ``YYYY``) here; dates and months through :mod:`citygeo.ingest.dates`
    (``date_format``, or the format the values prove)."""
    text = text_series(frame[spec.period])
    present = text.dropna()
    if not spec.date_format and len(present) and present.str.fullmatch(_YEAR).all():
        periods = pd.to_datetime(text, format="%Y", errors="coerce")
        kinds = pd.Series("year", index=frame.index, dtype=object)
        empty = np.flatnonzero(text.isna().to_numpy())
        if len(empty):
            lines = ", ".join(row_label(spec.path, int(i)) for i in empty[:5])
            problems.append(f"{len(empty)} rows have no period in column {spec.period!r} ({lines})")
        return periods, kinds
    column = DateColumn(spec.path, spec.period, section="this [[counts]] entry", months="expected")
    periods, reading = read_date_column(
        frame,
        column,
        spec.date_format,
        problems,
        warnings,
        what="a period (a year YYYY, a month YYYY-MM or a date)",
    )
    return periods.dt.normalize(), pd.Series(reading.precision, index=frame.index, dtype=object)


def _counts(
    frame: pd.DataFrame, spec: CountsSpec, problems: list[str], warnings: list[str]
) -> pd.Series:
    values = parse_numbers(frame, spec.count, spec.path, problems, warnings)
    found = (
        ("is negative", values < 0),
        ("is not a whole number", values % 1 != 0),
        (
            "is empty (a count of no incidents is 0)",
            values.isna() & text_series(frame[spec.count]).isna(),
        ),
    )
    for words, mask in found:
        rows = np.flatnonzero(mask.to_numpy())
        for i in rows[:5]:
            problems.append(
                f"{row_label(spec.path, int(i))}, column {spec.count!r}: "
                f"{frame[spec.count].iloc[i]!r} {words}; a count is a whole number "
                "of incidents, 0 or more"
            )
        if len(rows) > 5:
            problems.append(f"… and {len(rows) - 5} more counts that {words}")
    return values


def _check_repeated(table: pd.DataFrame, spec: CountsSpec) -> None:
    repeated = table[table.duplicated(["nid", "period", "category"], keep=False)]
    if repeated.empty:
        return
    first = repeated.iloc[0]
    lines = ", ".join(row_label(spec.path, int(i)) for i in repeated.index[:4])
    raise InputError(
        f"{spec.path}: {len(repeated)} rows repeat an area, period and category "
        f"(e.g. {first['nid']}, {first['period']:%Y-%m-%d}, {first['category']!r} on "
        f"{lines}); keep one count per area, period and category."
    )


def _keep_matched(
    table: pd.DataFrame, spec: CountsSpec, known: set[str], warnings: list[str]
) -> pd.DataFrame:
    unmatched, _ = match_codes(table["nid"], known)
    matched = table["nid"].isin(known)
    if not matched.any():
        raise InputError(
            f"{spec.path}: no code in column {spec.id!r} matches a neighbourhood "
            f"(codes here: {', '.join(repr(c) for c in unmatched[:5])}); if the table "
            "is keyed by other areas, set `geography` and `geography_id`."
        )
    if unmatched:
        warnings.append(
            f"{spec.path.name}: {len(unmatched)} codes match no neighbourhood and "
            f"were left out: {', '.join(repr(c) for c in unmatched[:10])}"
        )
    return table[matched]


def write_counts(con: Connection, counts: pd.DataFrame) -> None:
    """Replace the counted incidents of the (source, year) pairs ``counts`` holds and keep every
    other year (the annual update); refuse a category and year also given as points."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS incident_counts (nid VARCHAR, period DATE, "
        "period_kind VARCHAR, category VARCHAR, count DOUBLE, source_id VARCHAR)"
    )
    history.set_aside(con, "incident_counts")
    if not counts.empty:
        append_rows(con, "incident_counts", counts[COUNT_COLUMNS])
    history.restore(con, "incident_counts")
    both = con.execute(
        "SELECT DISTINCT c.category, year(c.period) FROM incident_counts c JOIN (SELECT DISTINCT "
        "category, year(occurred_on) AS y FROM incidents) p ON p.category = c.category "
        "AND p.y = year(c.period) ORDER BY 1, 2 LIMIT 5"
    ).fetchall()
    if both:
        sample = ", ".join(f"{c!r} in {y}" for c, y in both)
        raise InputError(
            f"incidents of {sample} are given both as points and as counts; they "
            "would be counted twice. Give each category and year one way."
        )
