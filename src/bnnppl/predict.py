"""Posterior prediction, chunked over inputs and draws so memory stays bounded.

``predict(posterior, x)`` runs the network for every posterior draw on ``x`` and returns
``Predictions``: the predictive mean and spread of ``y``, credible bands, and the split of
uncertainty into an epistemic part (disagreement between draws) and an aleatoric part (the
likelihood's own noise). Inputs are processed ``chunk`` rows at a time and draws in batches,
so 4000 draws x 100 000 points run in bounded memory with ``keep_samples=False`` (about 1.3 GB
peak for the whole process, fit included, measured in ``bench/predict_throughput.py``).

A model with a latent input (``ModelSpec(latent=LatentInput())``, BNN+LV) is marginalised over
it: for every weight draw, ``latent_draws`` values ``z* ~ Normal(0, variance)`` per input point
are drawn from the prior (the fitted ``z`` belong to the training points and are not used). A
draw's predictive mean is the mean over ``z*`` of the likelihood mean, its variance the mean of
the likelihood variance plus the variance of the likelihood mean over ``z*``; so the aleatoric
part holds the noise the network expresses through ``z`` (heteroscedastic, multimodal), and the
epistemic part stays the disagreement between weight draws. ``z*`` for draw ``s`` and input row
``i`` depends only on ``seed``, ``s`` and ``i``: not on chunking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp
from numpyro import handlers

from bnnppl import likelihoods
from bnnppl._checks import check_count
from bnnppl._data import check_x
from bnnppl.model import BNN, LATENT, SIGMA, with_latent
from bnnppl.spec import Bernoulli, Categorical

if TYPE_CHECKING:
    from bnnppl.posterior import Posterior

LEVELS = (0.025, 0.25, 0.5, 0.75, 0.975)
_BATCH_BUDGET = 2**22  # draws x latent draws x points evaluated at once (one vmap batch of draws)
_CHUNK_BUDGET = 2**21  # draws x latent draws x points per chunk of inputs when chunk=None (2-core CPU)
_KEEP_LIMIT = 2**26  # keep_samples=None keeps draws while draws x points x outputs is below this


def _per_draw(
    bnn: BNN, sample: dict, subs: dict, x: jax.Array, key: jax.Array, y: Any, what: str, z: Any = None
):
    """One weight draw's outputs on ``x``; with latent draws ``z`` ``(K, rows)``, marginalised over them."""
    data = {**sample, **subs}
    inputs = x if z is None else with_latent(x, z)  # (rows, width) or (K, rows, width)
    f = handlers.substitute(handlers.seed(lambda x, i: bnn.network(x)(i), 0), data=data)(x, inputs)
    sigma = sample.get(SIGMA, likelihoods.fixed_noise(bnn.likelihood))
    if z is not None:
        return _per_draw_latent(bnn, f, sigma, key, y, what)
    if what == "f":
        return f
    d = likelihoods.distribution(bnn.likelihood, f, sigma)
    if what == "loglik":
        return d.log_prob(y)
    mean, var = likelihoods.moments(bnn.likelihood, f, sigma)
    return f, mean, var, d.sample(key)


def _per_draw_latent(bnn: BNN, f: jax.Array, sigma: Any, key: jax.Array, y: Any, what: str):
    """``f`` of shape ``(K, rows, outputs)`` over ``K`` latent draws, reduced over them."""
    if what == "f":
        return f.mean(0)
    if what == "loglik":
        d = likelihoods.distribution(bnn.likelihood, f, sigma)
        log_p = d.log_prob(jnp.broadcast_to(y, d.batch_shape))
        return logsumexp(log_p, axis=0) - np.log(f.shape[0])
    means, variances = likelihoods.moments(bnn.likelihood, f, sigma)
    y_draw = likelihoods.distribution(bnn.likelihood, f[0], sigma).sample(key)  # y at one z*
    return f.mean(0), means.mean(0), variances.mean(0) + means.var(0), y_draw


