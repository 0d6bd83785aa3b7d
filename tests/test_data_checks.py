"""Checks on user arrays: ``check_x``, ``check_y`` and ``check_targets``, messages and conversions."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bnnppl._data import check_x, check_y
from bnnppl.model.likelihoods import check_targets
from bnnppl.spec import (
    Bernoulli,
    Categorical,
    Gaussian,
    HeteroscedasticGaussian,
    Poisson,
    StudentT,
)

NAN, INF = float("nan"), float("inf")
NON_FINITE = "remove or impute them before fitting."
NAN_ROW = "NaN or infinite value(s) (first at row"
X_SHAPE = "x: must be 2-D with shape (n_points, n_features), got shape"


def raises(kind, message):
    """``pytest.raises`` matching the whole message, not a fragment of it."""
    return pytest.raises(kind, match=f"^{re.escape(message)}$")


# --------------------------------------------------------------------------- x

X_ERRORS = {
    "1-D": (np.arange(3.0), ValueError, f"{X_SHAPE} (3,). For one feature use x.reshape(-1, 1)."),
    "3-D": (np.zeros((2, 3, 4)), ValueError, f"{X_SHAPE} (2, 3, 4)."),
    "0-D": (np.float64(3.0), ValueError, f"{X_SHAPE} ()."),
    "no-points": (np.zeros((0, 3)), ValueError,
                  "x: needs at least one point and one feature, got shape (0, 3)."),
    "no-features": (np.zeros((3, 0)), ValueError,
                    "x: needs at least one point and one feature, got shape (3, 0)."),
    "nan": ([[1.0, 2.0], [NAN, 3.0], [4.0, 5.0]], ValueError,
            f"x: contains 1 NaN or infinite value(s) (first at row 1); {NON_FINITE}"),
    "inf": ([[1.0, 2.0], [3.0, 4.0], [5.0, -INF]], ValueError,
            f"x: contains 1 NaN or infinite value(s) (first at row 2); {NON_FINITE}"),
    "nan-and-inf": ([[1.0, 2.0], [NAN, 3.0], [INF, NAN]], ValueError,
                    f"x: contains 3 NaN or infinite value(s) (first at row 1); {NON_FINITE}"),
    "strings": ([["a", "b"]], TypeError, "x: must be a numeric array, got dtype <U1."),
    "complex": (np.array([[1 + 2j]]), TypeError, "x: must be a numeric array, got dtype complex128."),
    "object": (np.array([[1]], dtype=object), TypeError, "x: must be a numeric array, got dtype object."),
}


@pytest.mark.parametrize("x, kind, message", X_ERRORS.values(), ids=X_ERRORS.keys())
def test_check_x_errors(x, kind, message):
    with raises(kind, message):
        check_x(x)


def test_check_x_ragged_list_is_a_type_error_naming_x():
    with pytest.raises(TypeError, match=r"^x: must be a numeric array, could not convert it \(.+\)\.$"):
        check_x([[1.0, 2.0], [3.0]])


def test_check_x_uses_the_given_name():
    with raises(ValueError, "x_test: must be 2-D with shape (n_points, n_features), got shape (3,). "
                            "For one feature use x_test.reshape(-1, 1)."):
        check_x(np.arange(3.0), name="x_test")


@pytest.mark.parametrize(
    "x",
    [[[1, 2], [3, 4]], np.array([[1, 2], [3, 4]], dtype=np.int64),
     np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)],
    ids=["list", "int64", "float64", "float32"],
)
def test_check_x_returns_float32(x):
    out = check_x(x)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    np.testing.assert_array_equal(out, [[1.0, 2.0], [3.0, 4.0]])


def test_check_x_accepts_bool_features_as_zero_one():
    out = check_x([[True, False], [False, True]])
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[1.0, 0.0], [0.0, 1.0]])


def test_check_x_does_not_change_its_input():
    x = np.array([[1.0, 2.0]])
    check_x(x)
    assert x.dtype == np.float64


# --------------------------------------------------------------------------- y

Y_ERRORS = {
    "column": (np.zeros((3, 1)), 3, "y: must be 1-D with one target per row of x, got shape (3, 1). "
                                    "Pass y.ravel()."),
    "two-columns": (np.zeros((3, 2)), 3, "y: must be 1-D with one target per row of x, got shape (3, 2)."),
    "0-D": (np.float64(1.0), 1, "y: must be 1-D with one target per row of x, got shape ()."),
    "too-few": (np.zeros(3), 4, "y: has 3 rows but x has 4; give one target per row of x."),
    "too-many": (np.zeros(5), 4, "y: has 5 rows but x has 4; give one target per row of x."),
    "nan": ([1.0, NAN, 2.0], 3, f"y: contains 1 NaN or infinite value(s) (first at row 1); {NON_FINITE}"),
    "inf": ([INF, 1.0, -INF], 3, f"y: contains 2 NaN or infinite value(s) (first at row 0); {NON_FINITE}"),
}


@pytest.mark.parametrize("y, n, message", Y_ERRORS.values(), ids=Y_ERRORS.keys())
def test_check_y_errors(y, n, message):
    with raises(ValueError, message):
        check_y(y, n)


def test_check_y_strings_are_a_type_error():
    with raises(TypeError, "y: must be a numeric array, got dtype <U3."):
        check_y(["one", "two"], 2)


def test_check_y_keeps_the_dtype():
    assert check_y([1, 2, 3], 3).dtype.kind == "i"
    assert check_y(np.array([1.0, 2.0]), 2).dtype == np.float64
    assert check_y(np.array([True, False]), 2).dtype == np.int32


def test_check_y_uses_the_given_name():
    with raises(ValueError, "y_test: has 2 rows but x has 3; give one target per row of x."):
        check_y([1.0, 2.0], 3, name="y_test")


# --------------------------------------------------------------------------- targets per likelihood

CAT3 = "y: Categorical labels must be integers in 0..2 (classes=3), got"
POISSON = "y: Poisson counts must be non-negative integers, got"
TARGET_ERRORS = {
    "bernoulli-2": (Bernoulli(), [0, 1, 2], "y: Bernoulli labels must be 0 or 1, got 2 at row 2."),
    "bernoulli-0.5": (Bernoulli(), [0, 0.5, 1], "y: Bernoulli labels must be 0 or 1, got 0.5 at row 1."),
    "bernoulli--1": (Bernoulli(link="probs"), [-1, 0],
                     "y: Bernoulli labels must be 0 or 1, got -1 at row 0."),
    "categorical-3": (Categorical(classes=3), [0, 1, 3], f"{CAT3} 3 at row 2."),
    "categorical--1": (Categorical(classes=3), [0, -1, 2], f"{CAT3} -1 at row 1."),
    "categorical-1.5": (Categorical(classes=3), [0, 1.5, 2], f"{CAT3} 1.5 at row 1."),
    "categorical-first-bad-only": (Categorical(classes=3), [0, 7, -1, 9], f"{CAT3} 7 at row 1."),
    "categorical-2-classes": (Categorical(classes=2), [0, 1, 2],
                              "y: Categorical labels must be integers in 0..1 (classes=2), got 2 at row 2."),
    "poisson--1": (Poisson(), [0, -1, 3], f"{POISSON} -1 at row 1."),
    "poisson-2.5": (Poisson(), [0, 2.5, 3], f"{POISSON} 2.5 at row 1."),
    "gaussian-nan": (Gaussian(), [0.0, NAN], f"y: contains 1 {NAN_ROW} 1); {NON_FINITE}"),
    "bernoulli-nan": (Bernoulli(), [NAN, 1], f"y: contains 1 {NAN_ROW} 0); {NON_FINITE}"),
    "gaussian-column": (Gaussian(), [[0.0], [1.0]], "y: must be 1-D with one target per row of x, got shape "
                                                    "(2, 1). Pass y.ravel()."),
}


@pytest.mark.parametrize("spec, y, message", TARGET_ERRORS.values(), ids=TARGET_ERRORS.keys())
def test_check_targets_errors(spec, y, message):
    with raises(ValueError, message):
        check_targets(spec, y, len(y))


def test_check_targets_checks_the_row_count():
    with raises(ValueError, "y: has 2 rows but x has 3; give one target per row of x."):
        check_targets(Categorical(classes=3), [0, 1], 3)


def test_check_targets_uses_the_given_name():
    with raises(ValueError, "y_val: Bernoulli labels must be 0 or 1, got 3 at row 0."):
        check_targets(Bernoulli(), [3, 0], 2, name="y_val")


GOOD = {
    "gaussian-list": (Gaussian(), [0, 2, 3], np.float32, [0.0, 2.0, 3.0]),
    "gaussian-float64": (Gaussian(noise=0.1), np.array([0.5, -2.0]), np.float32, [0.5, -2.0]),
    "heteroscedastic": (HeteroscedasticGaussian(), [1.5, -1.0], np.float32, [1.5, -1.0]),
    "student_t": (StudentT(df=3), [1.5, -1.0], np.float32, [1.5, -1.0]),
    "bernoulli-bool": (Bernoulli(), [True, False, True], np.float32, [1.0, 0.0, 1.0]),
    "bernoulli-float": (Bernoulli(link="probs"), [1.0, 0.0], np.float32, [1.0, 0.0]),
    "bernoulli-int64": (Bernoulli(), np.array([0, 1], dtype=np.int64), np.float32, [0.0, 1.0]),
    "categorical-list": (Categorical(classes=3), [0, 1, 2, 2], np.int32, [0, 1, 2, 2]),
    "categorical-float": (Categorical(classes=3), np.array([2.0, 0.0]), np.int32, [2, 0]),
    "categorical-int64": (Categorical(classes=4), np.array([3, 0], dtype=np.int64), np.int32, [3, 0]),
    "categorical-bool": (Categorical(classes=2), [True, False], np.int32, [1, 0]),
    "poisson": (Poisson(), [0, 4, 100], np.float32, [0.0, 4.0, 100.0]),
    "poisson-float": (Poisson(), np.array([0.0, 7.0]), np.float32, [0.0, 7.0]),
}


@pytest.mark.parametrize("spec, y, dtype, expected", GOOD.values(), ids=GOOD.keys())
def test_check_targets_converts(spec, y, dtype, expected):
    out = check_targets(spec, y, len(expected))
    assert isinstance(out, np.ndarray) and out.dtype == dtype and out.shape == (len(expected),)
    np.testing.assert_array_equal(out, expected)


# --------------------------------------------------------------------------- known problems


def test_check_x_rejects_values_that_overflow_float32():
    with raises(ValueError, "x: contains 1 value(s) too large for float32 (first at row 1); "
                            "rescale x before fitting."):
        check_x([[1.0], [1e39]])


def test_check_targets_rejects_values_that_overflow_float32():
    with raises(ValueError, "y: contains 1 value(s) too large for float32 (first at row 0); "
                            "rescale y before fitting."):
        check_targets(Gaussian(), [1e39, 0.0], 2)
