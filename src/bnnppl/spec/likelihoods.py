"""Likelihood specs (plain data): what each observation model is and how many outputs it reads.

>>> likelihood_from_dict({"family": "student_t", "df": 4}).n_outputs
1
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from bnnppl._checks import check_choice, check_count, check_number, spec_error
from bnnppl.spec.base import Spec, from_tagged_dict, set_field
from bnnppl.spec.priors import ScalePrior, as_scale_prior

BERNOULLI_LINKS = ("logit", "probs")


class LikelihoodSpec(Spec):
    family: ClassVar[str]

    @property
    def n_outputs(self) -> int:
        """How many network outputs per point this likelihood reads."""
        return 1


def _check_noise(owner: str, spec: Any) -> None:
    """Fixed ``noise`` or a ``noise_prior`` (half-Cauchy(1) by default), not both."""
    if spec.noise is not None and spec.noise_prior is not None:
        raise spec_error(
            f"{owner}.noise_prior",
            "give either noise (a fixed noise scale) or noise_prior (a prior on it), not both.",
        )
    if spec.noise is not None:
        set_field(spec, "noise", check_number(f"{owner}.noise", spec.noise, positive=True))
    elif spec.noise_prior is None:
        set_field(spec, "noise_prior", ScalePrior())
    elif not isinstance(spec.noise_prior, ScalePrior):
        raise spec_error(
            f"{owner}.noise_prior", f"must be a ScalePrior, got {spec.noise_prior!r}.", TypeError
        )


@dataclass(frozen=True, kw_only=True)
class Gaussian(LikelihoodSpec):
    """``y ~ Normal(f, sigma)``; ``sigma`` fixed (``noise``) or drawn from ``noise_prior``.

    >>> Gaussian().noise_prior
    ScalePrior(family='half_cauchy', scale=1.0, concentration=None, rate=None)
    """

    noise: float | None = None
    noise_prior: ScalePrior | None = None

    family: ClassVar[str] = "gaussian"
    _tag: ClassVar[tuple[str, str]] = ("family", "gaussian")
    _nested: ClassVar[dict[str, Any]] = {"noise_prior": as_scale_prior}

    def __post_init__(self) -> None:
        _check_noise("Gaussian", self)


@dataclass(frozen=True, kw_only=True)
class HeteroscedasticGaussian(LikelihoodSpec):
    """``y ~ Normal(f[:, 0], exp(f[:, 1]))``: the network outputs a mean and a log-scale.

    >>> HeteroscedasticGaussian().n_outputs
    2
    """

    family: ClassVar[str] = "heteroscedastic_gaussian"
    _tag: ClassVar[tuple[str, str]] = ("family", "heteroscedastic_gaussian")

    @property
    def n_outputs(self) -> int:
        return 2


@dataclass(frozen=True, kw_only=True)
class StudentT(LikelihoodSpec):
    """``y ~ StudentT(df, f, sigma)``: robust regression; ``sigma`` as in ``Gaussian``.

    >>> StudentT(df=4.0, noise=0.1).to_dict()
    {'family': 'student_t', 'df': 4.0, 'noise': 0.1}
    """

    df: float
    noise: float | None = None
    noise_prior: ScalePrior | None = None

    family: ClassVar[str] = "student_t"
    _tag: ClassVar[tuple[str, str]] = ("family", "student_t")
    _required_hints: ClassVar[dict[str, str]] = {"df": "degrees of freedom, a number > 0, e.g. 4"}
    _nested: ClassVar[dict[str, Any]] = {"noise_prior": as_scale_prior}

    def __post_init__(self) -> None:
        set_field(self, "df", check_number("StudentT.df", self.df, positive=True))
        _check_noise("StudentT", self)


@dataclass(frozen=True, kw_only=True)
class Bernoulli(LikelihoodSpec):
    """Binary labels 0/1: ``link="logit"`` reads logits, ``link="probs"`` reads probabilities
    (use ``output_activation="sigmoid"``, as the Turing tutorial does).

    >>> Bernoulli(link="probs").link
    'probs'
    """

    link: str = "logit"

    family: ClassVar[str] = "bernoulli"
    _tag: ClassVar[tuple[str, str]] = ("family", "bernoulli")

    def __post_init__(self) -> None:
        check_choice("Bernoulli.link", self.link, BERNOULLI_LINKS, "Bernoulli link")


@dataclass(frozen=True, kw_only=True)
class Categorical(LikelihoodSpec):
    """Labels ``0 .. classes-1``; the network outputs one logit per class.

    >>> Categorical(classes=3).n_outputs
    3
    """

    classes: int

    family: ClassVar[str] = "categorical"
    _tag: ClassVar[tuple[str, str]] = ("family", "categorical")
    _required_hints: ClassVar[dict[str, str]] = {"classes": "the number of classes, an integer >= 2"}

    def __post_init__(self) -> None:
        check_count("Categorical.classes", self.classes, minimum=2)

    @property
    def n_outputs(self) -> int:
        return self.classes


@dataclass(frozen=True, kw_only=True)
class Poisson(LikelihoodSpec):
    """Counts ``y ~ Poisson(exp(f))``: the network outputs a log rate.

    >>> Poisson().to_dict()
    {'family': 'poisson'}
    """

    family: ClassVar[str] = "poisson"
    _tag: ClassVar[tuple[str, str]] = ("family", "poisson")


LIKELIHOODS: dict[str, type[LikelihoodSpec]] = {
    cls.family: cls for cls in (Bernoulli, Categorical, Gaussian, HeteroscedasticGaussian, Poisson, StudentT)
}
Likelihood = Bernoulli | Categorical | Gaussian | HeteroscedasticGaussian | Poisson | StudentT


def likelihood_from_dict(data: Mapping[str, Any], path: str = "likelihood") -> Likelihood:
    """The likelihood spec named by ``data["family"]``.

    >>> likelihood_from_dict({"family": "categorical", "classes": 3})
    Categorical(classes=3)
    """
    return from_tagged_dict(data, path, "family", LIKELIHOODS, "likelihood")


def as_likelihood(value: Any, path: str) -> Likelihood:
    return value if isinstance(value, LikelihoodSpec) else likelihood_from_dict(value, path)
