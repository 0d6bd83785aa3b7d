"""Chain diagnostics drawn by arviz-plots: ``forest``, ``trace_dist``, ``rank_ecdf``.

Each picks the values of all sampled sites that mix worst (``worst_elements``: largest r-hat,
then smallest bulk ESS), makes each one a variable of its own named as the other plots name it
(``net.Dense_0.kernel[0, 2]``, ``sigma``) and draws them with arviz-plots, returning its
``PlotCollection``: ``backend="bokeh"`` for a page (``pc.viz["figure"].item()`` is the bokeh
layout, ``bnnppl.runs.html.save_html`` takes it), ``backend="matplotlib"`` for a PNG
(``save_png`` takes the collection). Titles and axis limits are set the same way in both.

arviz-plots (and with it scipy.stats and matplotlib.pyplot, about 1.4 s) is imported on the first
call, not with this module.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

import numpy as np

from bnnppl._checks import check_choice, check_count
from bnnppl.plots._common import _check_posterior
from bnnppl.plots.diagnostics import _elements, worst_elements

if TYPE_CHECKING:
    import xarray as xr
    from arviz_plots import PlotCollection

    from bnnppl.results.posterior import Posterior

BACKENDS = ("bokeh", "matplotlib")
"""The arviz-plots backends these builders draw with: bokeh for pages, matplotlib for PNGs."""
FOREST_VALUES = 20
"""How many values ``forest`` shows by default."""
_WIDTHS = {"labels": 215, "forest": 395, "r_hat": 140, "ess": 140}  # bokeh: forest columns, px


def forest(
    posterior: Posterior, *, worst: int | list = FOREST_VALUES, backend: str = "bokeh"
) -> PlotCollection:
    """A forest plot of the ``worst`` values that mix worst (default 20), worst at the top: the
    mean and the 50 % and 89 % equal-tailed intervals of the draws of all chains (arviz-plots'
    ``plot_forest``, ``combined=True``), then two columns with each value's r-hat and bulk ESS
    (the numbers of ``worst_elements``; no r-hat for one chain) and dashed lines at the limits
    1.01 and 400 (``bnnppl.results.advice``). Chains are pooled: the columns say where they
    disagree, ``trace_dist`` and ``rank_ecdf`` show how (a forest per chain would cost a bokeh
    glyph per value and chain: 480 for 20 values of 8 chains).

    ``worst``: a number of values, or the rows of one ``worst_elements`` call. Returns
    arviz-plots' ``PlotCollection`` (see the module docstring for ``backend``), whose ``data``
    has the values as variables, top to bottom.

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import sine_regression
    >>> x, y = sine_regression(n=20)
    >>> post = bp.fit(bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(2,)))), x, y, bp.SVI(steps=20, draws=8))
    >>> pc = forest(post, worst=3)
    >>> len(pc.data.data_vars), pc.viz["plot"].column.values.tolist()
    (3, ['labels', 'forest', 'r_hat', 'ess'])
    """
    from bnnppl.results.advice import ESS_LIMIT, RHAT_LIMIT  # the package (JAX) is loaded by then

    backend = check_choice("backend", backend, BACKENDS, "arviz-plots backend")
    posterior = _check_posterior(posterior)
    rows = _rows(posterior, worst)
    azp, draw = _arviz_plots(backend)
    data = _tree(posterior, rows)["posterior"].to_dataset()
    pc = azp.plot_forest(
        data.expand_dims(column=4).assign_coords(column=list(_WIDTHS)),
        combined=True,
        labels=[],  # drawn below, as one glyph
        backend=backend,
        figure_kwargs={} if backend == "bokeh" else {"width_ratios": [2.2, 3, 1.1, 1.1]},
        visuals={"ticklabels": False},
    )
    names = list(data.data_vars)
    y = np.array([float(pc.get_aes_as_dataset("y")[name]) for name in names])
    _labels(draw, pc.get_target(None, {"column": "labels"}), names, y, backend)
    for column, index, line, low in (("r_hat", 2, RHAT_LIMIT, 1.0), ("ess", 3, ESS_LIMIT, 0.0)):
        x = np.array([row[index] for row in rows], dtype=float)
        target = pc.get_target(None, {"column": column})
        shown = np.isfinite(x)  # one chain: no r-hat
        draw.scatter(x[shown], y[shown], target, color="B1")
        draw.vline(line, target, color="B2", linestyle="C1")
        draw.xlim(_span([low, line, *x[shown]]), target)
    titles = {
        "labels": f"{len(rows)} values, worst first",
        "forest": "mean, 50 % and 89 % intervals (chains pooled)",
        "r_hat": "r-hat (n/a: one chain)" if posterior.num_chains == 1 else "r-hat",
        "ess": "bulk ESS",
    }
    for column, text in titles.items():
        draw.title(text, pc.get_target(None, {"column": column}))
    if backend == "bokeh":  # arviz-plots 1.3 gives each bokeh column the width ratio of the one before
        for column, width in _WIDTHS.items():
            pc.get_target(None, {"column": column}).width = width
    return pc


def _labels(draw: Any, target: Any, names: list[str], y: np.ndarray, backend: str) -> None:
    """The values' names at heights ``y``, left-aligned: in bokeh one text glyph for all (a glyph
    per name, as arviz-plots draws them, costs about as much as drawing the intervals)."""
    draw.xlim((-0.02, 1.0), target)
    draw.remove_axis(target, axis="x")
    if backend == "bokeh":
        draw.text(np.zeros(len(names)), y, np.array(names), target, size=13, horizontal_align="left")
        target.xgrid.visible = False
    else:
        for name, height in zip(names, y, strict=True):
            draw.text(0.0, height, name, target, horizontal_align="left")


def _rows(posterior: Posterior, worst: Any) -> list[tuple[str, int, float, float]]:
    """The rows of ``worst_elements`` that ``worst`` names (a count or the rows themselves)."""
    if isinstance(worst, list):
        _elements(posterior, None, None, worst)  # checks them, with its message
        return worst
    return worst_elements(posterior, check_count("worst", worst))


def _tree(posterior: Posterior, rows: list) -> xr.DataTree:
    """The ``posterior`` group of ``Posterior.to_arviz`` cut to the values of ``rows``, each value
    a variable ``(chain, draw)`` named by its label, in the order of ``rows``; and
    ``sample_stats.diverging`` where the sampler records it (trace plots mark divergences)."""
    import xarray as xr

    coords = {"chain": np.arange(posterior.num_chains), "draw": np.arange(posterior.num_draws)}
    values = {label: (("chain", "draw"), draws) for label, draws in _elements(posterior, None, None, rows)}
    groups = {"posterior": xr.Dataset(values, coords=coords)}
    if "diverging" in posterior.stats:
        diverging = np.asarray(posterior.stats["diverging"], dtype=bool)
        groups["sample_stats"] = xr.Dataset({"diverging": (("chain", "draw"), diverging)}, coords=coords)
    return xr.DataTree.from_dict(groups)


def _span(values: list[float]) -> tuple[float, float]:
    """Axis limits holding every finite one of ``values``, with a margin."""
    finite = [v for v in values if np.isfinite(v)]
    low, high = min(finite), max(finite)
    pad = 0.08 * (high - low) or 0.01
    return low - pad, high + pad


def _legend(pc: PlotCollection, backend: str) -> None:
    """The chains' colours: in bokeh one translucent row inside the top right plot (arviz-plots'
    default hangs it past the figure's right edge, which the page would scroll to), in matplotlib
    outside the plots, top right."""
    inside = {
        "side": "center",
        "location": "top_right",
        "orientation": "horizontal",
        "background_fill_alpha": 0.6,
    }
    pc.add_legend("chain", **(inside if backend == "bokeh" else {}))


def _figure(backend: str, size: tuple[int, int]) -> dict[str, Any]:
    """arviz-plots' ``figure_kwargs``: ``size`` in pixels (inches x 100 in matplotlib), and in
    matplotlib a constrained layout, so that titles clear the tick labels above them."""
    return {"figsize": size, "figsize_units": "dots"} | (
        {"layout": "constrained"} if backend == "matplotlib" else {}
    )


def _arviz_plots(backend: str) -> tuple[Any, Any]:
    """arviz-plots and its ``backend`` module (titles, lines, limits), imported on first use."""
    import arviz_plots

    return arviz_plots, import_module(f"arviz_plots.backend.{backend}")


def trace_dist(posterior: Posterior, *, worst: int | list = 4, backend: str = "bokeh") -> PlotCollection:
    """Per value that mixes worst (default 4), a row: a kernel density estimate of each chain's
    draws (left) and each chain's trace (right), the chains in colours (legend ``chain``),
    divergent draws marked under both; titles ``Density: <value>`` and ``Trace: <value>``.
    arviz-plots' ``plot_trace_dist``; ``worst`` and ``backend`` as in ``forest``.

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import sine_regression
    >>> x, y = sine_regression(n=20)
    >>> post = bp.fit(bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(2,)))), x, y, bp.SVI(steps=20, draws=8))
    >>> pc = trace_dist(post, worst=2)
    >>> name = next(iter(pc.data.data_vars))  # the value that mixes worst
    >>> density, trace = pc.viz["plot"][name].values
    >>> density.title.text == f"Density: {name}", trace.title.text == f"Trace: {name}"
    (True, True)
    """
    backend = check_choice("backend", backend, BACKENDS, "arviz-plots backend")
    posterior = _check_posterior(posterior)
    rows = _rows(posterior, worst)
    azp, draw = _arviz_plots(backend)
    size = (900, 40 + 190 * len(rows))
    pc = azp.plot_trace_dist(
        _tree(posterior, rows),
        compact=False,
        kind="kde",
        backend=backend,
        figure_kwargs=_figure(backend, size),
        visuals={"label": False},
    )
    for name in pc.viz["plot"].data_vars:
        plots = pc.viz["plot"][name]
        draw.title(f"Density: {name}", plots.sel(column="dist").item())
        draw.title(f"Trace: {name}", plots.sel(column="trace").item())
    if posterior.num_chains > 1:
        _legend(pc, backend)
    return pc


def rank_ecdf(posterior: Posterior, *, worst: int | list = 4, backend: str = "bokeh") -> PlotCollection:
    """Rank plots of the values that mix worst (default 4), titled ``Rank: <value>``: per chain,
    the ECDF of its draws' fractional ranks among all chains minus the uniform one (arviz-plots'
    ``plot_rank``). Chains that sample the same distribution stay near 0; the text gives the
    p-value of arviz-stats' test of uniform ranks across the chains (Säilynoja et al. 2022).
    Needs two chains or more. ``worst`` and ``backend`` as in ``forest``.

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import sine_regression
    >>> x, y = sine_regression(n=20)
    >>> post = bp.fit(bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(2,)))), x, y, bp.SVI(steps=20, draws=8))
    >>> rank_ecdf(post)
    Traceback (most recent call last):
    ...
    ValueError: posterior: has 1 chain; a rank plot compares chains and needs 2 or more.
    """
    backend = check_choice("backend", backend, BACKENDS, "arviz-plots backend")
    posterior = _check_posterior(posterior)
    if posterior.num_chains < 2:
        raise ValueError(
            f"posterior: has {posterior.num_chains} chain; a rank plot compares chains and needs 2 or more."
        )
    rows = _rows(posterior, worst)
    azp, draw = _arviz_plots(backend)
    cols = min(len(rows), 2)
    size = (450 * cols, 40 + 300 * -(-len(rows) // cols))
    pc = azp.plot_rank(
        _tree(posterior, rows),
        backend=backend,
        col_wrap=cols,
        figure_kwargs=_figure(backend, size),
        visuals={"title": False},
    )
    for name in pc.viz["plot"].data_vars:
        draw.title(f"Rank: {name}", pc.viz["plot"][name].item())
    _legend(pc, backend)
    return pc
