"""Checks of fits that have no chains to compare, and of predictions against a constant.

- ``loss_check``: an SVI fit's loss curve (r-hat and ESS mean nothing for guide draws);
- ``smc_check``: an SMC fit's evidence and particles (particles are not chains);
- ``constant_warnings``: a run's splits whose log-likelihood is no better than the best constant
  prediction's (``metrics.constant_log_likelihood``);
- ``linear_warnings``: a run whose held-out log-likelihood is below the linear model's
  (``baselines.linear_log_likelihood``); ``metric_warnings``: both.

``bnnppl.results.diagnostics`` re-exports all of them beside its MCMC ``Diagnostics``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "UNIQUE_LIMIT",
    "LossCheck",
    "SMCCheck",
    "constant_warnings",
    "linear_warnings",
    "loss_check",
    "metric_warnings",
    "smc_check",
]


class LossCheck(NamedTuple):
    """Convergence of an SVI fit, from its losses (r-hat and ESS mean nothing for guide draws).

    >>> check = loss_check(np.r_[np.linspace(100.0, 20.0, 900), np.full(100, 10.0)])
    >>> round(check.final, 1), round(check.change, 3)
    (10.0, 0.59)
    >>> check.warnings()
    ['the loss fell by 59.0 % over the last 10 % of steps: still improving; run more steps.']
    """

    final: float
    """Mean loss over the last 10 % of steps."""
    change: float
    """Relative drop to that mean from the mean of the 10 % of steps before (> 0: still falling)."""

    def warnings(self) -> list[str]:
        """Plain-words warnings: a non-finite loss, or one still falling by more than 1 %."""
        if not np.isfinite(self.final):
            return ["the loss is not finite: lower the learning rate or set clip."]
        if self.change > 0.01:
            return [
                f"the loss fell by {100 * self.change:.1f} % over the last 10 % of steps: "
                "still improving; run more steps."
            ]
        return []


def loss_check(losses: np.ndarray) -> LossCheck:
    """``LossCheck`` of a loss curve (at least 20 steps give two windows of 10 %)."""
    losses = np.asarray(losses, dtype=np.float64)
    window = max(len(losses) // 10, 1)
    final = float(np.mean(losses[-window:]))
    before = float(np.mean(losses[-2 * window : -window])) if len(losses) >= 2 * window else final
    with np.errstate(invalid="ignore", divide="ignore"):
        change = (before - final) / abs(before) if before != 0 else 0.0
    return LossCheck(final, float(change))


UNIQUE_LIMIT = 0.1
"""Fewer distinct final SMC particles than this fraction warns: the particle set collapsed."""


class SMCCheck(NamedTuple):
    """Health of an SMC fit (its particles are not chains: r-hat means nothing for them).

    >>> check = SMCCheck(log_evidence=-40.2, stages=12, resamples=5, final_ess=0.8, unique=0.05)
    >>> print(*check.warnings())
    only 5.0 % of the final particles are distinct: the particle set collapsed; use more particles
    or more mcmc_steps.
    """

    log_evidence: float
    """The estimate of log p(y | x), the model's log marginal likelihood."""
    stages: int
    """Reweighting stages from the prior to the posterior."""
    resamples: int
    """Stages after which the particles were resampled."""
    final_ess: float
    """ESS of the last stage's weights, as a fraction of the particles."""
    unique: float
    """Fraction of the final particles that are distinct."""

    def warnings(self) -> list[str]:
        """Plain-words warnings: a non-finite evidence, or collapsed particles."""
        out = []
        if not np.isfinite(self.log_evidence):
            out.append("the log-evidence is not finite: the particles missed the posterior; use more stages.")
        if not self.unique >= UNIQUE_LIMIT:
            out.append(
                f"only {100 * self.unique:.1f} % of the final particles are distinct: the particle set "
                "collapsed; use more particles or more mcmc_steps."
            )
        return out


def smc_check(samples: dict[str, np.ndarray], stats: dict[str, np.ndarray]) -> SMCCheck:
    """``SMCCheck`` from an SMC posterior's samples ``(1, particles, ...)`` and statistics.

    >>> samples = {"w": np.array([[[0.0], [0.0], [1.0], [2.0]]])}  # 4 particles, 3 distinct
    >>> stats = {"log_evidence": np.array(-3.5), "ess": np.array([0.4, 0.9]),
    ...          "resampled": np.array([True, False])}
    >>> smc_check(samples, stats)
    SMCCheck(log_evidence=-3.5, stages=2, resamples=1, final_ess=0.9, unique=0.75)
    """
    flat = np.concatenate([np.reshape(v, (v.shape[0] * v.shape[1], -1)) for v in samples.values()], axis=1)
    unique = len(np.unique(flat, axis=0)) / flat.shape[0]
    ess = np.asarray(stats["ess"])
    return SMCCheck(
        log_evidence=float(stats["log_evidence"]),
        stages=int(ess.shape[0]),
        resamples=int(np.asarray(stats["resampled"]).sum()),
        final_ess=float(ess[-1]) if ess.size else float("nan"),
        unique=float(unique),
    )


def constant_warnings(scores: dict) -> list[str]:
    """A warning for each split whose log-likelihood is at or below the constant prediction's.

    >>> constant_warnings({"test": {"log_likelihood": -1.5, "constant_log_likelihood": -1.42},
    ...                    "train": {"log_likelihood": 0.3, "constant_log_likelihood": -1.40}})
    ["test log-likelihood -1.5 is no better than a constant prediction's (-1.42: ...fit."]
    """
    out = []
    for split, values in scores.items():
        if not isinstance(values, dict):  # metrics.json also holds fit_seconds
            continue
        ll, floor = values.get("log_likelihood"), values.get("constant_log_likelihood")
        if ll is not None and floor is not None and not ll > floor:
            out.append(
                f"{split} log-likelihood {ll:.4g} is no better than a constant prediction's ({floor:.4g}: "
                "the training targets' own mean and spread): the network learned nothing usable from "
                "the inputs; check the data's scaling, the prior and the fit."
            )
    return out


def linear_warnings(scores: dict) -> list[str]:
    """A warning when the ``test`` split's log-likelihood is below the linear model's fitted to the
    training rows (``linear_log_likelihood``: ``bnnppl.results.baselines``). Only held-out rows
    judge it: on its own training rows a network beats a linear model by fitting noise.

    >>> linear_warnings({"test": {"log_likelihood": -0.08, "linear_log_likelihood": -0.068}})
    ["test log-likelihood -0.08 is below a linear model's (-0.068: ...with bnnppl sweep."]
    """
    values = scores.get("test")
    if not isinstance(values, dict):
        return []
    ll, bar = values.get("log_likelihood"), values.get("linear_log_likelihood")
    if ll is None or bar is None or not ll < bar:
        return []
    return [
        f"test log-likelihood {ll:.4g} is below a linear model's ({bar:.4g}: the textbook linear model of "
        "this likelihood fitted to the same training rows): on these data the network does worse than the "
        "simple baseline; try other priors, widths or methods and compare them on held-out rows, e.g. "
        "with bnnppl sweep."
    ]


def metric_warnings(scores: dict) -> list[str]:
    """``constant_warnings``, then ``linear_warnings``, of a run's metrics."""
    return constant_warnings(scores) + linear_warnings(scores)
