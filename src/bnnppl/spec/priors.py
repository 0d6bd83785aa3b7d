"""Prior specs (plain data): ``Prior`` on network parameters, ``ScalePrior`` on positive scales.

>>> Prior(family="normal", scale=-1.0)
Traceback (most recent call last):
...
ValueError: Prior.scale: must be > 0, got -1.0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bnnppl._checks import check_choice, check_number, spec_error
from bnnppl.spec.base import Spec, set_field

PRIOR_FAMILIES = ("laplace", "normal", "student_t")
FAN_IN_RULES = ("glorot", "he", "lecun", "neal")
SCALE_PRIOR_FAMILIES = ("gamma_precision", "half_cauchy", "half_normal", "inverse_gamma")


@dataclass(frozen=True, kw_only=True)
class ScalePrior(Spec):
    """A prior on a positive scale: the noise of a likelihood or a learned per-layer weight scale.

    The sample site always holds the *scale* (a standard deviation):

    - ``half_cauchy`` / ``half_normal``: ``scale ~ HalfCauchy(scale)`` / ``HalfNormal(scale)``.
    - ``inverse_gamma``: the variance ``scale**2 ~ InverseGamma(concentration, rate)``.
    - ``gamma_precision``: the precision ``1 / scale**2 ~ Gamma(concentration, rate)`` (the
      Langevin sandbox's form; the same law as ``inverse_gamma`` with the same numbers).

    >>> ScalePrior(family="half_normal")
    ScalePrior(family='half_normal', scale=1.0, concentration=None, rate=None)
    """

    family: str = "half_cauchy"
    scale: float | None = None
    concentration: float | None = None
    rate: float | None = None

    def __post_init__(self) -> None:
        check_choice("ScalePrior.family", self.family, SCALE_PRIOR_FAMILIES, "scale prior")
        if self.family.startswith("half_"):
            for name in ("concentration", "rate"):
                if getattr(self, name) is not None:
                    raise spec_error(
                        f"ScalePrior.{name}",
                        f"is not used by family {self.family!r} (only 'inverse_gamma' and "
                        f"'gamma_precision'), got {getattr(self, name)!r}.",
                    )
            scale = 1.0 if self.scale is None else self.scale
            set_field(self, "scale", check_number("ScalePrior.scale", scale, positive=True))
        else:
            if self.scale is not None:
                raise spec_error(
                    "ScalePrior.scale",
                    f"is not used by family {self.family!r}; give concentration and rate.",
                )
            for name in ("concentration", "rate"):
                value = getattr(self, name)
                if value is None:
                    raise spec_error(
                        f"ScalePrior.{name}", f"is required by family {self.family!r} (a number > 0)."
                    )
                set_field(self, name, check_number(f"ScalePrior.{name}", value, positive=True))


def as_scale_prior(value: Any, path: str) -> ScalePrior:
    if isinstance(value, ScalePrior):
        return value
    return ScalePrior.from_dict(value, path)


@dataclass(frozen=True, kw_only=True)
class Prior(Spec):
    """A prior on every network parameter, independent across parameters.

    A weight ``w`` of a layer gets ``family(loc, s)`` with ``s = scale * fan * learned``:

    - ``fan`` (kernels only; biases keep ``fan = 1``), with ``n_in`` / ``n_out`` the fan-in /
      fan-out of the kernel: ``lecun``: ``1/sqrt(n_in)``; ``he``: ``sqrt(2/n_in)``; ``glorot``:
      ``sqrt(2/(n_in + n_out))``; ``neal``: ``1/sqrt(n_in)`` except the first layer, which keeps 1
      (Neal 1996: only weights fed by hidden units shrink with width).
    - ``learned`` (hierarchical): with ``learned_scale`` set, each layer draws its own scale from
      that hyperprior (site ``prior_scale.<layer>``), shared by its kernel and bias.

    ``df`` (degrees of freedom) is required by, and only used by, ``student_t``.

    >>> Prior(family="laplace", scale=0.5, fan_in="he").to_dict()
    {'family': 'laplace', 'loc': 0.0, 'scale': 0.5, 'fan_in': 'he'}
    """

    family: str = "normal"
    loc: float = 0.0
    scale: float = 1.0
    df: float | None = None
    fan_in: str | None = None
    learned_scale: ScalePrior | None = None

    _nested: ClassVar[dict[str, Any]] = {"learned_scale": as_scale_prior}

    def __post_init__(self) -> None:
        check_choice("Prior.family", self.family, PRIOR_FAMILIES, "prior")
        set_field(self, "loc", check_number("Prior.loc", self.loc))
        set_field(self, "scale", check_number("Prior.scale", self.scale, positive=True))
        if self.family == "student_t":
            if self.df is None:
                raise spec_error("Prior.df", "is required by family 'student_t' (a number > 0, e.g. 3).")
            set_field(self, "df", check_number("Prior.df", self.df, positive=True))
        elif self.df is not None:
            raise spec_error(
                "Prior.df", f"is only used by family 'student_t', not {self.family!r}; got {self.df!r}."
            )
        if self.fan_in is not None:
            check_choice("Prior.fan_in", self.fan_in, FAN_IN_RULES, "fan-in rule")
        if self.learned_scale is not None and not isinstance(self.learned_scale, ScalePrior):
            raise spec_error(
                "Prior.learned_scale", f"must be a ScalePrior, got {self.learned_scale!r}.", TypeError
            )


def as_prior(value: Any, path: str) -> Prior:
    return value if isinstance(value, Prior) else Prior.from_dict(value, path)
