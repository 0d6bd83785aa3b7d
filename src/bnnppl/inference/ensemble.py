"""MAP ensembles: the starts of ``init="ensemble"`` (one member per chain).

``map_ensemble(d, x, y, members=..., steps=..., holdout=..., key=...)`` trains ``members`` MAP fits
of ``d``'s posterior together, in one compiled program (``jax.vmap`` over the members of a
``lax.scan`` over optax Adam steps): each member starts at its own prior draw and follows the
gradient of the negative log posterior, with a cosine learning-rate decay from ``LEARNING_RATE``
to 1 % of it, so that the final positions settle instead of jittering.

With ``holdout`` > 0, the last ``round(holdout * n)`` rows of a random permutation of the rows
are held out of the fits: the members' likelihood uses the other rows (scaled by ``n / n_train``
so that prior and likelihood keep their weights) and each member is kept at the step of its best
held-out log-likelihood (early stopping, as deep ensembles are trained). The program is kept in
``bnnppl._programs`` under the model, the settings and the data's shapes; data, keys and the
deterministic layers' values are its arguments, so a second fit compiles nothing.

>>> import bnnppl as bp
>>> from bnnppl.inference.density import density
>>> x = np.linspace(-1, 1, 20, dtype=np.float32)[:, None]
>>> bnn = bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(3,)), likelihood=bp.Gaussian(noise=0.1)))
>>> d = density(bnn, x, np.sin(3 * x[:, 0]), init="prior")
>>> starts, info = map_ensemble(d, x, np.sin(3 * x[:, 0]), members=4, steps=200, holdout=0.2,
...                             key=jax.random.key(0), cache=(bnn.cache_key,))
>>> starts["net.Dense_0.kernel"].shape, info["holdout_loglik"].shape, info["best_step"].shape
((4, 1, 3), (4,), (4,))
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from bnnppl import _programs
from bnnppl._checks import spec_error
from bnnppl.inference.density import Density, density
from bnnppl.inference.phases import chain_starts

LEARNING_RATE = 0.01
"""Adam's initial learning rate for the members' MAP fits (as for ``init="map"``)."""


def holdout_rows(n: int, holdout: float, owner: str) -> int:
    """Rows held out of ``n`` for ``holdout``; at least one on each side, or one clear error.

    >>> holdout_rows(100, 0.1, "NUTS"), holdout_rows(100, 0.0, "NUTS")
    (10, 0)
    >>> holdout_rows(3, 0.1, "NUTS")
    Traceback (most recent call last):
    ...
    ValueError: NUTS.init_holdout: 0.1 of 3 rows holds out 0; it must leave at least one row on ...
    """
    held = round(holdout * n)
    if holdout and not 1 <= held < n:
        raise spec_error(
            f"{owner}.init_holdout",
            f"{holdout!r} of {n} rows holds out {held}; it must leave at least one "
            "row on each side: use a larger fraction, or 0 for no hold-out.",
        )
    return held


def _program(d: Density, steps: int, early: bool) -> Any:
    """``(starts, train_x, train_y, scale, held_x, held_y, subs) -> (positions, info)``."""
    optimizer = optax.adam(optax.cosine_decay_schedule(LEARNING_RATE, steps, alpha=0.01))

    def fit_one(start, x, y, scale, hx, hy, subs):
        def loss(q):
            return -(d.log_prior(q, subs) + scale * d.log_lik(q, x, y, subs).sum()) / x.shape[0]

        def held(q):
            return d.log_lik(q, hx, hy, subs).mean() if early else jnp.zeros(())

        def step(carry, i):
            q, opt, best, best_ll, best_i = carry
            grads = jax.grad(loss)(q)
            updates, opt = optimizer.update(grads, opt, q)
            q = optax.apply_updates(q, updates)
            ll = held(q)
            better = jnp.isfinite(ll) & (ll > best_ll)  # a diverged member keeps its best finite step
            best = jax.tree.map(lambda a, b: jnp.where(better, a, b), q, best)
            return (q, opt, best, jnp.where(better, ll, best_ll), jnp.where(better, i + 1, best_i)), None

        carry = (start, optimizer.init(start), start, jnp.asarray(-jnp.inf, x.dtype), jnp.asarray(0))
        (q, _, best, best_ll, best_i), _ = jax.lax.scan(step, carry, jnp.arange(steps))
        if not early:
            return q, {"holdout_loglik": best_ll, "best_step": jnp.asarray(steps)}
        return best, {"holdout_loglik": best_ll, "best_step": best_i}

    in_axes = (0, None, None, None, None, None, None)
    return jax.jit(jax.vmap(fit_one, in_axes=in_axes))


def starts(d: Density, x: Any, y: Any, method: Any, seed: int, cache: tuple) -> tuple[dict, dict, dict]:
    """``(starts, members, info)`` for ``method.chains`` chains on ``d``: with ``init="ensemble"``
    each chain at its own member of a MAP ensemble (``members``: their constrained site values as
    NumPy arrays, ``(chain, *site_shape)``; ``info``: ``map_ensemble``'s, keys prefixed
    ``ensemble_``), else every chain at ``d.init`` (``members`` and ``info`` empty).

    >>> import bnnppl as bp
    >>> x = np.linspace(-1, 1, 20, dtype=np.float32)[:, None]
    >>> bnn = bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(3,)), likelihood=bp.Gaussian(noise=0.1)))
    >>> d = density(bnn, x, np.sin(3 * x[:, 0]), init="prior")
    >>> method = bp.MCLMC(chains=2, init="ensemble", init_steps=50)
    >>> positions, members, info = starts(d, x, np.sin(3 * x[:, 0]), method, 0, (bnn.cache_key,))
    >>> members["net.Dense_0.kernel"].shape, sorted(info)
    ((2, 1, 3), ['ensemble_best_step', 'ensemble_holdout_loglik'])
    """
    if method.init != "ensemble":
        return chain_starts(d.init, method.chains), {}, {}
    positions, info = map_ensemble(
        d, x, y, members=method.chains, steps=method.init_steps, holdout=method.init_holdout,
        key=jax.random.fold_in(jax.random.key(seed), 2), cache=cache, owner=type(method).__name__,
    )  # fmt: skip
    members = {k: np.asarray(v) for k, v in jax.vmap(d.constrain)(positions).items()}
    return positions, members, {f"ensemble_{k}": v for k, v in info.items()}


def prepare(bnn: Any, x: Any, y: Any, method: Any, seed: int) -> tuple[Density, dict, dict, dict]:
    """``(d, starts, members, info)`` for an MCMC method's fit of ``bnn`` on ``(x, y)``: its
    ``Density`` (with ``init="ensemble"`` built from a prior start, the members replacing it) and
    ``starts(d, ...)``'s per-chain starts, members and info.

    >>> import bnnppl as bp
    >>> x = np.linspace(-1, 1, 20, dtype=np.float32)[:, None]
    >>> bnn = bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(3,)), likelihood=bp.Gaussian(noise=0.1)))
    >>> d, positions, members, info = prepare(bnn, x, np.sin(3 * x[:, 0]), bp.MCLMC(chains=2), 0)
    >>> positions["net.Dense_0.kernel"].shape, len(members)  # default init="ensemble"
    ((2, 1, 3), 4)
    """
    init = "prior" if method.init == "ensemble" else method.init
    d = density(bnn, x, y, init=init, init_steps=method.init_steps, seed=seed)
    return (d, *starts(d, x, y, method, seed, (bnn.cache_key,)))


def map_ensemble(
    d: Density,
    x: Any,
    y: Any,
    *,
    members: int,
    steps: int,
    holdout: float,
    key: jax.Array,
    cache: tuple = (),
    owner: str = "init",
) -> tuple[dict[str, jax.Array], dict[str, np.ndarray]]:
    """``members`` MAP fits of ``d``'s posterior: their positions (unconstrained, each site shaped
    ``(members, *site_shape)``) and ``info``: ``holdout_loglik`` (each member's mean held-out
    log-likelihood per row at the kept step; 0 without hold-out) and ``best_step``, each
    ``(members,)``. ``cache``: what identifies ``d``'s model in ``bnnppl._programs`` (the BNN's
    ``cache_key``); ``owner`` names the method in errors (``"NUTS"`` gives ``NUTS.init_holdout``)."""
    x, y = jnp.asarray(x), jnp.asarray(y)
    n = x.shape[0]
    held = holdout_rows(n, holdout, owner)
    key_start, key_rows = jax.random.split(key)
    keys = jax.random.split(key_start, members)
    starts = jax.tree.map(lambda *v: jnp.stack(v), *[d.draw_prior(k) for k in keys])
    order = jax.random.permutation(key_rows, n) if held else jnp.arange(n)
    train, test = order[: n - held], order[n - held :]
    scale = jnp.asarray(n / (n - held), x.dtype)
    args = (starts, x[train], y[train], scale, x[test], y[test], d.subs)
    key = (*cache, "ensemble", steps, bool(held), _programs.signature(*args))
    positions, info = _programs.get(key, lambda: _program(d, steps, bool(held)))(*args)
    return positions, {k: np.asarray(v) for k, v in info.items()}
