"""Langevin samplers: underdamped Langevin with BAOAB (full batch), SGLD and SGHMC (minibatches).

``fit(bnn, x, y, Langevin(...))`` runs the BAOAB kernel below; ``SGLD(...)`` and ``SGHMC(...)``
run BlackJAX's ``sgld`` and ``sghmc`` with ``blackjax.sgmcmc.gradients.grad_estimator``. All
three work on the unconstrained scale of ``bnnppl.inference.density`` and return draws of the
constrained sample sites, shaped ``(chain, draw, *site_shape)``.

- Starts: every chain starts at the density's start (a MAP fit by default, ``init_steps`` Adam
  steps). Chains differ by their own noise and, for ``Langevin``, by their own initial momenta
  drawn from ``N(0, mass * temperature)``; a shared start makes r-hat somewhat optimistic.
  ``init="ensemble"`` starts each chain at its own member of a MAP ensemble instead.
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
``baoab_init`` / ``baoab_step`` are re-exported here). The minibatch samplers live in
``bnnppl.inference.sgmcmc``, the chunked phases all three run in ``bnnppl.inference.phases``.

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

import jax
import jax.numpy as jnp
import numpy as np

from bnnppl import _programs
from bnnppl.inference import ensemble
from bnnppl.inference.baoab import (  # noqa: F401  (re-exported)
    BAOABState,
    baoab_init,
    baoab_step,
    draw_momentum,
    kinetic_temperature,
)
from bnnppl.inference.density import Density
from bnnppl.inference.phases import float_args, sample_phases
from bnnppl.inference.sgmcmc import fit_minibatch
from bnnppl.model.bnn import BNN
from bnnppl.spec.sampler_methods import SGHMC, SGLD, Langevin

__all__ = ["BAOABState", "baoab_init", "baoab_step", "draw_momentum", "fit_langevin", "kinetic_temperature"]


def _baoab_chains(d: Density, method: Langevin) -> tuple[Callable, Callable, Callable]:
    """``(init, step, record)`` for ``method.chains`` vmapped BAOAB chains on ``d``'s posterior."""

    def logdensity(args):
        return lambda q: d.log_posterior(q, args["x"], args["y"], args["subs"])

    @jax.jit
    def init(key, args):  # all chains at the start, each with its own momenta
        mass = method.burnin_mass if method.burnin else method.mass
        position = args["start"]
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


def _fit_baoab(
    d: Density, starts: dict, x, y, method: Langevin, key, progress: bool, cache: tuple
) -> tuple[dict, dict]:
    """Burn-in with ``burnin_friction``/``burnin_mass``, momenta rescaled, production."""
    init, step, record = _programs.get((*cache, "baoab"), lambda: _baoab_chains(d, method))
    data = {"x": x, "y": y, "subs": d.subs}
    common = {"step_size": method.step_size, "temperature": method.temperature}
    args = data | float_args(friction=method.friction, mass=method.mass, **common)
    burnin_args = data | float_args(friction=method.burnin_friction, mass=method.burnin_mass, **common)
    scale = math.sqrt(method.mass / method.burnin_mass)

    def between(state):  # momenta N(0, burnin_mass T) -> N(0, mass T)
        return state._replace(momentum=jax.tree.map(lambda p: scale * p, state.momentum))

    key_momentum, key_run = jax.random.split(key)
    state = init(key_momentum, args | {"start": starts})
    phases = {"burnin_args": burnin_args, "between": between if method.burnin else None}
    return sample_phases(step, record, state, key_run, method, args, progress=progress, cache=cache, **phases)


def fit_langevin(
    bnn: BNN, x: np.ndarray, y: np.ndarray, method: Langevin | SGLD | SGHMC, seed: int, progress: bool
) -> tuple[dict, dict, dict, dict]:
    """``(samples, stats, fixed, members)`` from BAOAB (``Langevin``), SGLD or SGHMC; see the
    module docstring."""
    d, starts, members, info = ensemble.prepare(bnn, x, y, method, seed)
    key = jax.random.fold_in(jax.random.key(seed), 1)
    run = _fit_baoab if isinstance(method, Langevin) else fit_minibatch
    cache = (bnn.cache_key, method, _programs.signature(x, y, d.subs, d.init))
    samples, stats = run(d, starts, jnp.asarray(x), jnp.asarray(y), method, key, progress, cache)
    return samples, stats | info, d.fixed, members
