"""Observation models: how targets relate to the network output ``f`` of shape ``(n, outputs)``.

Each likelihood spec (``bnnppl.spec``) gets four things here:

- ``check_targets(spec, y, n_points)``: the targets validated and converted (before tracing);
- ``noise_distribution(spec)``: the prior of the noise scale ``sigma`` when it is learned;
- ``distribution(spec, f, sigma)``: the distribution of ``y`` (batch shape ``(n,)``);
- ``moments(spec, f, sigma)``: the predictive mean and variance of ``y`` given one draw, which
  prediction uses to split epistemic from aleatoric uncertainty. For ``Categorical`` both have
  shape ``(n, classes)`` (the one-hot mean and variance); otherwise ``(n,)``.

>>> import jax.numpy as jnp
>>> from bnnppl.spec import Gaussian
>>> mean, var = moments(Gaussian(noise=0.5), jnp.zeros((3, 1)), 0.5)
>>> var.tolist()
[0.25, 0.25, 0.25]
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist

from bnnppl._data import check_y, first_bad, row_error, shown, to_float32
from bnnppl.model.priors import scale_distribution
from bnnppl.spec.likelihoods import (
    Bernoulli,
    Categorical,
    Gaussian,
    HeteroscedasticGaussian,
    Likelihood,
    Poisson,
    StudentT,
)

__all__ = [
    "check_targets",
    "distribution",
    "fixed_noise",
    "moments",
    "noise_distribution",
    "original_units",
]

_PROB_EPS = float(jnp.finfo(jnp.float32).eps)


def _is_integer(arr: np.ndarray) -> np.ndarray:
    return np.equal(np.floor(arr), arr)


def check_targets(spec: Likelihood, y: Any, n_points: int, name: str = "y") -> np.ndarray:
    """``y`` checked against the likelihood's support: float32, or int32 class labels.

    >>> check_targets(Categorical(classes=3), [0, 2, 1], n_points=3)
    array([0, 2, 1], dtype=int32)
    """
    arr = check_y(y, n_points, name)
    if isinstance(spec, Bernoulli):
        _support(name, arr, (arr == 0) | (arr == 1), "Bernoulli labels must be 0 or 1")
    elif isinstance(spec, Categorical):
        k = spec.classes
        rule = f"Categorical labels must be integers in 0..{k - 1} (classes={k})"
        _support(name, arr, _is_integer(arr) & (arr >= 0) & (arr <= k - 1), rule)
        return arr.astype(np.int32)
    elif isinstance(spec, Poisson):
        _support(name, arr, _is_integer(arr) & (arr >= 0), "Poisson counts must be non-negative integers")
    return to_float32(name, arr)


def _support(name: str, arr: np.ndarray, ok: np.ndarray, rule: str) -> None:
    """Raise ``"{name}: {rule}, got {value} at row {row}."`` for the first target that is not ``ok``
    (the error carries the row: ``bnnppl._data.row_error``)."""
    bad = first_bad(arr, ok)
    if bad:
        message = f"{name}: {rule}, got {bad[0]!r} at row {bad[1]}."
        raise row_error(message, (bad[1],), f"{rule}, got {shown(bad[0])}.")


def noise_distribution(spec: Likelihood) -> dist.Distribution | None:
    """The prior of the learned noise scale ``sigma``; ``None`` when it is fixed or absent.

    >>> noise_distribution(Gaussian(noise=0.1)) is None, type(noise_distribution(Gaussian())).__name__
    (True, 'HalfCauchy')
    """
    prior = getattr(spec, "noise_prior", None)
    return scale_distribution(prior) if prior is not None else None


def fixed_noise(spec: Likelihood) -> float | None:
    """The fixed noise scale, if the spec gives one.

    >>> fixed_noise(Gaussian(noise=0.1)), fixed_noise(Poisson())
    (0.1, None)
    """
    return getattr(spec, "noise", None)


def _probs(spec: Bernoulli, f0: jax.Array) -> jax.Array:
    if spec.link == "logit":
        return jax.nn.sigmoid(f0)
    return jnp.clip(f0, _PROB_EPS, 1 - _PROB_EPS)


def distribution(spec: Likelihood, f: jax.Array, sigma: Any = None) -> dist.Distribution:
    """The distribution of ``y`` given network output ``f`` (and noise scale ``sigma``).

    >>> distribution(Categorical(classes=3), jnp.zeros((5, 3))).batch_shape
    (5,)
    """
    if isinstance(spec, Gaussian):
        return dist.Normal(f[..., 0], sigma)
    if isinstance(spec, HeteroscedasticGaussian):
        return dist.Normal(f[..., 0], jnp.exp(f[..., 1]))
    if isinstance(spec, StudentT):
        return dist.StudentT(spec.df, f[..., 0], sigma)
    if isinstance(spec, Bernoulli):
        if spec.link == "logit":
            return dist.BernoulliLogits(f[..., 0])
        return dist.BernoulliProbs(_probs(spec, f[..., 0]))
    if isinstance(spec, Categorical):
        return dist.CategoricalLogits(f)
    if isinstance(spec, Poisson):
        return dist.Poisson(jnp.exp(f[..., 0]))
    raise TypeError(f"likelihood: not a likelihood spec: {spec!r}")


def original_units(spec: Likelihood, f: jax.Array, sigma: Any, loc: Any, scale: Any) -> tuple[Any, Any]:
    """``(f, sigma)`` of a model fitted to targets standardised as ``(y - loc) / scale``, moved to
    the targets' own units: the location ``loc + scale * f``, a log scale ``f + log(scale)``, the
    noise ``scale * sigma``. ``distribution`` and ``moments`` of the result then speak of the
    original targets (the log density carries the Jacobian ``-log(scale)``). Likelihoods of labels
    and counts are returned unchanged.

    >>> f, sigma = original_units(HeteroscedasticGaussian(), jnp.zeros((1, 2)), None, 10.0, 2.0)
    >>> f.tolist(), sigma
    ([[10.0, 0.6931471824645996]], None)
    """
    if not isinstance(spec, Gaussian | HeteroscedasticGaussian | StudentT):
        return f, sigma
    f = f.at[..., 0].set(loc + scale * f[..., 0])
    if isinstance(spec, HeteroscedasticGaussian):
        return f.at[..., 1].add(jnp.log(scale)), sigma
    return f, scale * sigma


def moments(spec: Likelihood, f: jax.Array, sigma: Any = None) -> tuple[jax.Array, jax.Array]:
    """Predictive ``(mean, variance)`` of ``y`` given one draw of ``f`` (and ``sigma``).

    The Student-t mean is its location (the mean when ``df > 1``); its variance is infinite for
    ``df <= 2``.

    >>> mean, var = moments(Poisson(), jnp.log(jnp.array([[2.0], [5.0]])))
    >>> var.round(3).tolist()
    [2.0, 5.0]
    """
    if isinstance(spec, Gaussian):
        mean = f[..., 0]
        return mean, jnp.broadcast_to(jnp.square(sigma), mean.shape)
    if isinstance(spec, HeteroscedasticGaussian):
        return f[..., 0], jnp.exp(2 * f[..., 1])
    if isinstance(spec, StudentT):
        mean = f[..., 0]
        factor = spec.df / (spec.df - 2) if spec.df > 2 else jnp.inf
        return mean, jnp.broadcast_to(jnp.square(sigma) * factor, mean.shape)
    if isinstance(spec, Bernoulli):
        p = _probs(spec, f[..., 0])
        return p, p * (1 - p)
    if isinstance(spec, Categorical):
        p = jax.nn.softmax(f, axis=-1)
        return p, p * (1 - p)
    if isinstance(spec, Poisson):
        rate = jnp.exp(f[..., 0])
        return rate, rate
    raise TypeError(f"likelihood: not a likelihood spec: {spec!r}")
