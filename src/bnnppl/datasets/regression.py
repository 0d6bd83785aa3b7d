"""Regression data sets: the sine curve, the Langevin curve and a heteroscedastic set with an
optional gap in the inputs; each with the function it is drawn from."""

from __future__ import annotations

from typing import Any

import numpy as np

from bnnppl.datasets._args import (
    _as_float_array,
    _check_gap,
    _check_nonnegative,
    _check_range,
    _check_rows,
    _rng,
)


def sine_regression(n: int = 40, *, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The NumPyro BNN tutorial's regression: ``x ~ U(-1, 1)``, ``y = x sin(5x) + N(0, noise^2)``.

    Returns ``x`` of shape ``(n, 1)`` and ``y`` of shape ``(n,)``, both float32.

    >>> x, y = sine_regression(n=5, noise=0.0, seed=0)
    >>> bool(np.allclose(y, x[:, 0] * np.sin(5 * x[:, 0])))
    True
    """
    n = _check_rows("n", n)
    noise = _check_nonnegative("noise", noise)
    rng = _rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(n, 1))
    y = x[:, 0] * np.sin(5.0 * x[:, 0]) + noise * rng.standard_normal(n)
    return x.astype(np.float32), y.astype(np.float32)


def langevin_curve_function(x: Any) -> np.ndarray:
    """The noise-free curve of :func:`langevin_curve`: ``4 sin(x - 2) + sin(8x - 2) - 4x^2``.

    Elementwise on an array of any shape (float32 stays float32, integers become float64).

    >>> langevin_curve_function(np.array([0.0, 2.0])).round(3)
    array([ -4.546, -15.009])
    """
    x = _as_float_array("x", x)
    return 4.0 * np.sin(x - 2.0) + np.sin(8.0 * x - 2.0) - 4.0 * x**2


def langevin_curve(
    n: int = 50, *, noise: float = 0.5, low: float = -1.0, high: float = 1.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A 1-D regression from a stochastic-gradient Langevin BNN experiment.

    ``x ~ U(low, high)``, ``y = 4 sin(x - 2) + sin(8x - 2) - 4x^2 + N(0, noise^2)`` (the curve is
    :func:`langevin_curve_function`). The original experiment fixes only the function, the noise
    sd 0.5 and the 50 points; the input range ``U(-1, 1)`` is this package's choice. Returns ``x``
    of shape ``(n, 1)`` and ``y`` of shape ``(n,)``, both float32.

    >>> x, y = langevin_curve(n=4, noise=0.0, seed=0)
    >>> bool(np.allclose(y, langevin_curve_function(x[:, 0]), atol=1e-5))
    True
    """
    n = _check_rows("n", n)
    noise = _check_nonnegative("noise", noise)
    low, high = _check_range(low, high)
    rng = _rng(seed)
    x = rng.uniform(low, high, size=(n, 1))
    y = langevin_curve_function(x[:, 0]) + noise * rng.standard_normal(n)
    return x.astype(np.float32), y.astype(np.float32)


def heteroscedastic_mean(x: Any) -> np.ndarray:
    """The mean of :func:`heteroscedastic`: ``sin(x)``, elementwise.

    >>> heteroscedastic_mean(np.array([0.0, np.pi / 2]))
    array([0., 1.])
    """
    return np.sin(_as_float_array("x", x))


def heteroscedastic_noise(x: Any, *, noise_base: float = 0.1, noise_slope: float = 0.2) -> np.ndarray:
    """The noise sd of :func:`heteroscedastic`: ``noise_base + noise_slope * |x|``, elementwise.

    >>> heteroscedastic_noise(np.array([-2.0, 0.0, 3.0]))
    array([0.5, 0.1, 0.7])
    """
    noise_base = _check_nonnegative("noise_base", noise_base)
    noise_slope = _check_nonnegative("noise_slope", noise_slope)
    return noise_base + noise_slope * np.abs(_as_float_array("x", x))


def heteroscedastic(
    n: int = 200,
    *,
    gap: tuple[float, float] | None = (-0.5, 0.5),
    low: float = -3.0,
    high: float = 3.0,
    noise_base: float = 0.1,
    noise_slope: float = 0.2,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """A 1-D regression whose noise grows with ``|x|``, with a hole in the inputs.

    ``x`` is uniform on ``[low, high]`` minus the open interval ``gap = (start, end)`` (``None``:
    no gap), so all ``n`` points lie outside it and a model's behaviour inside it is extrapolation;
    ``y = sin(x) + N(0, sd(x)^2)`` with ``sd(x) = noise_base + noise_slope * |x|`` (see
    :func:`heteroscedastic_mean` and :func:`heteroscedastic_noise`). The gap must lie strictly
    inside ``(low, high)``. Returns ``x`` of shape ``(n, 1)`` and ``y`` of shape ``(n,)``, both
    float32, in random order.

    >>> x, y = heteroscedastic(n=100, gap=(-1.0, 1.0), seed=0)
    >>> x.shape, bool(np.all(np.abs(x) >= 1.0)), bool(np.all(np.abs(x) <= 3.0))
    ((100, 1), True, True)
    """
    n = _check_rows("n", n)
    low, high = _check_range(low, high)
    holes = _check_gap(gap, low, high)
    noise_base = _check_nonnegative("noise_base", noise_base)
    noise_slope = _check_nonnegative("noise_slope", noise_slope)
    rng = _rng(seed)
    if holes is None:
        x = rng.uniform(low, high, size=n)
    else:
        # Uniform on [low, start) U [end, high): draw along the joined length, then skip the gap.
        start, end = holes
        left = start - low
        u = rng.uniform(0.0, left + (high - end), size=n)
        x = np.where(u < left, low + u, end + (u - left))
    sd = heteroscedastic_noise(x, noise_base=noise_base, noise_slope=noise_slope)
    y = heteroscedastic_mean(x) + sd * rng.standard_normal(n)
    return x[:, None].astype(np.float32), y.astype(np.float32)
