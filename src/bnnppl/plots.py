"""Plots as pure builders: a ``Posterior`` or ``Predictions`` (and data) in, a holoviews object out.

Builders never save or show; ``save_png`` writes one PNG for slides (through holoviews'
matplotlib backend, so no browser is needed) and a report embeds the objects with bokeh.
Styling is set per backend, so every object renders in both.

=========================== ===================================================================
builder                     shows
=========================== ===================================================================
``regression``              1-D predictive: median, 50 % and 95 % bands, training data, truth
``uncertainty_split``       1-D: mean +- 2 sd of the epistemic and of the aleatoric part
``decision_surface``        2-D classes: P(y = 1) (or the top class probability) on a grid
``uncertainty_map``         2-D classes: predictive std, entropy or mutual information
``map_contour``             2-D classes: the draw of highest log joint density (``log_joint``)
``trace``, ``rank``,        one variable's draws per chain
``densities``
``loss``                    the SVI loss per step (log axis)
``smc_history``             an SMC fit's ESS per stage and its tempering / data path
``calibration``             reliability diagram (classes) or interval coverage (regression)
``draws_animation``         a ``HoloMap`` over draws: each draw's curve or decision surface
=========================== ===================================================================

Every input is checked before any JAX work; errors name the argument, quote the value and say
what is allowed: ``ValueError: x: must have 2 columns for a decision surface, got 1.``
"""

from __future__ import annotations

import dataclasses
import functools
import io
import numbers
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import holoviews as hv
import numpy as np

from bnnppl._checks import check_choice, check_count, check_number, spec_error
from bnnppl._data import check_x
from bnnppl._io import atomic_write
from bnnppl.spec import Bernoulli, Categorical

if TYPE_CHECKING:
    from bnnppl.posterior import Posterior
    from bnnppl.predict import Predictions

BAND_LEVELS = (0.025, 0.25, 0.5, 0.75, 0.975)
"""The quantile levels ``regression`` reads: the median and the 50 % and 95 % central bands."""
KINDS = ("entropy", "mutual_information", "std")
CLASS_COLORS = ("#2166ac", "#b2182b", "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#a6761d")
BLUE, BLACK, ORANGE = "#1f77b4", "#222222", "#ff7f0e"
_SIZE = {"width": 600, "height": 380}  # bokeh
_DEFAULT_ELEMENTS = 4  # trace / rank / densities show this many elements of an array by default

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

    _has_matplotlib()


def _style(obj: Any, bokeh: dict | None = None, mpl: dict | None = None, **both: Any) -> Any:
    """``obj`` with options for each backend: ``both`` for both, then each backend's own."""
    _load_backends()
    obj = obj.opts(**both, **(bokeh or {}), backend="bokeh")
    if _has_matplotlib():
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


def _figure(obj: Any, title: str, **both: Any) -> Any:
    return _style(obj, bokeh=dict(_SIZE), mpl={"aspect": 1.6}, title=title, **both)


def _layout(panels: list, cols: int) -> hv.Layout:
    return _style(hv.Layout(panels).cols(cols), mpl={"sublabel_format": "", "vspace": 0.4, "hspace": 0.3})


# --------------------------------------------------------------------------- input checks


def _quote(value: Any) -> str:
    """``repr(value)``, or ``"a Posterior"`` when the repr is long (a posterior prints its arrays)."""
    text = repr(value)
    return text if len(text) <= 60 else f"a {type(value).__name__}"


def _check_posterior(posterior: Any, name: str = "posterior") -> Posterior:
    from bnnppl.posterior import Posterior

    if not isinstance(posterior, Posterior):
        raise spec_error(
            name, f"must be a bnnppl.Posterior (from bnnppl.fit), got {_quote(posterior)}.", TypeError
        )
    return posterior


def _check_pred(pred: Any) -> Predictions:
    from bnnppl.predict import Predictions

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
    from bnnppl.likelihoods import check_targets

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


# --------------------------------------------------------------------------- 1-D regression


def _sorted(pred: Predictions) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(pred.x[:, 0], kind="stable")
    return order, pred.x[order, 0].astype(np.float64)


