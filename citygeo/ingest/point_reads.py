"""Reading a points file into DuckDB: a CSV typed first (coordinates as numbers) with the text
path for the messages, or any vector point file; the columns checked."""

from __future__ import annotations

import contextlib
import logging

import pandas as pd

from citygeo.config import PointsSpec
from citygeo.errors import CRSError, InputError
from citygeo.ingest.columns import text_series
from citygeo.ingest.point_checks import (
    _PARSED,
    _RAW,
    _coordinate_columns,
    _is_vector,
    _raise_if_ragged,
)
from citygeo.ingest.readers import read_vector, sniff_text
from citygeo.store import Connection, DatabaseError, one_row, quote_ident

log = logging.getLogger(__name__)

_FRAME = "__citygeo_points_frame"
_REJECTS = "__citygeo_rejects"
_REJECT_SCANS = "__citygeo_reject_scans"


def _stage_csv(con: Connection, spec: PointsSpec, warnings: list[str]) -> str:
    """The text view of the CSV; returns the encoding DuckDB reads it with."""
    encoding, _ = sniff_text(spec.path)
    duck_encoding = {"utf-16": "utf-16", "cp1252": "latin-1"}.get(encoding, "utf-8")
    if encoding == "cp1252":
        warnings.append(
            f"{spec.path.name}: not UTF-8; read as Windows-1252 (Latin-1). Check "
            "accented letters, or save the file as UTF-8."
        )
    # A view (views take no parameters: the path is an escaped SQL string literal); the file
    # is read by _parse, in parallel, keeping only the named columns, and read again only
    # for the text of bad values in messages.
    source = _csv_source(str(spec.path), duck_encoding)
    try:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {_RAW} AS SELECT * FROM {source}")
    except DatabaseError as err:
        raise InputError(f"{spec.path}: cannot read this {spec.kind} CSV: {err}") from err
    return duck_encoding


def _csv_source(path: str, encoding: str) -> str:
    """``read_csv(...)`` over ``path`` with every value as text (literals escaped)."""
    return (
        f"read_csv('{_sql_text(path)}', all_varchar = true, header = true, "
        f"encoding = '{_sql_text(encoding)}')"
    )


def _stage_vector(con: Connection, spec: PointsSpec, warnings: list[str]) -> None:
    frame = read_vector(spec.path, spec.kind, layer=spec.layer, warnings=warnings)
    if frame.crs is None and not spec.crs:
        raise CRSError(
            f'{spec.path}: the points file carries no CRS; add `crs = "EPSG:…"` '
            "to this [[points]] entry."
        )
    if frame.crs is None:
        frame = frame.set_crs(spec.crs)
    bad = ~frame.geometry.geom_type.isin(["Point"]) | frame.geometry.is_empty
    if bad.any():
        rows = ", ".join(str(i + 1) for i in bad.to_numpy().nonzero()[0][:10])
        raise InputError(f"{spec.path}: features {rows} are not single points.")
    frame = frame.to_crs("EPSG:4326")
    table = pd.DataFrame(
        {c: text_series(frame[c]) for c in frame.columns if c != frame.geometry.name}
    )
    table["__lon"] = frame.geometry.x.map(repr)
    table["__lat"] = frame.geometry.y.map(repr)
    con.register(_FRAME, table)
    con.execute(f"CREATE OR REPLACE TEMP VIEW {_RAW} AS SELECT * FROM {_FRAME}")


def _columns(con: Connection) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {_RAW}").fetchall()]


def _require(columns: list[str], spec: PointsSpec) -> None:
    wanted = [spec.id, spec.date, spec.category, spec.name, spec.formal, spec.themes]
    if not _is_vector(spec):
        wanted += list(_coordinate_columns(spec))
    missing = [c for c in wanted if c and c not in columns]
    if missing:
        if not _is_vector(spec):
            _raise_if_ragged(spec)
        have = ", ".join(c for c in columns if not c.startswith("__"))
        raise InputError(
            f"{spec.path}: the {spec.kind} file has no column "
            f"{', '.join(repr(c) for c in missing)} (columns found: {have})."
        )


def _coordinate_expr(column: str) -> str:
    """A number from text, reading a decimal comma (``-29,995``) as a point; else NULL.

    NaN and infinity parse too; validation rejects them (``isfinite``)."""
    col = quote_ident(column)
    return (
        f"coalesce(TRY_CAST(trim({col}) AS DOUBLE), "
        f"TRY_CAST(replace(trim({col}), ',', '.') AS DOUBLE))"
    )


