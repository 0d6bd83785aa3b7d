"""Checks on user arrays, run on concrete values before anything is traced."""

from __future__ import annotations

from typing import Any

import numpy as np


def _numeric(name: str, value: Any) -> np.ndarray:
    try:
        arr = np.asarray(value)
    except Exception as err:  # ragged lists and the like
        raise TypeError(f"{name}: must be a numeric array, could not convert it ({err}).") from None
    if arr.dtype == bool:
        arr = arr.astype(np.int32)
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise TypeError(f"{name}: must be a numeric array, got dtype {arr.dtype}.")
    return arr


def row_error(message: str, at: tuple[int, ...], entry: str) -> ValueError:
    """A ``ValueError`` reading ``message`` that also carries where the first bad entry is, its
    ``row`` and ``column`` (``None`` in a 1-D array), and ``entry``, the problem with that entry
    alone: a caller that knows where the rows came from (a data file) names that place instead."""
    err = ValueError(message)
    err.row, err.column = at[0], (at[1] if len(at) > 1 else None)  # type: ignore[attr-defined]
    err.entry = entry  # type: ignore[attr-defined]
    return err


def shown(value: Any) -> str:
    """A number as a data file would show it: ``2`` for ``2.0``.

    >>> shown(2.0), shown(2.5), shown(-1)
    ('2', '2.5', '-1')
    """
    return repr(int(value)) if isinstance(value, float) and value.is_integer() else repr(value)


def _finite(name: str, arr: np.ndarray) -> None:
    bad = ~np.isfinite(arr)
    if bad.any():
        at = tuple(int(i) for i in np.argwhere(bad)[0])
        raise row_error(
            f"{name}: contains {int(bad.sum())} NaN or infinite value(s) (first at row {at[0]}); "
            "remove or impute them before fitting.",
            at,
            f"not finite: {arr[at].item()!r}; remove or impute it before fitting.",
        )


def to_float32(name: str, arr: np.ndarray) -> np.ndarray:
    """``arr`` (already finite) as float32; values beyond float32's range are an error, not inf."""
    with np.errstate(over="ignore"):
        out = arr.astype(np.float32)
    bad = ~np.isfinite(out)
    if bad.any():
        at = tuple(int(i) for i in np.argwhere(bad)[0])
        raise row_error(
            f"{name}: contains {int(bad.sum())} value(s) too large for float32 (first at row {at[0]}); "
            f"rescale {name} before fitting.",
            at,
            f"too large for float32: {arr[at].item()!r}; rescale the column before fitting.",
        )
    return out


def check_x(x: Any, name: str = "x") -> np.ndarray:
    """``x`` as a finite float32 matrix of shape ``(n_points, n_features)``."""
    arr = _numeric(name, x)
    if arr.ndim != 2:
        hint = f" For one feature use {name}.reshape(-1, 1)." if arr.ndim == 1 and arr.size else ""
        raise ValueError(
            f"{name}: must be 2-D with shape (n_points, n_features), got shape {arr.shape}.{hint}"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name}: needs at least one point and one feature, got shape {arr.shape}.")
    _finite(name, arr)
    return to_float32(name, arr)


def check_y(y: Any, n_points: int, name: str = "y") -> np.ndarray:
    """``y`` as a finite 1-D array with one value per row of ``x`` (dtype as given)."""
    arr = _numeric(name, y)
    if arr.ndim != 1:
        hint = f" Pass {name}.ravel()." if arr.ndim == 2 and arr.shape[1] == 1 else ""
        raise ValueError(f"{name}: must be 1-D with one target per row of x, got shape {arr.shape}.{hint}")
    if arr.shape[0] != n_points:
        raise ValueError(
            f"{name}: has {arr.shape[0]} rows but x has {n_points}; give one target per row of x."
        )
    _finite(name, arr)
    return arr


def first_bad(arr: np.ndarray, ok: np.ndarray) -> tuple[Any, int] | None:
    """``(value, row)`` of the first entry where ``ok`` is false, or ``None``."""
    bad = np.flatnonzero(~ok)
    if bad.size == 0:
        return None
    return arr[bad[0]].item(), int(bad[0])
