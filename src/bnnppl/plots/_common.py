"""What the plot builders share: constants, per-backend styling, argument checks, grid helpers."""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import holoviews as hv
import numpy as np

from bnnppl._checks import check_count, check_number, spec_error
from bnnppl._data import check_x
from bnnppl.spec.likelihoods import Bernoulli, Categorical

if TYPE_CHECKING:
    from bnnppl.results.posterior import Posterior
    from bnnppl.results.prediction import Predictions

BAND_LEVELS = (0.025, 0.25, 0.5, 0.75, 0.975)
"""The quantile levels ``regression`` reads: the median and the 50 % and 95 % central bands."""
KINDS = ("entropy", "mutual_information", "std")
CLASS_COLORS = ("#2166ac", "#b2182b", "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#a6761d")
BLUE, BLACK, ORANGE = "#1f77b4", "#222222", "#ff7f0e"
_SIZE = {"width": 520, "height": 340}  # bokeh: two fit side by side in a report on a 1400 px screen

# --------------------------------------------------------------------------- backends and style


@functools.cache
def _has_matplotlib() -> bool:
    try:
        import holoviews.plotting.mpl  # noqa: F401  (registers the matplotlib options)
    except ImportError:
        return False
    return True


@functools.cache
def _load_backends() -> None:
    import holoviews.plotting.bokeh  # noqa: F401  (registers the bokeh options)


_FOR_PNG = contextvars.ContextVar("bnnppl_plots_for_png", default=True)


@contextlib.contextmanager
def bokeh_only() -> Iterator[None]:
    """Plots built inside get bokeh options only: no matplotlib import (about a second), for pages
    that save no PNG; ``save_png`` of such a plot draws it unstyled."""
    token = _FOR_PNG.set(False)
    try:
        yield
    finally:
        _FOR_PNG.reset(token)


def _style(obj: Any, bokeh: dict | None = None, mpl: dict | None = None, **both: Any) -> Any:
    """``obj`` with options for each backend: ``both`` for both, then each backend's own
    (matplotlib's where it is installed, unless built under ``bokeh_only``)."""
    _load_backends()
    obj = obj.opts(**both, **(bokeh or {}), backend="bokeh")
    if _FOR_PNG.get() and _has_matplotlib():
        obj = obj.opts(**both, **(mpl or {}), backend="matplotlib")
    return obj


def _line(el: Any, color: str, width: float = 2.0, dash: bool = False) -> Any:
    return _style(
        el,
        bokeh={"line_width": width, "line_dash": "dashed" if dash else "solid"},
        mpl={"linewidth": width, "linestyle": "--" if dash else "-"},
        color=color,
    )


def _band(el: Any, color: str, alpha: float) -> Any:
    mpl = {"color": color, "facecolor": color, "alpha": alpha, "linewidth": 0}
    return _style(el, bokeh={"color": color, "fill_alpha": alpha, "line_alpha": 0}, mpl=mpl)


def _dots(el: Any, color: str, size: float = 6.0) -> Any:
    return _style(
        el,
        bokeh={"size": size, "line_color": "white", "fill_color": color},
        mpl={"s": size**2, "edgecolors": "white", "facecolors": color, "linewidth": 0.5},
    )


def _figure(obj: Any, title: str, legend_position: str = "top_right", **both: Any) -> Any:
    """``obj`` sized and titled; in bokeh its legend sits in one row above the plot, off the data
    (``legend_position`` places it inside a PNG's axes)."""
    bokeh = dict(_SIZE)
    overlay = isinstance(obj, hv.Overlay | hv.NdOverlay)
    if overlay:
        bokeh |= {"legend_position": "top", "legend_cols": 6}
    mpl = {"aspect": 1.6} | ({"legend_position": legend_position} if overlay else {})
    return _style(obj, bokeh=bokeh, mpl=mpl, title=title, **both)


@functools.cache
def _draw_means(spec: Any) -> Any:
    """``f`` (draws of the network output) to each draw's predictive mean (``moments``), jitted
    once per likelihood: run eagerly, each of its few operations is a program of its own to load."""
    import jax

    from bnnppl.model.likelihoods import moments

    return jax.jit(lambda f: moments(spec, f, 1.0)[0])  # the mean needs no sigma


def _layout(panels: list, cols: int) -> hv.Layout:
    return _style(hv.Layout(panels).cols(cols), mpl={"sublabel_format": "", "vspace": 0.4, "hspace": 0.3})


# --------------------------------------------------------------------------- input checks


def _quote(value: Any) -> str:
    """``repr(value)``, or ``"a Posterior"`` when the repr is long (a posterior prints its arrays)."""
    text = repr(value)
    return text if len(text) <= 60 else f"a {type(value).__name__}"


def _check_posterior(posterior: Any, name: str = "posterior") -> Posterior:
    from bnnppl.results.posterior import Posterior

    if not isinstance(posterior, Posterior):
        raise spec_error(
            name, f"must be a bnnppl.Posterior (from bnnppl.fit), got {_quote(posterior)}.", TypeError
        )
    return posterior


def _check_pred(pred: Any) -> Predictions:
    from bnnppl.results.prediction import Predictions

    if not isinstance(pred, Predictions):
        raise spec_error(
            "pred", f"must be bnnppl.Predictions (from bnnppl.predict), got {_quote(pred)}.", TypeError
        )
    return pred