def _training_points(x_train: Any, y_train: Any) -> hv.Scatter | None:
    if x_train is None and y_train is None:
        return None
    if x_train is None or y_train is None:
        given, missing = ("x_train", "y_train") if y_train is None else ("y_train", "x_train")
        raise ValueError(f"{given}: needs {missing} too; pass both or neither.")
    xt = check_x(x_train, "x_train")
    _columns("x_train", xt, 1, "a regression plot")
    yt = _targets("y_train", y_train, xt.shape[0], "x_train")
    return _dots(hv.Scatter((xt[:, 0], yt), "x", "y", label="data"), BLACK, 5)


def regression(
    pred: Predictions,
    x_train: Any = None,
    y_train: Any = None,
    *,
    truth: Callable[[np.ndarray], Any] | None = None,
) -> hv.Overlay:
    """The predictive of a 1-D regression: median, 50 % and 95 % bands, data and a true curve.

    ``pred`` is ``bnnppl.predict(posterior, x)`` at inputs of one column (any order: they are
    sorted); its ``quantiles`` must hold the levels in ``BAND_LEVELS``. ``x_train`` ``(n, 1)`` and
    ``y_train`` ``(n,)`` are drawn as points; ``truth`` maps x of shape ``(m,)`` to y ``(m,)``.
    Returns an ``Overlay``: ``Area`` 95 % and 50 % bands (value columns ``lower``, ``upper``), the
    median ``Curve``, the data ``Scatter`` and the truth ``Curve``, in that order.

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import sine_regression
    >>> x, y = sine_regression(n=20)
    >>> post = bp.fit(bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(4,)))), x, y, bp.SVI(steps=20, draws=8))
    >>> pred = bp.predict(post, np.linspace(-1.5, 1.5, 50)[:, None])
    >>> plot = regression(pred, x, y, truth=lambda x: x * np.sin(5 * x))
    >>> [type(el).__name__ for el in plot]
    ['Area', 'Area', 'Curve', 'Scatter', 'Curve']
    """
    pred = _regression_pred(pred, "a regression plot")
    have = sorted(pred.quantiles or {})
    if any(level not in have for level in BAND_LEVELS):
        raise ValueError(
            f"pred.quantiles: needs levels {list(BAND_LEVELS)} (median, 50 % and 95 % bands), got {have}; "
            "bnnppl.predict(posterior, x) computes them."
        )
    if truth is not None and not callable(truth):
        raise spec_error(
            "truth", f"must be a callable mapping x (m,) to y (m,), got {_quote(truth)}.", TypeError
        )
    points = _training_points(x_train, y_train)
    order, xs = _sorted(pred)
    q = {level: np.asarray(pred.quantiles[level])[order] for level in BAND_LEVELS}
    layers = [
        _band(_area(xs, q[0.025], q[0.975], "95 % band"), BLUE, 0.2),
        _band(_area(xs, q[0.25], q[0.75], "50 % band"), BLUE, 0.35),
        _line(hv.Curve((xs, q[0.5]), "x", "y", label="median"), BLUE),
    ]
    if points is not None:
        layers.append(points)
    if truth is not None:
        values = np.asarray(truth(xs), dtype=np.float64)
        if values.shape != xs.shape:
            raise ValueError(
                f"truth: must return one value per x (shape {xs.shape}), got shape {values.shape}."
            )
        layers.append(_line(hv.Curve((xs, values), "x", "y", label="truth"), ORANGE, dash=True))
    return _figure(hv.Overlay(layers), "Posterior predictive", legend_position="top_left")


def _area(x: np.ndarray, lower: np.ndarray, upper: np.ndarray, label: str) -> hv.Area:
    vdims = [hv.Dimension("lower", label="y"), hv.Dimension("upper")]  # one label: mpl draws no fill
    return hv.Area((x, lower, upper), "x", vdims, label=label)


