"""A city as the service layer reads it: one consistent read of the store per version.

:func:`current_scores` is the one reader of the current scores (per year, those of the
methodology saved most recently), with the privacy rules applied for public outputs; the
dashboard's :class:`CityData`, the exports and the printout all read through it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from citygeo.config import CitySettings
from citygeo.errors import InputError, StoreError
from citygeo.rules.privacy import public_scores, public_stakeholders
from citygeo.schema import DEFAULT_GROUP
from citygeo.scoring import Methodology, parse_methodology
from citygeo.settings import Mode
from citygeo.store import Connection, Store, reads


def parse_mode(mode: str | Mode) -> Mode:
    """``"public"`` or ``"analyst"`` as a :class:`Mode`; InputError naming the valid ones."""
    try:
        return Mode(mode)
    except ValueError as err:
        raise InputError(
            f"Unknown mode {mode!r}; valid modes: {', '.join(m.value for m in Mode)}."
        ) from err


def current_scores(
    con: Connection,
    *,
    mode: Mode = Mode.PUBLIC,
    table: str = "scores",
    grp: str | None = DEFAULT_GROUP,
    year: int | None = None,
) -> pd.DataFrame:
    """The current score rows (``scores`` or ``district_scores``) of one group (None = every
    group) and year (None = every year); public mode nulls every withheld value, keeping its
    flag."""
    frame = reads.current_score_rows(con, table, grp=grp, year=year)
    return public_scores(frame) if parse_mode(mode) is Mode.PUBLIC and not frame.empty else frame


def read_scores(
    store: Store,
    year: int | None = None,
    *,
    mode: Mode | str = Mode.PUBLIC,
    grp: str | None = DEFAULT_GROUP,
    table: str = "scores",
) -> pd.DataFrame:
    """The current scores of ``store`` (:func:`current_scores` in one read).

    Raises
    ------
    StoreError
        The store holds no scores, or none for ``year`` (the message lists the scored years).
    """
    with store.reader() as con:
        require_scores(con, store, year)
        return current_scores(con, mode=parse_mode(mode), table=table, grp=grp, year=year)


def require_scores(con: Connection, store: Store, year: int | None) -> pd.DataFrame:
    """The current methodology per scored year; StoreError when nothing (or not ``year``) is
    scored."""
    current = reads.current_methodologies(con)
    if current.empty:
        raise StoreError(
            f"The store {store.path} holds no scores; run `citygeo score "
            f"--store {store.path}` first."
        )
    if year is not None and year not in set(current["year"].astype(int)):
        scored = ", ".join(str(y) for y in current["year"])
        raise StoreError(
            f"The store {store.path} has no scores for {year}; scored years: "
            f"{scored}. Pass one of them with --year, or none for all."
        )
    return current


def settings(store: Store) -> CitySettings:
    """The ``[city]`` settings recorded by the last ingest (empty settings before any)."""
    if not store.exists():
        return CitySettings()
    with store.reader() as con:
        return CitySettings.model_validate(reads.city_settings(con))


@dataclass(frozen=True)
class CityData:
    """Everything the pages read, loaded with one connection (treat as read-only).

    ``scores`` are the current scores (per year, of the latest methodology) of every group,
    in the public view unless loaded in analyst mode; incidents never leave the store here.
    """

    path: str
    mode: Mode
    settings: CitySettings
    neighbourhoods: pd.DataFrame
    scores: pd.DataFrame
    current: pd.DataFrame
    methodologies: dict[str, Methodology]
    history: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    ingested_at: Any = None
    ingest_report: dict[str, Any] | None = None
    districts: pd.DataFrame = field(default_factory=pd.DataFrame)  # current district scores

    @property
    def public(self) -> bool:
        return self.mode is Mode.PUBLIC

    def table(self, name: str) -> pd.DataFrame:
        return self.tables.get(name, pd.DataFrame())


_REGISTERS = ("assets", "stakeholders", "consultations", "online_signals", "sources")
_LIST_COLUMNS = {
    "assets": ("themes",),
    "stakeholders": ("themes", "serves"),
    "consultations": ("nid", "groups", "themes"),
}


def load(store: Store, *, mode: Mode | str | None = None) -> CityData:
    """Read what the pages need from ``store`` in one read-only connection.

    ``mode`` defaults to the city's own (public unless its config sets ``analyst_mode``).
    """
    if not store.exists():
        return CityData(
            str(store.path),
            parse_mode(mode or Mode.PUBLIC),
            CitySettings(),
            pd.DataFrame(columns=list(reads.NEIGHBOURHOOD_COLUMNS)),
            pd.DataFrame(),
            pd.DataFrame(columns=["year", "methodology_sha256", "version", "created_at"]),
            {},
            pd.DataFrame(columns=["version", "sha256", "note", "created_at"]),
            {},
        )
    with store.reader() as con:
        city = CitySettings.model_validate(reads.city_settings(con))
        chosen = parse_mode(mode or city.mode)
        history = reads.methodology_history(con)
        tables = {name: reads.register(con, name) for name in _REGISTERS}
        tables["survey_responses"] = reads.survey_responses(con, with_ids=True)
        tables["population"] = reads.population_values(con)
        tables["covered_sources"] = reads.covered_sources(con)
        when, report = reads.last_ingest(con)
        data = CityData(
            str(store.path),
            chosen,
            city,
            reads.neighbourhoods(con),
            current_scores(con, mode=chosen, grp=None),
            reads.current_methodologies(con)[
                ["year", "methodology_sha256", "version", "created_at"]
            ],
            {
                sha: parse_methodology(json.loads(spec), f"methodology {sha[:8]}")
                for sha, spec in zip(history["sha256"], history["spec"], strict=True)
            },
            history.drop(columns="spec"),
            tables,
            when,
            report,
            current_scores(con, mode=chosen, table="district_scores", grp=None),
        )
    for name, columns in _LIST_COLUMNS.items():
        frame = data.tables[name]
        for col in columns:
            if col in frame:
                frame[col] = frame[col].map(_as_list)
    if not data.tables["stakeholders"].empty:
        data.tables["stakeholders"] = public_stakeholders(data.tables["stakeholders"])
    return data


# -- methodologies and fields ----------------------------------------------------------------
def current_methodology(city: CityData, year: int | None = None) -> Methodology | None:
    """The methodology whose scores are current for ``year`` (default: the latest year)."""
    if city.current.empty:
        return None
    row = city.current[city.current["year"] == year] if year is not None else city.current.tail(1)
    if row.empty:
        return None
    return city.methodologies.get(str(row["methodology_sha256"].iloc[0]))


def covered_by(city: CityData, methodology: Methodology | None) -> dict[str, str]:
    """Measure id → the name(s) of the source(s) with a coverage it is built on, for the words
    "not covered by <source>"; measures of city-wide sources are not in it."""
    given = city.table("covered_sources")
    if methodology is None or given.empty:
        return {}
    out = {}
    for m in methodology.measures:
        if m.source == "indicator":
            names = given.loc[
                (given["kind"] == "indicator") & (given["item"] == m.indicator_name), "name"
            ]
        elif m.source == "incidents":
            names = given.loc[
                (given["kind"] == "category") & given["item"].isin(m.categories or ()), "name"
            ]
        else:
            continue
        if not names.empty:
            out[m.id] = " and ".join(dict.fromkeys(str(n) for n in names))
    return out


def score_years(city: CityData) -> list[int]:
    """Scored years, newest first."""
    return sorted((int(y) for y in city.current["year"]), reverse=True)


def score_groups(city: CityData) -> list[str]:
    """``"all"`` first, then the population groups scored separately."""
    if city.scores.empty:
        return []
    return [DEFAULT_GROUP] + sorted(g for g in city.scores["grp"].unique() if g != DEFAULT_GROUP)


def scores(city: CityData, year: int | None = None, grp: str = DEFAULT_GROUP) -> pd.DataFrame:
    """Current scores of one group (and year), or an empty frame."""
    return _one_group(city.scores, year, grp)


def district_scores(
    city: CityData, year: int | None = None, grp: str = DEFAULT_GROUP
) -> pd.DataFrame:
    """Current district scores of one group (and year); ``nid`` is the district's name."""
    return _one_group(city.districts, year, grp)


def in_district(city: CityData, frame: pd.DataFrame, district: str | None) -> pd.DataFrame:
    """The rows of ``frame`` (keyed by ``nid``) in ``district``; all of them for None."""
    if district is None:
        return frame
    return frame[
        frame["nid"].isin(
            city.neighbourhoods.loc[city.neighbourhoods["district"] == district, "nid"]
        )
    ]


def _one_group(frame: pd.DataFrame, year: int | None, grp: str) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame()
    keep = frame["grp"] == grp
    if year is not None:
        keep &= frame["year"] == year
    return frame[keep].reset_index(drop=True)


def _as_list(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    return [str(v) for v in value]  # type: ignore[attr-defined]


def empty_frame(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns)
