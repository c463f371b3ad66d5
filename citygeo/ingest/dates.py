"""Dates in a city's files: a given ``date_format``, or the format the values prove.

Never guessed silently (DESIGN.md §3 "Real-world inputs"). Without ``date_format`` the format
is inferred from **all** values of the column, in three steps:

1. Each distinct value is matched against one pattern (:data:`PATTERN`, the same regular
   expression in DuckDB's RE2 and Python's ``re``) and reduced to its *shape*
   (:class:`Features`): where the four-digit year is, the separators, and the kind of time
   (none, 24-hour, 12-hour with AM/PM; with or without seconds). The points ingest does this
   in DuckDB SQL over a million rows (:func:`summary_sql`); the other sources in Python
   (:func:`summarise_values`). Both give the same :class:`ValueGroup` rows.
2. :func:`infer_reading` decides. The recognised values must share one date shape: ISO
   (``2020-03-04``, with or without a time), year first with ``/`` or ``.``, ``YYYY-MM`` (a
   month), or day and month before a four-digit year (``03/04/2020``, also with ``-`` or
   ``.``). Values of one date shape may differ in their time part (some with a time, some
   without). For the day-and-month shape, a first field above 12 proves day-first and a
   second field above 12 proves month-first. It stops with an :class:`InputError` naming
   ``date_format`` when the shapes are several, when every value is ambiguous (both fields
   12 or less) or when the values prove both orders.
3. The chosen strftime formats parse every value (``try_strptime`` in DuckDB,
   ``datetime.strptime`` in Python); a value that fits none is reported, many of them in one
   line with a count and examples (:func:`citygeo.ingest.date_columns.bad_dates_problem`).

Values that match no shape at all (``"sometime in May"``) take no part in the inference;
they are reported as "not a date" by the parse. A date that is only a month (``YYYY-MM``,
or a ``date_format`` without a day) is stored as its first day with precision ``"month"``.
Times are read (to check the value) but only the date is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, NamedTuple

import pandas as pd

from citygeo.errors import ConfigError, InputError

Precision = Literal["day", "month"]
MonthNote = Literal["marked", "first-day", "expected"]

# One pattern for DuckDB (RE2) and Python: fields a s1 b [s2 c] [ts h:mi[:sec[.frac]] [sp ap]]
PATTERN = (
    r"^(\d{1,4})([-/.])(\d{1,2})(?:([-/.])(\d{1,4}))?"
    r"(?:(T| )(\d{1,2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?( ?)([AaPp][Mm])?)?$"
)
GROUPS = ("a", "s1", "b", "s2", "c", "ts", "h", "mi", "sec", "frac", "sp", "ap")
_REGEX = re.compile(PATTERN)

# strftime directives that both DuckDB's strptime and Python's datetime.strptime read alike
_DIRECTIVES = set("aAbBdmyYHIpMSfj%")
_EXAMPLES = 5


class Features(NamedTuple):
    """What decides a value's shape (its digits aside)."""

    first_digits: int  # digits of the first field (4: a year)
    sep1: str
    sep2: str  # "" when the value has two fields only (YYYY-MM)
    last_digits: int  # digits of the third field (0 when there is none)
    time_sep: str  # "T" or " " before a time, "" when there is no time
    seconds: bool
    fraction: bool
    ampm_space: str | None  # None: no AM/PM (24-hour); else the text between time and AM/PM


@dataclass(frozen=True)
class ValueGroup:
    """The rows whose values share one set of :class:`Features` (``None``: no known shape)."""

    features: Features | None
    rows: int
    day_first_rows: int  # first field above 12, second 12 or less
    month_first_rows: int  # second field above 12, first 12 or less
    example: str
    day_first_example: str | None = None
    month_first_example: str | None = None


@dataclass(frozen=True)
class DateColumn:
    """Where a date column is and which key says its format, for messages.

    ``section`` is where the key goes (``'this [[points]] entry'``); ``months`` says what a
    month-only value becomes: ``"marked"`` (first day, precision stored), ``"first-day"``
    (first day, nothing stored) or ``"expected"`` (the column holds months by design).
    """

    path: Path
    column: str
    key: str = "date_format"
    section: str = "this entry of the city config"
    months: MonthNote = "marked"

    @property
    def where(self) -> str:
        return f"{self.path}: column {self.column!r}"

    def ask(self, formats: Sequence[str], labels: Sequence[str] = ()) -> str:
        """``add date_format = "…" (day first) or … to this [[points]] entry``."""
        named = [f" ({label})" for label in labels] or [""] * len(formats)
        options = " or ".join(f'{self.key} = "{f}"{n}' for f, n in zip(formats, named, strict=True))
        return f"add {options} to {self.section}"


