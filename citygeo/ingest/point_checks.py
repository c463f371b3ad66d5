"""Checks of a points file staged in DuckDB: every problem named with its lines (one line per
kind of problem, with a count and examples), repeated ids, dates, points outside the city."""

from __future__ import annotations

import csv
from collections.abc import Callable

import pandas as pd

from citygeo.config import PointsSpec
from citygeo.errors import InputError, StoreError, format_problems
from citygeo.ingest.date_columns import bad_dates_problem, undated_problem
from citygeo.ingest.dates import (
    DateColumn,
    DateReading,
    sql_date,
)
from citygeo.ingest.readers import sniff_text
from citygeo.store import Connection, one_row, quote_ident

_RAW = "__citygeo_points_raw"


_PARSED = "__citygeo_points_parsed"


_MERGED = "__citygeo_merged"


_CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
_EXAMPLES = 5


_FUTURE_GRACE_DAYS = 1


def _is_vector(spec: PointsSpec) -> bool:
    return spec.path.suffix.lower() not in _CSV_SUFFIXES


def _coordinate_columns(spec: PointsSpec) -> tuple[str, str]:
    if _is_vector(spec):
        return "__lon", "__lat"
    return (spec.lon, spec.lat) if spec.lon and spec.lat else (spec.x or "", spec.y or "")


_MAX_RAGGED = 5


def _raise_if_ragged(spec: PointsSpec) -> None:
    """Name the lines whose number of fields differs from the header's.

    A row with more fields than the header makes DuckDB's sniffer read the whole file as one
    column, so the wanted columns look missing; the real problem is the row. Runs only on the
    error path (it reads the file with Python's csv module).
    """
    encoding, delimiter = sniff_text(spec.path)
    delimiter = delimiter if delimiter in ",;\t|" else ","
    with spec.path.open(newline="", encoding=encoding, errors="replace") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        header = next(reader, [])
        if len(header) < 2:
            return
        bad: list[str] = []
        for row in reader:
            if row and len(row) != len(header):
                bad.append(f"line {reader.line_num} has {len(row)} fields")
                if len(bad) == _MAX_RAGGED:
                    break
    if bad:
        raise InputError(
            format_problems(
                f"{spec.path}: the header has {len(header)} fields ({delimiter!r}-separated) "
                "but some rows do not; every row needs the same number of fields "
                f"(a value that contains {delimiter!r} needs quotes):",
                [f"{b} (header: {len(header)})" for b in bad],
            )
        )


def _line_word(spec: PointsSpec) -> str:
    return "feature" if _is_vector(spec) else "line"


def _first_line(spec: PointsSpec) -> int:
    """Line (or feature) number of the first record."""
    return 1 if _is_vector(spec) else 2


def _date_column(spec: PointsSpec) -> DateColumn:
    return DateColumn(
        spec.path, str(spec.date), section=f"this [[points]] entry ({spec.path.name})"
    )


def _validate(
    con: Connection,
    spec: PointsSpec,
    warnings: list[str],
    today: pd.Timestamp,
    reading: DateReading | None,
) -> int:
    """Check every row in one scan of the parsed table; name the bad lines and values.

    Returns the ``rowid`` of the first record: record ``i`` of the file has ``rowid`` base + i
    (rowids count up from a base, which is not 0 for a table made inside a transaction; that
    they are contiguous is checked here)."""
    dated = reading is not None
    limit = (today + pd.Timedelta(days=_FUTURE_GRACE_DAYS)).date()
    date = sql_date("__date_text", reading) if reading else "NULL::DATE"
    clauses = [
        "min(rowid)",
        "max(rowid)",
        "count(*)",
        "count(*) FILTER (NOT coalesce(isfinite(__x), false))",
        "count(*) FILTER (NOT coalesce(isfinite(__y), false))",
        "count(*) FILTER (abs(__x) > 180 OR abs(__y) > 90)",
    ]
    clauses += (
        [
            "count(*) FILTER (__date_text IS NULL)",
            f"count(*) FILTER (__date_text IS NOT NULL AND {date} IS NULL)",
            f"count(*) FILTER ({date} > $limit)",
            f"min(rowid) FILTER ({date} > $limit)",
        ]
        if dated
        else ["0", "0", "0", "NULL"]
    )
    clauses += (
        ["0", "0"]
        if _is_vector(spec)
        else ["count(*) FILTER (__commas & 1 = 1)", "count(*) FILTER (__commas & 2 = 2)"]
    )
    select = ", ".join(clauses)
    counts = one_row(
        con.execute(f"SELECT {select} FROM {_PARSED}", {"limit": limit} if dated else {}).fetchone()
    )
    (
        base,
        last,
        total,
        bad_x,
        bad_y,
        out_of_range,
        undated,
        bad_dates,
        future,
        first_future,
        comma_x,
        comma_y,
    ) = counts
    for column, commas in zip(_coordinate_columns(spec), (comma_x, comma_y)):
        if commas:
            warnings.append(
                f"{spec.path.name}: column {column!r} uses decimal commas; read -29,995 as -29.995"
            )
    if total == 0:
        raise InputError(f"{spec.path}: the {spec.kind} file has a header but no rows.")
    if last - base + 1 != total:  # never seen; line numbers would be wrong, so stop
        raise StoreError(
            f"{spec.path}: cannot number the records read (row ids {base}-{last} "
            f"for {total} rows); please report this as a bug in citygeo."
        )
    first = _first_line(spec) - base  # line of record rowid r = r + first
    word = _line_word(spec)
    xname, yname = _coordinate_columns(spec)
    # (message maker, raw columns it quotes, rowids) for each kind of problem, in order
    found: list[tuple[Callable[..., str], list[str], list[int]]] = []
    for column, parsed, bad in ((xname, "__x", bad_x), (yname, "__y", bad_y)):
        if bad:
            col = quote_ident(column)
            found.append(
                (
                    lambda line, value, col=col: (
                        f"{word} {line}, column {col}: {value!r} is not a coordinate"
                    ),
                    [column],
                    _rowids(con, f"NOT coalesce(isfinite({parsed}), false)", 20),
                )
            )
    if not spec.x and not (bad_x or bad_y) and out_of_range:
        found.append(
            (
                lambda line, x, y: (
                    f"{word} {line}: ({x}, {y}) is not a longitude/latitude "
                    "pair; projected coordinates need `x`, `y` and `crs` in the config"
                ),
                [xname, yname],
                _rowids(con, "abs(__x) > 180 OR abs(__y) > 90", 10),
            )
        )
    if dated and not (bad_dates or undated) and future:
        warnings.append(
            f"{spec.path.name}: {future} incidents are dated in the future "
            f"(first on line {first_future + first}); check the date column"
        )
    problems = _quote_lines(con, found, base, first)
    if reading is not None:
        problems += _date_problems(con, spec, reading, first, undated, bad_dates)
    if spec.id:
        problems += _duplicate_ids(con, spec, first)
    if problems:
        raise InputError(
            format_problems(f"{spec.path}: the {spec.kind} file has problems:", problems)
        )
    return base


