"""Predictive metrics: error, test log-likelihood, calibration and proper scores, in plain NumPy.

Every function takes plain arrays (NumPy, JAX, lists), checks them before computing and returns a
Python float, or a NamedTuple of arrays for a plot. Shapes: ``n`` test points, ``draws`` posterior
draws, ``K`` classes. Errors name the argument, quote the bad value and say what is allowed:
``ValueError: probs: rows must sum to 1 (within 1e-4); row 3 sums to 0.9.``

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> y_samples = rng.normal(size=(4000, 3))  # draws from the predictive N(0, 1)
>>> abs(crps(np.zeros(3), y_samples) - 0.2337) < 0.02  # exact: (sqrt(2) - 1) / sqrt(pi)
True
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy.special import logsumexp

from bnnppl._checks import check_count, check_number, spec_error
from bnnppl.results._metric_inputs import (
    PROB_TOL,
    _array,
    _mismatch,
    _probs,
    _require,
    _samples,
    _vectors,
)

__all__ = [
    "DEFAULT_LEVELS",
    "PROB_TOL",
    "CoverageCurve",
    "Reliability",
    "accuracy",
    "brier",
    "coverage_curve",
    "crps",
    "expected_calibration_error",
    "gaussian_log_likelihood",
    "interval_coverage",
    "interval_width",
    "log_likelihood",
    "mae",
    "pointwise_log_likelihood",
    "reliability",
    "rmse",
]

DEFAULT_LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
"""How far a row of class probabilities may sum from 1."""


class Reliability(NamedTuple):
    """Per confidence bin ``(bin_lower, bin_upper]``: the points' mean top-label probability
    (``confidence``), the fraction whose top label is right (``accuracy``; both NaN when the bin is
    empty) and their ``count``: the data of a reliability diagram."""

    bin_lower: np.ndarray
    bin_upper: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray
    count: np.ndarray


class CoverageCurve(NamedTuple):
    """Nominal level of each central predictive interval and the fraction of targets inside it."""

    level: np.ndarray
    coverage: np.ndarray


def rmse(y: npt.ArrayLike, mean: npt.ArrayLike) -> float:
    """Root mean squared error of the predictive ``mean`` (shape ``(n,)``) at targets ``y`` (``(n,)``).

    >>> rmse([0.0, 0.0], [3.0, 4.0])  # sqrt((9 + 16) / 2)
    3.5355339059327378
    """
    y, mean = _vectors(y=y, mean=mean)
    return float(np.sqrt(np.mean((y - mean) ** 2)))


def mae(y: npt.ArrayLike, mean: npt.ArrayLike) -> float:
    """Mean absolute error of the predictive ``mean`` (shape ``(n,)``) at targets ``y`` (``(n,)``).

    >>> mae([1.0, 2.0], [2.0, 0.0])
    1.5
    """
    y, mean = _vectors(y=y, mean=mean)
    return float(np.mean(np.abs(y - mean)))


def pointwise_log_likelihood(log_lik: npt.ArrayLike) -> np.ndarray:
    """``log(1/S sum_s exp(log_lik[s, i]))`` per point: the log predictive density, shape ``(n,)``.

    ``log_lik[s, i] = log p(y_i | draw s)``, shape ``(draws, n)``; ``-inf`` (zero likelihood) is
    allowed. Computed with ``logsumexp``, so values near -1000 do not underflow.

    >>> pointwise_log_likelihood(np.log([[0.2, 1.0], [0.6, 1.0]])).round(4).tolist()  # log 0.4, log 1
    [-0.9163, 0.0]
    """
    arr = _array("log_lik", log_lik, ("draws", "n"), neg_inf=True).astype(np.float64)
    return logsumexp(arr, axis=0) - np.log(arr.shape[0])


def log_likelihood(log_lik: npt.ArrayLike) -> float:
    """Test log-likelihood as UCI papers report it: the mean over points of ``pointwise_log_likelihood``.

    >>> round(log_likelihood(np.log([[0.2, 1.0], [0.6, 1.0]])), 4)  # (log 0.4 + log 1) / 2
    -0.4581
    """
    return float(np.mean(pointwise_log_likelihood(log_lik)))


def gaussian_log_likelihood(
    y: npt.ArrayLike, means: npt.ArrayLike, sigmas: npt.ArrayLike, *, y_scale: float = 1.0
) -> float:
    """Test log-likelihood of a mixture of Gaussians ``N(means[s, i], sigmas[s(, i)]^2)`` over draws.

    ``y`` has shape ``(n,)``, ``means`` ``(draws, n)``, ``sigmas`` ``(draws,)`` or ``(draws, n)``.
    When the targets were standardised, ``y = (y_orig - loc) / y_scale``, pass ``y``, ``means`` and
    ``sigmas`` in standardised units and ``y_scale``: the result is then in original units (the
    density of ``y_orig`` is that of ``y`` divided by ``y_scale``, so ``log(y_scale)`` is subtracted).

    >>> round(gaussian_log_likelihood([0.0], [[0.0]], [1.0]), 4)  # log N(0 | 0, 1) = -log(2 pi) / 2
    -0.9189
    """
    y_arr = _array("y", y, ("n",)).astype(np.float64)
    mu = _samples("means", means, y_arr)
    sd = _array("sigmas", sigmas, ("draws",), ("draws", "n"))
    if sd.shape != mu.shape[: sd.ndim]:
        raise _mismatch("sigmas", sd, "means", mu, f"({mu.shape[0]},) or {mu.shape}")
    _require("sigmas", sd, sd > 0, ("draws", "n")[: sd.ndim], "must be > 0")
    scale = check_number("y_scale", y_scale, positive=True)
    sd = (sd if sd.ndim == 2 else sd[:, None]).astype(np.float64)
    log_lik = -0.5 * ((y_arr - mu) / sd) ** 2 - np.log(sd) - 0.5 * np.log(2 * np.pi)
    return float(np.mean(logsumexp(log_lik, axis=0) - np.log(mu.shape[0]))) - float(np.log(scale))


def constant_log_likelihood(y_train: npt.ArrayLike, y: npt.ArrayLike, family: str, classes: int = 2) -> float:
    """Mean log-likelihood per point of ``y`` under the best *constant* prediction, fitted to the
    training targets ``y_train``: the floor a model that learned anything from its inputs beats.

    ``family``: ``"gaussian"`` (and other real-valued likelihoods: the training targets' mean and
    sd, per output column, summed over columns), ``"bernoulli"`` (their rate of ones),
    ``"categorical"`` (their class frequencies, ``classes`` of them) or ``"poisson"`` (their
    mean). Frequencies are smoothed by half a count, so that an unseen class is not impossible.

    >>> round(constant_log_likelihood([0.0, 1.0, 2.0], [1.0], "gaussian"), 4)  # N(1 | mean 1, sd 1)
    -0.9189
    >>> round(constant_log_likelihood([0, 1, 1, 1], [1, 0], "bernoulli"), 4)  # p = 3.5 / 5
    -0.7803
    """
    from scipy import stats

    train, test = np.asarray(y_train, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if family == "bernoulli":
        p = (train.sum() + 0.5) / (train.size + 1.0)
        return float(np.mean(np.where(test == 1, np.log(p), np.log1p(-p))))
    if family == "categorical":
        counts = np.bincount(train.astype(np.int64).ravel(), minlength=classes)[:classes] + 0.5
        return float(np.mean(np.log(counts / counts.sum())[test.astype(np.int64).ravel()]))
    if family == "poisson":
        return float(np.mean(stats.poisson.logpmf(test, max(train.mean(), 1e-12))))
    train, test = train.reshape(train.shape[0], -1), test.reshape(test.shape[0], -1)
    sd = np.maximum(train.std(axis=0, ddof=1) if train.shape[0] > 1 else np.ones(train.shape[1]), 1e-12)
    return float(np.mean(stats.norm.logpdf(test, train.mean(axis=0), sd).sum(axis=1)))


def interval_coverage(y: npt.ArrayLike, lower: npt.ArrayLike, upper: npt.ArrayLike) -> float:
    """Fraction of targets ``y`` inside ``[lower, upper]`` (ends included); all of shape ``(n,)``.

    >>> interval_coverage([0.0, 1.0, 5.0, 2.0], [-1, 1, 0, 3], [1, 2, 4, 4])
    0.5
    """
    y, lo, hi = _vectors(y=y, lower=lower, upper=upper)
    return float(np.mean((y >= lo) & (y <= hi)))


def interval_width(lower: npt.ArrayLike, upper: npt.ArrayLike) -> float:
    """Mean width ``upper - lower`` of intervals of shape ``(n,)``.

    >>> interval_width([0, 1], [1, 4])
    2.0
    """
    lo, hi = _vectors(lower=lower, upper=upper)
    return float(np.mean(hi - lo))


def coverage_curve(
    y: npt.ArrayLike, y_samples: npt.ArrayLike, levels: npt.ArrayLike = DEFAULT_LEVELS
) -> CoverageCurve:
    """Observed coverage of the central ``level`` intervals of ``y_samples`` (shape ``(draws, n)``).

    The interval of level ``l`` runs from the ``(1 - l)/2`` to the ``(1 + l)/2`` sample quantile
    (``np.quantile``, linear), per point; a calibrated predictive has coverage close to ``level``.

    >>> samples = np.arange(-50.0, 51.0)[:, None] * [1.0, 0.01]  # even on [-50, 50] and [-0.5, 0.5]
    >>> coverage_curve([0.0, 0.3], samples, levels=[0.5]).coverage.tolist()  # 0 in [-25, 25]; 0.3 > 0.25
    [0.5]
    """
    y_arr = _array("y", y, ("n",)).astype(np.float64)
    samples = _samples("y_samples", y_samples, y_arr)
    lv = _array("levels", levels, ("levels",))
    _require("levels", lv, (lv > 0) & (lv < 1), ("levels",), "each level must be in (0, 1)")
    lv = lv.astype(np.float64)
    lower = np.quantile(samples, (1 - lv) / 2, axis=0)  # (levels, n)
    upper = np.quantile(samples, (1 + lv) / 2, axis=0)
    return CoverageCurve(lv, np.mean((y_arr >= lower) & (y_arr <= upper), axis=1))


def crps(y: npt.ArrayLike, y_samples: npt.ArrayLike) -> float:
    """Continuous ranked probability score from samples (lower is better), mean over points.

    Energy form ``E|X - y| - 1/2 E|X - X'|`` with the *fair* (unbiased) estimator of the spread:
    ``E|X - X'| = sum_{i != j} |x_i - x_j| / (S (S - 1))``, unbiased for the CRPS of the
    distribution the ``S`` iid draws come from (needs ``S >= 2``). The pair sum is taken over sorted
    draws, ``2 sum_i (2i - S - 1) x_(i)``, so each point costs O(S log S), not O(S^2).
    ``y`` has shape ``(n,)``, ``y_samples`` ``(draws, n)``.

    >>> crps([0.0], [[-1.0], [1.0]])  # E|X - y| = 1, E|X - X'| = (2 + 2) / 2 = 2
    0.0
    """
    y_arr = _array("y", y, ("n",)).astype(np.float64)
    x = _samples("y_samples", y_samples, y_arr)
    s = x.shape[0]
    if s < 2:
        raise spec_error("y_samples", f"the fair CRPS needs at least 2 draws, got shape {x.shape}.")
    x = np.sort(x, axis=0)
    pair_sum = 2.0 * ((2 * np.arange(1, s + 1) - s - 1) @ x)  # sum_{i,j} |x_i - x_j|, shape (n,)
    return float(np.mean(np.mean(np.abs(x - y_arr), axis=0) - 0.5 * pair_sum / (s * (s - 1))))


def accuracy(y: npt.ArrayLike, probs: npt.ArrayLike) -> float:
    """Fraction of points whose most probable class is the label ``y`` (ints in ``0..K-1``, ``(n,)``).

    ``probs`` has shape ``(n, K)``, or ``(n,)`` holding P(y=1) for binary labels. Ties go to the
    lower class (binary: ``p = 0.5`` predicts 0), as ``argmax`` of ``[1 - p, p]``.

    >>> accuracy([0, 1, 1], [0.2, 0.9, 0.4])
    0.6666666666666666
    """
    labels, p = _probs(y, probs)
    return float(np.mean(np.argmax(p, axis=1) == labels))


def brier(y: npt.ArrayLike, probs: npt.ArrayLike) -> float:
    """Multi-class Brier score: mean over points of ``sum_k (probs[i, k] - onehot(y_i)_k)^2`` (in [0, 2]).

    Binary ``probs`` of shape ``(n,)`` (P(y=1)) are scored as the two classes ``[1 - p, p]``, so the
    result is ``2 * mean((p - y)^2)``: twice the one-column binary Brier score, and equal to the
    multi-class score of the same predictions given as ``(n, 2)``.

    >>> brier([1, 0], [[0.2, 0.8], [0.5, 0.5]])  # (0.04 + 0.04 + 0.25 + 0.25) / 2
    0.29
    >>> brier([1, 0], [0.8, 0.5])
    0.29
    """
    labels, p = _probs(y, probs)
    onehot = np.eye(p.shape[1])[labels]
    return float(np.mean(np.sum((p - onehot) ** 2, axis=1)))


def reliability(y: npt.ArrayLike, probs: npt.ArrayLike, bins: int = 10) -> Reliability:
    """Top-label reliability diagram data over ``bins`` equal-width confidence bins.

    A point's confidence is its largest class probability (binary: ``max(p, 1 - p)``); bins are
    ``(lower, upper]``, the first also holding 0. ``y`` and ``probs`` as in ``accuracy``.

    >>> r = reliability([1, 1, 0, 0], [0.9, 0.8, 0.6, 0.3], bins=4)  # confidences 0.9, 0.8, 0.6, 0.7
    >>> r.count.tolist(), r.confidence.round(4).tolist(), r.accuracy.tolist()
    ([0, 0, 2, 2], [nan, nan, 0.65, 0.85], [nan, nan, 0.5, 1.0])
    """
    labels, p = _probs(y, probs)
    bins = check_count("bins", bins)
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == labels).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, bins - 1)
    count = np.bincount(idx, minlength=bins)

    def per_bin(values: np.ndarray) -> np.ndarray:
        sums = np.bincount(idx, weights=values, minlength=bins)
        return np.divide(sums, count, out=np.full(bins, np.nan), where=count > 0)

    return Reliability(edges[:-1], edges[1:], per_bin(conf), per_bin(correct), count)


def expected_calibration_error(y: npt.ArrayLike, probs: npt.ArrayLike, bins: int = 10) -> float:
    """Top-label ECE: ``sum_b (count_b / n) |accuracy_b - confidence_b|`` over the bins of ``reliability``.

    >>> round(expected_calibration_error([1, 1, 0, 0], [0.9, 0.8, 0.6, 0.3], bins=4), 4)  # see reliability
    0.15
    """
    r = reliability(y, probs, bins)
    full = r.count > 0
    gaps = np.abs(r.accuracy[full] - r.confidence[full])
    return float(np.sum(r.count[full] * gaps) / np.sum(r.count))