@dataclass(frozen=True)
class DateReading:
    """How to read a date column: strftime formats tried in order, and the precision.

    ``given`` is True for a configured ``date_format``; ``note`` says what was inferred (for
    the ingest report), or is None when nothing needs saying (ISO dates).
    """

    formats: tuple[str, ...]
    precision: Precision = "day"
    given: bool = False
    note: str | None = None

    @property
    def described(self) -> str:
        shown = ", ".join(self.formats)
        return f'date_format = "{shown}"' if self.given else f"read as {shown}"


# -- a configured date_format ------------------------------------------------------------------


def reading_from_format(fmt: str, column: DateColumn) -> DateReading:
    """The reading of a configured ``date_format``; ConfigError for a format that cannot work.

    A format with no day (``%Y-%m``, ``%m/%Y``) reads months: precision ``"month"``.
    """
    rest = fmt.replace("%%", "")
    directives = re.findall(r"%(.)", rest)
    unknown = sorted({d for d in directives if d not in _DIRECTIVES})
    problem = ""
    if unknown or rest.endswith("%"):
        shown = ", ".join(f"%{d}" for d in unknown) or "a lone %"
        problem = (
            f"has an unknown directive ({shown}); use the strftime directives "
            "%Y %y %m %b %B %d %j %H %I %p %M %S %f %a %A"
        )
    elif not {"Y", "y"} & set(directives):
        problem = "has no year (%Y or %y)"
    elif not {"m", "b", "B", "j"} & set(directives):
        problem = "has no month (%m, %b or %B)"
    if problem:
        raise ConfigError(
            f"{column.where}: {column.key} = {fmt!r} {problem}. Fix "
            f"{column.key} in {column.section}."
        )
    month_only = not {"d", "j"} & set(directives)
    return DateReading((fmt,), "month" if month_only else "day", given=True)


# -- summarising the values ----------------------------------------------------------------------


def _features(match: re.Match[str]) -> Features:
    g = dict(zip(GROUPS, match.groups(default=""), strict=True))
    return Features(
        len(g["a"]),
        g["s1"],
        g["s2"],
        len(g["c"]),
        g["ts"],
        g["sec"] != "",
        g["frac"] != "",
        g["sp"] if g["ap"] else None,
    )


def summarise_values(texts: Iterable[str | None]) -> list[ValueGroup]:
    """Group the values (in file order; None skipped) by their features, in Python."""
    rows: dict[Features | None, list[object]] = {}
    for text in texts:
        if text is None:
            continue
        match = _REGEX.match(text)
        key = _features(match) if match else None
        entry = rows.setdefault(key, [0, 0, 0, text, None, None])
        entry[0] = int(entry[0]) + 1  # type: ignore[call-overload]
        if match:
            first, second = int(match.group(1)), int(match.group(3))
            if first > 12 >= second:
                entry[1] = int(entry[1]) + 1  # type: ignore[call-overload]
                entry[4] = entry[4] or text
            elif second > 12 >= first:
                entry[2] = int(entry[2]) + 1  # type: ignore[call-overload]
                entry[5] = entry[5] or text
    return [ValueGroup(key, *entry) for key, entry in rows.items()]  # type: ignore[arg-type]


def summary_sql(table: str, column: str) -> str:
    """SQL giving :class:`ValueGroup` fields for the text column ``column`` of ``table``.

    Both names must be quoted identifiers. Rows come out as ``(features…, rows,
    day_first_rows, month_first_rows, example, day_first_example, month_first_example)``
    with the eight :class:`Features` fields first (all NULL/empty for an unknown shape);
    examples are the first such value in ``rowid`` order, and the groups come in the order of
    their first value in the file (so ties in a message and its examples are the same on every
    run: a parallel read hands rows over in no fixed order). Distinct values are matched once
    each.
    """
    names = ", ".join(f"'{g}'" for g in GROUPS)
    day_first = "TRY_CAST(m.a AS INTEGER) > 12 AND TRY_CAST(m.b AS INTEGER) <= 12"
    month_first = "TRY_CAST(m.b AS INTEGER) > 12 AND TRY_CAST(m.a AS INTEGER) <= 12"
    return (
        f"WITH v AS (SELECT {column} AS t, count(*) AS n, min(rowid) AS r FROM {table} "
        f"WHERE {column} IS NOT NULL GROUP BY 1), "
        f"g AS (SELECT t, n, r, regexp_extract(t, '{PATTERN}', [{names}]) AS m FROM v) "
        "SELECT m.a <> '' AS known, length(m.a), m.s1, m.s2, length(m.c), m.ts, m.sec <> '', "
        "m.frac <> '', CASE WHEN m.ap = '' THEN NULL ELSE m.sp END, sum(n), "
        f"coalesce(sum(n) FILTER ({day_first}), 0), coalesce(sum(n) FILTER ({month_first}), 0), "
        f"arg_min(t, r), arg_min(t, r) FILTER ({day_first}), "
        f"arg_min(t, r) FILTER ({month_first}) FROM g GROUP BY ALL ORDER BY min(r)"
    )


