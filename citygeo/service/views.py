"""What the dashboard's pages show (L3): a Store in, DataFrames and dicts out, no Streamlit.

Every function here applies the privacy rules of DESIGN.md §6 for ``public=True`` (the
default): withheld values are nulled with the reason kept, incident points are only ever
returned aggregated, stakeholder contacts are dropped.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from citygeo.errors import InputError
from citygeo.rules.freshness import overdue_sources
from citygeo.geo.hexgrid import hex_bins
from citygeo.rules.online import detect_spikes, monthly_series
from citygeo.rules.privacy import (fewer_than, hide_small_cells, public_scores,
                             public_stakeholders, withheld_measures)
from citygeo.rules.registers import gap_list, last_heard, not_heard, partners_serving, register_coverage
from citygeo.schema import DEFAULT_GROUP, domain_column, measure_column, raw_column
from citygeo.scoring import Methodology, change_table, parse_methodology
from citygeo.store import Store, current_methodologies, current_score_rows
from citygeo.rules.survey import representativeness, representativeness_summary, weighted_estimates

MAX_COMPARE = 6
INDEX_FIELDS = {"risk_score": "Risk index (0–100)", "protective_score": "Protective index (0–100)",
                "typology": "Typology (risk × protection)"}
TYPOLOGY_WORDS = {"priority": "priority (risk above median, protection below)",
                  "watch": "watch (both above the median)",
                  "strengthen": "strengthen (both below the median)",
                  "resilient": "resilient (risk below median, protection above)"}
HOTSPOT_WORDS = {"high-high": "high-risk cluster (high-high)", "low-low": "low-risk cluster (low-low)",
                 "high-low": "high risk among low (high-low)", "low-high": "low risk among high (low-high)"}


# -- one read of the store per version ---------------------------------------------------------
@dataclass(frozen=True)
class CityData:
    """Everything the pages read, loaded with one connection (treat as read-only).

    ``scores`` are the current scores (per year, of the latest methodology) of every group,
    in the public view unless loaded with ``public=False``; incidents are only lon/lat.
    """

    path: str
    public: bool
    settings: dict[str, str]
    hoods: pd.DataFrame
    scores: pd.DataFrame
    current: pd.DataFrame
    methodologies: dict[str, Methodology]
    history: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    ingest: pd.DataFrame
    districts: pd.DataFrame = field(default_factory=pd.DataFrame)  # current district scores, like ``scores``

    def table(self, name: str) -> pd.DataFrame:
        return self.tables.get(name, pd.DataFrame())


_TABLE_SQL = {
    "assets": "SELECT asset_id, kind, name, formal, themes, ST_X(geom) AS lon, ST_Y(geom) AS lat, nid "
              "FROM assets ORDER BY asset_id",
    "stakeholders": "SELECT * FROM stakeholders ORDER BY stakeholder_id",
    "consultations": "SELECT * FROM consultations ORDER BY date",
    "survey_responses": "SELECT * FROM survey_responses",
    "online_signals": "SELECT period, nid, platform, category, count FROM online_signals",
    "sources": "SELECT * FROM sources ORDER BY source_id",
    "incidents": "SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat FROM incidents WHERE geom IS NOT NULL",
    "population": "SELECT nid, indicator, year, grp, value FROM indicator_values WHERE indicator = 'population'",
}


def load(store: Store, *, public: bool = True) -> CityData:
    """Read what the dashboard needs from ``store`` in one read-only connection."""
    empty = CityData(str(store.path), public, {}, pd.DataFrame(columns=["nid", "name", "district", "population", "area_km2"]),
                     pd.DataFrame(), pd.DataFrame(columns=["year", "methodology_sha256", "version", "created_at"]),
                     {}, pd.DataFrame(columns=["version", "sha256", "note", "created_at"]), {}, pd.DataFrame())
    if not store.exists():
        return empty
    with store.reader() as con:
        have = set(con.execute("SELECT table_name FROM information_schema.tables").df()["table_name"])

        def read(sql: str) -> pd.DataFrame:
            return con.execute(sql).df()

        settings = dict(read("SELECT key, value FROM city").itertuples(index=False)) if "city" in have else {}
        hoods = (read("SELECT nid, name, district, population, area_km2 FROM neighbourhoods ORDER BY nid")
                 if "neighbourhoods" in have else empty.hoods)
        history = (read("SELECT version, sha256, note, created_at, spec FROM methodologies ORDER BY created_at DESC")
                   if "methodologies" in have else empty.history.assign(spec=None))
        current = current_methodologies(con)[["year", "methodology_sha256", "version", "created_at"]]
        frame = current_score_rows(con)
        district_frame = current_score_rows(con, "district_scores")
        tables = {name: read(sql) for name, sql in _TABLE_SQL.items()
                  if name.replace("population", "indicator_values") in have}
        ingest = (read("SELECT ingested_at, report FROM ingest_reports ORDER BY ingested_at DESC LIMIT 1")
                  if "ingest_reports" in have else pd.DataFrame())
    if not frame.empty and public:
        frame = public_scores(frame)
    if not district_frame.empty and public:
        district_frame = public_scores(district_frame)
    for name, cols in (("assets", ("themes",)), ("stakeholders", ("themes", "serves")),
                       ("consultations", ("nid", "groups", "themes"))):
        if name in tables:
            for col in cols:
                if col in tables[name]:
                    tables[name][col] = tables[name][col].map(_as_list)
    if "stakeholders" in tables:
        tables["stakeholders"] = public_stakeholders(tables["stakeholders"])
    known = {sha: parse_methodology(json.loads(spec), f"methodology {sha[:8]}")
             for sha, spec in zip(history["sha256"], history["spec"], strict=True)}
    return CityData(str(store.path), public, settings, hoods, frame, current, known,
                    history.drop(columns="spec"), tables, ingest, district_frame)


def public_view(scores: pd.DataFrame) -> pd.DataFrame:
    """The public view of scores (:func:`citygeo.rules.privacy.public_scores`)."""
    return public_scores(scores)


# -- methodologies and fields ----------------------------------------------------------------
def current_methodology(city: CityData, year: int | None = None) -> Methodology | None:
    """The methodology whose scores are current for ``year`` (default: the latest year)."""
    if city.current.empty:
        return None
    row = city.current[city.current["year"] == year] if year is not None else city.current.tail(1)
    if row.empty:
        return None
    return city.methodologies.get(str(row["methodology_sha256"].iloc[0]))


def measure_label(methodology: Methodology, measure_id: str) -> str:
    m = next((m for m in methodology.measures if m.id == measure_id), None)
    return (m.label if m and m.label else measure_id.replace("_", " "))


def map_fields(methodology: Methodology | None) -> dict[str, str]:
    """Every value the map can show: column → plain label."""
    out = dict(INDEX_FIELDS)
    if methodology is None:
        return out
    for d in methodology.domains:
        out[domain_column(d.id)] = f"Domain: {d.label or d.id} (0–100)"
    for m in methodology.measures:
        out[measure_column(m.id)] = f"{measure_label(methodology, m.id)} (normalised 0–100)"
    for m in methodology.measures:
        out[raw_column(m.id)] = f"{measure_label(methodology, m.id)} (raw value)"
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


def district_scores(city: CityData, year: int | None = None, grp: str = DEFAULT_GROUP) -> pd.DataFrame:
    """Current district scores of one group (and year); ``nid`` is the district's name."""
    return _one_group(city.districts, year, grp)


