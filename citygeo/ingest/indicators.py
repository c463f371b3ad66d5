"""Wide indicator tables → the long ``indicator_values`` table."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from citygeo.config import IndicatorsSpec
from citygeo.errors import InputError
from citygeo.ingest.columns import (as_codes, is_numeric_column, match_codes, parse_numbers,
                                    raise_problems, require_columns, require_rows)
from citygeo.ingest.readers import read_table, row_label
from citygeo.schema import DEFAULT_GROUP

log = logging.getLogger(__name__)


def read_indicators(spec: IndicatorsSpec, known_codes: set[str],
                    warnings: list[str]) -> pd.DataFrame:
    """Read one wide indicator table into ``nid, indicator, year, grp, value`` rows."""
    frame = read_table(spec.path, "indicator", sheet=spec.sheet, warnings=warnings,
                       key_column=spec.id)
    return load_indicators(frame, spec, known_codes, warnings)


def load_indicators(frame: pd.DataFrame, spec: IndicatorsSpec, known_codes: set[str],
                    warnings: list[str]) -> pd.DataFrame:
    """Validate a wide indicator frame (all text) and return it in long form."""
    path = spec.path
    year_column = spec.year if isinstance(spec.year, str) else None
    require_columns(frame, [spec.id, year_column, spec.group, *(spec.columns or [])], path, "indicator")
    require_rows(frame, path, "indicator")
    keys = {spec.id, year_column, spec.group}
    columns = spec.columns or [c for c in frame.columns if c not in keys and is_numeric_column(frame[c])]
    if not columns:
        raise InputError(f"{path}: no numeric indicator columns found besides the code, year and "
                         "group columns; list them with `columns = [...]` in the city config.")
    problems: list[str] = []
    codes = as_codes(frame[spec.id])
    for idx in np.flatnonzero(codes.isna().to_numpy())[:10]:
        problems.append(f"{row_label(path, int(idx))}: empty code in column {spec.id!r}")
    years = _years(frame, spec, problems)
    values = {c: parse_numbers(frame, c, path, problems, warnings) for c in columns}
    raise_problems(path, "indicator", problems)
    wide = pd.DataFrame({"nid": codes, "year": years,
                         "grp": frame[spec.group].fillna(DEFAULT_GROUP).astype(str)
                         if spec.group else DEFAULT_GROUP, **values})
    wide = _keep_matched(wide, spec, known_codes, warnings)
    _check_duplicates(wide, spec)
    long = wide.melt(id_vars=["nid", "year", "grp"], value_vars=columns,
                     var_name="indicator", value_name="value")
    long = long.dropna(subset=["value"])
    log.info("read %d indicator values (%d columns) from %s", len(long), len(columns), path)
    return long[["nid", "indicator", "year", "grp", "value"]].reset_index(drop=True)


def _years(frame: pd.DataFrame, spec: IndicatorsSpec, problems: list[str]) -> pd.Series:
    if isinstance(spec.year, int):
        return pd.Series(spec.year, index=frame.index, dtype="int64")
    numbers = parse_numbers(frame, spec.year, spec.path, problems, [])
    bad = numbers.notna() & ((numbers % 1 != 0) | (numbers < 1900) | (numbers > 2200))
    for idx in np.flatnonzero(bad.to_numpy())[:10]:
        problems.append(f"{row_label(spec.path, int(idx))}, column {spec.year!r}: "
                        f"{frame[spec.year].iloc[idx]!r} is not a year")
    for idx in np.flatnonzero(numbers.isna().to_numpy())[:10]:
        problems.append(f"{row_label(spec.path, int(idx))}, column {spec.year!r}: the year is empty")
    return numbers.fillna(0).astype("int64")


def _keep_matched(wide: pd.DataFrame, spec: IndicatorsSpec, known: set[str],
                  warnings: list[str]) -> pd.DataFrame:
    unmatched, hints = match_codes(wide["nid"], known)
    matched = wide["nid"].isin(known)
    if not matched.any():
        sample = ", ".join(repr(c) for c in unmatched[:5])
        hint = ""
        if hints:
            c = next(iter(hints))
            hint = (f" Some would match after removing spaces or leading zeros (e.g. {c!r} vs "
                    f"{hints[c]!r}): fix the codes in the file; citygeo never guesses.")
        raise InputError(f"{spec.path}: no code in column {spec.id!r} matches a neighbourhood "
                         f"(codes here: {sample}; boundary codes: "
                         f"{', '.join(repr(c) for c in sorted(known)[:5])}).{hint}")
    if unmatched:
        detail = ", ".join(f"{c!r} (did you mean {hints[c]!r}?)" if c in hints else repr(c)
                           for c in unmatched[:15])
        more = f" and {len(unmatched) - 15} more" if len(unmatched) > 15 else ""
        warnings.append(f"{spec.path.name}: {len(unmatched)} codes match no neighbourhood and "
                        f"were left out: {detail}{more}")
    return wide[matched]


def _check_duplicates(wide: pd.DataFrame, spec: IndicatorsSpec) -> None:
    dup = wide[wide.duplicated(["nid", "year", "grp"], keep=False)]
    if dup.empty:
        return
    first = dup.iloc[0]
    raise InputError(f"{spec.path}: {dup[['nid', 'year', 'grp']].drop_duplicates().shape[0]} "
                     f"neighbourhood-year-group combinations appear more than once (e.g. "
                     f"{first['nid']} in {first['year']}, group {first['grp']!r}); keep one row each.")
