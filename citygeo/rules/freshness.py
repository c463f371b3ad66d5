"""Freshness of data sources: when each source is due for review, and which are overdue.

Pure functions (DataFrames in, DataFrames out, no I/O). A source's ``refresh`` is an
ISO 8601 duration (``P1Y``, ``P6M``, ``P2W``, ``P1Y6M``, ``P90D``); its ``collected``
value is a date written ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``. A partial date stands
for the **first day** of its period (``2021-03`` is 1 March 2021), so a source is never
reported fresher than it could be.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

from citygeo.errors import ConfigError, format_problems

__all__ = [
    "Duration",
    "add_duration",
    "collected_with_history",
    "due_date",
    "overdue_sources",
    "parse_collected",
    "parse_duration",
    "shift_months",
]

_DURATION = re.compile(r"P(?:([0-9]+)Y)?(?:([0-9]+)M)?(?:([0-9]+)W)?(?:([0-9]+)D)?")
_COLLECTED = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
_DURATION_HELP = (
    "write an ISO 8601 duration of whole years, months, weeks or days, "
    'such as "P1Y", "P6M", "P3M", "P2W" or "P1Y6M"'
)


@dataclass(frozen=True)
class Duration:
    """A calendar duration: whole years, months, weeks and days (ISO 8601 date part)."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0


def parse_duration(text: str) -> Duration:
    """Parse an ISO 8601 duration of years, months, weeks and days.

    Parameters
    ----------
    text : str
        A duration such as ``"P1Y"``, ``"P6M"``, ``"P2W"`` or ``"P1Y6M"``. Surrounding
        spaces are ignored; letters may be lower case.

    Returns
    -------
    Duration

    Raises
    ------
    ConfigError
        When the text is not such a duration, has a time part (``PT12H``), fractions, or
        is zero (``P0D``): a refresh period must be a positive number of days or more.
    """
    cleaned = str(text).strip().upper()
    match = _DURATION.fullmatch(cleaned)
    if match is None or cleaned == "P":
        raise ConfigError(f"refresh {text!r} is not a valid duration: {_DURATION_HELP}.")
    years, months, weeks, days = (int(part) if part else 0 for part in match.groups())
    duration = Duration(years=years, months=months, weeks=weeks, days=days)
    if duration == Duration():
        raise ConfigError(f"refresh {text!r} is zero: {_DURATION_HELP}.")
    return duration


def parse_collected(text: str | dt.date) -> dt.date:
    """Parse a ``collected`` value into the first day of the period it names.

    Parameters
    ----------
    text : str or datetime.date
        ``"YYYY"`` (1 January), ``"YYYY-MM"`` (the first of the month) or ``"YYYY-MM-DD"``;
        a date (or pandas Timestamp) is taken as is.

    Returns
    -------
    datetime.date

    Raises
    ------
    ConfigError
        When the text is none of these forms or names a date that does not exist.
    """
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    cleaned = str(text).strip()
    match = _COLLECTED.fullmatch(cleaned)
    if match is None:
        raise ConfigError(
            f'collected {text!r} is not a date: write "YYYY", "YYYY-MM" or "YYYY-MM-DD".'
        )
    year, month, day = (int(part) if part else 1 for part in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError as err:
        raise ConfigError(f"collected {text!r} is not a real date ({err}).") from err


def shift_months(day: dt.date, months: int) -> dt.date:
    """Move a date by whole calendar months, clamping to the last day of a short month.

    ``shift_months(date(2024, 1, 31), 1)`` is 29 February 2024; negative ``months`` go back.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def add_duration(day: dt.date, duration: Duration) -> dt.date:
    """Add a calendar duration: years and months first (clamped), then weeks and days."""
    shifted = shift_months(day, duration.years * 12 + duration.months)
    return shifted + dt.timedelta(weeks=duration.weeks, days=duration.days)


def due_date(collected: str | dt.date, refresh: str) -> dt.date:
    """Return the date a source is due for review: ``collected + refresh``.

    Raises
    ------
    ConfigError
        When either value cannot be parsed (see :func:`parse_collected`, :func:`parse_duration`).
    """
    return add_duration(parse_collected(collected), parse_duration(refresh))


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NaT:  # NaT is a datetime subclass: test it first
        return True
    return not isinstance(value, str | dt.date) and bool(pd.isna(value))


def overdue_sources(sources: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """List every source with its due date and whether it is overdue on ``as_of``.

    Parameters
    ----------
    sources : DataFrame
        The ``sources`` table: at least ``source_id, name, collected, refresh``.
    as_of : datetime.date
        The day to judge freshness on (the caller passes today; this function never reads
        the clock, so its answer is reproducible).

    Returns
    -------
    DataFrame
        ``source_id, name, collected, refresh, due, overdue, days_overdue`` in input order.
        ``due`` is a ``datetime.date``. A source is overdue when ``as_of`` is after its due
        date (on the due date itself it is due, not overdue); ``days_overdue`` is
        ``as_of - due`` in days, 0 when not overdue. A source without ``collected`` or
        ``refresh`` has no due date: ``due`` and ``days_overdue`` are missing and
        ``overdue`` is False.

    Raises
    ------
    ConfigError
        Listing every source whose ``collected`` or ``refresh`` cannot be parsed, by id.
    """
    missing = [c for c in ("source_id", "name", "collected", "refresh") if c not in sources]
    if missing:
        raise ConfigError(f"sources table lacks column(s) {missing}: add them to the sources.")
    rows, problems = [], []
    for record in sources[["source_id", "name", "collected", "refresh"]].itertuples(index=False):
        due: dt.date | None = None
        if not (_is_missing(record.collected) or _is_missing(record.refresh)):
            try:
                due = due_date(record.collected, record.refresh)
            except ConfigError as err:
                problems.append(f"source {record.source_id!r}: {err}")
        late = (as_of - due).days if due is not None else None
        rows.append(
            {
                "source_id": record.source_id,
                "name": record.name,
                "collected": record.collected,
                "refresh": record.refresh,
                "due": due,
                "overdue": late is not None and late > 0,
                "days_overdue": max(late, 0) if late is not None else None,
            }
        )
    if problems:
        raise ConfigError(format_problems("Some sources have bad dates or durations:", problems))
    result = pd.DataFrame(rows, columns=list(_OVERDUE_COLUMNS))
    result["overdue"] = result["overdue"].astype(bool)
    result["days_overdue"] = result["days_overdue"].astype("Int64")
    return result


_OVERDUE_COLUMNS = ("source_id", "name", "collected", "refresh", "due", "overdue", "days_overdue")


def collected_with_history(configured: str | None, newest_year: int | None) -> str:
    """A source's ``collected`` date once the store holds its history (the annual update).

    The newest year ingested for the source (written ``"YYYY"``: 1 January of that year, so
    never fresher than it could be), unless the config's ``collected`` says otherwise — a
    configured date on or after that 1 January is kept as given (it is more precise). Without
    either, ``""``.

    >>> collected_with_history("2024-12", 2025), collected_with_history("2025-06", 2025)
    ('2025', '2025-06')
    """
    if newest_year is None:
        return configured or ""
    if configured and parse_collected(configured) >= dt.date(newest_year, 1, 1):
        return configured
    return f"{newest_year:04d}"