def in_district(city: CityData, frame: pd.DataFrame, district: str | None) -> pd.DataFrame:
    """The rows of ``frame`` (keyed by ``nid``) in ``district``; all of them for None."""
    if district is None:
        return frame
    return frame[frame["nid"].isin(city.hoods.loc[city.hoods["district"] == district, "nid"])]


def _one_group(frame: pd.DataFrame, year: int | None, grp: str) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame()
    keep = frame["grp"] == grp
    if year is not None:
        keep &= frame["year"] == year
    return frame[keep].reset_index(drop=True)


# -- the map -----------------------------------------------------------------------------------
def withheld_reason(flags: Sequence[str], measure_id: str, methodology: Methodology | None) -> str | None:
    """Plain words for why a measure's value is not shown, or None."""
    min_count = methodology.min_count if methodology else 5
    min_sample = methodology.min_sample if methodology else 30
    if f"suppressed:{measure_id}" in flags:
        return f"{fewer_than(min_count)} events: value withheld"
    if f"unreliable:{measure_id}" in flags:
        return f"survey sample under {min_sample:g}: value withheld"
    if f"missing:{measure_id}" in flags:
        return "no data"
    return None


def map_table(frame: pd.DataFrame, column: str, hoods: pd.DataFrame | None = None,
              methodology: Methodology | None = None) -> pd.DataFrame:
    """One year's values of ``column`` per neighbourhood, with rank and (risk) rank interval.

    Returns ``nid, name, district, value, rank, rank_p05, rank_p95, shown, note`` where
    ``shown`` is the value as text (numbers to 1 decimal; the reason when withheld).
    """
    out = frame[["nid", "name"]].copy()
    if hoods is not None and "district" in hoods:
        out = out.merge(hoods[["nid", "district"]], on="nid", how="left")
    else:
        out["district"] = None
    raw = frame[column] if column in frame else pd.Series(np.nan, index=frame.index)
    categorical = column == "typology"
    out["value"] = raw.to_numpy() if categorical else pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    if column in ("risk_score", "protective_score"):
        out["rank"] = frame[column.replace("_score", "_rank")].to_numpy(dtype=float, na_value=np.nan)
    elif categorical:
        out["rank"] = np.nan
    else:
        out["rank"] = out["value"].rank(ascending=False, method="min")
    interval = column == "risk_score" and "risk_rank_p05" in frame
    out["rank_p05"] = frame["risk_rank_p05"].to_numpy(dtype=float, na_value=np.nan) if interval else np.nan
    out["rank_p95"] = frame["risk_rank_p95"].to_numpy(dtype=float, na_value=np.nan) if interval else np.nan
    measure = column.split("__", 1)[1] if column.startswith(("raw__", "measure__")) else None
    notes = [withheld_reason(list(f), measure, methodology) if measure else None for f in frame["flags"]]
    out["note"] = notes
    out["shown"] = [_shown(v, n, categorical) for v, n in zip(out["value"], notes, strict=True)]
    return out.reset_index(drop=True)


def _shown(value: object, note: str | None, categorical: bool) -> str:
    if categorical:
        return str(value) if isinstance(value, str) else "no index"
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return note or "no data"
    return f"{float(value):,.1f}"  # type: ignore[arg-type]


