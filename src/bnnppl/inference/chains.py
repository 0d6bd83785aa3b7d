"""Many chains in one compiled program: spread over the devices JAX has, with a progress bar fed
from inside the program. Used by NUTS/HMC (``mcmc``) and MCLMC (``mclmc``).

``spread(one, chains, n_shared)`` turns ``one(key, start, *shared) -> out`` (one chain) into a
jitted ``(keys, starts, *shared) -> out`` over every chain: ``vmap``-ed (or, for NUTS, run one
after another with ``lax.map``) and ``shard_map``-ped over ``min(chains, devices)`` devices;
``pad`` brings the per-chain arguments to a multiple of the devices (the padded chains are
dropped afterwards). ``relay`` is the progress callback a program
compiles in; each fit points it at its own ``Bar``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, PartitionSpec
from tqdm.auto import tqdm

PROGRESS_EVERY = 50
"""Transitions between progress updates."""


def devices(chains: int) -> int:
    """Devices the chains are spread over."""
    return min(chains, jax.local_device_count())


def spread(one: Callable, chains: int, n_shared: int, *, vectorize: bool = True) -> Callable:
    """``(keys, starts, *shared) -> out`` over every chain, jitted; ``keys`` and ``starts`` (a tree,
    or ``None``) have one row per chain (padded), the ``n_shared`` other arguments are shared.

    With more chains than devices, a device runs its chains as a ``vmap`` (``vectorize``: for
    samplers whose steps cost the same in every chain, MCLMC, HMC) or one after another
    (``lax.map``: for NUTS, whose trees differ in length from chain to chain and would move in
    lockstep to the longest under ``vmap``; each chain then takes the path it takes alone).

    >>> def one(key, start, scale):  # one chain: three draws around its start
    ...     return start + scale * jax.random.normal(key, (3,))
    >>> program = spread(one, 4, 1)
    >>> keys, starts = pad(jax.random.split(jax.random.key(0), 4), 4), pad(jnp.arange(4.0), 4)
    >>> program(keys, starts, 0.0)[:4]
    Array([[0., 0., 0.],
           [1., 1., 1.],
           [2., 2., 2.],
           [3., 3., 3.]], dtype=float32)
    """
    count = devices(chains)
    mesh = Mesh(np.array(jax.local_devices()[:count]), ("chain",))
    if math.ceil(chains / count) == 1:  # a chain per device: no vmap, as NumPyro's pmap

        def run(keys, starts, *shared):
            starts = jax.tree.map(lambda v: v[0], starts)
            return jax.tree.map(lambda v: v[None], one(keys[0], starts, *shared))

    elif vectorize:  # NumPyro's NUTS under vmap takes other (equally valid) paths than one chain alone
        run = jax.vmap(one, in_axes=(0, 0, *[None] * n_shared))
    else:

        def run(keys, starts, *shared):
            return jax.lax.map(lambda chain: one(chain[0], chain[1], *shared), (keys, starts))

    by_chain, shared = PartitionSpec("chain"), PartitionSpec()
    program = jax.shard_map(
        run,
        mesh=mesh,
        in_specs=(by_chain, by_chain, *[shared] * n_shared),
        out_specs=by_chain,
        check_vma=False,
    )
    return jax.jit(program)


def pad(tree: Any, chains: int) -> Any:
    """Per-chain arrays (keys, starts) padded by repeating the last row to a multiple of the
    devices in use (the padded chains are dropped afterwards).

    >>> pad(jnp.arange(3), 3).shape[0] % jax.local_device_count()  # whole rounds on every device
    0
    """
    extra = math.ceil(chains / devices(chains)) * devices(chains) - chains
    if not extra:
        return tree
    return jax.tree.map(lambda v: jnp.concatenate([v, jnp.repeat(v[-1:], extra, axis=0)]), tree)


def report(progress: Callable | None, i: jax.Array) -> None:
    """Inside a program: tell ``progress`` every ``PROGRESS_EVERY`` transitions that ``i`` is done."""
    if progress is not None:
        jax.lax.cond(i % PROGRESS_EVERY == 0, lambda: jax.debug.callback(progress, i), lambda: None)


class Bar:
    """A progress bar fed from inside the program: the latest transition any chain reported."""

    def __init__(self, total: int, enabled: bool, desc: str) -> None:
        self.bar = tqdm(total=total, disable=not enabled, desc=desc, unit="step")
        self.done = 0

    def __call__(self, i: Any) -> None:
        i = int(np.max(np.asarray(i))) + 1
        if i > self.done:
            self.bar.update(i - self.done)
            self.done = i

    def close(self) -> None:
        self.bar.update(self.bar.total - self.done)
        self.bar.close()


class _Relay:
    """The progress callback compiled into a program: forwards to the current fit's bar."""

    target: Bar | None = None

    def __call__(self, i: Any) -> None:
        if self.target is not None:
            self.target(i)


relay = _Relay()


def run_with_bar(program: Callable, args: tuple, bar: Bar) -> Any:
    """``program(*args)`` with its progress reports going to ``bar``, waited for (the callbacks
    run while it runs); the bar is closed in any case.

    >>> def one(key, start, n):
    ...     def step(i, x):
    ...         report(relay, i)
    ...         return x + 1.0
    ...     return jax.lax.fori_loop(0, 100, step, start)
    >>> bar = Bar(100, enabled=False, desc="demo")
    >>> run_with_bar(spread(one, 1, 1), (jax.random.split(jax.random.key(0), 1), jnp.zeros(1), 0), bar)
    Array([100.], dtype=float32)
    >>> bar.done  # reports at steps 0 and 50 reached the bar
    51
    """
    relay.target = bar
    try:
        return jax.block_until_ready(program(*args))
    finally:
        relay.target = None
        bar.close()
