"""Classification data sets: two moons, two box clusters and a K-armed spiral (shuffled, int32
labels)."""

from __future__ import annotations

import numpy as np

from bnnppl._checks import check_count, spec_error
from bnnppl.datasets._args import _check_bool, _check_nonnegative, _check_rows, _rng, _shuffled


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
    n = _check_rows("n", n, minimum=2)
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
    n = _check_rows("n", n, minimum=4)
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
    n_per_class = _check_rows("n_per_class", n_per_class)
    classes = check_count("classes", classes, minimum=2, maximum=1000)
    noise = _check_nonnegative("noise", noise)
    rng = _rng(seed)
    r = np.linspace(0.0, 1.0, n_per_class)
    xs = []
    for j in range(classes):
        t = np.linspace(4.0 * j, 4.0 * (j + 1), n_per_class) + noise * rng.standard_normal(n_per_class)
        xs.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
    y = np.repeat(np.arange(classes), n_per_class)
    return _shuffled(rng, np.concatenate(xs), y)
