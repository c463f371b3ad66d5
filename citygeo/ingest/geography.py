"""Tables keyed by another set of areas, apportioned to the neighbourhoods (DESIGN.md §3).

``geography`` (a polygon file with ``geography_id``) apportions by areal interpolation with
PySAL ``tobler`` (``tobler.area_weighted.area_interpolate``) in a projected CRS:

- ``extensive`` columns (counts) are split by the share of each source area that lies in the
  neighbourhood: value × intersection area / source area, summed;
- every other column is a mean weighted by the part of the neighbourhood each source area
  covers (area weights), or with ``apportion = "population"`` by the population each piece
  holds (the source area's population × the piece's share of that area: people are taken
  as spread evenly within a source area, so extensive columns split the same way).

``crosswalk`` (a table ``from, to, weight``, e.g. old codes after a boundary change) does the
same with the weights given: ``weight`` is the share of the ``from`` area that lies in
``to``; extensive columns are Σ value × weight, the others Σ value × weight / Σ weight.

A missing value is left out (never zero). The share of a neighbourhood covered by source
areas with a value is reported; a neighbourhood covered below 50 % gets no value and a
coverage row, so the scoring flags it ``not_covered:<measure>``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from citygeo.config.city import IndicatorsSpec, _Geography
from citygeo.errors import InputError
from citygeo.ingest.columns import as_codes, parse_numbers, raise_problems, require_columns
from citygeo.ingest.coverage import COVERED_SHARE
from citygeo.ingest.indicators import load_indicators
from citygeo.ingest.readers import read_table, read_vector

log = logging.getLogger(__name__)


def _tobler() -> object:
    """PySAL ``tobler``'s areal interpolation module, imported when a table is apportioned
    (importing tobler costs ~1 s of CPU, which every other ingest would pay)."""
    return importlib.import_module("tobler.area_weighted.area_interpolate")


# A table's values per source code, extensive? -> (estimate, covered share) per neighbourhood
_Method = Callable[[pd.Series, bool], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Targets:
    """The neighbourhoods that tables are apportioned to: ``nid`` and geometry, and the
    projected CRS areas are measured in."""

    hoods: gpd.GeoDataFrame
    crs: str


@dataclass(frozen=True)
class Apportioned:
    """A wide table re-keyed by neighbourhood, and the share of each neighbourhood covered.

    ``values``: the key columns and value columns, ``nid`` = neighbourhood code.
    ``coverage``: ``item, nid, share`` (item: a value column, or the category of a count).
    """

    values: pd.DataFrame
    coverage: pd.DataFrame


def apportion(
    wide: pd.DataFrame,
    keys: list[str],
    columns: list[str],
    spec: _Geography,
    targets: Targets,
    table: pd.DataFrame,
    path: Path,
    warnings: list[str],
    item_column: str | None = None,
) -> Apportioned:
    """Apportion ``wide`` (``nid`` = source area code, ``keys``, float ``columns``).

    ``table``: the raw table (for a ``geography_population`` column given there).
    ``item_column``: the key column that names the coverage item (counts: the category);
    default: each value column is its own item.
    """
    if spec.crosswalk:
        weights = _crosswalk(spec.crosswalk, set(targets.hoods["nid"]), warnings)
        method = _by_crosswalk(weights, pd.Index(targets.hoods["nid"]))
        where = f"{path.name} (through {spec.crosswalk.name})"
    else:
        sources = _source_areas(spec, targets, table, wide, path)
        method = _by_areas(sources, targets, spec)
        where = f"{path.name} (areas of {spec.geography.name})"  # type: ignore[union-attr]
    values, shares = [], []
    groups = wide.groupby(keys, dropna=False, sort=False) if keys else [((), wide)]
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        out = pd.DataFrame({"nid": targets.hoods["nid"].to_numpy()})
        out = out.assign(**dict(zip(keys, key, strict=True)))
        for column in columns:
            estimate, share = method(part.groupby("nid")[column].first(), column in spec.extensive)
            out[column] = np.where(share >= COVERED_SHARE, estimate, np.nan)
            item = key[keys.index(item_column)] if item_column else column
            shares.append(pd.DataFrame({"item": item, "nid": out["nid"], "share": share}))
        values.append(out)
    coverage = pd.DataFrame(
        pd.concat(shares).groupby(["item", "nid"], as_index=False)["share"].max()
        if shares
        else pd.DataFrame(columns=["item", "nid", "share"])
    )
    _report(coverage, where, spec, warnings)
    result = pd.concat(values, ignore_index=True) if values else wide.iloc[:0]
    return Apportioned(result.dropna(subset=columns, how="all").reset_index(drop=True), coverage)


def _source_areas(
    spec: _Geography, targets: Targets, table: pd.DataFrame, wide: pd.DataFrame, path: Path
) -> gpd.GeoDataFrame:
    geo_path = spec.geography
    assert geo_path is not None and spec.geography_id is not None
    frame = read_vector(geo_path, "geography")
    if spec.geography_id not in frame.columns:
        others = ", ".join(str(c) for c in frame.columns if c != "geometry")
        raise InputError(
            f"{geo_path}: no column {spec.geography_id!r} (columns: {others}); set "
            f"`geography_id` to the column holding the codes of {path.name}'s "
            "areas."
        )
    if frame.crs is None:
        raise InputError(f"{geo_path}: the geography file carries no CRS; save it with one.")
    codes = as_codes(
        frame[spec.geography_id].astype(object).where(frame[spec.geography_id].notna(), None)
    )
    repeated = codes[codes.duplicated() & codes.notna()]
    if not repeated.empty:
        raise InputError(
            f"{geo_path}: codes in column {spec.geography_id!r} are repeated (e.g. "
            f"{repeated.iloc[0]!r}); each area needs one code."
        )
    areas = (
        gpd.GeoDataFrame({"code": codes}, geometry=frame.geometry.to_numpy(), crs=frame.crs)
        .dropna(subset=["code"])
        .to_crs(targets.crs)
    )
    if spec.apportion == "population":
        areas["population"] = (
            _population(spec, frame, codes, table, path).reindex(areas["code"]).to_numpy()
        )
    unknown = sorted(set(wide["nid"].dropna()) - set(areas["code"]))
    if unknown:
        raise InputError(
            f"{path}: {len(unknown)} codes in column match no area of "
            f"{geo_path.name} (column {spec.geography_id!r}), e.g. "
            f"{', '.join(repr(c) for c in unknown[:5])}; check `geography_id`."
        )
    return areas.reset_index(drop=True)


def _population(
    spec: _Geography, frame: gpd.GeoDataFrame, codes: pd.Series, table: pd.DataFrame, path: Path
) -> pd.Series:
    column = spec.geography_population
    assert column is not None
    problems: list[str] = []
    if column in frame.columns:
        text = pd.DataFrame(
            {
                column: frame[column]
                .astype(object)
                .map(
                    lambda v: (
                        None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                    )
                )
            }
        )
        values = parse_numbers(text, column, spec.geography, problems, [])  # type: ignore[arg-type]
        by_code = pd.Series(values.to_numpy(), index=codes.to_numpy())
    elif column in table.columns:
        values = parse_numbers(table, column, path, problems, [])
        codes_here = as_codes(table[spec.id])  # type: ignore[attr-defined]  # every table has an id
        by_code = pd.Series(values.to_numpy(), index=codes_here.to_numpy())
        by_code = by_code[~by_code.index.duplicated()]
    else:
        raise InputError(
            f"{path}: `geography_population` = {column!r} is a column neither of "
            f"{spec.geography} nor of this table; name the population column."
        )
    raise_problems(path, "geography population", problems)
    return by_code


def _by_areas(sources: gpd.GeoDataFrame, targets: Targets, spec: _Geography) -> _Method:
    hoods = targets.hoods.to_crs(targets.crs)[["nid", "geometry"]].reset_index(drop=True)
    tobler = _tobler()
    area_interpolate = tobler.area_interpolate  # type: ignore[attr-defined]
    table = tobler._area_tables_binning(sources, hoods, "auto").tocsr()  # type: ignore[attr-defined]
    hood_area = hoods.geometry.area.to_numpy()
    index = pd.Index(sources["code"])

    def method(values: pd.Series, extensive: bool) -> tuple[np.ndarray, np.ndarray]:
        v = values.reindex(index).to_numpy(dtype=float)
        valid = np.flatnonzero(~np.isnan(v))
        if len(valid) == 0:
            return np.full(len(hoods), np.nan), np.zeros(len(hoods))
        sub = table[valid]
        share = np.asarray(sub.sum(axis=0)).ravel() / np.where(hood_area > 0, hood_area, 1)
        src = sources.iloc[valid].reset_index(drop=True).assign(__v=v[valid])
        if extensive:
            est = area_interpolate(src, hoods, extensive_variables=["__v"], table=sub)["__v"]
        elif spec.apportion == "population":
            src["__vp"] = src["__v"] * src["population"]
            est = area_interpolate(
                src, hoods, extensive_variables=["population", "__vp"], table=sub
            )
            with np.errstate(invalid="ignore", divide="ignore"):
                est = est["__vp"] / est["population"]
        else:
            est = area_interpolate(src, hoods, intensive_variables=["__v"], table=sub)["__v"]
        # rounded: a square split in halves is covered 0.5, not 0.49999999999 after projection
        return np.asarray(est, dtype=float), np.minimum(np.round(share, 9), 1.0)

    return method


def _crosswalk(path: Path, known: set[str], warnings: list[str]) -> pd.DataFrame:
    frame = read_table(path, "crosswalk")
    require_columns(frame, ["from", "to", "weight"], path, "crosswalk")
    problems: list[str] = []
    weight = parse_numbers(frame, "weight", path, problems, warnings)
    negative = np.flatnonzero((weight < 0).to_numpy())
    problems += [
        f"line {i + 2}, column 'weight': {weight.iloc[i]:g} is negative" for i in negative[:5]
    ]
    raise_problems(path, "crosswalk", problems)
    table = pd.DataFrame(
        {"from": as_codes(frame["from"]), "to": as_codes(frame["to"]), "weight": weight.fillna(0.0)}
    )
    unknown = sorted(set(table["to"].dropna()) - known)
    if unknown:
        warnings.append(
            f"{path.name}: {len(unknown)} `to` codes match no neighbourhood and were "
            f"left out: {', '.join(repr(c) for c in unknown[:10])}"
        )
    return table[table["to"].isin(known)]


def _by_crosswalk(weights: pd.DataFrame, order: pd.Index) -> _Method:
    total = weights.groupby("to")["weight"].sum()

    def method(values: pd.Series, extensive: bool) -> tuple[np.ndarray, np.ndarray]:
        rows = weights.assign(v=weights["from"].map(values).astype(float))
        valid = rows[rows["v"].notna()]
        got = valid.groupby("to")["weight"].sum()
        summed = (valid["v"] * valid["weight"]).groupby(valid["to"]).sum()
        est = summed if extensive else summed / got.where(got > 0)
        share = (got / total.where(total > 0)).reindex(order).fillna(0.0)
        return est.reindex(order).to_numpy(dtype=float), share.to_numpy(dtype=float)

    return method


def _report(coverage: pd.DataFrame, where: str, spec: _Geography, warnings: list[str]) -> None:
    if coverage.empty:
        return
    share = coverage.groupby("nid")["share"].max()
    full = int((share >= 0.999).sum())
    partly = int(((share >= COVERED_SHARE) & (share < 0.999)).sum())
    below = share[share < COVERED_SHARE]
    how = (
        "through the crosswalk's weights"
        if spec.crosswalk
        else f"by {'population' if spec.apportion == 'population' else 'area'}"
    )
    text = (
        f"{where}: apportioned to neighbourhoods {how}; {full} neighbourhoods wholly covered, "
        f"{partly} partly (50–99 %)"
    )
    if partly:
        covered = share[share >= COVERED_SHARE]
        text += f", the least {covered.idxmin()} ({100 * covered.min():.0f} %)"
    if len(below):
        sample = ", ".join(f"{n} ({100 * s:.0f} %)" for n, s in below.head(8).items())
        text += (
            f"; {len(below)} covered below 50 % get no value and are flagged not covered: "
            f"{sample}{' …' if len(below) > 8 else ''}"
        )
    warnings.append(text + ".")


def read_apportioned_indicators(
    spec: IndicatorsSpec, targets: Targets, warnings: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An ``[[indicators]]`` table keyed by other areas, as ``nid, indicator, year, grp, value``
    rows on the neighbourhoods, and its coverage rows (``kind = 'indicator'``)."""
    frame = read_table(
        spec.path, "indicator", sheet=spec.sheet, warnings=warnings, key_column=spec.id
    )
    long = load_indicators(frame, spec, _source_codes(spec), warnings)
    wide = long.pivot(
        index=["nid", "year", "grp"], columns="indicator", values="value"
    ).reset_index()
    columns = [c for c in wide.columns if c not in {"nid", "year", "grp"}]
    spread = apportion(wide, ["year", "grp"], columns, spec, targets, frame, spec.path, warnings)
    values = spread.values.melt(
        id_vars=["nid", "year", "grp"], value_vars=columns, var_name="indicator", value_name="value"
    ).dropna(subset=["value"])
    coverage = spread.coverage.assign(source_id=spec.source, kind="indicator")
    return (
        values[["nid", "indicator", "year", "grp"] + ["value"]].reset_index(drop=True),
        coverage,
    )


def _source_codes(spec: _Geography) -> set[str]:
    """The codes a table keyed by other areas may use: the geography's, or the crosswalk's."""
    if spec.crosswalk:
        return set(
            as_codes(
                read_table(spec.crosswalk, "crosswalk").get("from", pd.Series(dtype=object))
            ).dropna()
        )
    assert spec.geography is not None and spec.geography_id is not None
    frame = read_vector(spec.geography, "geography")
    if spec.geography_id not in frame.columns:
        others = ", ".join(str(c) for c in frame.columns if c != "geometry")
        raise InputError(
            f"{spec.geography}: no column {spec.geography_id!r} (columns: {others}); "
            "set `geography_id` to the column that holds the areas' codes."
        )
    return set(as_codes(frame[spec.geography_id].astype(object)).dropna())
