"""Langevin samplers: underdamped Langevin with BAOAB (full batch), SGLD and SGHMC (minibatches).

``fit(bnn, x, y, Langevin(...))`` runs the BAOAB kernel below; ``SGLD(...)`` and ``SGHMC(...)``
run BlackJAX's ``sgld`` and ``sghmc`` with ``blackjax.sgmcmc.gradients.grad_estimator``. All
three work on the unconstrained scale of ``bnnppl.inference.density`` and return draws of the
constrained sample sites, shaped ``(chain, draw, *site_shape)``.

- Starts: every chain starts at the density's start (a MAP fit by default, ``init_steps`` Adam
  steps). Chains differ by their own noise and, for ``Langevin``, by their own initial momenta
  drawn from ``N(0, mass * temperature)``; a shared start makes r-hat somewhat optimistic.
- Phases: ``burnin`` steps (``Langevin``: with ``burnin_friction`` and ``burnin_mass``; the
  momenta are then rescaled by ``sqrt(mass / burnin_mass)`` to the production mass), then
  ``samples * thinning`` steps keeping every ``thinning``-th. Steps run in compiled chunks
  (``lax.scan``) with one host sync per chunk; the progress bar counts steps.
- Minibatches (``SGLD``, ``SGHMC``): each chain reshuffles the rows once per epoch and walks
  through the shuffle in batches of ``batch_size`` rows (no row repeats within an epoch; the
  ``n mod batch_size`` rows left at the end of a shuffle wait for the next one). Each batch is
  a uniformly random subset, so the gradient estimate (prior + ``n / batch_size`` times the batch
  log-likelihood) is unbiased. ``SGHMC`` uses one batch for the ``num_integration_steps`` steps
  of a draw, as BlackJAX does, and redraws the momenta from ``N(0, 1)`` at each draw.
- ``temperature``: ``Langevin`` and ``SGLD`` pass it to the noise; ``SGHMC`` divides the log
  density by it instead (BlackJAX's momentum refresh ignores the temperature, so passing it
  through would sample too hot when it is not 1).

``stats`` (NumPy arrays): ``log_density`` ``(chain, draw)``: the full-data unnormalised log
posterior (unconstrained scale, with the Jacobian) at each kept draw (for ``SGLD``/``SGHMC`` a
full-data pass per kept draw); ``burnin_log_density`` ``(chain, ceil(burnin / thinning))``: the
same every ``thinning``-th burn-in step; ``Langevin`` also ``kinetic_temperature``
``(chain, draw)``: ``|p|^2 / (mass * dim)``, which hovers around ``temperature`` when the step
size is small enough (much larger values: the integrator is unstable).

BlackJAX 1.7 has no BAOAB integrator, so ``bnnppl.inference.baoab`` holds one (its
``baoab_init`` / ``baoab_step`` are re-exported here).

A fit (a tiny net, a few steps):

>>> import bnnppl as bp
>>> from bnnppl.datasets import sine_regression
>>> x, y = sine_regression(n=20, seed=0)
>>> bnn = bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(5,)), likelihood=bp.Gaussian(noise=0.1)))
>>> method = bp.Langevin(chains=2, burnin=20, samples=10, thinning=2, init_steps=100)
>>> post = bp.fit(bnn, x, y, method, seed=0)
>>> post.samples["net.Dense_0.kernel"].shape, post.stats["log_density"].shape
((2, 10, 1, 5), (2, 10))
>>> post.stats["burnin_log_density"].shape
(2, 10)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from tqdm.auto import tqdm

from bnnppl import _programs
from bnnppl.inference.baoab import (  # noqa: F401  (re-exported)
    BAOABState,
    baoab_init,
    baoab_step,
    draw_momentum,
    kinetic_temperature,
)
from bnnppl.inference.density import Density, density
from bnnppl.model.bnn import BNN
from bnnppl.spec.sampler_methods import SGHMC, SGLD, Langevin

__all__ = ["BAOABState", "baoab_init", "baoab_step", "draw_momentum", "fit_langevin", "kinetic_temperature"]

CHUNK_STEPS = 1000
"""Steps per compiled chunk (rounded to whole kept draws): the progress bar updates once per chunk."""


def _chunk_length(steps: tuple[int, ...], thinning: int) -> int:
    """Kept draws (blocks of ``thinning`` steps) per chunk: about ``CHUNK_STEPS`` steps, no more
    than the longest phase needs."""
    blocks = max(math.ceil(s / thinning) for s in steps)
    return max(1, min(blocks, math.ceil(CHUNK_STEPS / thinning)))


def _compile_chunk(step: Callable, record: Callable) -> Callable:
    """``chunk(state, keys, active, args)``: ``keys.shape[0]`` blocks of ``keys.shape[1]`` steps
    ``step(key, state, args)``, each block ending with ``record(state, args)``. Steps whose
    ``active`` is false are skipped (``lax.cond``): chunks of both phases have the same shapes and
    share one compilation."""

    def chunk(state, keys, active, args):
        def one(state, inputs):
            key, on = inputs
            return lax.cond(on, lambda s: step(key, s, args), lambda s: s, state), None

        def block(state, inputs):
            state, _ = lax.scan(one, state, inputs)
            return state, record(state, args)

        return lax.scan(block, state, (keys, active))

    return jax.jit(chunk)


def _run_phase(chunk, state, key, args, *, steps: int, thinning: int, length: int, keep, bar):
    """``steps`` steps in chunks of ``length`` blocks; returns the state and the ``keep`` records as
    NumPy arrays ``(chain, ceil(steps / thinning), ...)`` (all records when ``keep`` is ``None``;
    ``None`` when ``steps`` is 0)."""
    blocks = math.ceil(steps / thinning)
    parts = []
    for index in range(math.ceil(blocks / length)):
        first = index * length * thinning
        active = (first + np.arange(length * thinning) < steps).reshape(length, thinning)
        keys = jax.random.split(jax.random.fold_in(key, index), length * thinning).reshape(length, thinning)
        state, records = chunk(state, keys, active, args)
        records = {k: records[k] for k in keep} if keep else records
        records = jax.tree.map(np.asarray, records)  # one host sync per chunk
        parts.append(records)
        bar.update(min(length * thinning, steps - first))
        bar.set_postfix(log_density=f"{records['log_density'][-1].mean():.4g}")
    if not parts:
        return state, None
    out = jax.tree.map(lambda *a: np.concatenate(a)[:blocks].swapaxes(0, 1), *parts)
    return state, out


def _sample(
    step, record, state, key, method, args, *, burnin_args=None, between=None, progress=False, cache=()
):
    """Burn-in (with ``burnin_args``, default ``args``), then ``between(state)``, then production;
    returns ``(samples, stats)`` from the records (``"position"`` is the samples). The compiled
    chunk is kept in ``bnnppl._programs`` under ``cache`` and the shapes of ``state`` and ``args``."""
    steps = (method.burnin, method.samples * method.thinning)
    run = dict(thinning=method.thinning, length=_chunk_length(steps, method.thinning))
    key_chunk = (*cache, "chunk", _programs.signature(state, args))
    chunk = _programs.get(key_chunk, lambda: _compile_chunk(step, record))
    key_burn, key_run = jax.random.split(key)
    with tqdm(total=sum(steps), disable=not progress, desc=type(method).__name__, unit="step") as bar:
        keep = ("log_density",)
        state, burn = _run_phase(
            chunk, state, key_burn, burnin_args or args, steps=steps[0], keep=keep, bar=bar, **run
        )
        state = between(state) if between else state
        state, kept = _run_phase(chunk, state, key_run, args, steps=steps[1], keep=None, bar=bar, **run)
    stats = {k: v for k, v in kept.items() if k != "position"}
    empty = np.zeros((method.chains, 0), stats["log_density"].dtype)
    stats["burnin_log_density"] = burn["log_density"] if burn else empty
    return kept["position"], stats


def _floats(**values: float) -> dict[str, jax.Array]:
    """Scalars as float32 arrays: burn-in and production arguments then have the same types."""
    return {k: jnp.asarray(v, jnp.float32) for k, v in values.items()}


def _chains(start: dict[str, jax.Array], chains: int) -> dict[str, jax.Array]:
    """``start`` (a density's ``init``) repeated for each chain: ``(chains, *site_shape)``."""
    return jax.tree.map(lambda v: jnp.broadcast_to(v, (chains, *v.shape)), start)


def _baoab_chains(d: Density, method: Langevin) -> tuple[Callable, Callable, Callable]:
    """``(init, step, record)`` for ``method.chains`` vmapped BAOAB chains on ``d``'s posterior."""

    def logdensity(args):
        return lambda q: d.log_posterior(q, args["x"], args["y"], args["subs"])

    @jax.jit
    def init(key, args):  # all chains at the start, each with its own momenta
        mass = method.burnin_mass if method.burnin else method.mass
        position = _chains(args["start"], method.chains)
        keys = jax.random.split(key, method.chains)
        momentum = jax.vmap(lambda k, q: draw_momentum(k, q, mass, method.temperature))(keys, position)
        return jax.vmap(lambda q, p: baoab_init(q, logdensity(args), p))(position, momentum)

    def step(key, state, args):
        options = {k: args[k] for k in ("friction", "mass", "temperature")}

        def one(key, state):
            return baoab_step(key, state, logdensity(args), args["step_size"], **options)

        return jax.vmap(one)(jax.random.split(key, method.chains), state)

    def record(state, args):
        return {
            "position": jax.vmap(d.constrain)(state.position),
            "log_density": state.logdensity,
            "kinetic_temperature": jax.vmap(kinetic_temperature, (0, None))(state.momentum, args["mass"]),
        }

    return init, step, record


def _fit_baoab(d: Density, x, y, method: Langevin, key, progress: bool, cache: tuple) -> tuple[dict, dict]:
    """Burn-in with ``burnin_friction``/``burnin_mass``, momenta rescaled, production."""
    init, step, record = _programs.get((*cache, "baoab"), lambda: _baoab_chains(d, method))
    data = {"x": x, "y": y, "subs": d.subs}
    common = {"step_size": method.step_size, "temperature": method.temperature}
    args = data | _floats(friction=method.friction, mass=method.mass, **common)
    burnin_args = data | _floats(friction=method.burnin_friction, mass=method.burnin_mass, **common)
    scale = math.sqrt(method.mass / method.burnin_mass)

    def between(state):  # momenta N(0, burnin_mass T) -> N(0, mass T)
        return state._replace(momentum=jax.tree.map(lambda p: scale * p, state.momentum))

    key_momentum, key_run = jax.random.split(key)
    state = init(key_momentum, args | {"start": d.init})
    phases = {"burnin_args": burnin_args, "between": between if method.burnin else None}
    return _sample(step, record, state, key_run, method, args, progress=progress, cache=cache, **phases)


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
    """Rows per minibatch: ``method.batch_size``, or 32 (all ``n`` rows when fewer) when unset.

    >>> batch_size(SGLD(), 20), batch_size(SGLD(), 500), batch_size(SGLD(batch_size=8), 500)
    (20, 32, 8)
    """
    return min(32, n) if method.batch_size is None else method.batch_size


def _fit_minibatch(
    d: Density, x, y, method: SGLD | SGHMC, key, progress: bool, cache: tuple
) -> tuple[dict, dict]:
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
    state = _SGState(_chains(d.init, chains), _shuffles(key_order, chains, n), jnp.asarray(0))
    args = {"x": x, "y": y, "subs": d.subs} | _floats(
        step_size=method.step_size, temperature=method.temperature
    )
    return _sample(step, record, state, key_run, method, args, progress=progress, cache=cache)


def fit_langevin(
    bnn: BNN, x: np.ndarray, y: np.ndarray, method: Langevin | SGLD | SGHMC, seed: int, progress: bool
) -> tuple[dict, dict, dict]:
    """``(samples, stats, fixed)`` from BAOAB (``Langevin``), SGLD or SGHMC; see the module docstring."""
    if isinstance(method, SGLD | SGHMC) and batch_size(method, x.shape[0]) > x.shape[0]:
        name = type(method).__name__
        raise ValueError(
            f"{name}.batch_size: is {method.batch_size} but the data have {x.shape[0]} rows; "
            "use at most that many."
        )
    d = density(bnn, x, y, init=method.init, init_steps=method.init_steps, seed=seed)
    key = jax.random.fold_in(jax.random.key(seed), 1)
    run = _fit_baoab if isinstance(method, Langevin) else _fit_minibatch
    cache = (bnn.cache_key, method, _programs.signature(x, y, d.subs, d.init))
    samples, stats = run(d, jnp.asarray(x), jnp.asarray(y), method, key, progress, cache)
    return samples, stats, d.fixed
