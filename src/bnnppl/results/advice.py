"""The verdict of a convergence check: ``Diagnostics`` (the worst-case numbers of a posterior and
how its chains sit in the modes of ``f``), its limits, and ``Diagnostics.warnings``, plain words
with advice that fits the method. ``bnnppl.results.diagnostics.summarize`` computes it.

>>> d = Diagnostics(max_rhat=1.0102, min_ess_bulk=900.0, divergences=0, function_max_rhat=1.0,
...                 function_min_ess_bulk=900.0)
>>> d.warnings()  # doctest: +ELLIPSIS
['r-hat up to 1.011 (> 1.01): chains disagree; run longer.']
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from bnnppl.results.modes import CHAIN_ESS_LIMIT, CHAIN_RHAT_LIMIT

__all__ = [
    "BFMI_LIMIT",
    "DEPTH_SHARE_LIMIT",
    "DIVERGENCE_ADVICE",
    "ESS_LIMIT",
    "RHAT_LIMIT",
    "Diagnostics",
    "up",
]

RHAT_LIMIT = 1.01
"""r-hat above this warns: the chains disagree."""
ESS_LIMIT = 400
"""Bulk (or tail) ESS below this warns: too few effective draws."""
DEPTH_SHARE_LIMIT = 0.1
"""NUTS: a larger share of transitions at ``max_tree_depth`` than this warns."""
BFMI_LIMIT = 0.3
"""E-BFMI below this (in any chain) warns: momentum resampling explores the energy poorly."""


def up(value: float, digits: int = 3) -> str:
    """``value`` rounded *up* to ``digits`` decimals, so that a number above a limit never prints as
    the limit (r-hat 1.0102 is ``1.011``, not ``1.010``, against 1.01); NaN and inf as they are.

    >>> up(1.0102), up(1.01), up(float("nan"))
    ('1.011', '1.010', 'nan')
    """
    if not np.isfinite(value):
        return f"{value}"
    scale = 10**digits
    return f"{math.ceil(round(value * scale, 6)) / scale:.{digits}f}"


class Diagnostics(NamedTuple):
    """Worst-case convergence numbers of a posterior, and how its chains sit in the modes of ``f``.

    Chains started from different MAP fits (an ensemble) settle in different modes of a BNN
    posterior: expected, not a failure. ``warnings`` tells that apart from chains that have not
    mixed: each chain is checked on its own (split r-hat and bulk ESS of ``f``), and the chains
    are grouped by agreement of their means of ``f`` (``bnnppl.results.modes``).
    """

    max_rhat: float
    """Largest rank-normalised r-hat over all parameters (1.0 is ideal; > 1.01 is a warning)."""
    min_ess_bulk: float
    """Smallest bulk effective sample size over all parameters."""
    divergences: int
    """Number of divergent transitions after warmup, all chains together."""
    function_max_rhat: float
    """Largest r-hat of the network output at the training inputs."""
    function_min_ess_bulk: float
    """Smallest bulk ESS of the network output at the training inputs."""
    chain_function_max_rhat: tuple[float, ...] = ()
    """Per chain, the largest split r-hat of ``f`` over points and outputs: the chain's first and
    last halves taken as two chains, rank-normalised (> 1.1: the chain has not mixed). Empty when
    not computed (no ``f``)."""
    chain_function_min_ess_bulk: tuple[float, ...] = ()
    """Per chain, the smallest bulk ESS of ``f`` over points and outputs (< 100: too few draws)."""
    modes: tuple[tuple[int, ...], ...] = ()
    """The chains grouped by agreement of their means of ``f`` (``modes.AGREE_LIMIT``, a pair
    r-hat of 1.1), biggest group first. Empty when not computed."""
    min_ess_tail: float = float("nan")
    """Smallest tail ESS over all parameters (ArviZ's ``ess_tail``: how well the draws pin down
    the posterior's intervals). NaN when not computed."""
    function_min_ess_tail: float = float("nan")
    """Smallest tail ESS of the network output at the training inputs."""
    depth_limit_share: float = float("nan")
    """NUTS: the share of transitions whose tree reached ``max_tree_depth`` (> 10 %: the
    trajectories were cut short). NaN for other methods."""
    max_tree_depth: int = 0
    """NUTS: the tree-depth limit of the fit (0 for other methods)."""
    min_bfmi: float = float("nan")
    """HMC and NUTS: the smallest E-BFMI over the chains (< 0.3: the momentum resampling explores
    the energy levels poorly). NaN for other methods."""
    sampler: str = ""
    """The method's name (``"nuts"``, ``"hmc"``, ...): the advice fits it. Empty when unknown."""
    loo_elpd: float = float("nan")
    """PSIS-LOO's expected log predictive density of the training points (a sum; NaN when not
    computed: no ``log_likelihood`` group, e.g. too many draws x points, or not MCMC)."""
    loo_se: float = float("nan")
    """Its standard error."""
    loo_points: int = 0
    """Training points PSIS-LOO was computed on (0: not computed)."""
    pareto_k_high: int = 0
    """How many of them have a Pareto k above ``pareto_k_limit`` (or NaN: the Pareto fit failed):
    their leave-one-out terms are unreliable."""
    pareto_k_limit: float = float("nan")
    """ArviZ's threshold, ``min(1 - 1 / log10(draws), 0.7)``."""
    pareto_k_max: float = float("nan")
    """The largest Pareto k."""
    loo_error: str = ""
    """Why PSIS-LOO could not be computed from the log-likelihood it was given (ArviZ's error,
    e.g. too few draws for the Pareto fit); empty otherwise."""

    @property
    def num_modes(self) -> int:
        """How many groups of agreeing chains there are (0 when not computed)."""
        return len(self.modes)

    @property
    def unmixed_chains(self) -> tuple[int, ...]:
        """The chains whose ``f`` has not mixed within themselves: split r-hat above
        ``CHAIN_RHAT_LIMIT`` or bulk ESS below ``CHAIN_ESS_LIMIT`` (NaN counts as not mixed)."""
        pairs = zip(
            _floats(self.chain_function_max_rhat), _floats(self.chain_function_min_ess_bulk), strict=True
        )
        return tuple(
            c for c, (r, e) in enumerate(pairs) if not (r <= CHAIN_RHAT_LIMIT and e >= CHAIN_ESS_LIMIT)
        )

    def modes_text(self) -> str:
        """The modes' chains in words, e.g. ``0, 2, 5 | 1, 3 | 4, 6, 7``."""
        return " | ".join(", ".join(str(c) for c in mode) for mode in self.modes)

    @property
    def function_mixed(self) -> bool:
        """The network output ``f`` passes both thresholds (weights may still fail them: hidden
        units can swap places without changing ``f``)."""
        return self.function_max_rhat <= RHAT_LIMIT and self.function_min_ess_bulk >= ESS_LIMIT

    def warnings(self) -> list[str]:
        """Plain-words warnings. When ``f``'s r-hat passes, weights that fail it are put down to
        hidden-unit permutations. When it fails (or with one chain): chains that have not mixed
        within themselves are named (run longer); else several modes are described, not blamed;
        else one mode: chains disagree (run longer). Then bulk ESS < 400 (not across modes) and
        divergences. Without ``f`` (no per-chain numbers): the parameters' r-hat and ESS alone."""
        out = self._function_warnings() if self.modes else _pooled(self.max_rhat, self.min_ess_bulk)
        out += self._tail_warnings(out)
        if self.divergences:
            out.append(
                f"{self.divergences} divergent transition(s): the sampler hit regions it cannot "
                f"follow; {DIVERGENCE_ADVICE.get(self.sampler, DIVERGENCE_ADVICE[''])}."
            )
        if self.loo_error:
            out.append(f"PSIS-LOO could not be computed ({self.loo_error}): too few or too similar draws.")
        if self.pareto_k_high:
            out.append(
                f"PSIS-LOO: {self.pareto_k_high} of {self.loo_points} training points have Pareto k above "
                f"{_floats((self.pareto_k_limit,))[0]:.2f} (largest {_floats((self.pareto_k_max,))[0]:.2f}): "
                "their leave-one-out estimates are unreliable (the fit leans on them); check with K-fold "
                "cross-validation (az.loo_kfold) before trusting elpd."
            )
        depth_share, bfmi = _floats((self.depth_limit_share, self.min_bfmi))
        if depth_share > DEPTH_SHARE_LIMIT:
            out.append(
                f"{100 * depth_share:.0f} % of transitions reached max_tree_depth="
                f"{self.max_tree_depth} (> {100 * DEPTH_SHARE_LIMIT:.0f} %): NUTS cut its trajectories "
                "short, so successive draws are more alike than they need be; raise max_tree_depth "
                "(each level doubles the cost of a draw) or use more chains from init='ensemble'."
            )
        if bfmi < BFMI_LIMIT:
            out.append(
                f"E-BFMI down to {bfmi:.2f} (< {BFMI_LIMIT}): the momentum resampling explores "
                "the energy levels poorly (heavy tails, or scales that set other parameters' scales); "
                "reparameterise those scales or run a longer warmup."
            )
        return out

    def _tail_warnings(self, out: list[str]) -> list[str]:
        """Tail ESS < 400 where no ESS warning was given and the chains share one mode; weights
        that disagree (hidden units swapped) are judged by ``f``'s tails alone."""
        if any("ESS" in w for w in out) or self.num_modes > 1:
            return []
        params, f = _floats((self.min_ess_tail, self.function_min_ess_tail))
        tail = f if self.modes and self.max_rhat > RHAT_LIMIT else float(np.fmin(params, f))
        if not tail < ESS_LIMIT:  # NaN: not computed (an older run folder)
            return []
        return [
            f"tail ESS down to {tail:.0f} (< {ESS_LIMIT}): the intervals rest on too few effective "
            "draws; run longer."
        ]

    def _function_warnings(self) -> list[str]:
        chains = len(self.chain_function_max_rhat)
        if chains > 1 and self.function_max_rhat <= RHAT_LIMIT:
            return self._agreeing_warnings()
        ess = float(np.minimum(self.min_ess_bulk, self.function_min_ess_bulk))
        if self.unmixed_chains:
            return [self._unmixed_text()] + _pooled(RHAT_LIMIT, ess)
        if chains == 1:  # one chain mixed within itself: nothing to compare it with
            return self._agreeing_warnings()
        if self.num_modes > 1:
            return [
                f"the {chains} chains found {self.num_modes} modes of the posterior "
                f"(chains {self.modes_text()}); each mixes within its mode; predictions pool them "
                "(weights by chain count, not by posterior mass). Not a failure: running longer will "
                "not join them; to find more modes, start more chains from init='ensemble'."
            ]
        return _pooled(float(np.maximum(self.max_rhat, self.function_max_rhat)), ess)

    def _agreeing_warnings(self) -> list[str]:
        """``f`` agrees across chains (or one chain mixed): weights may still disagree, through
        permutations of hidden units if their r-hat is finite (NaN or inf: constant weights)."""
        ess = float(np.minimum(self.min_ess_bulk, self.function_min_ess_bulk))
        if len(self.chain_function_max_rhat) == 1 or self.max_rhat <= RHAT_LIMIT:
            return _pooled(RHAT_LIMIT, ess)
        if not np.isfinite(self.max_rhat):
            return _pooled(self.max_rhat, ess)
        return [
            f"r-hat of the weights up to {up(self.max_rhat)} (> {RHAT_LIMIT}), but the network output f "
            f"has mixed (r-hat {self.function_max_rhat:.3f}): the weights are identified only up to "
            "permutations of hidden units (swapping two units gives the same f); no action needed."
        ] + _pooled(RHAT_LIMIT, self.function_min_ess_bulk)

    def _unmixed_text(self) -> str:
        chains = self.unmixed_chains
        rhat = np.max([_floats(self.chain_function_max_rhat)[c] for c in chains])
        ess = np.min([_floats(self.chain_function_min_ess_bulk)[c] for c in chains])
        reasons = []
        if not rhat <= CHAIN_RHAT_LIMIT:
            reasons.append(f"split r-hat of f up to {up(rhat, 2)}, want <= {CHAIN_RHAT_LIMIT}")
        if not ess >= CHAIN_ESS_LIMIT:
            reasons.append(f"bulk ESS of f down to {ess:.0f}, want >= {CHAIN_ESS_LIMIT}")
        if len(chains) == 1:
            who = f"chain {chains[0]} has not mixed within itself"
        else:
            who = (
                f"chains {', '.join(map(str, chains[:-1]))} and {chains[-1]} have not mixed within themselves"
            )
        return f"{who} ({'; '.join(reasons)}): run longer."


DIVERGENCE_ADVICE = {
    "nuts": "raise target_accept or reparameterise",
    "hmc": "lower step_size (or set adapt=True to tune it)",
    "mclmc": "raise target_accept (adjusted=True) or use more warmup",
    "": "lower the step size or reparameterise",
}
"""What to change after divergences, by method."""


def _pooled(rhat: float, ess: float) -> list[str]:
    """The single-mode warnings: r-hat across chains, and bulk ESS of all chains together."""
    out = []
    if not rhat <= RHAT_LIMIT:  # NaN (a degenerate chain) warns too
        out.append(f"r-hat up to {up(rhat)} (> {RHAT_LIMIT}): chains disagree; run longer.")
    if not ess >= ESS_LIMIT:
        out.append(f"bulk ESS down to {ess:.0f} (< {ESS_LIMIT}): too few effective draws.")
    return out


def _floats(values) -> tuple[float, ...]:
    """Numbers as floats, ``None`` (NaN as ``diagnostics.json`` writes it) as NaN."""
    return tuple(float("nan") if v is None else float(v) for v in values)
