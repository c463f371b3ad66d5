"""Reads of the store's history: the years each source holds, the years scored, the boundary
vintages and the crosswalks between them (the annual update, DESIGN.md §2)."""

from __future__ import annotations

import pandas as pd

from citygeo.store.database import Connection, one_row, quote_ident, table_columns
from citygeo.store.reads import (
    _CURRENT_METHODOLOGIES,
    NEIGHBOURHOOD_COLUMNS,
    _frame,
    _has_tables,
    table_names,
)

# -- history by source and year, boundary vintages (the annual update) -------------------------
# Year-keyed tables, the SQL of a row's year, and the source id of rows without one.
YEAR_OF: dict[str, str] = {
    "indicator_values": "year",
    "incidents": "CAST(year(occurred_on) AS INTEGER)",
    "incident_counts": "CAST(year(period) AS INTEGER)",
    "survey_responses": "year",
    "online_signals": "CAST(year(period) AS INTEGER)",
    "consultations": "CAST(year(date) AS INTEGER)",
}
DEFAULT_SOURCE: dict[str, str] = {
    "indicator_values": "indicators",
    "incidents": "incidents",
    "incident_counts": "counts",
    "assets": "assets",
    "survey_responses": "survey",
    "online_signals": "online",
    "stakeholders": "stakeholders",
    "consultations": "consultations",
}


def held_years(con: Connection) -> list[tuple[str, str, int, int]]:
    """Every ``(table, source_id, year, rows)`` the store holds, ordered by table, source, year."""
    have = table_names(con)
    out: list[tuple[str, str, int, int]] = []
    for table, select in YEAR_OF.items():  # constant fragments: the year of a row
        if table not in have:
            continue
        source = "source_id" if "source_id" in table_columns(con, table) else "NULL"
        out += [
            (table, str(s), int(y), int(n))
            for s, y, n in con.execute(
                f"SELECT coalesce({source}, ?) AS s, {select} AS y, count(*) "
                f"FROM {quote_ident(table)} WHERE y IS NOT NULL GROUP BY ALL ORDER BY 1, 2",
                [DEFAULT_SOURCE[table]],
            ).fetchall()
        ]
    return out


def scored_years(con: Connection) -> pd.DataFrame:
    """Every (year, methodology) with scores: ``year, version, methodology_sha256, current``."""
    columns = ["year", "version", "methodology_sha256", "current"]
    if not _has_tables(con, "scores", "methodologies"):
        return pd.DataFrame(columns=columns)
    return _frame(
        con,
        "SELECT s.year, m.version, s.methodology_sha256, "
        "coalesce(c.methodology_sha256 IS NOT NULL, FALSE) AS current FROM "
        "(SELECT DISTINCT year, methodology_sha256 FROM scores) s JOIN methodologies m "
        f"ON m.sha256 = s.methodology_sha256 LEFT JOIN ({_CURRENT_METHODOLOGIES}) c "
        "USING (year, methodology_sha256) ORDER BY s.year, m.created_at",
    )


def vintage_ids(con: Connection) -> list[str]:
    """The boundary vintages held, oldest first."""
    if "boundary_vintages" not in table_names(con):
        return []
    return [
        r[0]
        for r in con.execute(
            "SELECT vintage, min(first_year) AS y FROM boundary_vintages "
            "GROUP BY vintage ORDER BY y, vintage"
        ).fetchall()
    ]


def vintage_first_year(con: Connection, vintage: str) -> int:
    """The first year of a boundary vintage."""
    row = con.execute(
        "SELECT min(first_year) FROM boundary_vintages WHERE vintage = ?", [vintage]
    ).fetchone()
    return int(one_row(row)[0])


def vintages(con: Connection) -> pd.DataFrame:
    """``vintage, first_year, file, neighbourhoods`` per boundary vintage, oldest first."""
    if "boundary_vintages" not in table_names(con):
        return pd.DataFrame(columns=["vintage", "first_year", "file", "neighbourhoods"])
    return _frame(
        con,
        "SELECT vintage, min(first_year) AS first_year, any_value(file) AS file, "
        "count(*) AS neighbourhoods FROM boundary_vintages GROUP BY vintage "
        "ORDER BY first_year, vintage",
    )


def vintage_neighbourhoods(con: Connection, vintage: str) -> pd.DataFrame:
    """The neighbourhoods of one vintage, like :func:`neighbourhoods` with ``geometry``."""
    frame = _frame(
        con,
        f"SELECT {', '.join(NEIGHBOURHOOD_COLUMNS)}, ST_AsWKB(geom) AS geom_wkb "
        "FROM boundary_vintages WHERE vintage = ? ORDER BY nid",
        [vintage],
    )
    frame["geom_wkb"] = [bytes(b) if b is not None else None for b in frame["geom_wkb"]]
    return frame


def crosswalk(con: Connection, from_vintage: str, to_vintage: str) -> pd.DataFrame:
    """``from_nid, to_nid, weight`` linking two vintages (empty when none was given)."""
    if "boundary_crosswalks" not in table_names(con):
        return pd.DataFrame(columns=["from_nid", "to_nid", "weight"])
    return _frame(
        con,
        "SELECT from_nid, to_nid, weight FROM boundary_crosswalks "
        "WHERE from_vintage = ? AND to_vintage = ? ORDER BY 1, 2",
        [from_vintage, to_vintage],
    )


def incident_counts_in_vintage(con: Connection, vintage: str | None) -> pd.DataFrame:
    """Incidents counted per neighbourhood of a vintage (None: the current ones), by where they
    lie: ``nid, year, category, count``."""
    table, where = (
        ("boundary_vintages", "AND n.vintage = ?")
        if vintage is not None
        else ("neighbourhoods", "")
    )
    return _frame(
        con,
        "SELECT n.nid, CAST(year(i.occurred_on) AS INTEGER) AS year, i.category, "
        f"count(*) AS count FROM incidents i JOIN {table} n ON ST_Contains(n.geom, i.geom) "
        f"WHERE i.occurred_on IS NOT NULL {where} GROUP BY ALL",
        [vintage] if vintage is not None else [],
    )


def asset_counts_in_vintage(con: Connection, vintage: str) -> pd.DataFrame:
    """Like :func:`asset_counts`, each mechanism counted in the vintage's neighbourhood it lies
    in."""
    return _frame(
        con,
        "SELECT nid, kind, theme, count(*) AS count FROM ("
        "  SELECT n.nid, a.kind, unnest(CASE WHEN len(a.themes) = 0 THEN [NULL] "
        "  ELSE a.themes END) AS theme FROM assets a JOIN boundary_vintages n "
        "  ON ST_Contains(n.geom, a.geom) WHERE n.vintage = ?) GROUP BY ALL",
        [vintage],
    )
