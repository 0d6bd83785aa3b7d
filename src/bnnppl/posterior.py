"""``Posterior``: what a fit returns, with everything needed to check, save, reload and predict.

A posterior is a value: samples shaped ``(chain, draw, ...)`` (SVI: the guide's draws as one
chain), the method's own statistics, the values of deterministic layers, and the training data.
ArviZ, diagnostics and prediction read it; nothing is kept on the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from bnnppl.model import BNN, OBS, F

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

    from bnnppl.diagnostics import Diagnostics
    from bnnppl.inference.methods import Method

# NumPyro's names for MCMC statistics -> ArviZ's sample_stats names
STAT_NAMES = {
    "diverging": "diverging",
    "accept_prob": "acceptance_rate",
    "adapt_state.step_size": "step_size",
    "num_steps": "n_steps",
    "tree_depth": "tree_depth",
    "energy": "energy",
}


@dataclass(frozen=True, eq=False)
class Posterior:
    """The result of ``fit``. Fields:

    - ``bnn``: the model that was fitted; ``method``: the method config used.
    - ``samples``: latent site -> array of shape ``(chain, draw, *site_shape)``; the network
      output ``f`` is not stored (``to_arviz`` and ``predict`` recompute it).
    - ``stats``: MCMC: ``diverging``, ``accept_prob``, ``adapt_state.step_size``, ``num_steps``,
      ``tree_depth``, ``energy``, each ``(chain, draw)``; SVI: ``loss`` of shape ``(steps,)``.
    - ``fixed``: deterministic layers' values, parameter path -> array (empty when all Bayesian).
    - ``x``, ``y``: the training data; ``seed``: the fit's seed; ``seconds``: its wall time.
    """

    bnn: BNN
    method: Method
    samples: Mapping[str, np.ndarray]
    stats: Mapping[str, np.ndarray]
    x: np.ndarray
    y: np.ndarray
    fixed: Mapping[str, np.ndarray] = field(default_factory=dict)
    seed: int = 0
    seconds: float = float("nan")

    @property
    def num_chains(self) -> int:
        return next(iter(self.samples.values())).shape[0]

    @property
    def num_draws(self) -> int:
        """Draws per chain."""
        return next(iter(self.samples.values())).shape[1]

    @property
    def num_samples(self) -> int:
        """Draws over all chains."""
        return self.num_chains * self.num_draws

    def flat_samples(self) -> dict[str, np.ndarray]:
        """Samples with chains and draws merged: ``(chain * draw, *site_shape)``."""
        return {k: v.reshape(-1, *v.shape[2:]) for k, v in self.samples.items()}

    def to_arviz(self, *, function: bool = True, log_likelihood: bool = True) -> xr.DataTree:
        """An ArviZ ``DataTree``: ``posterior`` (with ``f`` at the training inputs unless
        ``function=False``), ``sample_stats`` (MCMC), ``log_likelihood`` and ``observed_data``.
        """
        import arviz as az

        from bnnppl.predict import log_likelihood as loglik
        from bnnppl.predict import network_draws

        chains, draws = self.num_chains, self.num_draws
        post: dict[str, Any] = dict(self.samples)
        if function:
            f = network_draws(self, self.x)
            post[F] = f.reshape(chains, draws, *f.shape[1:])
        groups: dict[str, Any] = {"posterior": post, "observed_data": {OBS: self.y}}
        stats = {STAT_NAMES[k]: v for k, v in self.stats.items() if k in STAT_NAMES}
        if stats:
            groups["sample_stats"] = stats
        if log_likelihood:
            ll = loglik(self, self.x, self.y)
            groups["log_likelihood"] = {OBS: ll.reshape(chains, draws, -1)}
        dims = {OBS: ["point"], F: ["point", "output"]}
        return az.from_dict(groups, dims=dims)

    def summary(self) -> pd.DataFrame:
        """ArviZ's summary of the parameters: mean, sd, interval, ess_bulk, ess_tail, r_hat."""
        import arviz as az

        return az.summary(self.to_arviz(function=False, log_likelihood=False))

    def diagnostics(self) -> Diagnostics:
        """Worst r-hat / ESS of parameters and of ``f`` at the training inputs, and divergences."""
        from bnnppl.diagnostics import summarize

        return summarize(self.to_arviz(log_likelihood=False), function_site=F)
