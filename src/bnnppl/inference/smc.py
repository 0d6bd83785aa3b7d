"""Sequential Monte Carlo (``SMC``) from the prior to the posterior, on BlackJAX's pieces.

``particles`` prior draws are carried through a sequence of intermediate distributions
``prior(w) * prod_i p(y_i | w) ** lam_i`` by stages of reweight, resample, move:

- ``schedule="tempering"``: ``lam_i = beta`` for every point. Each next ``beta`` is found by
  bisection (``blackjax.smc.solver.dichotomy``) so that the conditional ESS (Zhou, Johansen &
  Aston 2016) of the incremental weights ``(beta' - beta) * sum_i log p(y_i | w)`` is
  ``target_ess * particles``, capped at 1.
- ``schedule="data"``: data annealing, ``lam_i = 1`` for the first ``m`` points **in the order
  of** ``x`` **and** ``y``, ``m`` growing by ``batch`` per stage (shuffle the data first if its
  order means something); the incremental weight is the log-likelihood of the new points.
  Points are masked, not sliced, so one program serves every stage.

The normalised log-weights are kept between stages: the particles are resampled (systematic,
``blackjax.smc.resampling.systematic``) only when their ESS falls below ``resample_ess *
particles``. The log-evidence is the sum over stages of ``logsumexp(log W + increment)``
(``W``: the normalised weights before the stage). Every particle then takes ``mcmc_steps``
steps of ``kernel`` (BlackJAX's ``hmc`` with ``num_leapfrog`` steps, ``nuts`` or ``mala``,
vmapped over particles) that leave the stage's distribution invariant, on coordinates scaled by
the particles' weighted per-coordinate standard deviation, with a step size tuned from their
acceptance (``bnnppl.inference.smc_moves`` says how). Unless the last stage resampled, the
particles are then resampled and moved once more (``mcmc_steps`` steps at the posterior),
so the draws have equal weights and few duplicates.

The programs (prior draw, log-likelihoods, stage, map to the constrained scale) are compiled once
per model, method config and data shapes and kept in ``bnnppl._programs``: the data, the
deterministic layers' values, the particles, ``t``, the step size and the keys are their arguments,
never constants, so a second fit with new data of the same shape or a new seed compiles nothing.
The number of stages depends on the data: a Python loop runs the one compiled stage.

``fit_smc`` returns the final particles as one chain, ``(1, particles, *site_shape)`` per
latent site (constrained values), and these ``stats`` (NumPy arrays, one entry per stage):

- ``log_evidence``, shape ``()``: the estimate of ``log p(y)``.
- ``ess``: the ESS after the stage's reweighting, as a fraction of ``particles``.
- ``resampled``: ``True`` where that ESS was below ``resample_ess`` and the particles were
  resampled.
- ``beta`` (tempering): the stage's exponent, increasing to exactly 1; or ``data_points``
  (data annealing): the number of points included after the stage, ending at ``n``.
- ``acceptance``: the move kernel's mean acceptance probability over particles and steps.
- ``step_size``: the tuned step size (scaled units, before the jitter) of the stage's last move.

>>> import numpy as np
>>> import bnnppl as bp
>>> x = np.linspace(-1, 1, 8, dtype=np.float32)[:, None]
>>> y = 2 * x[:, 0]
>>> bnn = bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=()), likelihood=bp.Gaussian(noise=0.5)))
>>> post = bp.fit(bnn, x, y, bp.SMC(particles=64, mcmc_steps=2, num_leapfrog=3), seed=0)
>>> post.samples["net.Dense_0.kernel"].shape, post.stats["log_evidence"].shape
((1, 64, 1, 1), ())
>>> float(post.stats["beta"][-1]), post.stats["ess"].shape == post.stats["beta"].shape
(1.0, True)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from blackjax.smc.ess import ess as effective_sample_size
from blackjax.smc.resampling import systematic
from blackjax.smc.solver import dichotomy
from jax.flatten_util import ravel_pytree
from jax.scipy.special import logsumexp
from numpyro import handlers
from numpyro.infer import Predictive
from tqdm.auto import tqdm

from bnnppl import _programs
from bnnppl.inference.density import Density, density
from bnnppl.inference.smc_moves import move
from bnnppl.model.bnn import BNN
from bnnppl.spec.sampler_methods import SMC

_MIN_SCALE = 1e-6  # floor on a coordinate's particle standard deviation (collapsed particles)


class _Particles(NamedTuple):
    position: jax.Array  # (particles, dim): flattened unconstrained positions
    log_lik: jax.Array  # (particles, n): each point's log-likelihood at the position
    log_weight: jax.Array  # (particles,): normalised log-weights


class _StageInfo(NamedTuple):
    log_evidence: jax.Array
    ess: jax.Array
    resampled: jax.Array
    acceptance: jax.Array
    step_size: jax.Array


class _Flat(NamedTuple):
    """The density on flat vectors: ``log_prior(v, subs) -> ()``, ``log_lik(v, x, y, subs) -> (n,)``."""

    log_prior: Callable[[jax.Array, dict], jax.Array]
    log_lik: Callable[[jax.Array, jax.Array, jax.Array, dict], jax.Array]
    unravel: Callable[[jax.Array], dict]


def _flat(dens: Density) -> _Flat:
    _, unravel = ravel_pytree(dens.init)
    return _Flat(
        log_prior=lambda v, subs: dens.log_prior(unravel(v), subs),
        log_lik=lambda v, x, y, subs: dens.log_lik(unravel(v), x, y, subs),
        unravel=unravel,
    )


def _log_liks(flat: _Flat, position: jax.Array, x: jax.Array, y: jax.Array, subs: dict) -> jax.Array:
    """``(particles, n)``: each particle's log-likelihood of each point."""
    return jax.vmap(flat.log_lik, (0, None, None, None))(position, x, y, subs)


