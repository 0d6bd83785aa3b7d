"""The ArviZ ``DataTree`` of a posterior (``Posterior.to_arviz``): its groups, each in the units
the user's data speak, and named dimensions.

>>> _weight_dims({"net.Dense_0.kernel": 0, "net.Dense_0.bias": 0, "net.Dense_1.kernel": 0, "sigma": 0})
{'net.Dense_0.kernel': ['input', 'hidden_0'], 'net.Dense_0.bias': ['hidden_0'], \
'net.Dense_1.kernel': ['hidden_0', 'output']}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from bnnppl.model import likelihoods
from bnnppl.model.sites import OBS, SIGMA, F
from bnnppl.results.draws import log_likelihood as loglik
from bnnppl.results.draws import network_draws
from bnnppl.results.prediction import predict

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["STAT_NAMES", "to_datatree"]

STAT_NAMES = {
    "diverging": "diverging",
    "accept_prob": "acceptance_rate",
    "adapt_state.step_size": "step_size",
    "num_steps": "n_steps",
    "tree_depth": "tree_depth",
    "energy": "energy",
    "log_density": "lp",
}
"""NumPyro's names for MCMC statistics -> ArviZ's ``sample_stats`` names."""

_WEIGHT = re.compile(r"net\.Dense_(\d+)\.(kernel|bias)")


def to_datatree(
    posterior: Any,
    *,
    function: bool = True,
    log_likelihood: bool = True,
    predictive: bool = True,
    prior: bool = True,
    seed: int = 0,
) -> xr.DataTree:
    """``Posterior.to_arviz``'s tree (see there) of ``posterior``, a ``Posterior``."""
    import arviz as az

    post = posterior
    chains, draws = post.num_chains, post.num_draws
    samples: dict[str, Any] = dict(post.samples)
    pred = predict(post, post.x, seed=seed, keep_samples=True) if predictive else None
    if function:  # the predictive's f when there is one: the network runs once per draw, not twice
        f = pred.f if pred is not None else network_draws(post, post.x, seed=seed)
        samples[F] = f.reshape(chains, draws, *f.shape[1:])
    groups: dict[str, Any] = {
        "posterior": samples,
        "observed_data": {OBS: post.y},
        "constant_data": {"x": post.x},
    }
    if pred is not None:
        groups["posterior_predictive"] = {OBS: pred.y.reshape(chains, draws, -1)}
    if prior:
        groups["prior"], groups["prior_predictive"] = _prior_draws(post, seed)
    stats = {STAT_NAMES[k]: v for k, v in post.stats.items() if k in STAT_NAMES}
    if stats:
        groups["sample_stats"] = stats
    if log_likelihood:
        ll = loglik(post, post.x, post.y)
        groups["log_likelihood"] = {OBS: ll.reshape(chains, draws, -1)}
    dims = {OBS: ["point"], F: ["point", "output"], "x": ["point", "input"]}
    return az.from_dict(groups, dims=dims | _weight_dims(post.samples))


def _prior_draws(post: Any, seed: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """``(prior, prior_predictive)``: forward draws of the model at the training inputs, one chain
    of ``num_samples``, the deterministic layers held at their fitted values; ``f`` and ``obs`` in
    the data's units (``likelihoods.original_units``), the weights and noise in the model's, as the
    posterior's samples."""
    import jax
    from numpyro import handlers
    from numpyro.infer import Predictive

    x = post.x if post.scaling is None else post.scaling.x(post.x)
    subs = post.bnn.fixed_substitutions(post.fixed, x.shape[1])
    model = handlers.substitute(post.bnn.model, data=subs)
    key = jax.random.fold_in(jax.random.key(seed), 1)  # not the posterior predictive's stream
    draws = Predictive(model, num_samples=post.num_samples)(key, x)
    out = {k: np.asarray(v)[None] for k, v in draws.items()}
    if post.scaling is not None:
        loc, scale = post.scaling.y_loc, post.scaling.y_scale
        sigma = draws.get(SIGMA, likelihoods.fixed_noise(post.bnn.likelihood))
        f, _ = likelihoods.original_units(post.bnn.likelihood, draws[F], sigma, loc, scale)
        out[F] = np.asarray(f)[None]
        if post.scaling.scales_y:
            out[OBS] = loc + scale * out[OBS]
    return {k: v for k, v in out.items() if k != OBS}, {OBS: out[OBS]}


def _weight_dims(samples: Mapping[str, Any]) -> dict[str, list[str]]:
    """Dimension names of an MLP's weights: ``net.Dense_i.kernel`` is (``input`` or ``hidden_{i-1}``,
    ``hidden_i`` or ``output`` for the last layer), its bias the second of them; other sites keep
    ArviZ's default names."""
    weights = {name: m for name in samples if (m := _WEIGHT.fullmatch(name))}
    layers = sorted({int(m[1]) for m in weights.values()})
    if layers != list(range(len(layers))):
        return {}
    units = ["input"] + [f"hidden_{i}" for i in layers[:-1]] + ["output"]
    return {
        name: [units[int(m[1])], units[int(m[1]) + 1]] if m[2] == "kernel" else [units[int(m[1]) + 1]]
        for name, m in weights.items()
    }
