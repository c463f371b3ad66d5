"""`citygeo score` end to end on a real store: contract columns, idempotence, bad methodologies."""

from __future__ import annotations

import pandas as pd
import pytest

from citygeo.schema import SCORE_COLUMNS
from citygeo.store import Store
from tests.fixtures.city import SmallCity, file_digest, run_cli
from tests.fixtures.methodologies import SMALL_CITY

METHODOLOGY = SMALL_CITY


@pytest.fixture
def ingested(small_city: SmallCity, capsys: pytest.CaptureFixture[str]) -> SmallCity:
    code, _, err = run_cli(
        ["ingest", str(small_city.config), "--store", str(small_city.store)], capsys
    )
    assert code == 0, err
    small_city.write("methodology.toml", METHODOLOGY)
    return small_city


def _score(city: SmallCity, capsys: pytest.CaptureFixture[str], name: str = "methodology.toml"):
    return run_cli(
        [
            "score",
            "--store",
            str(city.store),
            "--methodology",
            str(city.folder / name),
            "--draws",
            "50",
        ],
        capsys,
    )


def test_score_writes_contract_columns(ingested: SmallCity, capsys) -> None:
    code, out, err = _score(ingested, capsys)
    assert code == 0, err
    assert "scored 9 neighbourhoods × 1 years with methodology t.1" in out
    scores = Store(ingested.store).query("SELECT * FROM scores WHERE grp = 'all'")
    assert set(SCORE_COLUMNS) <= set(scores.columns)
    assert {"domain__hardship", "measure__hate_rate", "raw__hate_rate", "n__hate_rate"} <= set(
        scores.columns
    )
    by_nid = scores.set_index("nid")
    # N9 has 9 incidents and 9,000 residents: 1.0 per 1,000; N1: 1 incident per 1,000 too.
    assert by_nid.loc["N9", "raw__hate_rate"] == pytest.approx(1.0)
    assert by_nid.loc["N9", "raw__unemployed_pct"] == 9.0
    # unemployment rises with the cell number and incident rates are equal: N9 is the riskiest
    assert by_nid.loc["N9", "risk_rank"] == 1
    assert (scores["methodology_version"] == "t.1").all()
    methodologies = Store(ingested.store).query("SELECT version, sha256 FROM methodologies")
    assert methodologies["sha256"].tolist() == [scores["methodology_sha256"].iloc[0]]


def test_score_is_idempotent(ingested: SmallCity, capsys) -> None:
    _score(ingested, capsys)
    _score(ingested, capsys)
    store = Store(ingested.store)
    assert store.count("scores") == 9
    assert store.count("methodologies") == 1


@pytest.mark.parametrize(
    "broken,expected",
    [
        (
            ('domain = "hardship"\ndirection = "risk"', 'domain = "hardshp"\ndirection = "risk"'),
            "hardshp",
        ),
        (('normalisation = "minmax"', 'normalisation = "minimax"'), "minimax"),
        (
            ('categories = ["hate_crime", "hate_incident"]', 'categories = ["hate_crimes"]'),
            "hate_crimes",
        ),
        (('id = "income"', 'id = "incomes"'), "incomes"),
        (('version = "t.1"', 'version = "t.1'), "line"),
    ],
)
def test_bad_methodology_exits_2_and_keeps_store(
    ingested: SmallCity, capsys, broken, expected
) -> None:
    _score(ingested, capsys)
    before = file_digest(ingested.store)
    old, new = broken
    ingested.write("bad.toml", METHODOLOGY.replace(old, new, 1))
    code, _, err = _score(ingested, capsys, "bad.toml")
    assert code == 2, err
    assert expected in err and "Traceback" not in err
    assert file_digest(ingested.store) == before


