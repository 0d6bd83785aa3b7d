"""``draws_animation``: a ``HoloMap`` over posterior draws, each frame one draw's curve or surface."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import holoviews as hv
import numpy as np

from bnnppl._checks import check_count
from bnnppl._data import check_x
from bnnppl.plots._common import (
    BLACK,
    BLUE,
    _band,
    _check_posterior,
    _dots,
    _draw_means,
    _figure,
    _grid,
    _grid_options,
    _line,
    _points,
    _surface_inputs,
)
from bnnppl.plots.classification import _probability_surface
from bnnppl.plots.predictive import _area
from bnnppl.spec.likelihoods import Categorical

if TYPE_CHECKING:
    from bnnppl.results.posterior import Posterior

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
    as a ``Curve`` on a grid, in front of the whole posterior's 95 % predictive band (regression:
    an ``Area``, the same in every frame) and with the data ``Scatter`` when ``y`` is given. Two columns
    (classification): each frame is that draw's decision surface as in ``decision_surface``.

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import sine_regression
    >>> x, y = sine_regression(n=20)
    >>> post = bp.fit(bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(4,)))), x, y, bp.SVI(steps=20, draws=8))
    >>> draws_animation(post, x, y, frames=3).keys()
    [0, 4, 7]
    """
    from bnnppl.model.likelihoods import check_targets

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
    build = _curve_frames if x.shape[1] == 1 else _surface_frames
    return hv.HoloMap(
        dict(zip(picks.tolist(), build(posterior, picks, x, y, resolution, padding), strict=True)),
        kdims="draw",
    )


def _chosen(posterior: Posterior, picks: np.ndarray) -> Posterior:
    """The draws ``picks`` (flat indices, as ``flat_samples``) of ``posterior`` as one chain."""
    flat = {k: v[picks][None] for k, v in posterior.flat_samples().items()}
    return dataclasses.replace(posterior, samples=flat)


def _curve_frames(
    posterior: Posterior, picks: np.ndarray, x: np.ndarray, y: Any, resolution: int, padding: float
) -> list:
    from bnnppl.results.draws import network_draws
    from bnnppl.results.prediction import predict

    lo, hi = float(x.min()) - padding, float(x.max()) + padding
    grid = np.linspace(lo, hi if hi > lo else lo + 1.0, resolution)
    # one pass over every draw gives the band and, kept, the chosen draws' f: no pass of their own
    pred = predict(posterior, grid[:, None])
    band = pred.quantiles  # None: a classifier's curve
    behind = [] if not band else [_band(_area(grid, band[0.025], band[0.975], "95 % band"), BLUE, 0.15)]
    if pred.f is not None and posterior.bnn.latent is None:
        f = pred.f[picks]
    else:  # too many draws to keep; or z*: each draw's f averages the z* drawn for the chosen draws
        f = network_draws(_chosen(posterior, picks), grid[:, None].astype(np.float32))
    means = np.asarray(_draw_means(posterior.bnn.likelihood)(f))
    data = [] if y is None else [_dots(hv.Scatter((x[:, 0], y), "x", "y", label="data"), BLACK, 5)]
    return [
        _figure(
            hv.Overlay([*behind, _line(hv.Curve((grid, m), "x", "y", label="draw"), BLUE), *data]),
            "Posterior draw",
            legend_position="top_left",
        )
        for m in means
    ]


def _surface_frames(
    posterior: Posterior, picks: np.ndarray, x: np.ndarray, y: Any, resolution: int, padding: float
) -> list:
    from bnnppl.results.draws import network_draws

    xs, ys, grid = _grid(x, resolution, padding)
    f = network_draws(_chosen(posterior, picks), grid)
    per_draw = np.asarray(_draw_means(posterior.bnn.likelihood)(f))
    if per_draw.ndim == 2:  # Bernoulli: P(y = 1) per draw
        per_draw = np.stack([1 - per_draw, per_draw], axis=-1)
    return [
        _figure(hv.Overlay([*_probability_surface(p, xs, ys), *_points(x, y)]), "Posterior draw")
        for p in per_draw
    ]
