"""A run folder's ``report.html``: one standalone page that opens offline in any browser.

The page shows the config, a diagnostics table that says in plain words what is wrong (if
anything), the metrics, and the plots that fit the task: predictive bands, the epistemic /
aleatoric split and an animation over draws for 1-D regression; decision surfaces, uncertainty
maps and the most probable draw for 2-D classification; calibration for both; the loss curve
(SVI) or the ESS and tempering path (SMC) with posterior densities; or, for chains (NUTS, HMC,
MCLMC, Langevin, ...), a table of every sampled site, a forest plot of the 20 values that mix
worst with their r-hat and bulk ESS, and the trace, density and rank plots of the worst four.
The chains' plots are arviz-plots' (``bnnppl.plots.forest``, ``trace_dist``, ``rank_ecdf``: bokeh
on the page, matplotlib for ``png=True``; arviz-plots is imported only for such runs); the rest,
the function-space pictures, are holoviews'. Bokeh's scripts are inlined, so no network is
needed. ``bnnppl report RUN`` rebuilds it from the files of the run folder. The tables are built
in ``bnnppl.runs.tables``, the page in ``bnnppl.runs.html``.
"""

from __future__ import annotations

import contextlib
import gc
import html
import re
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from bnnppl import datasets, plots
from bnnppl.plots._common import bokeh_only
from bnnppl.plots.arviz import FOREST_VALUES
from bnnppl.results.posterior import Posterior
from bnnppl.results.prediction import predict
from bnnppl.runs import tables
from bnnppl.runs.config import RunConfig, dump_config
from bnnppl.runs.html import save_html
from bnnppl.runs.layout import REPORT
from bnnppl.runs.reader import load_data, open_run, read_check, read_config, read_metrics, read_run

TRUTH = {
    "sine": lambda x: x * np.sin(5.0 * x),
    "langevin_curve": datasets.langevin_curve_function,
    "heteroscedastic": datasets.heteroscedastic_mean,
}
"""The noise-free function of the built-in regression data sets, drawn beside the predictive."""


_STYLE = """<style>
  .problem { background: #fde0dc; color: #8b0000; font-weight: bold; }
  .page { display: grid; grid-template-columns: 11rem minmax(0, 1fr); gap: 0 1.5rem; }
  nav.contents { position: sticky; top: 1rem; align-self: start; }
  nav.contents ol { padding-left: 1.3rem; margin: 0.3rem 0; line-height: 1.6; }
  nav.contents a { text-decoration: none; }
  .plots { display: flex; flex-wrap: wrap; gap: 1rem 1.5rem; align-items: flex-start; }
  .plots > div > * { max-width: 100%; overflow-x: auto; }  /* a plot wider than the screen scrolls */
  td:first-child, th:first-child, td:last-child, th:last-child { text-align: left; }  /* names, meanings */
  .header td, .header th { text-align: left; }
  pre { overflow-x: auto; }
  @media (max-width: 900px) {
    .page { grid-template-columns: minmax(0, 1fr); }
    nav.contents { position: static; }
  }
</style>"""
"""The page's layout: a contents sidebar beside the sections (above them on narrow screens), each
section's plots side by side where the width allows (a plot wider than the window scrolls
sideways in its own box); problems in red; the meaning column left-aligned."""


class _Arviz(NamedTuple):
    """A plot of the page drawn by arviz-plots: ``draw(backend=...)`` draws it (a
    ``PlotCollection``), with bokeh for the page and with matplotlib for its PNG, which is named
    ``<nn>-<kind>-<the first value it shows>.png``."""

    kind: str
    draw: Callable[..., Any]


