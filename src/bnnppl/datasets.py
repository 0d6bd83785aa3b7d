"""Tutorial data sets: small, seeded, returned as ``(x, y)`` NumPy arrays.

>>> x, y = sine_regression(n=40, seed=0)
>>> x.shape, y.shape, x.dtype.name
((40, 1), (40,), 'float32')
>>> x, y = two_moons(n=100, seed=0)
>>> x.shape, sorted(set(y.tolist()))
((100, 2), [0, 1])
"""

from __future__ import annotations

import numpy as np

from bnnppl._checks import check_count, check_number


def sine_regression(n: int = 40, *, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The NumPyro BNN tutorial's regression: ``x ~ U(-1, 1)``, ``y = x sin(5x) + N(0, noise^2)``.

    Returns ``x`` of shape ``(n, 1)`` and ``y`` of shape ``(n,)``, both float32.
    """
    n = check_count("n", n)
    noise = check_number("noise", noise)
    if noise < 0:
        raise ValueError(f"noise: must be >= 0, got {noise!r}.")
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(n, 1))
    y = x[:, 0] * np.sin(5.0 * x[:, 0]) + noise * rng.standard_normal(n)
    return x.astype(np.float32), y.astype(np.float32)


def two_moons(
    n: int = 1000, *, noise: float = 0.2, scaled: bool = True, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (the PyMC ADVI tutorial's data, as scikit-learn's ``make_moons``).

    ``n`` points (half per moon, the first moon labelled 0), Gaussian ``noise`` on both
    coordinates; ``scaled`` standardises each column (the tutorial's ``scale``). Returns ``x`` of
    shape ``(n, 2)`` (float32) and labels ``y`` of shape ``(n,)`` (int32).
    """
    n = check_count("n", n, minimum=2)
    noise = check_number("noise", noise)
    if noise < 0:
        raise ValueError(f"noise: must be >= 0, got {noise!r}.")
    rng = np.random.default_rng(seed)
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
