"""Fit diagnostics: draws per chain (``trace``, ``rank``, ``densities``), the SVI loss, SMC's path."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import holoviews as hv
import numpy as np

from bnnppl._checks import check_choice, check_count, spec_error
from bnnppl.plots._common import (
    BLACK,
    BLUE,
    CLASS_COLORS,
    ORANGE,
    _check_posterior,
    _dots,
    _figure,
    _layout,
    _line,
    _quote,
    _style,
)

if TYPE_CHECKING:
    from bnnppl.results.posterior import Posterior

_DEFAULT_ELEMENTS = 4  # trace / rank / densities show this many elements of an array by default

# --------------------------------------------------------------------------- draws per chain


def _default_var(posterior: Posterior) -> str:
    names = list(posterior.samples)
    if "sigma" in names:
        return "sigma"
    kernels = sorted(n for n in names if n.startswith("net.") and n.endswith("kernel"))
    return kernels[0] if kernels else names[0]


def worst_elements(posterior: Posterior, n: int = 4) -> list[tuple[str, int, float, float]]:
    """The ``n`` parameter elements that mix worst, worst first: ``(site, flat index, r-hat, bulk
    ESS)``, over every sampled site (ArviZ's rank-normalised split statistics,
    ``bnnppl.results.modes.rhat_ess``). Ordered by r-hat, largest first (NaN, as with one chain:
    last), then by bulk ESS, smallest first.

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import sine_regression
    >>> x, y = sine_regression(n=20)
    >>> post = bp.fit(bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(4,)))), x, y, bp.SVI(steps=20, draws=8))
    >>> rows = worst_elements(post, 3)
    >>> len(rows), bool(np.isnan(rows[0][2])), rows[0][3] <= rows[1][3] <= rows[2][3]  # one chain: by ESS
    (3, True, True)
    """
    from bnnppl.results.modes import rhat_ess_values

    posterior = _check_posterior(posterior)
    n = check_count("n", n)
    rows = []
    for site, values in posterior.samples.items():
        rhat, ess = rhat_ess_values(np.asarray(values, dtype=float))
        rows += [(site, i, float(r), float(e)) for i, (r, e) in enumerate(zip(rhat, ess, strict=True))]
    rows.sort(key=lambda row: (-row[2] if np.isfinite(row[2]) else np.inf, row[3]))
    return rows[:n]


def _elements(
    posterior: Posterior, var: str | None, index: Any, worst: Any = None
) -> list[tuple[str, np.ndarray]]:
    """``(label, draws (chain, draw))`` for each selected flat element of ``var`` (or the
    ``worst`` elements of all sites)."""
    posterior = _check_posterior(posterior)
    if worst is not None:
        if var is not None or index is not None:
            raise ValueError(
                f"worst: picks the elements itself; give it without var and index, got var={var!r}, "
                f"index={index!r}."
            )
        rows = worst if isinstance(worst, list) else worst_elements(posterior, check_count("worst", worst))
        if not rows or not all(_is_row(posterior, row) for row in rows):
            allowed = "a number of values or the rows of worst_elements(posterior, n)"
            raise spec_error("worst", f"must be {allowed}, got {_quote(worst)}.", TypeError)
        return [
            (_label(site, i, posterior.samples[site].shape[2:]), _flat(posterior, site)[..., i])
            for site, i, *_ in rows
        ]
    var = _default_var(posterior) if var is None else check_choice("var", var, posterior.samples, "variable")
    shape = np.shape(posterior.samples[var])[2:]
    size = int(np.prod(shape))
    flat = _flat(posterior, var)
    if index is None:
        picks = list(range(min(size, _DEFAULT_ELEMENTS)))
    else:
        picks = [index] if isinstance(index, numbers.Integral) else index
        if (
            not isinstance(picks, Sequence)
            or not picks
            or not all(isinstance(i, numbers.Integral) and not isinstance(i, bool) for i in picks)
        ):
            raise spec_error(
                "index", f"must be an integer or a list of integers, got {_quote(index)}.", TypeError
            )
        bad = [int(i) for i in picks if not 0 <= i < size]
        if bad:
            raise ValueError(f"index: must be in 0..{size - 1} for {var!r} ({size} values), got {bad[0]}.")
    return [(_label(var, int(i), shape), flat[..., int(i)]) for i in picks]


def _flat(posterior: Posterior, var: str) -> np.ndarray:
    """Site ``var``'s draws as ``(chain, draw, value)``."""
    values = np.asarray(posterior.samples[var])
    return values.reshape(*values.shape[:2], -1)


