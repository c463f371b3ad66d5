"""The store's history by source and year (DESIGN.md §2, the annual update).

An ingest *adds to* the history: the rows a source delivers replace that source's rows only
for the years the new files hold; every other year stays. Registers (assets, stakeholders)
hold the current state: a source that delivers its register replaces its rows, each dated
``confirmed_on`` (the ingest date); a row the new register no longer lists is dropped from
the current state and the ingest report says how many (with a few ids).

The pattern, inside the ingest's unit of work: :func:`set_aside` moves a table's rows to a
temporary table, the new rows are written, then :func:`restore` puts back every kept row of
a (source, year) the new rows do not cover.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from citygeo.errors import InputError
from citygeo.rules.freshness import collected_with_history
from citygeo.store import Connection, ensure_columns, quote_ident
from citygeo.store.years import DEFAULT_SOURCE, YEAR_OF, held_years

# Registers: current state per source, keyed by their id column.
REGISTER_ID: dict[str, str] = {"assets": "asset_id", "stakeholders": "stakeholder_id"}


def _kept(table: str) -> str:
    return f"__kept_{table}"


def migrate(con: Connection) -> None:
    """Give an older store the history columns: ``source_id`` everywhere, ``confirmed_on``
    on registers; rows without a source get the section's default id."""
    for table in (*YEAR_OF, *REGISTER_ID):
        if table not in _tables(con):
            continue
        ensure_columns(con, table, {"source_id": "VARCHAR"})
        if table == "indicator_values":
            con.execute(
                "UPDATE indicator_values v SET source_id = i.source_id FROM indicators i "
                "WHERE v.source_id IS NULL AND i.indicator = v.indicator"
            )
        con.execute(
            f"UPDATE {quote_ident(table)} SET source_id = ? WHERE source_id IS NULL",
            [DEFAULT_SOURCE[table]],
        )
    for table in REGISTER_ID:
        ensure_columns(con, table, {"confirmed_on": "DATE"})
    ensure_columns(con, "sources", {"collected_config": "VARCHAR"})
    con.execute("UPDATE sources SET collected_config = collected WHERE collected_config IS NULL")


def follow_history(con: Connection, warnings: list[str] | None = None) -> None:
    """Set each source's ``collected`` from the newest year held for it (see
    :func:`citygeo.rules.freshness.collected_with_history`), saying what was inferred."""
    newest: dict[str, int] = {}
    for _, source, year, _ in held_years(con):
        newest[source] = max(year, newest.get(source, year))
    for source_id, configured, stored in con.execute(
        "SELECT source_id, collected_config, collected FROM sources ORDER BY 1"
    ).fetchall():
        value = collected_with_history(configured, newest.get(source_id))
        if value != stored:
            con.execute("UPDATE sources SET collected = ? WHERE source_id = ?", [value, source_id])
        if warnings is not None and value != (configured or ""):
            said = f"the config says {configured}" if configured else "the config gives none"
            warnings.append(
                f"source {source_id!r}: collected taken as {value}, the newest year "
                f"ingested for it ({said}); set [sources.{source_id}] collected to "
                "a later date to be more precise"
            )


