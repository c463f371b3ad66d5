"""Plain-language wording for people: ranks, withheld values, flags, typology, hot spots, units.

The one home of every sentence the pages, the printout and the CLI say about a number, so
they say the same thing (and translators find every sentence in one file). Every sentence
goes through :mod:`citygeo.i18n` (``_``/``ngettext`` with named placeholders) and every number
through its locale's formatters; names and codes from the city's data stay as written.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from citygeo.i18n import (
    N_,
    Words,
    _,
    format_date,
    format_month,
    format_number,
    format_percent,
    isolate,
    language,
    ngettext,
)
from citygeo.schema import as_float, is_missing
from citygeo.scoring import Methodology

INDEX_FIELDS = Words(
    {
        "risk_score": N_("Risk index (0–100)"),
        "protective_score": N_("Protective index (0–100)"),
        "typology": N_("Typology (risk × protection)"),
    }
)

TYPOLOGY_WORDS = Words(
    {
        "priority": N_("priority (risk above median, protection below)"),
        "watch": N_("watch (both above the median)"),
        "strengthen": N_("strengthen (both below the median)"),
        "resilient": N_("resilient (risk below median, protection above)"),
    }
)

TYPOLOGY_NAMES = Words(
    {
        "priority": N_("priority"),
        "watch": N_("watch"),
        "strengthen": N_("strengthen"),
        "resilient": N_("resilient"),
    }
)

HOTSPOT_WORDS = Words(
    {
        "high-high": N_("high-risk cluster"),
        "low-low": N_("low-risk cluster"),
        "high-low": N_("high risk, surrounded by low risk"),
        "low-high": N_("low risk, surrounded by high risk"),
    }
)


def hotspot_term(code: str) -> str:
    """A hot-spot class's technical name, for an analyst's tooltip (never the visible text)."""
    return _("Local Moran's I class {code}").format(code=isolate(code))


def hotspot_help() -> str:
    """The help tooltip of a hot-spot column: each plain name with its technical class."""
    return _("Technical names (Local Moran's I of the risk score): {classes}.").format(
        classes=clauses([f"{HOTSPOT_WORDS[k]} = {isolate(k)}" for k in HOTSPOT_WORDS])
    )


def clauses(parts: Sequence[str]) -> str:
    """Clauses of one sentence joined as the language joins them ("a; b", Arabic "a؛ b")."""
    # TRANSLATORS: separator between the clauses of one sentence (a semicolon and a space).
    return _("; ").join(parts)


def listing(parts: Sequence[str]) -> str:
    """Items of a list joined as the language joins them ("a, b", Arabic "a، b")."""
    # TRANSLATORS: separator between the items of a list (a comma and a space).
    return _(", ").join(parts)


def whole(value: object) -> str:
    """A whole number as the language groups it ("1,234", "1 234")."""
    return format_number(round(as_float(value)), 0)


def significant(value: float, figures: int = 2) -> str:
    """``value`` to ``figures`` significant figures ("0.031", "1,200")."""
    rounded = float(f"{float(value):.{figures}g}")
    if rounded == 0:
        return format_number(0, 0)
    digits = max(0, figures - 1 - math.floor(math.log10(abs(rounded))))
    return format_number(rounded, digits)


def fewer_than(min_count: int) -> str:
    """How a suppressed count is shown to a person."""
    return _("fewer than {n}").format(n=whole(min_count))


def no_data() -> str:
    """A value that does not exist (never zero)."""
    return _("no data")


def measure_label(methodology: Methodology | None, measure_id: str) -> str:
    """A measure's label from the methodology, else its id in words."""
    m = next((m for m in methodology.measures if m.id == measure_id), None) if methodology else None
    return m.label if m and m.label else measure_id.replace("_", " ")


def measure_help(methodology: Methodology | None, measure_id: str) -> str | None:
    """The technical name of how a measure is built, for an analyst's tooltip (the label stays
    plain: "…, adjusted for small populations"), or None when there is nothing to add."""
    m = next((m for m in methodology.measures if m.id == measure_id), None) if methodology else None
    if m is None:
        return None
    if m.smoothing == "empirical_bayes":
        return _(
            "Technical name: empirical Bayes smoothed rate (in a neighbourhood with few "
            "residents the rate is pulled towards the city's, so a few incidents do not make "
            "it jump)."
        )
    if m.source == "survey":
        transform = m.transform or "mean"
        if transform.startswith("share_at_least:"):
            return _(
                "Technical name: survey estimate, weighted share of the answers {k} or higher."
            ).format(k=transform.partition(":")[2])
        return _(
            "Technical name: survey estimate, weighted mean of the answers (for a yes/no "
            "question, the share answering yes)."
        )
    return None


