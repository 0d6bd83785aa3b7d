"""``Scaling``: the standardisation a fit applies to its data, kept on the ``Posterior``.

``fit(..., scale=True)`` (the default) fits the model to standardised data: each input column
becomes ``(x - mean) / sd`` with the training rows' mean and sd (a constant column is only
centred: ``x - mean``), and a real-valued target (Gaussian, heteroscedastic Gaussian, Student-t) becomes
``(y - mean) / sd``. The priors and the noise prior therefore speak of standardised data, which is
what lets one set of default priors suit data in any units. Class labels and counts are never
scaled, and neither is a target whose likelihood has a fixed ``noise``: that noise is a statement
in the target's own units, and stays one.

Everything read from a posterior is in the user's units: ``predict``, ``network_draws`` (the
network output moved back: location ``mean + sd * f``, log scale ``f + log sd``),
``log_likelihood`` (the density of the original targets, so it carries the Jacobian
``-log sd``), ArviZ groups, metrics, plots and reports.

>>> s = Scaling.from_data(np.array([[1.0, 5.0], [3.0, 5.0]]), np.array([10.0, 20.0]), Gaussian())
>>> s.x_loc.tolist(), s.x_scale.tolist(), s.y_loc, s.y_scale  # column 1 is constant: centred
([2.0, 5.0], [1.0, 1.0], 15.0, 5.0)
>>> s.x(np.array([[3.0, 5.0]])).tolist(), s.y(np.array([20.0])).tolist()
([[1.0, 0.0]], [1.0])
>>> from bnnppl.spec import Bernoulli
>>> x = np.array([[1.0], [3.0]])
>>> Scaling.from_data(x, np.array([0, 1]), Bernoulli()).y_scale  # labels: never
1.0
>>> Scaling.from_data(x, np.array([10.0, 20.0]), Gaussian(noise=0.5)).y_scale  # a fixed noise: kept
1.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bnnppl.spec.likelihoods import Gaussian, HeteroscedasticGaussian, LikelihoodSpec, StudentT

__all__ = ["REAL_FAMILIES", "Scaling", "far_from_unit", "loc_scale", "scales_target", "unscaled_warning"]

REAL_FAMILIES = (Gaussian.family, HeteroscedasticGaussian.family, StudentT.family)
"""Likelihood families whose targets are real numbers, and so are standardised."""

FAR = 10.0
"""``scale=False`` warns when a column's mean or sd is beyond ``FAR`` (or a non-constant sd is
below ``1 / FAR``): the default priors put the network's output and weights at unit scale."""


@dataclass(frozen=True, eq=False)
class Scaling:
    """Location and scale of the inputs (``x_loc``, ``x_scale``: ``(n_features,)``) and of the
    target (``y_loc``, ``y_scale``: 0 and 1 when the target is not scaled)."""

    x_loc: np.ndarray
    x_scale: np.ndarray
    y_loc: float = 0.0
    y_scale: float = 1.0

    @classmethod
    def from_data(cls, x: Any, y: Any, likelihood: LikelihoodSpec) -> Scaling:
        """The training rows' statistics (population sd); the target is scaled only when it is
        real-valued (see ``REAL_FAMILIES``) and ``likelihood`` learns its noise."""
        x = np.asarray(x, dtype=np.float64)
        loc, scale = loc_scale(x)
        y_loc, y_scale = 0.0, 1.0
        if scales_target(likelihood):
            y_loc, y_scale = (float(v[0]) for v in loc_scale(np.asarray(y, dtype=np.float64)[:, None]))
        return cls(loc, scale, y_loc, y_scale)

    def x(self, x: np.ndarray) -> np.ndarray:
        """Inputs in the model's (standardised) units, float32."""
        return ((np.asarray(x, dtype=np.float64) - self.x_loc) / self.x_scale).astype(np.float32)

    @property
    def scales_y(self) -> bool:
        """Whether the target was standardised (see ``scales_target``)."""
        return self.y_loc != 0.0 or self.y_scale != 1.0

    def y(self, y: np.ndarray) -> np.ndarray:
        """Targets in the model's units (labels and counts pass through unchanged)."""
        if not self.scales_y:
            return y
        return ((np.asarray(y, dtype=np.float64) - self.y_loc) / self.y_scale).astype(np.float32)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The arrays ``from_arrays`` reads back (saved with a posterior)."""
        return {"x_loc": self.x_loc, "x_scale": self.x_scale, "y": np.array([self.y_loc, self.y_scale])}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> Scaling:
        y_loc, y_scale = (float(v) for v in arrays["y"])
        return cls(np.asarray(arrays["x_loc"]), np.asarray(arrays["x_scale"]), y_loc, y_scale)


def scales_target(likelihood: LikelihoodSpec) -> bool:
    """Whether scaling standardises the target: a real-valued one whose noise is not fixed."""
    return likelihood.family in REAL_FAMILIES and getattr(likelihood, "noise", None) is None


def loc_scale(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and (population) sds of ``a`` ``(n, k)``; a constant column (sd 0) gets scale
    1: it is only centred.

    >>> [v.tolist() for v in loc_scale(np.array([[1.0, 5.0], [3.0, 5.0]]))]
    [[2.0, 5.0], [1.0, 1.0]]

    Left as it is, a constant column of 288, as UCI Naval has, is a huge input that saturates
    the hidden units under unit-scale priors: test RMSE twice the target's sd, measured in
    ``bench/defaults.py``.
    """
    loc, sd = a.mean(axis=0), a.std(axis=0)
    return loc, np.where(sd > 0, sd, 1.0)


