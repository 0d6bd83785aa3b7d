"""Configs of the research samplers: BAOAB Langevin dynamics, SGLD, SGHMC and SMC (plain data,
checked when made, no JAX). ``bnnppl.spec.methods`` re-exports them beside NUTS, HMC and SVI.

>>> SMC(schedule="data", batch=5).to_dict()["batch"]
5
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bnnppl._checks import check_choice, check_count, check_fraction, check_number, spec_error
from bnnppl.spec.base import Spec, set_field

LANGEVIN_INITS = ("ensemble", "map", "prior", "uniform")
MCLMC_INITS = ("ensemble", "map", "prior", "uniform")
SMC_SCHEDULES = ("data", "tempering")
SMC_KERNELS = ("hmc", "langevin", "nuts")


def check_init(owner: str, spec: Any, inits: tuple[str, ...]) -> None:
    """The start fields every MCMC method shares: ``init`` (one of ``inits``), ``init_steps`` and
    ``init_holdout`` (a fraction in [0, 1), only with ``init="ensemble"``)."""
    check_choice(f"{owner}.init", spec.init, inits, "init strategy")
    check_count(f"{owner}.init_steps", spec.init_steps)
    holdout = check_number(f"{owner}.init_holdout", spec.init_holdout)
    if not 0 <= holdout < 1:
        raise spec_error(f"{owner}.init_holdout", f"must be in [0, 1), got {spec.init_holdout!r}.")
    if holdout and spec.init != "ensemble":
        raise spec_error(
            f"{owner}.init_holdout",
            f"is only used by init='ensemble' (it holds rows out of the members' MAP fits), got "
            f"{spec.init_holdout!r} with init={spec.init!r}.",
        )
    set_field(spec, "init_holdout", holdout)


def _check_chain_run(owner: str, spec: Any) -> None:
    """Fields shared by the Langevin-type samplers: chains, burn-in, kept draws, start."""
    for name in ("chains", "samples", "thinning"):
        check_count(f"{owner}.{name}", getattr(spec, name))
    check_count(f"{owner}.burnin", spec.burnin, minimum=0)
    for name in ("step_size", "temperature"):
        set_field(spec, name, check_number(f"{owner}.{name}", getattr(spec, name), positive=True))
    check_init(owner, spec, LANGEVIN_INITS)


@dataclass(frozen=True, kw_only=True)
class Langevin(Spec):
    """Underdamped Langevin dynamics with the BAOAB integrator (Leimkuhler & Matthews), full batch.

    Each chain runs ``burnin`` steps with ``burnin_friction`` and ``burnin_mass`` (a high friction
    damps the energy a chain starts with), then ``samples * thinning`` production steps with
    ``friction`` and ``mass``, keeping every ``thinning``-th position. A heavy burn-in mass slows
    the way from a MAP start to the typical set (measured on the Langevin curve: mass 10 had not
    arrived after 5000 steps, mass 1 took about 500), so ``burnin_mass`` defaults to 1. The step
    must stay below about ``1 / sqrt(largest Hessian eigenvalue)`` of the log posterior: the
    ``kinetic_temperature`` statistic near ``temperature`` says it does. ``temperature`` 1
    targets the posterior; other values target ``posterior ** (1 / temperature)`` ("cold"
    posteriors below 1). No Metropolis correction: the draws carry an ``O(step_size**2)`` bias.
    ``init``: ``"map"`` (default, a MAP fit of ``init_steps`` Adam steps), ``"ensemble"`` (each
    chain at its own member of a MAP ensemble, see ``NUTS``), ``"prior"`` or ``"uniform"``.

    >>> Langevin(friction=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: Langevin.friction: must be > 0, got -1.0.
    """

    step_size: float = 5e-3
    chains: int = 2
    burnin: int = 2000
    burnin_friction: float = 10.0
    burnin_mass: float = 1.0
    samples: int = 1000
    thinning: int = 50
    friction: float = 1.0
    mass: float = 1.0
    temperature: float = 1.0
    init: str = "map"
    init_steps: int = 2000
    init_holdout: float = 0.0

    _tag: ClassVar[tuple[str, str]] = ("method", "langevin")

    def __post_init__(self) -> None:
        _check_chain_run("Langevin", self)
        for name in ("burnin_friction", "burnin_mass", "friction", "mass"):
            set_field(self, name, check_number(f"Langevin.{name}", getattr(self, name), positive=True))


@dataclass(frozen=True, kw_only=True)
class SGLD(Spec):
    """Stochastic-gradient Langevin dynamics (BlackJAX's ``sgld``) on minibatches of ``batch_size``
    rows (default: 32, or all rows when there are fewer).

    Gradients of the log posterior are estimated from a minibatch each step (likelihood scaled by
    ``n / batch_size``). ``burnin`` steps are dropped, then ``samples * thinning`` steps run,
    keeping every ``thinning``-th. Starts from a MAP fit by default (``init`` as for ``Langevin``).
    No Metropolis correction:
    the draws carry an ``O(step_size)`` bias, so small steps and long runs are the rule.

    >>> SGLD(batch_size=0)
    Traceback (most recent call last):
    ...
    ValueError: SGLD.batch_size: must be >= 1, got 0.
    """

    step_size: float = 1e-4
    batch_size: int | None = None
    chains: int = 2
    burnin: int = 2000
    samples: int = 1000
    thinning: int = 10
    temperature: float = 1.0
    init: str = "map"
    init_steps: int = 2000
    init_holdout: float = 0.0

    _tag: ClassVar[tuple[str, str]] = ("method", "sgld")

    def __post_init__(self) -> None:
        _check_chain_run("SGLD", self)
        if self.batch_size is not None:
            check_count("SGLD.batch_size", self.batch_size)


@dataclass(frozen=True, kw_only=True)
class SGHMC(Spec):
    """Stochastic-gradient HMC (BlackJAX's ``sghmc``, Chen et al. 2014) on minibatches.

    Like ``SGLD`` with momentum: ``num_integration_steps`` steps per draw on one minibatch
    (BlackJAX draws fresh momenta for each draw), with friction ``friction`` (BlackJAX's
    ``alpha``). BlackJAX integrates with explicit Euler steps (the gradient at the old position),
    which is biased unless ``step_size`` times the posterior's curvature is small next to
    ``friction``. The defaults (a trajectory of ``1000 * 2e-4`` time units per draw) were the
    ones that mixed on the sine regression; short trajectories barely move.

    >>> SGHMC(friction=0.0)
    Traceback (most recent call last):
    ...
    ValueError: SGHMC.friction: must be > 0, got 0.0.
    """

    step_size: float = 2e-4
    batch_size: int | None = None
    num_integration_steps: int = 1000
    friction: float = 5.0
    chains: int = 2
    burnin: int = 200
    samples: int = 1000
    thinning: int = 1
    temperature: float = 1.0
    init: str = "map"
    init_steps: int = 2000
    init_holdout: float = 0.0

    _tag: ClassVar[tuple[str, str]] = ("method", "sghmc")

    def __post_init__(self) -> None:
        _check_chain_run("SGHMC", self)
        if self.batch_size is not None:
            check_count("SGHMC.batch_size", self.batch_size)
        check_count("SGHMC.num_integration_steps", self.num_integration_steps)
        set_field(self, "friction", check_number("SGHMC.friction", self.friction, positive=True))


@dataclass(frozen=True, kw_only=True)
class SMC(Spec):
    """Sequential Monte Carlo from the prior to the posterior with ``particles`` particles.

    - ``schedule="tempering"``: likelihood (geometric) tempering, ``prior * likelihood ** beta``
      with ``beta`` from 0 to 1; each next ``beta`` is chosen adaptively so that the conditional
      ESS of the reweighting is ``target_ess`` of the particles.
    - ``schedule="data"``: data annealing, adding ``batch`` data points per stage.

    After each reweighting the particles are resampled when their ESS falls below
    ``resample_ess`` of ``particles``, then moved by ``mcmc_steps`` steps of ``kernel``
    (``"hmc"`` with ``num_leapfrog`` steps, ``"nuts"`` or ``"langevin"``: MALA), run on
    coordinates scaled by the particles' spread; the step size (in those units) starts at
    ``step_size`` and is tuned after every move step towards a target acceptance. The fit
    reports the log-evidence estimate and the ESS and resampling history. On the sine
    regression 10 leapfrog steps were too few to match NUTS (0.06 nats worse); 30 matched it.

    >>> SMC(resample_ess=1.5)
    Traceback (most recent call last):
    ...
    ValueError: SMC.resample_ess: must be in (0, 1), got 1.5.
    """

    schedule: str = "tempering"
    particles: int = 1000
    kernel: str = "hmc"
    mcmc_steps: int = 10
    step_size: float = 0.01
    num_leapfrog: int = 30
    resample_ess: float = 0.5
    target_ess: float = 0.9
    batch: int = 1
    max_stages: int = 1000

    _tag: ClassVar[tuple[str, str]] = ("method", "smc")

    def __post_init__(self) -> None:
        check_choice("SMC.schedule", self.schedule, SMC_SCHEDULES, "SMC schedule")
        check_choice("SMC.kernel", self.kernel, SMC_KERNELS, "move kernel")
        for name in ("particles", "mcmc_steps", "num_leapfrog", "batch", "max_stages"):
            check_count(f"SMC.{name}", getattr(self, name))
        if self.particles < 2:
            raise spec_error("SMC.particles", f"must be >= 2, got {self.particles!r}.")
        set_field(self, "step_size", check_number("SMC.step_size", self.step_size, positive=True))
        for name in ("resample_ess", "target_ess"):
            set_field(self, name, check_fraction(f"SMC.{name}", getattr(self, name)))


@dataclass(frozen=True, kw_only=True)
class MCLMC(Spec):
    """Microcanonical Langevin Monte Carlo (BlackJAX's ``mclmc``), each chain tuned on its own.

    Each chain runs ``warmup`` steps of BlackJAX's tuning (``mclmc_find_L_and_step_size``: the
    step size, the momentum decoherence length ``L`` and, with ``diagonal_preconditioning``, a
    diagonal mass matrix; started and split as MILE does, see ``bnnppl.inference.mclmc``), then
    ``samples * thinning`` steps, keeping every ``thinning``-th (``samples`` draws per chain, as
    for ``Langevin``). ``adjusted=True`` runs the Metropolis-adjusted variant
    (``adjusted_mclmc_dynamic``, random trajectory lengths, BlackJAX's
    ``adjusted_mclmc_find_L_and_step_size`` with acceptance target ``target_accept``, default 0.9);
    the unadjusted one carries a small bias that its tuning keeps at an energy error of ``5e-4``
    per dimension. On a 50-unit network (UCI Yacht, 8 chains x (1000 + 1000)) the adjusted
    variant's tuned trajectories were long: 1161 s against 21 s unadjusted, and no better.

    ``init``: ``"ensemble"`` (default: ``chains`` MAP fits from different random starts, trained
    together, each chain at its own member; the "microcanonical Langevin ensembles" of Sommer et
    al., 2025), ``"map"``, ``"prior"`` or ``"uniform"``. ``init_steps`` and ``init_holdout``: as
    for ``NUTS``.

    >>> MCLMC(chains=4, warmup=500, samples=500).adjusted
    False
    >>> MCLMC(target_accept=0.8)
    Traceback (most recent call last):
    ...
    ValueError: MCLMC.target_accept: is only used by adjusted=True, got 0.8.
    """

    chains: int = 4
    warmup: int = 1000
    samples: int = 1000
    thinning: int = 1
    adjusted: bool = False
    target_accept: float | None = None
    diagonal_preconditioning: bool = False
    init: str = "ensemble"
    init_steps: int = 2000
    init_holdout: float = 0.0

    _tag: ClassVar[tuple[str, str]] = ("method", "mclmc")

    def __post_init__(self) -> None:
        for name in ("chains", "samples", "thinning"):
            check_count(f"MCLMC.{name}", getattr(self, name))
        check_count("MCLMC.warmup", self.warmup, minimum=10)
        for name in ("adjusted", "diagonal_preconditioning"):
            value = getattr(self, name)
            if not isinstance(value, bool):
                raise spec_error(f"MCLMC.{name}", f"must be true or false, got {value!r}.", TypeError)
        if self.target_accept is not None:
            if not self.adjusted:
                raise spec_error(
                    "MCLMC.target_accept", f"is only used by adjusted=True, got {self.target_accept!r}."
                )
            set_field(self, "target_accept", check_fraction("MCLMC.target_accept", self.target_accept))
        check_init("MCLMC", self, MCLMC_INITS)
