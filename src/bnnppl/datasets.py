"""Tutorial data sets: small, seeded, returned as ``(x, y)`` NumPy arrays.

Every function takes keyword-only parameters and a ``seed`` (a non-negative integer; the same seed
gives the same arrays) and returns ``x`` as float32 of shape ``(n, d)`` and ``y`` as float32 of
shape ``(n,)`` (regression) or int32 labels of shape ``(n,)`` (classification). Classification sets
come shuffled. :data:`DATASETS` names them all; :func:`load` calls one by name with checked
parameters and :func:`task` says which kind of problem it is.

>>> x, y = sine_regression(n=40, seed=0)
>>> x.shape, y.shape, x.dtype.name, y.dtype.name
((40, 1), (40,), 'float32', 'float32')
>>> x, y = two_moons(n=100, seed=0)
>>> x.shape, y.dtype.name, sorted(set(y.tolist()))
((100, 2), 'int32', [0, 1])
>>> x, y = box_clusters(n=80, seed=0)
>>> x.shape, x.dtype.name, y.dtype.name, sorted(set(y.tolist()))
((80, 2), 'float32', 'int32', [0, 1])
>>> x, y = spiral(n_per_class=100, classes=3, seed=0)
>>> x.shape, y.shape, sorted(set(y.tolist()))
((300, 2), (300,), [0, 1, 2])
>>> x, y = langevin_curve(n=50, seed=0)
>>> x.shape, y.shape, x.dtype.name, y.dtype.name
((50, 1), (50,), 'float32', 'float32')
>>> x, y = heteroscedastic(n=200, gap=(-0.5, 0.5), seed=0)
>>> x.shape, y.shape, bool(np.any((x > -0.5) & (x < 0.5)))
((200, 1), (200,), False)
>>> sorted(DATASETS)
['box', 'heteroscedastic', 'langevin_curve', 'moons', 'sine', 'spiral']
>>> task("spiral"), task("sine")
('classification', 'regression')
>>> x, y = load("moons", n=50, noise=0.1, seed=1)
>>> x.shape
(50, 2)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from bnnppl._checks import (
    _is_bool,
    allowed_list,
    check_choice,
    check_count,
    check_number,
    did_you_mean,
    spec_error,
)

__all__ = [
    "DATASETS",
    "box_clusters",
    "heteroscedastic",
    "heteroscedastic_mean",
    "heteroscedastic_noise",
    "langevin_curve",
    "langevin_curve_function",
    "load",
    "parameters",
    "sine_regression",
    "spiral",
    "task",
    "two_moons",
]

Task = Literal["regression", "classification"]


# --------------------------------------------------------------------------- checks


def _rng(seed: Any) -> np.random.Generator:
    """A generator for ``seed``, an integer >= 0 (NumPy's too; not ``bool``)."""
    return np.random.default_rng(check_count("seed", seed, minimum=0))


def _check_nonnegative(field: str, value: Any) -> float:
    """A finite number ``>= 0`` as ``float``; messages quote the value as given."""
    number = check_number(field, value)
    if number < 0:
        raise spec_error(field, f"must be >= 0, got {value!r}.")
    return number


def _check_bool(field: str, value: Any) -> bool:
    if not _is_bool(value):
        raise spec_error(field, f"must be true or false, got {value!r}.", TypeError)
    return bool(value)


def _check_range(low: Any, high: Any) -> tuple[float, float]:
    """Finite ``low < high``; the error names ``high`` and quotes both as given."""
    lo, hi = check_number("low", low), check_number("high", high)
    if not lo < hi:
        raise spec_error("high", f"must be > low ({low!r}), got {high!r}.")
    return lo, hi


def _check_gap(gap: Any, low: float, high: float) -> tuple[float, float] | None:
    """``None``, or a pair ``(start, end)`` with ``low < start < end < high``."""
    if gap is None:
        return None
    if isinstance(gap, (str, bytes)) or not isinstance(gap, (tuple, list)) or len(gap) != 2:
        raise spec_error("gap", f"must be None or a pair (start, end) of numbers, got {gap!r}.", TypeError)
    start, end = (check_number(f"gap[{i}]", v) for i, v in enumerate(gap))
    if not start < end:
        raise spec_error("gap", f"must be ordered (start < end), got {gap!r}.")
    if not low < start or not end < high:
        raise spec_error("gap", f"must lie strictly inside (low, high) = ({low!r}, {high!r}), got {gap!r}.")
    return start, end


def _as_float_array(field: str, x: Any) -> np.ndarray:
    """``x`` as a floating array (float32 stays float32; integers become float64)."""
    arr = np.asarray(x)
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    elif arr.dtype.kind != "f":
        raise spec_error(field, f"must be a real numeric array, got dtype {arr.dtype}.", TypeError)
    return arr


def _shuffled(rng: np.random.Generator, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(y))
    return x[order].astype(np.float32), y[order].astype(np.int32)


# --------------------------------------------------------------------------- regression


def sine_regression(n: int = 40, *, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The NumPyro BNN tutorial's regression: ``x ~ U(-1, 1)``, ``y = x sin(5x) + N(0, noise^2)``.

    Returns ``x`` of shape ``(n, 1)`` and ``y`` of shape ``(n,)``, both float32.

    >>> x, y = sine_regression(n=5, noise=0.0, seed=0)
    >>> bool(np.allclose(y, x[:, 0] * np.sin(5 * x[:, 0])))
    True
    """
    n = check_count("n", n)
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
    n = check_count("n", n)
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
    n = check_count("n", n)
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


# --------------------------------------------------------------------------- classification


def two_moons(
    n: int = 1000, *, noise: float = 0.2, scaled: bool = True, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (the PyMC ADVI tutorial's data, as scikit-learn's ``make_moons``).

    ``n`` points (half per moon, the first moon labelled 0), Gaussian ``noise`` on both
    coordinates; ``scaled`` standardises each column (the tutorial's ``scale``). Returns ``x`` of
    shape ``(n, 2)`` (float32) and labels ``y`` of shape ``(n,)`` (int32), shuffled.

    >>> x, y = two_moons(n=7, seed=0)
    >>> x.shape, int((y == 0).sum()), int((y == 1).sum())
    ((7, 2), 3, 4)
    """
    n = check_count("n", n, minimum=2)
    noise = _check_nonnegative("noise", noise)
    scaled = _check_bool("scaled", scaled)
    rng = _rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    x = np.concatenate(
        [
            np.column_stack([np.cos(t_out), np.sin(t_out)]),
            np.column_stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)]),
        ]
    )
    y = np.concatenate([np.zeros(n_out, np.int32), np.ones(n_in, np.int32)])
    x = x + noise * rng.standard_normal(x.shape)
    if scaled:
        x = (x - x.mean(0)) / x.std(0)
    order = rng.permutation(n)
    return x[order].astype(np.float32), y[order]