def _parse(con: Connection, spec: PointsSpec, warnings: list[str]) -> None:
    """Read the file once (in parallel) into the parsed table: text columns, parsed values.

    Kept as text: the columns the insert reads (id, category, name, formal, themes), and the
    date as ``__date_text`` (trimmed; NULL when empty), parsed once its format is known
    (:func:`_date_reading`). Coordinates are kept parsed only: ``__x`` and ``__y`` are NULL
    where the text does not parse (or is not a finite number). ``__commas`` says which
    coordinate text holds a comma (bit 1: x, bit 2: y); DuckDB's DOUBLE cast accepts no
    comma, so these are exactly the values the plain cast rejects and the decimal-comma
    reading may accept. Row ``rowid`` is record ``rowid`` of the file (see the module notes).
    """
    xcol, ycol = _coordinate_columns(spec)
    kept = [
        c for c in dict.fromkeys([spec.id, spec.category, spec.name, spec.formal, spec.themes]) if c
    ]
    typed = [f"{_coordinate_expr(xcol)} AS __x", f"{_coordinate_expr(ycol)} AS __y"]
    if spec.kind == "incidents" and spec.date:
        typed.append(f"NULLIF(trim({quote_ident(spec.date)}), '') AS __date_text")
    if not _is_vector(spec):
        xcomma, ycomma = (
            f"coalesce(contains({quote_ident(c)}, ','), false)::UTINYINT" for c in (xcol, ycol)
        )
        typed.append(f"({xcomma} + 2 * {ycomma}) AS __commas")
    select = ", ".join([*(quote_ident(c) for c in kept), *typed])
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_PARSED} AS SELECT {select} FROM {_RAW}")
    except DatabaseError as err:
        raise InputError(f"{spec.path}: cannot read this {spec.kind} CSV: {err}") from err


def _parse_typed(con: Connection, spec: PointsSpec, encoding: str) -> bool:
    """The fast path of :func:`_parse`: DuckDB reads the coordinates as ``DOUBLE`` itself.

    Every other column is read as text, as in the text path. A value the reader cannot take
    as a number (a decimal comma, a word, a ragged line...) is set aside by ``store_rejects``
    instead of failing (a failed statement would abort the writer's transaction); if any
    was, the typed table is dropped and False returned: the text path then reads the file
    and words every message exactly as before. A value the reader does take is the number
    the text path's cast gives (both are DuckDB's parser; surrounding blanks are skipped, a
    number holds no comma, so ``__commas`` is 0). Returns True when the parsed table is built.
    """
    xcol, ycol = _coordinate_columns(spec)
    kept = [
        c for c in dict.fromkeys([spec.id, spec.category, spec.name, spec.formal, spec.themes]) if c
    ]
    types = ", ".join(f"'{_sql_text(c)}': 'DOUBLE'" for c in dict.fromkeys([xcol, ycol]))
    typed = [f"{quote_ident(xcol)} AS __x", f"{quote_ident(ycol)} AS __y"]
    if spec.kind == "incidents" and spec.date:
        typed.append(f"NULLIF(trim({quote_ident(spec.date)}), '') AS __date_text")
    typed.append("0::UTINYINT AS __commas")
    select = ", ".join([*(quote_ident(c) for c in kept), *typed])
    source = (
        f"read_csv('{_sql_text(str(spec.path))}', header = true, "
        f"encoding = '{_sql_text(encoding)}', auto_type_candidates = ['VARCHAR'], "
        f"types = {{{types}}}, store_rejects = true, rejects_table = '{_REJECTS}', "
        f"rejects_scan = '{_REJECT_SCANS}')"
    )
    _drop_rejects(con)
    try:  # errors at bind time (e.g. another reading of the header) leave the transaction usable
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_PARSED} AS SELECT {select} FROM {source}")
    except DatabaseError as err:
        try:
            con.execute("SELECT 1")
        except DatabaseError:  # failed while reading: the transaction is lost, stop here
            raise InputError(f"{spec.path}: cannot read this {spec.kind} CSV: {err}") from err
        _drop_rejects(con)
        log.debug("%s: typed read refused; reading as text", spec.path, exc_info=True)
        return False
    try:
        rejected = one_row(con.execute(f"SELECT count(*) FROM {_REJECTS}").fetchone())[0]
    finally:
        _drop_rejects(con)
    if rejected:
        con.execute(f"DROP TABLE {_PARSED}")
        log.info("%s: %d values not read as numbers; reading as text", spec.path, rejected)
        return False
    return True


def _drop_rejects(con: Connection) -> None:
    con.execute(f"DROP TABLE IF EXISTS {_REJECTS}; DROP TABLE IF EXISTS {_REJECT_SCANS}")


def _drop_raw(con: Connection) -> None:
    con.execute(f"DROP VIEW IF EXISTS {_RAW}")
    with contextlib.suppress(DatabaseError):
        con.unregister(_FRAME)


def _sql_text(text: str) -> str:
    return text.replace("'", "''")
