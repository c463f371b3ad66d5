"""Every read of the store outside the ingest: one query per fact, each in one place."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd

from citygeo.store.database import Connection, one_row, one_thread, quote_ident, table_columns

# -- which scores are current ------------------------------------------------------------------
# One rule, used by the service layer, the dashboard and the exports: for each year, the scores
# of the methodology saved most recently among those that scored that year.
_CURRENT_METHODOLOGIES = (
    "SELECT s.year, s.methodology_sha256, m.version, CAST(m.spec AS VARCHAR) AS spec, m.note, "
    "m.created_at FROM (SELECT DISTINCT year, methodology_sha256 FROM scores) s "
    "JOIN methodologies m ON m.sha256 = s.methodology_sha256 "
    "QUALIFY row_number() OVER (PARTITION BY s.year ORDER BY m.created_at DESC) = 1"
)
CURRENT_METHODOLOGY_COLUMNS = [
    "year",
    "methodology_sha256",
    "version",
    "spec",
    "note",
    "created_at",
]


def _has_tables(con: Connection, *names: str) -> bool:
    have = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    return set(names) <= have


def current_methodologies(con: Connection) -> pd.DataFrame:
    """Per scored year, the current methodology: ``CURRENT_METHODOLOGY_COLUMNS``."""
    if not _has_tables(con, "scores", "methodologies"):
        return pd.DataFrame(columns=CURRENT_METHODOLOGY_COLUMNS)
    return con.execute(f"{_CURRENT_METHODOLOGIES} ORDER BY s.year").df()


def current_score_rows(
    con: Connection, table: str = "scores", *, grp: str | None = None, year: int | None = None
) -> pd.DataFrame:
    """The rows of ``table`` (``scores`` or ``district_scores``) scored with each year's
    current methodology, optionally of one group and one year; ``flags`` as lists of str."""
    if not _has_tables(con, "scores", "methodologies", table):
        return pd.DataFrame()
    conditions = ["TRUE"]  # constant fragments only; values go in as parameters
    params: list[Any] = []
    if grp is not None:
        conditions.append("t.grp = ?")
        params.append(grp)
    if year is not None:
        conditions.append("t.year = ?")
        params.append(year)
    where = " AND ".join(conditions)
    frame = con.execute(
        f"SELECT t.* FROM {quote_ident(table)} t JOIN ({_CURRENT_METHODOLOGIES}) c "
        f"USING (year, methodology_sha256) WHERE {where} ORDER BY t.grp, t.year, t.nid",
        params,
    ).df()
    frame["flags"] = frame["flags"].map(lambda f: [str(x) for x in f] if f is not None else [])
    return frame


def table_names(con: Connection) -> set[str]:
    """The tables the store holds."""
    return {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }


# Results made only of these types come through Arrow: DuckDB's ``.df()`` builds every text
# value as a Python object first (0.95 s for the 1.6 M indicator values of a 35,000-neighbourhood
# city, 0.09 s through Arrow), and pandas keeps its Arrow-backed text as it is.
_ARROW_TYPES = frozenset({"VARCHAR", "DOUBLE", "INTEGER", "BIGINT"})
_NULLABLE_INTEGERS = {"INTEGER": "Int32", "BIGINT": "Int64"}


def _frame(con: Connection, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
    """The result of ``sql`` as a DataFrame, with exactly the columns and dtypes of DuckDB's
    ``.df()`` (tested on every case where the two conversions differ)."""
    result = con.execute(sql, params or [])
    types = [str(d[1]) for d in result.description]
    if not _ARROW_TYPES.issuperset(types):
        return result.df()
    table = result.fetch_arrow_table()
    if (
        table.num_rows == 0
        or len(set(table.column_names)) < len(types)
        or any(t == "VARCHAR" and c.null_count == len(c) for t, c in zip(types, table.columns))
    ):
        # .df() gives these object columns (empty result, text that is all NULL); rare and small
        return con.execute(sql, params or []).df()
    frame = table.to_pandas()
    for name, kind, column in zip(table.column_names, types, table.columns, strict=True):
        if kind in _NULLABLE_INTEGERS and column.null_count:  # .df(): Int32/Int64, not float
            frame[name] = column.to_pandas(types_mapper=pd.ArrowDtype).astype(
                _NULLABLE_INTEGERS[kind]
            )
    return frame


def city_settings(con: Connection) -> dict[str, Any]:
    """The ``[city]`` settings the last ingest recorded, as stored (JSON values)."""
    if "city" not in table_names(con):
        return {}
    return {
        str(k): _json_value(v) for k, v in con.execute("SELECT key, value FROM city").fetchall()
    }


def _json_value(text: str | None) -> Any:
    """A setting's stored value: JSON since the typed settings; older stores hold plain text."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