def box_clusters(n: int = 80, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The Turing.jl BNN tutorial's four square clusters, an XOR-like two-class layout.

    ``n / 4`` points per cluster (``n`` a multiple of 4), each from fresh ``u1, u2 ~ U(0, 4.5)``:
    class 1 at ``(u1 + 0.5, u2 + 0.5)`` and ``(u1 - 5, u2 - 5)``, class 0 at ``(u1 + 0.5, u2 - 5)``
    and ``(u1 - 5, u2 + 0.5)``. So every point lies in ``[0.5, 5]`` or ``[-5, -0.5]`` on each axis,
    and its label is 1 exactly when both coordinates have the same sign. Returns ``x`` of shape
    ``(n, 2)`` (float32) and labels ``y`` of shape ``(n,)`` (int32), shuffled (the tutorial
    lists class 1 first).

    >>> x, y = box_clusters(n=8, seed=0)
    >>> bool(np.all(y == (np.sign(x[:, 0]) == np.sign(x[:, 1]))))
    True
    """
    n = check_count("n", n, minimum=4)
    if n % 4:
        raise spec_error("n", f"must be a multiple of 4 (four equal clusters), got {n!r}.")
    rng = _rng(seed)
    m = n // 4
    offsets = [(0.5, 0.5, 1), (-5.0, -5.0, 1), (0.5, -5.0, 0), (-5.0, 0.5, 0)]
    x = np.concatenate([rng.uniform(0.0, 4.5, size=(m, 2)) + (dx, dy) for dx, dy, _ in offsets])
    y = np.repeat([label for *_, label in offsets], m)
    return _shuffled(rng, x, y)


def spiral(
    n_per_class: int = 100, *, classes: int = 3, noise: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The CS231n spiral: ``classes`` interleaved arms, ``n_per_class`` points each.

    For class ``j``: ``r = linspace(0, 1, N)``, ``t = linspace(4j, 4(j + 1), N) + noise * randn``
    and the point is ``(r sin t, r cos t)``, so its distance from the origin is exactly ``r``.
    Returns ``x`` of shape ``(classes * n_per_class, 2)`` (float32) and labels ``0 .. classes-1``
    of shape ``(classes * n_per_class,)`` (int32), shuffled.

    >>> x, y = spiral(n_per_class=10, classes=4, seed=0)
    >>> x.shape, np.bincount(y).tolist()
    ((40, 2), [10, 10, 10, 10])
    """
    n_per_class = check_count("n_per_class", n_per_class)
    classes = check_count("classes", classes, minimum=2)
    noise = _check_nonnegative("noise", noise)
    rng = _rng(seed)
    r = np.linspace(0.0, 1.0, n_per_class)
    xs = []
    for j in range(classes):
        t = np.linspace(4.0 * j, 4.0 * (j + 1), n_per_class) + noise * rng.standard_normal(n_per_class)
        xs.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
    y = np.repeat(np.arange(classes), n_per_class)
    return _shuffled(rng, np.concatenate(xs), y)


# --------------------------------------------------------------------------- registry

DATASETS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "sine": sine_regression,
    "box": box_clusters,
    "moons": two_moons,
    "spiral": spiral,
    "langevin_curve": langevin_curve,
    "heteroscedastic": heteroscedastic,
}

