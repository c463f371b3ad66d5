"""Statistical coherence of a methodology on the data (OECD/JRC handbook, COINr).

From a scored frame (the output of ``score_city``) for one year:

- ``correlations``: Pearson r between every pair of oriented measures; ``redundant`` when
  |r| > 0.9, ``suspect`` when r < 0 inside one domain (after orientation, measures of a
  domain should pull the same way);
- ``alpha``: Cronbach's alpha of each domain's oriented measures (complete rows;
  NaN for a domain with one measure);
- ``effective_weights``: each measure's nominal share of its index (its weight within the
  domain × the domain's weight within the index) next to its correlation with the
  index and its share of the squared correlations of that index's measures (r² / Σ r²),
  a first-order picture of what each measure really drives;
- ``outliers``: measures whose raw values qualify for outlier treatment that year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from citygeo.schema import measure_column, raw_column
from citygeo.scoring.methodology import Methodology
from citygeo.scoring.outliers import is_outlying

__all__ = ["CoherenceReport", "coherence_report", "cronbach_alpha"]

REDUNDANT_R = 0.9


@dataclass(frozen=True)
class CoherenceReport:
    """The four tables of a coherence check."""

    correlations: pd.DataFrame
    alpha: pd.DataFrame
    effective_weights: pd.DataFrame
    outliers: pd.DataFrame


def cronbach_alpha(items: np.ndarray) -> float:
    """Cronbach's alpha of the columns of ``items`` (rows with a NaN dropped).

    ``α = k / (k − 1) · (1 − Σ var(item) / var(Σ items))`` with sample variances.
    """
    complete = items[~np.isnan(items).any(axis=1)]
    k = complete.shape[1]
    if k < 2 or len(complete) < 2:
        return float("nan")
    total = complete.sum(axis=1).var(ddof=1)
    if total == 0:
        return float("nan")
    return float(k / (k - 1) * (1.0 - complete.var(axis=0, ddof=1).sum() / total))


def coherence_report(
    scores: pd.DataFrame, methodology: Methodology, year: int | None = None
) -> CoherenceReport:
    """Coherence tables for ``year`` (default: the latest year in ``scores``)."""
    year = int(scores["year"].max()) if year is None else year
    frame = scores.loc[scores["year"] == year]
    return CoherenceReport(
        correlations=_correlations(frame, methodology),
        alpha=_alpha(frame, methodology),
        effective_weights=_effective_weights(frame, methodology),
        outliers=_outliers(frame, methodology, year),
    )


def _correlations(frame: pd.DataFrame, methodology: Methodology) -> pd.DataFrame:
    ids = [m.id for m in methodology.measures]
    domain_of = {m.id: m.domain for m in methodology.measures}
    matrix = frame[[measure_column(i) for i in ids]].astype(float).corr()
    records = []
    for a in range(len(ids)):
        for b in range(a + 1, len(ids)):
            r = float(matrix.iloc[a, b])
            same = domain_of[ids[a]] == domain_of[ids[b]]
            flag = "redundant" if abs(r) > REDUNDANT_R else ("suspect" if same and r < 0 else "")
            records.append(
                {
                    "measure_a": ids[a],
                    "measure_b": ids[b],
                    "r": r,
                    "same_domain": same,
                    "flag": flag,
                }
            )
    return pd.DataFrame(records, columns=["measure_a", "measure_b", "r", "same_domain", "flag"])


def _alpha(frame: pd.DataFrame, methodology: Methodology) -> pd.DataFrame:
    records = []
    for domain in methodology.domains:
        columns = [measure_column(m.id) for m in methodology.measures_of(domain.id)]
        alpha = cronbach_alpha(frame[columns].to_numpy(dtype=float))
        records.append({"domain": domain.id, "measures": len(columns), "alpha": alpha})
    return pd.DataFrame(records)


def _effective_weights(frame: pd.DataFrame, methodology: Methodology) -> pd.DataFrame:
    records = []
    for index in ("risk", "protective"):
        domains = [d for d in methodology.domains if d.index == index]
        domain_total = sum(d.weight for d in domains)
        target = frame[f"{index}_score"].astype(float)
        for domain in domains:
            measures = methodology.measures_of(domain.id)
            measure_total = sum(m.weight for m in measures)
            for m in measures:
                nominal = m.weight / measure_total * domain.weight / domain_total
                r = frame[measure_column(m.id)].astype(float).corr(target)
                records.append(
                    {
                        "index": index,
                        "domain": domain.id,
                        "measure": m.id,
                        "nominal": nominal,
                        "r": r,
                    }
                )
    table = pd.DataFrame(records)
    squared = table["r"] ** 2
    table["effective"] = squared / squared.groupby(table["index"]).transform("sum")
    return table


def _outliers(frame: pd.DataFrame, methodology: Methodology, year: int) -> pd.DataFrame:
    ids = [
        m.id
        for m in methodology.measures
        if is_outlying(frame[raw_column(m.id)].to_numpy(dtype=float))
    ]
    return pd.DataFrame({"year": year, "measure": ids}, columns=["year", "measure"])