def test_district_scores_from_summed_counts(ingested: SmallCity, capsys) -> None:
    code, _, err = _score(ingested, capsys)
    assert code == 0, err
    districts = Store(ingested.store).query("SELECT * FROM district_scores").set_index("nid")
    assert sorted(districts.index) == ["East", "West"]
    # population-weighted unemployment: West = (1·1000 + 4·4000 + 7·7000) / 12000 = 5.5;
    # East = (2·2000 + 3·3000 + 5·5000 + 6·6000 + 8·8000 + 9·9000) / 33000 = 6.6364
    assert districts.loc["West", "raw__unemployed_pct"] == pytest.approx(5.5)
    assert districts.loc["East", "raw__unemployed_pct"] == pytest.approx(219000 / 33000)
    # summed events over summed residents: West 12 / 12,000 and East 33 / 33,000 per 1,000
    assert districts.loc["West", "n__hate_rate"] == 12
    assert districts.loc["East", "raw__hate_rate"] == pytest.approx(1.0)
    assert districts.loc["East", "risk_rank"] == 1


def test_an_ingest_during_scoring_is_scored_not_overwritten(ingested: SmallCity) -> None:
    """Another writer replaces the store after the inputs were read: the city is scored again on
    the new data, and the other writer's change survives."""
    from citygeo.service.scoring import score_store

    store = Store(ingested.store)
    steps: list[str] = []

    def meanwhile(done: int, total: int, label: str) -> None:
        steps.append(label)
        if label == "writing scores" and steps.count(label) == 1:
            with store.writer() as con:  # e.g. a new indicator file ingested in another process
                con.execute(
                    "UPDATE indicator_values SET value = 100 "
                    "WHERE nid = 'N1' AND indicator = 'unemployed_pct'"
                )

    score_store(store, ingested.folder / "methodology.toml", draws=20, progress=meanwhile)
    assert steps == ["scoring", "writing scores", "scoring", "writing scores"]
    scores = store.query(
        "SELECT nid, raw__unemployed_pct, risk_rank FROM scores WHERE grp = 'all'"
    ).set_index("nid")
    assert scores.loc["N1", "raw__unemployed_pct"] == 100.0  # the new data was scored
    assert store.query(
        "SELECT value FROM indicator_values WHERE nid = 'N1' AND indicator = 'unemployed_pct'"
    )["value"].tolist() == [100.0]
    # the copy staged for the first attempt's write (of a file since replaced) is gone
    left = [
        p.name for p in store.path.parent.iterdir() if ".staged-" in p.name or ".tmp-" in p.name
    ]
    assert left == []


def test_one_specification_per_version(
    ingested: SmallCity, capsys: pytest.CaptureFixture[str]
) -> None:
    """A different specification under a saved version is refused (exit 2, store unchanged);
    the same specification again changes no score; a new version is saved beside the old."""
    assert _score(ingested, capsys)[0] == 0
    before = file_digest(ingested.store)
    ingested.write(
        "heavier.toml",
        METHODOLOGY.replace(
            'id = "tensions"\nlabel = "Tensions"\nindex = "risk"\nweight = 1.0',
            'id = "tensions"\nlabel = "Tensions"\nindex = "risk"\nweight = 2.0',
        ),
    )
    code, _, err = _score(ingested, capsys, "heavier.toml")
    assert code == 2 and "Traceback" not in err
    assert (
        "version t.1 is already saved with a different specification" in err
        and "weights of Tensions 1 → 2" in " ".join(err.split())  # the domain's label, not its id
    )
    assert file_digest(ingested.store) == before
    scores_before = Store(ingested.store).query(
        "SELECT * EXCLUDE (methodology_sha256) FROM scores ORDER BY nid"
    )
    assert _score(ingested, capsys)[0] == 0  # the same specification again
    pd.testing.assert_frame_equal(
        Store(ingested.store).query(
            "SELECT * EXCLUDE (methodology_sha256) FROM scores ORDER BY nid"
        ),
        scores_before,
    )
    ingested.write(
        "v2.toml", (ingested.folder / "heavier.toml").read_text().replace('"t.1"', '"t.2"')
    )
    assert _score(ingested, capsys, "v2.toml")[0] == 0
    saved = Store(ingested.store).query("SELECT version FROM methodologies ORDER BY version")[
        "version"
    ]
    assert saved.tolist() == ["t.1", "t.2"]
