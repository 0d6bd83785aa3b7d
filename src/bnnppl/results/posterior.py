"""``Posterior``: what a fit returns, with everything needed to check, save, reload and predict.

A posterior is a value: samples shaped ``(chain, draw, ...)`` (SVI: the guide's draws as one
chain), the method's own statistics, the values of deterministic layers, and the training data.
ArviZ, diagnostics and prediction read it; nothing is kept on the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bnnppl.model.bnn import BNN
from bnnppl.model.sites import F
from bnnppl.results import saving
from bnnppl.results.diagnostics import Diagnostics, relative_ess, summarize
from bnnppl.results.scaling import Scaling
from bnnppl.results.tree import to_datatree
from bnnppl.spec.methods import MCMC_METHODS, NUTS

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

    from bnnppl.spec.methods import Method

LOO_MAX_VALUES = 20_000_000
"""Most draws x training points for which ``diagnostics()`` computes PSIS-LOO (160 MB of float64
log-likelihood values); beyond it ``loo()`` still does, on request."""
PER_CHAIN_STATS = ("ensemble_holdout_loglik", "ensemble_best_step")
"""Statistics with one value per chain (shape ``(chain,)``): ``select_chains`` selects them too."""


@dataclass(frozen=True, eq=False)
class Posterior:
    """The result of ``fit``. Fields:

    - ``bnn``: the model that was fitted; ``method``: the method config used.
    - ``samples``: latent site -> array of shape ``(chain, draw, *site_shape)``; the network
      output ``f`` is not stored (``to_arviz`` and ``predict`` recompute it).
    - ``stats``: MCMC: ``diverging``, ``accept_prob``, ``adapt_state.step_size``, ``num_steps``,
      ``tree_depth``, ``energy``, each ``(chain, draw)``; SVI: ``loss`` of shape ``(steps,)``.
    - ``fixed``: deterministic layers' values, parameter path -> array (empty when all Bayesian).
    - ``members``: with ``init="ensemble"``, the MAP ensemble the chains started from: latent
      site -> array ``(chain, *site_shape)`` (member ``c`` started chain ``c``); else empty.
      ``ensemble()`` makes a posterior of them (a deep ensemble, to compare against).
    - ``x``, ``y``: the training data, in the user's units; ``seed``: the fit's seed;
      ``seconds``: its wall time.
    - ``scaling``: the standardisation the model was fitted under (``bnnppl.results.scaling``),
      or ``None`` (``fit(..., scale=False)``). Samples are in the model's units; everything read
      from them (``predict``, ``to_arviz``, ``loo``, metrics) is in the user's.
    """

    bnn: BNN
    method: Method
    samples: Mapping[str, np.ndarray]
    stats: Mapping[str, np.ndarray]
    x: np.ndarray
    y: np.ndarray
    fixed: Mapping[str, np.ndarray] = field(default_factory=dict)
    members: Mapping[str, np.ndarray] = field(default_factory=dict)
    seed: int = 0
    seconds: float = float("nan")
    scaling: Scaling | None = None

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

    def select_chains(self, *chains: int) -> Posterior:
        """A posterior holding only the given chains' draws (and their per-draw sampler stats),
        in the order given: ``post.select_chains(0)`` is chain 0 alone.

        >>> import bnnppl as bp
        >>> x = np.linspace(-1, 1, 8, dtype=np.float32)[:, None]
        >>> post = bp.fit(bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(3,)))), x, x[:, 0],
        ...               bp.NUTS(chains=2, warmup=20, samples=10), progress=False)
        >>> post.select_chains(1).num_chains, post.select_chains(1, 0).num_draws
        (1, 10)
        >>> post.select_chains(2)
        Traceback (most recent call last):
        ...
        ValueError: chains: each must be a chain number in 0..1, got 2.
        """
        n = self.num_chains
        bad = [
            c for c in chains if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or not 0 <= c < n
        ]
        if not chains or bad:
            got = repr(bad[0]) if bad else "none"
            raise ValueError(f"chains: each must be a chain number in 0..{n - 1}, got {got}.")
        index = list(chains)
        shape = (n, self.num_draws)
        stats = {
            k: (v[index] if np.shape(v)[:2] == shape or k in PER_CHAIN_STATS else v)
            for k, v in self.stats.items()
        }
        samples = {k: v[index] for k, v in self.samples.items()}
        members = {k: v[index] for k, v in self.members.items()}
        return replace(self, samples=samples, stats=stats, members=members)

    def ensemble(self) -> Posterior:
        """The MAP ensemble the chains started from (``init="ensemble"``) as a posterior of one
        chain whose draws are the members: ``predict`` and the metrics treat it as a deep ensemble
        (equal weights). Its r-hat and ESS mean nothing: the members are not a Markov chain.

        >>> import bnnppl as bp
        >>> x = np.linspace(-1, 1, 8, dtype=np.float32)[:, None]
        >>> method = bp.NUTS(chains=3, warmup=10, samples=5, init="ensemble", init_steps=50)
        >>> bnn = bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(3,))))
        >>> post = bp.fit(bnn, x, x[:, 0], method, progress=False)
        >>> post.members["net.Dense_0.kernel"].shape, post.ensemble().samples["net.Dense_0.kernel"].shape
        ((3, 1, 3), (1, 3, 1, 3))
        """
        if not self.members:
            init = getattr(self.method, "init", None)
            raise ValueError(
                f"method: this posterior has no ensemble members (init={init!r}); fit with init='ensemble'."
            )
        samples = {k: np.asarray(v)[None] for k, v in self.members.items()}
        return replace(self, samples=samples, stats={}, members={})

    def model_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The training data as the model saw them: standardised with ``scaling`` (if any)."""
        if self.scaling is None:
            return self.x, self.y
        return self.scaling.x(self.x), self.scaling.y(self.y)

    def flat_samples(self) -> dict[str, np.ndarray]:
        """Samples with chains and draws merged: ``(chain * draw, *site_shape)``."""
        return {k: v.reshape(-1, *v.shape[2:]) for k, v in self.samples.items()}

    def to_arviz(
        self,
        *,
        function: bool = True,
        log_likelihood: bool = True,
        predictive: bool = True,
        prior: bool = True,
        seed: int = 0,
    ) -> xr.DataTree:
        """An ArviZ ``DataTree`` at the training inputs: ``posterior`` (with ``f`` unless
        ``function=False``), ``posterior_predictive`` (a draw of ``obs`` per posterior draw, from
        ``seed``, unless ``predictive=False``), ``log_likelihood`` (unless ``log_likelihood=False``),
        ``sample_stats`` (MCMC), ``observed_data`` (``obs``, the targets), ``constant_data``
        (``x``) and, unless ``prior=False``, ``prior`` and ``prior_predictive``: as many forward
        draws from the model's prior (weights, noise, ``f`` and ``obs``) as there are posterior
        draws, in one chain. Dimensions are named: ``point`` (a training row), ``input`` (a column of ``x``),
        ``output`` (of the network), and for an MLP's weights ``hidden_0``, ``hidden_1``, ...; all
        in your units, as ``predict`` speaks. ``az.loo_pit``, ``az.plot_ppc_dist``,
        ``az.plot_forest`` and ``az.plot_trace_dist`` read it as it is.
        """
        return to_datatree(
            self,
            function=function,
            log_likelihood=log_likelihood,
            predictive=predictive,
            prior=prior,
            seed=seed,
        )

    def summary(self) -> pd.DataFrame:
        """ArviZ's summary of the parameters: mean, sd, interval, ess_bulk, ess_tail, r_hat."""
        import arviz as az

        with np.errstate(divide="ignore", invalid="ignore"):  # a stuck chain: r-hat inf, as it should
            return az.summary(
                self.to_arviz(function=False, log_likelihood=False, predictive=False, prior=False)
            )

    def diagnostics(self) -> Diagnostics:
        """Worst r-hat / ESS of parameters and of ``f`` at the training inputs, divergences, for
        NUTS and HMC the tree-depth share and E-BFMI, and PSIS-LOO with its Pareto k counts where
        ``loo_in_diagnostics`` (``bnnppl.results.diagnostics``)."""
        depth = self.method.max_tree_depth if isinstance(self.method, NUTS) else 0
        sampler = self.method._tag[1] if self.method._tag else ""
        return summarize(
            self.to_arviz(log_likelihood=self.loo_in_diagnostics, predictive=False, prior=False),
            function_site=F,
            sampler=sampler,
            max_tree_depth=depth,
        )

    @property
    def loo_in_diagnostics(self) -> bool:
        """Whether ``diagnostics()`` includes PSIS-LOO: for MCMC draws, up to ``LOO_MAX_VALUES``
        log-likelihood values (draws x training points); ``loo()`` computes it in any case."""
        values = self.num_chains * self.num_draws * int(np.shape(self.y)[0])
        return isinstance(self.method, MCMC_METHODS) and values <= LOO_MAX_VALUES

    def loo(self) -> Any:
        """PSIS-LOO (ArviZ's ``loo``): expected log predictive density, with Pareto-k diagnostics.

        Needs MCMC draws: importance sampling from a variational fit is not a posterior sample.
        """
        import arviz as az

        if not isinstance(self.method, MCMC_METHODS):
            raise ValueError(
                f"method: PSIS-LOO needs an MCMC posterior (NUTS, HMC, Langevin, SGLD or SGHMC), "
                f"got {type(self.method).__name__}."
            )
        data = self.to_arviz(function=False, predictive=False, prior=False)
        return az.loo(data, reff=relative_ess(data))  # ArviZ's reff, computed at once

    def save(self, path: str | Path, *, overwrite: bool = False, pointwise: bool = True) -> Path:
        """Write this posterior to the folder ``path`` (see ``bnnppl.results.posterior.save``)."""
        return save(self, path, overwrite=overwrite, pointwise=pointwise)


