"""Inference methods as small frozen configs (plain data, checked when made, no JAX).

``fit(bnn, x, y, method=...)`` takes one of these. Each round-trips through a dict (and YAML):

>>> NUTS(chains=2, warmup=500).to_dict()["method"]
'nuts'
>>> method_from_dict({"method": "svi", "guide": "normal", "steps": 2000}) == SVI(steps=2000)
True
>>> SVI(elbo="renyi", alpha=1.0)
Traceback (most recent call last):
...
ValueError: SVI.alpha: must differ from 1 (alpha = 1 is the ordinary ELBO: use elbo='trace'), got 1.0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from bnnppl._checks import check_choice, check_count, check_fraction, check_number, spec_error
from bnnppl.spec.base import Spec, from_tagged_dict, set_field
from bnnppl.spec.sampler_methods import (  # noqa: F401  (re-exported)
    LANGEVIN_INITS,
    MCLMC,
    SGHMC,
    SGLD,
    SMC,
    SMC_KERNELS,
    SMC_SCHEDULES,
    Langevin,
    check_init,
)

SVI_INITS = ("map", "uniform")
NUTS_INITS = ("ensemble", "map", "median", "prior", "svi", "uniform")
GUIDES = ("delta", "low_rank", "normal")
SCHEDULES = ("constant", "cosine")
POINT_LAYERS = ("joint", "pretrained")
ELBOS = ("alpha", "mean_field", "renyi", "trace")
# optax optimizers that take a learning rate as their first argument
OPTIMIZERS = (
    "adabelief",
    "adagrad",
    "adam",
    "adamax",
    "adamw",
    "lamb",
    "lion",
    "nadam",
    "novograd",
    "radam",
    "rmsprop",
    "sgd",
    "yogi",
)


def _check_draws(owner: str, spec: Any) -> None:
    for name in ("chains", "samples", "thinning"):
        check_count(f"{owner}.{name}", getattr(spec, name))
    check_count(f"{owner}.warmup", spec.warmup, minimum=0)
    if spec.thinning > spec.samples:
        raise spec_error(
            f"{owner}.thinning",
            f"is {spec.thinning} but only {spec.samples} samples are drawn; keep thinning <= samples.",
        )


@dataclass(frozen=True, kw_only=True)
class NUTS(Spec):
    """The No-U-Turn sampler (NumPyro's ``NUTS``), ``chains`` chains in parallel where devices allow.

    ``samples`` draws are kept per chain after ``warmup`` (every ``thinning``-th of them).
    ``init``: ``"uniform"`` (NumPyro's default, uniform in (-2, 2) on the unconstrained scale),
    ``"prior"`` (a prior draw), ``"median"`` (prior medians), ``"map"`` (a MAP fit: SVI with
    ``AutoDelta``, ``init_steps`` Adam steps), ``"svi"`` (the means of an ``AutoNormal`` fit) or
    ``"ensemble"``: ``chains`` MAP fits from different prior draws, trained together in one
    compiled program (``init_steps`` Adam steps each), each chain starting at its own member, so
    that chains can find different modes (Sommer et al., ICML 2024). ``init_holdout`` > 0 holds
    that fraction of the training rows out of the members' fits and keeps each member at its
    best held-out log-likelihood (early stopping); the chains then sample with every row. The
    members stay on the ``Posterior`` (``post.members``, ``post.ensemble()``: a deep ensemble).

    >>> NUTS().chains, NUTS().target_accept
    (2, 0.8)
    """

    chains: int = 2
    warmup: int = 1000
    samples: int = 1000
    thinning: int = 1
    target_accept: float = 0.8
    max_tree_depth: int = 10
    dense_mass: bool = False
    init: str = "uniform"
    init_steps: int = 2000
    init_holdout: float = 0.0

    _tag: ClassVar[tuple[str, str]] = ("method", "nuts")

    def __post_init__(self) -> None:
        _check_draws("NUTS", self)
        set_field(self, "target_accept", check_fraction("NUTS.target_accept", self.target_accept))
        check_count("NUTS.max_tree_depth", self.max_tree_depth)
        if not isinstance(self.dense_mass, bool):
            raise spec_error("NUTS.dense_mass", f"must be true or false, got {self.dense_mass!r}.", TypeError)
        check_init("NUTS", self, NUTS_INITS)


@dataclass(frozen=True, kw_only=True)
class HMC(Spec):
    """Hamiltonian Monte Carlo with a fixed ``step_size`` and ``num_steps`` leapfrog steps.

    The Turing tutorial's sampler is ``HMC(step_size=0.05, num_steps=4)``. With ``adapt=False``
    (default) nothing is tuned: ``warmup`` draws are simply dropped (burn-in). ``init``,
    ``init_steps`` and ``init_holdout``: as for ``NUTS`` (default ``"uniform"``).

    >>> HMC(step_size=0.05, num_steps=4, samples=5000).num_steps
    4
    """

    step_size: float
    num_steps: int
    chains: int = 2
    warmup: int = 1000
    samples: int = 1000
    thinning: int = 1
    adapt: bool = False
    init: str = "uniform"
    init_steps: int = 2000
    init_holdout: float = 0.0

    _tag: ClassVar[tuple[str, str]] = ("method", "hmc")
    _required_hints: ClassVar[dict[str, str]] = {
        "step_size": "the leapfrog step size, a number > 0, e.g. 0.05",
        "num_steps": "leapfrog steps per draw, an integer >= 1, e.g. 4",
    }

    def __post_init__(self) -> None:
        object.__setattr__(self, "step_size", check_number("HMC.step_size", self.step_size, positive=True))
        check_count("HMC.num_steps", self.num_steps)
        _check_draws("HMC", self)
        if not isinstance(self.adapt, bool):
            raise spec_error("HMC.adapt", f"must be true or false, got {self.adapt!r}.", TypeError)
        check_init("HMC", self, NUTS_INITS)


@dataclass(frozen=True, kw_only=True)
class SVI(Spec):
    """Stochastic variational inference with an automatic guide, run in compiled chunks.

    - ``guide``: ``"normal"`` (``AutoNormal``, mean field), ``"low_rank"``
      (``AutoLowRankMultivariateNormal`` with ``rank``) or ``"delta"`` (``AutoDelta``: MAP).
      ``init_scale`` is the guides' initial standard deviation.
    - ``optimizer``: an optax optimizer by name with ``learning_rate``; ``clip`` clips each
      gradient entry to ``[-clip, clip]`` first (NumPyro's ``ClippedAdam(clip_norm=...)``).
      ``schedule="cosine"`` decays the rate to 1 % of ``learning_rate`` over ``steps``: the
      final parameters then settle instead of jittering by about ``learning_rate``.
    - ``elbo``: ``"trace"`` (``Trace_ELBO``), ``"mean_field"`` (``TraceMeanField_ELBO``, analytic
      KL where it can), ``"renyi"`` (``RenyiELBO`` of order ``alpha``, default 0, ``alpha != 1``;
      no minibatches) or ``"alpha"`` (``bnnppl.inference.alpha.AlphaELBO``: black-box alpha per
      data point, of order ``alpha``, default 0.5, ``alpha != 0``; works with minibatches and
      is how a latent-input BNN is trained); ``num_particles`` samples per gradient step
      (``"alpha"`` needs at least 2: with one it is the ordinary ELBO).
    - ``subsample_size``: minibatch SVI; each step draws this many rows of ``x`` and ``y``
      together and scales the likelihood by ``n / subsample_size``.
    - ``draws``: posterior draws taken from the fitted guide; ``chunk``: steps per compiled
      chunk (the progress bar updates once per chunk).
    - ``point_layers``: how a partially stochastic model's deterministic layers are set:
      ``"joint"`` (learnt with the guide, maximising the same objective) or ``"pretrained"``
      (a MAP fit of the whole network, ``pretrain_steps`` Adam steps, then frozen while the
      Bayesian layers are fitted). MCMC methods always use the pretrained, frozen values.
    - ``init``: where the guide's locations start: ``"uniform"`` (NumPyro's default, uniform in
      (-2, 2) on the unconstrained scale) or ``"map"`` (a MAP fit of ``init_steps`` Adam steps;
      on the UCI benchmark it lifts a mean-field guide out of the underfitting start, see
      ``docs/benchmarks.md``). ``point_layers="pretrained"`` always starts at its MAP fit.

    >>> SVI(guide="low_rank", rank=5).rank
    5
    """

    steps: int = 10_000
    guide: str = "normal"
    optimizer: str = "adam"
    learning_rate: float = 0.01
    schedule: str = "constant"
    clip: float | None = None
    elbo: str = "trace"
    num_particles: int = 1
    alpha: float | None = None
    init_scale: float = 0.1
    rank: int | None = None
    subsample_size: int | None = None
    draws: int = 1000
    chunk: int = 500
    point_layers: str = "joint"
    pretrain_steps: int = 2000
    init: str = "uniform"
    init_steps: int = 2000

    _tag: ClassVar[tuple[str, str]] = ("method", "svi")

    def __post_init__(self) -> None:
        check_count("SVI.steps", self.steps)
        check_choice("SVI.guide", self.guide, GUIDES, "guide")
        check_choice("SVI.optimizer", self.optimizer, OPTIMIZERS, "optimizer")
        lr = check_number("SVI.learning_rate", self.learning_rate, positive=True)
        object.__setattr__(self, "learning_rate", lr)
        check_choice("SVI.schedule", self.schedule, SCHEDULES, "learning-rate schedule")
        if self.clip is not None:
            object.__setattr__(self, "clip", check_number("SVI.clip", self.clip, positive=True))
        check_choice("SVI.elbo", self.elbo, ELBOS, "ELBO")
        check_count("SVI.num_particles", self.num_particles)
        object.__setattr__(self, "alpha", _svi_alpha(self.elbo, self.alpha))
        object.__setattr__(self, "init_scale", check_number("SVI.init_scale", self.init_scale, positive=True))
        if self.rank is not None:
            if self.guide != "low_rank":
                raise spec_error("SVI.rank", f"is only used by guide='low_rank', got {self.rank!r}.")
            check_count("SVI.rank", self.rank)
        if self.elbo == "alpha" and self.num_particles < 2:
            raise spec_error(
                "SVI.num_particles",
                f"elbo='alpha' with {self.num_particles} particle is the ordinary ELBO; use at least 2 "
                "(e.g. 10), or elbo='trace'.",
            )
        if self.subsample_size is not None:
            check_count("SVI.subsample_size", self.subsample_size)
            if self.elbo == "renyi":
                raise spec_error(
                    "SVI.subsample_size",
                    "elbo='renyi' cannot use minibatches (NumPyro's RenyiELBO needs every site in the "
                    f"subsampled data plate, and the weights are outside it), got {self.subsample_size!r}; "
                    "use elbo='alpha' (black-box alpha per data point) or drop subsample_size.",
                )
        check_count("SVI.draws", self.draws)
        check_count("SVI.chunk", self.chunk)
        check_choice("SVI.point_layers", self.point_layers, POINT_LAYERS, "point-layer strategy")
        check_count("SVI.pretrain_steps", self.pretrain_steps)
        check_choice("SVI.init", self.init, SVI_INITS, "init strategy")
        check_count("SVI.init_steps", self.init_steps)


def _svi_alpha(elbo: str, alpha: Any) -> float | None:
    """``SVI.alpha`` checked against ``elbo``: its default (``renyi`` 0, ``alpha`` 0.5), or ``None``."""
    if elbo not in ("renyi", "alpha"):
        if alpha is not None:
            raise spec_error("SVI.alpha", f"is only used by elbo='renyi' or 'alpha', got {alpha!r}.")
        return None
    value = (0.0 if elbo == "renyi" else 0.5) if alpha is None else check_number("SVI.alpha", alpha)
    if elbo == "renyi" and value == 1:
        raise spec_error(
            "SVI.alpha",
            f"must differ from 1 (alpha = 1 is the ordinary ELBO: use elbo='trace'), got {alpha!r}.",
        )
    if elbo == "alpha" and value == 0:
        raise spec_error(
            "SVI.alpha",
            "must differ from 0 for elbo='alpha' (alpha -> 0 is the ordinary ELBO: use "
            f"elbo='trace'), got {alpha!r}.",
        )
    return value


Method = NUTS | HMC | SVI | Langevin | SGLD | SGHMC | SMC | MCLMC
METHODS: dict[str, type] = {
    "hmc": HMC,
    "langevin": Langevin,
    "mclmc": MCLMC,
    "nuts": NUTS,
    "sghmc": SGHMC,
    "sgld": SGLD,
    "smc": SMC,
    "svi": SVI,
}
MCMC_METHODS: tuple[type, ...] = (HMC, NUTS, Langevin, SGLD, SGHMC, MCLMC)
"""Methods whose draws are Markov chains: r-hat, ESS and PSIS-LOO apply."""


def method_from_dict(data: Mapping[str, Any], path: str = "inference") -> Method:
    """The method named by ``data["method"]``."""
    return from_tagged_dict(data, path, "method", METHODS, "inference method")
