"""Plots of ``Predictions``: the 1-D regression predictive, its uncertainty split, predicted against
observed (any number of inputs), calibration."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import holoviews as hv
import numpy as np

from bnnppl._checks import spec_error
from bnnppl._data import check_x
from bnnppl.plots._common import (
    BAND_LEVELS,
    BLACK,
    BLUE,
    ORANGE,
    _band,
    _check_pred,
    _columns,
    _dots,
    _figure,
    _layout,
    _line,
    _quote,
    _regression_pred,
    _style,
    _targets,
)

if TYPE_CHECKING:
    from bnnppl.results.prediction import Predictions

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


# --------------------------------------------------------------------------- any number of inputs


def predicted_vs_observed(pred: Predictions, y: Any) -> hv.Layout:
    """Two panels for a regression with any number of inputs: the predictive mean against the
    observed target, each with its central 95 % band as an error bar and the diagonal where a
    perfect prediction would sit; and the residuals (observed minus mean) against the mean,
    with the zero line. Needs ``pred.quantiles`` at 0.025 and 0.975 (``bnnppl.predict`` makes
    them). Returns a ``Layout`` of two ``Overlay`` panels.

    >>> import bnnppl as bp
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(30, 3)).astype(np.float32)
    >>> y = x @ np.array([1.0, -1.0, 0.5]) + 0.1 * rng.normal(size=30)
    >>> post = bp.fit(bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(4,)))), x, y, bp.SVI(steps=20, draws=8))
    >>> plot = predicted_vs_observed(bp.predict(post, x), y)
    >>> [[type(el).__name__ for el in panel] for panel in plot]
    [['Curve', 'ErrorBars', 'Scatter'], ['Curve', 'Scatter']]
    """
    pred = _check_pred(pred)
    if pred.probs is not None:
        raise ValueError(
            "pred: holds class probabilities (a classification likelihood); predicted_vs_observed needs "
            "predictions of a regression likelihood."
        )
    y = _targets("y", y, pred.x.shape[0], "pred.x")
    if pred.quantiles is None or not {0.025, 0.975} <= set(pred.quantiles):
        raise ValueError(
            "pred.quantiles: needs levels [0.025, 0.975] (the 95 % band), got "
            f"{sorted(pred.quantiles or {})}; bnnppl.predict(posterior, x) computes them."
        )
    mean = np.asarray(pred.mean, dtype=np.float64)
    low, high = (np.asarray(pred.quantiles[q], dtype=np.float64) for q in (0.025, 0.975))
    obs, pre = hv.Dimension("observed", label="observed y"), hv.Dimension("predicted", label="predicted y")
    ends = [float(min(y.min(), low.min())), float(max(y.max(), high.max()))]
    diagonal = _line(hv.Curve((ends, ends), obs, pre, label="perfect"), BLACK, 1.0, dash=True)
    bars = hv.ErrorBars((y, mean, mean - low, high - mean), obs, [pre, "below", "above"], label="95 % band")
    bars = _style(bars, bokeh={"line_alpha": 0.4}, mpl={"alpha": 0.4}, color=BLUE)
    dots = _dots(hv.Scatter((y, mean), obs, pre, label="predictive mean"), BLUE, 5)
    left = _figure(hv.Overlay([diagonal, bars, dots]), "Predicted against observed")
    res = hv.Dimension("residual", label="observed - predicted")
    zero = hv.Curve(([mean.min(), mean.max()], [0.0, 0.0]), pre, res, label="zero")
    residuals = _dots(hv.Scatter((mean, y - mean), pre, res, label="residual"), BLUE, 5)
    right = _figure(hv.Overlay([_line(zero, BLACK, 1.0, dash=True), residuals]), "Residuals")
    return _layout([left, right], 2)


# --------------------------------------------------------------------------- calibration


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
    from bnnppl.results import metrics

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
