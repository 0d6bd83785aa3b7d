"""SGLD and SGHMC: BlackJAX's ``sgld`` and ``sghmc`` on minibatches that each chain reshuffles
once per epoch (see ``bnnppl.inference.langevin`` for the whole story).

>>> batch_size(SGLD(), 20), batch_size(SGLD(), 500), batch_size(SGLD(batch_size=8), 500)
(20, 32, 8)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from bnnppl import _programs
from bnnppl.inference.density import Density
from bnnppl.inference.phases import float_args, sample_phases
from bnnppl.spec.sampler_methods import SGHMC, SGLD


class _SGState(NamedTuple):
    position: Any  # (chain, ...) unconstrained
    order: jax.Array  # (chain, n): each chain's shuffle of the rows for this epoch
    cursor: jax.Array  # next position in ``order`` (shared: all chains take batches in step)


def _shuffles(key: jax.Array, chains: int, n: int) -> jax.Array:
    return jax.vmap(lambda k: jax.random.permutation(k, n))(jax.random.split(key, chains))


def _minibatch_step(kernel_step: Callable, chains: int, batch_size: int, n: int) -> Callable:
    """A step of all chains, each on its next batch of ``batch_size`` rows; reshuffles per epoch."""

    def step(key, state, args):
        key_shuffle, key_step = jax.random.split(key)
        fresh = state.cursor + batch_size > n
        order = lax.cond(fresh, lambda: _shuffles(key_shuffle, chains, n), lambda: state.order)
        cursor = jnp.where(fresh, 0, state.cursor)
        rows = lax.dynamic_slice_in_dim(order, cursor, batch_size, axis=1)
        batch = (args["x"][rows], args["y"][rows])
        keys = jax.random.split(key_step, chains)
        position = jax.vmap(kernel_step, (0, 0, 0, None))(keys, state.position, batch, args)
        return _SGState(position, order, cursor + batch_size)

    return step


def _sg_kernel(d: Density, method: SGLD | SGHMC, n: int) -> Callable:
    """``(key, position, batch, args) -> position``: BlackJAX's SGLD or SGHMC step."""
    import blackjax
    from blackjax.sgmcmc.gradients import grad_estimator

    # SGHMC: temper the density itself (BlackJAX redraws momenta from N(0, 1) at every step)
    scale = 1.0 / method.temperature if isinstance(method, SGHMC) else 1.0

    def grad(subs):  # the deterministic layers' values come with the arguments
        def log_prior(position):
            return scale * d.log_prior(position, subs)

        def log_lik(position, row):  # one data point; BlackJAX vmaps it over the batch
            x_row, y_row = row
            return scale * d.log_lik(position, x_row[None], y_row[None], subs)[0]

        return grad_estimator(log_prior, log_lik, n)

    if isinstance(method, SGLD):

        def sgld_step(key, q, batch, args):
            sgld = blackjax.sgld(grad(args["subs"]))
            return sgld.step(key, q, batch, args["step_size"], args["temperature"])

        return sgld_step

    def sghmc_step(key, q, batch, args):
        kernel = grad(args["subs"])
        sghmc = blackjax.sghmc(
            kernel, num_integration_steps=method.num_integration_steps, alpha=method.friction
        )
        return sghmc.step(key, q, batch, args["step_size"])

    return sghmc_step


def batch_size(method: SGLD | SGHMC, n: int) -> int:
    """Rows per minibatch: ``method.batch_size``, or 32 (all ``n`` rows when fewer) when unset."""
    return min(32, n) if method.batch_size is None else method.batch_size


def fit_minibatch(
    d: Density, starts: dict, x, y, method: SGLD | SGHMC, key, progress: bool, cache: tuple
) -> tuple[dict, dict]:
    """``(samples, stats)`` of ``method.chains`` SGLD or SGHMC chains from ``starts`` (unconstrained,
    one row per chain)."""
    n, chains = x.shape[0], method.chains

    def build():
        step = _minibatch_step(_sg_kernel(d, method, n), chains, batch_size(method, n), n)

        def record(state, args):
            log_post = jax.vmap(lambda q: d.log_posterior(q, args["x"], args["y"], args["subs"]))
            return {
                "position": jax.vmap(d.constrain)(state.position),
                "log_density": log_post(state.position),
            }

        return step, record

    step, record = _programs.get((*cache, "minibatch"), build)
    key_order, key_run = jax.random.split(key)
    state = _SGState(starts, _shuffles(key_order, chains, n), jnp.asarray(0))
    args = {"x": x, "y": y, "subs": d.subs} | float_args(
        step_size=method.step_size, temperature=method.temperature
    )
    return sample_phases(step, record, state, key_run, method, args, progress=progress, cache=cache)
