"""Convergence diagnostics through ArviZ, in parameter space and in function space: ``summarize``
computes the ``Diagnostics`` of a posterior (the record and its warnings: ``bnnppl.results.advice``).

Weights of a network are only identified up to permutations of hidden units, so their r-hat can
look bad while the function the network computes has mixed; the network output ``f`` at the
training inputs does not suffer from that symmetry.

>>> import numpy as np, arviz as az
>>> rng = np.random.default_rng(0)
>>> dt = az.from_dict({"posterior": {"w": rng.normal(size=(2, 500)), "f": rng.normal(size=(2, 500, 3, 1))},
...                    "sample_stats": {"diverging": np.zeros((2, 500), bool)}})
>>> d = summarize(dt, function_site="f")
>>> d.divergences, d.max_rhat < 1.01, d.min_ess_bulk > 400
(0, True, True)
>>> d.modes, d.num_modes, max(d.chain_function_max_rhat) < 1.1, d.warnings()
(((0, 1),), 1, True, [])
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from bnnppl.results.advice import (  # re-exported: the verdict and its limits
    BFMI_LIMIT,
    DEPTH_SHARE_LIMIT,
    DIVERGENCE_ADVICE,
    ESS_LIMIT,
    RHAT_LIMIT,
    Diagnostics,
    up,
)
from bnnppl.results.checks import (  # re-exported: checks of fits without chains
    UNIQUE_LIMIT,
    LossCheck,
    SMCCheck,
    constant_warnings,
    linear_warnings,
    loss_check,
    metric_warnings,
    smc_check,
)
from bnnppl.results.modes import (
    CHAIN_ESS_LIMIT,
    CHAIN_RHAT_LIMIT,
    chain_mixing,
    chain_modes,
    ess_mean,
    ess_tail,
    rhat_ess_values,
)

__all__ = [
    "BFMI_LIMIT",
    "CHAIN_ESS_LIMIT",
    "CHAIN_RHAT_LIMIT",
    "DEPTH_SHARE_LIMIT",
    "DIVERGENCE_ADVICE",
    "ESS_LIMIT",
    "RHAT_LIMIT",
    "UNIQUE_LIMIT",
    "Diagnostics",
    "LossCheck",
    "SMCCheck",
    "constant_warnings",
    "linear_warnings",
    "loss_check",
    "metric_warnings",
    "relative_ess",
    "smc_check",
    "summarize",
    "up",
]


def _worst(ds: xr.Dataset) -> tuple[float, float]:
    """Largest r-hat and smallest bulk ESS over every variable of ``ds`` (NaN when there is none),
    ArviZ's rank-normalised split statistics (``bnnppl.results.modes.rhat_ess_values``);
    with one chain the r-hat is NaN, as ArviZ's."""
    if not ds.data_vars:
        return float("nan"), float("nan")
    per_site = [rhat_ess_values(v.transpose("chain", "draw", ...).values) for v in ds.data_vars.values()]
    rhat, ess = (np.concatenate(parts) for parts in zip(*per_site, strict=True))
    return float(np.max(rhat)), float(np.min(ess))


def summarize(
    posterior: xr.DataTree, *, function_site: str = "f", sampler: str = "", max_tree_depth: int = 0
) -> Diagnostics:
    """Worst r-hat, bulk and tail ESS of the parameters and of ``function_site``, divergences,
    per chain the mixing of ``function_site`` and the modes the chains found; from the sample
    stats, E-BFMI (with ``energy``) and, given NUTS's ``max_tree_depth``, the share of
    transitions at that depth (with ``tree_depth``). ``sampler`` names the method for the advice."""
    with np.errstate(divide="ignore", invalid="ignore"):  # a stuck chain: r-hat inf, reported as such
        return _summarize(posterior, function_site, sampler, max_tree_depth)


