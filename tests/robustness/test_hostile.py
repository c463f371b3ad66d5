"""Hostile identifiers: names with quotes, semicolons and SQL keywords are data, never SQL."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from citygeo.store import Store, quote_ident
from tests.fixtures.city import SmallCity, run_cli

HOSTILE = 'x"; DROP TABLE neighbourhoods; --'
HOSTILE_GROUP = "age\"; DROP TABLE incidents; -- ' OR 1=1"
HOSTILE_ID = "id'); DELETE FROM sources; --"
CODE = Path(__file__).resolve().parents[2] / "citygeo"


def _toml(text: str) -> str:
    return json.dumps(text)  # a JSON string of ASCII text is a valid TOML basic string


def test_hostile_names_ingest_and_score(
    full_city: SmallCity, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = full_city.folder
    indicators = pd.read_csv(folder / "indicators.csv").rename(columns={"unemployed_pct": HOSTILE})
    indicators.to_csv(folder / "indicators.csv", index=False)
    survey = pd.read_csv(folder / "survey.csv").rename(columns={"age_band": HOSTILE_GROUP})
    survey.to_csv(folder / "survey.csv", index=False)
    incidents = pd.read_csv(folder / "incidents.csv").rename(columns={"incident_id": HOSTILE_ID})
    incidents.to_csv(folder / "incidents.csv", index=False)
    config = full_city.config.read_text()
    config = config.replace('groups = ["age_band"]', f"groups = [{_toml(HOSTILE_GROUP)}]")
    config = config.replace('id = "incident_id"', f"id = {_toml(HOSTILE_ID)}")
    full_city.config.write_text(config)
    methodology = (folder / "methodology.toml").read_text()
    (folder / "methodology.toml").write_text(
        methodology.replace('id = "unemployed_pct"', f"id = {_toml(HOSTILE)}")
    )

    code, _, err = run_cli(
        ["ingest", str(full_city.config), "--store", str(full_city.store)], capsys
    )
    assert code == 0, err
    code, _out, err = run_cli(["score", "--store", str(full_city.store), "--draws", "20"], capsys)
    assert code == 0, err

    store = Store(full_city.store)
    assert {"neighbourhoods", "incidents", "sources", "scores"} <= store.tables()
    assert store.count("neighbourhoods") == 9
    assert store.count("incidents") == 45
    assert store.count("sources") == 2
    values = store.query(
        "SELECT nid, value FROM indicator_values WHERE indicator = ? ORDER BY value", [HOSTILE]
    )
    assert list(values["value"]) == [float(i) for i in range(1, 10)]
    survey_columns = set(store.query("SELECT * FROM survey_responses LIMIT 0").columns)
    assert HOSTILE_GROUP in survey_columns
    raw = store.query(
        f"SELECT nid, {quote_ident('raw__' + HOSTILE)} AS raw FROM scores "
        "WHERE grp = 'all' ORDER BY raw"
    )
    assert list(raw["raw"]) == [float(i) for i in range(1, 10)]
    ids = store.query("SELECT incident_id FROM incidents ORDER BY incident_id")["incident_id"]
    assert ids.iloc[0] == "I1-0"


def test_points_file_name_with_quotes_becomes_ids(
    full_city: SmallCity, capsys: pytest.CaptureFixture[str]
) -> None:
    name = 'o\'brien "x"; --.csv'
    (full_city.folder / "incidents.csv").rename(full_city.folder / name)
    config = full_city.config.read_text().replace('path = "incidents.csv"', f"path = {_toml(name)}")
    full_city.config.write_text(config.replace('id = "incident_id"\n', "", 1))
    code, _, err = run_cli(
        ["ingest", str(full_city.config), "--store", str(full_city.store)], capsys
    )
    assert code == 0, err
    ids = Store(full_city.store).query("SELECT incident_id FROM incidents ORDER BY incident_id")
    assert ids["incident_id"].iloc[0] == 'o\'brien "x"; --:10'  # file stem + line number


# What may be interpolated into SQL text: quoted identifiers, the modules' own constants and
# SQL fragments they build from constants and quoted identifiers (never raw user text).
_SAFE = re.compile(
    r"^(quote_ident\(.*\)|_RAW|_PTS|_PARSED|_CELLS|_ASSIGN|_ASSIGN_FRAME|_REJECTS|_REJECT_SCANS|_MERGED|_CELL_FRAME|xy\[[01]\]|grid\.sql_cell\(.*\)|_CURRENT_METHODOLOGIES|_FRAME|source|names|values|parsed|"
    r"table|view|col|xcol|ycol|geom|ident|date|"
    r"category|formal|themes|select|where|clauses|columns|extra|sqltype|"
    r"_date_expr\(.*\)|_text\(.*\)|', '\.join\((cols|exprs|select)\)|"
    r"_sql_text\(spec\.path\.stem\)|sql)$"
)


def _sql_interpolations(tree: ast.AST) -> list[str]:
    """Expressions interpolated into f-strings passed to ``.execute(...)`` or ``.query(...)``."""
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"execute", "query"}
            and node.args
            and isinstance(node.args[0], ast.JoinedStr)
        ):
            found += [
                ast.unparse(v.value)
                for v in node.args[0].values
                if isinstance(v, ast.FormattedValue)
            ]
    return found


def test_no_sql_built_from_unquoted_text() -> None:
    """Every f-string given to execute/query interpolates only quoted or module-made parts."""
    bad = _sql_interpolations(ast.parse('con.execute(f"SELECT {spec.id} FROM t")'))
    assert bad == ["spec.id"] and not _SAFE.match(bad[0])  # the check sees an unquoted name
    everything = [
        e for p in CODE.rglob("*.py") for e in _sql_interpolations(ast.parse(p.read_text()))
    ]
    assert len(everything) > 20 and any(e.startswith("quote_ident(") for e in everything)
    offenders = [
        f"{path.relative_to(CODE)}: {{{expr}}}"
        for path in sorted(CODE.rglob("*.py"))
        for expr in _sql_interpolations(ast.parse(path.read_text()))
        if not _SAFE.match(expr)
    ]
    assert offenders == [], offenders
