"""What the map page shows: fields, one year's values with ranks, tooltips, overlays."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from citygeo.geo.hexgrid import frame_scale, hex_ring
from citygeo.i18n import _
from citygeo.rules.privacy import (
    hide_small_cells,
)
from citygeo.schema import domain_column, measure_column, raw_column
from citygeo.scoring import Methodology
from citygeo.service.city import (
    CityData,
)
from citygeo.store import Store, reads
from citygeo.words import (
    INDEX_FIELDS,
    measure_label,
    rank_text,
    shown_value,
    withheld_reason,
)


def map_fields(methodology: Methodology | None) -> dict[str, str]:
    """Every value the map can show: column → plain label (an index the methodology does not
    score, and the typology that needs both, are left out)."""
    out = dict(INDEX_FIELDS)
    if methodology is None:
        return out
    for index in ("risk", "protective"):
        if not methodology.scores(index):
            out.pop(f"{index}_score", None)
            out.pop("typology", None)
    for d in methodology.domains:
        out[domain_column(d.id)] = _("Domain: {domain} (0–100)").format(domain=d.label or d.id)
    for m in methodology.measures:
        out[measure_column(m.id)] = _("{measure} (normalised 0–100)").format(
            measure=measure_label(methodology, m.id)
        )
    for m in methodology.measures:
        out[raw_column(m.id)] = _("{measure} (raw value)").format(
            measure=measure_label(methodology, m.id)
        )
    return out


def map_table(
    frame: pd.DataFrame,
    column: str,
    hoods: pd.DataFrame | None = None,
    methodology: Methodology | None = None,
    covered_by: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One year's values of ``column`` per neighbourhood, with rank and (risk) rank interval.

    Returns ``nid, name, district, value, rank, rank_p05, rank_p95, shown, note, not_covered``
    where ``shown`` is the value as text (numbers to 1 decimal; the reason when withheld:
    "not covered by <source>" outside a source's coverage, see ``service.city.covered_by``)
    and ``not_covered`` is True there (the map's own class: grey, hatched, its legend entry).
    """
    out = frame[["nid", "name"]].copy()
    if hoods is not None and "district" in hoods:
        out = out.merge(hoods[["nid", "district"]], on="nid", how="left")
    else:
        out["district"] = None
    raw = frame[column] if column in frame else pd.Series(np.nan, index=frame.index)
    categorical = column == "typology"
    out["value"] = (
        raw.to_numpy() if categorical else pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    )
    if column in ("risk_score", "protective_score"):
        out["rank"] = frame[column.replace("_score", "_rank")].to_numpy(
            dtype=float, na_value=np.nan
        )
    elif categorical:
        out["rank"] = np.nan
    else:
        out["rank"] = out["value"].rank(ascending=False, method="min")
    interval = column == "risk_score" and "risk_rank_p05" in frame
    out["rank_p05"] = (
        frame["risk_rank_p05"].to_numpy(dtype=float, na_value=np.nan) if interval else np.nan
    )
    out["rank_p95"] = (
        frame["risk_rank_p95"].to_numpy(dtype=float, na_value=np.nan) if interval else np.nan
    )
    measure = column.split("__", 1)[1] if column.startswith(("raw__", "measure__")) else None
    notes = [
        withheld_reason(list(f), measure, methodology, covered_by) if measure else None
        for f in frame["flags"]
    ]
    out["note"] = notes
    out["not_covered"] = [
        bool(measure) and f"not_covered:{measure}" in list(f) for f in frame["flags"]
    ]
    out["shown"] = [
        shown_value(v, n, categorical=categorical) for v, n in zip(out["value"], notes, strict=True)
    ]
    return out.reset_index(drop=True)


def year_vintage(scores: pd.DataFrame, year: int | None) -> str | None:
    """The boundary vintage a year is drawn on when it is not today's: a year scored on earlier
    boundaries and not carried over by a crosswalk. None: today's boundaries."""
    if year is None or "boundary_vintage" not in scores or scores.empty:
        return None
    latest = scores.loc[scores["year"] == scores["year"].max(), "boundary_vintage"].dropna()
    rows = scores[scores["year"] == year]
    carried = rows.get("carried_from_vintage", pd.Series(dtype=object)).notna().any()
    own = rows["boundary_vintage"].dropna()
    if own.empty or latest.empty or carried or own.iloc[0] == latest.iloc[0]:
        return None
    return str(own.iloc[0])


def boundary_note(scores: pd.DataFrame, drawn: pd.DataFrame, year: int | None) -> str | None:
    """Words for a year drawn on the boundaries of its time (see :func:`year_vintage`): which
    neighbourhoods differ from today's, and why its change over time is not comparable.

    ``drawn``: today's neighbourhoods."""
    if year_vintage(scores, year) is None:
        return None
    held, shown = set(scores.loc[scores["year"] == year, "nid"]), set(drawn["nid"])
    return _(
        "{year} is drawn on the neighbourhood boundaries it was scored on, which have changed "
        "since (only then: {gone}; only now: {new}). Its change over time is not comparable "
        "across the two. To compare {year} with later years, give the ingest a crosswalk from "
        "the old codes to the new ([boundaries] crosswalk)."
    ).format(year=year, gone=_listed(sorted(held - shown)), new=_listed(sorted(shown - held)))