def far_from_unit(name: str, a: np.ndarray) -> str | None:
    """Why the columns of ``a`` (``(n,)`` or ``(n, k)``) are far from unit scale, or ``None``.

    >>> far_from_unit("x", np.array([[1000.0, 0.1], [1200.0, -0.3]]))
    'x: column 0 has mean 1.1e+03 and sd 100'
    >>> far_from_unit("y", np.array([0.2, -1.3, 0.7])) is None
    True
    """
    a = np.asarray(a, dtype=np.float64)
    a = a[:, None] if a.ndim == 1 else a
    mean, sd = a.mean(axis=0), a.std(axis=0)
    far = (np.abs(mean) > FAR) | (sd > FAR) | ((sd > 0) & (sd < 1 / FAR))
    if not far.any():
        return None
    j = int(np.argmax(far))
    where = f"column {j} has" if a.shape[1] > 1 or name == "x" else "has"
    return f"{name}: {where} mean {mean[j]:.3g} and sd {sd[j]:.3g}"


def unscaled_warning(x: Any, y: Any, likelihood: LikelihoodSpec, scale: bool) -> str | None:
    """The warning for data left far from unit scale, or ``None``: with ``scale=False``, inputs
    or a real-valued target; with ``scale=True``, a target kept in its units by a fixed noise.

    >>> x, y = np.array([[0.5], [-0.4]]), np.array([300.0, 500.0])
    >>> print(unscaled_warning(x, y, Gaussian(), scale=False))
    scale=False, but y: has mean 400 and sd 100: far from the unit scale the priors assume. Leave \
scale=True (the default) to standardise them, or rescale them yourself.
    >>> print(unscaled_warning(x, y, Gaussian(noise=5.0), scale=True))
    y: has mean 400 and sd 100, and is not standardised because the likelihood's noise is fixed \
(5.0, in y's units): far from the unit scale the priors assume. Learn the noise (give no noise) \
to have y standardised, or rescale y yourself.
    """
    real = likelihood.family in REAL_FAMILIES
    if scale:
        why = far_from_unit("y", y) if real and not scales_target(likelihood) else None
        if why is None:
            return None
        return (
            f"{why}, and is not standardised because the likelihood's noise is fixed "
            f"({likelihood.noise}, in y's units): far from the unit scale the priors assume. "
            "Learn the noise (give no noise) to have y standardised, or rescale y yourself."
        )
    reasons = [r for r in (far_from_unit("x", x), far_from_unit("y", y) if real else None) if r]
    if not reasons:
        return None
    return (
        f"scale=False, but {'; '.join(reasons)}: far from the unit scale the priors assume. "
        "Leave scale=True (the default) to standardise them, or rescale them yourself."
    )
