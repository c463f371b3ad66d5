"""Plain-language wording for people: ranks, withheld values, flags, typology, hot spots, units.

The one home of every sentence the pages, the printout and the CLI say about a number, so
they say the same thing (and translators find every sentence in one file).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from citygeo.schema import is_missing
from citygeo.scoring import Methodology

INDEX_FIELDS = {"risk_score": "Risk index (0–100)", "protective_score": "Protective index (0–100)",
                "typology": "Typology (risk × protection)"}

TYPOLOGY_WORDS = {"priority": "priority (risk above median, protection below)",
                  "watch": "watch (both above the median)",
                  "strengthen": "strengthen (both below the median)",
                  "resilient": "resilient (risk below median, protection above)"}

HOTSPOT_WORDS = {"high-high": "high-risk cluster (high-high)", "low-low": "low-risk cluster (low-low)",
                 "high-low": "high risk among low (high-low)", "low-high": "low risk among high (low-high)"}


def fewer_than(min_count: int) -> str:
    """How a suppressed count is shown to a person."""
    return f"fewer than {min_count}"


def measure_label(methodology: Methodology | None, measure_id: str) -> str:
    """A measure's label from the methodology, else its id in words."""
    m = next((m for m in methodology.measures if m.id == measure_id), None) if methodology else None
    return m.label if m and m.label else measure_id.replace("_", " ")


def domain_label(methodology: Methodology | None, domain_id: str) -> str:
    """A domain's label from the methodology, else its id in words."""
    d = next((d for d in methodology.domains if d.id == domain_id), None) if methodology else None
    return d.label if d and d.label else domain_id.replace("_", " ")


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


def shown_value(value: object, note: str | None = None, *, categorical: bool = False,
                digits: int = 1) -> str:
    """A value as a table shows it: a number to ``digits`` decimals, the reason it is withheld,
    or "no data"; a category as its name ("no index" when there is none)."""
    if categorical:
        return str(value) if isinstance(value, str) else "no index"
    if is_missing(value):
        return note or "no data"
    return f"{float(value):,.{digits}f}"  # type: ignore[arg-type]


def rank_text(rank: float, n: int, p05: float = np.nan, p95: float = np.nan) -> str:
    """"rank 7 of 150 (likely between 4 and 11)"."""
    if is_missing(rank):
        return "not ranked"
    text = f"rank {int(rank)} of {n}"
    if not (is_missing(p05) or is_missing(p95)):
        text += f" (likely between {int(p05)} and {int(p95)})"
    return text


def plural(noun: str, n: int) -> str:
    """"place of worship" → "places of worship" (n > 1)."""
    if n == 1:
        return noun
    head, sep, tail = noun.partition(" of ")
    return f"{head}s{sep}{tail}" if sep else f"{noun}s"


def survey_value(value: float, unit: str, sign: bool = True) -> str:
    """41% for a share, 3.8 for a mean score."""
    return f"{value:.0f}%" if unit == "%" and sign else (f"{value:.0f}" if unit == "%" else f"{value:.1f}")


def months_ago(when: pd.Timestamp, today: dt.date | None = None) -> str:
    """"14 months ago", "this month"."""
    today = today or dt.date.today()
    months = (today.year - when.year) * 12 + today.month - when.month - (1 if when.day > today.day else 0)
    return "this month" if months <= 0 else f"{months} month{'s' if months > 1 else ''} ago"


def flag_sentence(flag: str, methodology: Methodology | None, *, public: bool = True) -> str:
    """One flag of a score row in plain words (the profile's and the printout's notes)."""
    code, _, what = str(flag).partition(":")
    label = measure_label(methodology, what)
    min_count = methodology.min_count if methodology else 5
    min_sample = methodology.min_sample if methodology else 30
    if code == "suppressed":
        return (f"{label}: {fewer_than(min_count)} incidents — value withheld to protect the people "
                "involved (it still counts in the score)." if public else
                f"{label}: built on fewer than {min_count} incidents; withheld in public outputs.")
    if code == "unreliable":
        return (f"{label}: survey sample under {min_sample:g} — estimate withheld as unreliable."
                if public else f"{label}: survey sample under {min_sample:g}; unreliable, withheld "
                "in public outputs.")
    if code == "missing":
        return f"{label}: no data this year — its domain is scored from the other measures."
    if code == "missing_domain":
        return f"{domain_label(methodology, what)}: no data for the whole domain — no index can be computed."
    if code == "extreme":
        return f"{label}: among the top tenth of the city."
    return str(flag)


def quality_notes(flags: Sequence[str], methodology: Methodology | None, *,
                  public: bool = True) -> list[str]:
    """A score row's flags in plain words."""
    return [flag_sentence(f, methodology, public=public) for f in flags]


RATIO_LIMIT = 10.0  # above this, "× the city median" says more about a tiny median than the place


def compared_with_city(value: float, median: float, ratio: float, percentile: float) -> str:
    """A measure's value against the city in words; see ``service.profile.versus_median``."""
    if is_missing(value) or is_missing(median):
        return ""
    if not is_missing(ratio) and ratio <= RATIO_LIMIT:
        return f"{ratio:.1f}× the city median"
    return f"higher than {percentile:.0f}% of neighbourhoods; city median {median:,.2g}"


def reads_as(direction: str) -> str:
    """Which way a measure's value points."""
    return "higher = more risk" if direction == "risk" else "higher = more protection"


def last_consulted(when: object) -> str:
    """"Last consulted on 12 March 2025." or "Never consulted."."""
    if is_missing(when):
        return "Never consulted."
    return f"Last consulted on {pd.Timestamp(when):%d %B %Y}."  # type: ignore[arg-type]


def groups_not_heard(groups: Sequence[str], months_since: Sequence[float]) -> str:
    """"young people (never), older residents (14 months ago)"."""
    return ", ".join(f"{str(g).replace('_', ' ')} ({'never' if is_missing(m) else f'{int(m)} months ago'})"
                     for g, m in zip(groups, months_since, strict=True))


def scored_indices(methodology: Methodology | None) -> set[str]:
    """The indices a methodology feeds ("risk", "protective"): a risk-only methodology (most
    published indices) leaves the protective index not scored, and the other way round."""
    return {d.index for d in methodology.domains} if methodology else {"risk", "protective"}


def not_scored(index: str) -> str:
    """Why an index has no value under this methodology, in plain words."""
    return f"not scored: this methodology has no {index} domain"


def hotspot_method(methodology: Methodology | None) -> str:
    """How hot spots were found, in words (with the multiple-testing correction used)."""
    correction = methodology.hotspot_correction if methodology else "none"
    words = {"none": "no correction for testing every neighbourhood at once",
             "fdr": "false discovery rate correction (Benjamini–Hochberg)",
             "bonferroni": "Bonferroni correction"}[correction]
    return f"Hot spots: Local Moran's I of the risk score, p < 0.05, {words}."
