"""NUTS and fixed-step HMC through NumPyro's ``MCMC``; chains in parallel where devices allow."""

from __future__ import annotations

import warnings

import jax
import numpy as np
from numpyro import handlers
from numpyro import infer as ni

from bnnppl.inference.svi import point_fit
from bnnppl.model.bnn import BNN
from bnnppl.model.sites import F
from bnnppl.spec.methods import HMC, NUTS

EXTRA_FIELDS = ("diverging", "accept_prob", "num_steps", "adapt_state.step_size", "energy")


def chain_method(chains: int) -> str:
    """``"parallel"`` when there is a device per chain, else ``"sequential"`` with a warning."""
    devices = jax.local_device_count()
    if chains <= devices:
        return "parallel"
    warnings.warn(
        f"{chains} chains but {devices} device(s): chains run one after another. Call "
        f"numpyro.set_host_device_count({chains}) before JAX starts to run them in parallel.",
        stacklevel=3,
    )
    return "sequential"


def _kernel(method: NUTS | HMC, model, init_values: dict | None):
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
    strategies = {
        "uniform": ni.init_to_uniform,
        "prior": ni.init_to_sample,
        "median": ni.init_to_median,
    }
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


def fit_mcmc(
    bnn: BNN, x: np.ndarray, y: np.ndarray, method: NUTS | HMC, seed: int, progress: bool
) -> tuple[dict, dict, dict]:
    """``(samples, stats, fixed)`` from NumPyro's MCMC on ``bnn.model``.

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
    model = handlers.substitute(bnn.model, data=bnn.fixed_substitutions(fixed, x.shape[1]))
    mcmc = ni.MCMC(
        _kernel(method, model, init_values),
        num_warmup=method.warmup,
        num_samples=method.samples,
        num_chains=method.chains,
        thinning=method.thinning,
        chain_method=chain_method(method.chains),
        progress_bar=progress,
    )
    mcmc.run(key_run, x, y, extra_fields=EXTRA_FIELDS)
    samples = {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items() if k != F}
    stats = {k: np.asarray(v) for k, v in mcmc.get_extra_fields(group_by_chain=True).items()}
    if isinstance(method, NUTS):
        stats["tree_depth"] = np.floor(np.log2(np.maximum(stats["num_steps"], 1))).astype(np.int64) + 1
    return samples, stats, fixed
