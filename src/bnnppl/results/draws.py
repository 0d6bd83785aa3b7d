"""Per-draw computation on new inputs, shared by the posterior and prediction.

For every posterior draw, the network output ``f``, the per-point log-likelihood, or the
predictive moments and a ``y`` draw are computed on ``x`` in chunks of rows, with draws in
batches, by one compiled function per (model, output kind, batch, ...) cached on the ``BNN``.
``network_draws`` and ``log_likelihood`` are the two users call; ``predict`` and
``Posterior.to_arviz`` read them. Functions take anything that looks like a posterior
(``Fitted``: ``bnn``, ``fixed``, ``scaling``, ``num_samples``, ``flat_samples()``), so this module imports no
posterior.

A model with a latent input (``ModelSpec(latent=LatentInput())``, BNN+LV) is marginalised over
it: for every weight draw, ``latent_draws`` values ``z* ~ Normal(0, variance)`` per input point
are drawn from the prior (the fitted ``z`` belong to the training points and are not used). A
draw's predictive mean is the mean over ``z*`` of the likelihood mean, its variance the mean of
the likelihood variance plus the variance of the likelihood mean over ``z*``. ``z*`` for draw
``s`` and input row ``i`` depends only on ``seed``, ``s`` and ``i``: not on chunking.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp
from numpyro import handlers

from bnnppl import _programs
from bnnppl._checks import check_count, check_seed
from bnnppl._data import check_x
from bnnppl.model import likelihoods
from bnnppl.model.bnn import BNN, with_latent
from bnnppl.model.sites import LATENT, SIGMA
from bnnppl.results.scaling import Scaling
from bnnppl.results.summaries import reduce_draws

_BATCH_BUDGET = 2**22  # draws x latent draws x points evaluated at once (one vmap batch of draws)
_CHUNK_BUDGET = 2**21  # draws x latent draws x points per chunk of inputs when chunk=None (2-core CPU)
KEEP_LIMIT = 2**26  # keep_samples=None keeps draws while draws x points x outputs is below this


class Fitted(Protocol):
    """What the per-draw functions read of a posterior (``bnnppl.Posterior`` has it)."""

    bnn: BNN
    fixed: Mapping[str, np.ndarray]
    scaling: Scaling | None

    @property
    def num_samples(self) -> int: ...

    def flat_samples(self) -> dict[str, np.ndarray]: ...


def _per_draw(
    bnn: BNN,
    sample: dict,
    subs: dict,
    x: jax.Array,
    key: jax.Array,
    y: Any,
    what: str,
    z: Any = None,
    units: Any = (0.0, 1.0),
):
    """One weight draw's outputs on ``x`` (in the model's units), given in the targets' own units
    (``units``: their location and scale, see ``bnnppl.results.scaling``); with latent draws ``z``
    ``(K, rows)``, marginalised over them."""
    data = {**sample, **subs}
    inputs = x if z is None else with_latent(x, z)  # (rows, width) or (K, rows, width)
    f = handlers.substitute(handlers.seed(lambda x, i: bnn.network(x)(i), 0), data=data)(x, inputs)
    sigma = sample.get(SIGMA, likelihoods.fixed_noise(bnn.likelihood))
    f, sigma = likelihoods.original_units(bnn.likelihood, f, sigma, *units)
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


def _compiled(bnn: BNN, what: str, batch: int, draws: int, keep: bool = True, latent_draws: int = 0):
    """One jitted function per (model, output kind, draw batch, draws, keep, latent draws), kept in
    ``bnnppl._programs``: draws mapped, inputs shared. ``latent_draws``: ``z*`` per point and
    weight draw (0: no latent input). The draws' keys are made inside, from the seed and the
    chunk's index: bit for bit the keys ``jax.random`` makes outside, where each of its calls
    is a small program of its own to trace and load."""

    def build():
        def one(a, subs, x, y, rows, units):
            sample, key, zkey = a
            z = None if zkey is None else _latent_draws(bnn, zkey, rows, latent_draws)
            return _per_draw(bnn, sample, subs, x, key, y, what, z, units)

        def run(samples, subs, x, seed, chunk, y, rows, units):
            key, zkeys = jax.random.key(seed), None
            if latent_draws:  # z* from its own stream: the same for every chunking
                key, zkey = jax.random.split(key)
                zkeys = jax.random.split(zkey, draws)
            keys = jax.random.split(jax.random.fold_in(key, chunk), draws)
            out = jax.lax.map(
                lambda a: one(a, subs, x, y, rows, units), (samples, keys, zkeys), batch_size=batch
            )
            return reduce_draws(bnn.likelihood, *out, keep) if what == "all" else out

        return jax.jit(run)

    return _programs.get((bnn.cache_key, "draws", what, batch, draws, keep, latent_draws), build)


def _chunk_rows(n: int, draws: int, chunk: int | None) -> int:
    """Rows per chunk: ``chunk``, or about ``_CHUNK_BUDGET / draws``, spread evenly over ``n``."""
    size = chunk if chunk is not None else max(256, _CHUNK_BUDGET // draws)
    pieces = -(-n // min(n, size))
    return -(-n // pieces)  # equal chunks: the last one needs little padding


def chunks(
    posterior: Fitted,
    x: np.ndarray,
    what: str,
    *,
    y=None,
    seed: int = 0,
    chunk: int | None = None,
    keep: bool = True,
    latent_draws: int = 1,
):
    """Yield ``(rows, outputs)`` with outputs for every draw on ``x[rows]`` (or their summaries);
    ``x`` and ``y`` in the user's units, outputs too (see ``bnnppl.results.scaling``)."""
    n = x.shape[0]
    bnn = posterior.bnn
    scaling = posterior.scaling
    units = (np.float32(0.0), np.float32(1.0))
    if scaling is not None:
        x = scaling.x(x)
        units = (np.float32(scaling.y_loc), np.float32(scaling.y_scale))
    draws = posterior.num_samples
    k = latent_draws if bnn.latent is not None else 1  # network passes per point and draw
    size = _chunk_rows(n, draws * k, chunk)
    # device_put, not jnp.asarray: that is a small program to load per array shape
    samples = {name: jax.device_put(v) for name, v in posterior.flat_samples().items() if name != LATENT}
    batch = max(1, min(draws, _BATCH_BUDGET // (size * k)))
    fn = _compiled(bnn, what, batch, draws, keep, latent_draws if bnn.latent is not None else 0)
    subs = bnn.fixed_substitutions(posterior.fixed, x.shape[1])
    for i, start in enumerate(range(0, n, size)):
        rows = slice(start, min(start + size, n))
        pad = size - (rows.stop - start)
        xc = np.pad(x[rows], ((0, pad), (0, 0)), mode="edge")  # a fixed shape: one compilation
        yc = None if y is None else np.pad(y[rows], (0, pad), mode="edge")
        index = np.arange(start, start + size, dtype=np.uint32)
        out = jax.device_get(fn(samples, subs, xc, np.uint32(seed), np.uint32(i), yc, index, units))
        yield rows, _trim(out, size - pad)


ROWS_SECOND = ("f", "y", "_y", "_means", "quantiles", "mean_quantiles")  # (draws or levels, rows)


def _trim(out: Any, keep: int) -> Any:
    """Drop the padded rows: axis 1 of per-draw arrays and of quantiles, else axis 0."""
    if not isinstance(out, dict):
        return out[:, :keep]
    return {k: v[:, :keep] if k in ROWS_SECOND else v[:keep] for k, v in out.items()}


def network_draws(
    posterior: Fitted, x: Any, *, chunk: int | None = None, latent_draws: int = 32, seed: int = 0
) -> np.ndarray:
    """The network output for every draw on ``x``: shape ``(draws, n_points, n_outputs)``.

    With a latent input, each draw's output is the mean over ``latent_draws`` prior draws of
    ``z*`` (drawn from ``seed``); ``latent_draws`` and ``seed`` are unused otherwise.
    """
    x = check_x(x)
    k = check_count("latent_draws", latent_draws)
    seed = check_seed("seed", seed)
    parts = [out for _, out in chunks(posterior, x, "f", chunk=chunk, latent_draws=k, seed=seed)]
    return np.concatenate(parts, axis=1)


def log_likelihood(
    posterior: Fitted, x: Any, y: Any, *, chunk: int | None = None, latent_draws: int = 32, seed: int = 0
) -> np.ndarray:
    """``log p(y_i | draw s)`` of shape ``(draws, n_points)``: for LOO, WAIC and test log-likelihood.

    With a latent input, ``log p(y_i | draw s) = log mean_k p(y_i | f(x_i, z*_k))`` over
    ``latent_draws`` prior draws ``z*_k`` (drawn from ``seed``: the same ``z*`` as ``predict``
    with that seed); ``latent_draws`` and ``seed`` are unused otherwise.
    """
    x = check_x(x)
    k = check_count("latent_draws", latent_draws)
    seed = check_seed("seed", seed)
    y = likelihoods.check_targets(posterior.bnn.likelihood, y, x.shape[0])
    parts = chunks(posterior, x, "loglik", y=y, chunk=chunk, latent_draws=k, seed=seed)
    return np.concatenate([out for _, out in parts], axis=1)