def _latent_draws(bnn: BNN, key: jax.Array, rows: jax.Array, draws: int) -> jax.Array:
    """``z*`` of shape ``(draws, len(rows))`` from the prior; row ``i`` from ``fold_in(key, i)``."""
    z = jax.vmap(lambda r: jax.random.normal(jax.random.fold_in(key, r), (draws,)))(rows)
    return jnp.sqrt(bnn.latent.variance) * z.T


def _sorted_quantiles(s: np.ndarray) -> np.ndarray:
    """``LEVELS`` quantiles of draws sorted along axis 0 (NumPy's linear interpolation): ``(5, n)``."""
    pos = np.asarray(LEVELS) * (s.shape[0] - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, s.shape[0] - 1)
    frac = (pos - lo).reshape(-1, *([1] * (s.ndim - 1)))
    return (s[lo] + (s[hi] - s[lo]) * frac).astype(s.dtype)


def _sorted_hdi(s: np.ndarray, prob: float = 0.95) -> np.ndarray:
    """The narrowest interval holding ``prob`` of draws sorted along axis 0: ``(n, 2)``."""
    width = int(np.ceil(prob * s.shape[0]))
    lo = np.argmin(s[width - 1 :] - s[: s.shape[0] - width + 1], axis=0)
    cols = np.arange(s.shape[1])
    return np.stack([s[lo, cols], s[lo + width - 1, cols]], axis=-1)


def _entropy(p: jax.Array) -> jax.Array:
    return jax.scipy.special.entr(p).sum(-1)


def _reduce(spec: Any, f, mean_s, var_s, y_s, keep: bool) -> dict[str, Any]:
    """On the device: reduce one chunk's draws ``(S, c, ...)`` to ``(c, ...)``; order statistics
    (quantiles, HDI) need sorted draws, which NumPy does far faster than XLA on a CPU."""
    out: dict[str, Any] = {"f": f, "y": y_s} if keep else {}
    if isinstance(spec, Bernoulli | Categorical):
        per_draw = jnp.stack([1 - mean_s, mean_s], -1) if isinstance(spec, Bernoulli) else mean_s
        probs = per_draw.mean(0)
        expected, total = _entropy(per_draw).mean(0), _entropy(probs)
        out |= {"probs": probs, "entropy": total, "aleatoric": expected}
        out["epistemic"] = jnp.maximum(total - expected, 0.0)
        if isinstance(spec, Bernoulli):
            out |= {"mean": probs[:, 1], "std": jnp.sqrt(probs[:, 1] * probs[:, 0])}
        return out
    epistemic, aleatoric = mean_s.var(0), var_s.mean(0)
    out |= {
        "mean": mean_s.mean(0),
        "std": jnp.sqrt(epistemic + aleatoric),
        "epistemic": epistemic,
        "aleatoric": aleatoric,
        "_y": y_s,
        "_means": mean_s,
    }
    return out


def _order_statistics(out: dict[str, Any]) -> dict[str, Any]:
    """On the host: quantile bands and HDI from the chunk's draws (dropped afterwards)."""
    if "_y" not in out:
        return out
    ys = np.sort(out.pop("_y"), axis=0)
    out["quantiles"] = _sorted_quantiles(ys)
    out["mean_quantiles"] = _sorted_quantiles(np.sort(out.pop("_means"), axis=0))
    out["hdi"] = _sorted_hdi(ys)
    return out


def _compiled(bnn: BNN, what: str, batch: int, keep: bool = True, latent_draws: int = 0):
    """One jitted function per (BNN, output kind, draw batch, keep, latent draws): draws mapped,
    inputs shared. ``latent_draws``: ``z*`` per point and weight draw (0: no latent input)."""
    cache = bnn._compiled
    if (what, batch, keep, latent_draws) not in cache:

        def one(a, subs, x, y, rows):
            sample, key, zkey = a
            z = None if zkey is None else _latent_draws(bnn, zkey, rows, latent_draws)
            return _per_draw(bnn, sample, subs, x, key, y, what, z)

        def run(samples, subs, x, keys, y, zkeys, rows):
            out = jax.lax.map(lambda a: one(a, subs, x, y, rows), (samples, keys, zkeys), batch_size=batch)
            return _reduce(bnn.likelihood, *out, keep) if what == "all" else out

        cache[(what, batch, keep, latent_draws)] = jax.jit(run)
    return cache[(what, batch, keep, latent_draws)]