def _is_row(posterior: Posterior, row: Any) -> bool:
    """Whether ``row`` is a row of ``worst_elements(posterior, n)``."""
    return (
        isinstance(row, tuple)
        and len(row) == 4
        and row[0] in posterior.samples
        and isinstance(row[1], int)
        and 0 <= row[1] < int(np.prod(np.shape(posterior.samples[row[0]])[2:]))
    )


def _label(var: str, i: int, shape: tuple) -> str:
    """``var[i, j]`` for flat index ``i`` of an array shaped ``shape``; ``var`` for a scalar."""
    return f"{var}[{', '.join(str(int(j)) for j in np.unravel_index(i, shape))}]" if shape else var


def _per_chain(el: hv.Element, chain: int) -> hv.Element:
    color = CLASS_COLORS[chain % len(CLASS_COLORS)]
    if isinstance(el, hv.Histogram):
        return _style(el, bokeh={"fill_alpha": 0.3, "line_color": color}, mpl={"alpha": 0.35}, color=color)
    return _style(el, bokeh={"line_width": 1.5}, mpl={"linewidth": 1.5}, color=color)


def _panels(build: Callable[[str, np.ndarray], Any], elements: list, title: str) -> hv.Layout:
    """One panel per element, two per row, each with its own axes (values of different weights
    differ in scale)."""
    panels = [_figure(build(label, draws), f"{title}: {label}") for label, draws in elements]
    return _style(_layout(panels, 2), bokeh={"shared_axes": False})


