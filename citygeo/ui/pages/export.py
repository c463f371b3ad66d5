"""Export (``/export``): the downloads of DESIGN.md §5, through the same writers as `citygeo
export`."""

from __future__ import annotations

import streamlit as st

from citygeo.errors import CitygeoError
from citygeo.i18n import N_, Words, _
from citygeo.service.city import score_years
from citygeo.ui import cache, components

FORMATS = Words(
    {
        "geojson": N_("GeoJSON (RFC 7946, WGS 84) — web maps, QGIS"),
        "gpkg": N_("GeoPackage — QGIS, ArcGIS"),
        "parquet": N_("GeoParquet — data pipelines, DuckDB, Python"),
        "csv": N_("CSV with label-point coordinates — spreadsheets"),
    }
)


def render() -> None:
    store, city = cache.open_city()
    cache.page_header(city, _("export"))
    if cache.empty_state(city):
        return
    years = score_years(city)
    cols = st.columns([1, 2])
    year = components.year_picker(years, cols[0])
    fmt = cols[1].selectbox(
        _("Format"), list(FORMATS), format_func=FORMATS.__getitem__, key="export_format"
    )
    mode = city.mode
    if mode == "public":
        st.write(
            _(
                "**Public file.** Values built on fewer events than the suppression threshold, "
                "and survey estimates from too small a sample, are empty, and a notes column "
                "(named 'flags' in the file) says why. No incident points and no partner "
                "contact details are included."
            )
        )
    else:
        st.warning(
            _(
                "**Analyst mode: this file contains sensitive data** (exact small counts). "
                "Keep it inside the city's secure systems."
            )
        )
    key = (str(store.path), store.version())
    try:
        payload, filename, _mime = cache.export_file(*key, fmt, year, mode)
    except CitygeoError as err:
        st.error(str(err))
        return
    shown = filename.removesuffix(".zip")
    st.write(
        _(
            "The download is a zip because it holds two files: the data, and beside it a small "
            "description file (its *.meta.json*) that says which methodology, sources and "
            "privacy rule made it. Keep them together when you pass the data on."
        )
    )
    label = _("Download {file} (with its description file, zipped)").format(file=shown)
    st.download_button(
        label, payload, file_name=filename, mime="application/zip", key="download", type="primary"
    )
    st.caption(
        _(
            "Columns: code, name, year, the methodology's version and fingerprint, risk and "
            "protective scores, ranks and tenths, typology, the likely range of the rank, hot "
            "spot, notes on withheld values, then one column per domain and measure. The "
            "description file records the methodology, the sources with their owners, "
            "licences and known biases, and the privacy rule. From the command line: "
            "`citygeo export --format gpkg --out FILE`."
        ),
        help=_(
            "For analysts: these columns, in this order, are the same in every export, so "
            "scripts can rely on them; the description file (.meta.json) travels with the "
            "data and also says how the notes and the geometry are stored in this format."
        ),
    )


render()
