"""The ``citygeo`` command (DESIGN.md §4). Exit 0 on success, 2 on bad input, 1 on a bug."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from citygeo import __version__
from citygeo.errors import CitygeoError, InputError
from citygeo.ingest import IngestReport, ingest_city
from citygeo.settings import REPO_ROOT, STORE_ENV, Mode, resolve_store_path
from citygeo.store import Store

if TYPE_CHECKING:
    import pandas as pd

    from citygeo.service.status import StoreStatus

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="Map a city's neighbourhoods for the prevention of hate, extremism and polarisation.",
)
err_console = Console(stderr=True)
console = Console(soft_wrap=True)

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="The DuckDB store (default: $CITYGEO_STORE or ./citygeo.duckdb).",
        show_default=False,
    ),
]


@contextmanager
def _progress() -> Iterator[Callable[[int, int, str], None]]:
    """A progress bar on stderr that library code drives through ``progress(done, total,
    label)``."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=1)

        def update(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=label)

        yield update


def _print_report(report: IngestReport, store: Store) -> None:
    console.print(f"[bold]{report.city}[/bold] → {store.path}")
    for table, n in report.counts.items():
        if n:
            console.print(f"  {table:<18} {n:>10,}")
    for entry in report.points:
        console.print(
            f"  {entry['kind']} in {entry['file']}: {entry['assigned']:,} assigned, "
            f"{entry['outside']:,} outside every neighbourhood"
        )
    if report.warnings:
        console.print(f"[yellow]{len(report.warnings)} warnings:[/yellow]")
        for warning in report.warnings:
            console.print(f"  - {warning}", markup=False, highlight=False)


@app.command()
def demo(store: StoreOption = None) -> None:
    """Build the store from the bundled fictional demo city (Port Averlane)."""
    # scoring libraries load only when needed
    from citygeo.service.demo import build_demo, demo_deliveries

    target = Store(resolve_store_path(store))
    with _progress() as progress:
        reports = build_demo(target, progress=progress)
    for path, report in zip(demo_deliveries(), reports, strict=True):
        console.print(f"[bold]delivery {path.name}[/bold]")
        _print_report(report, target)


_INGEST_HELP = (
    "Validate and load every source of a city (all or nothing).\n\n"
    "The files add to the store's history: a source's rows are replaced only for the years its "
    "new files hold, every other year stays (the annual update). Use --rebuild to start from "
    "scratch, and `citygeo remove --source S --year Y` to withdraw one source-year."
)
_REMOVE_HELP = (
    "Remove one source's data of one year on purpose (a withdrawn file; all or nothing).\n\n"
    "Every other source and year stays. Scores already made for that year are kept until the "
    "year is scored again (`citygeo score --year Y`)."
)


@app.command(help=_INGEST_HELP)
def ingest(
    config: Annotated[Path, typer.Argument(help="The city's TOML config.")],
    store: StoreOption = None,
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild",
            help="Rebuild the city from scratch: drop everything the store "
            "holds (every year, every score) and load only these files.",
        ),
    ] = False,
) -> None:
    """Validate and load every source of a city (all or nothing); see ``_INGEST_HELP``."""
    target = Store(resolve_store_path(store))
    with _progress() as progress:
        report = ingest_city(config, target, progress=progress, rebuild=rebuild)
    _print_report(report, target)


@app.command(help=_REMOVE_HELP)
def remove(
    source: Annotated[
        str,
        typer.Option(
            help="The source id (as in [sources.ID], or "
            "the section name for a section without "
            "a source)."
        ),
    ],
    year: Annotated[int, typer.Option(help="The year to remove.")],
    store: StoreOption = None,
) -> None:
    """Remove one source-year on purpose; see ``_REMOVE_HELP``."""
    from citygeo.ingest.history import remove_source_year

    target = Store(resolve_store_path(store))
    if not target.exists():
        raise CitygeoError(
            f"There is no store at {target.path}; run `citygeo ingest CITY.toml` first."
        )
    with target.writer() as con:
        removed = remove_source_year(con, source, year)
    rows = ", ".join(f"{n:,} from {t}" for t, n in removed.rows.items())
    console.print(f"removed {source} {year}: {rows} → {target.path}", markup=False)