def uncertainty_split(pred: Predictions, x_train: Any = None, y_train: Any = None) -> hv.Layout:
    """Epistemic next to aleatoric uncertainty of a 1-D regression: mean +- 2 sd of each part.

    Epistemic: ``sqrt(pred.epistemic)`` (the spread of the mean function between draws);
    aleatoric: ``sqrt(pred.aleatoric)`` (the likelihood's noise). Returns a ``Layout`` of two
    ``Overlay`` panels, each an ``Area`` band (``lower``, ``upper``) and the mean ``Curve``
    (and the data ``Scatter`` when ``x_train``, ``y_train`` are given).

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import sine_regression
    >>> x, y = sine_regression(n=20)
    >>> post = bp.fit(bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(4,)))), x, y, bp.SVI(steps=20, draws=8))
    >>> plot = uncertainty_split(bp.predict(post, np.linspace(-1.5, 1.5, 50)[:, None]))
    >>> [panel.label for panel in plot]
    ['epistemic', 'aleatoric']
    """
    pred = _regression_pred(pred, "an uncertainty split")
    points = _training_points(x_train, y_train)
    order, xs = _sorted(pred)
    mean = np.asarray(pred.mean)[order]
    panels = []
    for name, color in (("epistemic", BLUE), ("aleatoric", ORANGE)):
        sd = np.sqrt(np.asarray(getattr(pred, name))[order])
        layers = [
            _band(_area(xs, mean - 2 * sd, mean + 2 * sd, "mean ± 2 sd"), color, 0.3),
            _line(hv.Curve((xs, mean), "x", "y", label="mean"), BLACK),
        ]
        if points is not None:
            layers.append(points)
        title = f"{name.capitalize()} uncertainty"
        panels.append(_figure(hv.Overlay(layers, label=name), title, legend_position="top_left"))
    return _layout(panels, 2)


# --------------------------------------------------------------------------- 2-D classification


def _grid(x: np.ndarray, resolution: int, padding: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Axis coordinates ``xs``, ``ys`` and the grid points ``(resolution**2, 2)``, rows along ``ys``."""
    lo, hi = x.min(0).astype(np.float64) - padding, x.max(0).astype(np.float64) + padding
    xs, ys = np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)


def _image(xs: np.ndarray, ys: np.ndarray, values: np.ndarray, vdim: hv.Dimension, cmap: str, clim=None):
    img = hv.Image((xs, ys, values.reshape(ys.size, xs.size)), ["x0", "x1"], [vdim])
    return _style(img, cmap=cmap, colorbar=True, **({} if clim is None else {"clim": clim}))


def _points(x: np.ndarray, y: np.ndarray | None) -> list[hv.Points]:
    if y is None:
        return [_dots(hv.Points(x, ["x0", "x1"], label="data"), BLACK)]
    labels = y.astype(np.int64)
    return [
        _dots(
            hv.Points(x[labels == k], ["x0", "x1"], label=f"class {k}"), CLASS_COLORS[k % len(CLASS_COLORS)]
        )
        for k in np.unique(labels).tolist()
    ]


def _contour(img: hv.Image) -> hv.Contours:
    from holoviews.operation import contours

    lines = contours(img, levels=[0.5], filled=False, overlaid=False)
    return _style(
        lines.relabel("decision boundary"), bokeh={"line_width": 2}, mpl={"linewidth": 2}, color=BLACK
    )


def _probability_surface(probs: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> list[Any]:
    """P(y = 1) with its 0.5 contour (two classes), else the top class probability."""
    if probs.shape[1] == 2:
        img = _image(xs, ys, probs[:, 1], hv.Dimension("probability", label="P(y = 1)"), "RdBu_r", (0, 1))
        return [img, _contour(img)]
    vdim = hv.Dimension("probability", label="top class probability")
    return [_image(xs, ys, probs.max(1), vdim, "viridis", (0, 1))]


def decision_surface(
    posterior: Posterior, x: Any, y: Any, *, resolution: int = 60, padding: float = 0.5
) -> hv.Overlay:
    """The predictive class probability of a 2-D classifier on a grid, with the data by class.

    The grid spans ``x`` plus ``padding`` on every side with ``resolution`` points per axis;
    ``y`` holds the labels of ``x`` (``None``: plain points). Two classes (Bernoulli, or
    Categorical with 2 classes): ``P(y = 1)`` and its 0.5 contour; more classes: the
    probability of the predicted class. Returns an ``Overlay``: ``Image`` (key dimensions
    ``x0``, ``x1``, value ``probability``), ``Contours`` (two classes) and one ``Points`` per
    class.

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import two_moons
    >>> x, y = two_moons(n=40)
    >>> bnn = bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(4,)), likelihood=bp.Bernoulli()))
    >>> post = bp.fit(bnn, x, y, bp.SVI(steps=20, draws=8))
    >>> plot = decision_surface(post, x, y, resolution=30)
    >>> [type(el).__name__ for el in plot], plot.Image.I.dimension_values("probability", flat=False).shape
    (['Image', 'Contours', 'Points', 'Points'], (30, 30))
    """
    from bnnppl.predict import predict

    posterior, x, y, resolution, padding = _surface_inputs(
        posterior, x, y, "a decision surface", resolution, padding
    )
    xs, ys, grid = _grid(x, resolution, padding)
    probs = predict(posterior, grid, keep_samples=False).probs
    return _figure(hv.Overlay([*_probability_surface(probs, xs, ys), *_points(x, y)]), "Decision surface")


def _probability_std(posterior: Posterior, grid: np.ndarray, mean_probs: np.ndarray) -> np.ndarray:
    """Std between draws of P(y = 1) (two classes) or of the predicted class's probability."""
    import jax.numpy as jnp

    from bnnppl.likelihoods import moments
    from bnnppl.predict import network_draws

    spec = posterior.bnn.likelihood
    per_draw = np.asarray(moments(spec, jnp.asarray(network_draws(posterior, grid)))[0])  # (S, n[, K])
    if isinstance(spec, Bernoulli):
        return per_draw.std(0)
    k = 1 if mean_probs.shape[1] == 2 else mean_probs.argmax(1)
    return np.take_along_axis(per_draw, np.broadcast_to(k, grid.shape[:1])[None, :, None], 2)[..., 0].std(0)