def _rowids(con: Connection, where: str, limit: int) -> list[int]:
    """The first ``limit`` rowids of the parsed table where ``where`` (module-made SQL) holds."""
    return [
        r[0]
        for r in con.execute(
            f"SELECT rowid FROM {_PARSED} WHERE {where} ORDER BY rowid LIMIT ?", [limit]
        ).fetchall()
    ]


def _quote_lines(
    con: Connection,
    found: list[tuple[Callable[..., str], list[str], list[int]]],
    base: int,
    first: int,
) -> list[str]:
    """The messages for ``found``, with the raw text of the named lines read again from the file.

    One ordered (single-threaded) read of the file, only when there is something to report."""
    if not found:
        return []
    wanted = sorted({rowid - base for _, _, rowids in found for rowid in rowids})
    names = list(dict.fromkeys(c for _, columns, _ in found for c in columns))
    cols = [quote_ident(c) for c in names]
    rows = con.execute(
        f"SELECT __row, {', '.join(cols)} FROM (SELECT row_number() OVER () - 1 "
        f"AS __row, {', '.join(cols)} FROM {_RAW}) WHERE list_contains(?::BIGINT[], "
        "__row)",
        [wanted],
    ).fetchall()
    text = {row[0] + base: dict(zip(names, row[1:])) for row in rows}
    return [
        message(rowid + first, *(text[rowid][c] for c in columns))
        for message, columns, rowids in found
        for rowid in rowids
    ]


def _date_problems(
    con: Connection, spec: PointsSpec, reading: DateReading, first: int, undated: int, bad: int
) -> list[str]:
    """One line for the rows with no date and one for the dates that do not parse."""
    column = _date_column(spec)
    word = _line_word(spec)
    problems = []
    if undated:
        rowids = _rowids(con, "__date_text IS NULL", _EXAMPLES)
        problems.append(undated_problem(column, undated, [f"{word} {r + first}" for r in rowids]))
    if bad:
        date = sql_date("__date_text", reading)
        rows = con.execute(
            f"SELECT rowid, __date_text FROM {_PARSED} WHERE __date_text IS NOT "
            f"NULL AND {date} IS NULL ORDER BY rowid LIMIT ?",
            [_EXAMPLES],
        ).fetchall()
        problems.append(
            bad_dates_problem(column, reading, bad, [(f"{word} {r + first}", v) for r, v in rows])
        )
    return problems


def _id_keys(spec: PointsSpec) -> tuple[str, str]:
    """SQL for the id and the category of a parsed row, as the insert stores them."""
    assert spec.id
    ident = f"NULLIF(trim({quote_ident(spec.id)}), '')"
    category = (
        f"coalesce(NULLIF(trim({quote_ident(spec.category)}), ''), 'unspecified')"
        if spec.category
        else "'incident'"
    )
    return ident, category


