"""NUTS and fixed-step HMC: NumPyro's kernels, every chain in one compiled program.

The program (one per model, method config and data shapes, kept in ``bnnppl._programs``) builds
NumPyro's ``NUTS`` or ``HMC`` kernel inside itself, initialises it, runs ``warmup`` adaptation
steps and then ``samples`` steps, keeping every ``thinning``-th state. The data, the deterministic
layers' values, the start and the keys are its arguments, never constants, so a second fit with
new data of the same shape or a new seed runs the same compiled code. Chains are spread over the
devices JAX has (``shard_map``); a device with several runs its NUTS chains one after another
(``lax.map``) and its HMC chains as a ``vmap`` (``chains.spread``). Chain ``c`` always uses key
``c`` of ``jax.random.split(key, chains)``, whatever the devices, as NumPyro's ``MCMC`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from numpyro import handlers
from numpyro import infer as ni

from bnnppl import _programs
from bnnppl.inference import chains, ensemble
from bnnppl.inference.svi import point_fit
from bnnppl.model.bnn import BNN
from bnnppl.model.sites import F
from bnnppl.spec.methods import HMC, NUTS

EXTRA_FIELDS = ("diverging", "accept_prob", "num_steps", "adapt_state.step_size", "energy")


def _kernel(method: NUTS | HMC, model: Callable, init_values: dict | None) -> Any:
    strategies = {"uniform": ni.init_to_uniform, "prior": ni.init_to_sample, "median": ni.init_to_median}
    if method.init in ("map", "svi", "ensemble"):
        strategy = ni.init_to_value(values=init_values)
    else:
        strategy = strategies[method.init]
    if isinstance(method, HMC):
        return ni.HMC(
            model,
            init_strategy=strategy,
            step_size=method.step_size,
            num_steps=method.num_steps,
            # NumPyro's default trajectory_length=2*pi would rescale the step to 2*pi/num_steps
            trajectory_length=None,
            adapt_step_size=method.adapt,
            adapt_mass_matrix=method.adapt,
        )
    return ni.NUTS(
        model,
        target_accept_prob=method.target_accept,
        max_tree_depth=method.max_tree_depth,
        dense_mass=method.dense_mass,
        init_strategy=strategy,
    )


def _field(state: Any, name: str) -> Any:
    for part in name.split("."):
        state = getattr(state, part)
    return state


def _chain(bnn: BNN, method: NUTS | HMC, progress: Callable | None) -> Callable:
    """One chain: ``(key, init_values, x, y, subs) -> (samples, stats)``, each ``(draws, ...)``;
    ``init_values``: this chain's start (constrained site values) or ``None``."""

    def model(x, y, subs):
        handlers.substitute(bnn.model, data=subs)(x, y)

    def run(key, init_values, x, y, subs):
        kernel = _kernel(method, model, init_values)
        args = (x, y, subs)
        state = kernel.init(key, method.warmup, None, model_args=args, model_kwargs={})
        constrain = kernel.postprocess_fn(args, {})

        def record(state):
            samples = {k: v for k, v in constrain(state.z).items() if k != F}
            return samples, {name: _field(state, name) for name in EXTRA_FIELDS}

        # one loop over every transition, its body (the kernel's step) compiled once, as in
        # NumPyro's fori_collect: the state after the last step of each block of ``thinning``
        # sampling steps is written to the draws, blocks aligned to the end (the first
        # ``samples % thinning`` sampling steps are not kept)
        draws = method.samples // method.thinning
        skip = method.samples % method.thinning
        out = jax.tree.map(lambda s: jnp.zeros((draws, *s.shape), s.dtype), jax.eval_shape(record, state))

        def step(i, carry):
            state, out = carry
            chains.report(progress, i)
            state = kernel.sample(state, args, {})
            done = i - method.warmup - skip + 1  # kept-phase steps taken, this one included
            write = (done > 0) & (done % method.thinning == 0)

            def put(out):
                return jax.tree.map(lambda a, v: a.at[done // method.thinning - 1].set(v), out, record(state))

            return state, jax.lax.cond(write, put, lambda out: out, out)

        return jax.lax.fori_loop(0, method.warmup + method.samples, step, (state, out))[1]

    return run


def _program(bnn: BNN, method: NUTS | HMC, progress: Callable | None) -> Callable:
    """``(keys, init_values, x, y, subs) -> (samples, stats)`` over every chain, compiled once;
    ``keys`` and ``init_values`` (or ``None``) have one row per chain."""
    vectorize = not isinstance(method, NUTS)  # NUTS: each chain its own tree lengths (chains.spread)
    return chains.spread(_chain(bnn, method, progress), method.chains, 3, vectorize=vectorize)


def _starts(bnn: BNN, x: np.ndarray, y: np.ndarray, method: NUTS | HMC, seed: int) -> tuple:
    """``(init_values, fixed, members, info)``: each chain's start (constrained site values with a
    leading chain axis, or ``None`` for NumPyro's own strategies), the deterministic layers'
    values, and for ``init="ensemble"`` the members (NumPy) and their fits' ``info``."""
    init = method.init
    if init == "ensemble":
        d, _, members, info = ensemble.prepare(bnn, x, y, method, seed)
        return members, d.fixed, members, info
    fixed: dict = {}
    values = None
    if init in ("map", "svi") or bnn.point_paths(x.shape[1]):
        key_init = jax.random.split(jax.random.key(seed))[0]
        guide = "normal" if init == "svi" else "delta"
        values, fixed = point_fit(bnn, x, y, guide, method.init_steps, key_init)
    if init not in ("map", "svi"):
        return None, fixed, {}, {}
    values = jax.tree.map(lambda v: jnp.broadcast_to(v, (method.chains, *jnp.shape(v))), values)
    return values, fixed, {}, {}


def fit_mcmc(
    bnn: BNN, x: np.ndarray, y: np.ndarray, method: NUTS | HMC, seed: int, progress: bool
) -> tuple[dict, dict, dict, dict]:
    """``(samples, stats, fixed, members)`` from NumPyro's NUTS or HMC kernel on ``bnn.model``.

    Layers that are point estimates (deterministic layers) are set by a MAP fit first and held
    fixed; ``init="map"`` / ``"svi"`` start the chains at such a fit, ``init="ensemble"`` each
    chain at its own member of a MAP ensemble (``bnnppl.inference.ensemble``).
    """
    key_run = jax.random.split(jax.random.key(seed))[1]
    init_values, fixed, members, info = _starts(bnn, x, y, method, seed)
    subs = bnn.fixed_substitutions(fixed, x.shape[1])
    bar = chains.Bar(method.warmup + method.samples, progress, "MCMC")
    key = (
        bnn.cache_key,
        method,
        progress,
        _programs.signature(x, y, subs, init_values),
        jax.local_device_count(),
    )
    program = _programs.get(key, lambda: _program(bnn, method, chains.relay if progress else None))
    keys = chains.pad(jax.random.split(key_run, method.chains), method.chains)
    init_values = None if init_values is None else chains.pad(init_values, method.chains)
    samples, stats = chains.run_with_bar(program, (keys, init_values, x, y, subs), bar)
    samples = {k: np.asarray(v)[: method.chains] for k, v in samples.items()}
    stats = {k: np.asarray(v)[: method.chains] for k, v in stats.items()}
    if isinstance(method, NUTS):
        stats["tree_depth"] = np.floor(np.log2(np.maximum(stats["num_steps"], 1))).astype(np.int64) + 1
    stats |= info
    return samples, stats, fixed, members