def domain_label(methodology: Methodology | None, domain_id: str) -> str:
    """A domain's label from the methodology, else its id in words."""
    d = next((d for d in methodology.domains if d.id == domain_id), None) if methodology else None
    return d.label if d and d.label else domain_id.replace("_", " ")


def not_covered_by(measure_id: str, covered_by: Mapping[str, str] | None) -> str:
    """ "not covered by Metropolitan Police (police.uk)"."""
    source = (covered_by or {}).get(measure_id)
    return (
        _("not covered by {source}").format(source=isolate(source))
        if source
        else _("not covered by its source")
    )


def _limits(methodology: Methodology | None) -> tuple[int, str]:
    min_count = methodology.min_count if methodology else 5
    min_sample = methodology.min_sample if methodology else 30
    return min_count, format_number(min_sample, 0 if float(min_sample).is_integer() else 1)


def withheld_reason(
    flags: Sequence[str],
    measure_id: str,
    methodology: Methodology | None,
    covered_by: Mapping[str, str] | None = None,
) -> str | None:
    """Plain words for why a measure's value is not shown, or None (``covered_by``: measure id
    → the name of the source whose coverage leaves the neighbourhood out)."""
    min_count, min_sample = _limits(methodology)
    if f"suppressed:{measure_id}" in flags:
        return _("fewer than {n} events: value withheld").format(n=whole(min_count))
    if f"unreliable:{measure_id}" in flags:
        return _("survey sample under {n}: value withheld").format(n=min_sample)
    if f"not_covered:{measure_id}" in flags:
        return not_covered_by(measure_id, covered_by)
    if f"missing:{measure_id}" in flags:
        return no_data()
    return None


def shown_value(
    value: object, note: str | None = None, *, categorical: bool = False, digits: int = 1
) -> str:
    """A value as a table shows it: a number to ``digits`` decimals, the reason it is withheld,
    or "no data"; a category as its name ("no index" when there is none)."""
    if categorical:
        return TYPOLOGY_NAMES.get(value, value) if isinstance(value, str) else _("no index")
    if is_missing(value):
        return note or no_data()
    return format_number(float(value), digits)  # type: ignore[arg-type]


def rank_text(rank: object, n: int, p05: object = np.nan, p95: object = np.nan) -> str:
    """ "rank 7 of 150 (likely between 4 and 11)"."""
    if is_missing(rank):
        return _("not ranked")
    if is_missing(p05) or is_missing(p95):
        return _("rank {rank} of {n}").format(rank=whole(rank), n=whole(n))
    return _("rank {rank} of {n} (likely between {low} and {high})").format(
        rank=whole(rank), n=whole(n), low=whole(p05), high=whole(p95)
    )


def plural(noun: str, n: int) -> str:
    """ "place of worship" → "places of worship" (n > 1): English nouns from the data only."""
    if n == 1:
        return noun
    head, sep, tail = noun.partition(" of ")
    many = (
        head[:-1] + "ies"
        if head.endswith("y") and head[-2:-1] not in tuple("aeiou")
        else head + "s"
    )
    return f"{many}{sep}{tail}"


def count_of(kind: str, n: int) -> str:
    """A count of things of a kind named by the city's data ("3 libraries"; in another language
    the kind stays as the city wrote it: "library : 3")."""
    if language() == "en":
        return f"{whole(n)} {plural(kind, n)}"
    return _("{kind}: {n}").format(kind=isolate(kind), n=whole(n))


def survey_value(value: float, unit: str, sign: bool = True) -> str:
    """41% for a share, 3.8 for a mean score."""
    if unit == "%":
        return format_percent(value / 100, 0) if sign else format_number(value, 0)
    return format_number(value, 1)


