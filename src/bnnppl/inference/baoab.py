"""The BAOAB integrator of underdamped Langevin dynamics (Leimkuhler & Matthews), one gradient
evaluation per step, on any pytree position; ``bnnppl.inference.langevin`` runs it on a BNN.

BlackJAX 1.7 has no BAOAB integrator (``blackjax.mcmc.integrators`` has deterministic splittings
for HMC, ``blackjax.sgmcmc.diffusions`` Euler schemes for SGLD/SGHMC), so it is written here as
a pure ``init``/``step`` pair on any pytree position:

>>> import jax, jax.numpy as jnp
>>> logdensity = lambda q: -0.5 * jnp.sum(q["w"] ** 2)
>>> state = baoab_init({"w": jnp.zeros(3)}, logdensity)
>>> state = baoab_step(jax.random.key(0), state, logdensity, 0.1, friction=1.0)
>>> state.position["w"].shape, state.logdensity.shape
((3,), ())
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp


class BAOABState(NamedTuple):
    """The state of one BAOAB chain; the gradient is cached so that a step evaluates it once."""

    position: Any
    """A pytree of arrays."""
    momentum: Any
    """Same structure as ``position``."""
    logdensity: jax.Array
    """``logdensity_fn(position)``."""
    logdensity_grad: Any
    """Its gradient at ``position``."""


def _normal_like(key: jax.Array, tree: Any) -> Any:
    leaves, treedef = jax.tree.flatten(tree)
    keys = jax.random.split(key, len(leaves))
    noise = [
        jax.random.normal(k, jnp.shape(x), jnp.result_type(x)) for k, x in zip(keys, leaves, strict=True)
    ]
    return jax.tree.unflatten(treedef, noise)


def draw_momentum(key: jax.Array, position: Any, mass: float = 1.0, temperature: float = 1.0) -> Any:
    """Momenta from their stationary law ``N(0, mass * temperature)``, shaped like ``position``.

    >>> p = draw_momentum(jax.random.key(0), {"w": jnp.zeros(20_000)}, mass=4.0)
    >>> round(float(jnp.std(p["w"])), 1)  # sqrt(mass * temperature)
    2.0
    """
    scale = jnp.sqrt(mass * temperature)
    return jax.tree.map(lambda z: scale * z, _normal_like(key, position))


def baoab_init(position: Any, logdensity_fn: Callable[[Any], jax.Array], momentum: Any = None) -> BAOABState:
    """A ``BAOABState`` at ``position`` with ``momentum`` (default zero), evaluating the gradient.

    >>> state = baoab_init({"w": jnp.ones(2)}, lambda q: -0.5 * jnp.sum(q["w"] ** 2))
    >>> float(state.logdensity), state.logdensity_grad["w"].tolist(), state.momentum["w"].tolist()
    (-1.0, [-1.0, -1.0], [0.0, 0.0])
    """
    logdensity, grad = jax.value_and_grad(logdensity_fn)(position)
    if momentum is None:
        momentum = jax.tree.map(jnp.zeros_like, position)
    return BAOABState(position, momentum, logdensity, grad)


def baoab_step(
    key: jax.Array,
    state: BAOABState,
    logdensity_fn: Callable[[Any], jax.Array],
    step_size: float,
    *,
    friction: float = 1.0,
    mass: float = 1.0,
    temperature: float = 1.0,
) -> BAOABState:
    """One BAOAB step (Leimkuhler & Matthews 2013) of ``dq = p / m dt``,
    ``dp = grad log pi(q) dt - friction p dt + sqrt(2 friction m T) dW``.

    B: half kick ``p += h/2 grad``; A: half drift ``q += h/2 p / m``; O: ``p = c p +
    sqrt((1 - c^2) m T) z`` with ``c = exp(-friction h)``; A; B with the new gradient. The
    stationary law is ``pi(q)^(1/T)`` times ``N(0, m T)`` momenta, up to ``O(h^2)`` (exact in
    ``q`` for Gaussian targets). One gradient evaluation per step.

    With no friction the O step does nothing: a deterministic velocity-Verlet step.

    >>> logdensity = lambda q: -0.5 * jnp.sum(q["w"] ** 2)
    >>> state = baoab_init({"w": jnp.ones(1)}, logdensity, momentum={"w": jnp.zeros(1)})
    >>> round(float(baoab_step(jax.random.key(0), state, logdensity, 0.1, friction=0.0).position["w"][0]), 4)
    0.995
    """
    h = step_size
    c = jnp.exp(-friction * h)
    p = jax.tree.map(lambda p, g: p + 0.5 * h * g, state.momentum, state.logdensity_grad)
    q = jax.tree.map(lambda q, p: q + 0.5 * h * p / mass, state.position, p)
    noise = _normal_like(key, p)
    sd = jnp.sqrt((1.0 - c**2) * mass * temperature)
    p = jax.tree.map(lambda p, z: c * p + sd * z, p, noise)
    q = jax.tree.map(lambda q, p: q + 0.5 * h * p / mass, q, p)
    logdensity, grad = jax.value_and_grad(logdensity_fn)(q)
    p = jax.tree.map(lambda p, g: p + 0.5 * h * g, p, grad)
    return BAOABState(q, p, logdensity, grad)


def kinetic_temperature(momentum: Any, mass: float) -> jax.Array:
    """``|p|^2 / (mass * dim)``: its average is the temperature at equilibrium.

    >>> float(kinetic_temperature({"a": jnp.full(2, 2.0), "b": jnp.zeros(2)}, mass=2.0))
    1.0
    """
    leaves = jax.tree.leaves(momentum)
    dim = sum(x.size for x in leaves)
    return sum(jnp.sum(x**2) for x in leaves) / (mass * dim)


# ---------------------------------------------------------------------------- chunked runs
