"""Convergence diagnostics through ArviZ, in parameter space and in function space.

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

from typing import NamedTuple

import numpy as np
import xarray as xr

from bnnppl.results.modes import CHAIN_ESS_LIMIT, CHAIN_RHAT_LIMIT, chain_mixing, chain_modes, rhat_ess

__all__ = [
    "CHAIN_ESS_LIMIT",
    "CHAIN_RHAT_LIMIT",
    "ESS_LIMIT",
    "RHAT_LIMIT",
    "UNIQUE_LIMIT",
    "Diagnostics",
    "LossCheck",
    "SMCCheck",
    "loss_check",
    "smc_check",
    "summarize",
]

RHAT_LIMIT = 1.01
"""r-hat above this warns: the chains disagree."""
ESS_LIMIT = 400
"""Bulk ESS below this warns: too few effective draws."""


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
        if self.divergences:
            out.append(
                f"{self.divergences} divergent transition(s): the sampler hit regions it cannot "
                "follow; raise target_accept or reparameterise."
            )
        return out

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
                "(weights by chain count, not by posterior mass)."
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
            f"r-hat of the weights up to {self.max_rhat:.3f} (> {RHAT_LIMIT}), but the network output f "
            f"has mixed (r-hat {self.function_max_rhat:.3f}): the weights are identified only up to "
            "permutations of hidden units (swapping two units gives the same f); no action needed."
        ] + _pooled(RHAT_LIMIT, self.function_min_ess_bulk)

    def _unmixed_text(self) -> str:
        chains = self.unmixed_chains
        rhat = np.max([_floats(self.chain_function_max_rhat)[c] for c in chains])
        ess = np.min([_floats(self.chain_function_min_ess_bulk)[c] for c in chains])
        reasons = []
        if not rhat <= CHAIN_RHAT_LIMIT:
            reasons.append(f"split r-hat of f up to {rhat:.2f}, want <= {CHAIN_RHAT_LIMIT}")
        if not ess >= CHAIN_ESS_LIMIT:
            reasons.append(f"bulk ESS of f down to {ess:.0f}, want >= {CHAIN_ESS_LIMIT}")
        if len(chains) == 1:
            who = f"chain {chains[0]} has not mixed within itself"
        else:
            who = (
                f"chains {', '.join(map(str, chains[:-1]))} and {chains[-1]} have not mixed within themselves"
            )
        return f"{who} ({'; '.join(reasons)}): run longer."


def _pooled(rhat: float, ess: float) -> list[str]:
    """The single-mode warnings: r-hat across chains, and bulk ESS of all chains together."""
    out = []
    if not rhat <= RHAT_LIMIT:  # NaN (a degenerate chain) warns too
        out.append(f"r-hat up to {rhat:.3f} (> {RHAT_LIMIT}): chains disagree; run longer.")
    if not ess >= ESS_LIMIT:
        out.append(f"bulk ESS down to {ess:.0f} (< {ESS_LIMIT}): too few effective draws.")
    return out


def _floats(values) -> tuple[float, ...]:
    """Numbers as floats, ``None`` (NaN as ``diagnostics.json`` writes it) as NaN."""
    return tuple(float("nan") if v is None else float(v) for v in values)


def _worst(ds: xr.Dataset) -> tuple[float, float]:
    """Largest r-hat and smallest bulk ESS over every variable of ``ds`` (NaN when there is none),
    ArviZ's rank-normalised split statistics (``bnnppl.results.modes.rhat_ess``, vectorised);
    with one chain the r-hat is NaN, as ArviZ's."""
    if not ds.data_vars:
        return float("nan"), float("nan")
    series = [v.transpose("chain", "draw", ...).values for v in ds.data_vars.values()]
    series = [np.moveaxis(v.reshape(v.shape[0], v.shape[1], -1), -1, 0) for v in series]  # (k, chain, draw)
    rhat, ess = (np.concatenate(parts) for parts in zip(*(rhat_ess(v) for v in series), strict=True))
    return (float(np.max(rhat)) if series[0].shape[1] > 1 else float("nan")), float(np.min(ess))


def summarize(posterior: xr.DataTree, *, function_site: str = "f") -> Diagnostics:
    """Worst r-hat and ESS of the parameters and of ``function_site``, divergences, and per chain
    the mixing of ``function_site`` and the modes the chains found."""
    with np.errstate(divide="ignore", invalid="ignore"):  # a stuck chain: r-hat inf, reported as such
        return _summarize(posterior, function_site)


def _summarize(posterior: xr.DataTree, function_site: str) -> Diagnostics:
    post = posterior["posterior"].to_dataset()
    params = post.drop_vars([function_site], errors="ignore")
    funcs = post[[function_site]] if function_site in post else xr.Dataset()
    f = post[function_site].transpose("chain", "draw", ...).values if function_site in post else None
    (max_rhat, min_ess), (f_rhat, f_ess) = _worst(params), _worst(funcs)
    divergences = 0
    if "sample_stats" in posterior and "diverging" in posterior["sample_stats"]:
        divergences = int(np.asarray(posterior["sample_stats"]["diverging"]).sum())
    chain_rhat, chain_ess = chain_mixing(f) if f is not None else ((), ())
    return Diagnostics(
        max_rhat=max_rhat,
        min_ess_bulk=min_ess,
        divergences=divergences,
        function_max_rhat=f_rhat,
        function_min_ess_bulk=f_ess,
        chain_function_max_rhat=chain_rhat,
        chain_function_min_ess_bulk=chain_ess,
        modes=chain_modes(f) if f is not None else (),
    )


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
