"""A BNN's log densities on the unconstrained scale, for samplers outside NumPyro (BlackJAX).

``density(bnn, x, y, ...)`` returns a ``Density``: a starting position (a dict of unconstrained
arrays, one per latent sample site), the log prior (with the log-Jacobian of the map to each
site's support), the log-likelihood of each data point, and the maps between the two scales.
Langevin dynamics and SMC build on it: tempering multiplies the likelihood, data annealing
masks points, minibatch samplers pass rows.

>>> import jax.numpy as jnp
>>> import bnnppl as bp
>>> bnn = bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=()), likelihood=bp.Gaussian(noise=1.0)))
>>> x, y = jnp.ones((3, 1)), jnp.zeros(3)
>>> d = density(bnn, x, y, init="prior", seed=0)
>>> sorted(d.init), d.log_lik(d.init, x, y).shape
(['net.Dense_0.bias', 'net.Dense_0.kernel'], (3,))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from numpyro import handlers
from numpyro.distributions import biject_to

from bnnppl import _programs
from bnnppl._checks import check_seed
from bnnppl.model.bnn import BNN
from bnnppl.model.sites import OBS

INITS = ("map", "prior", "uniform")


class Density(NamedTuple):
    """Log densities of a BNN posterior over unconstrained positions (dicts: site -> array)."""

    init: dict[str, jax.Array]
    """The starting position of one chain (unconstrained)."""
    log_prior: Callable[[Mapping[str, jax.Array]], jax.Array]
    """``position -> scalar``: log prior density plus the log-Jacobian of ``constrain``."""
    log_lik: Callable[[Mapping[str, jax.Array], jax.Array, jax.Array], jax.Array]
    """``(position, x, y) -> (n,)``: the log-likelihood of each row of ``x``, ``y``."""
    constrain: Callable[[Mapping[str, jax.Array]], dict[str, jax.Array]]
    """``position -> sample-site values`` (e.g. the noise scale made positive)."""
    unconstrain: Callable[[Mapping[str, Any]], dict[str, jax.Array]]
    """``sample-site values -> position``."""
    fixed: dict[str, np.ndarray]
    """Deterministic layers' point estimates (parameter path -> value), held fixed."""
    model: Callable
    """``bnn.model`` with the deterministic layers set to ``fixed``: ``model(x, y=None)``."""
    subs: dict[str, Any]
    """``fixed`` as ``handlers.substitute`` data. ``log_prior`` and ``log_lik`` use it unless given
    ``subs=``: compiled programs pass it as an argument, so they can serve the next fit too."""
    draw_prior: Callable[[jax.Array], dict[str, jax.Array]]
    """``key -> position``: a draw from the prior, on the unconstrained scale."""

    def log_posterior(
        self, position: Mapping[str, jax.Array], x: jax.Array, y: jax.Array, subs: Any = None
    ) -> jax.Array:
        """Unnormalised log posterior: ``log_prior + sum(log_lik)``."""
        return self.log_prior(position, subs) + self.log_lik(position, x, y, subs).sum()


def _trace(model: Callable, values: Mapping[str, Any] | None, key: Any, x: Any, y: Any) -> dict:
    seeded = handlers.seed(model, key)
    if values is not None:
        seeded = handlers.substitute(seeded, data=dict(values))
    return handlers.trace(seeded).get_trace(x, y)


def _latent(trace: Mapping[str, dict]) -> dict[str, dict]:
    return {k: s for k, s in trace.items() if s["type"] == "sample" and not s["is_observed"]}


def _start(init: str, position: dict[str, Any], key: jax.Array) -> dict[str, Any]:
    """The chains' start on the unconstrained scale: ``position`` (the MAP fit's or a prior draw)
    or, for ``init="uniform"``, uniform in (-2, 2) in its shapes."""
    if init != "uniform":
        return position
    keys = jax.random.split(key, len(position))
    return {
        k: jax.random.uniform(kk, jnp.shape(position[k]), minval=-2.0, maxval=2.0)
        for kk, k in zip(keys, sorted(position), strict=True)
    }


def density(
    bnn: BNN,
    x: Any,
    y: Any,
    *,
    init: str = "map",
    init_steps: int = 2000,
    seed: int = 0,
) -> Density:
    """The ``Density`` of ``bnn``'s posterior given ``x``, ``y`` (checked with ``bnn.check_data``).

    ``init``: ``"map"`` (a MAP fit, SVI with ``AutoDelta`` for ``init_steps`` Adam steps),
    ``"prior"`` (a prior draw) or ``"uniform"`` (uniform in (-2, 2) on the unconstrained scale,
    NumPyro's default). Deterministic layers are set by a MAP fit and held fixed, as for NUTS.
    """
    from bnnppl.inference.svi import point_fit

    x, y = bnn.check_data(x, y)
    key_fit, key_init = jax.random.split(jax.random.key(check_seed("seed", seed)))
    fixed: dict = {}
    start = None
    if init == "map" or bnn.point_paths(x.shape[1]):
        start, fixed = point_fit(bnn, x, y, "delta", init_steps, key_fit)
    own = bnn.fixed_substitutions(fixed, x.shape[1])
    model = handlers.substitute(bnn.model, data=own)

    def with_subs(subs):
        return handlers.substitute(bnn.model, data=own if subs is None else subs)

    def build():
        supports: dict[str, Any] = {}

        def probe(key, x, y, subs):  # one traced run: the latent sites, their supports, a prior draw
            sites = _latent(_trace(with_subs(subs), None, key, x, y))
            supports.update({k: s["fn"].support for k, s in sites.items()})
            return {k: s["value"] for k, s in sites.items()}

        return jax.jit(probe), supports

    probe, supports = _programs.get((bnn.cache_key, "density", _programs.signature(x, y, own)), build)
    prior_draw = probe(key_init, x, y, own)
    transforms = {k: biject_to(s) for k, s in supports.items()}

    def constrain(position):
        return {k: t(position[k]) for k, t in transforms.items()}

    def unconstrain(values):
        return {k: t.inv(jnp.asarray(values[k])) for k, t in transforms.items()}

    position = _start(init, unconstrain(start if init == "map" else prior_draw), key_init)
    # the prior needs no data, but the model wants one row for shapes: zeros (a valid label too)
    x1, y1 = np.zeros((1, x.shape[1]), x.dtype), np.zeros((1,), y.dtype)

    def log_prior(position, subs=None):
        values = constrain(position)
        trace = _trace(with_subs(subs), values, 0, x1, y1)
        total = sum(s["fn"].log_prob(s["value"]).sum() for s in _latent(trace).values())
        jac = sum(t.log_abs_det_jacobian(position[k], values[k]).sum() for k, t in transforms.items())
        return total + jac

    def log_lik(position, x, y, subs=None):
        trace = _trace(with_subs(subs), constrain(position), 0, x, y)
        site = trace[OBS]
        return site["fn"].log_prob(site["value"])

    return Density(
        init={k: jnp.asarray(v) for k, v in position.items()},
        log_prior=log_prior,
        log_lik=log_lik,
        constrain=constrain,
        unconstrain=unconstrain,
        fixed=fixed,
        model=model,
        subs=own,
        draw_prior=lambda key: unconstrain(probe(key, x, y, own)),
    )
