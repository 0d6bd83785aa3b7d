"""``fit(bnn, x, y, method=...)``: one obvious way to fit, returning a ``Posterior``.

This package owns the samplers and optimisers: ``fit`` here, one module per family (``mcmc``:
NUTS and HMC; ``svi`` with ``alpha``; ``langevin`` with ``baoab``: BAOAB, SGLD and SGHMC; ``smc``)
and ``density``, the log density BlackJAX's samplers read. The method configs they run are plain
data in ``bnnppl.spec.methods`` and are re-exported here. It imports ``bnnppl.results`` (a fit
returns a ``Posterior``), ``bnnppl.model``, ``bnnppl.spec`` and the private helpers; never
``bnnppl.plots`` or ``bnnppl.runs``.

>>> import bnnppl as bp
>>> from bnnppl.datasets import sine_regression
>>> x, y = sine_regression(n=20, seed=0)
>>> bnn = bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(5,)), likelihood=bp.Gaussian(noise=0.1)))
>>> post = fit(bnn, x, y, method=SVI(steps=500, draws=100), seed=0)
>>> post.samples["net.Dense_0.kernel"].shape, post.stats["loss"].shape
((1, 100, 1, 5), (500,))
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from bnnppl._checks import allowed_list
from bnnppl.model.bnn import BNN
from bnnppl.results.posterior import Posterior
from bnnppl.spec.methods import HMC, METHODS, NUTS, SVI, Method, method_from_dict
from bnnppl.spec.sampler_methods import MCLMC, SGHMC, SGLD, SMC, Langevin

__all__ = [
    "HMC",
    "MCLMC",
    "NUTS",
    "SGHMC",
    "SGLD",
    "SMC",
    "SVI",
    "Langevin",
    "Method",
    "fit",
    "method_from_dict",
]


def _interactive() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


def fit(
    bnn: BNN,
    x: Any,
    y: Any,
    method: Method | None = None,
    *,
    seed: int = 0,
    progress: bool | None = None,
) -> Posterior:
    """Fit ``bnn`` to ``x`` (``(n_points, n_features)``) and ``y`` (``(n_points,)``).

    ``method``: ``NUTS()`` (default), ``HMC(...)``, ``SVI(...)``, ``Langevin(...)`` (BAOAB),
    ``SGLD(...)``, ``SGHMC(...)``, ``SMC(...)`` or ``MCLMC(...)``. ``progress``: show a progress
    bar (default: when stderr is a terminal and ``CI`` is unset). The same seed gives the same
    posterior.
    """
    if not isinstance(bnn, BNN):
        raise TypeError(f"bnn: must be a bnnppl.BNN, got {bnn!r}.")
    method = NUTS() if method is None else method
    if not isinstance(method, tuple(METHODS.values())):
        names = allowed_list(c.__name__ for c in METHODS.values())
        raise TypeError(f"method: must be one of bnnppl's method configs ({names}), got {method!r}.")
    if y is None:
        raise ValueError("y: fit needs the targets; got None.")
    x, y = bnn.check_data(x, y)
    if isinstance(method, SVI) and method.subsample_size is not None and method.subsample_size > x.shape[0]:
        raise ValueError(
            f"SVI.subsample_size: is {method.subsample_size} but the data have {x.shape[0]} rows; "
            "use at most that many."
        )
    if getattr(method, "init", None) == "ensemble":
        from bnnppl.inference.ensemble import holdout_rows

        holdout_rows(x.shape[0], method.init_holdout, type(method).__name__)
    progress = _interactive() if progress is None else progress
    start = time.perf_counter()
    samples, stats, fixed, *members = _runner(method)(bnn, x, y, method, seed, progress)
    return Posterior(
        bnn=bnn,
        method=method,
        samples=samples,
        stats=stats,
        x=x,
        y=y,
        fixed=fixed,
        members=members[0] if members else {},
        seed=seed,
        seconds=time.perf_counter() - start,
    )


def _runner(method: Method):
    """The function that fits ``method``: ``(bnn, x, y, method, seed, progress) -> (samples, stats,
    fixed)``, or ``(samples, stats, fixed, members)`` for the methods that can start from an
    ensemble; imported on use so that plain NUTS never imports BlackJAX."""
    if isinstance(method, SVI):
        from bnnppl.inference.svi import fit_svi

        return fit_svi
    if isinstance(method, Langevin | SGLD | SGHMC):
        from bnnppl.inference.langevin import fit_langevin

        return fit_langevin
    if isinstance(method, MCLMC):
        from bnnppl.inference.mclmc import fit_mclmc

        return fit_mclmc
    if isinstance(method, SMC):
        from bnnppl.inference.smc import fit_smc

        return fit_smc
    from bnnppl.inference.mcmc import fit_mcmc

    return fit_mcmc
