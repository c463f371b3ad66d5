"""Query results come through Arrow when their types allow it, with exactly the frame DuckDB's
``.df()`` gives (issue 16: ``.df()`` built 1.6 M indicator rows' text as Python objects)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from citygeo.store import Store, reads

CASES = {
    "text, integers and doubles with a NULL row": (
        "SELECT * FROM (VALUES ('a', 1, 2::BIGINT, 1.5::DOUBLE), (NULL, NULL, NULL, NULL)) "
        "t(s, i, b, f)"
    ),
    "no rows": "SELECT * FROM (VALUES ('a', 1, 2::BIGINT, 1.5::DOUBLE)) t(s, i, b, f) WHERE false",
    "text that is all NULL": "SELECT NULL::VARCHAR AS s, 1 AS i",
    "integers that are all NULL": "SELECT 'a' AS s, NULL::INTEGER AS i, NULL::BIGINT AS b",
    "many rows, no NULL": "SELECT 'x' || range AS s, range::INTEGER AS i FROM range(50000)",
    "a count and a parameter": "SELECT count(*) AS n, ? AS k FROM range(3)",
    "two columns of one name": "SELECT 1 AS a, 2 AS a",
    "a type Arrow is not used for (dates)": "SELECT DATE '2025-01-02' AS d, 'a' AS s",
}


@pytest.mark.parametrize("sql", CASES.values(), ids=CASES.keys())
def test_frame_is_what_duckdb_df_gives(sql: str) -> None:
    con = duckdb.connect()
    params = ["k"] if "?" in sql else []
    expected = con.execute(sql, params).df()
    got = reads._frame(con, sql, params)
    pd.testing.assert_frame_equal(got, expected)


def test_indicator_values_read_through_arrow_equal_the_df_read(tmp_path) -> None:
    store = Store(tmp_path / "s.duckdb")
    with store.writer() as con:
        con.execute(
            "INSERT INTO indicator_values SELECT 'N' || (range % 50), 'ind' || (range % 7), "
            "2020 + range % 3, CASE WHEN range % 11 = 0 THEN 'women' ELSE 'all' END, "
            "CASE WHEN range % 13 = 0 THEN NULL ELSE range / 3.0 END, 'src' FROM range(5000)"
        )
    with store.reader() as con:
        got = reads.indicator_values(con)
        expected = con.execute("SELECT nid, indicator, year, grp, value FROM indicator_values").df()
    pd.testing.assert_frame_equal(got, expected)
    assert got["value"].isna().sum() == len(range(0, 5000, 13))