def trace(
    posterior: Posterior,
    var: str | None = None,
    *,
    index: int | Sequence[int] | None = None,
    worst: int | list | None = None,
) -> hv.Layout:
    """Trace plots: one panel per element of ``var``, one ``Curve`` per chain (value against draw).

    ``var`` names a sampled site (default ``"sigma"`` if sampled, else the first layer's kernel);
    ``index`` picks elements by flat (C-order) index, default the first 4. ``worst=n`` instead
    picks the ``n`` elements of all sites that mix worst (``worst_elements``; or give the rows of
    one ``worst_elements`` call, to share it between plots). Each panel is an
    ``NdOverlay`` keyed by ``chain``.

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import sine_regression
    >>> x, y = sine_regression(n=20)
    >>> post = bp.fit(bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(4,)))), x, y, bp.SVI(steps=20, draws=8))
    >>> [panel.label for panel in trace(post)], len(trace(post, "net.Dense_0.kernel", index=[1, 3]))
    (['sigma'], 2)
    """
    elements = _elements(posterior, var, index, worst)

    def build(label: str, draws: np.ndarray) -> hv.NdOverlay:
        vdim = hv.Dimension("value", label=label)
        curves = {
            c: _per_chain(hv.Curve((np.arange(d.size), d), "draw", vdim), c) for c, d in enumerate(draws)
        }
        return hv.NdOverlay(curves, kdims="chain", label=label)

    return _panels(build, elements, "Trace")


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1 to n of ``values``, ties given their mean rank (``scipy.stats.rankdata``'s default,
    without importing scipy.stats, a second of a report's build).

    >>> _ranks(np.array([3.0, 1.0, 3.0, 2.0]))
    array([3.5, 1. , 3.5, 2. ])
    """
    _, which, counts = np.unique(values, return_inverse=True, return_counts=True)
    last = np.cumsum(counts)
    return ((last - counts + 1 + last) / 2)[which]


def rank(
    posterior: Posterior,
    var: str | None = None,
    *,
    index: int | Sequence[int] | None = None,
    worst: int | list | None = None,
    bins: int = 20,
) -> hv.Layout:
    """Rank plots: per element, a ``Histogram`` per chain of the ranks of its draws among all chains.

    Well-mixed chains give flat histograms near the dashed line (draws / bins). Ranks run from 1
    to chains x draws (ties averaged); ``bins`` equal bins (at most the number of draws); each
    chain's counts sum to its number of draws. ``var``, ``index`` and ``worst`` as in ``trace``.

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import sine_regression
    >>> x, y = sine_regression(n=20)
    >>> post = bp.fit(bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(4,)))), x, y, bp.SVI(steps=20, draws=8))
    >>> int(rank(post, bins=4)[0].Histogram.Chain_0.dimension_values("count").sum())
    8
    """
    bins = check_count("bins", bins)
    elements = _elements(posterior, var, index, worst)

    def build(label: str, draws: np.ndarray) -> hv.Overlay:
        chains, n = draws.shape
        k = min(bins, n)
        ranks = _ranks(draws.ravel()).reshape(draws.shape)
        edges = np.linspace(0.5, chains * n + 0.5, k + 1)
        kdim = hv.Dimension("rank", label=f"rank of {label} among all chains")
        hists = [
            _per_chain(
                hv.Histogram(
                    (edges, np.histogram(r, edges)[0]), kdims=kdim, vdims="count", label=f"chain {c}"
                ),
                c,
            )
            for c, r in enumerate(ranks)
        ]
        uniform = _line(hv.HLine(n / k, label="uniform"), BLACK, 1.0, dash=True)
        return hv.Overlay([*hists, uniform], label=label)

    return _panels(build, elements, "Rank")


def densities(
    posterior: Posterior,
    var: str | None = None,
    *,
    index: int | Sequence[int] | None = None,
    worst: int | list | None = None,
) -> hv.Layout:
    """Posterior densities: per element, a kernel density estimate (``Distribution``) per chain.

    ``var``, ``index`` and ``worst`` as in ``trace``; each panel is an ``NdOverlay`` keyed by ``chain``
    whose elements hold that chain's draws.

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import sine_regression
    >>> x, y = sine_regression(n=20)
    >>> post = bp.fit(bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(4,)))), x, y, bp.SVI(steps=20, draws=8))
    >>> densities(post)[0][0].dimension_values("value").shape  # panel 0 (sigma), chain 0
    (8,)
    """
    elements = _elements(posterior, var, index, worst)

    def build(label: str, draws: np.ndarray) -> hv.NdOverlay:
        kdim = hv.Dimension("value", label=label)
        dists = {c: _per_chain(hv.Distribution(d, kdim), c) for c, d in enumerate(draws)}
        return hv.NdOverlay(dists, kdims="chain", label=label)

    return _panels(build, elements, "Density")


# --------------------------------------------------------------------------- fit


def loss(posterior: Posterior) -> hv.Overlay:
    """The SVI loss (negative ELBO) per step on a log y axis: each step's loss, light, and its
    moving average over 2 % of the steps (at least 1), with about five labelled ticks that span
    the values drawn (a log axis of bokeh's own labels only powers of ten).

    A loss that reaches 0 or below is drawn as ``loss - min(loss) + 1`` (the y label says so), so
    the log axis still shows the trend; non-finite losses are left as gaps.

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import sine_regression
    >>> x, y = sine_regression(n=20)
    >>> post = bp.fit(bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(4,)))), x, y, bp.SVI(steps=20, draws=8))
    >>> plot = loss(post)
    >>> [curve.label for curve in plot], plot.Curve.Per_step.dimension_values("step").tolist()[-3:]
    (['per step', 'moving average'], [17, 18, 19])
    """
    posterior = _check_posterior(posterior)
    if "loss" not in posterior.stats:
        raise ValueError(
            f"posterior: has no loss to plot: it was fitted with {type(posterior.method).__name__}; "
            "loss() needs a posterior fitted with SVI."
        )
    values = np.asarray(posterior.stats["loss"], dtype=np.float64).ravel()
    finite = np.isfinite(values)
    if not finite.any():
        raise ValueError(f"posterior.stats['loss']: all {values.size} values are NaN or infinite.")
    low = values[finite].min()
    label = "loss"
    if low <= 0:
        values, label = values - low + 1, "loss - min(loss) + 1"
    values = np.where(finite, values, np.nan)
    steps, vdim = np.arange(values.size), hv.Dimension("loss", label=label)
    raw = _style(_line(hv.Curve((steps, values), "step", vdim, label="per step"), BLUE, 1.0),
                 bokeh={"line_alpha": 0.35}, mpl={"alpha": 0.35})  # fmt: skip
    smooth = _line(hv.Curve((steps, moving_average(values, max(1, values.size // 50))), "step", vdim,
                            label="moving average"), BLUE, 2.0)  # fmt: skip
    plot = _figure(hv.Overlay([raw, smooth]), "SVI loss", logy=True)
    return _style(plot, bokeh={"yticks": log_ticks(values[finite])})  # matplotlib labels log axes well


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """The mean of the finite values among the last ``window`` (the current one included).

    >>> moving_average(np.array([1.0, 3.0, np.nan, 5.0]), 2).tolist()
    [1.0, 2.0, 3.0, 5.0]
    """
    finite = np.isfinite(values)
    sums = np.cumsum(np.where(finite, values, 0.0))
    counts = np.cumsum(finite)
    start = np.maximum(np.arange(values.size) - window, -1)
    pad = lambda a: np.concatenate([[0], a])  # noqa: E731
    total, count = sums - pad(sums)[start + 1], counts - pad(counts)[start + 1]
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def log_ticks(values: np.ndarray, count: int = 5) -> list[float]:
    """About ``count`` round values (two significant digits), evenly spaced in log between the
    smallest and largest of ``values`` (all positive).

    >>> log_ticks(np.array([110.0, 200.0]))
    [110.0, 130.0, 150.0, 170.0, 200.0]
    """
    low, high = float(np.min(values)), float(np.max(values))
    if high <= low:
        return [low]
    raw = np.geomspace(low, high, count)
    digits = 1 - np.floor(np.log10(raw)).astype(int)
    return sorted({float(round(v, d)) for v, d in zip(raw, digits, strict=True)})


def smc_history(posterior: Posterior) -> hv.Layout:
    """An SMC fit's path from prior to posterior: the ESS after each reweighting (as a fraction of
    the particles, with the resampling threshold and the stages that resampled marked), and the
    tempering exponent ``beta`` or the number of data points included, per stage.

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import sine_regression
    >>> x, y = sine_regression(n=10)
    >>> bnn = bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(3,)), likelihood=bp.Gaussian(noise=0.1)))
    >>> post = bp.fit(bnn, x, y, bp.SMC(schedule="data", batch=5, particles=20, mcmc_steps=1, num_leapfrog=3))
    >>> [panel.opts.get("plot", backend="bokeh").kwargs["title"] for panel in smc_history(post)]
    ['SMC: effective sample size', 'SMC: data points included']
    """
    posterior = _check_posterior(posterior)
    if "log_evidence" not in posterior.stats:
        raise ValueError(
            f"posterior: has no SMC history to plot: it was fitted with {type(posterior.method).__name__}; "
            "smc_history() needs a posterior fitted with SMC."
        )
    stats = posterior.stats
    ess = np.asarray(stats["ess"], dtype=np.float64)
    stage = np.arange(1, ess.size + 1)
    resampled = np.asarray(stats["resampled"], dtype=bool)
    threshold = posterior.method.resample_ess
    curve = _line(hv.Curve((stage, ess), "stage", hv.Dimension("ess", label="ESS / particles")), BLUE)
    marks = _dots(hv.Scatter((stage[resampled], ess[resampled]), "stage", "ess", label="resampled"), ORANGE)
    line = _line(hv.HLine(threshold), BLACK, 1.0, dash=True)
    panels = [_figure(curve * marks * line, "SMC: effective sample size", ylim=(0, 1.05))]
    if "beta" in stats:
        path = hv.Curve((stage, np.asarray(stats["beta"])), "stage", hv.Dimension("beta", label="beta"))
        panels.append(_figure(_line(path, BLUE), "SMC: tempering exponent"))
    else:
        path = hv.Curve((stage, np.asarray(stats["data_points"])), "stage", "data points")
        panels.append(_figure(_line(path, BLUE), "SMC: data points included"))
    return _layout(panels, 2)
