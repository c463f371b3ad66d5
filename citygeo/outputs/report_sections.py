"""The sections of the printable profile (``outputs.report``): each renders one part of the
service's Profile as escaped HTML, in the current language."""

from __future__ import annotations

from datetime import UTC, datetime

import geopandas as gpd

from citygeo import __version__
from citygeo.i18n import (
    _,
    format_date,
    format_percent,
    isolate,
    ngettext,
)
from citygeo.outputs.svg import drivers_svg, escape_text, map_svg, neighbours_of, trend_svg
from citygeo.service.city import CityData, scores
from citygeo.service.profile import Profile
from citygeo.words import (
    HOTSPOT_WORDS,
    TYPOLOGY_WORDS,
    group_words,
    hotspot_method,
    listing,
    not_scored,
    rank_text,
    scored_indices,
    shown_value,
    survey_value,
    whole,
)

_e = escape_text


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:  # type: ignore[assignment]
    """An HTML table; ``headers`` are plain text, ``rows`` hold HTML already escaped; columns in
    ``numeric`` align to the end of the line (the right, or the left in Arabic). Each cell is
    isolated (``<bdi>``): an English name keeps its parentheses in an Arabic table."""

    def cell(tag: str, i: int, text: str, extra: str = "") -> str:
        css = " class=n" if i in numeric else ""
        return f"<{tag}{extra}{css}>{text}</{tag}>"

    head = "".join(cell("th", i, _e(h), " scope=col") for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(cell("td", i, f"<bdi>{c}</bdi>") for i, c in enumerate(r)) + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _h2(text: str) -> str:
    """A section heading (screen readers list the printout's sections by these)."""
    return f"<h2>{_e(text)}</h2>"


def _p(text: str, css: str = "") -> str:
    """A paragraph of plain text."""
    return f'<p class="{css}">{_e(text)}</p>' if css else f"<p>{_e(text)}</p>"


def header(prof: Profile, city: CityData, shapes: gpd.GeoDataFrame) -> str:
    settings = city.settings
    place = [_e(prof.nid)] + ([_e(prof.district)] if _e(prof.district) else [])
    parts = [
        f"<h1>{_e(prof.name)}</h1>",
        f'<p class="sub">{" · ".join([*place, _e(settings.name), str(prof.year)])}</p>',
    ]
    if settings.fictional:
        description = settings.description or _(
            "Synthetic data generated for demonstration: "
            "every neighbourhood, figure and name is "
            "invented and describes no real place or person."
        )
        fictional = _e(_("Fictional city."))
        parts.append(f'<p class="notice">{fictional} <bdi>{_e(description)}</bdi></p>')
    if not city.public:
        warning = _(
            "Analyst view: contains values built on few events. Sensitive — do not publish."
        )
        parts.append(f'<p class="mode">{_e(warning)}</p>')
    named = shapes.assign(
        name=shapes["nid"].map(
            dict(zip(city.neighbourhoods["nid"], city.neighbourhoods["name"], strict=True))
        )
    )
    caption = _(
        "{name} (dark) and its neighbours (labelled by code); polygons from the store, WGS 84."
    ).format(name=isolate(prof.name))
    parts.append(
        f"<figure>{map_svg(named, prof.nid)}<figcaption>{_e(caption)}</figcaption></figure>"
    )
    return "".join(parts)


def scores_section(prof: Profile, city: CityData, shapes: gpd.GeoDataFrame) -> str:
    row = prof.row or {}
    indices = scored_indices(prof.methodology)
    out_of = _("{score} / 100")
    risk = (
        out_of.format(score=shown_value(row.get("risk_score")))
        if "risk" in indices
        else not_scored("risk")
    )
    protective = (
        out_of.format(score=shown_value(row.get("protective_score")))
        if "protective" in indices
        else not_scored("protective")
    )
    lines = [
        [
            _e(_("Risk score")),
            _e(risk),
            _e(
                rank_text(
                    row.get("risk_rank"),
                    prof.scored,
                    row.get("risk_rank_p05"),
                    row.get("risk_rank_p95"),
                )
            ),
            shown_value(row.get("risk_decile"), digits=0),
        ],
        [
            _e(_("Protective score")),
            _e(protective),
            _e(rank_text(row.get("protective_rank"), prof.scored)),
            shown_value(row.get("protective_decile"), digits=0),
        ],
    ]
    parts = [
        _h2(_("Scores")),
        _table(
            [
                _("Index"),
                _("Score"),
                _("Rank (its likely range as the weights vary)"),
                _("Tenth of the city (1–10)"),
            ],
            lines,
            {1, 3},
        ),
    ]
    typology = TYPOLOGY_WORDS.get(
        str(row.get("typology")),
        _("not scored: it needs both indices") if len(indices) < 2 else "–",
    )
    hotspot = HOTSPOT_WORDS.get(str(row.get("hotspot")), _("not in a cluster"))
    parts.append(
        "<p>"
        + _e(_("Typology: {typology} · hot spot: {hotspot}.")).format(
            typology=f"<b>{_e(typology)}</b>", hotspot=f"<b>{_e(hotspot)}</b>"
        )
        + " "
        + _e(
            _(
                "Rank 1 = highest risk / most protection; tenth 1 = the 10% most at risk / "
                "most protected."
            )
        )
        + "</p>"
    )
    if not prof.domains.empty:
        parts.append(
            _table(
                [_("Domain"), _("Feeds"), _("Score"), _("City median")],
                [
                    [
                        _e(d.label),
                        _e(_index_word(d.index)),
                        shown_value(d.score),
                        shown_value(d.median),
                    ]
                    for d in prof.domains.itertuples()
                ],
                {2, 3},
            )
        )
    parts.append(_neighbours_table(prof, city, shapes))
    return "".join(parts)


def _index_word(index: object) -> str:
    """Which index a domain feeds, in words."""
    return {"risk": _("risk"), "protective": _("protective")}.get(str(index), str(index))


def _neighbours_table(prof: Profile, city: CityData, shapes: gpd.GeoDataFrame) -> str:
    neighbours = neighbours_of(shapes, prof.nid)
    if neighbours.empty:
        return _p(_("No neighbouring neighbourhoods."))
    year_rows = scores(city, prof.year).set_index("nid")
    names = dict(zip(city.neighbourhoods["nid"], city.neighbourhoods["name"], strict=True))
    rows = []
    for nid in sorted(neighbours["nid"]):
        score = year_rows["risk_score"].get(nid) if "risk_score" in year_rows else None
        rank = year_rows["risk_rank"].get(nid) if "risk_rank" in year_rows else None
        rows.append(
            [
                f"{_e(names.get(nid))} ({_e(nid)})",
                shown_value(score),
                _e(rank_text(rank, prof.scored)),
            ]
        )
    return _table([_("Neighbour"), _("Risk score"), _("Risk rank")], rows, {1})


def _withheld_words(prof: Profile) -> str:
    methodology = prof.methodology
    if methodology is None:
        return _("withheld")
    return _("withheld (fewer than {n} events or too small a sample)").format(
        n=whole(methodology.min_count)
    )


def drivers_section(prof: Profile, city: CityData) -> str:
    drivers = prof.drivers
    heading = _h2(_("What drives the risk score"))
    if drivers.empty:
        return heading + _p(_("No measure values this year."))
    row = prof.row or {}
    shown = float(drivers["contribution"].sum(skipna=True))
    note = (
        _("The bars add up to the risk score.")
        if prof.drivers_add_up
        else _(
            "With this methodology (geometric mean, exponential transform or z-scores) the bars "
            "are each measure's weighted share and do not add up to the score exactly."
        )
    )
    if drivers["contribution"].isna().any():
        note += " " + _(
            "Withheld measures still count in the score but their values are not shown."
        )
    caption = _(
        "Points each risk measure adds to the risk score of {score} (shown: {shown})."
    ).format(score=shown_value(row.get("risk_score")), shown=shown_value(shown))
    withheld = _("withheld")
    return (
        heading + f"<figure>{drivers_svg(drivers, _withheld_words(prof))}<figcaption>"
        f"{_e(caption)} {_e(note)}</figcaption></figure>"
        + _table(
            [
                _("Measure"),
                _("Domain"),
                _("Share of the index"),
                _("Value (0–100)"),
                _("Points of risk"),
            ],
            [
                [
                    _e(d.label),
                    _e(d.domain),
                    format_percent(d.share, 1),
                    _e(shown_value(d.normalised, withheld, digits=0)),
                    _e(shown_value(d.contribution, withheld, digits=2)),
                ]
                for d in drivers.itertuples()
            ],
            {2, 3, 4},
        )
    )


def medians_section(prof: Profile) -> str:
    frame = prof.versus_median
    if frame.empty:
        return ""
    rows = [
        [
            _e(r.label),
            _e(shown_value(r.value, r.note or None, digits=2)),
            shown_value(r.median, digits=2),
            _e(r.comparison),
            _e(r.reads_as),
        ]
        for r in frame.itertuples()
    ]
    note = _p(_("City medians are of the published values."), "sub") if prof.public else ""
    return (
        _h2(_("Each measure against the city median"))
        + _table(
            [
                _("Measure"),
                _("Value"),
                _("City median"),
                _("Compared with the city"),
                _("Reads as"),
            ],
            rows,
            {1, 2},
        )
        + note
    )


def trend_section(prof: Profile) -> str:
    history = prof.history
    parts = [_h2(_("Trend over the years")), trend_svg(history) if len(history) else ""]
    if len(history) >= 2:
        risk, protective = _e(_("risk")), _e(_("protective"))
        parts.append(
            f'<p class="key"><span style="background:#b35806"></span>{risk}'
            f'<span style="background:#542788"></span>{protective}</p>'
        )
    rows = [
        [
            str(int(h.year)),
            shown_value(h.risk_score),
            _e(
                rank_text(
                    h.risk_rank, prof.ranked.get(int(h.year), 0), h.risk_rank_p05, h.risk_rank_p95
                )
            ),
            shown_value(h.protective_score),
            _e(TYPOLOGY_WORDS.get(str(h.typology), "–")),
            _e(h.methodology_version),
        ]
        for h in history.itertuples()
    ]
    parts.append(
        _table(
            [
                _("Year"),
                _("Risk"),
                _("Risk rank"),
                _("Protective"),
                _("Typology"),
                _("Methodology"),
            ],
            rows,
            {1, 3},
        )
    )
    trend = prof.trend
    for r in trend[~trend["comparable"].astype(bool) & trend["from_year"].notna()].itertuples():
        sentence = _("{start} → {end}: not comparable, because {reason}.").format(
            start=int(r.from_year), end=int(r.to_year), reason=r.reason
        )
        parts.append(f'<p class="warn">{_e(sentence)}</p>')
    return "".join(parts)


def survey_section(prof: Profile) -> str:
    parts = [_h2(_("Survey results"))]
    if prof.survey.empty and not prof.survey_hidden:
        return parts[0] + _p(_("No survey responses for this neighbourhood this year."))
    rows = [
        [
            _e(r.label),
            _e(_("everyone") if r.grp_var == "all" else f"{r.grp} ({group_words(r.grp_var)})"),
            _e(survey_value(r.estimate, r.unit)),
            _e(
                _("{low} – {high}").format(
                    low=survey_value(r.ci_low, r.unit), high=survey_value(r.ci_high, r.unit)
                )
            ),
            whole(r.n),
        ]
        for r in prof.survey.itertuples()
    ]
    parts.append(
        _table([_("Question"), _("Group"), _("Result"), _("95% interval"), _("n")], rows, {2, 4})
    )
    if prof.survey_hidden:
        min_sample = prof.methodology.min_sample if prof.methodology else 30
        text = ngettext(
            "{n} estimate withheld: its effective sample is under {sample}, too small "
            "to be reliable.",
            "{n} estimates withheld: their effective sample is under {sample}, too "
            "small to be reliable.",
            prof.survey_hidden,
        )
        parts.append(_p(text.format(n=whole(prof.survey_hidden), sample=whole(min_sample)), "sub"))
    return "".join(parts)


def community_section(prof: Profile) -> str:
    parts = [_h2(_("Consultation")), f"<p>{_e(prof.consultation_text)}</p>"]
    if prof.groups_not_heard:
        parts.append(
            "<p>"
            + _e(
                _("Groups not heard in the last 12 months: {groups}.").format(
                    groups=prof.groups_not_heard
                )
            )
            + "</p>"
        )
    parts.append(_h2(_("Mechanisms and partners serving it")))
    if prof.mechanisms.empty:
        parts.append(_p(_("No mechanisms or facilities registered here.")))
    else:
        parts.append(
            _table(
                [_("Mechanism"), _("Kind"), _("Themes")],
                [
                    [_e(m.name), _e(str(m.kind).replace("_", " ")), _e(listing(list(m.themes)))]
                    for m in prof.mechanisms.itertuples()
                ],
            )
        )
    if prof.partners.empty:
        parts.append(_p(_("No partners registered as serving it.")))
    else:
        parts.append(
            _table(
                [_("Partner"), _("Sector"), _("Themes")],
                [
                    [_e(p.name), _e(p.sector), _e(listing(list(p.themes)))]
                    for p in prof.partners.itertuples()
                ],
            )
        )
    return "".join(parts)


def stands_out_section(prof: Profile) -> str:
    """The risk measures for which the neighbourhood is in the city's top tenth."""
    heading = _h2(_("Where this neighbourhood stands out (top tenth of the city)"))
    if prof.row is None:
        return ""
    if not prof.stands_out:
        return heading + _p(_("Not among the top tenth of the city for any risk measure."))
    lead = ngettext(
        "Among the tenth of neighbourhoods with the highest value for {n} risk measure:",
        "Among the tenth of neighbourhoods with the highest values for {n} risk measures:",
        len(prof.stands_out),
    ).format(n=whole(len(prof.stands_out)))
    items = "".join(f"<li>{_e(label)}</li>" for label in prof.stands_out)
    return f"{heading}{_p(lead)}<ul>{items}</ul>"


def caveats_section(prof: Profile) -> str:
    """What to keep in mind: the row's caveats, then the methodology note."""
    items = list(prof.notes) or [_("None: every measure has a value and none is withheld.")]
    items.append(hotspot_method(prof.methodology))
    items.append(
        _(
            "The rank interval is the 5th–95th percentile of the rank over random "
            "changes of the weights: a wide interval means the rank depends on the "
            "weighting."
        )
    )
    if prof.methodology is not None:
        items.append(
            _(
                "Scores are relative to the other neighbourhoods of {year} (normalisation: "
                "{method}), not absolute levels."
            ).format(year=prof.year, method=prof.methodology.normalisation)
        )
    return _h2(_("Caveats")) + "<ul>" + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>"


def sources_section(city: CityData) -> str:
    sources = city.table("sources")
    heading = _h2(_("Sources"))
    if sources.empty:
        return heading + _p(_("No source catalogue in the store."))
    rows = [
        [
            _e(s.get("name")),
            _e(s.get("owner")),
            _e(s.get("licence")),
            _e(s.get("collected")),
            _e(s.get("known_biases")),
        ]
        for s in sources.to_dict("records")
    ]
    return heading + _table(
        [_("Source"), _("Owner"), _("Licence"), _("Collected"), _("Known biases")], rows
    )


def footer(prof: Profile, city: CityData) -> str:
    row = prof.row or {}
    now = datetime.now(UTC)
    mode = _("public view") if city.public else _("analyst view")
    text = _(
        "Methodology {version} (sha256 {digest}…) · {mode} · generated {when} by citygeo {release}"
    ).format(
        version=row.get("methodology_version"),
        digest=str(row.get("methodology_sha256"))[:12],
        mode=mode,
        when=f"{format_date(now.date(), 'short')} {now:%H:%M} UTC",
        release=__version__,
    )
    return f"<footer>{_e(text)}</footer>"