NEIGHBOURHOOD_COLUMNS = ("nid", "name", "district", "population", "area_km2")


def neighbourhoods(con: Connection, *, geometry: bool = False) -> pd.DataFrame:
    """``nid, name, district, population, area_km2`` (+ ``geom_wkb`` bytes), ordered by code."""
    if "neighbourhoods" not in table_names(con):
        return pd.DataFrame(columns=list(NEIGHBOURHOOD_COLUMNS))
    extra = ", ST_AsWKB(geom) AS geom_wkb" if geometry else ""
    frame = _frame(
        con, f"SELECT {', '.join(NEIGHBOURHOOD_COLUMNS)}{extra} FROM neighbourhoods ORDER BY nid"
    )
    if geometry:
        frame["geom_wkb"] = [bytes(b) if b is not None else None for b in frame["geom_wkb"]]
    return frame


def indicator_values(con: Connection, *, labelled: bool = False) -> pd.DataFrame:
    """``nid, indicator, year, grp, value`` (+ ``label, unit`` when ``labelled``)."""
    if labelled:
        return _frame(
            con,
            "SELECT v.nid, v.indicator, v.year, v.grp, v.value, "
            "coalesce(i.label, v.indicator) AS label, i.unit "
            "FROM indicator_values v LEFT JOIN indicators i USING (indicator)",
        )
    return _frame(con, "SELECT nid, indicator, year, grp, value FROM indicator_values")


def incident_counts(con: Connection) -> pd.DataFrame:
    """Incidents per neighbourhood, year and category: ``nid, year, category, count`` — the
    points and the counts tables (``incident_counts``) together."""
    points = (
        "SELECT nid, CAST(year(occurred_on) AS INTEGER) AS year, category, "
        "count(*) AS count FROM incidents WHERE nid IS NOT NULL AND occurred_on IS NOT NULL "
        "GROUP BY ALL"
    )
    if not _has_tables(con, "incident_counts"):
        return _frame(con, points)
    return _frame(
        con,
        f"SELECT nid, year, category, sum(count) AS count FROM ({points} UNION ALL "
        "SELECT nid, CAST(year(period) AS INTEGER), category, sum(count) "
        "FROM incident_counts GROUP BY ALL) GROUP BY ALL",
    )


def coverage(con: Connection) -> pd.DataFrame:
    """The coverage rows: ``source_id, kind, item, nid, share`` (none: every source covers all)."""
    if not _has_tables(con, "coverage"):
        return pd.DataFrame(columns=["source_id", "kind", "item", "nid", "share"])
    return _frame(con, "SELECT source_id, kind, item, nid, share FROM coverage")


def covered_sources(con: Connection) -> pd.DataFrame:
    """The names of the sources with a coverage, per indicator and incident category they
    give: ``kind, item, name`` (kind ``indicator`` or ``category``)."""
    if not _has_tables(con, "coverage"):
        return pd.DataFrame(columns=["kind", "item", "name"])
    given = measure_sources(con)
    con.register("__citygeo_given", given)
    try:
        return _frame(
            con,
            "SELECT DISTINCT g.kind, g.item, coalesce(s.name, g.source_id) AS name "
            "FROM __citygeo_given g JOIN (SELECT DISTINCT source_id FROM coverage "
            "WHERE kind = 'source') c USING (source_id) LEFT JOIN sources s USING (source_id) "
            "UNION SELECT DISTINCT c.kind, c.item, coalesce(s.name, c.source_id, 'its source') "
            "FROM coverage c LEFT JOIN sources s USING (source_id) WHERE c.kind <> 'source' "
            "ORDER BY 1, 2, 3",
        )
    finally:
        con.unregister("__citygeo_given")


