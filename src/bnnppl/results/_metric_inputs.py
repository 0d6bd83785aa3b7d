"""Checks of the arrays the metrics take: shapes, finiteness, probabilities, ordered intervals;
each error names the argument and the first bad element by its row (draw, class) index."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bnnppl._checks import spec_error
from bnnppl._data import _numeric, first_bad

PROB_TOL = 1e-4

_AXIS = {"n": "row", "draws": "draw", "K": "class", "levels": "index"}


def _where(index: tuple[int, ...], dims: tuple[str, ...]) -> str:
    return ", ".join(f"{_AXIS[d]} {int(i)}" for d, i in zip(dims, index, strict=True))


def _shape(dims: tuple[str, ...]) -> str:
    return f"({', '.join(dims)}{',' if len(dims) == 1 else ''})"


def _array(name: str, value: npt.ArrayLike, *allowed: tuple[str, ...], neg_inf: bool = False) -> np.ndarray:
    """``value`` as a non-empty numeric array shaped as one of ``allowed``, without NaN or infinity."""
    arr = _numeric(name, value)
    dims = next((d for d in allowed if len(d) == arr.ndim), None)
    if dims is None:
        options = " or ".join(f"{len(d)}-D with shape {_shape(d)}" for d in allowed)
        raise spec_error(name, f"must be {options}, got shape {arr.shape}.")
    if arr.size == 0:
        raise spec_error(name, f"must not be empty, got shape {arr.shape}.")
    bad = (np.isnan(arr) | (arr == np.inf)) if neg_inf else ~np.isfinite(arr)
    if bad.any():
        what = "NaN or +inf" if neg_inf else "NaN or infinite"
        first = _where(tuple(np.argwhere(bad)[0]), dims)
        raise spec_error(name, f"contains {int(bad.sum())} {what} value(s) (first at {first}).")
    return arr


def _require(name: str, arr: np.ndarray, ok: np.ndarray, dims: tuple[str, ...], problem: str) -> None:
    """Raise ``"{name}: {problem}, got {value} at {where}."`` for the first entry where ``ok`` fails."""
    if not ok.all():
        idx = tuple(np.argwhere(~ok)[0])
        raise spec_error(name, f"{problem}, got {arr[idx].item()!r} at {_where(idx, dims)}.")


def _mismatch(name: str, arr: np.ndarray, other: str, ref: np.ndarray, expected: str) -> Exception:
    return spec_error(name, f"has shape {arr.shape} but {other} has shape {ref.shape}; expected {expected}.")


def _vectors(**arrays: npt.ArrayLike) -> list[np.ndarray]:
    """The named arrays as float vectors of the first one's shape ``(n,)``; ``lower <= upper``."""
    out = {name: _array(name, value, ("n",)) for name, value in arrays.items()}
    (first, ref), *rest = out.items()
    for name, arr in rest:
        if arr.shape != ref.shape:
            raise _mismatch(name, arr, first, ref, str(ref.shape))
    if "lower" in out:
        _ordered(out["lower"], out["upper"])
    return [arr.astype(np.float64) for arr in out.values()]


def _samples(name: str, value: npt.ArrayLike, y: np.ndarray) -> np.ndarray:
    arr = _array(name, value, ("draws", "n")).astype(np.float64)
    if arr.shape[1] != y.shape[0]:
        raise _mismatch(name, arr, "y", y, f"(draws, {y.shape[0]})")
    return arr


def _ordered(lower: np.ndarray, upper: np.ndarray) -> None:
    bad = first_bad(lower, lower <= upper)
    if bad:
        top = upper[bad[1]].item()
        raise spec_error("lower", f"must be <= upper, got {bad[0]!r} > {top!r} at row {bad[1]}.")


def _probs(y: npt.ArrayLike, probs: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Labels ``(n,)`` and probabilities ``(n, K)``; binary ``(n,)`` P(y=1) becomes ``[1 - p, p]``."""
    labels = _array("y", y, ("n",))
    p = _array("probs", probs, ("n",), ("n", "K"))
    dims, n = ("n", "K")[: p.ndim], labels.shape[0]
    if p.shape[0] != n:
        raise _mismatch("probs", p, "y", labels, f"({n},)" if p.ndim == 1 else f"({n}, K)")
    if p.ndim == 2 and p.shape[1] < 2:
        hint = "for binary labels pass P(y=1) with shape (n,)"
        raise spec_error("probs", f"needs at least 2 columns (classes), got shape {p.shape}; {hint}.")
    _require("probs", p, (p >= 0) & (p <= 1), dims, "must be probabilities in [0, 1]")
    p = np.stack([1.0 - p, p], axis=1) if p.ndim == 1 else p.astype(np.float64)
    sums = p.sum(axis=1)
    bad = first_bad(sums, np.abs(sums - 1.0) <= PROB_TOL)
    if bad:
        raise spec_error("probs", f"rows must sum to 1 (within 1e-4); row {bad[1]} sums to {bad[0]:.6g}.")
    k = p.shape[1]
    ok = (np.floor(labels) == labels) & (labels >= 0) & (labels <= k - 1)
    _require("y", labels, ok, ("n",), f"labels must be integers in 0..{k - 1} (classes={k})")
    return labels.astype(np.intp), p