def months_ago(when: pd.Timestamp, today: dt.date | None = None) -> str:
    """ "14 months ago", "this month"."""
    today = today or dt.date.today()
    months = (
        (today.year - when.year) * 12
        + today.month
        - when.month
        - (1 if when.day > today.day else 0)
    )
    if months <= 0:
        return _("this month")
    return ngettext("{n} month ago", "{n} months ago", months).format(n=whole(months))


def flag_sentence(
    flag: str,
    methodology: Methodology | None,
    *,
    public: bool = True,
    covered_by: Mapping[str, str] | None = None,
) -> str:
    """One flag of a score row in plain words (the profile's and the printout's notes)."""
    code, _sep, what = str(flag).partition(":")
    label = isolate(measure_label(methodology, what))
    min_count, min_sample = _limits(methodology)
    if code == "suppressed":
        text = (
            _(
                "{measure}: fewer than {n} incidents — value withheld to protect the people "
                "involved (it still counts in the score)."
            )
            if public
            else _("{measure}: built on fewer than {n} incidents; withheld in public outputs.")
        )
        return text.format(measure=label, n=whole(min_count))
    if code == "unreliable":
        text = (
            _("{measure}: survey sample under {n} — estimate withheld as unreliable.")
            if public
            else _("{measure}: survey sample under {n}; unreliable, withheld in public outputs.")
        )
        return text.format(measure=label, n=min_sample)
    if code == "missing":
        return _(
            "{measure}: no data this year — its domain is scored from the other measures."
        ).format(measure=label)
    if code == "not_covered":
        return _(
            "{measure}: {coverage} — this neighbourhood lies outside the area that source "
            "covers, so the value is unknown (not zero) and left out of the "
            "score."
        ).format(measure=label, coverage=not_covered_by(what, covered_by))
    if code == "missing_domain":
        return _("{domain}: no data for the whole domain — no index can be computed.").format(
            domain=isolate(domain_label(methodology, what))
        )
    if code == "extreme":
        return _("{measure}: among the top tenth of the city.").format(measure=label)
    return str(flag)


def quality_notes(
    flags: Sequence[str],
    methodology: Methodology | None,
    *,
    public: bool = True,
    covered_by: Mapping[str, str] | None = None,
) -> list[str]:
    """A score row's caveats in plain words: its flags that say why a number needs care (the
    top-tenth flags are not caveats: see :func:`stands_out`)."""
    return [
        flag_sentence(f, methodology, public=public, covered_by=covered_by)
        for f in flags
        if not str(f).startswith("extreme:")
    ]


def stands_out(flags: Sequence[str], methodology: Methodology | None) -> list[str]:
    """The risk measures for which a neighbourhood is in the city's top tenth (its
    ``extreme:`` flags), by their labels."""
    return [
        measure_label(methodology, str(f).partition(":")[2])
        for f in flags
        if str(f).startswith("extreme:")
    ]


RATIO_LIMIT = 10.0  # above this, "× the city median" says more about a tiny median than the place


def compared_with_city(value: float, median: float, ratio: float, percentile: float) -> str:
    """A measure's value against the city in words; see ``service.profile.versus_median``."""
    if is_missing(value) or is_missing(median):
        return ""
    if not is_missing(ratio) and ratio <= RATIO_LIMIT:
        return _("{ratio}× the city median").format(ratio=format_number(ratio, 1))
    return _("higher than {share} of neighbourhoods; city median {median}").format(
        share=format_percent(percentile / 100, 0), median=significant(median)
    )


def reads_as(direction: str) -> str:
    """Which way a measure's value points."""
    return _("higher = more risk") if direction == "risk" else _("higher = more protection")


def last_consulted(when: object) -> str:
    """ "Last consulted on 12 March 2025." or "Never consulted."."""
    if is_missing(when):
        return _("Never consulted.")
    day = pd.Timestamp(when).date()
    return _("Last consulted on {date}.").format(date=format_date(day))


def groups_not_heard(groups: Sequence[str], months_since: Sequence[float]) -> str:
    """ "young people (never), older residents (14 months ago)"."""
    parts = []
    for group, months in zip(groups, months_since, strict=True):
        when = (
            _("never")
            if is_missing(months)
            else ngettext("{n} month ago", "{n} months ago", int(months)).format(n=whole(months))
        )
        parts.append(_("{group} ({when})").format(group=isolate(group_words(group)), when=when))
    return listing(parts)