def _prior_positions(bnn: BNN, dens: Density, count: int) -> Callable:
    """``(key, x, subs) -> (count, dim)``: flat unconstrained prior draws, fixed layers at ``subs``."""

    def positions(key, x, subs):
        model = handlers.substitute(bnn.model, data=subs)
        draw = Predictive(model, num_samples=count, return_sites=sorted(dens.init), parallel=True)
        position = jax.vmap(dens.unconstrain)(draw(key, x))
        return jax.vmap(lambda p: ravel_pytree(p)[0])(position)

    return positions


def _weighted_sum(log_lik: jax.Array, lam: jax.Array) -> jax.Array:
    """``sum_i lam_i * log_lik_i`` over the last axis, skipping points with ``lam_i == 0``
    (so that a ``-inf`` log-likelihood of an unused point gives 0, not NaN)."""
    lam = jnp.broadcast_to(lam, log_lik.shape)
    return jnp.where(lam != 0, lam * log_lik, 0.0).sum(-1)


def _next_beta(parts: _Particles, beta: jax.Array, target_ess: float) -> jax.Array:
    """The ``beta'`` in ``(beta, 1]`` whose conditional ESS is ``target_ess`` (1 if it stays above)."""
    total = jnp.nan_to_num(parts.log_lik.sum(-1))
    log_target = math.log(target_ess)

    def gap(b):  # log CESS / particles - log target_ess, decreasing in b
        inc = jnp.where(b > beta, (b - beta) * total, 0.0)
        return 2 * logsumexp(parts.log_weight + inc) - logsumexp(parts.log_weight + 2 * inc) - log_target

    return dichotomy(gap, beta, jnp.ones_like(beta))


def _tempering(method: SMC, n: int) -> Callable:
    def schedule(parts, beta):
        beta_new = _next_beta(parts, beta, method.target_ess)
        return beta * jnp.ones(n), beta_new * jnp.ones(n), beta_new

    return schedule


