"""Predictive metrics: hand-worked cases, reference formulas, seeded calibration checks, exact errors."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from scipy.stats import norm

from bnnppl.results.metrics import (
    DEFAULT_LEVELS,
    accuracy,
    brier,
    coverage_curve,
    crps,
    expected_calibration_error,
    gaussian_log_likelihood,
    interval_coverage,
    interval_width,
    log_likelihood,
    mae,
    pointwise_log_likelihood,
    reliability,
    rmse,
)

NAN, INF = float("nan"), float("inf")


def raises(kind, message):
    """``pytest.raises`` matching the whole message, not a fragment of it."""
    return pytest.raises(kind, match=f"^{re.escape(message)}$")


# ------------------------------------------------------------------------------------ rmse, mae


def test_rmse_and_mae_by_hand():
    y, mean = [1.0, 2.0, 3.0], [2.0, 2.0, 5.0]
    # errors -1, 0, -2: squares 1, 0, 4 -> mean 5/3 -> rmse sqrt(5/3); |errors| 1, 0, 2 -> mae 1
    assert rmse(y, mean) == pytest.approx(math.sqrt(5 / 3), abs=1e-12)
    assert mae(y, mean) == pytest.approx(1.0, abs=1e-12)
    assert isinstance(rmse(y, mean), float) and isinstance(mae(y, mean), float)


def test_rmse_accepts_integer_and_bool_arrays():
    # unsigned ints must not wrap around: |0 - 3| = 3
    assert mae(np.array([0], dtype=np.uint8), np.array([3], dtype=np.uint8)) == 3.0
    assert rmse([True, False], [0, 0]) == pytest.approx(math.sqrt(0.5))


# --------------------------------------------------------------------------------- log-likelihood


def test_pointwise_log_likelihood_by_hand():
    # point 0: draws give p = 0.1 and 0.3 -> mixture 0.2; point 1: 0.5 and 0.5 -> 0.5
    log_lik = np.log([[0.1, 0.5], [0.3, 0.5]])
    np.testing.assert_allclose(pointwise_log_likelihood(log_lik), np.log([0.2, 0.5]), atol=1e-12)
    assert log_likelihood(log_lik) == pytest.approx((math.log(0.2) + math.log(0.5)) / 2, abs=1e-12)


def test_log_likelihood_matches_direct_log_mean_exp_on_small_values():
    log_lik = np.random.default_rng(0).normal(-1.0, 0.5, size=(30, 7))
    direct = np.log(np.mean(np.exp(log_lik), axis=0))
    np.testing.assert_allclose(pointwise_log_likelihood(log_lik), direct, atol=1e-12)
    assert log_likelihood(log_lik) == pytest.approx(direct.mean(), abs=1e-12)


def test_log_likelihood_is_stable_near_minus_1000():
    log_lik = -1000.0 + np.log([[0.1, 0.5], [0.3, 0.5]])
    with np.errstate(divide="ignore"):
        assert np.isneginf(np.log(np.mean(np.exp(log_lik), axis=0))).all()  # the naive form underflows
    out = pointwise_log_likelihood(log_lik)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, -1000.0 + np.log([0.2, 0.5]), atol=1e-10)


def test_log_likelihood_allows_minus_inf_for_a_zero_likelihood_draw():
    # point 0: p = 0 and 0.5 -> 0.25; point 1: both 1 -> 1
    log_lik = [[-INF, 0.0], [math.log(0.5), 0.0]]
    np.testing.assert_allclose(pointwise_log_likelihood(log_lik), [math.log(0.25), 0.0], atol=1e-12)


def test_gaussian_log_likelihood_two_draw_mixture_by_hand():
    # y = 0.5; draw 0: N(0, 1) -> phi(0.5) = 0.3520653; draw 1: N(1, 2^2) -> phi(-0.25) / 2 = 0.1933341
    # mixture 0.5 * (0.3520653 + 0.1933341) = 0.2726997, log = -1.299418
    got = gaussian_log_likelihood([0.5], [[0.0], [1.0]], [1.0, 2.0])
    by_scipy = math.log(0.5 * norm.pdf(0.5, 0.0, 1.0) + 0.5 * norm.pdf(0.5, 1.0, 2.0))
    assert got == pytest.approx(by_scipy, abs=1e-12)
    assert got == pytest.approx(math.log(0.2726997), abs=1e-6)


def test_gaussian_log_likelihood_per_point_sigmas_and_many_points():
    rng = np.random.default_rng(1)
    y, means, sigmas = rng.normal(size=4), rng.normal(size=(3, 4)), rng.uniform(0.5, 2.0, size=(3, 4))
    expected = np.mean(np.log(np.mean(norm.pdf(y, means, sigmas), axis=0)))
    assert gaussian_log_likelihood(y, means, sigmas) == pytest.approx(expected, abs=1e-12)
    # sigmas of shape (draws,) are one scale per draw, the same as repeating it over points
    per_draw = sigmas[:, 0]
    assert gaussian_log_likelihood(y, means, per_draw) == pytest.approx(
        gaussian_log_likelihood(y, means, np.repeat(per_draw[:, None], 4, axis=1)), abs=1e-12
    )


def test_gaussian_log_likelihood_y_scale_shift_gives_original_units():
    rng = np.random.default_rng(2)
    y, means, sigmas = rng.normal(size=5), rng.normal(size=(4, 5)), rng.uniform(0.5, 1.5, size=4)
    standard = gaussian_log_likelihood(y, means, sigmas)
    scaled = gaussian_log_likelihood(y, means, sigmas, y_scale=2.5)
    assert scaled == pytest.approx(standard - math.log(2.5), abs=1e-12)
    # the same numbers computed in original units: y_orig = 10 + 2.5 y, sigma_orig = 2.5 sigma
    original = gaussian_log_likelihood(10 + 2.5 * y, 10 + 2.5 * means, 2.5 * sigmas)
    assert scaled == pytest.approx(original, abs=1e-10)


# -------------------------------------------------------------------------------- classification


def test_accuracy_by_hand():
    # predictions argmax: 0, 2, 1 against labels 0, 1, 1 -> 2 of 3 right
    probs = [[0.6, 0.3, 0.1], [0.1, 0.4, 0.5], [0.2, 0.7, 0.1]]
    assert accuracy([0, 1, 1], probs) == pytest.approx(2 / 3)
    # binary P(y=1): predictions 1, 0, 0 (0.5 ties to class 0) against 1, 0, 1 -> 2 of 3
    assert accuracy([1, 0, 1], [0.9, 0.2, 0.5]) == pytest.approx(2 / 3)
    assert accuracy([True, False], [0.7, 0.1]) == 1.0  # bool labels are 0/1


def test_brier_multiclass_by_hand():
    # row 0, label 0: (0.7-1)^2 + 0.2^2 + 0.1^2 = 0.09 + 0.04 + 0.01 = 0.14
    # row 1, label 2: 0.2^2 + 0.3^2 + (0.5-1)^2 = 0.04 + 0.09 + 0.25 = 0.38; mean 0.26
    assert brier([0, 2], [[0.7, 0.2, 0.1], [0.2, 0.3, 0.5]]) == pytest.approx(0.26, abs=1e-12)


def test_brier_binary_is_the_two_class_score():
    y, p = np.array([1, 0, 1]), np.array([0.9, 0.4, 0.5])
    # (p - y)^2 = 0.01, 0.16, 0.25 -> mean 0.14; the two-class one-hot score doubles it: 0.28
    assert brier(y, p) == pytest.approx(0.28, abs=1e-12)
    assert brier(y, p) == pytest.approx(2 * np.mean((p - y) ** 2), abs=1e-12)
    assert brier(y, p) == pytest.approx(brier(y, np.stack([1 - p, p], axis=1)), abs=1e-12)


def test_perfect_and_worst_predictions():
    assert brier([0, 1], [[1.0, 0.0], [0.0, 1.0]]) == 0.0
    assert brier([0, 1], [[0.0, 1.0], [1.0, 0.0]]) == 2.0
    assert expected_calibration_error([0, 1], [[1.0, 0.0], [0.0, 1.0]]) == 0.0


ECE_Y = [0, 1, 2, 2]
ECE_PROBS = [[0.8, 0.1, 0.1], [0.3, 0.6, 0.1], [0.5, 0.25, 0.25], [0.1, 0.2, 0.7]]


def test_reliability_and_ece_by_hand():
    # top labels 0, 1, 0, 2 with confidences 0.8, 0.6, 0.5, 0.7; right, right, wrong, right.
    # bins=2: (0, 0.5] holds 0.5 (the right edge belongs to the bin): conf 0.5, acc 0;
    # (0.5, 1] holds 0.8, 0.6, 0.7: conf 0.7, acc 1. ECE = 1/4 * 0.5 + 3/4 * 0.3 = 0.35
    r = reliability(ECE_Y, ECE_PROBS, bins=2)
    np.testing.assert_allclose(r.bin_lower, [0.0, 0.5])
    np.testing.assert_allclose(r.bin_upper, [0.5, 1.0])
    np.testing.assert_allclose(r.confidence, [0.5, 0.7], atol=1e-12)
    np.testing.assert_allclose(r.accuracy, [0.0, 1.0])
    assert r.count.tolist() == [1, 3]
    assert expected_calibration_error(ECE_Y, ECE_PROBS, bins=2) == pytest.approx(0.35, abs=1e-12)
    # one bin: |accuracy 3/4 - mean confidence 2.6/4| = 0.1
    assert expected_calibration_error(ECE_Y, ECE_PROBS, bins=1) == pytest.approx(0.1, abs=1e-12)


def test_reliability_empty_bins_are_nan_and_binary_uses_top_label():
    # binary P(y=1) 0.9, 0.2 -> confidences 0.9, 0.8 (both right); 10 bins: bins 7 and 8 are used
    r = reliability([1, 0], [0.9, 0.2])
    assert r.count.tolist() == [0, 0, 0, 0, 0, 0, 0, 1, 1, 0]
    assert np.isnan(r.confidence[[0, 1, 2, 3, 4, 5, 6, 9]]).all()
    np.testing.assert_allclose(r.confidence[[7, 8]], [0.8, 0.9])
    # ECE = 1/2 * |1 - 0.8| + 1/2 * |1 - 0.9| = 0.15
    assert expected_calibration_error([1, 0], [0.9, 0.2]) == pytest.approx(0.15, abs=1e-12)


def _calibrated(seed, n=20_000, k=3):
    """Probabilities from a flat Dirichlet and labels drawn from them: calibrated by construction."""
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.ones(k), size=n)
    y = (rng.random(n)[:, None] > np.cumsum(probs, axis=1)).sum(axis=1)
    return y, probs


def test_ece_small_for_calibrated_and_large_for_over_confident_data():
    y, probs = _calibrated(seed=0)
    # sampling noise alone: about 2000 points per bin, so |acc - conf| ~ 0.01 per bin
    assert expected_calibration_error(y, probs) < 0.02
    sharp = probs**4 / np.sum(probs**4, axis=1, keepdims=True)  # same argmax, higher confidence
    assert expected_calibration_error(y, sharp) > 0.15  # about 0.25 with this seed
    r = reliability(y, sharp)
    full = r.count > 0
    assert (r.confidence[full] >= r.accuracy[full] - 0.02).all()  # over-confident in every bin


# ----------------------------------------------------------------------------- intervals, coverage


def test_interval_coverage_and_width_by_hand():
    # 0 in [-1, 1] yes; 1 in [1, 2] yes (ends count); 5 in [0, 4] no; 2 in [3, 4] no -> 2/4
    y, lower, upper = [0.0, 1.0, 5.0, 2.0], [-1.0, 1.0, 0.0, 3.0], [1.0, 2.0, 4.0, 4.0]
    assert interval_coverage(y, lower, upper) == 0.5
    # widths 2, 1, 4, 1 -> 2
    assert interval_width(lower, upper) == 2.0


def test_coverage_curve_of_the_true_predictive_is_close_to_nominal():
    rng = np.random.default_rng(0)
    mu = rng.normal(size=4000)
    y = rng.normal(mu, 1.0)
    curve = coverage_curve(y, rng.normal(mu, 1.0, size=(1000, 4000)))
    np.testing.assert_allclose(curve.level, DEFAULT_LEVELS)
    # binomial noise over 4000 points is at most 0.008 (1 sd); allow 0.03
    np.testing.assert_allclose(curve.coverage, curve.level, atol=0.03)
    # a predictive twice too wide over-covers at every level below 0.99
    wide = coverage_curve(y, rng.normal(mu, 2.0, size=(1000, 4000)), levels=[0.2, 0.5, 0.8])
    assert (wide.coverage > wide.level + 0.1).all()


def test_coverage_curve_by_hand():
    # draws 0..100 (101 of them): the 50% interval is the 25% to 75% quantile, [25, 75]
    samples = np.arange(101.0)[:, None] * np.ones(3)
    curve = coverage_curve([25.0, 80.0, 50.0], samples, levels=[0.5, 0.6])
    # 0.6: [20, 80] holds all three; 0.5: [25, 75] holds 25 and 50, not 80
    np.testing.assert_allclose(curve.coverage, [2 / 3, 1.0])


# ------------------------------------------------------------------------------------------ crps


def _crps_gaussian(y, mu, s):
    z = (y - mu) / s
    return s * (z * (2 * norm.cdf(z) - 1) + 2 * norm.pdf(z) - 1 / math.sqrt(math.pi))


def _crps_brute(y, samples):
    """The fair energy form with an explicit O(S^2) double sum."""
    s = samples.shape[0]
    first = np.mean(np.abs(samples - y), axis=0)
    pairs = np.abs(samples[:, None, :] - samples[None, :, :]).sum(axis=(0, 1)) / (s * (s - 1))
    return float(np.mean(first - 0.5 * pairs))


def test_crps_matches_the_gaussian_closed_form():
    rng = np.random.default_rng(0)
    mu, s = 0.3, 1.7
    y = np.array([-2.0, 0.0, 0.3, 1.0, 4.0])
    exact = float(np.mean(_crps_gaussian(y, mu, s)))  # about 1.113
    # Monte Carlo sd of the mean over 5 points with 20 000 draws is about 0.003; allow 0.015
    assert crps(y, rng.normal(mu, s, size=(20_000, 5))) == pytest.approx(exact, abs=0.015)


def test_crps_sorted_form_equals_brute_force():
    samples = np.random.default_rng(3).normal(size=(7, 4))
    y = np.array([0.1, -1.0, 2.0, 0.0])
    assert crps(y, samples) == pytest.approx(_crps_brute(y, samples), abs=1e-10)
    samples[2:4] = 0.5  # ties sort fine too
    assert crps(y, samples) == pytest.approx(_crps_brute(y, samples), abs=1e-10)


def test_crps_by_hand():
    # draws -1, 1 at y = 0: E|X - y| = 1; fair E|X - X'| = (2 + 2) / (2 * 1) = 2; 1 - 1 = 0
    assert crps([0.0], [[-1.0], [1.0]]) == pytest.approx(0.0, abs=1e-12)
    # draws 0, 1, 2 at y = 2: E|X - y| = (2 + 1 + 0)/3 = 1; pairs 1, 2, 1 twice = 8 / 6 -> 1 - 2/3 = 1/3
    assert crps([2.0], [[0.0], [1.0], [2.0]]) == pytest.approx(1 / 3, abs=1e-12)
    # a point mass is scored as its absolute error
    assert crps([1.0, 4.0], np.full((5, 2), 2.0)) == pytest.approx((1 + 2) / 2, abs=1e-12)


# ---------------------------------------------------------------------------------------- errors

Y3 = [0.0, 1.0, 2.0]
P2 = [[0.5, 0.5], [0.2, 0.8], [1.0, 0.0]]
V = "NaN or infinite value(s)"

# fmt: off
ERRORS = {
    # vectors
    "rmse-y-2d": (rmse, (np.zeros((3, 1)), Y3), {}, ValueError,
                  "y: must be 1-D with shape (n,), got shape (3, 1)."),
    "rmse-shapes": (rmse, (Y3, [1.0, 2.0]), {}, ValueError,
                    "mean: has shape (2,) but y has shape (3,); expected (3,)."),
    "rmse-nan": (rmse, ([1.0, NAN, 3.0], Y3), {}, ValueError, f"y: contains 1 {V} (first at row 1)."),
    "mae-inf": (mae, (Y3, [1.0, 2.0, INF]), {}, ValueError, f"mean: contains 1 {V} (first at row 2)."),
    "mae-empty": (mae, ([], []), {}, ValueError, "y: must not be empty, got shape (0,)."),
    "rmse-strings": (rmse, (["a"], [1.0]), {}, TypeError, "y: must be a numeric array, got dtype <U1."),
    "mae-complex": (mae, (Y3, np.array([1j, 1, 1])), {}, TypeError,
                    "mean: must be a numeric array, got dtype complex128."),
    # log-likelihood
    "ll-1d": (log_likelihood, ([0.0, 1.0],), {}, ValueError,
              "log_lik: must be 2-D with shape (draws, n), got shape (2,)."),
    "ll-nan": (log_likelihood, ([[0.0, NAN], [0.0, 0.0]],), {}, ValueError,
               "log_lik: contains 1 NaN or +inf value(s) (first at draw 0, row 1)."),
    "pll-plus-inf": (pointwise_log_likelihood, ([[0.0, 0.0], [INF, NAN]],), {}, ValueError,
                     "log_lik: contains 2 NaN or +inf value(s) (first at draw 1, row 0)."),
    "pll-empty": (pointwise_log_likelihood, (np.zeros((0, 3)),), {}, ValueError,
                  "log_lik: must not be empty, got shape (0, 3)."),
    "gll-means-shape": (gaussian_log_likelihood, (Y3, np.zeros((2, 4)), [1.0, 1.0]), {}, ValueError,
                        "means: has shape (2, 4) but y has shape (3,); expected (draws, 3)."),
    "gll-means-nan": (gaussian_log_likelihood, (Y3, [[0.0] * 3, [NAN, 0.0, 0.0]], [1.0, 1.0]), {}, ValueError,
                      f"means: contains 1 {V} (first at draw 1, row 0)."),
    "gll-sigmas-0d": (gaussian_log_likelihood, (Y3, np.zeros((2, 3)), 1.0), {}, ValueError,
                      "sigmas: must be 1-D with shape (draws,) or 2-D with shape (draws, n), got shape ()."),
    "gll-sigmas-shape": (gaussian_log_likelihood, (Y3, np.zeros((2, 3)), [1.0, 1.0, 1.0]), {}, ValueError,
                         "sigmas: has shape (3,) but means has shape (2, 3); expected (2,) or (2, 3)."),
    "gll-sigmas-2d-shape": (gaussian_log_likelihood, (Y3, np.zeros((2, 3)), np.ones((3, 2))), {}, ValueError,
                            "sigmas: has shape (3, 2) but means has shape (2, 3); expected (2,) or (2, 3)."),
    "gll-sigma-zero": (gaussian_log_likelihood, (Y3, np.zeros((2, 3)), [1, 0]), {}, ValueError,
                       "sigmas: must be > 0, got 0 at draw 1."),
    "gll-sigma-negative-2d": (gaussian_log_likelihood, (Y3, np.zeros((2, 3)), [[1.0] * 3, [1.0, 1.0, -1.0]]),
                              {}, ValueError, "sigmas: must be > 0, got -1.0 at draw 1, row 2."),
    "gll-y-scale-zero": (gaussian_log_likelihood, (Y3, np.zeros((2, 3)), [1.0, 1.0]), {"y_scale": 0},
                         ValueError, "y_scale: must be > 0, got 0."),
    "gll-y-scale-nan": (gaussian_log_likelihood, (Y3, np.zeros((2, 3)), [1.0, 1.0]), {"y_scale": NAN},
                        ValueError, "y_scale: must be finite, got nan."),
    "gll-y-scale-str": (gaussian_log_likelihood, (Y3, np.zeros((2, 3)), [1.0, 1.0]), {"y_scale": "2"},
                        TypeError, "y_scale: must be a number, got '2'."),
    # classification
    "probs-row-sum": (accuracy, ([0, 0, 0, 0], [[1.0, 0.0], [0.5, 0.5], [0.2, 0.8], [0.5, 0.4]]), {},
                      ValueError, "probs: rows must sum to 1 (within 1e-4); row 3 sums to 0.9."),
    "probs-row-sum-just-out": (brier, ([0, 0], [[0.5, 0.5], [0.5, 0.5002]]), {}, ValueError,
                               "probs: rows must sum to 1 (within 1e-4); row 1 sums to 1.0002."),
    "probs-above-1": (brier, ([0, 1], [[1.2, -0.2], [0.5, 0.5]]), {}, ValueError,
                      "probs: must be probabilities in [0, 1], got 1.2 at row 0, class 0."),
    "probs-binary-negative": (accuracy, ([0, 1], [0.5, -0.1]), {}, ValueError,
                              "probs: must be probabilities in [0, 1], got -0.1 at row 1."),
    "probs-nan": (accuracy, ([0, 1], [[0.5, 0.5], [NAN, 0.5]]), {}, ValueError,
                  f"probs: contains 1 {V} (first at row 1, class 0)."),
    "probs-3d": (accuracy, ([0, 1], np.full((2, 2, 2), 0.5)), {}, ValueError,
                 "probs: must be 1-D with shape (n,) or 2-D with shape (n, K), got shape (2, 2, 2)."),
    "probs-one-column": (brier, ([0, 0], [[1.0], [1.0]]), {}, ValueError,
                         "probs: needs at least 2 columns (classes), got shape (2, 1); "
                         "for binary labels pass P(y=1) with shape (n,)."),
    "probs-rows": (accuracy, ([0, 1, 1], P2[:2]), {}, ValueError,
                   "probs: has shape (2, 2) but y has shape (3,); expected (3, K)."),
    "probs-binary-rows": (brier, ([0, 1, 1], [0.5, 0.5]), {}, ValueError,
                          "probs: has shape (2,) but y has shape (3,); expected (3,)."),
    "label-too-big": (accuracy, ([0, 3], [[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]), {}, ValueError,
                      "y: labels must be integers in 0..2 (classes=3), got 3 at row 1."),
    "label-negative": (brier, ([0, -1, 1], P2), {}, ValueError,
                       "y: labels must be integers in 0..1 (classes=2), got -1 at row 1."),
    "label-fraction": (expected_calibration_error, ([0.0, 0.5], [0.2, 0.7]), {}, ValueError,
                       "y: labels must be integers in 0..1 (classes=2), got 0.5 at row 1."),
    "labels-2d": (accuracy, ([[0, 1]], [0.2, 0.7]), {}, ValueError,
                  "y: must be 1-D with shape (n,), got shape (1, 2)."),
    "labels-nan": (reliability, ([0.0, NAN], [0.2, 0.7]), {}, ValueError, f"y: contains 1 {V} (first at row 1)."),
    "bins-zero": (expected_calibration_error, ([0, 1], [0.2, 0.7]), {"bins": 0}, ValueError,
                  "bins: must be >= 1, got 0."),
    "bins-negative": (reliability, ([0, 1], [0.2, 0.7]), {"bins": -3}, ValueError,
                      "bins: must be >= 1, got -3."),
    "bins-float": (reliability, ([0, 1], [0.2, 0.7]), {"bins": 2.5}, TypeError,
                   "bins: must be an integer, got 2.5."),
    # intervals
    "lower-above-upper": (interval_coverage, ([0, 0], [0, 2], [1, 1]), {}, ValueError,
                          "lower: must be <= upper, got 2 > 1 at row 1."),
    "width-lower-above-upper": (interval_width, ([0.0, 1.5], [1.0, 1.0]), {}, ValueError,
                                "lower: must be <= upper, got 1.5 > 1.0 at row 1."),
    "width-shapes": (interval_width, ([0.0, 1.0], [1.0, 1.0, 1.0]), {}, ValueError,
                     "upper: has shape (3,) but lower has shape (2,); expected (2,)."),
    "coverage-lower-shape": (interval_coverage, (Y3, [0.0, 0.0], [1.0, 1.0]), {}, ValueError,
                             "lower: has shape (2,) but y has shape (3,); expected (3,)."),
    "coverage-upper-nan": (interval_coverage, (Y3, Y3, [1.0, NAN, 3.0]), {}, ValueError,
                           f"upper: contains 1 {V} (first at row 1)."),
    # sample-based
    "samples-1d": (coverage_curve, (Y3, np.zeros(10)), {}, ValueError,
                   "y_samples: must be 2-D with shape (draws, n), got shape (10,)."),
    "samples-shape": (crps, (Y3, np.zeros((10, 2))), {}, ValueError,
                      "y_samples: has shape (10, 2) but y has shape (3,); expected (draws, 3)."),
    "samples-inf": (crps, ([0.0], [[0.0], [-INF]]), {}, ValueError,
                    f"y_samples: contains 1 {V} (first at draw 1, row 0)."),
    "crps-one-draw": (crps, (Y3, np.zeros((1, 3))), {}, ValueError,
                      "y_samples: the fair CRPS needs at least 2 draws, got shape (1, 3)."),
    "level-one": (coverage_curve, (Y3, np.zeros((5, 3))), {"levels": [0.5, 1.0]}, ValueError,
                  "levels: each level must be in (0, 1), got 1.0 at index 1."),
    "level-zero": (coverage_curve, (Y3, np.zeros((5, 3))), {"levels": [0, 0.5]}, ValueError,
                   "levels: each level must be in (0, 1), got 0.0 at index 0."),
    "level-nan": (coverage_curve, (Y3, np.zeros((5, 3))), {"levels": [0.5, NAN]}, ValueError,
                  f"levels: contains 1 {V} (first at index 1)."),
    "levels-empty": (coverage_curve, (Y3, np.zeros((5, 3))), {"levels": []}, ValueError,
                     "levels: must not be empty, got shape (0,)."),
    "levels-scalar": (coverage_curve, (Y3, np.zeros((5, 3))), {"levels": 0.9}, ValueError,
                      "levels: must be 1-D with shape (levels,), got shape ()."),
}
# fmt: on


@pytest.mark.parametrize("fn, args, kwargs, kind, message", ERRORS.values(), ids=ERRORS.keys())
def test_bad_input_is_refused_with_its_exact_message(fn, args, kwargs, kind, message):
    with raises(kind, message):
        fn(*args, **kwargs)


def test_row_sums_within_tolerance_are_accepted():
    # 1 + 5e-5 is within 1e-4 of 1
    assert accuracy([1, 0], [[0.5, 0.50005], [0.9, 0.1]]) == 1.0


def test_errors_name_the_argument_as_in_the_signature():
    with pytest.raises(ValueError) as info:
        brier([0, 1], [[0.5, 0.5], [0.7, 0.7]])
    assert info.value.field == "probs"
    assert info.value.problem == "rows must sum to 1 (within 1e-4); row 1 sums to 1.4."
