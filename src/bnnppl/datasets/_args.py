"""Argument checks and helpers the data set functions share."""

from __future__ import annotations

from typing import Any

import numpy as np

from bnnppl._checks import _is_bool, check_count, check_number, check_seed, spec_error

MAX_ROWS = 1_000_000
"""The most rows a built-in data set makes (they are for teaching and tests; a typo of a few zeros
would otherwise try to allocate terabytes)."""


def _check_rows(field: str, n: Any, minimum: int = 1) -> int:
    """A row count from ``minimum`` to ``MAX_ROWS``."""
    return check_count(field, n, minimum=minimum, maximum=MAX_ROWS)


def _rng(seed: Any) -> np.random.Generator:
    """A generator for ``seed``, an integer >= 0 (NumPy's too; not ``bool``)."""
    return np.random.default_rng(check_seed("seed", seed))


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
