"""What ``bnnppl run`` and ``bnnppl example`` print for a fit: a line per split of metrics, then
the convergence check in plain numbers, each warning on its own line."""

from __future__ import annotations

import math

__all__ = ["print_diagnostics", "print_metrics"]


def print_metrics(metrics: dict) -> None:
    """A line per split, then a warning for each split no better than a constant prediction, and
    one when the test rows score below a linear model (``results.checks.metric_warnings``).

    >>> print_metrics({"test": {"log_likelihood": 0.5, "constant_log_likelihood": -1.25}})
      test: log_likelihood 0.5, constant_log_likelihood -1.25
    """
    from bnnppl.results.diagnostics import metric_warnings

    for split, values in metrics.items():
        print(f"  {split}: " + ", ".join(f"{k} {v:.4g}" for k, v in values.items()))
    for warning in metric_warnings(metrics):
        print(f"  warning: {warning}")


def print_diagnostics(d) -> None:
    from bnnppl.results.diagnostics import LossCheck, SMCCheck

    if isinstance(d, SMCCheck):
        print(f"  log-evidence: {d.log_evidence:.4g} ({d.stages} stages, {d.resamples} resampled)")
        print(f"  final particles: {100 * d.unique:.1f} % distinct, last-stage ESS {100 * d.final_ess:.0f} %")
        for warning in d.warnings():
            print(f"  warning: {warning}")
        return
    if isinstance(d, LossCheck):
        print(
            f"  loss: {d.final:.4g} (mean of the last 10 % of steps; "
            f"{100 * d.change:.2f} % below the 10 % before)"
        )
        for warning in d.warnings():
            print(f"  warning: {warning}")
        return
    print(
        f"  parameters: max r-hat {d.max_rhat:.3f}, min bulk ESS {d.min_ess_bulk:.0f}{_tail(d.min_ess_tail)}"
    )
    print(
        f"  function f: max r-hat {d.function_max_rhat:.3f}, min bulk ESS {d.function_min_ess_bulk:.0f}"
        f"{_tail(d.function_min_ess_tail)}"
    )
    if d.modes:
        print(f"  {_chains_text(d)}")
    print(f"  divergences: {d.divergences}")
    if d.max_tree_depth:
        share = 100 * float(d.depth_limit_share)
        print(f"  tree depth: {share:.0f} % of transitions at max_tree_depth {d.max_tree_depth}")
    if not math.isnan(d.min_bfmi):
        print(f"  E-BFMI: {d.min_bfmi:.2f} in the worst chain (want >= 0.3)")
    if d.loo_points:
        print(
            f"  PSIS-LOO: elpd {d.loo_elpd:.1f} ± {d.loo_se:.1f}; Pareto k above {d.pareto_k_limit:.2f} "
            f"at {d.pareto_k_high} of {d.loo_points} training points"
        )
    for warning in d.warnings():  # they say when weights disagree only through hidden-unit permutations
        print(f"  warning: {warning}")


def _tail(ess: float) -> str:
    """``, tail ESS N`` when the tail ESS was computed (NaN when not: no draws to compute it from)."""
    return "" if math.isnan(ess) else f", tail ESS {ess:.0f}"


def _chains_text(d) -> str:
    """Modes and per-chain mixing of f in one line, e.g. ``chains: 8 in 3 modes (0, 2, 5 | 1, 3 |
    4, 6, 7); per chain, split r-hat of f up to 1.004, bulk ESS of f down to 730``."""
    import numpy as np

    rhat = np.max(np.asarray(d.chain_function_max_rhat, dtype=float))
    ess = np.min(np.asarray(d.chain_function_min_ess_bulk, dtype=float))
    if len(d.chain_function_max_rhat) == 1:
        return f"chain: split r-hat of f {rhat:.3f}, bulk ESS of f {ess:.0f}"
    modes = f"{d.num_modes} modes ({d.modes_text()})" if d.num_modes > 1 else "1 mode"
    return (
        f"chains: {len(d.chain_function_max_rhat)} in {modes}; "
        f"per chain, split r-hat of f up to {rhat:.3f}, bulk ESS of f down to {ess:.0f}"
    )
