"""Small shared pieces of the pages: shareable selectors, colours + legend, labelled tables."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import streamlit as st

from citygeo.geo.classify import SCHEME_LABELS, TYPOLOGY_COLOURS, classify, palette
from citygeo.i18n import N_, Words, _, format_number, isolate, ngettext
from citygeo.scoring import Methodology
from citygeo.ui.maps import colour_hex, fill_colours, legend_rows
from citygeo.words import TYPOLOGY_WORDS, listing

PALETTE_WORDS = Words(
    {
        "OrRd": N_("ColorBrewer OrRd, sequential"),
        "YlGnBu": N_("ColorBrewer YlGnBu, sequential"),
        "Purples": N_("ColorBrewer Purples, sequential"),
        "PuOr": N_("ColorBrewer PuOr, diverging"),
    }
)  # the technical names, on hover (ⓘ)
PALETTE_PLAIN = Words(
    {
        "OrRd": N_("light to dark orange: low to high risk"),
        "YlGnBu": N_("light yellow to dark blue: low to high protection"),
        "Purples": N_("light to dark purple: low to high value"),
        "PuOr": N_("orange to purple, white in the middle"),
    }
)
SCHEME_CHOICES = Words(
    {
        "quantiles": N_("Same number of neighbourhoods in each group"),
        "fisher_jenks": N_("Groups split where the values jump"),
        "equal_interval": N_("Groups of equal width"),
    }
)  # the map's class picker; SCHEME_LABELS (the technical names) are its help


class LegendWords(NamedTuple):
    """A legend's plain sentence (shown) and its technical name (on hover, for analysts)."""

    plain: str
    technical: str


def scheme_help() -> str:
    """The help of the class picker: the technical names of its choices."""
    return _("How the values are cut into colour groups. Technical names: {names}.").format(
        names=listing([SCHEME_LABELS[s] for s in SCHEME_LABELS])
    )


def _groups(scheme: str, n: int) -> str:
    """ "5 groups with the same number of neighbourhoods"."""
    if scheme == "quantiles":
        text = ngettext(
            "{n} group with the same number of neighbourhoods",
            "{n} groups with the same number of neighbourhoods",
            n,
        )
    elif scheme == "fisher_jenks":
        text = ngettext(
            "{n} group split where the values jump", "{n} groups split where the values jump", n
        )
    else:
        text = ngettext("{n} group of equal width", "{n} groups of equal width", n)
    return text.format(n=format_number(n, 0))


def md(text: object) -> str:
    """User text made safe for Streamlit markdown (shown literally, never as markup)."""
    out = str(text)
    for ch in "\\`*_{}[]<>()#+-.!|~$":
        out = out.replace(ch, "\\" + ch)
    return out


def year_picker(years: Sequence[int], where: Any = st, key: str = "year") -> int | None:
    """A year selectbox that starts from ``?year=`` and writes it back (shareable link)."""
    if not years:
        return None
    wanted = st.query_params.get("year")
    index = (
        list(years).index(int(wanted))
        if wanted and wanted.isdigit() and int(wanted) in years
        else 0
    )
    year = where.selectbox(_("Year"), list(years), index=index, key=key)
    st.query_params["year"] = str(year)
    return int(year)


def palette_for(column: str, methodology: Methodology | None) -> str:
    """Sequential ColorBrewer palette: oranges-reds for risk, yellow-green-blue for protection."""
    if column == "protective_score":
        return "YlGnBu"
    if column.startswith("raw__"):
        return "Purples"
    if column.startswith("domain__") and methodology is not None:
        domain = next((d for d in methodology.domains if f"domain__{d.id}" == column), None)
        return "YlGnBu" if domain is not None and domain.index == "protective" else "OrRd"
    if column.startswith("measure__") and methodology is not None:
        measure = next((m for m in methodology.measures if f"measure__{m.id}" == column), None)
        if measure is not None and methodology.domain(measure.domain).index == "protective":
            return "YlGnBu"
    return "OrRd"


def colours_for(
    values: pd.Series, column: str, scheme: str, methodology: Methodology | None, k: int = 5
) -> tuple[list[list[int]], list[tuple[str, str]], LegendWords]:
    """Fill colour per value, legend rows (hex, text), and the legend's words."""
    if column == "typology":
        fills = [
            [*TYPOLOGY_COLOURS[v], 230] if v in TYPOLOGY_COLOURS else [200, 200, 200, 140]
            for v in values
        ]
        rows = [(colour_hex(c), TYPOLOGY_WORDS[t]) for t, c in TYPOLOGY_COLOURS.items()]
        if any(v not in TYPOLOGY_COLOURS for v in values):
            rows.append(("#c8c8c8", _("no index")))
        return fills, rows, categories()
    classes = classify(pd.to_numeric(values, errors="coerce").to_numpy(dtype=float), scheme, k)
    name = palette_for(column, methodology)
    colours = palette(name, max(len(classes.bins), 1))
    fmt = "{:,.0f}" if np.nanmax(np.abs(np.append(classes.bins, 0))) >= 100 else "{:,.1f}"
    plain = _("{groups}; {colours}; colours chosen to be read by colour-blind people").format(
        groups=_groups(scheme, len(classes.bins)), colours=PALETTE_PLAIN[name]
    )
    return (
        fill_colours(classes, colours),
        legend_rows(classes, colours, fmt),
        LegendWords(
            plain,
            _("{scheme}, {palette} (colour-blind safe)").format(
                scheme=SCHEME_LABELS[scheme], palette=PALETTE_WORDS[name]
            ),
        ),
    )