def _regression_pred(pred: Any, what: str) -> Predictions:
    pred = _check_pred(pred)
    if pred.probs is not None:
        raise ValueError(
            f"pred: holds class probabilities (a classification likelihood); {what} needs predictions "
            "of a regression likelihood."
        )
    if pred.x.shape[1] != 1:
        raise ValueError(f"pred.x: must have 1 column for {what}, got {pred.x.shape[1]}.")
    return pred


def _columns(name: str, x: np.ndarray, n: int, what: str) -> None:
    if x.shape[1] != n:
        raise ValueError(f"{name}: must have {n} column{'s' * (n > 1)} for {what}, got {x.shape[1]}.")


def _targets(name: str, y: Any, n: int, other: str) -> np.ndarray:
    from bnnppl._data import _numeric

    arr = _numeric(name, y)
    if arr.shape != (n,):
        raise ValueError(f"{name}: must have one value per row of {other} ({n}), got shape {arr.shape}.")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: contains NaN or infinite values.")
    return arr


def _classification(posterior: Any, what: str) -> Posterior:
    posterior = _check_posterior(posterior)
    spec = posterior.bnn.likelihood
    if not isinstance(spec, Bernoulli | Categorical):
        raise ValueError(
            f"posterior: {what} needs a classification likelihood (Bernoulli or Categorical), "
            f"got {type(spec).__name__}."
        )
    return posterior


def _grid_options(resolution: Any, padding: Any) -> tuple[int, float]:
    resolution = check_count("resolution", resolution, minimum=2)
    padding = check_number("padding", padding)
    if padding < 0:
        raise ValueError(f"padding: must be >= 0, got {padding!r}.")
    return resolution, padding


def _surface_inputs(
    posterior: Any, x: Any, y: Any, what: str, resolution: Any, padding: Any
) -> tuple[Posterior, np.ndarray, np.ndarray | None, int, float]:
    """The checked ``(posterior, x, y, resolution, padding)`` of a 2-D classification plot."""
    from bnnppl.model.likelihoods import check_targets

    posterior = _classification(posterior, what)
    x = check_x(x)
    _columns("x", x, 2, what)
    width = posterior.x.shape[1]
    if width != 2:
        raise ValueError(f"posterior: was fitted on {width} feature(s); {what} needs 2.")
    y = None if y is None else check_targets(posterior.bnn.likelihood, y, x.shape[0])
    resolution, padding = _grid_options(resolution, padding)
    flat = np.flatnonzero(np.ptp(x, axis=0) == 0)
    if padding == 0 and flat.size:
        col = int(flat[0])
        raise ValueError(
            f"x: column {col} has the single value {float(x[0, col])!r}; a grid needs a spread of inputs "
            "or padding > 0."
        )
    return posterior, x, y, resolution, padding


# --------------------------------------------------------------------------- grids


def _grid(x: np.ndarray, resolution: int, padding: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Axis coordinates ``xs``, ``ys`` and the grid points ``(resolution**2, 2)``, rows along ``ys``."""
    lo, hi = x.min(0).astype(np.float64) - padding, x.max(0).astype(np.float64) + padding
    xs, ys = np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)


def _image(xs: np.ndarray, ys: np.ndarray, values: np.ndarray, vdim: hv.Dimension, cmap: Any, clim=None):
    """An ``Image`` of ``values`` on the grid ``xs``, ``ys`` in colormap ``cmap`` (a name or colours)."""
    img = hv.Image((xs, ys, values.reshape(ys.size, xs.size)), ["x0", "x1"], [vdim])
    bokeh = {"cmap": list(_palette(cmap)) if isinstance(cmap, str) else cmap}
    both = {"colorbar": True} | ({} if clim is None else {"clim": clim})
    return _style(img, bokeh=bokeh, mpl={"cmap": cmap}, **both)


@functools.cache
def _palette(name: str) -> tuple[str, ...]:
    """The colours holoviews' bokeh plots make of colormap ``name`` (256), looked up once: given
    the name, holoviews looks it up again for every plot and animation frame, 10 ms each for
    ``RdBu_r`` (matplotlib spells out a did-you-mean for the lower-case spelling it also tries)."""
    from holoviews.plotting.util import process_cmap

    return tuple(process_cmap(name))


MARKERS = (("circle", "o"), ("triangle", "^"), ("square", "s"), ("diamond", "D"),
           ("inverted_triangle", "v"), ("star", "*"), ("hex", "h"), ("plus", "P"))  # fmt: skip
"""Class k's marker (bokeh, matplotlib) on a map: a shape per class, white with a black edge,
so that it stands out on every colour of the surface below it."""


def _points(x: np.ndarray, y: np.ndarray | None) -> list[hv.Points]:
    if y is None:
        return [_dots(hv.Points(x, ["x0", "x1"], label="data"), BLACK)]
    labels = y.astype(np.int64)
    out = []
    for k in np.unique(labels).tolist():
        bokeh_marker, mpl_marker = MARKERS[k % len(MARKERS)]
        points = hv.Points(x[labels == k], ["x0", "x1"], label=f"class {k}")
        bokeh = {"marker": bokeh_marker, "size": 8, "fill_color": "white", "line_color": "black"}
        mpl = {"marker": mpl_marker, "s": 40, "facecolors": "white", "edgecolors": "black"}
        out.append(_style(points, bokeh=bokeh | {"line_width": 1.2}, mpl=mpl | {"linewidth": 1.0}))
    return out