def uncertainty_map(
    posterior: Posterior,
    x: Any,
    y: Any,
    *,
    kind: str = "std",
    resolution: int = 60,
    padding: float = 0.5,
) -> hv.Overlay:
    """A 2-D classifier's uncertainty on the grid of ``decision_surface``, with the data by class.

    ``kind``: ``"std"``, the standard deviation between draws of ``P(y = 1)`` (more classes: of
    the predicted class's probability); ``"entropy"``, the predictive entropy (total uncertainty,
    nats); ``"mutual_information"``, its epistemic part (``Predictions.epistemic``). Returns an
    ``Overlay``: ``Image`` (value dimension named ``kind``), the 0.5 contour of ``P(y = 1)`` (two
    classes) and one ``Points`` per class.

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import two_moons
    >>> x, y = two_moons(n=40)
    >>> bnn = bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(4,)), likelihood=bp.Bernoulli()))
    >>> post = bp.fit(bnn, x, y, bp.SVI(steps=20, draws=8))
    >>> plot = uncertainty_map(post, x, y, kind="mutual_information", resolution=20)
    >>> plot.Image.I.vdims
    [Dimension('mutual_information', label='mutual information (nats)')]
    """
    from bnnppl.predict import predict

    kind = check_choice("kind", kind, KINDS, "uncertainty kind")
    posterior, x, y, resolution, padding = _surface_inputs(
        posterior, x, y, "an uncertainty map", resolution, padding
    )
    xs, ys, grid = _grid(x, resolution, padding)
    pred = predict(posterior, grid, keep_samples=False)
    binary = pred.probs.shape[1] == 2
    if kind == "std":
        values = _probability_std(posterior, grid, pred.probs)
        label = "std of P(y = 1)" if binary else "std of the top class probability"
    elif kind == "entropy":
        values, label = pred.entropy, "predictive entropy (nats)"
    else:
        values, label = pred.epistemic, "mutual information (nats)"
    layers = [_image(xs, ys, values, hv.Dimension(kind, label=label), "magma")]
    if binary:
        mean = _image(xs, ys, pred.probs[:, 1], hv.Dimension("probability", label="P(y = 1)"), "RdBu_r")
        layers.append(_contour(mean))
    title = {"std": "Std of the probability", "entropy": "Predictive entropy"}.get(kind, "Mutual information")
    return _figure(hv.Overlay([*layers, *_points(x, y)]), title)