@app.command()
def score(
    store: StoreOption = None,
    methodology: Annotated[
        Path | None,
        typer.Option(help="Methodology TOML (default: the one named in the city config)."),
    ] = None,
    year: Annotated[
        list[int] | None,
        typer.Option(help="Score only this year (repeatable; default: every year with data)."),
    ] = None,
    draws: Annotated[int, typer.Option(help="Monte Carlo draws for rank intervals.")] = 1000,
    note: Annotated[str | None, typer.Option(help="Why this version (stored with it).")] = None,
) -> None:
    """Score every neighbourhood and year with a methodology; writes the scores table."""
    from citygeo.service.scoring import score_store

    target = Store(resolve_store_path(store))
    if not target.exists():
        raise CitygeoError(
            f"There is no store at {target.path}; run `citygeo ingest CITY.toml` first."
        )
    with _progress() as progress:
        scores = score_store(
            target, methodology, year or None, draws=draws, note=note, progress=progress
        )
    main_rows = scores[scores["grp"] == "all"]
    console.print(
        f"scored {main_rows['nid'].nunique()} neighbourhoods × "
        f"{main_rows['year'].nunique()} years with methodology "
        f"{main_rows['methodology_version'].iloc[0]} "
        f"(sha256 {main_rows['methodology_sha256'].iloc[0][:12]}…) → {target.path}"
    )
    latest = main_rows[main_rows["year"] == main_rows["year"].max()]
    if latest["risk_rank"].isna().all():  # a protective-only methodology
        console.print("  risk not scored (the methodology has no risk domain); most protected:")
        for row in latest.nsmallest(5, "protective_rank").itertuples():
            console.print(
                f"  #{int(row.protective_rank):<3} {row.name} ({row.nid}): protective "
                f"{row.protective_score:.0f}/100",
                markup=False,
            )
        return
    for row in latest.dropna(subset=["risk_rank"]).nsmallest(5, "risk_rank").itertuples():
        console.print(
            f"  #{int(row.risk_rank):<3} {row.name} ({row.nid}): risk {row.risk_score:.0f}/100, "
            f"likely rank {int(row.risk_rank_p05)}–{int(row.risk_rank_p95)}",
            markup=False,
        )


@app.command()
def status(
    store: StoreOption = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Date to judge freshness on (YYYY-MM-DD; default: today)."),
    ] = None,
) -> None:
    """What the store holds, what is scored, and which sources are overdue for review."""
    from citygeo.service.status import store_status

    target = Store(resolve_store_path(store))
    if not target.exists():
        raise CitygeoError(
            f"There is no store at {target.path}; run `citygeo ingest CITY.toml` first."
        )
    try:
        day = date.fromisoformat(as_of) if as_of else date.today()
    except ValueError as err:
        raise CitygeoError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD).") from err
    info = store_status(target, day)
    fictional = " (a fictional demo city: all data synthetic)" if info.settings.fictional else ""
    console.print(f"{info.settings.name or '?'}{fictional} — {target.path}", markup=False)
    for table, n in info.counts.items():
        console.print(f"  {table:<18} {n:>10,}")
    console.print(f"  indicator years: {', '.join(map(str, info.indicator_years)) or 'none'}")
    _print_history(info)
    if info.last_ingest is not None:
        console.print(
            f"  last ingest {info.last_ingest:%Y-%m-%d %H:%M} UTC, "
            f"{info.last_ingest_warnings} warnings"
        )
    _print_freshness(info.freshness, day)


def _print_history(info: StoreStatus) -> None:
    """Every year held (by source) and every year scored (by methodology)."""
    console.print("  years held, by source:")
    for source, tables in info.held.items():
        text = "; ".join(f"{t} {', '.join(map(str, ys))}" for t, ys in tables.items())
        console.print(f"    {source:<16} {text}", markup=False)
    if not info.held:
        console.print("    none", markup=False)
    for row in info.vintages.itertuples():
        console.print(
            f"  boundaries {row.vintage} from {row.first_year}: {row.neighbourhoods} "
            f"neighbourhoods ({row.file or 'file not recorded'})",
            markup=False,
        )
    if info.scored_all.empty:
        console.print("  not scored yet: run `citygeo score`", markup=False)
        return
    console.print("  years scored, by methodology:")
    for (version, sha), part in info.scored_all.groupby(
        ["version", "methodology_sha256"], sort=False
    ):
        years = ", ".join(
            f"{y}{'' if c else ' (superseded)'}"
            for y, c in zip(part["year"], part["current"], strict=True)
        )
        console.print(f"    {version} (sha256 {sha[:12]}…): {years}", markup=False)


def _print_freshness(freshness: pd.DataFrame, day: date) -> None:
    overdue = freshness[freshness["overdue"]] if not freshness.empty else freshness
    if overdue.empty:
        console.print(f"All sources are within their refresh cycle as of {day}.")
        return
    console.print(
        f"{len(overdue)} sources are overdue for review as of {day}: "
        "this mapping is due for its review.",
        markup=False,
    )
    for row in overdue.itertuples():
        console.print(
            f"  - {row.name} ({row.source_id}): collected {row.collected}, refresh "
            f"{row.refresh}, due {row.due}, {row.days_overdue} days overdue",
            markup=False,
        )


