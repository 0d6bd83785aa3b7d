"""2-D classification plots: decision surface, uncertainty map, the MAP draw (``log_joint``)."""

from __future__ import annotations

import dataclasses
import weakref
from typing import TYPE_CHECKING, Any

import holoviews as hv
import numpy as np

from bnnppl._checks import check_choice
from bnnppl.plots._common import (
    BLACK,
    CLASS_COLORS,
    KINDS,
    _check_posterior,
    _draw_means,
    _figure,
    _grid,
    _image,
    _points,
    _style,
    _surface_inputs,
)
from bnnppl.spec.likelihoods import Bernoulli

if TYPE_CHECKING:
    from bnnppl.results.posterior import Posterior

# --------------------------------------------------------------------------- 2-D classification


_LAST: list[tuple[weakref.ref, bytes, Any]] = []  # the last grid's predictions, for the next plot


def _grid_predictions(posterior: Posterior, grid: np.ndarray) -> Any:
    """``predict(posterior, grid, keep_samples=False)``, kept (one posterior, weakly, and one grid)
    for the next plot of the same two: a report draws the class map, the probability surface and
    two uncertainty maps on one grid, which would otherwise predict it four times over."""
    from bnnppl.results.prediction import predict

    key = grid.tobytes()
    if _LAST and _LAST[0][0]() is posterior and _LAST[0][1] == key:
        return _LAST[0][2]
    pred = predict(posterior, grid, keep_samples=False)
    _LAST[:] = [(weakref.ref(posterior), key, pred)]
    return pred


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


SURFACES = ("class", "probability")


def decision_surface(
    posterior: Posterior,
    x: Any,
    y: Any,
    *,
    resolution: int = 60,
    padding: float = 0.5,
    show: str = "probability",
) -> hv.Overlay:
    """The predictive class probability of a 2-D classifier on a grid, with the data by class.

    The grid spans ``x`` plus ``padding`` on every side with ``resolution`` points per axis;
    ``y`` holds the labels of ``x`` (``None``: plain points). ``show="probability"``: with two
    classes (Bernoulli, or Categorical with 2 classes) ``P(y = 1)`` and its 0.5 contour; with
    more, the probability of the predicted class. ``show="class"``: the class map, each grid
    point in the colour of its most probable class (``CLASS_COLORS``, as the points). Returns
    an ``Overlay``: ``Image`` (key dimensions ``x0``, ``x1``, value ``probability`` or
    ``class``), ``Contours`` (two classes, probability) and one ``Points`` per class.

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import two_moons
    >>> x, y = two_moons(n=40)
    >>> bnn = bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(4,)), likelihood=bp.Bernoulli()))
    >>> post = bp.fit(bnn, x, y, bp.SVI(steps=20, draws=8))
    >>> plot = decision_surface(post, x, y, resolution=30)
    >>> [type(el).__name__ for el in plot], plot.Image.I.dimension_values("probability", flat=False).shape
    (['Image', 'Contours', 'Points', 'Points'], (30, 30))
    >>> decision_surface(post, x, y, resolution=30, show="class").Image.I.vdims[0].name
    'class'
    """
    check_choice("show", show, SURFACES, "surface")
    posterior, x, y, resolution, padding = _surface_inputs(
        posterior, x, y, "a decision surface", resolution, padding
    )
    xs, ys, grid = _grid(x, resolution, padding)
    probs = _grid_predictions(posterior, grid).probs
    if show == "class":
        k = probs.shape[1]
        colors = [CLASS_COLORS[c % len(CLASS_COLORS)] for c in range(k)]
        img = _image(xs, ys, probs.argmax(1), hv.Dimension("class"), colors, (-0.5, k - 0.5))
        return _figure(hv.Overlay([_style(img, alpha=0.45), *_points(x, y)]), "Most probable class")
    return _figure(hv.Overlay([*_probability_surface(probs, xs, ys), *_points(x, y)]), "Decision surface")


def _probability_std(posterior: Posterior, grid: np.ndarray, mean_probs: np.ndarray) -> np.ndarray:
    """Std between draws of P(y = 1) (two classes) or of the predicted class's probability."""
    from bnnppl.results.draws import network_draws

    spec = posterior.bnn.likelihood
    per_draw = np.asarray(_draw_means(spec)(network_draws(posterior, grid)))  # (S, n[, K])
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
    kind = check_choice("kind", kind, KINDS, "uncertainty kind")
    posterior, x, y, resolution, padding = _surface_inputs(
        posterior, x, y, "an uncertainty map", resolution, padding
    )
    xs, ys, grid = _grid(x, resolution, padding)
    pred = _grid_predictions(posterior, grid)
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
    deterministic layers held at ``posterior.fixed``) at the data as the model saw them
    (``posterior.model_data()``: standardised when the fit scaled them), mapped over draws in
    batches.

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
    bnn, (x, y) = posterior.bnn, posterior.model_data()
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
    from bnnppl.results.prediction import predict

    posterior, x, y, resolution, padding = _surface_inputs(
        posterior, x, y, "a MAP contour plot", resolution, padding
    )
    chain, draw = divmod(int(np.argmax(log_joint(posterior))), posterior.num_draws)
    xs, ys, grid = _grid(x, resolution, padding)
    probs = predict(_one_draw(posterior, int(chain), int(draw)), grid, keep_samples=False).probs
    surface = _probability_surface(probs, xs, ys)
    surface[0] = surface[0].relabel(f"MAP draw: chain {chain}, draw {draw}")
    return _figure(hv.Overlay([*surface, *_points(x, y)]), f"MAP draw (chain {chain}, draw {draw})")
