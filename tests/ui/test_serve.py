"""``serve.py``, the dashboard for many officials at once: the same ``app.py``, with text held as
Python strings (pandas 3 holds it in Arrow by default, which the pages converted back on every
filter and lookup: issue 16)."""

from __future__ import annotations

import json
import subprocess
import sys

from citygeo.settings import REPO_ROOT

PROBE = """
import json
import pandas as pd
import serve
frame = pd.DataFrame({"nid": ["N001", "N002"]})
print(json.dumps({
    "option": pd.get_option("mode.string_storage"),
    "storage": getattr(frame["nid"].dtype, "storage", "object"),
    "columns": getattr(frame.columns.dtype, "storage", "object"),
    "app": type(serve.app).__module__,
}))
"""


def test_serve_py_holds_text_as_python_strings() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        check=False,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["option"] == "python"
    assert seen["storage"] in ("python", "object")  # pandas 3: "python"; pandas 2: object
    assert seen["columns"] in ("python", "object")
    assert seen["app"].startswith("streamlit")  # still Streamlit's own app, around app.py
