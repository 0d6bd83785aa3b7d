"""Samplers run in phases (burn-in, then production) of compiled chunks of steps: one host sync
and one progress-bar update per chunk; the chunk is compiled once and kept in
``bnnppl._programs``. Used by BAOAB Langevin, SGLD and SGHMC."""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from tqdm.auto import tqdm

from bnnppl import _programs

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


def sample_phases(
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


def float_args(**values: float) -> dict[str, jax.Array]:
    """Scalars as float32 arrays: burn-in and production arguments then have the same types."""
    return {k: jnp.asarray(v, jnp.float32) for k, v in values.items()}


def chain_starts(start: dict[str, jax.Array], chains: int) -> dict[str, jax.Array]:
    """``start`` (a density's ``init``) repeated for each chain: ``(chains, *site_shape)``."""
    return jax.tree.map(lambda v: jnp.broadcast_to(v, (chains, *v.shape)), start)
