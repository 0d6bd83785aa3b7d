"""Microcanonical Langevin Monte Carlo: BlackJAX's ``mclmc`` (and ``adjusted_mclmc_dynamic``) on
the unconstrained scale of ``bnnppl.inference.density``, every chain in one compiled program.

Each chain works on the flat vector of its position (``jax.flatten_util.ravel_pytree``: BlackJAX
then handles one array instead of a dict, which halves its compile time), tunes its own step
size, decoherence length ``L`` and diagonal mass matrix with BlackJAX's tuner, then samples.
Tuning and sampling are one program, kept in ``bnnppl._programs`` under the model, the method
config and the data's shapes; the data, the deterministic layers' values, the starts and the
keys are its arguments, so a second fit of the same shapes compiles nothing. Chains are spread
over the devices as NUTS's are (``bnnppl.inference.chains``).

Tuning (``warmup`` steps in all): unadjusted, ``mclmc_find_L_and_step_size`` started and split
as MILE does (a first step size of 0.005, ``L = max(sqrt(dim), 15)``; 80 %, 10 % and 10 % of the
steps in its three phases; the second takes a third more with the diagonal preconditioner);
adjusted, ``adjusted_mclmc_find_L_and_step_size`` with a third in each of its two dual-averaging
phases and a third in the repeat of the first.

``stats``, each ``(chain, draw)``: ``log_density`` (the unnormalised log posterior on the
unconstrained scale), ``adapt_state.step_size`` and ``L`` (the tuned values); unadjusted also
``energy_change``; adjusted also ``accept_prob``, ``diverging`` and ``num_steps``.

>>> import bnnppl as bp
>>> from bnnppl.datasets import sine_regression
>>> x, y = sine_regression(n=20, seed=0)
>>> bnn = bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(5,)), likelihood=bp.Gaussian(noise=0.1)))
>>> method = bp.MCLMC(chains=2, warmup=50, samples=10, init_steps=100)
>>> post = bp.fit(bnn, x, y, method, seed=0, progress=False)
>>> post.samples["net.Dense_0.kernel"].shape, post.stats["log_density"].shape
((2, 10, 1, 5), (2, 10))
>>> post.members["net.Dense_0.kernel"].shape  # the MAP ensemble the chains started from
(2, 1, 5)
"""

from __future__ import annotations

from collections.abc import Callable

import blackjax
import jax
import jax.numpy as jnp
import numpy as np
from blackjax.adaptation.mclmc_adaptation import MCLMCAdaptationState
from blackjax.mcmc import adjusted_mclmc_dynamic, mclmc
from jax.flatten_util import ravel_pytree

from bnnppl import _programs
from bnnppl.inference import chains, ensemble
from bnnppl.inference.density import Density
from bnnppl.model.bnn import BNN
from bnnppl.spec.sampler_methods import MCLMC

STEP_SIZE_START = 0.005
"""The unadjusted tuning's first step size (MILE's, Sommer et al. 2025)."""
TARGET_ACCEPT = 0.9
"""The adjusted variant's acceptance target when ``target_accept`` is unset (BlackJAX's examples)."""


def _first_params(position: jax.Array) -> MCLMCAdaptationState:
    """Where the tuning starts, as MILE starts it: step size ``STEP_SIZE_START`` and
    ``L = max(sqrt(dim), 15)`` (BlackJAX's own start, a step of ``sqrt(dim) / 4``, sent every chain
    of a 50-unit network on UCI Yacht to NaN and froze it)."""
    dim = position.shape[0]
    return MCLMCAdaptationState(
        L=jnp.maximum(jnp.sqrt(dim), 15.0),
        step_size=jnp.asarray(STEP_SIZE_START),
        inverse_mass_matrix=jnp.ones(dim),
    )