@app.command("app")
def run_app(
    store: StoreOption = None,
    port: Annotated[int, typer.Option(help="Port to serve the dashboard on.")] = 8501,
) -> None:
    """Open the dashboard on a store."""
    script = REPO_ROOT / "app.py"
    if not script.is_file():
        raise CitygeoError(
            f"The dashboard script {script} is missing; run from a clone of the "
            "repository (pip install -e .)."
        )
    env = dict(os.environ)
    if store:
        env[STORE_ENV] = str(Path(store).resolve())
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port)]
    raise typer.Exit(subprocess.call(cmd, env=env, cwd=REPO_ROOT))


@app.command()
def version() -> None:
    """Print citygeo's version."""
    console.print(__version__)


# -- exports and printable profiles (issue 5) -------------------------------------------
@app.command()
def export(
    fmt: Annotated[str, typer.Option("--format", help="geojson, gpkg, parquet or csv.")],
    out: Annotated[
        Path | None,
        typer.Option(
            help="File to write, used exactly as given. Default: "
            "<city>-<year|all-years>[-incidents][.analyst].<ext> in the current folder.",
            show_default=False,
        ),
    ] = None,
    store: StoreOption = None,
    year: Annotated[int | None, typer.Option(help="One scored year (default: every year).")] = None,
    public: Annotated[
        bool,
        typer.Option(
            "--public/--analyst",
            help="Public (default) withholds small counts and never "
            "writes incident points; analyst writes everything and marks the file sensitive.",
        ),
    ] = True,
    force: Annotated[bool, typer.Option(help="Replace an existing file and its sidecar.")] = False,
    layer: Annotated[
        str, typer.Option(help="scores, or incidents (analyst mode only).")
    ] = "scores",
) -> None:
    """Export scores (or, analyst only, incident points) with a <file>.meta.json sidecar."""
    from citygeo.outputs.export import write_export
    from citygeo.outputs.formats import default_export_name, get_writer, sidecar_path
    from citygeo.service.city import settings

    mode = Mode.PUBLIC if public else Mode.ANALYST
    writer = get_writer(fmt)
    target = Store(resolve_store_path(store))
    if out is None:
        out = Path(
            default_export_name(
                settings(target).name or "city", writer.name, year=year, mode=mode, layer=layer
            )
        )
    with _progress() as progress:
        path = write_export(
            target,
            writer.name,
            out,
            year=year,
            mode=mode,
            layer=layer,
            force=force,
            progress=progress,
        )
    console.print(f"wrote {path} and {sidecar_path(path).name} ({mode.value} mode)", markup=False)
    if mode is Mode.ANALYST:
        err_console.print(
            f"warning: {path} contains sensitive data (analyst mode); do not "
            "publish or share it outside the analyst team.",
            markup=False,
        )


@app.command()
def report(
    nid: Annotated[str, typer.Option(help="The neighbourhood's code.")],
    out: Annotated[Path, typer.Option(help="The HTML file to write.")],
    store: StoreOption = None,
    year: Annotated[int | None, typer.Option(help="Scored year (default: the latest).")] = None,
    pdf: Annotated[
        bool,
        typer.Option(
            help="Also print it to <out>.pdf with Chromium (needs /usr/bin/chromium and "
            "playwright)."
        ),
    ] = False,
    force: Annotated[bool, typer.Option(help="Replace existing files.")] = False,
    lang: Annotated[
        str | None,
        typer.Option(help="Language: en, fr or ar (default: the city's [city] language)."),
    ] = None,
) -> None:
    """Write a printable, self-contained HTML profile of one neighbourhood (A4)."""
    from citygeo.i18n import LANGUAGES
    from citygeo.outputs.report import print_to_pdf, render_profile_html, write_text_atomic

    if lang is not None and lang not in LANGUAGES:
        raise InputError(
            f"--lang {lang!r} is not a language citygeo speaks; use one of {', '.join(LANGUAGES)}."
        )
    target = Store(resolve_store_path(store))
    page = render_profile_html(target, nid, year=year, lang=lang)
    pdf_path = out.with_suffix(".pdf")
    if pdf and pdf_path.exists() and not force:
        raise CitygeoError(f"{pdf_path} already exists; pass --force to replace it.")
    write_text_atomic(out, page, force=force)
    console.print(f"wrote {out}", markup=False)
    if pdf:
        print_to_pdf(page, pdf_path, force=force)
        console.print(f"wrote {pdf_path}", markup=False)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one message and exit code 2; bugs keep their traceback."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app(args=argv, prog_name="citygeo")
    except CitygeoError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