def compare(posteriors: Mapping[str, Posterior]) -> pd.DataFrame:
    """ArviZ's LOO comparison table of several MCMC posteriors of the same data, best first.

    Keys name the models (architectures, priors, ...); columns include ``elpd``, ``elpd_diff``,
    ``se``, ``dse`` and stacking ``weight``.
    """
    import arviz as az

    if len(posteriors) < 2:
        raise ValueError(f"posteriors: compare needs at least two, got {len(posteriors)}.")
    for name, post in posteriors.items():
        if not isinstance(post, Posterior) or not isinstance(post.method, MCMC_METHODS):
            raise ValueError(
                f"posteriors[{name!r}]: must be an MCMC Posterior (NUTS, HMC, Langevin, SGLD or SGHMC)."
            )
    return az.compare(
        {
            name: post.to_arviz(function=False, predictive=False, prior=False)
            for name, post in posteriors.items()
        }
    )


def save(posterior: Posterior, path: str | Path, *, overwrite: bool = False, pointwise: bool = True) -> Path:
    """Write ``posterior`` to the folder ``path``, whole or not at all; returns the folder.

    The folder holds ``posterior.nc`` (the whole ``to_arviz()`` tree: posterior with ``f``,
    posterior_predictive, log_likelihood, sample_stats, observed_data, constant_data, prior and
    prior_predictive, as netCDF that ``arviz.from_netcdf`` reads without bnnppl; with
    ``pointwise=False`` only posterior without ``f``, sample_stats, observed_data and constant_data:
    the others hold values per draw and training row, 20 bytes per draw and row for one network
    output, e.g. 200 MB for 2000 draws of 5000 rows), ``arrays.npz`` (the
    training data, the statistics, deterministic layers, ensemble members and the scaling), ``model.yaml``,
    ``method.yaml``, ``meta.json`` (shapes, seed, library versions) and ``manifest.json`` (each
    file's size and SHA-256, written last; every file is fsynced before the folder is renamed
    into place). An existing ``path`` is replaced only with ``overwrite=True``, and only when it
    is a posterior folder bnnppl saved, holding nothing else: any other folder or file is never
    deleted (``FileExistsError``). The old posterior survives until the new one is in place: a
    save killed between its two renames is rolled back by the next ``load(path)`` or save there,
    which restore the previous posterior from its hidden ``.old`` folder.
    """
    return saving.write(posterior, path, overwrite=overwrite, pointwise=pointwise)


def load(path: str | Path, *, bnn: BNN | None = None) -> Posterior:
    """Read a posterior written by ``save``. A posterior of your own flax module needs ``bnn``:
    the same ``BNN.from_module(...)`` it was fitted with (a spec cannot describe the module).
    Each file is checked against the folder's manifest first: a truncated or altered file is a
    ``ValueError`` naming it. A missing ``path`` whose save was killed midway gets its previous
    posterior back first (see ``save``).
    """
    return Posterior(**saving.read_folder(path, bnn))