def set_aside(con: Connection, table: str) -> None:
    """Move every row of ``table`` to a temporary table (the new rows are written next)."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {quote_ident(_kept(table))} AS "
        f"SELECT * FROM {quote_ident(table)}"
    )
    con.execute(f"DELETE FROM {quote_ident(table)}")


def restore(con: Connection, table: str, default_source: str | None = None) -> list[str]:
    """Put back the kept rows the new rows do not replace; return what a register dropped.

    Year-keyed tables keep every (source, year) the new rows do not hold; registers keep
    every source the new rows do not hold. New rows without a source get ``default_source``.
    """
    con.execute(
        f"UPDATE {quote_ident(table)} SET source_id = ? WHERE source_id IS NULL",
        [default_source or DEFAULT_SOURCE[table]],
    )
    dropped: list[str] = []
    if table in YEAR_OF:
        # constant fragments only (the year of a row, from YEAR_OF); names are quoted
        where = (
            f"NOT EXISTS (SELECT 1 FROM {quote_ident(table)} n WHERE n.source_id IS NOT "
            f"DISTINCT FROM k.source_id AND {_on('n', YEAR_OF[table])} IS NOT DISTINCT FROM "
            f"{_on('k', YEAR_OF[table])})"
        )
    else:
        dropped = [
            f"{row[0]} (source {row[1]}, last confirmed {row[2]})"
            for row in con.execute(
                f"SELECT k.{quote_ident(REGISTER_ID[table])}, k.source_id, k.confirmed_on "
                f"FROM {quote_ident(_kept(table))} k "
                f"WHERE k.source_id IN (SELECT source_id FROM {quote_ident(table)}) "
                f"AND k.{quote_ident(REGISTER_ID[table])} NOT IN "
                f"(SELECT {quote_ident(REGISTER_ID[table])} FROM {quote_ident(table)} "
                f"WHERE {quote_ident(REGISTER_ID[table])} IS NOT NULL) ORDER BY 1"
            ).fetchall()
        ]
        where = f"k.source_id NOT IN (SELECT DISTINCT source_id FROM {quote_ident(table)})"
    con.execute(
        f"INSERT INTO {quote_ident(table)} BY NAME SELECT * FROM "
        f"{quote_ident(_kept(table))} k WHERE {where}"
    )
    con.execute(f"DROP TABLE {quote_ident(_kept(table))}")
    return dropped


def _on(alias: str, expression: str) -> str:
    """``expression`` with its column names prefixed by ``alias``."""
    for column in ("occurred_on", "period", "date"):
        if f"({column})" in expression:
            return expression.replace(f"({column})", f"({alias}.{column})")
    return f"{alias}.{expression}"


def confirm(con: Connection, table: str, today: date) -> None:
    """Date the rows a register delivered in this ingest (those not dated yet)."""
    con.execute(
        f"UPDATE {quote_ident(table)} SET confirmed_on = ? WHERE confirmed_on IS NULL", [today]
    )


def _tables(con: Connection) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
    }


@dataclass(frozen=True)
class Removed:
    """What ``remove_source_year`` deleted: rows per table."""

    source_id: str
    year: int
    rows: dict[str, int]


def remove_source_year(con: Connection, source_id: str, year: int) -> Removed:
    """Delete every row of one source and year (a withdrawn file); InputError if none is held."""
    migrate(con)
    held = held_years(con)
    sources = sorted({s for _, s, _, _ in held})
    if source_id not in sources:
        raise InputError(
            f"the store holds no source {source_id!r}; sources with yearly data: "
            f"{', '.join(sources) or 'none'}. Pass one of them to --source."
        )
    years = sorted({y for _, s, y, _ in held if s == source_id})
    if year not in years:
        raise InputError(
            f"source {source_id!r} holds no data for {year}; its years: "
            f"{', '.join(map(str, years))}. Pass one of them to --year."
        )
    rows: dict[str, int] = {}
    for table, s, y, n in held:
        if s == source_id and y == year:
            where = f"source_id = ? AND {YEAR_OF[table]} = ?"  # a constant fragment
            con.execute(f"DELETE FROM {quote_ident(table)} WHERE {where}", [source_id, year])
            rows[table] = n
    follow_history(con)
    return Removed(source_id, year, rows)


def clear_store(con: Connection) -> None:
    """Drop every table (``--rebuild``): the ingest then writes the city from scratch."""
    for (table,) in con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_type = 'BASE TABLE'"
    ).fetchall():
        con.execute(f"DROP TABLE {quote_ident(table)}")


__all__ = [
    "DEFAULT_SOURCE",
    "REGISTER_ID",
    "YEAR_OF",
    "Removed",
    "clear_store",
    "confirm",
    "follow_history",
    "migrate",
    "remove_source_year",
    "restore",
    "set_aside",
]