def _data(method: SMC, n: int) -> Callable:
    def schedule(parts, m):
        m_new = jnp.minimum(m + method.batch, n)
        points = jnp.arange(n)
        return (points < m).astype(parts.log_lik.dtype), (points < m_new).astype(parts.log_lik.dtype), m_new

    return schedule


def _reweight(parts: _Particles, dlam: jax.Array) -> tuple[_Particles, jax.Array, jax.Array]:
    """Multiply the weights by ``prod_i p(y_i | w) ** dlam_i``: ``(particles, log Z increment, ESS)``."""
    log_w = parts.log_weight + _weighted_sum(parts.log_lik, dlam)
    log_z = logsumexp(log_w)
    log_w = log_w - log_z
    return parts._replace(log_weight=log_w), log_z, effective_sample_size(log_w)


def _resample(key: jax.Array, parts: _Particles, when: jax.Array) -> _Particles:
    """Systematic resampling to equal weights where ``when`` is true; else ``parts`` unchanged."""
    count = parts.log_weight.shape[0]
    index = jnp.where(when, systematic(key, jnp.exp(parts.log_weight), count), jnp.arange(count))
    log_w = jnp.where(when, jnp.full(count, -math.log(count)), parts.log_weight)
    return _Particles(parts.position[index], parts.log_lik[index], log_w)


def _scale(parts: _Particles) -> jax.Array:
    """Weighted per-coordinate standard deviation of the particles, ``(dim,)``."""
    w = jnp.exp(parts.log_weight)[:, None]
    mean = (w * parts.position).sum(0, keepdims=True)
    return jnp.maximum(jnp.sqrt((w * (parts.position - mean) ** 2).sum(0)), _MIN_SCALE)


def _stage_fn(method: SMC, flat: _Flat, schedule: Callable) -> Callable:
    """The stage ``(key, particles, t, step_size, force, x, y, subs) -> (particles, t', step_size',
    info)``; ``t`` is ``beta`` (tempering) or the number of points included (data annealing);
    ``force`` resamples whatever the ESS (at the end, ``t`` at its end: resample and move only)."""
    threshold = method.resample_ess * method.particles

    def stage(key, parts, t, step_size, force, x, y, subs):
        lam_old, lam_new, t_new = schedule(parts, t)
        parts, log_z, ess = _reweight(parts, lam_new - lam_old)
        scale = _scale(parts)
        key_resample, key_move = jax.random.split(key)
        resampled = (ess < threshold) | force
        parts = _resample(key_resample, parts, resampled)

        def logdensity(v):
            return flat.log_prior(v, subs) + _weighted_sum(flat.log_lik(v, x, y, subs), lam_new)

        position, acc, used, step_size = move(key_move, parts.position, logdensity, scale, step_size, method)
        parts = parts._replace(position=position, log_lik=_log_liks(flat, position, x, y, subs))
        info = _StageInfo(log_z, ess / method.particles, resampled, acc, used)
        # the same type out as in (the solver's beta is weak): the next stage runs the same program
        t_new = jax.lax.convert_element_type(t_new, t.dtype)
        return parts, t_new, step_size, info

    return stage


class _Programs(NamedTuple):
    """The jitted programs of one model, method config and data shapes (see the module docstring)."""

    prior: Callable  # (key, x, subs) -> (particles, dim)
    log_liks: Callable  # (position, x, y, subs) -> (particles, n)
    stage: Callable  # see _stage_fn
    constrain: Callable  # (position,) -> site values, (particles, *site_shape)


def _build(bnn: BNN, dens: Density, method: SMC, n: int) -> _Programs:
    """The programs for ``dens``'s shapes; they keep only its structure (the sites' shapes and
    supports), not its values, so later fits of the same shapes can run them."""
    flat = _flat(dens)
    schedule = (_tempering if method.schedule == "tempering" else _data)(method, n)
    return _Programs(
        prior=jax.jit(_prior_positions(bnn, dens, method.particles)),
        log_liks=jax.jit(functools.partial(_log_liks, flat)),
        stage=jax.jit(_stage_fn(method, flat, schedule)),
        constrain=jax.jit(jax.vmap(lambda v: dens.constrain(flat.unravel(v)))),
    )