def map_tooltips(frame: pd.DataFrame, fields: Sequence[str],
                 methodology: Methodology | None = None) -> pd.DataFrame:
    """The tooltip words of every map field at once, so the browser holds them with the outlines.

    Returns ``nid`` plus, for the ``i``-th field, ``v{i}`` (the value as shown, or why it is
    withheld) and ``r{i}`` (its rank in words; empty where the field has no rank). Switching the
    map from one field to another then changes colours and the tooltip template only.
    """
    out: dict[str, object] = {"nid": frame["nid"].to_numpy()}
    for i, column in enumerate(fields):
        table = map_table(frame, column, None, methodology)
        n = int(table["rank"].notna().sum())
        out[f"v{i}"] = table["shown"].to_numpy()
        out[f"r{i}"] = ["" if np.isnan(r) else rank_text(r, n, a, b) for r, a, b in
                        zip(table["rank"], table["rank_p05"], table["rank_p95"], strict=True)]
    return pd.DataFrame(out)


def rank_text(rank: float, n: int, p05: float = np.nan, p95: float = np.nan) -> str:
    """"rank 7 of 150 (likely between 4 and 11)"."""
    if rank is None or np.isnan(rank):
        return "not ranked"
    text = f"rank {int(rank)} of {n}"
    if not (np.isnan(p05) or np.isnan(p95)):
        text += f" (likely between {int(p05)} and {int(p95)})"
    return text


def incident_hexes(city: CityData, min_count: int, size_m: float = 400.0) -> pd.DataFrame:
    """Incidents counted per hexagon of ``size_m`` (server-side); cells under ``min_count`` dropped.

    Only the counts of cells with at least ``min_count`` incidents leave this function —
    never a point, never a small cell (DESIGN.md §6).
    """
    points = city.table("incidents")
    if points.empty:
        return pd.DataFrame(columns=["count", "polygon"])
    cells = hex_bins(points["lon"].to_numpy(), points["lat"].to_numpy(), size_m)
    cells["count"] = hide_small_cells(cells["count"].astype(float), min_count)
    cells = cells[cells["count"].notna() & (cells["count"] > 0)]
    return cells[["count", "polygon"]].reset_index(drop=True)


def asset_points(city: CityData) -> pd.DataFrame:
    """Mechanisms and facilities as points: ``asset_id, kind, name, formal, themes, lon, lat, nid``."""
    frame = city.table("assets")
    if frame.empty:
        return pd.DataFrame(columns=["asset_id", "kind", "name", "formal", "themes", "lon", "lat", "nid"])
    return frame


def _as_list(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    return [str(v) for v in value]  # type: ignore[attr-defined]


# -- the profile ------------------------------------------------------------------------------
@dataclass
class Profile:
    """Everything the profile page shows for one neighbourhood."""

    nid: str
    name: str
    district: str | None
    population: float | None
    year: int | None
    scored: int
    row: dict[str, object] | None
    methodology: Methodology | None
    headline: str
    drivers: pd.DataFrame
    versus_median: pd.DataFrame
    trend: pd.DataFrame
    groups: pd.DataFrame
    survey: pd.DataFrame
    survey_hidden: int
    online: pd.DataFrame
    mechanisms: pd.DataFrame
    partners: pd.DataFrame
    heard: pd.DataFrame
    not_heard: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def check_nid(city: CityData, nid: str | None) -> tuple[str, dict[str, object]]:
    """The neighbourhood row for ``nid``; InputError (with a hint) when unknown."""
    if not nid:
        raise InputError("No neighbourhood chosen: open a profile from the map or add ?nid=<code> to the address.")
    hoods = city.hoods
    row = hoods[hoods["nid"] == nid]
    if row.empty:
        examples = ", ".join(hoods["nid"].head(3))
        raise InputError(f"There is no neighbourhood with code {nid!r} in this city "
                         f"(codes look like {examples}). Check the link or pick one on the map.")
    return nid, row.iloc[0].to_dict()


def profile(city: CityData, nid: str | None, year: int | None = None, *, as_of: dt.date | None = None) -> Profile:
    """The neighbourhood profile of DESIGN.md §7.2 (journey 1)."""
    nid, hood = check_nid(city, nid)
    as_of = as_of or dt.date.today()
    all_scores = scores(city)
    years = sorted(all_scores["year"].unique()) if not all_scores.empty else []
    year = int(year) if year is not None and year in years else (int(years[-1]) if years else None)
    methodology = current_methodology(city, year)
    this_year = all_scores[all_scores["year"] == year] if year is not None else pd.DataFrame()
    mine = this_year[this_year["nid"] == nid]
    row = mine.iloc[0].to_dict() if not mine.empty else None
    drivers = driver_table(row, methodology) if row and methodology else _empty(["label", "contribution"])
    versus = versus_median(this_year, row, methodology) if row and methodology else _empty(["label"])
    survey, hidden = survey_results(city, nid, year, methodology)
    mechanisms = asset_points(city)
    mechanisms = mechanisms[mechanisms["nid"] == nid].drop(columns=["lon", "lat", "nid"])
    heard, stale = consultation_status(city, [nid], as_of)
    prof = Profile(
        nid=nid, name=str(hood.get("name") or nid), district=hood.get("district"),  # type: ignore[arg-type]
        population=hood.get("population"), year=year, scored=int(this_year["risk_rank"].notna().sum()) if row else 0,  # type: ignore[arg-type]
        row=row, methodology=methodology, headline="", drivers=drivers, versus_median=versus,
        trend=trend(city, all_scores, nid), groups=group_breakdown(city, nid, year),
        survey=survey, survey_hidden=hidden, online=online_trend(city, nid), mechanisms=mechanisms,
        partners=partners_for(city, [nid]), heard=heard, not_heard=stale)
    prof.notes = quality_notes(row, methodology) if row else ["This neighbourhood has no scores yet."]
    prof.headline = headline(prof)
    return prof


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns)