def categories() -> LegendWords:
    """The typology legend's words: one colour per type (ColorBrewer Dark2 on hover)."""
    return LegendWords(
        _("one colour per type"), _("categories, ColorBrewer Dark2 (colour-blind safe)")
    )


def legend(title: str, rows: list[tuple[str, str]], words: LegendWords, extra: str = "") -> None:
    """A legend in plain HTML (every label escaped): plain words, the technical ones on hover
    (ⓘ)."""
    swatches = "".join(
        f'<span style="display:inline-flex;align-items:center;margin:2px 14px 2px 0">'
        f'<span style="width:20px;height:13px;background:{c};border:1px solid #555;'
        f'display:inline-block;margin-right:6px"></span>{html.escape(text)}</span>'
        for c, text in rows
    )
    st.markdown(
        f'<div style="line-height:1.9"><b>{html.escape(title)}</b> — {html.escape(words.plain)} '
        f'<abbr title="{html.escape(words.technical, quote=True)}" style="cursor:help">ⓘ</abbr>'
        f"<br>{swatches}{extra}</div>",
        unsafe_allow_html=True,
    )


def labelled(frame: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """The frame with plain-word column names."""
    return frame.rename(
        columns={c: labels.get(c, c.replace("_", " ").capitalize()) for c in frame.columns}
    )


def neighbourhood_picker(
    hoods: pd.DataFrame,
    store_key: tuple[str, tuple[int, int]],
    where: Any = st,
    *,
    key: str,
    current: str | None = None,
    label: str | None = None,
) -> str | None:
    """A searchable selectbox of every neighbourhood, shown as "Name (code)"; the code picked, or
    None.

    ``store_key`` is the store's ``(path, version)`` that ``hoods`` were read from. Streamlit's
    selectbox filters its options as the person types, so a name or a code both find it.
    """
    options, labels = _picker_options(*store_key, hoods)
    index = options.index(current) if current in labels else 0
    label = label or _("Find a neighbourhood (type a name or code)")
    labels = {**labels, "": _("Type a name or a code…")}  # "" = nothing picked yet
    picked = where.selectbox(label, options, index=index, key=key, format_func=labels.__getitem__)
    return str(picked) if picked else None


@st.cache_resource(show_spinner=False, max_entries=8)
def _picker_options(
    path: str, version: tuple[int, int], _hoods: pd.DataFrame
) -> tuple[tuple[str, ...], Mapping[str, str]]:
    """The picker's codes ("" first, then by name) and their "Name (code)" labels: built once per
    city version, not on every page of every official (5,000 names sorted and formatted each
    time). Keyed by the store's path and version, not by the frame (hashing 5,000 rows on every
    page cost more than building them), and kept read-only (a tuple and a mapping proxy), so no
    page copies them."""
    hoods = _hoods
    names = dict(
        zip(hoods["nid"].astype(str), hoods["name"].fillna(hoods["nid"]).astype(str), strict=True)
    )
    options = ("", *sorted(names, key=lambda n: (names[n].casefold(), n)))
    return options, MappingProxyType({n: f"{names[n]} ({n})" for n in names})


def static_table(frame: pd.DataFrame) -> None:
    """A table drawn whole (no inner scroll box, wraps on a laptop screen, prints every row and
    column)."""
    st.table(frame.map(_cell), hide_index=True)


def _cell(value: object) -> str:
    """A table cell as text: empty cells blank (never "None"), numbers without float noise."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float | np.floating):
        return format_number(float(value), 0 if float(value).is_integer() else 1)
    return isolate(value)  # an English name keeps its parentheses in an Arabic table


def url_select(
    label: str,
    options: Sequence[str],
    where: Any = st,
    *,
    key: str,
    param: str,
    default: str | None = None,
    **kwargs: object,
) -> str:
    """A selectbox that starts from ``?param=`` and writes the choice back (a shared link keeps
    it)."""
    options = list(options)
    wanted = st.query_params.get(param, default)
    # a value already in the session (set by the person, or by code before the widget) wins over
    # the link
    index = options.index(wanted) if wanted in options and key not in st.session_state else 0
    chosen = where.selectbox(label, options, index=index, key=key, **kwargs)
    if chosen == (default if default in options else options[0]):
        st.query_params.pop(param, None)
    else:
        st.query_params[param] = str(chosen)
    return str(chosen)


def url_checkbox(
    label: str, where: Any = st, *, key: str, param: str, default: bool = False, **kwargs: object
) -> bool:
    """A checkbox kept in ``?param=1`` / ``?param=0`` (only when it differs from the default)."""
    wanted = st.query_params.get(param)
    value = default if wanted not in ("0", "1") else wanted == "1"
    on = bool(where.checkbox(label, value=value, key=key, **kwargs))
    if on == default:
        st.query_params.pop(param, None)
    else:
        st.query_params[param] = "1" if on else "0"
    return on