def groups_from_rows(rows: Iterable[Sequence[object]]) -> list[ValueGroup]:
    """The rows of :func:`summary_sql` as :class:`ValueGroup` objects."""
    groups = []
    for row in rows:
        known, *fields = row[:9]
        features = Features(*fields) if known else None  # type: ignore[arg-type]
        groups.append(ValueGroup(features, *row[9:]))  # type: ignore[arg-type]
    return groups


# -- deciding ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """A date shape: ``order`` is "ymd", "ym" or "?" (day and month, order to be decided)."""

    order: str
    sep: str

    def formats(self, order: str, features: Features) -> str:
        date = {
            "ymd": f"%Y{self.sep}%m{self.sep}%d",
            "ym": "%Y-%m",
            "dmy": f"%d{self.sep}%m{self.sep}%Y",
            "mdy": f"%m{self.sep}%d{self.sep}%Y",
        }[order]
        return date + _time_format(features)

    @property
    def label(self) -> str:
        if self.order == "ym":
            return "YYYY-MM (months)"
        if self.order == "ymd":
            return f"YYYY{self.sep}MM{self.sep}DD"
        return f"DD{self.sep}MM{self.sep}YYYY or MM{self.sep}DD{self.sep}YYYY"


def _time_format(f: Features) -> str:
    if not f.time_sep:
        return ""
    hour = "%I" if f.ampm_space is not None else "%H"
    text = f"{f.time_sep}{hour}:%M" + (":%S" if f.seconds else "") + (".%f" if f.fraction else "")
    return text + (f"{f.ampm_space}%p" if f.ampm_space is not None else "")


def _shape(f: Features) -> _Shape | None:
    if f.sep2 == "":
        ok = f.first_digits == 4 and f.sep1 == "-" and not f.time_sep
        return _Shape("ym", "-") if ok else None
    if f.sep1 != f.sep2:
        return None
    if f.first_digits == 4 and f.last_digits <= 2:
        return _Shape("ymd", f.sep1)
    if f.first_digits <= 2 and f.last_digits == 4:
        return _Shape("?", f.sep1)
    return None


def infer_reading(groups: Sequence[ValueGroup], column: DateColumn) -> DateReading:
    """Decide how to read a column from all its values (see the module notes).

    Raises
    ------
    InputError
        When no value has a known shape, when several date shapes are mixed, when every
        day-and-month value is ambiguous, or when the values prove both orders; the message
        quotes a value and asks for ``date_format`` with the likely candidates.
    """
    by_shape: dict[_Shape, list[ValueGroup]] = {}
    for group in groups:
        shape = _shape(group.features) if group.features is not None else None
        if shape is not None:
            by_shape.setdefault(shape, []).append(group)
    if not by_shape:
        return _no_known_shape(groups, column)
    if len(by_shape) > 1:
        raise _mixed(by_shape, column)
    shape, members = next(iter(by_shape.items()))
    members = sorted(members, key=lambda g: -g.rows)
    order, note = _order(shape, members, column)
    formats = tuple(
        dict.fromkeys(shape.formats(order, g.features) for g in members if g.features is not None)
    )
    precision: Precision = "month" if order == "ym" else "day"
    if precision == "month" and column.months != "expected":
        note = "values are months (YYYY-MM): each is stored as the first day of its month" + (
            ", marked as a month" if column.months == "marked" else ""
        )
    if note:
        note = f"{column.path.name}, column {column.column!r}: {note}"
        if len(formats) > 1:
            note += f" (formats {', '.join(formats)}: some values have a time, some not)"
    return DateReading(formats, precision, note=note)