def index_shares(methodology: Methodology, index: str, present: set[str] | None = None) -> dict[str, float]:
    """Each measure's share of an index: domain weight share × measure weight share in its domain.

    Measures not in ``present`` are left out and their domain re-weighted, as the engine does.
    """
    domains = [d for d in methodology.domains if d.index == index]
    total = sum(d.weight for d in domains) or 1.0
    shares: dict[str, float] = {}
    for d in domains:
        members = [m for m in methodology.measures_of(d.id) if present is None or m.id in present]
        weight = sum(m.weight for m in members) or 1.0
        for m in members:
            shares[m.id] = d.weight / total * m.weight / weight
    return shares


def driver_table(row: dict[str, object], methodology: Methodology, index: str = "risk") -> pd.DataFrame:
    """What drives an index: ``measure, label, domain, share, normalised, contribution``.

    ``contribution`` = the measure's share of the index × its normalised (0–100, oriented)
    value; with arithmetic aggregation of bounded measures they add up to the index. A measure
    withheld in the public view keeps its share (the engine used it) but has no contribution
    (NaN); a missing one is left out and its domain re-weighted, as the engine does.
    """
    flags = set(row.get("flags") or [])  # type: ignore[call-overload]
    values = {m.id: row.get(measure_column(m.id)) for m in methodology.measures}
    present = {k for k, v in values.items()
               if f"missing:{k}" not in flags and (v is not None and not (isinstance(v, float) and np.isnan(v))
                                                   or set(withheld_measures(flags)) & {k})}
    shares = index_shares(methodology, index, present)
    rows = []
    for m in methodology.measures:
        if m.id not in shares:
            continue
        value = float(values[m.id]) if values[m.id] is not None else np.nan  # type: ignore[arg-type]
        domain = methodology.domain(m.domain)
        rows.append({"measure": m.id, "label": measure_label(methodology, m.id),
                     "domain": domain.label or domain.id, "share": shares[m.id],
                     "normalised": value, "contribution": shares[m.id] * value})
    frame = pd.DataFrame(rows, columns=["measure", "label", "domain", "share", "normalised", "contribution"])
    return frame.sort_values("contribution", ascending=False, ignore_index=True)


def versus_median(year_scores: pd.DataFrame, row: dict[str, object] | None,
                  methodology: Methodology | None) -> pd.DataFrame:
    """Each measure's raw value against the city median that year: ``label, value, median, ratio, note``."""
    columns = ["measure", "label", "direction", "value", "median", "ratio", "note"]
    if row is None or methodology is None:
        return _empty(columns)
    rows = []
    flags = list(row.get("flags") or [])  # type: ignore[call-overload]
    for m in methodology.measures:
        col = raw_column(m.id)
        if col not in year_scores:
            continue
        value = row.get(col)
        median = float(pd.to_numeric(year_scores[col], errors="coerce").median())
        value = np.nan if value is None else float(value)  # type: ignore[arg-type]
        ratio = value / median if median and not np.isnan(value) else np.nan
        rows.append({"measure": m.id, "label": measure_label(methodology, m.id), "direction": m.direction,
                     "value": value, "median": median, "ratio": ratio,
                     "note": withheld_reason(flags, m.id, methodology) or ""})
    return pd.DataFrame(rows, columns=columns)


def trend(city: CityData, all_scores: pd.DataFrame, nid: str) -> pd.DataFrame:
    """Year-on-year change of one neighbourhood, marked not comparable where methodologies differ.

    ``from_year, to_year, risk_score_from, risk_score_to, risk_rank_from, risk_rank_to,
    risk_rank_change, comparable, reason``.
    """
    columns = ["from_year", "to_year", "risk_score_from", "risk_score_to", "risk_score_change", "risk_rank_from",
               "risk_rank_to", "risk_rank_change", "protective_score_to", "comparable", "reason"]
    if all_scores.empty:
        return _empty(columns)
    years = sorted(int(y) for y in all_scores["year"].unique())
    known = city.methodologies
    mine = all_scores[all_scores["nid"] == nid]
    rows = [change_table(mine, a, b, known) for a, b in zip(years[:-1], years[1:], strict=True)]
    if not rows:
        single = mine.assign(from_year=np.nan, to_year=mine["year"], risk_score_to=mine["risk_score"],
                             risk_rank_to=mine["risk_rank"], protective_score_to=mine["protective_score"],
                             comparable=False, reason="only one year scored")
        return single.reindex(columns=columns)
    return pd.concat(rows, ignore_index=True).reindex(columns=columns)


