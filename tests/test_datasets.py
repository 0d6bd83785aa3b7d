"""Built-in data sets: shapes, dtypes, seeding, the geometry each one promises, the registry, errors."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

from bnnppl.datasets import (
    DATASETS,
    box_clusters,
    heteroscedastic,
    heteroscedastic_mean,
    heteroscedastic_noise,
    langevin_curve,
    langevin_curve_function,
    load,
    parameters,
    sine_regression,
    spiral,
    task,
    two_moons,
)

NAMES = ["box", "heteroscedastic", "langevin_curve", "moons", "sine", "spiral"]
ALLOWED = "Allowed: 'box', 'heteroscedastic', 'langevin_curve', 'moons', 'sine', 'spiral'."


def raises(kind, message):
    """``pytest.raises`` matching the whole message, not a fragment of it."""
    return pytest.raises(kind, match=f"^{re.escape(message)}$")


# --------------------------------------------------------------------------- shapes, dtypes, seeds

SHAPES = {
    # name: (params, x shape, y dtype)
    "sine": ({"n": 40}, (40, 1), np.float32),
    "box": ({"n": 80}, (80, 2), np.int32),
    "moons": ({"n": 101}, (101, 2), np.int32),
    "spiral": ({"n_per_class": 30, "classes": 4}, (120, 2), np.int32),
    "langevin_curve": ({"n": 50}, (50, 1), np.float32),
    "heteroscedastic": ({"n": 200}, (200, 1), np.float32),
}


@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_dtypes(name):
    params, x_shape, y_dtype = SHAPES[name]
    x, y = load(name, **params)
    assert isinstance(x, np.ndarray) and isinstance(y, np.ndarray)
    assert x.shape == x_shape and x.dtype == np.float32
    assert y.shape == (x_shape[0],) and y.dtype == y_dtype
    assert np.all(np.isfinite(x)) and np.all(np.isfinite(y))


@pytest.mark.parametrize("name", NAMES)
def test_defaults_have_the_documented_sizes(name):
    sizes = {"sine": 40, "box": 80, "moons": 1000, "spiral": 300, "langevin_curve": 50, "heteroscedastic": 200}
    x, y = DATASETS[name]()
    assert len(x) == len(y) == sizes[name]


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_arrays_other_seed_other_arrays(name):
    params = SHAPES[name][0]
    x1, y1 = load(name, **params, seed=7)
    x2, y2 = load(name, **params, seed=7)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    x3, _ = load(name, **params, seed=8)
    assert not np.array_equal(x1, x3)


def test_numpy_integer_seed_and_n_are_accepted():
    x1, y1 = box_clusters(n=np.int64(8), seed=np.int32(2))
    x2, y2 = box_clusters(n=8, seed=2)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)


# --------------------------------------------------------------------------- sine and moons (unchanged)


def test_sine_regression_is_x_sin_5x_plus_noise():
    x, y = sine_regression(n=500, noise=0.0, seed=1)
    assert np.all((x >= -1) & (x < 1))
    np.testing.assert_allclose(y, x[:, 0] * np.sin(5 * x[:, 0]), atol=1e-6)
    x, y = sine_regression(n=4000, noise=0.1, seed=1)
    resid = y - x[:, 0] * np.sin(5 * x[:, 0])
    assert abs(resid.std() - 0.1) < 0.01 and abs(resid.mean()) < 0.01


def test_sine_regression_keeps_its_seeded_values():
    """The same draws as before the registry: uniform x first, then the noise, from ``default_rng(seed)``."""
    rng = np.random.default_rng(3)
    x = rng.uniform(-1.0, 1.0, size=(40, 1))
    y = x[:, 0] * np.sin(5 * x[:, 0]) + 0.1 * rng.standard_normal(40)
    got_x, got_y = sine_regression(n=40, seed=3)
    np.testing.assert_array_equal(got_x, x.astype(np.float32))
    np.testing.assert_array_equal(got_y, y.astype(np.float32))


def test_two_moons_labels_halves_and_scaling():
    x, y = two_moons(n=101, seed=0)
    assert np.bincount(y).tolist() == [50, 51]
    np.testing.assert_allclose(x.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(x.std(0), 1, atol=1e-5)
    x, y = two_moons(n=200, noise=0.0, scaled=False, seed=0)
    upper, lower = x[y == 0], x[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1, atol=1e-6)  # unit circle arc
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1, atol=1e-6)
    assert upper[:, 1].min() >= -1e-6 and lower[:, 1].max() <= 0.5 + 1e-6


# --------------------------------------------------------------------------- box clusters


def test_box_clusters_class_sizes_boxes_and_xor_rule():
    n = 400
    x, y = box_clusters(n=n, seed=0)
    assert np.bincount(y).tolist() == [n // 2, n // 2]
    a, b = x[:, 0], x[:, 1]
    boxes = {  # (x1 range, x2 range): label
        ((0.5, 5.0), (0.5, 5.0)): 1,
        ((-5.0, -0.5), (-5.0, -0.5)): 1,
        ((0.5, 5.0), (-5.0, -0.5)): 0,
        ((-5.0, -0.5), (0.5, 5.0)): 0,
    }
    seen = np.zeros(n, bool)
    for ((lo1, hi1), (lo2, hi2)), label in boxes.items():
        inside = (a >= lo1) & (a <= hi1) & (b >= lo2) & (b <= hi2)
        assert inside.sum() == n // 4
        assert np.all(y[inside] == label)
        seen |= inside
    assert seen.all()  # every point lies in one of the four boxes
    # Label 1 exactly when the signs agree: NOT (sign(x1) XOR sign(x2)).
    np.testing.assert_array_equal(y, 1 - ((a > 0) ^ (b > 0)))


def test_box_clusters_fill_their_boxes():
    x, y = box_clusters(n=4000, seed=1)
    cluster = x[(x[:, 0] > 0) & (x[:, 1] > 0)]
    assert cluster.min() < 0.6 and cluster.max() > 4.9  # U(0, 4.5) + 0.5 spans [0.5, 5]
    np.testing.assert_allclose(cluster.mean(0), 2.75, atol=0.1)


def test_box_clusters_rows_are_shuffled():
    _, y = box_clusters(n=80, seed=0)
    assert not np.array_equal(y, np.sort(y)) and not np.array_equal(y, np.sort(y)[::-1])


# --------------------------------------------------------------------------- spiral


def test_spiral_counts_labels_and_radii():
    x, y = spiral(n_per_class=50, classes=5, seed=0)
    assert np.bincount(y).tolist() == [50] * 5
    radius = np.hypot(x[:, 0], x[:, 1])
    assert radius.min() >= 0 and radius.max() <= 1 + 1e-6
    for j in range(5):
        np.testing.assert_allclose(np.sort(radius[y == j]), np.linspace(0, 1, 50), atol=1e-6)


def test_spiral_without_noise_is_the_cs231n_curve():
    n = 40
    x, y = spiral(n_per_class=n, classes=3, noise=0.0, seed=0)
    r = np.linspace(0, 1, n)
    for j in range(3):
        pts = x[y == j]
        pts = pts[np.argsort(np.hypot(pts[:, 0], pts[:, 1]))]
        t = np.linspace(4 * j, 4 * (j + 1), n)
        np.testing.assert_allclose(pts, np.column_stack([r * np.sin(t), r * np.cos(t)]), atol=1e-6)


def test_spiral_noise_moves_the_angles_only():
    x0, y0 = spiral(n_per_class=200, noise=0.0, seed=0)
    x1, y1 = spiral(n_per_class=200, noise=0.2, seed=0)
    np.testing.assert_allclose(np.sort(np.hypot(*x0.T)), np.sort(np.hypot(*x1.T)), atol=1e-6)
    assert not np.allclose(np.sort(x0[:, 0]), np.sort(x1[:, 0]), atol=1e-3)


# --------------------------------------------------------------------------- langevin curve


def test_langevin_curve_function_values_and_dtypes():
    x = np.array([-1.0, 0.0, 0.5, 2.0])
    expected = 4 * np.sin(x - 2) + np.sin(8 * x - 2) - 4 * x**2
    np.testing.assert_allclose(langevin_curve_function(x), expected)
    assert langevin_curve_function(x.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(langevin_curve_function([0, 2]), [4 * np.sin(-2) + np.sin(-2), np.sin(14) - 16])
    assert langevin_curve_function(np.zeros((3, 2))).shape == (3, 2)


def test_langevin_curve_inputs_and_noise():
    """At n = 2000 with seed 0 the residual sd is within 10% of ``noise`` (its standard error is ~1.6%)."""
    x, y = langevin_curve(n=2000, seed=0)
    assert np.all((x >= -1) & (x < 1))
    resid = y - langevin_curve_function(x[:, 0].astype(np.float64))
    assert abs(resid.std(ddof=1) / 0.5 - 1) < 0.10
    assert abs(resid.mean()) < 0.05  # standard error 0.011
    x, y = langevin_curve(n=300, noise=0.0, low=-2.0, high=3.0, seed=1)
    assert np.all((x >= -2) & (x < 3)) and x.min() < -1.5 and x.max() > 2.5
    np.testing.assert_allclose(y, langevin_curve_function(x[:, 0]), rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------------- heteroscedastic


def test_heteroscedastic_mean_and_noise_functions():
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(heteroscedastic_mean(x), np.sin(x))
    np.testing.assert_allclose(heteroscedastic_noise(x), 0.1 + 0.2 * np.abs(x))
    np.testing.assert_allclose(heteroscedastic_noise(x, noise_base=0.5, noise_slope=0.0), 0.5)
    assert heteroscedastic_mean(x.astype(np.float32)).dtype == np.float32


def test_heteroscedastic_has_no_points_in_the_gap_and_fills_both_sides():
    x, _ = heteroscedastic(n=2000, gap=(-0.5, 0.5), seed=0)
    x = x[:, 0]
    assert len(x) == 2000
    assert not np.any((x > -0.5) & (x < 0.5))
    assert np.all((x >= -3) & (x <= 3))
    assert abs(np.mean(x < 0) - 0.5) < 0.05  # both sides are 2.5 long
    assert x.min() < -2.9 and x.max() > 2.9 and np.abs(x).min() < 0.55


def test_heteroscedastic_asymmetric_gap_splits_by_length():
    x, _ = heteroscedastic(n=4000, gap=(1.0, 2.0), low=0.0, high=4.0, seed=2)
    x = x[:, 0]
    assert not np.any((x > 1) & (x < 2)) and np.all((x >= 0) & (x <= 4))
    assert abs(np.mean(x < 1) - 1 / 3) < 0.03  # left side 1 long, right side 2 long


def test_heteroscedastic_without_gap_covers_the_middle():
    x, _ = heteroscedastic(n=2000, gap=None, seed=0)
    assert np.sum(np.abs(x) < 0.5) > 250  # about 2000 / 6 = 333 expected


def test_heteroscedastic_noise_grows_with_abs_x():
    x, y = heteroscedastic(n=20000, seed=0)
    x = x[:, 0].astype(np.float64)
    resid = y - heteroscedastic_mean(x)
    inner, outer = resid[np.abs(x) < 1], resid[np.abs(x) > 2]
    assert outer.std() > 2 * inner.std()  # expected sds about 0.25 and 0.6
    assert abs(resid.mean()) < 0.02
    z = resid / heteroscedastic_noise(x)
    assert abs(z.std() - 1) < 0.05  # the stated sd function is the one used


def test_heteroscedastic_noise_parameters_are_used():
    x, y = heteroscedastic(n=5000, noise_base=0.3, noise_slope=0.0, seed=1)
    resid = y - heteroscedastic_mean(x[:, 0])
    assert abs(resid.std() - 0.3) < 0.02
    x, y = heteroscedastic(n=50, noise_base=0.0, noise_slope=0.0, seed=1)
    np.testing.assert_allclose(y, np.sin(x[:, 0]), atol=1e-6)


# --------------------------------------------------------------------------- registry


def test_registry_covers_exactly_the_six_names():
    assert sorted(DATASETS) == NAMES
    assert DATASETS["sine"] is sine_regression
    assert DATASETS["box"] is box_clusters
    assert DATASETS["moons"] is two_moons
    assert DATASETS["spiral"] is spiral
    assert DATASETS["langevin_curve"] is langevin_curve
    assert DATASETS["heteroscedastic"] is heteroscedastic


def test_every_data_set_takes_keyword_only_parameters_and_a_seed():
    for fn in DATASETS.values():
        first, *rest = inspect.signature(fn).parameters.values()
        assert first.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in rest)
        assert "seed" in [p.name for p in rest]


def test_task():
    assert {name: task(name) for name in NAMES} == {
        "box": "classification",
        "heteroscedastic": "regression",
        "langevin_curve": "regression",
        "moons": "classification",
        "sine": "regression",
        "spiral": "classification",
    }
    for name in NAMES:  # regression targets are floats, classification labels integers
        assert (DATASETS[name]()[1].dtype == np.int32) == (task(name) == "classification")


def test_parameters():
    assert parameters("moons") == ("n", "noise", "scaled", "seed")
    assert parameters("box") == ("n", "seed")
    assert parameters("heteroscedastic") == ("n", "gap", "low", "high", "noise_base", "noise_slope", "seed")


def test_load_matches_the_direct_call():
    x1, y1 = load("spiral", n_per_class=20, classes=2, noise=0.1, seed=4)
    x2, y2 = spiral(n_per_class=20, classes=2, noise=0.1, seed=4)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)


LOAD_ERRORS = {
    "unknown-name": (
        lambda: load("moon"), ValueError, f"name: unknown data set 'moon'. Did you mean 'moons'? {ALLOWED}"
    ),
    "unknown-name-no-match": (
        lambda: load("cifar"), ValueError, f"name: unknown data set 'cifar'. {ALLOWED}"
    ),
    "name-not-string": (
        lambda: load(3), TypeError,
        "name: must be a string naming a data set, got 3; allowed: 'box', 'heteroscedastic', 'langevin_curve', 'moons', 'sine', 'spiral'.",
    ),
    "task-unknown-name": (
        lambda: task("sin"), ValueError, f"name: unknown data set 'sin'. Did you mean 'sine'? {ALLOWED}"
    ),
    "unknown-param": (
        lambda: load("moons", nosie=0.1), ValueError,
        "nosie: unknown parameter for data set 'moons'. Did you mean 'noise'? Valid parameters: 'n', 'noise', 'scaled', 'seed'.",
    ),
    "unknown-param-no-match": (
        lambda: load("box", classes=3), ValueError,
        "classes: unknown parameter for data set 'box'. Valid parameters: 'n', 'seed'.",
    ),
    "bad-value-passes-through": (
        lambda: load("moons", noise=-1), ValueError, "noise: must be >= 0, got -1."
    ),
}


@pytest.mark.parametrize("call, kind, message", LOAD_ERRORS.values(), ids=LOAD_ERRORS.keys())
def test_load_errors(call, kind, message):
    with raises(kind, message):
        call()


def test_errors_carry_field_and_problem_for_a_config_to_prefix():
    with pytest.raises(ValueError) as info:
        load("moons", nosie=0.1)
    assert info.value.field == "nosie"
    assert info.value.problem.startswith("unknown parameter for data set 'moons'.")
    with pytest.raises(ValueError) as info:
        heteroscedastic(gap=(1, 0))
    assert (info.value.field, info.value.problem) == ("gap", "must be ordered (start < end), got (1, 0).")


# --------------------------------------------------------------------------- argument errors

ARG_ERRORS = {
    # every data set: n, seed
    "sine-n-zero": (lambda: sine_regression(n=0), ValueError, "n: must be >= 1, got 0."),
    "sine-n-float": (lambda: sine_regression(n=4.0), TypeError, "n: must be an integer, got 4.0."),
    "sine-n-bool": (lambda: sine_regression(n=True), TypeError, "n: must be an integer, got True."),
    "sine-noise-negative": (lambda: sine_regression(noise=-1), ValueError, "noise: must be >= 0, got -1."),
    "sine-noise-negative-float": (lambda: sine_regression(noise=-0.5), ValueError, "noise: must be >= 0, got -0.5."),
    "sine-noise-string": (lambda: sine_regression(noise="0.1"), TypeError, "noise: must be a number, got '0.1'."),
    "sine-noise-nan": (lambda: sine_regression(noise=float("nan")), ValueError, "noise: must be finite, got nan."),
    "seed-none": (lambda: sine_regression(seed=None), TypeError, "seed: must be an integer, got None."),
    "seed-negative": (lambda: langevin_curve(seed=-1), ValueError, "seed: must be >= 0, got -1."),
    "seed-float": (lambda: box_clusters(seed=1.5), TypeError, "seed: must be an integer, got 1.5."),
    # moons
    "moons-n-one": (lambda: two_moons(n=1), ValueError, "n: must be >= 2, got 1."),
    "moons-noise": (lambda: two_moons(noise=-0.2), ValueError, "noise: must be >= 0, got -0.2."),
    "moons-scaled": (lambda: two_moons(scaled="yes"), TypeError, "scaled: must be true or false, got 'yes'."),
    "moons-scaled-int": (lambda: two_moons(scaled=1), TypeError, "scaled: must be true or false, got 1."),
    # box
    "box-n-not-multiple": (lambda: box_clusters(n=10), ValueError, "n: must be a multiple of 4 (four equal clusters), got 10."),
    "box-n-small": (lambda: box_clusters(n=2), ValueError, "n: must be >= 4, got 2."),
    "box-n-negative": (lambda: box_clusters(n=-4), ValueError, "n: must be >= 4, got -4."),
    "box-n-string": (lambda: box_clusters(n="80"), TypeError, "n: must be an integer, got '80'."),
    # spiral
    "spiral-n-zero": (lambda: spiral(n_per_class=0), ValueError, "n_per_class: must be >= 1, got 0."),
    "spiral-classes-one": (lambda: spiral(classes=1), ValueError, "classes: must be >= 2, got 1."),
    "spiral-classes-float": (lambda: spiral(classes=3.0), TypeError, "classes: must be an integer, got 3.0."),
    "spiral-noise": (lambda: spiral(noise=-0.1), ValueError, "noise: must be >= 0, got -0.1."),
    # langevin
    "langevin-n": (lambda: langevin_curve(n=0), ValueError, "n: must be >= 1, got 0."),
    "langevin-noise": (lambda: langevin_curve(noise=-0.5), ValueError, "noise: must be >= 0, got -0.5."),
    "langevin-low-above-high": (lambda: langevin_curve(low=1.0, high=-1.0), ValueError, "high: must be > low (1.0), got -1.0."),
    "langevin-low-equals-high": (lambda: langevin_curve(low=2, high=2), ValueError, "high: must be > low (2), got 2."),
    "langevin-low-string": (lambda: langevin_curve(low="a"), TypeError, "low: must be a number, got 'a'."),
    "langevin-high-inf": (lambda: langevin_curve(high=float("inf")), ValueError, "high: must be finite, got inf."),
    "langevin-function-strings": (lambda: langevin_curve_function(["a"]), TypeError, "x: must be a real numeric array, got dtype <U1."),
    # heteroscedastic
    "het-n": (lambda: heteroscedastic(n=0), ValueError, "n: must be >= 1, got 0."),
    "het-gap-unordered": (lambda: heteroscedastic(gap=(0.5, -0.5)), ValueError, "gap: must be ordered (start < end), got (0.5, -0.5)."),
    "het-gap-empty": (lambda: heteroscedastic(gap=[1, 1]), ValueError, "gap: must be ordered (start < end), got [1, 1]."),
    "het-gap-outside-left": (lambda: heteroscedastic(gap=(-4, 0)), ValueError,
                             "gap: must lie strictly inside (low, high) = (-3.0, 3.0), got (-4, 0)."),
    "het-gap-touches-right": (lambda: heteroscedastic(gap=(0, 3)), ValueError,
                              "gap: must lie strictly inside (low, high) = (-3.0, 3.0), got (0, 3)."),
    "het-gap-outside-custom-range": (lambda: heteroscedastic(gap=(-0.5, 0.5), low=0.0, high=2.0), ValueError,
                                     "gap: must lie strictly inside (low, high) = (0.0, 2.0), got (-0.5, 0.5)."),
    "het-gap-scalar": (lambda: heteroscedastic(gap=0.5), TypeError, "gap: must be None or a pair (start, end) of numbers, got 0.5."),
    "het-gap-triple": (lambda: heteroscedastic(gap=(0, 1, 2)), TypeError,
                       "gap: must be None or a pair (start, end) of numbers, got (0, 1, 2)."),
    "het-gap-string": (lambda: heteroscedastic(gap="ab"), TypeError, "gap: must be None or a pair (start, end) of numbers, got 'ab'."),
    "het-gap-item": (lambda: heteroscedastic(gap=(None, 1)), TypeError, "gap[0]: must be a number, got None."),
    "het-low-above-high": (lambda: heteroscedastic(low=3, high=-3), ValueError, "high: must be > low (3), got -3."),
    "het-noise-base": (lambda: heteroscedastic(noise_base=-0.1), ValueError, "noise_base: must be >= 0, got -0.1."),
    "het-noise-slope": (lambda: heteroscedastic(noise_slope=-1), ValueError, "noise_slope: must be >= 0, got -1."),
    "het-noise-fn-slope": (lambda: heteroscedastic_noise(np.zeros(2), noise_slope="x"), TypeError,
                           "noise_slope: must be a number, got 'x'."),
    "het-mean-fn-complex": (lambda: heteroscedastic_mean(np.array([1j])), TypeError,
                            "x: must be a real numeric array, got dtype complex128."),
}


@pytest.mark.parametrize("call, kind, message", ARG_ERRORS.values(), ids=ARG_ERRORS.keys())
def test_argument_errors(call, kind, message):
    with raises(kind, message):
        call()


def test_positional_parameters_beyond_the_first_are_refused():
    with pytest.raises(TypeError):
        spiral(10, 3)  # classes is keyword-only