def log_joint(posterior: Posterior) -> np.ndarray:
    """``log p(theta, y | x)`` of every draw at the training data: shape ``(chain, draw)``.

    NumPyro's ``log_density`` of ``posterior.bnn.model`` (prior plus likelihood, the
    deterministic layers held at ``posterior.fixed``), mapped over draws in batches.

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import sine_regression
    >>> x, y = sine_regression(n=20)
    >>> post = bp.fit(bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(4,)))), x, y, bp.SVI(steps=20, draws=8))
    >>> log_joint(post).shape
    (1, 8)
    """
    import jax
    from numpyro import handlers
    from numpyro.infer.util import log_density

    posterior = _check_posterior(posterior)
    bnn, x, y = posterior.bnn, posterior.x, posterior.y
    subs = bnn.fixed_substitutions(posterior.fixed, x.shape[1])
    model = handlers.seed(bnn.model, rng_seed=0)

    def one(sample: dict) -> jax.Array:
        return log_density(model, (x, y), {}, {**sample, **subs})[0]

    batch = max(1, min(posterior.num_samples, 2**22 // max(1, x.shape[0] * 64)))
    values = jax.jit(lambda s: jax.lax.map(one, s, batch_size=batch))(posterior.flat_samples())
    return np.asarray(values).reshape(posterior.num_chains, posterior.num_draws)


def _one_draw(posterior: Posterior, chain: int, draw: int) -> Posterior:
    samples = {k: v[chain : chain + 1, draw : draw + 1] for k, v in posterior.samples.items()}
    return dataclasses.replace(posterior, samples=samples)


def map_contour(
    posterior: Posterior, x: Any, y: Any, *, resolution: int = 60, padding: float = 0.5
) -> hv.Overlay:
    """The draw with the highest log joint density (``log_joint``) and its decision surface.

    The Turing tutorial's "MAP" plot, taken among the posterior's draws: that one network's
    ``P(y = 1)`` with its 0.5 contour (more classes: its top class probability) on the grid of
    ``decision_surface``, and the data by class. The ``Image`` is labelled with the draw:
    ``"MAP draw: chain 0, draw 12"``.

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import two_moons
    >>> x, y = two_moons(n=40)
    >>> bnn = bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(4,)), likelihood=bp.Bernoulli()))
    >>> post = bp.fit(bnn, x, y, bp.SVI(steps=20, draws=8))
    >>> next(iter(map_contour(post, x, y, resolution=20))).label  # the Image  # doctest: +ELLIPSIS
    'MAP draw: chain 0, draw ...'
    """
    from bnnppl.predict import predict

    posterior, x, y, resolution, padding = _surface_inputs(
        posterior, x, y, "a MAP contour plot", resolution, padding
    )
    chain, draw = divmod(int(np.argmax(log_joint(posterior))), posterior.num_draws)
    xs, ys, grid = _grid(x, resolution, padding)
    probs = predict(_one_draw(posterior, int(chain), int(draw)), grid, keep_samples=False).probs
    surface = _probability_surface(probs, xs, ys)
    surface[0] = surface[0].relabel(f"MAP draw: chain {chain}, draw {draw}")
    return _figure(hv.Overlay([*surface, *_points(x, y)]), f"MAP draw (chain {chain}, draw {draw})")


# --------------------------------------------------------------------------- draws per chain


def _default_var(posterior: Posterior) -> str:
    names = list(posterior.samples)
    if "sigma" in names:
        return "sigma"
    kernels = sorted(n for n in names if n.startswith("net.") and n.endswith("kernel"))
    return kernels[0] if kernels else names[0]


def _elements(posterior: Posterior, var: str | None, index: Any) -> list[tuple[str, np.ndarray]]:
    """``(label, draws (chain, draw))`` for each selected flat element of ``var``."""
    posterior = _check_posterior(posterior)
    var = _default_var(posterior) if var is None else check_choice("var", var, posterior.samples, "variable")
    values = np.asarray(posterior.samples[var])
    shape = values.shape[2:]
    size = int(np.prod(shape))
    flat = values.reshape(*values.shape[:2], size)
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
    out = []
    for i in picks:
        where = ", ".join(str(int(j)) for j in np.unravel_index(int(i), shape)) if shape else ""
        out.append((f"{var}[{where}]" if shape else var, flat[..., int(i)]))
    return out


def _per_chain(el: hv.Element, chain: int) -> hv.Element:
    color = CLASS_COLORS[chain % len(CLASS_COLORS)]
    if isinstance(el, hv.Histogram):
        return _style(el, bokeh={"fill_alpha": 0.3, "line_color": color}, mpl={"alpha": 0.35}, color=color)
    return _style(el, bokeh={"line_width": 1.5}, mpl={"linewidth": 1.5}, color=color)


def _panels(build: Callable[[str, np.ndarray], Any], elements: list, title: str) -> hv.Layout:
    return _layout([_figure(build(label, draws), f"{title}: {label}") for label, draws in elements], 1)


def trace(
    posterior: Posterior, var: str | None = None, *, index: int | Sequence[int] | None = None
) -> hv.Layout:
    """Trace plots: one panel per element of ``var``, one ``Curve`` per chain (value against draw).

    ``var`` names a sampled site (default ``"sigma"`` if sampled, else the first layer's kernel);
    ``index`` picks elements by flat (C-order) index, default the first 4. Each panel is an
    ``NdOverlay`` keyed by ``chain``.

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import sine_regression
    >>> x, y = sine_regression(n=20)
    >>> post = bp.fit(bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(4,)))), x, y, bp.SVI(steps=20, draws=8))
    >>> [panel.label for panel in trace(post)], len(trace(post, "net.Dense_0.kernel", index=[1, 3]))
    (['sigma'], 2)
    """
    elements = _elements(posterior, var, index)

    def build(label: str, draws: np.ndarray) -> hv.NdOverlay:
        vdim = hv.Dimension("value", label=label)
        curves = {
            c: _per_chain(hv.Curve((np.arange(d.size), d), "draw", vdim), c) for c, d in enumerate(draws)
        }
        return hv.NdOverlay(curves, kdims="chain", label=label)

    return _panels(build, elements, "Trace")


def rank(
    posterior: Posterior,
    var: str | None = None,
    *,
    index: int | Sequence[int] | None = None,
    bins: int = 20,
) -> hv.Layout:
    """Rank plots: per element, a ``Histogram`` per chain of the ranks of its draws among all chains.

    Well-mixed chains give flat histograms near the dashed line (draws / bins). Ranks run from 1
    to chains x draws (ties averaged); ``bins`` equal bins (at most the number of draws); each
    chain's counts sum to its number of draws. ``var`` and ``index`` as in ``trace``.

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import sine_regression
    >>> x, y = sine_regression(n=20)
    >>> post = bp.fit(bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(4,)))), x, y, bp.SVI(steps=20, draws=8))
    >>> int(rank(post, bins=4)[0].Histogram.Chain_0.dimension_values("count").sum())
    8
    """
    from scipy.stats import rankdata

    bins = check_count("bins", bins)
    elements = _elements(posterior, var, index)

    def build(label: str, draws: np.ndarray) -> hv.Overlay:
        chains, n = draws.shape
        k = min(bins, n)
        ranks = rankdata(draws.ravel()).reshape(draws.shape)
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
    posterior: Posterior, var: str | None = None, *, index: int | Sequence[int] | None = None
) -> hv.Layout:
    """Posterior densities: per element, a kernel density estimate (``Distribution``) per chain.

    ``var`` and ``index`` as in ``trace``; each panel is an ``NdOverlay`` keyed by ``chain``
    whose elements hold that chain's draws.

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import sine_regression
    >>> x, y = sine_regression(n=20)
    >>> post = bp.fit(bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(4,)))), x, y, bp.SVI(steps=20, draws=8))
    >>> densities(post)[0][0].dimension_values("value").shape  # panel 0 (sigma), chain 0
    (8,)
    """
    elements = _elements(posterior, var, index)

    def build(label: str, draws: np.ndarray) -> hv.NdOverlay:
        kdim = hv.Dimension("value", label=label)
        dists = {c: _per_chain(hv.Distribution(d, kdim), c) for c, d in enumerate(draws)}
        return hv.NdOverlay(dists, kdims="chain", label=label)

    return _panels(build, elements, "Density")


# --------------------------------------------------------------------------- fit and calibration


def loss(posterior: Posterior) -> hv.Curve:
    """The SVI loss (negative ELBO) per step on a log y axis.

    A loss that reaches 0 or below is drawn as ``loss - min(loss) + 1`` (the y label says so), so
    the log axis still shows the trend; non-finite losses are left as gaps.

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import sine_regression
    >>> x, y = sine_regression(n=20)
    >>> post = bp.fit(bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(4,)))), x, y, bp.SVI(steps=20, draws=8))
    >>> loss(post).dimension_values("step").tolist()[-3:]
    [17, 18, 19]
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
    curve = hv.Curve((np.arange(values.size), values), "step", hv.Dimension("loss", label=label))
    return _figure(_line(curve, BLUE, 1.5), "SVI loss", logy=True)


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


def calibration(
    pred: Predictions, y: Any, *, bins: int = 10, levels: Sequence[float] | None = None
) -> hv.Overlay:
    """Calibration: a reliability diagram (classification) or interval coverage (regression).

    Classification (``pred.probs``): ``metrics.reliability(y, pred.probs, bins)``, accuracy
    against confidence per bin (empty bins left out). Regression: ``metrics.coverage_curve(y,
    pred.y, levels)``, the observed coverage of central intervals against their level; needs the
    ``y`` draws (``predict(..., keep_samples=True)``). Both with the diagonal of perfect
    calibration. Returns an ``Overlay``: the diagonal ``Curve``, the model's ``Curve`` and its
    ``Scatter``.

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import sine_regression
    >>> x, y = sine_regression(n=20)
    >>> post = bp.fit(bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(4,)))), x, y, bp.SVI(steps=20, draws=8))
    >>> calibration(bp.predict(post, x, keep_samples=True), y, levels=[0.5, 0.9]).Curve.Model.kdims
    [Dimension('level', label='nominal level')]
    """
    from bnnppl import metrics

    pred = _check_pred(pred)
    y = _targets("y", y, pred.x.shape[0], "pred.x")
    if pred.probs is not None:
        r = metrics.reliability(y, pred.probs, bins)
        full = r.count > 0
        data = (r.confidence[full], r.accuracy[full])
        kdim, vdim = hv.Dimension("confidence"), hv.Dimension("accuracy")
        title = "Reliability"
    else:
        if pred.y is None:
            raise ValueError(
                "pred: has no draws of y (predicted with keep_samples=False); calibration needs them: "
                "bnnppl.predict(posterior, x, keep_samples=True)."
            )
        curve = metrics.coverage_curve(y, pred.y, metrics.DEFAULT_LEVELS if levels is None else levels)
        data = (curve.level, curve.coverage)
        kdim = hv.Dimension("level", label="nominal level")
        vdim = hv.Dimension("coverage", label="observed coverage")
        title = "Interval coverage"
    diagonal = _line(hv.Curve(([0.0, 1.0], [0.0, 1.0]), kdim, vdim, label="ideal"), BLACK, 1.0, dash=True)
    model = _line(hv.Curve(data, kdim, vdim, label="model"), BLUE)
    dots = _dots(hv.Scatter(data, kdim, vdim, label="model"), BLUE)
    return _figure(hv.Overlay([diagonal, model, dots]), title, legend_position="top_left")


# --------------------------------------------------------------------------- animation


def draws_animation(
    posterior: Posterior,
    x: Any,
    y: Any = None,
    *,
    frames: int = 20,
    resolution: int = 60,
    padding: float = 0.5,
) -> hv.HoloMap:
    """A ``HoloMap`` over posterior draws (a slider in bokeh): how the network varies between draws.

    ``frames`` draws evenly spaced over all draws (chains in order, as ``flat_samples``; fewer
    when the posterior has fewer draws), keyed by their flat index ``draw``. Inputs with one
    column: each frame is that draw's predictive mean (the network output ``f`` for a Gaussian)
    as a ``Curve`` on a grid, with the data ``Scatter`` when ``y`` is given. Two columns
    (classification): each frame is that draw's decision surface as in ``decision_surface``.

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import sine_regression
    >>> x, y = sine_regression(n=20)
    >>> post = bp.fit(bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(4,)))), x, y, bp.SVI(steps=20, draws=8))
    >>> draws_animation(post, x, y, frames=3).keys()
    [0, 4, 7]
    """
    from bnnppl.likelihoods import check_targets

    posterior = _check_posterior(posterior)
    frames = check_count("frames", frames)
    x = check_x(x)
    if x.shape[1] == 2:
        what = "a draws animation of decision surfaces"
        posterior, x, y, resolution, padding = _surface_inputs(posterior, x, y, what, resolution, padding)
    elif x.shape[1] == 1:
        if isinstance(posterior.bnn.likelihood, Categorical):
            raise ValueError(
                "posterior: a draws animation of curves (1-column x) needs a regression or Bernoulli "
                "likelihood, got Categorical."
            )
        if posterior.x.shape[1] != 1:
            raise ValueError(f"x: has 1 feature(s) but the model was fitted on {posterior.x.shape[1]}.")
        y = None if y is None else check_targets(posterior.bnn.likelihood, y, x.shape[0])
        resolution, padding = _grid_options(resolution, padding)
    else:
        raise ValueError(
            f"x: must have 1 column (curves) or 2 columns (decision surfaces) for a draws animation, "
            f"got {x.shape[1]}."
        )
    picks = np.linspace(0, posterior.num_samples - 1, min(frames, posterior.num_samples)).round().astype(int)
    flat = {k: v[picks][None] for k, v in posterior.flat_samples().items()}
    chosen = dataclasses.replace(posterior, samples=flat)  # the chosen draws as one chain
    build = _curve_frames if x.shape[1] == 1 else _surface_frames
    return hv.HoloMap(
        dict(zip(picks.tolist(), build(chosen, x, y, resolution, padding), strict=True)), kdims="draw"
    )


def _curve_frames(posterior: Posterior, x: np.ndarray, y: Any, resolution: int, padding: float) -> list:
    import jax.numpy as jnp

    from bnnppl.likelihoods import moments
    from bnnppl.predict import network_draws

    lo, hi = float(x.min()) - padding, float(x.max()) + padding
    grid = np.linspace(lo, hi if hi > lo else lo + 1.0, resolution)
    f = network_draws(posterior, grid[:, None].astype(np.float32))
    means = np.asarray(moments(posterior.bnn.likelihood, jnp.asarray(f), 1.0)[0])  # mean needs no sigma
    data = [] if y is None else [_dots(hv.Scatter((x[:, 0], y), "x", "y", label="data"), BLACK, 5)]
    return [
        _figure(
            hv.Overlay([_line(hv.Curve((grid, m), "x", "y", label="draw"), BLUE), *data]), "Posterior draw"
        )
        for m in means
    ]


def _surface_frames(posterior: Posterior, x: np.ndarray, y: Any, resolution: int, padding: float) -> list:
    import jax.numpy as jnp

    from bnnppl.likelihoods import moments
    from bnnppl.predict import network_draws

    xs, ys, grid = _grid(x, resolution, padding)
    per_draw = np.asarray(moments(posterior.bnn.likelihood, jnp.asarray(network_draws(posterior, grid)))[0])
    if per_draw.ndim == 2:  # Bernoulli: P(y = 1) per draw
        per_draw = np.stack([1 - per_draw, per_draw], axis=-1)
    return [
        _figure(hv.Overlay([*_probability_surface(p, xs, ys), *_points(x, y)]), "Posterior draw")
        for p in per_draw
    ]


# --------------------------------------------------------------------------- saving


def save_png(obj: Any, path: str | Path, *, dpi: int = 150) -> Path:
    """Write ``obj`` (any builder's output) to the PNG file ``path``, whole or not at all.

    Rendered with holoviews' matplotlib backend (no browser needed; needs ``matplotlib``). A
    ``HoloMap`` (``draws_animation``) is saved as its last frame. The folder is made if missing.
    Returns the path.

    >>> import tempfile
    >>> curve = hv.Curve(([0, 1, 2], [1, 3, 2]))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = save_png(curve, Path(tmp) / "curve.png")
    ...     out.read_bytes()[:4]
    b'\\x89PNG'
    """
    if not isinstance(obj, hv.core.Dimensioned):
        raise spec_error(
            "obj", f"must be a holoviews object (from bnnppl.plots), got {_quote(obj)}.", TypeError
        )
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"path: must end in '.png', got {str(path)!r}.")
    dpi = check_count("dpi", dpi)
    _load_backends()
    if not _has_matplotlib():
        raise ImportError("save_png: needs matplotlib; install it with: pip install matplotlib")
    if isinstance(obj, hv.HoloMap):
        obj = obj.last
    buffer = io.BytesIO()
    hv.save(obj, buffer, fmt="png", backend="matplotlib", dpi=dpi)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda tmp: tmp.write_bytes(buffer.getvalue()))