def _summarize(posterior: xr.DataTree, function_site: str, sampler: str, max_tree_depth: int) -> Diagnostics:
    post = posterior["posterior"].to_dataset()
    params = post.drop_vars([function_site], errors="ignore")
    funcs = post[[function_site]] if function_site in post else xr.Dataset()
    f = post[function_site].transpose("chain", "draw", ...).values if function_site in post else None
    (max_rhat, min_ess), (f_rhat, f_ess) = _worst(params), _worst(funcs)
    stats = posterior["sample_stats"].to_dataset() if "sample_stats" in posterior else xr.Dataset()
    divergences = int(np.asarray(stats["diverging"]).sum()) if "diverging" in stats else 0
    depth_share = float("nan")
    if max_tree_depth and "tree_depth" in stats:
        depth_share = float(np.mean(np.asarray(stats["tree_depth"]) >= max_tree_depth))
    min_bfmi = float("nan")
    if "energy" in stats and stats["energy"].sizes.get("draw", 0) > 1:
        import arviz as az

        min_bfmi = float(np.min(np.asarray(az.bfmi(posterior)["energy"])))
    chain_rhat, chain_ess = chain_mixing(f) if f is not None else ((), ())
    return Diagnostics(
        **_loo(posterior),
        max_rhat=max_rhat,
        min_ess_bulk=min_ess,
        divergences=divergences,
        function_max_rhat=f_rhat,
        function_min_ess_bulk=f_ess,
        chain_function_max_rhat=chain_rhat,
        chain_function_min_ess_bulk=chain_ess,
        modes=chain_modes(f) if f is not None else (),
        min_ess_tail=_worst_tail(params),
        function_min_ess_tail=_worst_tail(funcs),
        depth_limit_share=depth_share,
        max_tree_depth=max_tree_depth if np.isfinite(depth_share) else 0,
        min_bfmi=min_bfmi,
        sampler=sampler,
    )


def _loo(posterior: xr.DataTree) -> dict:
    """PSIS-LOO's numbers (``Diagnostics``'s ``loo_*`` and ``pareto_k_*`` fields) when the
    posterior has a ``log_likelihood`` group; ArviZ's own warning about high k is replaced by
    ``Diagnostics.warnings``'s."""
    if "log_likelihood" not in posterior:
        return {}
    import warnings

    import arviz as az

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Estimated shape parameter of Pareto", UserWarning)
        try:
            loo = az.loo(posterior, reff=relative_ess(posterior))
        except ValueError as err:  # e.g. "n_draws_tail must be at least 5", a chain stuck at one value
            return {"loo_error": str(err)}
    k = np.asarray(loo.pareto_k).ravel()
    return {
        "loo_elpd": float(loo.elpd),
        "loo_se": float(loo.se),
        "loo_points": int(k.size),
        "pareto_k_high": int(np.sum(~(k <= loo.good_k))),  # NaN k counts as high
        "pareto_k_limit": float(loo.good_k),
        "pareto_k_max": float(np.nanmax(k)) if np.isfinite(k).any() else float("nan"),
    }


def relative_ess(posterior: xr.DataTree) -> float:
    """PSIS-LOO's relative efficiency ``reff`` as ``az.loo`` computes it when not given: the mean,
    over every value of the posterior group, of its ESS of the mean, over the number of draws; 1
    with one chain. ArviZ loops over the values in Python (16 s for 8 chains x 1000 draws of a
    50-unit network and its ``f`` on 1439 rows); ``ess_mean`` does them at once.
    """
    post = posterior["posterior"].to_dataset()
    chains, draws = post.sizes["chain"], post.sizes["draw"]
    if chains == 1:
        return 1.0
    values = [v.transpose("chain", "draw", ...).values for v in post.data_vars.values()]
    ess = [ess_mean(np.moveaxis(v.reshape(chains, draws, -1), -1, 0)) for v in values]
    return float(np.concatenate(ess).mean() / (chains * draws))


def _worst_tail(ds: xr.Dataset) -> float:
    """Smallest tail ESS over every variable of ``ds`` (NaN when there is none)."""
    if not ds.data_vars:
        return float("nan")
    values = [v.transpose("chain", "draw", ...).values for v in ds.data_vars.values()]
    return float(min(np.min(ess_tail(np.moveaxis(v.reshape(*v.shape[:2], -1), -1, 0))) for v in values))
