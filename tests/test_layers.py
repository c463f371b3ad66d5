"""The layering of STYLE.md: a module imports only from its own layer or earlier ones."""

from __future__ import annotations

import ast
from pathlib import Path

import citygeo

PACKAGE = Path(citygeo.__file__).parent
LAYERS = {
    "errors": 0,
    "schema": 0,
    "settings": 0,
    "i18n": 0,
    "permutations": 0,  # what Local Moran's worker processes import: numpy only
    "config": 1,
    "scoring": 1,
    "rules": 1,
    "demo": 1,
    "geo": 1,
    "words": 1,
    "demo.files": 2,
    "demo.__init__": 2,
    "demo.__main__": 2,  # the demo's writer; what exposes it
    "store": 2,
    "ingest": 2,
    "service": 3,
    "outputs": 3,
    "cli": 4,
    "ui": 4,
    "__main__": 4,
    "__init__": 0,
}


def _layer(module: str) -> int:
    """The layer of the longest entry of LAYERS that is ``module`` or a dotted prefix of it."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in LAYERS:
            return LAYERS[".".join(parts[:end])]
    raise AssertionError(f"citygeo.{parts[0]} has no layer in tests/test_layers.py; add it")


def _imported(name: str) -> str:
    """An imported module as the file it runs: a package runs its ``__init__``."""
    package = PACKAGE / name.replace(".", "/") / "__init__.py"
    return f"{name}.__init__" if package.is_file() else name


def test_imports_respect_layers() -> None:
    problems = []
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        own = _layer(module)
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("citygeo.")
            ):
                names = [node.module.removeprefix("citygeo.")]
            elif isinstance(node, ast.Import):
                names = [
                    a.name.removeprefix("citygeo.")
                    for a in node.names
                    if a.name.startswith("citygeo.")
                ]
            for name in map(_imported, names):
                if _layer(name) > own:
                    problems.append(f"{module} (layer {own}) imports {name} (layer {_layer(name)})")
    assert not problems, problems


def test_only_store_imports_duckdb_and_only_ui_imports_streamlit() -> None:
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        imported = {
            a.name.split(".")[0]
            for n in ast.walk(tree)
            if isinstance(n, ast.Import)
            for a in n.names
        }
        imported |= {
            n.module.split(".")[0]
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and n.module
        }
        rel = path.relative_to(PACKAGE).as_posix()
        if "duckdb" in imported:
            assert rel.startswith("store/"), f"{rel} imports duckdb"
        if "streamlit" in imported:
            assert rel.startswith("ui/"), f"{rel} imports streamlit"
        if "pydeck" in imported:
            assert rel == "ui/maps.py", f"{rel} imports pydeck"


def test_the_service_never_reads_back_from_the_outputs() -> None:
    """outputs render what the service computed (same layer); the service never imports them,
    so the page and the printout cannot grow two versions of one fact again."""
    for path in (PACKAGE / "service").rglob("*.py"):
        tree = ast.parse(path.read_text())
        modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not {m for m in modules if m.startswith("citygeo.outputs")}, path


def test_no_module_is_over_500_lines() -> None:
    long = {
        path.relative_to(PACKAGE).as_posix(): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text().splitlines())) > 500
    }
    assert long == {}, long


def test_the_ingest_command_does_not_import_the_analysis_libraries() -> None:
    """`citygeo ingest` pays no import it does not use (benchmarks/README.md: tobler alone costs
    ~1 s of CPU on every ingest): tobler loads only when a table is apportioned, the scoring
    libraries only when scoring."""
    import subprocess
    import sys

    code = (
        "import sys, citygeo.cli\n"
        "from citygeo.ingest import ingest_city\n"
        "print(','.join(m for m in ('tobler', 'esda', 'libpysal') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_dashboard_pages_do_not_import_the_spatial_statistics() -> None:
    """A cold server's first page pays the imports: esda and libpysal (with scikit-learn, ~0.4 s)
    load only when hot spots or smoothing are computed, which the pages never do."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import citygeo.ui.cache, citygeo.ui.maps, citygeo.ui.components\n"
        "import citygeo.service.map, citygeo.service.profile, citygeo.service.compare\n"
        "import citygeo.service.review, citygeo.service.quality, citygeo.scoring\n"
        "print(','.join(m for m in ('tobler', 'esda', 'libpysal') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