def _tuned(method: MCLMC, logdensity: Callable, position: jax.Array, key: jax.Array) -> tuple:
    """``(state, step)``: the tuned state and ``step(key, state) -> (state, stats)``."""
    key_init, key_tune = jax.random.split(key)
    if not method.adjusted:
        kernel = mclmc.build_kernel()
        state = mclmc.init(position, logdensity, key_init)
        state, params, _ = blackjax.mclmc_find_L_and_step_size(
            kernel, method.warmup, state, key_tune, logdensity_fn=logdensity,
            frac_tune1=0.8, frac_tune2=0.1, frac_tune3=0.1, params=_first_params(position),
            diagonal_preconditioning=method.diagonal_preconditioning,
        )  # fmt: skip

        def step(key, state):
            state, info = kernel(
                key, state, logdensity, params.inverse_mass_matrix, params.L, params.step_size
            )
            return state, {"energy_change": info.energy_change}

    else:
        kernel = adjusted_mclmc_dynamic.build_kernel(
            integration_steps_fn=adjusted_mclmc_dynamic.make_random_trajectory_length_fn(True)
        )
        state = adjusted_mclmc_dynamic.init(position, logdensity, key_init)
        state, params, _ = blackjax.adjusted_mclmc_find_L_and_step_size(
            kernel, logdensity, method.warmup, state, key_tune,
            target=method.target_accept or TARGET_ACCEPT, frac_tune1=1 / 3, frac_tune2=1 / 3, frac_tune3=0.0,
            diagonal_preconditioning=method.diagonal_preconditioning,
        )  # fmt: skip

        def step(key, state):
            state, info = kernel(
                key, state, logdensity, params.step_size, inverse_mass_matrix=params.inverse_mass_matrix,
                integration_steps_params=(params.L / params.step_size,),
            )  # fmt: skip
            stats = {"accept_prob": info.acceptance_rate, "diverging": info.is_divergent}
            return state, stats | {"num_steps": info.num_integration_steps}

    def with_params(key, state):
        state, stats = step(key, state)
        return state, stats | {"adapt_state.step_size": params.step_size, "L": params.L}

    return state, with_params


def _chain(d: Density, method: MCLMC, progress: Callable | None) -> Callable:
    """One chain: ``(key, start, x, y, subs) -> (samples, stats)``, each ``(draws, ...)``."""

    def run(key, start, x, y, subs):
        position, unravel = ravel_pytree(start)

        def logdensity(q):
            return d.log_posterior(unravel(q), x, y, subs)

        key_tune, key_run = jax.random.split(key)
        state, step = _tuned(method, logdensity, position, key_tune)

        def draw(state, inputs):  # ``thinning`` steps, the last one kept
            index, keys = inputs
            chains.report(progress, method.warmup + index * method.thinning)

            def one(state, key):
                return step(key, state)

            state, stats = jax.lax.scan(one, state, keys)
            samples = d.constrain(unravel(state.position))
            stats = jax.tree.map(lambda v: v[-1], stats) | {"log_density": state.logdensity}
            return state, (samples, stats)

        keys = jax.random.split(key_run, method.samples * method.thinning)
        inputs = (jnp.arange(method.samples), keys.reshape(method.samples, method.thinning))
        return jax.lax.scan(draw, state, inputs)[1]

    return run


def fit_mclmc(
    bnn: BNN, x: np.ndarray, y: np.ndarray, method: MCLMC, seed: int, progress: bool
) -> tuple[dict, dict, dict, dict]:
    """``(samples, stats, fixed, members)`` from ``method.chains`` MCLMC chains; see the module
    docstring. Deterministic layers are set by a MAP fit and held fixed, as for NUTS."""
    d, starts, members, info = ensemble.prepare(bnn, x, y, method, seed)
    key = (
        bnn.cache_key,
        method,
        progress,
        _programs.signature(x, y, d.subs, starts),
        jax.local_device_count(),
    )
    relay = chains.relay if progress else None
    program = _programs.get(key, lambda: chains.spread(_chain(d, method, relay), method.chains, 3))
    keys = chains.pad(
        jax.random.split(jax.random.fold_in(jax.random.key(seed), 1), method.chains), method.chains
    )
    args = (keys, chains.pad(starts, method.chains), jnp.asarray(x), jnp.asarray(y), d.subs)
    bar = chains.Bar(method.warmup + method.samples * method.thinning, progress, "MCLMC")
    samples, stats = chains.run_with_bar(program, args, bar)
    samples = {k: np.asarray(v)[: method.chains] for k, v in samples.items()}
    stats = {k: np.asarray(v)[: method.chains] for k, v in stats.items()}
    return samples, stats | info, d.fixed, members
