"""Tutorial data sets: small, seeded, returned as ``(x, y)`` NumPy arrays.

Every function takes keyword-only parameters and a ``seed`` (a non-negative integer; the same seed
gives the same arrays) and returns ``x`` as float32 of shape ``(n, d)`` and ``y`` as float32 of
shape ``(n,)`` (regression) or int32 labels of shape ``(n,)`` (classification). Classification sets
come shuffled. :data:`DATASETS` names them all; :func:`load` calls one by name with checked
parameters and :func:`task` says which kind of problem it is. ``regression`` and ``classification`` hold the
generators, ``_args`` their shared argument checks. The package imports NumPy and the private
helpers (``bnnppl._checks``) only, so any layer may use it.

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

from bnnppl._checks import allowed_list, check_choice, did_you_mean, spec_error
from bnnppl.datasets.classification import box_clusters, spiral, two_moons
from bnnppl.datasets.regression import (
    heteroscedastic,
    heteroscedastic_mean,
    heteroscedastic_noise,
    langevin_curve,
    langevin_curve_function,
    sine_regression,
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