def _no_known_shape(groups: Sequence[ValueGroup], column: DateColumn) -> DateReading:
    if not groups:  # an empty column: nothing to read; every row is reported as undated
        return DateReading(("%Y-%m-%d",))
    example = max(groups, key=lambda g: g.rows).example
    raise InputError(
        f"{column.where}: no value is a date citygeo can read on its own (e.g. "
        f"{example!r}); {column.ask(['…'])}, the strftime format of the values "
        "(for example %d %B %Y for '4 March 2020')."
    )


def _mixed(by_shape: dict[_Shape, list[ValueGroup]], column: DateColumn) -> InputError:
    parts = sorted(
        ((sum(g.rows for g in gs), s, gs[0].example) for s, gs in by_shape.items()),
        key=lambda p: -p[0],
    )
    listed = "; ".join(f"{n:,} like {example!r} ({shape.label})" for n, shape, example in parts)
    return InputError(
        f"{column.where}: the dates are written in {len(parts)} different ways: "
        f"{listed}. citygeo does not guess which is meant: write the column in "
        f"one format, or {column.ask(['…'])} (the values that do not fit it are "
        "then listed)."
    )


def _order(shape: _Shape, members: list[ValueGroup], column: DateColumn) -> tuple[str, str | None]:
    """``("dmy" | "mdy" | "ymd" | "ym", note)``; InputError when the values cannot decide."""
    if shape.order != "?":
        return shape.order, None
    rows = sum(g.rows for g in members)
    day_first = sum(g.day_first_rows for g in members)
    month_first = sum(g.month_first_rows for g in members)
    candidates = [
        shape.formats(o, members[0].features)
        for o in ("dmy", "mdy")
        if members[0].features is not None
    ]
    ask = column.ask(candidates, ["day first", "month first"])
    if day_first and month_first:
        day_ex = next(g.day_first_example for g in members if g.day_first_example)
        month_ex = next(g.month_first_example for g in members if g.month_first_example)
        raise InputError(
            f"{column.where}: the dates disagree: {day_first:,} values can only be day-first "
            f"(a first field above 12, e.g. {day_ex!r}) and {month_first:,} only month-first "
            f"(a second field above 12, e.g. {month_ex!r}). Check the file, then {ask}; "
            "the values that do not fit are then listed."
        )
    if not day_first and not month_first:
        example = members[0].example
        raise InputError(
            f"{column.where}: every date could be day-first or month-first (both fields are "
            f"12 or less in all {rows:,} values, e.g. {example!r}), so citygeo cannot tell "
            f"which is meant; {ask}."
        )
    order = "dmy" if day_first else "mdy"
    proof = day_first or month_first
    field = "first" if day_first else "second"
    time = _time_words(members)
    fmt = ", ".join(
        dict.fromkeys(shape.formats(order, g.features) for g in members if g.features is not None)
    )
    word = "day-first" if day_first else "month-first"
    values = f"{proof:,} values" if proof > 1 else "1 value"
    return order, (
        f"dates read as {word}{time} ({fmt}), decided by {values} whose {field} field is above 12"
    )


def _time_words(members: list[ValueGroup]) -> str:
    kinds = {
        None
        if not g.features or not g.features.time_sep
        else "12-hour"
        if g.features.ampm_space is not None
        else "24-hour"
        for g in members
    }
    named = sorted(k for k in kinds if k)
    if not named:
        return ""
    return f" with a {' or '.join(named)} time" + (" (or none)" if None in kinds else "")


# -- parsing and reporting ----------------------------------------------------------------------


def parse_text(text: str | None, reading: DateReading) -> datetime | None:
    """One value by the reading's formats (Python's strptime); None when none fits."""
    if text is None:
        return None
    for fmt in reading.formats:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def parse_series(texts: pd.Series, reading: DateReading) -> pd.Series:
    """Parse stripped text cells (None = empty); NaT where empty or where no format fits."""
    parsed = {t: parse_text(t, reading) for t in texts.dropna().unique()}
    values = [parsed.get(t) if t is not None else None for t in texts]
    return pd.Series(
        pd.to_datetime(pd.Series(values, dtype=object)).to_numpy(),
        index=texts.index,
        dtype="datetime64[ns]",
    )


def sql_date(column: str, reading: DateReading) -> str:
    """SQL for the date of the text column ``column`` (a quoted identifier): NULL if no fit."""
    formats = ", ".join("'" + f.replace("'", "''") + "'" for f in reading.formats)
    return f"CAST(try_strptime({column}, [{formats}]) AS DATE)"