def _chunk_rows(n: int, draws: int, chunk: int | None) -> int:
    """Rows per chunk: ``chunk``, or about ``_CHUNK_BUDGET / draws``, spread evenly over ``n``."""
    size = chunk if chunk is not None else max(256, _CHUNK_BUDGET // draws)
    pieces = -(-n // min(n, size))
    return -(-n // pieces)  # equal chunks: the last one needs little padding


def _chunks(
    posterior: Posterior,
    x: np.ndarray,
    what: str,
    *,
    y=None,
    seed: int = 0,
    chunk: int | None = None,
    keep: bool = True,
    latent_draws: int = 1,
):
    """Yield ``(rows, outputs)`` with outputs for every draw on ``x[rows]`` (or their summaries)."""
    n = x.shape[0]
    bnn = posterior.bnn
    draws = posterior.num_samples
    k = latent_draws if bnn.latent is not None else 1  # network passes per point and draw
    size = _chunk_rows(n, draws * k, chunk)
    samples = {name: jnp.asarray(v) for name, v in posterior.flat_samples().items() if name != LATENT}
    batch = max(1, min(draws, _BATCH_BUDGET // (size * k)))
    fn = _compiled(bnn, what, batch, keep, latent_draws if bnn.latent is not None else 0)
    subs = bnn.fixed_substitutions(posterior.fixed, x.shape[1])
    key, zkeys = jax.random.key(seed), None
    if bnn.latent is not None:  # z* from its own stream: the same for every chunking
        key, zkey = jax.random.split(key)
        zkeys = jax.random.split(zkey, draws)
    for i, start in enumerate(range(0, n, size)):
        rows = slice(start, min(start + size, n))
        pad = size - (rows.stop - start)
        xc = np.pad(x[rows], ((0, pad), (0, 0)), mode="edge")  # a fixed shape: one compilation
        yc = None if y is None else np.pad(y[rows], (0, pad), mode="edge")
        keys = jax.random.split(jax.random.fold_in(key, i), draws)
        index = np.arange(start, start + size, dtype=np.uint32)
        out = jax.device_get(fn(samples, subs, xc, keys, yc, zkeys, index))
        yield rows, _trim(out, size - pad)


_ROWS_SECOND = ("f", "y", "_y", "_means", "quantiles", "mean_quantiles")  # (draws or levels, rows)


def _trim(out: Any, keep: int) -> Any:
    """Drop the padded rows: axis 1 of per-draw arrays and of quantiles, else axis 0."""
    if not isinstance(out, dict):
        return out[:, :keep]
    return {k: v[:, :keep] if k in _ROWS_SECOND else v[:keep] for k, v in out.items()}


def network_draws(
    posterior: Posterior, x: Any, *, chunk: int | None = None, latent_draws: int = 32, seed: int = 0
) -> np.ndarray:
    """The network output for every draw on ``x``: shape ``(draws, n_points, n_outputs)``.

    With a latent input, each draw's output is the mean over ``latent_draws`` prior draws of
    ``z*`` (drawn from ``seed``); ``latent_draws`` and ``seed`` are unused otherwise.
    """
    x = check_x(x)
    k = check_count("latent_draws", latent_draws)
    parts = [out for _, out in _chunks(posterior, x, "f", chunk=chunk, latent_draws=k, seed=seed)]
    return np.concatenate(parts, axis=1)


def log_likelihood(
    posterior: Posterior, x: Any, y: Any, *, chunk: int | None = None, latent_draws: int = 32, seed: int = 0
) -> np.ndarray:
    """``log p(y_i | draw s)`` of shape ``(draws, n_points)``: for LOO, WAIC and test log-likelihood.

    With a latent input, ``log p(y_i | draw s) = log mean_k p(y_i | f(x_i, z*_k))`` over
    ``latent_draws`` prior draws ``z*_k`` (drawn from ``seed``: the same ``z*`` as ``predict``
    with that seed); ``latent_draws`` and ``seed`` are unused otherwise.
    """
    x = check_x(x)
    k = check_count("latent_draws", latent_draws)
    y = likelihoods.check_targets(posterior.bnn.likelihood, y, x.shape[0])
    parts = _chunks(posterior, x, "loglik", y=y, chunk=chunk, latent_draws=k, seed=seed)
    return np.concatenate([out for _, out in parts], axis=1)


@dataclass(frozen=True, eq=False)
class Predictions:
    """Posterior predictions at inputs ``x`` (``n`` points, ``S`` draws). Fields:

    - ``f``: network output draws ``(S, n, outputs)``, ``y``: draws of the target ``(S, n)``;
      both ``None`` when not kept (``keep_samples``). With a latent input, ``f`` is each draw's
      mean over the ``z*`` draws and ``y`` is drawn at one ``z*``.
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
    return _sorted_hdi(np.sort(np.asarray(draws), axis=0), prob)


def predict(
    posterior: Posterior,
    x: Any,
    *,
    seed: int = 0,
    keep_samples: bool | None = None,
    chunk: int | None = None,
    latent_draws: int = 32,
) -> Predictions:
    """Predictions of ``posterior`` at inputs ``x`` of shape ``(n_points, n_features)``.

    ``keep_samples``: keep the draws of ``f`` and ``y`` (``None``: keep them while draws x points
    x outputs stays under 67 million values). ``chunk``: input rows per pass (``None``: about
    2 million draws x points per pass). Means and variances are reduced on the device, quantile
    bands and HDIs from sorted draws on the host, chunk by chunk.
    ``seed`` draws ``y`` (and ``z*``). ``latent_draws``: with a latent input, the ``z*`` drawn from
    its prior per point and weight draw (see the module docstring; unused otherwise); the cost
    grows with it, and chunks shrink to keep memory bounded.

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import heteroscedastic
    >>> x, y = heteroscedastic(n=40, seed=0)
    >>> spec = bp.ModelSpec(network=bp.MLP(hidden=(5,)), latent=bp.LatentInput())
    >>> post = bp.fit(bp.BNN(spec), x, y, bp.SVI(steps=50, elbo="alpha", num_particles=2, draws=10))
    >>> pred = predict(post, x[:3], latent_draws=16)
    >>> pred.f.shape, bool(np.allclose(pred.std**2, pred.epistemic + pred.aleatoric))
    ((10, 3, 1), True)
    """
    x = check_x(x)
    if chunk is not None:
        check_count("chunk", chunk)
    k = check_count("latent_draws", latent_draws)
    width = posterior.x.shape[1]
    if x.shape[1] != width:
        raise ValueError(f"x: has {x.shape[1]} feature(s) but the model was fitted on {width}.")
    spec = posterior.bnn.likelihood
    if keep_samples is None:
        keep_samples = posterior.num_samples * x.shape[0] * spec.n_outputs <= _KEEP_LIMIT
    parts = [
        _order_statistics(out)
        for _, out in _chunks(posterior, x, "all", seed=seed, chunk=chunk, keep=keep_samples, latent_draws=k)
    ]
    merged: dict[str, Any] = {name: None for name in Predictions.__dataclass_fields__}
    for name in parts[0]:
        merged[name] = np.concatenate([p[name] for p in parts], axis=1 if name in _ROWS_SECOND else 0)
    for name in ("quantiles", "mean_quantiles"):
        if merged[name] is not None:
            merged[name] = dict(zip(LEVELS, merged[name], strict=True))
    merged["x"] = x
    return Predictions(**merged)