def group_breakdown(city: CityData, nid: str, year: int | None) -> pd.DataFrame:
    """Risk and protective scores of one neighbourhood per population group: ``grp, risk_score, risk_rank, …``."""
    columns = ["grp", "risk_score", "risk_rank", "protective_score", "protective_rank"]
    if year is None:
        return _empty(columns)
    frames = [scores(city, year, g) for g in score_groups(city)]
    frames = [f[f["nid"] == nid] for f in frames if not f.empty]
    if not frames:
        return _empty(columns)
    return pd.concat(frames, ignore_index=True)[columns]


def _survey_groups(responses: pd.DataFrame) -> list[str]:
    return [c for c in responses.columns if c not in {"response_id", "nid", "year", "weight", "item", "value"}]


def survey_results(city: CityData, nid: str, year: int | None,
                   methodology: Methodology | None) -> tuple[pd.DataFrame, int]:
    """Weighted survey results of one neighbourhood with 95 % intervals and n.

    An item that a measure reads as ``share_at_least:k`` is reported as the share answering
    k or more (in %); others as the weighted mean. Returns the rows and how many were hidden
    as unreliable (public mode hides estimates with an effective n under ``min_sample``).
    """
    columns = ["item", "label", "grp_var", "grp", "estimate", "ci_low", "ci_high", "n", "n_eff",
               "unreliable", "unit"]
    public = city.public
    responses = city.table("survey_responses")
    if year is None or responses.empty:
        return _empty(columns), 0
    responses = responses[(responses["nid"] == nid) & (responses["year"] == year)]
    if responses.empty:
        return _empty(columns), 0
    min_sample = methodology.min_sample if methodology else 30
    shares = {m.survey_item: float(m.survey_transform.split(":")[1]) for m in (methodology.measures if methodology else ())
              if m.source == "survey" and m.survey_transform.startswith("share_at_least")}
    answers = responses.copy()
    for item, k in shares.items():
        chosen = answers["item"] == item
        answers.loc[chosen, "value"] = (answers.loc[chosen, "value"] >= k).astype(float)
    est = weighted_estimates(answers, _survey_groups(responses), min_sample=min_sample)
    est = est[est["nid"] == nid].copy()
    binary = answers.groupby("item")["value"].agg(lambda v: bool(v.dropna().isin([0.0, 1.0]).all()))
    est["unit"] = est["item"].map(lambda i: "%" if bool(binary.get(i, False)) else "mean")
    for col in ("estimate", "ci_low", "ci_high"):
        est[col] = np.where(est["unit"] == "%", est[col] * 100, est[col])
    labels = {m.survey_item: measure_label(methodology, m.id) for m in (methodology.measures if methodology else ())
              if m.source == "survey"}
    est["label"] = est["item"].map(lambda i: labels.get(i, str(i).replace("_", " ")))
    hidden = int(est["unreliable"].sum()) if public else 0
    if public:
        est = est[~est["unreliable"]]
    est = est.sort_values(["item", "grp_var", "grp"], key=lambda s: s if s.name != "grp_var" else s != "all")
    return est[columns].reset_index(drop=True), hidden


def online_trend(city: CityData, nid: str) -> pd.DataFrame:
    """Monthly online signals in one neighbourhood with spikes: ``period, count, spike``."""
    signals = city.table("online_signals")
    if signals.empty:
        return _empty(["period", "count", "spike"])
    signals = signals[signals["nid"] == nid]
    if signals.empty:
        return _empty(["period", "count", "spike"])
    series = detect_spikes(monthly_series(signals, nids=[nid]))
    series = series[series["nid"] == nid]
    return series[["period", "count", "spike"]].reset_index(drop=True)


def _stakeholders(city: CityData) -> pd.DataFrame:
    frame = city.table("stakeholders")
    if frame.empty:
        return pd.DataFrame(columns=["stakeholder_id", "name", "sector", "themes", "serves"])
    return public_stakeholders(frame)


def partners_for(city: CityData, nids: Sequence[str]) -> pd.DataFrame:
    """Partners serving the neighbourhoods (no contact details, in every mode)."""
    return partners_serving(_stakeholders(city), list(nids))


def _consultations(city: CityData) -> pd.DataFrame:
    frame = city.table("consultations")
    return frame if not frame.empty else pd.DataFrame(columns=["date", "nid", "groups"])


def consultation_groups(consultations: pd.DataFrame) -> list[str]:
    return sorted({g for groups in consultations["groups"] for g in groups} - {DEFAULT_GROUP})


def consultation_status(city: CityData, nids: Sequence[str] | None, as_of: dt.date,
                        months: int = 12) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(last heard per neighbourhood and group, those not heard in ``months``) for ``nids`` (None = all)."""
    hoods = city.hoods[["nid", "name"]]
    if nids is not None:
        hoods = hoods[hoods["nid"].isin(list(nids))]
    cons = _consultations(city)
    groups = consultation_groups(cons)
    heard = last_heard(cons, hoods, groups, as_of=as_of)
    stale = not_heard(cons, hoods, groups, as_of, months)
    return heard, stale


def quality_notes(row: dict[str, object], methodology: Methodology | None) -> list[str]:
    """The row's flags in plain words ("hate incidents: fewer than 5 incidents, value withheld")."""
    notes = []
    min_count = methodology.min_count if methodology else 5
    min_sample = methodology.min_sample if methodology else 30
    for flag in list(row.get("flags") or []):  # type: ignore[call-overload]
        code, _, what = str(flag).partition(":")
        label = measure_label(methodology, what) if methodology else what
        if code == "suppressed":
            notes.append(f"{label}: {fewer_than(min_count)} incidents — value withheld.")
        elif code == "unreliable":
            notes.append(f"{label}: survey sample under {min_sample:g} — estimate withheld as unreliable.")
        elif code == "missing":
            notes.append(f"{label}: no data this year — its domain is scored from the other measures.")
        elif code == "missing_domain":
            dom = methodology.domain(what).label if methodology else what
            notes.append(f"{dom}: no data for the whole domain — no index can be computed.")
        elif code == "extreme":
            notes.append(f"{label}: among the top tenth of the city.")
        else:
            notes.append(str(flag))
    return notes


