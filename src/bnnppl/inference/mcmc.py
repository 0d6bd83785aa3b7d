"""NUTS and fixed-step HMC: NumPyro's kernels, every chain in one compiled program.

The program (one per model, method config and data shapes, kept in ``bnnppl._programs``) builds
NumPyro's ``NUTS`` or ``HMC`` kernel inside itself, initialises it, runs ``warmup`` adaptation
steps and then ``samples`` steps, keeping every ``thinning``-th state. The data, the deterministic
layers' values, the start and the keys are its arguments, never constants, so a second fit with
new data of the same shape or a new seed runs the same compiled code. Chains are ``vmap``-ed and
spread over the devices JAX has (``shard_map``); chain ``c`` always uses key ``c`` of
``jax.random.split(key, chains)``, whatever the devices, as NumPyro's ``MCMC`` does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, PartitionSpec
from numpyro import handlers
from numpyro import infer as ni
from tqdm.auto import tqdm

from bnnppl import _programs
from bnnppl.inference.svi import point_fit
from bnnppl.model.bnn import BNN
from bnnppl.model.sites import F
from bnnppl.spec.methods import HMC, NUTS

EXTRA_FIELDS = ("diverging", "accept_prob", "num_steps", "adapt_state.step_size", "energy")
_PROGRESS_EVERY = 50  # transitions between progress updates


def _kernel(method: NUTS | HMC, model: Callable, init_values: dict | None) -> Any:
    if isinstance(method, HMC):
        return ni.HMC(
            model,
            step_size=method.step_size,
            num_steps=method.num_steps,
            # NumPyro's default trajectory_length=2*pi would rescale the step to 2*pi/num_steps
            trajectory_length=None,
            adapt_step_size=method.adapt,
            adapt_mass_matrix=method.adapt,
        )
    strategies = {"uniform": ni.init_to_uniform, "prior": ni.init_to_sample, "median": ni.init_to_median}
    if method.init in ("map", "svi"):
        strategy = ni.init_to_value(values=init_values)
    else:
        strategy = strategies[method.init]
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
    """One chain: ``(key, init_values, x, y, subs) -> (samples, stats)``, each ``(draws, ...)``."""

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
            if progress is not None:
                jax.lax.cond(i % _PROGRESS_EVERY == 0, lambda: jax.debug.callback(progress, i), lambda: None)
            state = kernel.sample(state, args, {})
            done = i - method.warmup - skip + 1  # kept-phase steps taken, this one included
            write = (done > 0) & (done % method.thinning == 0)

            def put(out):
                return jax.tree.map(lambda a, v: a.at[done // method.thinning - 1].set(v), out, record(state))

            return state, jax.lax.cond(write, put, lambda out: out, out)

        return jax.lax.fori_loop(0, method.warmup + method.samples, step, (state, out))[1]

    return run


def _devices(chains: int) -> int:
    return min(chains, jax.local_device_count())


def _program(bnn: BNN, method: NUTS | HMC, progress: Callable | None) -> Callable:
    """``(keys, init_values, x, y, subs) -> (samples, stats)`` over every chain, compiled once."""
    devices = _devices(method.chains)
    mesh = Mesh(np.array(jax.local_devices()[:devices]), ("chain",))
    one = _chain(bnn, method, progress)
    if math.ceil(method.chains / devices) == 1:  # a chain per device: no vmap, as NumPyro's pmap

        def chains(keys, *args):
            return jax.tree.map(lambda v: v[None], one(keys[0], *args))

    else:  # NumPyro's NUTS under vmap takes other (equally valid) paths than one chain alone
        chains = jax.vmap(one, in_axes=(0, None, None, None, None))
    spread = jax.shard_map(
        chains,
        mesh=mesh,
        in_specs=(PartitionSpec("chain"), PartitionSpec(), PartitionSpec(), PartitionSpec(), PartitionSpec()),
        out_specs=PartitionSpec("chain"),
        check_vma=False,
    )
    return jax.jit(spread)


class _Bar:
    """A progress bar fed from inside the program: the latest transition any chain reported."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar = tqdm(total=total, disable=not enabled, desc="MCMC", unit="step")
        self.done = 0

    def __call__(self, i: Any) -> None:
        i = int(np.max(np.asarray(i))) + 1
        if i > self.done:
            self.bar.update(i - self.done)
            self.done = i

    def close(self) -> None:
        self.bar.update(self.bar.total - self.done)
        self.bar.close()


def fit_mcmc(
    bnn: BNN, x: np.ndarray, y: np.ndarray, method: NUTS | HMC, seed: int, progress: bool
) -> tuple[dict, dict, dict]:
    """``(samples, stats, fixed)`` from NumPyro's NUTS or HMC kernel on ``bnn.model``.

    Layers that are point estimates (deterministic layers) are set by a MAP fit first and held
    fixed; ``init="map"`` / ``"svi"`` start the chains at such a fit.
    """
    key_init, key_run = jax.random.split(jax.random.key(seed))
    init = method.init if isinstance(method, NUTS) else "uniform"
    steps = method.init_steps if isinstance(method, NUTS) else 2000
    fixed: dict = {}
    init_values = None
    if init in ("map", "svi") or bnn.point_paths(x.shape[1]):
        init_values, fixed = point_fit(bnn, x, y, "normal" if init == "svi" else "delta", steps, key_init)
    if init not in ("map", "svi"):
        init_values = None
    subs = bnn.fixed_substitutions(fixed, x.shape[1])
    bar = _Bar(method.warmup + method.samples, progress)
    key = (
        bnn.cache_key,
        method,
        progress,
        _programs.signature(x, y, subs, init_values),
        jax.local_device_count(),
    )
    program = _programs.get(key, lambda: _program(bnn, method, _relay if progress else None))
    keys = _chain_keys(key_run, method.chains)
    _relay.target = bar
    try:
        samples, stats = jax.block_until_ready(program(keys, init_values, x, y, subs))  # callbacks run here
    finally:
        _relay.target = None
        bar.close()
    samples = {k: np.asarray(v)[: method.chains] for k, v in samples.items()}
    stats = {k: np.asarray(v)[: method.chains] for k, v in stats.items()}
    if isinstance(method, NUTS):
        stats["tree_depth"] = np.floor(np.log2(np.maximum(stats["num_steps"], 1))).astype(np.int64) + 1
    return samples, stats, fixed


class _Relay:
    """The progress callback compiled into a program: forwards to the current fit's bar."""

    target: _Bar | None = None

    def __call__(self, i: Any) -> None:
        if self.target is not None:
            self.target(i)


_relay = _Relay()


def _chain_keys(key: jax.Array, chains: int) -> jax.Array:
    """``jax.random.split(key, chains)``, padded by repeating the last key to a multiple of the
    devices in use (the padded chains are dropped afterwards)."""
    keys = jax.random.split(key, chains)
    per_device = math.ceil(chains / _devices(chains))
    pad = per_device * _devices(chains) - chains
    return jnp.concatenate([keys, jnp.repeat(keys[-1:], pad, axis=0)]) if pad else keys
