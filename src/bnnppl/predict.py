"""Posterior prediction, chunked over inputs and draws so memory stays bounded.

``predict(posterior, x)`` runs the network for every posterior draw on ``x`` and returns
``Predictions``: the predictive mean and spread of ``y``, credible bands, and the split of
uncertainty into an epistemic part (disagreement between draws) and an aleatoric part (the
likelihood's own noise). Inputs are processed ``chunk`` rows at a time and draws in batches,
so 4000 draws x 100 000 points run in a few GB with ``keep_samples=False``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np
from numpyro import handlers

from bnnppl import likelihoods
from bnnppl._checks import check_count
from bnnppl._data import check_x
from bnnppl.model import BNN, SIGMA
from bnnppl.spec import Bernoulli, Categorical

if TYPE_CHECKING:
    from bnnppl.posterior import Posterior

LEVELS = (0.025, 0.25, 0.5, 0.75, 0.975)
_BATCH_BUDGET = 2**20  # draws x points evaluated at once inside one chunk
_KEEP_LIMIT = 2**26  # keep_samples=None keeps draws while draws x points x outputs is below this


def _per_draw(bnn: BNN, sample: dict, subs: dict, x: jax.Array, key: jax.Array, y: Any, what: str):
    data = {**sample, **subs}
    f = handlers.substitute(handlers.seed(lambda x: bnn.network(x)(x), 0), data=data)(x)
    sigma = sample.get(SIGMA, likelihoods.fixed_noise(bnn.likelihood))
    if what == "f":
        return f
    d = likelihoods.distribution(bnn.likelihood, f, sigma)
    if what == "loglik":
        return d.log_prob(y)
    mean, var = likelihoods.moments(bnn.likelihood, f, sigma)
    return f, mean, var, d.sample(key)


def _compiled(bnn: BNN, what: str, batch: int):
    """One jitted function per (BNN, output kind, draw batch): draws are mapped, inputs shared."""
    cache = bnn._compiled
    if (what, batch) not in cache:

        def run(samples, subs, x, keys, y):
            return jax.lax.map(
                lambda a: _per_draw(bnn, a[0], subs, x, a[1], y, what), (samples, keys), batch_size=batch
            )

        cache[(what, batch)] = jax.jit(run)
    return cache[(what, batch)]


def _chunks(posterior: Posterior, x: np.ndarray, what: str, *, y=None, seed: int = 0, chunk: int = 4096):
    """Yield ``(rows, outputs)`` with outputs for every draw on ``x[rows]``."""
    n = x.shape[0]
    size = min(n, chunk)
    samples = {k: jnp.asarray(v) for k, v in posterior.flat_samples().items()}
    draws = posterior.num_samples
    batch = max(1, min(draws, _BATCH_BUDGET // size))
    fn = _compiled(posterior.bnn, what, batch)
    subs = posterior.bnn.fixed_substitutions(posterior.fixed, x.shape[1])
    key = jax.random.key(seed)
    for i, start in enumerate(range(0, n, size)):
        rows = slice(start, min(start + size, n))
        pad = size - (rows.stop - start)
        xc = np.pad(x[rows], ((0, pad), (0, 0)), mode="edge")  # a fixed shape: one compilation
        yc = None if y is None else np.pad(y[rows], (0, pad), mode="edge")
        keys = jax.random.split(jax.random.fold_in(key, i), draws)
        out = fn(samples, subs, xc, keys, yc)
        keep = size - pad
        yield rows, jax.tree.map(lambda a, keep=keep: np.asarray(a)[:, :keep], out)


def network_draws(posterior: Posterior, x: Any, *, chunk: int = 4096) -> np.ndarray:
    """The network output for every draw on ``x``: shape ``(draws, n_points, n_outputs)``."""
    x = check_x(x)
    parts = [out for _, out in _chunks(posterior, x, "f", chunk=chunk)]
    return np.concatenate(parts, axis=1)


def log_likelihood(posterior: Posterior, x: Any, y: Any, *, chunk: int = 4096) -> np.ndarray:
    """``log p(y_i | draw s)`` of shape ``(draws, n_points)``: for LOO, WAIC and test log-likelihood."""
    x = check_x(x)
    y = likelihoods.check_targets(posterior.bnn.likelihood, y, x.shape[0])
    return np.concatenate([out for _, out in _chunks(posterior, x, "loglik", y=y, chunk=chunk)], axis=1)


@dataclass(frozen=True, eq=False)
class Predictions:
    """Posterior predictions at inputs ``x`` (``n`` points, ``S`` draws). Fields:

    - ``f``: network output draws ``(S, n, outputs)``, ``y``: draws of the target ``(S, n)``;
      both ``None`` when not kept (``keep_samples``).
    - ``mean``: predictive mean of ``y`` ``(n,)`` (Bernoulli: P(y = 1); Categorical: ``None``).
    - ``std``: predictive standard deviation ``(n,)`` (Categorical: ``None``).
    - ``epistemic`` / ``aleatoric`` ``(n,)``: regression and counts: the variance of the per-draw
      means / the mean of the per-draw likelihood variances (they add up to ``std**2``);
      classification: the mutual information / the expected entropy (they add up to ``entropy``).
    - ``quantiles``: level -> ``(n,)`` quantiles of the ``y`` draws (the predictive band);
      ``mean_quantiles``: the same for the per-draw means (the band of the mean function);
      ``hdi``: ``(n, 2)`` 95 % highest-density interval of the ``y`` draws. ``None`` for classes.
    - ``probs``: ``(n, K)`` predictive class probabilities, ``entropy``: ``(n,)`` their entropy
      (classification only, else ``None``).
    """

    x: np.ndarray
    f: np.ndarray | None
    y: np.ndarray | None
    mean: np.ndarray | None
    std: np.ndarray | None
    epistemic: np.ndarray
    aleatoric: np.ndarray
    quantiles: dict[float, np.ndarray] | None
    mean_quantiles: dict[float, np.ndarray] | None
    hdi: np.ndarray | None
    probs: np.ndarray | None
    entropy: np.ndarray | None


def hdi(draws: np.ndarray, prob: float = 0.95) -> np.ndarray:
    """Highest-density interval of ``draws`` (shape ``(S, n)``) per point: ``(n, 2)``.

    >>> hdi(np.arange(100.0)[:, None], 0.9).tolist()
    [[0.0, 89.0]]
    """
    s = np.sort(draws, axis=0)
    width = int(np.ceil(prob * s.shape[0]))
    spans = s[width - 1 :] - s[: s.shape[0] - width + 1]
    lo = np.argmin(spans, axis=0)
    cols = np.arange(s.shape[1])
    return np.stack([s[lo, cols], s[lo + width - 1, cols]], axis=1)


def _entropy(p: np.ndarray) -> np.ndarray:
    return -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), axis=-1)


def _summarise(spec, f, mean_s, var_s, y_s, keep: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"f": f if keep else None, "y": y_s if keep else None}
    if isinstance(spec, Bernoulli | Categorical):
        per_draw = np.stack([1 - mean_s, mean_s], -1) if isinstance(spec, Bernoulli) else mean_s
        probs = per_draw.mean(0)
        expected = _entropy(per_draw).mean(0)
        total = _entropy(probs)
        p1 = probs[:, 1] if isinstance(spec, Bernoulli) else None
        out |= {
            "mean": p1,
            "std": None if p1 is None else np.sqrt(p1 * (1 - p1)),
            "epistemic": np.maximum(total - expected, 0.0),
            "aleatoric": expected,
            "quantiles": None,
            "mean_quantiles": None,
            "hdi": None,
            "probs": probs,
            "entropy": total,
        }
        return out
    epistemic, aleatoric = mean_s.var(0), var_s.mean(0)
    out |= {
        "mean": mean_s.mean(0),
        "std": np.sqrt(epistemic + aleatoric),
        "epistemic": epistemic,
        "aleatoric": aleatoric,
        "quantiles": dict(zip(LEVELS, np.quantile(y_s, LEVELS, axis=0), strict=True)),
        "mean_quantiles": dict(zip(LEVELS, np.quantile(mean_s, LEVELS, axis=0), strict=True)),
        "hdi": hdi(y_s),
        "probs": None,
        "entropy": None,
    }
    return out


def predict(
    posterior: Posterior,
    x: Any,
    *,
    seed: int = 0,
    keep_samples: bool | None = None,
    chunk: int = 4096,
) -> Predictions:
    """Predictions of ``posterior`` at inputs ``x`` of shape ``(n_points, n_features)``.

    ``keep_samples``: keep the draws of ``f`` and ``y`` (``None``: keep them while draws x points
    x outputs stays under 67 million values). ``chunk``: input rows per pass. ``seed`` draws ``y``.
    """
    x = check_x(x)
    check_count("chunk", chunk)
    width = posterior.x.shape[1]
    if x.shape[1] != width:
        raise ValueError(f"x: has {x.shape[1]} feature(s) but the model was fitted on {width}.")
    spec = posterior.bnn.likelihood
    if keep_samples is None:
        keep_samples = posterior.num_samples * x.shape[0] * spec.n_outputs <= _KEEP_LIMIT
    parts = [
        _summarise(spec, *out, keep_samples)
        for _, out in _chunks(posterior, x, "all", seed=seed, chunk=chunk)
    ]
    merged: dict[str, Any] = {"x": x}
    for name in Predictions.__dataclass_fields__:
        if name == "x":
            continue
        values = [p[name] for p in parts]
        if values[0] is None:
            merged[name] = None
        elif isinstance(values[0], dict):
            merged[name] = {k: np.concatenate([v[k] for v in values]) for k in values[0]}
        else:
            merged[name] = np.concatenate(values, axis=1 if name in ("f", "y") else 0)
    return Predictions(**merged)