def _run_stages(stage: Callable, parts: _Particles, method: SMC, data: tuple, key: jax.Array, progress: bool):
    """Stages until ``t`` reaches its end (``beta = 1`` or all ``n`` points), then a last resample
    and move unless the last stage resampled; returns the particles, the per-stage infos and the
    ``t`` of each stage."""
    tempering = method.schedule == "tempering"
    t = jnp.asarray(0.0 if tempering else 0, dtype=jnp.float32 if tempering else jnp.int32)
    end = 1.0 if tempering else data[0].shape[0]
    step_size = jnp.asarray(method.step_size, jnp.float32)
    infos, ts, done = [], [], t.item()
    desc = "SMC tempering" if tempering else "SMC data"
    with tqdm(total=end, disable=not progress, desc=desc, unit="beta" if tempering else "point") as bar:
        while done < end:
            if len(infos) == method.max_stages:
                raise RuntimeError(
                    f"SMC: beta reached only {done:.4g} after max_stages={method.max_stages} stages; "
                    "raise SMC.max_stages (or lower SMC.target_ess for longer steps in beta)."
                )
            key, sub = jax.random.split(key)
            parts, t, step_size, info = stage(sub, parts, t, step_size, jnp.asarray(False), *data)
            info, now = jax.device_get((info, t))  # one host sync per stage
            infos.append(info)
            ts.append(now)
            bar.update(now.item() - done)
            bar.set_postfix(ess=f"{info.ess:.2f}", acc=f"{info.acceptance:.2f}", step=f"{info.step_size:.3g}")
            done = now.item()
    if not infos[-1].resampled:
        parts = stage(key, parts, t, step_size, jnp.asarray(True), *data)[0]
    return parts, infos, ts


def _stats(infos: list[_StageInfo], ts: list, method: SMC) -> dict[str, np.ndarray]:
    column = {name: np.asarray([getattr(i, name) for i in infos]) for name in _StageInfo._fields}
    stats = {"log_evidence": np.asarray(column.pop("log_evidence").astype(np.float64).sum())}
    stats |= column
    stats["resampled"] = stats["resampled"].astype(bool)
    name = "beta" if method.schedule == "tempering" else "data_points"
    stats[name] = np.asarray(ts, dtype=np.float64 if name == "beta" else np.int64)
    return stats


def fit_smc(
    bnn: BNN, x: np.ndarray, y: np.ndarray, method: SMC, seed: int, progress: bool
) -> tuple[dict, dict, dict]:
    """``(samples, stats, fixed)``: the final particles as one chain, the stage history (see the
    module docstring), the deterministic layers (a MAP fit, only when the model has them)."""
    n = x.shape[0]
    stages = -(-n // method.batch)
    if method.schedule == "data" and stages > method.max_stages:
        raise ValueError(
            f"SMC.max_stages: is {method.max_stages} but data annealing over {n} points with batch "
            f"{method.batch} needs {stages} stages; raise max_stages or batch."
        )
    key_prior, key_run = jax.random.split(jax.random.key(seed))
    dens = density(bnn, x, y, init="prior", seed=seed)
    cache = (bnn.cache_key, method, _programs.signature(x, y, dens.subs, dens.init), "smc")
    programs = _programs.get(cache, lambda: _build(bnn, dens, method, n))
    data = (jnp.asarray(x), jnp.asarray(y), dens.subs)
    position = programs.prior(key_prior, data[0], dens.subs)
    log_weight = jnp.full(method.particles, -math.log(method.particles), dtype=position.dtype)
    parts = _Particles(position, programs.log_liks(position, *data), log_weight)
    parts, infos, ts = _run_stages(programs.stage, parts, method, data, key_run, progress)
    samples = {k: np.asarray(v)[None] for k, v in programs.constrain(parts.position).items()}
    return samples, _stats(infos, ts, method), dens.fixed