def _listed(codes: list[str], limit: int = 6) -> str:
    shown = ", ".join(codes[:limit])
    return shown + (f" (+{len(codes) - limit})" if len(codes) > limit else "") if codes else "—"


def map_tooltips(
    frame: pd.DataFrame,
    fields: Sequence[str],
    methodology: Methodology | None = None,
    covered_by: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The tooltip words of every map field at once, so the browser holds them with the outlines.

    Returns ``nid`` plus, for the ``i``-th field, ``v{i}`` (the value as shown, or why it is
    withheld) and ``r{i}`` (its rank in words; empty where the field has no rank). Switching the
    map from one field to another then changes colours and the tooltip template only.
    """
    out: dict[str, object] = {"nid": frame["nid"].to_numpy()}
    for i, column in enumerate(fields):
        table = map_table(frame, column, None, methodology, covered_by)
        n = int(table["rank"].notna().sum())
        out[f"v{i}"] = table["shown"].to_numpy()
        out[f"r{i}"] = [
            "" if np.isnan(r) else rank_text(r, n, a, b)
            for r, a, b in zip(table["rank"], table["rank_p05"], table["rank_p95"], strict=True)
        ]
    return pd.DataFrame(out)


def incident_hexes(
    store: Store,
    min_count: int,
    *,
    year: int | None = None,
    categories: Sequence[str] | None = None,
    size_m: float = 400.0,
) -> pd.DataFrame:
    """Incidents of ``year`` (and ``categories``; None = all) counted per hexagon of ``size_m``
    in the store; cells under ``min_count`` dropped: ``q, r, count, polygon``.

    Only the counts of cells with at least ``min_count`` incidents leave this function —
    never a point, never a small cell (DESIGN.md §6).
    """
    with store.reader() as con:
        latitude = reads.centre_latitude(con)
        if latitude is None:
            return pd.DataFrame(columns=["q", "r", "count", "polygon"])
        kx, ky = frame_scale(latitude)
        cells = reads.incident_hex_counts(con, size_m, kx, ky, year=year, categories=categories)
    cells["count"] = hide_small_cells(cells["count"].astype(float), min_count)
    cells = cells[cells["count"].notna() & (cells["count"] > 0)].reset_index(drop=True)
    cells["polygon"] = [
        hex_ring(int(q), int(r), size_m, latitude)
        for q, r in zip(cells["q"], cells["r"], strict=True)
    ]
    return cells


def asset_points(city: CityData) -> pd.DataFrame:
    """Mechanisms and facilities as points: ``asset_id, kind, name, formal, themes, lon, lat,
    nid``."""
    frame = city.table("assets")
    if frame.empty:
        return pd.DataFrame(
            columns=["asset_id", "kind", "name", "formal", "themes", "lon", "lat", "nid"]
        )
    return frame


def column_labels(methodology: Methodology | None) -> dict[str, str]:
    """Plain words for score columns (tables show these, never raw column names)."""
    labels = {
        "nid": _("Code"),
        "name": _("Neighbourhood"),
        "district": _("District"),
        "year": _("Year"),
        "risk_score": _("Risk (0–100)"),
        "risk_rank": _("Risk rank"),
        "protective_score": _("Protective (0–100)"),
        "protective_rank": _("Protective rank"),
        "typology": _("Typology"),
        "hotspot": _("Hot spot"),
        "risk_change": _("Risk change since previous year"),
        "risk_rank_p05": _("Rank (5%)"),
        "risk_rank_p95": _("Rank (95%)"),
        "grp": _("Group"),
        "not_covered": _("Not covered by a source (value unknown, not zero)"),
    }
    if methodology is not None:
        for d in methodology.domains:
            labels[domain_column(d.id)] = _("{name} (0–100)").format(name=d.label or d.id)
        for m in methodology.measures:
            labels[raw_column(m.id)] = measure_label(methodology, m.id)
            labels[measure_column(m.id)] = _("{name} (0–100)").format(
                name=measure_label(methodology, m.id)
            )
    return labels


def incident_categories(methodology: Methodology | None, column: str) -> tuple[str, ...] | None:
    """The incident categories the map's field is built on (an incident measure's own), or
    None (every category) for any other field: the hexagons show what the map shows."""
    measure_id = column.split("__", 1)[1] if column.startswith(("raw__", "measure__")) else None
    measure = (
        next((m for m in methodology.measures if m.id == measure_id), None) if methodology else None
    )
    if measure is None or measure.source != "incidents" or not measure.categories:
        return None
    return tuple(sorted(measure.categories))
