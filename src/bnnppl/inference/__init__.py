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
import warnings
from typing import Any

import numpy as np

from bnnppl._checks import allowed_list, check_seed, spec_error
from bnnppl._data import check_x
from bnnppl.model.bnn import BNN
from bnnppl.results.posterior import Posterior
from bnnppl.results.scaling import Scaling, unscaled_warning
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
    "check_method_data",
    "fit",
    "method_from_dict",
]


def _interactive() -> bool:
    """Show progress bars by default where someone watches: a terminal, or a Jupyter kernel
    (``tqdm.auto`` draws a widget there); never when the ``CI`` variable is set."""
    return not os.environ.get("CI") and (sys.stderr.isatty() or _in_jupyter())


def _in_jupyter() -> bool:
    """Whether this process is a Jupyter kernel (IPython's ``ZMQInteractiveShell``)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def fit(
    bnn: BNN,
    x: Any,
    y: Any,
    method: Method | None = None,
    *,
    seed: int = 0,
    progress: bool | None = None,
    scale: bool = True,
) -> Posterior:
    """Fit ``bnn`` to ``x`` (``(n_points, n_features)``) and ``y`` (``(n_points,)``).

    ``method``: ``NUTS()`` (default), ``HMC(...)``, ``SVI(...)``, ``Langevin(...)`` (BAOAB),
    ``SGLD(...)``, ``SGHMC(...)``, ``SMC(...)`` or ``MCLMC(...)``. ``progress``: show a progress
    bar (default: when stderr is a terminal and ``CI`` is unset). The same seed gives the same
    posterior.

    ``scale`` (default ``True``): fit the model to standardised data, inputs and real-valued
    targets (unless the noise is fixed), with the training rows' mean and sd
    (``bnnppl.results.scaling``); the priors then speak of standardised data, and the posterior
    predicts in your units. ``scale=False`` fits the data as given. Data left far from unit scale
    get a warning.
    """
    if not isinstance(bnn, BNN):
        raise TypeError(f"bnn: must be a bnnppl.BNN, got {bnn!r}.")
    method = NUTS() if method is None else method
    if not isinstance(method, tuple(METHODS.values())):
        names = allowed_list(c.__name__ for c in METHODS.values())
        raise TypeError(f"method: must be one of bnnppl's method configs ({names}), got {method!r}.")
    if y is None:
        raise ValueError("y: fit needs the targets; got None.")
    if not isinstance(scale, bool):
        raise TypeError(f"scale: must be True or False, got {scale!r}.")
    seed = check_seed("seed", seed)
    x = check_x(x)
    check_method_data(method, x.shape[0])  # before check_data traces the model's shapes
    x, y = bnn.check_data(x, y)
    scaling = Scaling.from_data(x, y, bnn.likelihood) if scale else None
    if warning := unscaled_warning(x, y, bnn.likelihood, scale):
        warnings.warn(warning, UserWarning, stacklevel=2)
    progress = _interactive() if progress is None else progress
    start = time.perf_counter()
    xm, ym = (x, y) if scaling is None else (scaling.x(x), scaling.y(y))
    samples, stats, fixed, *members = _runner(method)(bnn, xm, ym, method, seed, progress)
    if scaling is not None and "log_evidence" in stats:  # SMC: the evidence of y in your units
        stats = {**stats, "log_evidence": stats["log_evidence"] - y.shape[0] * np.log(scaling.y_scale)}
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
        scaling=scaling,
    )


def check_method_data(method: Method, n: int) -> None:
    """The checks of ``method`` that depend on the number of training rows ``n``: minibatch
    sizes (``SVI.subsample_size``, ``SGLD.batch_size``, ``SGHMC.batch_size``) of at most ``n``,
    and an ensemble start's hold-out leaving rows on each side. ``fit`` and ``bnnppl validate``
    run them before any tracing.

    >>> check_method_data(SGLD(batch_size=64), 50)
    Traceback (most recent call last):
    ...
    ValueError: SGLD.batch_size: is 64 but the data have 50 rows; use at most that many.
    """
    size = "subsample_size" if isinstance(method, SVI) else "batch_size"
    value = getattr(method, size, None)
    if value is not None and value > n:
        field = f"{type(method).__name__}.{size}"
        raise spec_error(field, f"is {value} but the data have {n} rows; use at most that many.")
    if getattr(method, "init", None) == "ensemble":
        from bnnppl.inference.ensemble import holdout_rows

        holdout_rows(n, method.init_holdout, type(method).__name__)


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