def scored_indices(methodology: Methodology | None) -> set[str]:
    """The indices a methodology feeds ("risk", "protective"): a risk-only methodology (most
    published indices) leaves the protective index not scored, and the other way round."""
    return {d.index for d in methodology.domains} if methodology else {"risk", "protective"}


def hotspot_method(methodology: Methodology | None) -> str:
    """How hot spots were found, in words (with the multiple-testing correction used)."""
    correction = methodology.hotspot_correction if methodology else "none"
    words = {
        "none": _("no correction for testing every neighbourhood at once"),
        "fdr": _("false discovery rate correction (Benjamini–Hochberg)"),
        "bonferroni": _("Bonferroni correction"),
    }[correction]
    return _("Hot spots: Local Moran's I of the risk score, p < 0.05, {correction}.").format(
        correction=words
    )


def ordinal(n: int) -> str:
    """1 → "1st", 2 → "2nd", 13 → "13th", 22 → "22nd" (French "1er", "2e"; Arabic the number)."""
    lang = language()
    if lang == "fr":
        return "1er" if n == 1 else f"{n}e"
    if lang != "en":
        return whole(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_change(change: float, rank_now: float) -> str:
    """A risk-rank change in words: "up 2 places, to 15th" (towards rank 1 = higher risk)."""
    if is_missing(change) or is_missing(rank_now):
        return _("rank not comparable")
    steps, now = int(change), ordinal(int(rank_now))
    if steps == 0:
        return _("same place, {rank}").format(rank=now)
    if steps < 0:
        return ngettext("up {n} place, to {rank}", "up {n} places, to {rank}", -steps).format(
            n=whole(-steps), rank=now
        )
    return ngettext("down {n} place, to {rank}", "down {n} places, to {rank}", steps).format(
        n=whole(steps), rank=now
    )


def score_change(change: float) -> str:
    """ "4.4 points lower" / "2.0 points higher" / "unchanged"."""
    if is_missing(change):
        return _("not comparable")
    if round(float(change), 1) == 0:
        return _("unchanged")
    text = _("{points} points higher") if change > 0 else _("{points} points lower")
    return text.format(points=format_number(abs(float(change)), 1))


def risk_change(score_delta: float, rank_delta: float, rank_now: float) -> str:
    """ "risk 4.4 points lower; down 2 places, to 15th (rank 1 = highest risk)"."""
    return _("risk {score}; {rank} (rank 1 = highest risk)").format(
        score=score_change(score_delta), rank=rank_change(rank_delta, rank_now)
    )


GROUP_WORDS = Words(
    {
        "lgbtq": N_("LGBTQ+ people"),
        "all": N_("anyone"),
        "civil_society": N_("civil society"),
        "recent_arrivals": N_("recent arrivals"),
        "source_id": N_("survey"),  # survey results by the survey they come from
    }
)


def group_words(code: object) -> str:
    """A group or sector code in plain words: "lgbtq" → "LGBTQ+ people", "civil_society" →
    "civil society" (a code the project does not know stays as the city wrote it)."""
    text = str(code)
    return GROUP_WORDS[text] if text in GROUP_WORDS else text.replace("_", " ")


def last_heard_words(when: object) -> str:
    """ "never" or "March 2025"."""
    return _("never") if is_missing(when) else format_month(pd.Timestamp(when).date())


def normalised_reads_as(index: str) -> str:
    """Which way a normalised (0–100, oriented) value points inside ``index``: a measure is turned
    so that its normalised value always reads in the index's direction (income in the risk index
    reads as "higher = more risk" once inverted)."""
    return (
        _("0–100, higher = more risk") if index == "risk" else _("0–100, higher = more protection")
    )


def not_scored(index: str) -> str:
    """What a page says for an index the methodology leaves out (a risk-only or protective-only
    one): "risk index not scored (this methodology has no risk domains)"."""
    return (
        _("risk index not scored (this methodology has no risk domains)")
        if index == "risk"
        else _("protective index not scored (this methodology has no protective domains)")
    )


def index_not_scored(index: str) -> str:
    """The same, as a sentence of its own (capitalised)."""
    return (
        _("Risk index not scored (this methodology has no risk domains)")
        if index == "risk"
        else _("Protective index not scored (this methodology has no protective domains)")
    )