def headline(p: Profile) -> str:
    """The sentence an official reads first (journey 1)."""
    if p.row is None:
        return f"{p.name} has no scores yet."
    r = p.row
    risk = r.get("risk_score")
    if risk is None or np.isnan(float(risk)):  # type: ignore[arg-type]
        text = "risk: no index (a whole domain is missing)"
    else:
        text = f"risk {float(risk):.0f}/100, " + rank_text(float(r["risk_rank"]), p.scored,  # type: ignore[arg-type]
                                                          float(r.get("risk_rank_p05", np.nan)),  # type: ignore[arg-type]
                                                          float(r.get("risk_rank_p95", np.nan)))  # type: ignore[arg-type]
    top = p.versus_median.merge(p.drivers[["measure", "contribution"]], on="measure")
    top = top[(top["direction"] == "risk") & (top["ratio"] > 1)].sort_values("contribution", ascending=False).head(2)
    if not top.empty:
        text += "; driven by " + " and ".join(f"{lab.lower()} ({ratio:.1f}× the city median)"
                                              for lab, ratio in zip(top["label"], top["ratio"], strict=True))
    protective = r.get("protective_score")
    if protective is not None and not np.isnan(float(protective)):  # type: ignore[arg-type]
        text += f"; protective {float(protective):.0f}/100"  # type: ignore[arg-type]
    if not p.mechanisms.empty:
        kinds = p.mechanisms["kind"].value_counts()
        text += " (" + ", ".join(f"{n} {plural(k.replace('_', ' '), n)}" for k, n in kinds.items()) + ")"
    if not p.partners.empty:
        text += f", served by {len(p.partners)} partner{'s' if len(p.partners) > 1 else ''}"
    trust = p.survey[(p.survey["grp_var"] == "all") & (p.survey["item"] == "trust_local_gov")]
    if not trust.empty:
        t = trust.iloc[0]
        half = (t["ci_high"] - t["ci_low"]) / 2
        text += f"; trust in local government {survey_value(t['estimate'], t['unit'])} (±{survey_value(half, t['unit'], False)}, n = {int(t['n'])})"
    last = p.heard[p.heard["grp"] == DEFAULT_GROUP]["last_heard"]
    if not last.empty and pd.notna(last.iloc[0]):
        text += f"; last consulted {_months_ago(last.iloc[0])}"
    elif not last.empty:
        text += "; never consulted"
    return text + "."


def plural(noun: str, n: int) -> str:
    """"place of worship" → "places of worship" (n > 1)."""
    if n == 1:
        return noun
    head, sep, tail = noun.partition(" of ")
    return f"{head}s{sep}{tail}" if sep else f"{noun}s"


def survey_value(value: float, unit: str, sign: bool = True) -> str:
    """41% for a share, 3.8 for a mean score."""
    return f"{value:.0f}%" if unit == "%" and sign else (f"{value:.0f}" if unit == "%" else f"{value:.1f}")