def measure_sources(con: Connection) -> pd.DataFrame:
    """Which source gives each indicator and incident category: ``kind, item, source_id``
    (kind ``indicator`` or ``category``)."""
    counted = (
        "UNION SELECT DISTINCT 'category', category, source_id FROM incident_counts"
        if _has_tables(con, "incident_counts")
        else ""
    )
    return _frame(
        con,
        "SELECT 'indicator' AS kind, indicator AS item, source_id FROM indicators "
        "UNION SELECT DISTINCT 'category', category, source_id FROM incidents "
        f"{counted}",
    )


def asset_counts(con: Connection) -> pd.DataFrame:
    """Mechanisms per neighbourhood, kind and theme (one row per theme):
    ``nid, kind, theme, count``."""
    return _frame(
        con,
        "SELECT nid, kind, theme, count(*) AS count FROM ("
        "  SELECT nid, kind, unnest(CASE WHEN len(themes) = 0 THEN [NULL] ELSE themes END)"
        "  AS theme FROM assets WHERE nid IS NOT NULL) GROUP BY ALL",
    )


def survey_responses(con: Connection, *, with_ids: bool = False) -> pd.DataFrame:
    """Survey microdata, with the response ids only when asked (scoring does not need them);
    through Arrow: ``.df()`` is ~3× slower on text."""
    if "survey_responses" not in table_names(con):
        return pd.DataFrame(
            columns=[
                *(["response_id"] if with_ids else []),
                "nid",
                "year",
                "weight",
                "item",
                "value",
            ]
        )
    columns = "*" if with_ids else "* EXCLUDE (response_id)"
    return con.execute(f"SELECT {columns} FROM survey_responses").arrow().read_all().to_pandas()


SURVEY_BASE_COLUMNS = frozenset(
    {"response_id", "nid", "year", "weight", "item", "value", "source_id"}
)


def survey_group_columns(con: Connection) -> list[str]:
    """The survey's group columns (``age_band``, ``gender`` …), in table order."""
    return [c for c in table_columns(con, "survey_responses") if c not in SURVEY_BASE_COLUMNS]


def survey_cell_sums(con: Connection, statistics: Sequence[str]) -> pd.DataFrame:
    """Per neighbourhood, year, item, group and statistic: ``Σw, Σw², Σwx, n`` of the answers,
    summed in DuckDB (the microdata stays in the store; ``rules.survey.estimates_from_sums``
    turns them into estimates exactly as ``estimate_survey`` does from the microdata).

    A missing weight counts as 1, a missing value is no answer, a missing group value leaves
    the answer out of that group only. ``statistics``: ``"mean"`` (the answer) and
    ``"share_at_least:<k>"`` (1 when the answer is ≥ k, else 0). Summed on one thread in the
    table's order, so the sums are the same on every run (and the same as pandas')."""
    columns = ["nid", "year", "item", "grp", "statistic", "sw", "sw2", "swx", "n"]
    if "survey_responses" not in table_names(con):
        return pd.DataFrame(columns=columns)
    parts: list[tuple[str, list[Any]]] = []
    for group in [None, *survey_group_columns(con)]:
        grp = "'all'" if group is None else f"CAST({quote_ident(group)} AS VARCHAR)"
        for statistic in statistics:
            mean = statistic == "mean"
            x = "value" if mean else "CAST(value >= ? AS DOUBLE)"
            threshold = [] if mean else [float(statistic.partition(":")[2])]
            sql = (
                "SELECT nid, year, item, g AS grp, ? AS statistic, sum(w) AS sw, "
                "sum(w * w) AS sw2, sum(w * x) AS swx, count(*) AS n FROM ("
                f"SELECT nid, year, item, coalesce(weight, 1.0) AS w, {x} AS x, {grp} AS g "
                "FROM survey_responses WHERE value IS NOT NULL AND nid IS NOT NULL "
                "AND year IS NOT NULL AND item IS NOT NULL) WHERE g IS NOT NULL "
                "GROUP BY ALL ORDER BY nid, year, item, grp"
            )
            parts.append((sql, [statistic, *threshold]))  # in the placeholders' order
    with one_thread(con):
        frames = [_frame(con, sql, params) for sql, params in parts]
    out = pd.concat(frames, ignore_index=True)
    out["grp"] = out["grp"].astype("string")
    out["n"] = out["n"].astype("int64")
    return out[columns]


