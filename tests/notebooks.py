"""Run a tutorial as a real Jupyter notebook (a helper module; it holds no tests).

A tutorial is a jupytext "percent" script whose one cell tagged ``parameters`` (papermill's
convention) holds every size the test suite shrinks. ``execute`` turns the script into a notebook,
inserts a cell tagged ``injected-parameters`` after that one (as papermill does), runs every cell
in a fresh ``python3`` kernel with nbclient, and returns the executed notebook with the values of
the expressions the test asked for, read from the kernel after the last cell::

    from notebooks import execute

    run = execute(TUTORIALS / "01_classification_hmc.py", tmp_path, {"DRAWS": 500},
                  values={"accuracy": "train_accuracy"})
    assert run.values["accuracy"] >= 0.95
    assert run.warnings() == []

Values travel by pickle, so ask for plain data (numbers, lists, dicts, arrays), not fitted
objects. A parameter the ``parameters`` cell does not assign is an error: the test can only
shrink what the student sees.
"""

from __future__ import annotations

import copy
import pickle
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jupytext
import nbformat

PARAMETERS, INJECTED = "parameters", "injected-parameters"
DISPLAY = ("display_data", "execute_result")


@dataclass
class Executed:
    """An executed notebook, the values asked for, and the wall time of its cells."""

    notebook: nbformat.NotebookNode
    values: dict[str, Any]
    seconds: float

    def outputs(self, kind: str | None = None) -> list[nbformat.NotebookNode]:
        """Every output of every code cell (of ``output_type`` ``kind`` if given), in order."""
        return [
            out
            for cell in self.notebook.cells
            if cell.cell_type == "code"
            for out in cell.get("outputs", [])
            if kind is None or out.output_type == kind
        ]

    def warnings(self) -> list[str]:
        """Lines a cell printed to stderr that name a warning (``...Warning:``), and any error."""
        lines = [
            line
            for out in self.outputs("stream")
            if out.name == "stderr"
            for line in out.text.splitlines()
            if re.search(r"\w*Warning\b", line)
        ]
        return lines + [f"{out.ename}: {out.evalue}" for out in self.outputs("error")]

    def plots(self) -> int:
        """How many outputs are holoviews plots: holoviews' exec mimetype beside a text form (the
        extension's own set-up output has the mimetype alone)."""
        return sum(
            {"application/vnd.holoviews_exec.v0+json", "text/plain"} <= set(out.get("data", {}))
            for out in self.outputs()
        )

    def progress_bars(self) -> int:
        """How many outputs are ipywidgets views (``tqdm.auto``'s progress bars in a kernel)."""
        return sum(
            "application/vnd.jupyter.widget-view+json" in out.get("data", {}) for out in self.outputs()
        )

    def html(self, path: Path) -> Path:
        """Write the notebook as one HTML file with nbconvert, with no links to MathJax,
        require.js or the widget manager on a CDN (bokeh and Panel are inlined by the notebook's
        own extension call; progress bars show as text)."""
        from nbconvert import HTMLExporter

        notebook = copy.deepcopy(self.notebook)
        # a finished progress bar needs no widget manager (nbconvert would link one from unpkg.com)
        notebook.metadata.pop("widgets", None)
        for cell in notebook.cells:  # Panel displays an empty handle per plot: nothing to convert
            if cell.cell_type == "code":
                cell.outputs = [out for out in cell.outputs if out.output_type not in DISPLAY or out.data]
        body, _ = HTMLExporter(mathjax_url="", require_js_url="").from_notebook_node(notebook)
        path.write_text(body, encoding="utf-8")
        return path


def parameters_cell(notebook: nbformat.NotebookNode) -> int:
    """The index of the one cell tagged ``parameters``."""
    found = [i for i, cell in enumerate(notebook.cells) if PARAMETERS in cell.metadata.get("tags", [])]
    assert len(found) == 1, f"want exactly one cell tagged {PARAMETERS!r}, found {len(found)}"
    return found[0]


def execute(
    source: Path,
    workdir: Path,
    parameters: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
    *,
    timeout: int = 600,
) -> Executed:
    """Execute the jupytext script ``source`` as a notebook in ``workdir`` (see the module doc)."""
    notebook = jupytext.read(source)
    at = parameters_cell(notebook)
    given = notebook.cells[at].source
    for name, value in (parameters or {}).items():
        assert re.search(rf"^{name}\s*=", given, re.M), f"{name} is not set in the parameters cell"
        assert isinstance(value, (bool, int, float, str, list, tuple)), f"{name}: {value!r} is not a literal"
    if parameters:
        code = "\n".join(f"{name} = {value!r}" for name, value in parameters.items())
        notebook.cells.insert(at + 1, nbformat.v4.new_code_cell(code, metadata={"tags": [INJECTED]}))
    out = workdir / "values.pickle"
    if values is not None:
        asked = ", ".join(f"{name!r}: {expr}" for name, expr in values.items())
        dump = f"import pickle as _p\nwith open({str(out)!r}, 'wb') as _f:\n    _p.dump({{{asked}}}, _f)"
        notebook.cells.append(nbformat.v4.new_code_cell(dump))
    from nbclient import NotebookClient

    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    got: dict[str, Any] = {}
    if values is not None:
        notebook.cells.pop()
        with out.open("rb") as file:
            got = pickle.load(file)  # noqa: S301 - written by the kernel just now
    return Executed(notebook, got, seconds)


PANEL_CSS = "https://cdn.holoviz.org/panel/"
"""Panel links its design stylesheets from its CDN in a notebook even when its JavaScript is
inlined (``panel.io.notebook.load_notebook``): offline they fail to load and the plots render
without them, so these are the only outside requests a tutorial's page may make."""


def check_offline_page(driver, executed: Executed, path: Path) -> list[dict]:
    """Write ``executed`` as HTML to ``path``, open it in the offline browser (``browser.chrome``)
    and check that every plot rendered and drew something, and that nothing but Panel's
    stylesheets was asked of the network; returns ``browser.plot_pixels``."""
    from browser import console_errors, open_page, plot_pixels, requests_made

    assert open_page(driver, executed.html(path), timeout=60, at_least=executed.plots()) >= executed.plots()
    outside = [url for url in requests_made(driver) if not url.startswith(("file:", "data:", "blob:"))]
    assert [url[:120] for url in outside if not url.startswith(PANEL_CSS)] == []
    assert [e for e in console_errors(driver) if not e.startswith(PANEL_CSS)] == []
    pixels = plot_pixels(driver)
    assert pixels and all(p["drawn"] > 0 for p in pixels), [p["drawn"] for p in pixels]
    return pixels
