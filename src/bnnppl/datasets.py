"""Tutorial data sets: small, seeded, returned as ``(x, y)`` NumPy arrays.

>>> x, y = sine_regression(n=40, seed=0)
>>> x.shape, y.shape, x.dtype.name
((40, 1), (40,), 'float32')
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