def methodology_history(con: Connection) -> pd.DataFrame:
    """Every saved methodology version, newest first:
    ``version, sha256, note, created_at, spec``."""
    if "methodologies" not in table_names(con):
        return pd.DataFrame(columns=["version", "sha256", "note", "created_at", "spec"])
    return _frame(
        con,
        "SELECT version, sha256, note, created_at, CAST(spec AS VARCHAR) AS spec "
        "FROM methodologies ORDER BY created_at DESC",
    )


_REGISTER_SQL = {
    "assets": (
        "SELECT asset_id, kind, name, formal, themes, ST_X(geom) AS lon, ST_Y(geom) AS lat, "
        "nid FROM assets ORDER BY asset_id"
    ),
    "stakeholders": "SELECT * FROM stakeholders ORDER BY stakeholder_id",
    "consultations": "SELECT * FROM consultations ORDER BY date",
    "online_signals": "SELECT period, nid, platform, category, count FROM online_signals",
    "sources": "SELECT * FROM sources ORDER BY source_id",
}


def register(con: Connection, name: str) -> pd.DataFrame:
    """One of the registers the pages show (``assets`` as lon/lat points, never incidents)."""
    if name not in table_names(con):
        return pd.DataFrame()
    return _frame(con, _REGISTER_SQL[name])


def population_values(con: Connection) -> pd.DataFrame:
    """The ``population`` indicator per neighbourhood, year and group (for representativeness)."""
    return _frame(
        con,
        "SELECT nid, indicator, year, grp, value FROM indicator_values "
        "WHERE indicator = 'population'",
    )


def last_ingest(con: Connection) -> tuple[Any, dict[str, Any] | None]:
    """When the last ingest ran and its report (None, None before any)."""
    if "ingest_reports" not in table_names(con):
        return None, None
    row = con.execute(
        "SELECT ingested_at, CAST(report AS VARCHAR) FROM ingest_reports "
        "ORDER BY ingested_at DESC LIMIT 1"
    ).fetchone()
    return (row[0], json.loads(row[1])) if row else (None, None)


def table_counts(con: Connection, tables: Sequence[str]) -> dict[str, int]:
    """Rows per table, for the tables the store holds."""
    have = table_names(con)
    return {
        t: int(one_row(con.execute(f"SELECT count(*) FROM {quote_ident(t)}").fetchone())[0])
        for t in tables
        if t in have
    }


def indicator_years(con: Connection) -> list[int]:
    """The years the indicator values cover."""
    if "indicator_values" not in table_names(con):
        return []
    return [
        int(r[0])
        for r in con.execute("SELECT DISTINCT year FROM indicator_values ORDER BY year").fetchall()
    ]


INCIDENT_COLUMNS = ("incident_id", "occurred_on", "category", "nid", "source_id")


def incident_points(con: Connection, year: int | None = None) -> pd.DataFrame:
    """The incident points (sensitive: analyst exports only) with ``geom_wkb`` bytes."""
    where, params = ("WHERE year(occurred_on) = ?", [year]) if year is not None else ("", [])
    frame = _frame(
        con,
        f"SELECT {', '.join(INCIDENT_COLUMNS)}, ST_AsWKB(geom) AS geom_wkb "
        f"FROM incidents {where} ORDER BY occurred_on, incident_id",
        params,
    )
    frame["geom_wkb"] = [bytes(b) if b is not None else None for b in frame["geom_wkb"]]
    return frame