def _months_ago(when: pd.Timestamp, today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    months = (today.year - when.year) * 12 + today.month - when.month - (1 if when.day > today.day else 0)
    return "this month" if months <= 0 else f"{months} month{'s' if months > 1 else ''} ago"


# -- compare -------------------------------------------------------------------------------------
def parse_nids(text: str | None) -> list[str]:
    """``"N001, N002"`` → ``["N001", "N002"]`` (order kept, duplicates dropped)."""
    return list(dict.fromkeys(p.strip() for p in (text or "").split(",") if p.strip()))


def compare(city: CityData, nids: Sequence[str], year: int | None = None) -> pd.DataFrame:
    """Side by side: one row per neighbourhood, with change since the previous year.

    Raises InputError for fewer than 2 or more than 6 codes, or an unknown code.
    """
    nids = list(nids)
    if not 2 <= len(nids) <= MAX_COMPARE:
        raise InputError(f"Compare needs 2 to {MAX_COMPARE} neighbourhoods; got {len(nids)}. "
                         "Add codes separated by commas, e.g. ?nids=N001,N002.")
    known = set(city.hoods["nid"])
    unknown = [n for n in nids if n not in known]
    if unknown:
        raise InputError(f"Unknown neighbourhood code(s): {', '.join(unknown)}. Check the link.")
    all_scores = scores(city)
    if all_scores.empty:
        return city.hoods.set_index("nid").loc[nids, ["name"]].reset_index()
    years = sorted(int(y) for y in all_scores["year"].unique())
    year = year if year in years else years[-1]
    methodology = current_methodology(city, year)
    now = all_scores[(all_scores["year"] == year) & all_scores["nid"].isin(nids)].set_index("nid").reindex(nids)
    scored = int(all_scores.loc[all_scores["year"] == year, "risk_rank"].notna().sum())
    table = pd.DataFrame({"nid": nids, "name": now["name"].to_numpy()})
    table["risk_score"] = now["risk_score"].to_numpy(dtype=float, na_value=np.nan)
    table["risk_rank"] = [rank_text(r, scored, a, b) for r, a, b in zip(
        now["risk_rank"].to_numpy(dtype=float, na_value=np.nan), now["risk_rank_p05"].to_numpy(dtype=float, na_value=np.nan),
        now["risk_rank_p95"].to_numpy(dtype=float, na_value=np.nan), strict=True)]
    table["protective_score"] = now["protective_score"].to_numpy(dtype=float, na_value=np.nan)
    table["typology"] = now["typology"].to_numpy()
    table["hotspot"] = now["hotspot"].to_numpy()
    earlier = [y for y in years if y < year]
    if earlier:
        change = change_table(all_scores[all_scores["nid"].isin(nids)], earlier[-1], year,
                              city.methodologies).set_index("nid").reindex(nids)
        table["risk_change"] = [
            (f"{c:+.1f} points, rank {int(r):+d}" if ok and not np.isnan(c) else f"not comparable, because {why}")
            for c, r, ok, why in zip(change["risk_score_change"].to_numpy(dtype=float, na_value=np.nan),
                                     change["risk_rank_change"].to_numpy(dtype=float, na_value=0),
                                     change["comparable"], change["reason"], strict=True)]
    else:
        table["risk_change"] = "no earlier year scored"
    if methodology is not None:
        for d in methodology.domains:
            table[domain_column(d.id)] = now[domain_column(d.id)].to_numpy(dtype=float, na_value=np.nan)
        for m in methodology.measures:
            if raw_column(m.id) in now:
                table[raw_column(m.id)] = now[raw_column(m.id)].to_numpy(dtype=float, na_value=np.nan)
    table.attrs["year"] = year
    return table


def column_labels(methodology: Methodology | None) -> dict[str, str]:
    """Plain words for score columns (tables show these, never raw column names)."""
    labels = {"nid": "Code", "name": "Neighbourhood", "district": "District", "year": "Year",
              "risk_score": "Risk (0–100)", "risk_rank": "Risk rank", "protective_score": "Protective (0–100)",
              "protective_rank": "Protective rank", "typology": "Typology", "hotspot": "Hot spot",
              "risk_change": "Risk change since previous year", "risk_rank_p05": "Rank (5%)",
              "risk_rank_p95": "Rank (95%)", "grp": "Group"}
    if methodology is not None:
        for d in methodology.domains:
            labels[domain_column(d.id)] = f"{d.label or d.id} (0–100)"
        for m in methodology.measures:
            labels[raw_column(m.id)] = measure_label(methodology, m.id)
            labels[measure_column(m.id)] = f"{measure_label(methodology, m.id)} (0–100)"
    return labels


# -- registers ---------------------------------------------------------------------------------
@dataclass
class Registers:
    assets: pd.DataFrame
    stakeholders: pd.DataFrame
    coverage: pd.DataFrame
    gaps: pd.DataFrame
    not_heard: pd.DataFrame
    kinds: list[str]
    themes: list[str]


def registers(city: CityData, as_of: dt.date) -> Registers:
    """Mechanisms and partners, the gap list and consultation coverage (journey 5)."""
    hoods = city.hoods
    assets = asset_points(city)
    partners = _stakeholders(city)
    coverage = register_coverage(assets, partners, hoods) if not hoods.empty else _empty(["nid"])
    current = scores(city)
    if not current.empty:
        current = current[current["year"] == current["year"].max()]
    gaps = (gap_list(coverage, current[["nid", "risk_score"]]) if not current.empty and not coverage.empty
            else _empty(["nid", "risk_score", "mechanisms", "partners", "total_per_1000", "city_median"]))
    gaps = gaps.merge(hoods[["nid", "name"]], on="nid", how="left")
    _, stale = consultation_status(city, None, as_of) if not hoods.empty else (None, _empty(["nid", "name", "grp"]))
    kinds = sorted(assets["kind"].dropna().unique())
    themes = sorted({t for ts in assets["themes"] for t in ts} | {t for ts in partners["themes"] for t in ts})
    return Registers(assets, partners, coverage, gaps, stale, kinds, themes)


def filter_register(frame: pd.DataFrame, kinds: Sequence[str] = (), themes: Sequence[str] = (),
                    kind_column: str = "kind") -> pd.DataFrame:
    """Rows of a register whose kind is in ``kinds`` and that share a theme with ``themes`` (empty = any)."""
    keep = pd.Series(True, index=frame.index)
    if kinds and kind_column in frame:
        keep &= frame[kind_column].isin(list(kinds))
    if themes:
        wanted = set(themes)
        keep &= frame["themes"].map(lambda ts: bool(wanted & set(ts)))
    return frame[keep]


# -- data & quality ----------------------------------------------------------------------------
@dataclass
class DataQuality:
    sources: pd.DataFrame
    overdue: pd.DataFrame
    ingest: dict[str, object] | None
    ingested_at: object
    suppressed_cells: int
    unreliable_cells: int
    representativeness: pd.DataFrame


def data_quality(city: CityData, as_of: dt.date) -> DataQuality:
    """Source catalogue with freshness, the last ingest report, suppression counts, representativeness."""
    sources = city.table("sources") if not city.table("sources").empty else _empty(
        ["source_id", "name", "owner", "licence", "collected", "refresh", "method", "known_biases", "coverage"])
    fresh = overdue_sources(sources, as_of) if not sources.empty else _empty(["source_id", "due", "overdue", "days_overdue"])
    if not sources.empty:
        sources = sources.merge(fresh[["source_id", "due", "overdue", "days_overdue"]], on="source_id", how="left")
    report, when = None, None
    if not city.ingest.empty:
        report, when = json.loads(city.ingest["report"].iloc[0]), city.ingest["ingested_at"].iloc[0]
    suppressed = unreliable = 0
    current = scores(city)
    for flags in current.get("flags", []):
        suppressed += sum(1 for f in flags if str(f).startswith("suppressed:"))
        unreliable += sum(1 for f in flags if str(f).startswith("unreliable:"))
    return DataQuality(sources, fresh[fresh["overdue"]] if not fresh.empty else fresh, report, when,
                       suppressed, unreliable, _representativeness(city))


def _representativeness(city: CityData) -> pd.DataFrame:
    responses, population = city.table("survey_responses"), city.table("population")
    if responses.empty or population.empty:
        return _empty(["nid", "year", "summary"])
    groups = [g for g in _survey_groups(responses) if population["grp"].nunique() > 1]
    rep = representativeness(responses, population, groups)
    summary = representativeness_summary(rep)
    return summary[summary["under_represented"].map(len) > 0].reset_index(drop=True)


# -- methodology review (journey 4) ------------------------------------------------------------
def reweighted(base: Methodology, *, domain_weights: dict[str, float] | None = None,
               measure_weights: dict[str, float] | None = None, aggregation: str | None = None,
               normalisation: str | None = None, version: str | None = None, note: str | None = None) -> Methodology:
    """A copy of ``base`` with new weights and options (validated like a methodology file)."""
    spec = base.model_dump(mode="json", by_alias=True)
    for d in spec["domains"]:
        d["weight"] = float((domain_weights or {}).get(d["id"], d["weight"]))
    for m in spec["measures"]:
        m["weight"] = float((measure_weights or {}).get(m["id"], m["weight"]))
    if aggregation:
        spec["aggregation"] = aggregation
    if normalisation:
        spec["normalisation"] = normalisation
        if normalisation == "goalposts" and not spec.get("goalposts_year"):
            raise InputError("goalposts normalisation needs a goalposts year; set goalposts_year in the methodology file.")
    if version:
        spec["version"] = version
    if note is not None:
        spec["note"] = note
    return parse_methodology(spec, "the methodology page")


@dataclass(frozen=True)
class Prepared4Review:
    """What the methodology page re-weights: prepared measures (all group) and the inputs."""

    prepared: object
    inputs: object
    years: list[int]


def prepare_review(store: Store, methodology: Methodology) -> Prepared4Review:
    """Read the inputs and ``prepare`` the measures once (then ``recompute`` per slider move)."""
    from citygeo.scoring import prepare
    from citygeo.service.scoring import protected_inputs, scoring_inputs

    inputs = scoring_inputs(store, methodology)
    prepared = prepare(protected_inputs(inputs, methodology), methodology,
                       protect_small_counts=True)  # computed as saved scores are
    return Prepared4Review(prepared, inputs, sorted(prepared.year_rows))


def live_scores(review: Prepared4Review, methodology: Methodology, year: int) -> pd.DataFrame:
    """Indices and ranks of ``year`` under ``methodology`` (fast path, no Monte Carlo)."""
    from citygeo.scoring import recompute

    out = recompute(review.prepared, methodology)  # type: ignore[arg-type]
    return out[out["year"] == year].reset_index(drop=True)


def rank_moves(saved: pd.DataFrame, live: pd.DataFrame) -> pd.DataFrame:
    """Risk ranks that move between the saved scores and live ones: ``nid, name, saved, new, moved``.

    ``moved`` = new − saved (negative = closer to rank 1, i.e. more at risk); largest moves first.
    """
    a = saved[["nid", "name", "risk_rank"]].rename(columns={"risk_rank": "saved"})
    b = live[["nid", "risk_rank"]].rename(columns={"risk_rank": "new"})
    table = a.merge(b, on="nid", how="outer")
    table["moved"] = table["new"].astype("Float64") - table["saved"].astype("Float64")
    table = table[table["moved"].fillna(0) != 0]
    order = table["moved"].abs().sort_values(ascending=False, kind="stable").index
    return table.loc[order].reset_index(drop=True)


def save_version(store: Store, review: Prepared4Review, methodology: Methodology, years: Sequence[int],
                 note: str, *, draws: int = 1000) -> pd.DataFrame:
    """Score ``years`` with ``methodology`` (every group) and save it as a new version.

    Years not listed keep the methodology they were scored with, so their comparison with
    the new version is marked "not comparable" with the reason.
    """
    from citygeo.service.scoring import save_scores, score_methodology

    if not note.strip():
        raise InputError("Write a note saying why this version differs from the last one before saving.")
    if not years:
        raise InputError("Choose at least one year to score with the new version.")
    frame, districts = score_methodology(review.inputs, methodology,  # type: ignore[arg-type]
                                         sorted(int(y) for y in years), draws=draws)
    save_scores(store, methodology, frame, districts, note)
    return frame
