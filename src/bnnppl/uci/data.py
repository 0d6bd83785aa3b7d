"""The UCI data sets in the standard layout: load them, standardise with training statistics, and
score the log-likelihood in original units.

>>> s = standardizer(np.array([[1.0, 5.0], [3.0, 5.0]]), np.array([10.0, 20.0]))
>>> s.x_std.tolist(), s.y_mean, s.y_std  # the constant column keeps std 1
([1.0, 1.0], 15.0, 5.0)
>>> s.y_back(s.y(np.array([12.0]))).tolist()
[12.0]
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

import numpy as np

from bnnppl.results import metrics
from bnnppl.results.scaling import loc_scale
from bnnppl.runs.config import ConfigError

FILES = ("data.txt", "index_features.txt", "index_target.txt", "n_hidden.txt", "n_splits.txt")


class UCIData(NamedTuple):
    """One data set: ``data`` (all rows), the ``features`` columns, the ``target`` column, the
    ``train`` / ``test`` row indices of each split, and ``n_hidden``."""

    name: str
    data: np.ndarray
    features: tuple[int, ...]
    target: int
    train: tuple[np.ndarray, ...]
    test: tuple[np.ndarray, ...]
    n_hidden: int

    @property
    def n_splits(self) -> int:
        return len(self.train)

    def split(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``x_train, y_train, x_test, y_test`` of split ``k``, in original units."""
        x, y = self.data[:, list(self.features)], self.data[:, self.target]
        tr, te = self.train[k], self.test[k]
        return x[tr], y[tr], x[te], y[te]


def dataset_dir(root: Path | str, name: str) -> Path | None:
    """``root/name/data`` or ``root/name``, whichever holds ``data.txt``; ``None`` if neither."""
    for folder in (Path(root) / name / "data", Path(root) / name):
        if (folder / "data.txt").is_file():
            return folder
    return None


def available(root: Path | str) -> list[str]:
    """The data set names under ``root`` (folders holding ``data.txt``), sorted."""
    root = Path(root)
    return sorted(p.name for p in root.iterdir() if p.is_dir() and dataset_dir(root, p.name))


def _ints(file: Path) -> np.ndarray:
    try:
        return np.atleast_1d(np.loadtxt(file, dtype=int))
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such file.") from None
    except ValueError as err:
        raise ConfigError(f"{file}: expected whole numbers, one per line: {err}.") from None


def load_uci(root: Path | str, name: str) -> UCIData:
    """Read data set ``name`` under ``root``; a missing or malformed file raises ``ConfigError``."""
    folder = dataset_dir(root, name)
    if folder is None:
        raise ConfigError(f"{Path(root) / name}: no data.txt here nor in data/.")
    for file in FILES:
        if not (folder / file).is_file():
            raise ConfigError(f"{folder / file}: no such file.")
    try:
        data = np.loadtxt(folder / "data.txt", ndmin=2)
    except ValueError as err:
        raise ConfigError(f"{folder / 'data.txt'}: not a table of numbers: {err}.") from None
    features, target = (
        tuple(int(i) for i in _ints(folder / "index_features.txt")),
        int(_ints(folder / "index_target.txt")[0]),
    )
    n_splits, n_hidden = int(_ints(folder / "n_splits.txt")[0]), int(_ints(folder / "n_hidden.txt")[0])
    cols = data.shape[1]
    if target in features or not all(0 <= c < cols for c in (*features, target)):
        raise ConfigError(
            f"{folder}: feature columns {features} / target {target} do not fit {cols} columns."
        )
    train, test = [], []
    for k in range(n_splits):
        tr, te = _ints(folder / f"index_train_{k}.txt"), _ints(folder / f"index_test_{k}.txt")
        if np.intersect1d(tr, te).size or min(tr.min(), te.min()) < 0 or max(tr.max(), te.max()) >= len(data):
            raise ConfigError(
                f"{folder}: split {k}: train and test rows overlap or fall outside 0..{len(data) - 1}."
            )
        train.append(tr)
        test.append(te)
    return UCIData(name, data, features, target, tuple(train), tuple(test), n_hidden)


class Standardizer(NamedTuple):
    """Training-split statistics: ``x`` and ``y`` standardise, ``y_back`` undoes ``y``."""

    x_mean: np.ndarray
    x_std: np.ndarray
    y_mean: float
    y_std: float

    def x(self, x: np.ndarray) -> np.ndarray:
        return (x - self.x_mean) / self.x_std

    def y(self, y: np.ndarray) -> np.ndarray:
        return (y - self.y_mean) / self.y_std

    def y_back(self, y: np.ndarray) -> np.ndarray:
        return self.y_mean + self.y_std * y


def standardizer(x_train: np.ndarray, y_train: np.ndarray) -> Standardizer:
    """The statistics of the training split; a constant column (std 0) gets std 1, as the
    reference code does (Naval has one).

    >>> s = standardizer(np.array([[1.0, 5.0], [3.0, 5.0]]), np.array([10.0, 20.0]))
    >>> s.x(np.array([[3.0, 5.0]])).tolist(), s.y(np.array([20.0])).tolist(), s.y_back(np.array([-1.0]))
    ([[1.0, 0.0]], [1.0], array([10.]))
    """
    x_mean, x_std = loc_scale(np.asarray(x_train, dtype=np.float64))
    y_mean, y_std = (float(v[0]) for v in loc_scale(np.asarray(y_train, dtype=np.float64)[:, None]))
    return Standardizer(x_mean, x_std, y_mean, y_std)


def original_log_likelihood(log_lik: np.ndarray, y_std: float) -> float:
    """Test log-likelihood in original units from ``log p(y_std_i | draw s)`` (shape ``(draws, n)``)
    on standardised targets: ``y = mean + y_std * y_s`` has density ``p(y_s) / y_std``.

    >>> round(original_log_likelihood(np.log([[0.2, 1.0], [0.6, 1.0]]), 2.0), 4)  # -0.4581 - log 2
    -1.1513
    """
    return metrics.log_likelihood(log_lik) - math.log(y_std)
