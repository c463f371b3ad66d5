"""Wide indicator tables → the long ``indicator_values`` table."""

from __future__ import annotations

import logging

import pandas as pd

from citygeo.config import IndicatorsSpec
from citygeo.errors import InputError
from citygeo.ingest.columns import (
    as_codes,
    is_numeric_column,
    match_codes,
    na_mask,
    parse_numbers,
    raise_problems,
    require_columns,
    require_rows,
    rows_with_codes,
    text_series,
)
from citygeo.ingest.readers import read_table, row_label
from citygeo.schema import DEFAULT_GROUP

log = logging.getLogger(__name__)


def read_indicators(
    spec: IndicatorsSpec, known_codes: set[str], warnings: list[str]
) -> pd.DataFrame:
    """Read one wide indicator table into ``nid, indicator, year, grp, value`` rows."""
    frame = read_table(
        spec.path, "indicator", sheet=spec.sheet, warnings=warnings, key_column=spec.id
    )
    return load_indicators(frame, spec, known_codes, warnings)


def load_indicators(
    frame: pd.DataFrame, spec: IndicatorsSpec, known_codes: set[str], warnings: list[str]
) -> pd.DataFrame:
    """Validate a wide indicator frame (all text) and return it in long form.

    Rows with an empty code (often a city total) are left out with a warning. Cells holding
    one of ``spec.na_values`` are missing values, never numbers: a cell matches when its
    trimmed text equals a code, or when it is a number equal to a numeric code (``-999.0``
    matches ``-999``); the report says how many cells of which columns matched.
    """
    path = spec.path
    year_column = spec.year if isinstance(spec.year, str) else None
    require_columns(
        frame, [spec.id, year_column, spec.group, *(spec.columns or [])], path, "indicator"
    )
    require_rows(frame, path, "indicator")
    keys = {spec.id, year_column, spec.group}
    columns = spec.columns or [
        c for c in frame.columns if c not in keys and is_numeric_column(frame[c], spec.na_values)
    ]
    if not columns:
        raise InputError(
            f"{path}: no numeric indicator columns found besides the code, year and "
            "group columns; list them with `columns = [...]` in the city config."
        )
    codes = as_codes(frame[spec.id])
    keep = rows_with_codes(frame, codes, spec.id, path, warnings)
    frame, codes = frame[keep], codes[keep]
    if frame.empty:
        raise InputError(
            f"{path}: every row has an empty code in column {spec.id!r}; "
            "check the `id` column of this [[indicators]] entry."
        )
    problems: list[str] = []
    years = _years(frame, spec, problems)
    values = {c: parse_numbers(frame, c, path, problems, warnings, spec.na_values) for c in columns}
    raise_problems(path, "indicator", problems)
    _report_na_values(frame, columns, spec, warnings)
    wide = pd.DataFrame(
        {
            "nid": codes,
            "year": years,
            "grp": frame[spec.group].fillna(DEFAULT_GROUP).astype(str)
            if spec.group
            else DEFAULT_GROUP,
            **values,
        }
    )
    wide = _keep_matched(wide, spec, known_codes, warnings)
    _check_duplicates(wide, spec)
    long = wide.melt(
        id_vars=["nid", "year", "grp"], value_vars=columns, var_name="indicator", value_name="value"
    )
    long = long.dropna(subset=["value"])
    log.info("read %d indicator values (%d columns) from %s", len(long), len(columns), path)
    return long[["nid", "indicator", "year", "grp", "value"]].reset_index(drop=True)


def _report_na_values(
    frame: pd.DataFrame, columns: list[str], spec: IndicatorsSpec, warnings: list[str]
) -> None:
    """One warning: how many cells of which columns held a code of ``na_values``."""
    if not spec.na_values:
        return
    texts = {c: text_series(frame[c]) for c in columns}
    counts = {
        c: int(na_mask(t, pd.to_numeric(t, errors="coerce"), spec.na_values).sum())
        for c, t in texts.items()
    }
    counts = {c: n for c, n in counts.items() if n}
    codes = ", ".join(repr(v) for v in spec.na_values)
    if not counts:
        warnings.append(f"{spec.path.name}: no cell holds na_values ({codes})")
        return
    listed = ", ".join(f"{c!r} {n:,}" for c, n in sorted(counts.items(), key=lambda i: -i[1])[:10])
    more = f" and {len(counts) - 10} more columns" if len(counts) > 10 else ""
    warnings.append(
        f"{spec.path.name}: {sum(counts.values()):,} cells hold a missing-value code "
        f"of na_values ({codes}, also matched as numbers, e.g. -999.0 for -999) and "
        f"are read as missing, not as numbers: {listed}{more}"
    )


def _years(frame: pd.DataFrame, spec: IndicatorsSpec, problems: list[str]) -> pd.Series:
    if isinstance(spec.year, int):
        return pd.Series(spec.year, index=frame.index, dtype="int64")
    numbers = parse_numbers(frame, spec.year, spec.path, problems, [])
    bad = numbers.notna() & ((numbers % 1 != 0) | (numbers < 1900) | (numbers > 2200))
    for label in frame.index[bad.to_numpy()][:10]:
        problems.append(
            f"{row_label(spec.path, int(label))}, column {spec.year!r}: "
            f"{frame[spec.year][label]!r} is not a year"
        )
    for label in frame.index[numbers.isna().to_numpy()][:10]:
        problems.append(
            f"{row_label(spec.path, int(label))}, column {spec.year!r}: the year is empty"
        )
    return numbers.fillna(0).astype("int64")


def _keep_matched(
    wide: pd.DataFrame, spec: IndicatorsSpec, known: set[str], warnings: list[str]
) -> pd.DataFrame:
    unmatched, hints = match_codes(wide["nid"], known)
    matched = wide["nid"].isin(known)
    if not matched.any():
        sample = ", ".join(repr(c) for c in unmatched[:5])
        hint = ""
        if hints:
            c = next(iter(hints))
            hint = (
                f" Some would match after removing spaces or leading zeros (e.g. {c!r} vs "
                f"{hints[c]!r}): fix the codes in the file; citygeo never guesses."
            )
        raise InputError(
            f"{spec.path}: no code in column {spec.id!r} matches a neighbourhood "
            f"(codes here: {sample}; boundary codes: "
            f"{', '.join(repr(c) for c in sorted(known)[:5])}).{hint}"
        )
    if unmatched:
        detail = ", ".join(
            f"{c!r} (did you mean {hints[c]!r}?)" if c in hints else repr(c) for c in unmatched[:15]
        )
        more = f" and {len(unmatched) - 15} more" if len(unmatched) > 15 else ""
        warnings.append(
            f"{spec.path.name}: {len(unmatched)} codes match no neighbourhood and "
            f"were left out: {detail}{more}"
        )
    return wide[matched]


def _check_duplicates(wide: pd.DataFrame, spec: IndicatorsSpec) -> None:
    dup = wide[wide.duplicated(["nid", "year", "grp"], keep=False)]
    if dup.empty:
        return
    first = dup.iloc[0]
    raise InputError(
        f"{spec.path}: {dup[['nid', 'year', 'grp']].drop_duplicates().shape[0]} "
        f"neighbourhood-year-group combinations appear more than once (e.g. "
        f"{first['nid']} in {first['year']}, group {first['grp']!r}); keep one row each."
    )