@contextlib.contextmanager
def _gc_frozen() -> Iterator[None]:
    """The objects that exist on entry (the imported libraries: some 350 000) left out of garbage
    collection inside (``gc.freeze``): each full collection walked them all, half a second of a
    build in all. Objects made inside are collected as usual; on exit the frozen objects go back
    to the oldest generation (``gc.unfreeze``). Where something else froze objects before (a
    server before it forks), nothing is frozen here, and its frozen objects stay so."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@_gc_frozen()
def write_report(
    run_dir: Path | str, *, posterior: Posterior | None = None, name: str | None = None, png: bool = False
) -> Path:
    """Write ``report.html`` into the run folder ``run_dir`` (atomically) and return its path.

    ``png=True`` also saves every plot as ``plots/<nn>-<title>.png`` for slides (a HoloMap as
    its last frame; arviz-plots' plots drawn again by its matplotlib backend, named after their
    kind and the value that mixes worst: ``05-forest-sigma.png``, ``06-trace-sigma.png``, ...).
    ``posterior`` saves reloading it when the caller has it in memory, and
    ``name`` is the run's name when the folder is still being filled under a temporary one (both
    from ``bnnppl.runs.runner``).

    >>> write_report("runs/sine_nuts-20261123-182336", png=True)  # doctest: +SKIP
    PosixPath('runs/sine_nuts-20261123-182336/report.html')
    """
    run_dir = Path(run_dir)
    if posterior is None:
        config, posterior, data = open_run(run_dir)
    else:
        config, data = read_config(run_dir), load_data(run_dir)
    metrics, check = read_metrics(run_dir), read_check(run_dir)  # a damaged file: one line, nothing written
    name = name or run_dir.name
    sections: list[Any] = [tables.diagnostics_table(check, metrics), tables.metrics_table(metrics)]
    with contextlib.nullcontext() if png else bokeh_only():
        sections += _plots(config, posterior, data)
    sections += ["<h2>Config</h2>", f"<pre>{html.escape(dump_config(config))}</pre>"]
    sections = [_STYLE, tables.header(config, posterior, name, read_run(run_dir)), *_laid_out(sections)]
    if png:
        _save_pngs([s for s in sections if not isinstance(s, str)], run_dir / "plots")
    page = [s.draw(backend="bokeh").viz["figure"].item() if isinstance(s, _Arviz) else s for s in sections]
    return save_html(page, run_dir / REPORT, title=f"bnnppl run {name}")


def _save_pngs(figures: list[Any], folder: Path) -> None:
    """``<nn>-<title>.png`` of each plot in ``folder``, numbered in page order."""
    for i, figure in enumerate(figures, start=1):
        if not isinstance(figure, _Arviz):
            plots.save_png(figure, folder / f"{i:02d}-{_slug(_title(figure))}.png")
            continue
        import matplotlib.pyplot as plt

        collection = figure.draw(backend="matplotlib")
        try:
            first = next(iter(collection.data.data_vars))  # the value that mixes worst
            plots.save_png(collection, folder / f"{i:02d}-{_slug(f'{figure.kind}: {first}')}.png")
        finally:
            plt.close(collection.viz["figure"].item())


def _slug(title: str) -> str:
    """``title`` as a file name: lower case, runs of other characters as one ``-``.

    >>> _slug("Trace: net.Dense_0.kernel[0, 2]")
    'trace-net-dense-0-kernel-0-2'
    """
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "plot"


def _title(figure: Any) -> str:
    """A plot's title as set by ``bnnppl.plots`` (a layout, HoloMap: its first panel's)."""
    for obj in (figure, *getattr(figure, "values", lambda: [])()):
        try:
            text = obj.opts.get("plot", backend="bokeh").kwargs.get("title")
        except (AttributeError, ValueError):
            text = None
        if text:
            return str(text)
    return type(figure).__name__


def _laid_out(sections: list[Any]) -> list[Any]:
    """``sections`` (each ``<h2>`` string starting a section) as the page's layout: a contents
    sidebar of the headings, each section a ``<section id=...>`` whose plots wrap side by side.

    >>> page = _laid_out(["<h2>Metrics</h2><table></table>", "<h2>Config</h2>", "<pre></pre>"])
    >>> page[0].split("<li>")  # doctest: +NORMALIZE_WHITESPACE
    ['<div class="page"><nav class="contents"><b>Contents</b><ol>', '<a href="#metrics">Metrics</a></li>',
     '<a href="#config">Config</a></li></ol></nav><main>']
    >>> page[1:]  # doctest: +NORMALIZE_WHITESPACE
    ['<section id="metrics"><h2>Metrics</h2><table></table><div class="plots">',
     '</div></section><section id="config"><h2>Config</h2><div class="plots">', '<pre></pre>',
     '</div></section></main></div>']
    """
    out: list[Any] = []
    toc: list[tuple[str, str]] = []
    for item in sections:
        heading = re.match(r"<h2>(.*?)</h2>", item) if isinstance(item, str) else None
        if heading:
            anchor = re.sub(r"[^a-z0-9]+", "-", heading[1].lower()).strip("-")
            toc.append((anchor, heading[1]))
            close = "</div></section>" if len(toc) > 1 else ""
            out.append(f'{close}<section id="{anchor}">{item}<div class="plots">')
        else:
            out.append(item)
    links = "".join(f'<li><a href="#{anchor}">{title}</a></li>' for anchor, title in toc)
    nav = f'<div class="page"><nav class="contents"><b>Contents</b><ol>{links}</ol></nav><main>'
    return [nav, *out, "</div></section></main></div>"]


def _grid_1d(x: np.ndarray, *others: np.ndarray | None, points: int = 200) -> np.ndarray:
    values = np.concatenate([x[:, 0]] + [o[:, 0] for o in others if o is not None])
    low, high = values.min(), values.max()
    pad = 0.15 * (high - low)
    return np.linspace(low - pad, high + pad, points, dtype=np.float32)[:, None]


def _plots(config: RunConfig, posterior: Posterior, data: Any) -> list[Any]:
    x, y = data.x, data.y
    x_eval, y_eval = (x, y) if data.x_test is None else (data.x_test, data.y_test)
    width = x.shape[1]
    out: list[Any] = []
    if config.task == "regression" and width == 1:
        grid = predict(posterior, _grid_1d(x, data.x_test), seed=config.seed)
        out += ["<h2>Predictions</h2>", plots.regression(grid, x, y, truth=TRUTH.get(config.data.name))]
        out += [plots.uncertainty_split(grid, x, y)]
        out += ["<h2>Posterior draws</h2>", plots.draws_animation(posterior, x, y)]
    elif config.task == "classification" and width == 2:
        out += ["<h2>Predictions</h2>"]
        if posterior.bnn.likelihood.n_outputs > 2:  # K classes: where each class is, then how sure
            out += [plots.decision_surface(posterior, x, y, show="class")]
        out += [plots.decision_surface(posterior, x, y)]
        out += [plots.uncertainty_map(posterior, x, y, kind="entropy")]
        out += [plots.uncertainty_map(posterior, x, y, kind="mutual_information")]
        out += [plots.map_contour(posterior, x, y)]
        out += ["<h2>Posterior draws</h2>", plots.draws_animation(posterior, x, y)]
    elif config.task == "regression":  # more than one input: no curve to draw, so y against its prediction
        rows = "test rows" if data.x_test is not None else "training rows"
        pred = predict(posterior, x_eval, seed=config.seed)
        out += [f"<h2>Predictions ({rows})</h2>", plots.predicted_vs_observed(pred, y_eval)]
    split = "test" if data.x_test is not None else "training"
    out += [f"<h2>Calibration ({split} rows)</h2>", plots.calibration(predict(posterior, x_eval), y_eval)]
    out += ["<h2>Inference</h2>"]
    if "loss" in posterior.stats:
        out += [plots.loss(posterior)]
    elif "log_evidence" in posterior.stats:  # SMC: particles, not chains
        out += [plots.smc_history(posterior)]
    else:
        return out + _chain_plots(posterior)
    return [*out, plots.densities(posterior)]


def _chain_plots(posterior: Posterior) -> list[Any]:
    """Chains: every site in a table, a forest plot of the values that mix worst, then trace,
    density and rank plots of the worst four (no rank plot for one chain: it compares chains)."""
    rows = plots.worst_elements(posterior, sum(int(np.prod(v.shape[2:])) for v in posterior.samples.values()))
    worst = rows[:4]
    out = [tables.sites_table(posterior, rows)]
    out += [_Arviz("Forest", partial(plots.forest, posterior, worst=rows[:FOREST_VALUES]))]
    out += [_Arviz("Trace", partial(plots.trace_dist, posterior, worst=worst))]
    if posterior.num_chains > 1:
        out += [_Arviz("Rank", partial(plots.rank_ecdf, posterior, worst=worst))]
    return out