def _duplicate_ids(con: Connection, spec: PointsSpec, first: int) -> list[str]:
    """Ids given to more than one row, in one problem line with examples.

    With ``duplicate_ids = "count_once"`` only rows without an id are a problem (more than
    one of them): rows sharing an id are merged later (:func:`_merge_repeated_ids`)."""
    ident, _ = _id_keys(spec)
    once = spec.duplicate_ids == "count_once"
    where = "__id IS NULL" if once else "true"
    dups, ids = one_row(
        con.execute(
            f"SELECT count(*), list(__id ORDER BY __id NULLS FIRST)[1:5] FROM (SELECT {ident} AS "
            f"__id FROM {_PARSED} GROUP BY 1 HAVING count(*) > 1) WHERE {where}"
        ).fetchone()
    )
    if not dups:
        return []
    rows = con.execute(
        f"SELECT {ident} AS __id, list(rowid + ? ORDER BY rowid)[1:5] "
        f"FROM {_PARSED} WHERE list_contains(?::VARCHAR[], {ident}) "
        f"OR ({ident} IS NULL AND ?) GROUP BY 1 ORDER BY 1 NULLS FIRST",
        [first, [i for i in ids if i is not None], None in ids],
    ).fetchall()
    word = _line_word(spec)
    named = "; ".join(
        f"{'an empty id' if value is None else f'id {value!r}'} appears more "
        f"than once ({word}s {', '.join(map(str, lines))})"
        for value, lines in rows
    )
    column = f"column {spec.id!r}"
    if once:
        return [
            (f"{column}: rows without an id cannot be told apart: {named}; give each record an id")
        ]
    count = f"{dups:,} ids are" if dups > 1 else "1 id is"
    return [
        (
            f"{column}: {count} given to more than one row: {named}. If such rows are one "
            'incident recorded once per offence or victim, set duplicate_ids = "count_once" '
            f"on this [[points]] entry ({spec.path.name}): rows sharing an id and a category "
            "then count as one incident; otherwise give each record its own id"
        )
    ]


def _merge_repeated_ids(con: Connection, spec: PointsSpec, warnings: list[str]) -> int:
    """With ``duplicate_ids = "count_once"``: rows sharing an id and a category are one incident.

    The first row of each (by line) is kept; the others' rowids go to the merged table, which
    the insert leaves out. Runs on the final parsed table (after any transform). The report
    says how many rows were merged, how many of them differ in date or place from the row
    kept, and how many ids stay several incidents because their rows differ in category.
    Returns the number of rows merged."""
    if spec.duplicate_ids != "count_once":
        return 0
    ident, category = _id_keys(spec)
    date = "__date_text" if spec.kind == "incidents" and spec.date else "NULL"
    window = f"PARTITION BY {ident}, {category} ORDER BY rowid"
    differs = " OR ".join(
        f"{c} IS DISTINCT FROM first_value({c}) OVER ({window})" for c in (date, "__x", "__y")
    )
    select = (
        f"SELECT __row, __differs FROM (SELECT rowid AS __row, row_number() OVER "
        f"({window}) AS __k, ({differs}) AS __differs FROM {_PARSED} "
        f"WHERE {ident} IS NOT NULL) WHERE __k > 1"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_MERGED} AS {select}")
    merged, differ = one_row(
        con.execute(f"SELECT count(*), count(*) FILTER (__differs) FROM {_MERGED}").fetchone()
    )
    split = one_row(
        con.execute(
            f"SELECT count(*) FROM (SELECT {ident} FROM {_PARSED} WHERE {ident} IS "
            f"NOT NULL GROUP BY 1 HAVING count(DISTINCT {category}) > 1)"
        ).fetchone()
    )[0]
    name = spec.path.name
    if merged:
        detail = f"; {differ:,} of them differ in date or place from the row kept" if differ else ""
        rows = f"{merged:,} rows repeat" if merged > 1 else "1 row repeats"
        warnings.append(
            f"{name}: {rows} the id and category of an earlier row and "
            'were counted once (duplicate_ids = "count_once": the first row by '
            f"line is kept){detail}"
        )
    if split:
        ids = f"{split:,} ids are" if split > 1 else "1 id is"
        warnings.append(
            f"{name}: {ids} shared by rows of different categories; those rows "
            "stay separate incidents, one per category"
        )
    return int(merged)


def _outside_everywhere(con: Connection, spec: PointsSpec, total: int) -> InputError:
    """The error for a file whose points all miss the city, with the lon/lat-swap hint."""
    swapped = one_row(
        con.execute(
            f"SELECT count(*) FROM (SELECT DISTINCT p.rowid FROM {_PARSED} p JOIN neighbourhoods n "
            "ON ST_Intersects(n.geom, ST_Point(p.__y, p.__x)))"
        ).fetchone()
    )[0]
    hint = (
        f" Swapping longitude and latitude would put {swapped:,} inside: are the lon/lat "
        "columns the wrong way round?"
        if swapped
        else " Check the coordinate columns and their CRS (lon/lat swapped? projected "
        "coordinates given as lon/lat?)."
    )
    return InputError(
        f"{spec.path}: all {total:,} {spec.kind} points fall outside every neighbourhood.{hint}"
    )