def centre_latitude(con: Connection) -> float | None:
    """The latitude at the middle of the neighbourhoods' extent (None without neighbourhoods)."""
    if "neighbourhoods" not in table_names(con):
        return None
    row = con.execute(
        "SELECT (ST_YMin(ST_Extent_Agg(geom)) + ST_YMax(ST_Extent_Agg(geom))) / 2 "
        "FROM neighbourhoods"
    ).fetchone()
    return None if row is None or row[0] is None else float(row[0])


def incident_hex_counts(
    con: Connection,
    size_m: float,
    metres_per_degree_lon: float,
    metres_per_degree_lat: float,
    *,
    year: int | None = None,
    categories: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Incidents counted per pointy-topped hexagon of circumradius ``size_m`` (axial ``q, r``).

    Counted in DuckDB, so no point leaves the store: each point goes to the hexagon whose
    centre is nearest (cube rounding) in a local frame of ``metres_per_degree_*`` metres per
    degree. Only incidents of ``year`` and of ``categories`` (None = every one) are counted.
    """
    conditions = ["geom IS NOT NULL"]
    params: dict[str, Any] = {
        "size": size_m,
        "kx": metres_per_degree_lon,
        "ky": metres_per_degree_lat,
    }
    if year is not None:
        conditions.append("year(occurred_on) = $year")
        params["year"] = year
    if categories is not None:
        conditions.append("list_contains($categories, category)")
        params["categories"] = list(categories)
    where = " AND ".join(conditions)  # constant fragments; values go in as parameters
    return con.execute(
        f"""
        WITH p AS (SELECT ST_X(geom) * $kx / $size AS x, ST_Y(geom) * $ky / $size AS y
                   FROM incidents WHERE {where}),
        f AS (SELECT sqrt(3) / 3 * x - y / 3 AS q, 2 / 3 * y AS r FROM p),
        c AS (SELECT q, r, round(q) AS rq, round(r) AS rr, round(-q - r) AS rs FROM f),
        d AS (SELECT *, abs(rq - q) AS dq, abs(rr - r) AS dr, abs(rs + q + r) AS ds FROM c),
        h AS (SELECT CASE WHEN dq > dr AND dq > ds THEN -rr - rs ELSE rq END AS hq,
                     CASE WHEN NOT (dq > dr AND dq > ds) AND dr > ds THEN -rq - rs ELSE rr END AS hr
              FROM d)
        SELECT CAST(hq AS BIGINT) AS q, CAST(hr AS BIGINT) AS r, count(*) AS count
        FROM h GROUP BY ALL ORDER BY q, r""",
        params,
    ).df()


def display_outlines(con: Connection) -> pd.DataFrame:
    """The stored display outlines by code: ``nid, district, geometry`` (GeoJSON text) and the
    box ``xmin, ymin, xmax, ymax`` (empty for a store written before they were stored)."""
    if "display_outlines" not in table_names(con):
        return pd.DataFrame(columns=["nid", "district", "geometry", "xmin", "ymin", "xmax", "ymax"])
    return _frame(con, "SELECT * FROM display_outlines ORDER BY nid")


def district_outlines(con: Connection) -> pd.DataFrame:
    """The stored district outlines: ``district, geometry`` (GeoJSON text), by name."""
    if "district_outlines" not in table_names(con):
        return pd.DataFrame(columns=["district", "geometry"])
    return _frame(con, "SELECT * FROM district_outlines ORDER BY district")


def city_bounds(con: Connection) -> tuple[float, float, float, float] | None:
    """The neighbourhoods' extent (min lon, min lat, max lon, max lat)."""
    if "neighbourhoods" not in table_names(con):
        return None
    row = con.execute(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
        "(SELECT ST_Extent_Agg(geom) AS e FROM neighbourhoods)"
    ).fetchone()
    return (
        None
        if row is None or row[0] is None
        else (float(row[0]), float(row[1]), float(row[2]), float(row[3]))
    )