_TASKS: dict[str, Task] = {
    "sine": "regression",
    "box": "classification",
    "moons": "classification",
    "spiral": "classification",
    "langevin_curve": "regression",
    "heteroscedastic": "regression",
}


def _check_name(name: Any) -> str:
    return check_choice("name", name, DATASETS, "data set")


def task(name: str) -> Task:
    """``"regression"`` or ``"classification"``: the kind of problem data set ``name`` poses.

    >>> task("box"), task("heteroscedastic")
    ('classification', 'regression')
    """
    return _TASKS[_check_name(name)]


def parameters(name: str) -> tuple[str, ...]:
    """The parameter names :func:`load` accepts for data set ``name``, in signature order.

    >>> parameters("moons")
    ('n', 'noise', 'scaled', 'seed')
    """
    return tuple(inspect.signature(DATASETS[_check_name(name)]).parameters)


def load(name: str, /, **kwargs: Any) -> tuple[np.ndarray, np.ndarray]:
    """Data set ``name`` (a key of :data:`DATASETS`) made with parameters ``kwargs``.

    An unknown name or parameter raises ``ValueError`` naming it, with a did-you-mean and the valid
    choices; each parameter is then checked by the data set's own function, whose errors name the
    parameter first (``noise: must be >= 0, got -1.``).

    >>> x, y = load("box", n=8, seed=3)
    >>> x.shape, y.dtype.name
    ((8, 2), 'int32')
    """
    valid = parameters(name)
    for key in kwargs:
        if key not in valid:
            raise spec_error(
                key,
                f"unknown parameter for data set {name!r}.{did_you_mean(key, valid)} "
                f"Valid parameters: {allowed_list(valid)}.",
            )
    return DATASETS[name](**kwargs)
