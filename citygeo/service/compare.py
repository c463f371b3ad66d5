"""Neighbourhoods side by side, with change since the previous year (journey 2)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from citygeo.errors import InputError
from citygeo.i18n import _
from citygeo.schema import domain_column, raw_column
from citygeo.scoring import Methodology, change_table
from citygeo.service.city import (
    CityData,
    covered_by,
    current_methodology,
    scores,
)
from citygeo.words import (
    measure_label,
    not_covered_by,
    rank_text,
    risk_change,
)

MAX_COMPARE = 6


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
        raise InputError(
            _(
                "Compare needs 2 to {most} neighbourhoods; got {n}. Add codes "
                "separated by commas, e.g. ?nids=N001,N002."
            ).format(most=MAX_COMPARE, n=len(nids))
        )
    known = set(city.neighbourhoods["nid"])
    unknown = [n for n in nids if n not in known]
    if unknown:
        raise InputError(
            _("Unknown neighbourhood code(s): {codes}. Check the link.").format(
                codes=", ".join(unknown)
            )
        )
    all_scores = scores(city)
    if all_scores.empty:
        return city.neighbourhoods.set_index("nid").loc[nids, ["name"]].reset_index()
    years = sorted(int(y) for y in all_scores["year"].unique())
    year = year if year in years else years[-1]
    methodology = current_methodology(city, year)
    now = (
        all_scores[(all_scores["year"] == year) & all_scores["nid"].isin(nids)]
        .set_index("nid")
        .reindex(nids)
    )
    scored = int(all_scores.loc[all_scores["year"] == year, "risk_rank"].notna().sum())
    table = pd.DataFrame({"nid": nids, "name": now["name"].to_numpy()})
    table["risk_score"] = now["risk_score"].to_numpy(dtype=float, na_value=np.nan)
    table["risk_rank"] = [
        rank_text(r, scored, a, b)
        for r, a, b in zip(
            now["risk_rank"].to_numpy(dtype=float, na_value=np.nan),
            now["risk_rank_p05"].to_numpy(dtype=float, na_value=np.nan),
            now["risk_rank_p95"].to_numpy(dtype=float, na_value=np.nan),
            strict=True,
        )
    ]
    table["protective_score"] = now["protective_score"].to_numpy(dtype=float, na_value=np.nan)
    table["typology"] = now["typology"].to_numpy()
    table["hotspot"] = now["hotspot"].to_numpy()
    earlier = [y for y in years if y < year]
    if earlier:
        change = (
            change_table(
                all_scores[all_scores["nid"].isin(nids)], earlier[-1], year, city.methodologies
            )
            .set_index("nid")
            .reindex(nids)
        )
        table["risk_change"] = [
            (
                risk_change(c, r, now_rank)
                if ok and not np.isnan(c)
                else _("not comparable, because {reason}").format(reason=why)
            )
            for c, r, now_rank, ok, why in zip(
                change["risk_score_change"].to_numpy(dtype=float, na_value=np.nan),
                change["risk_rank_change"].to_numpy(dtype=float, na_value=np.nan),
                now["risk_rank"].to_numpy(dtype=float, na_value=np.nan),
                change["comparable"],
                change["reason"],
                strict=True,
            )
        ]
    else:
        table["risk_change"] = _("no earlier year scored")
    if methodology is not None:
        for d in methodology.domains:
            table[domain_column(d.id)] = now[domain_column(d.id)].to_numpy(
                dtype=float, na_value=np.nan
            )
        for m in methodology.measures:
            if raw_column(m.id) in now:
                table[raw_column(m.id)] = now[raw_column(m.id)].to_numpy(
                    dtype=float, na_value=np.nan
                )
        sources = covered_by(city, methodology)
        table["not_covered"] = [
            "; ".join(
                f"{measure_label(methodology, m.id)}: {not_covered_by(m.id, sources)}"
                for m in methodology.measures
                if f"not_covered:{m.id}" in list(flags or [])
            )
            for flags in now["flags"]
        ]
    table.attrs["year"] = year
    return table


# -- reading the table ---------------------------------------------------------------------------
def higher_is_worse(column: str, methodology: Methodology | None) -> bool | None:
    """Which way a compared row reads: True = higher is worse (risk), False = higher is better
    (protection), None = not a number to judge (ranks in words, typology, hot spot, change)."""
    if column == "risk_score":
        return True
    if column == "protective_score":
        return False
    if methodology is None:
        return None
    for d in methodology.domains:
        if column == domain_column(d.id):
            return d.index == "risk"
    for m in methodology.measures:
        if column == raw_column(m.id):
            return m.direction == "risk"
    return None


def worse_and_better(table: pd.DataFrame, methodology: Methodology | None) -> pd.DataFrame:
    """Per compared column, which neighbourhood is worst ("worse") and best ("better").

    One row per neighbourhood (as ``table``), one column per judged column; cells are "worse",
    "better" or "". Higher risk is worse, higher protection is better; ties and columns with
    fewer than two values are left unmarked.
    """
    marks = pd.DataFrame(index=table.index)
    for column in table.columns:
        worse_high = higher_is_worse(column, methodology)
        values = pd.to_numeric(table[column], errors="coerce") if worse_high is not None else None
        if values is None or values.notna().sum() < 2 or values.max() == values.min():
            continue
        worst, best = (values.max(), values.min()) if worse_high else (values.min(), values.max())
        marks[column] = ["worse" if v == worst else "better" if v == best else "" for v in values]
    return marks


def compare_csv(
    table: pd.DataFrame,
    labels: dict[str, str],
    *,
    city: str | None,
    fictional: bool,
    digits: int = 2,
) -> str:
    """The compare table as a CSV a person can read: numbers rounded to ``digits``, a year column,
    and a city column that says "fictional city, synthetic data" when it is one (a column, not a
    comment line, so every spreadsheet reads the file)."""
    out = table.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].round(digits)
    name = city or "city"
    out.insert(0, "city", f"{name} (fictional city, synthetic data)" if fictional else name)
    out.insert(1, "year", table.attrs.get("year"))
    out = out.rename(
        columns={c: labels.get(c, c.replace("_", " ").capitalize()) for c in out.columns}
    )
    return out.to_csv(index=False)
