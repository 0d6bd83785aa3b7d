"""Summaries of per-draw predictions: on the device, means, variances and the uncertainty split;
on the host, quantile bands and highest-density intervals from sorted draws.

>>> hdi(np.arange(100.0)[:, None], 0.9).tolist()
[[0.0, 89.0]]
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from bnnppl.spec.likelihoods import Bernoulli, Categorical

LEVELS = (0.025, 0.25, 0.5, 0.75, 0.975)


def _sorted_quantiles(s: np.ndarray, levels: tuple[float, ...] = LEVELS) -> np.ndarray:
    """``levels`` quantiles of draws sorted along axis 0 (NumPy's linear interpolation):
    ``(len(levels), n)``."""
    pos = np.asarray(levels) * (s.shape[0] - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, s.shape[0] - 1)
    frac = (pos - lo).reshape(-1, *([1] * (s.ndim - 1)))
    return (s[lo] + (s[hi] - s[lo]) * frac).astype(s.dtype)


def _sorted_hdi(s: np.ndarray, prob: float = 0.95) -> np.ndarray:
    """The narrowest interval holding ``prob`` of draws sorted along axis 0: ``(n, 2)``."""
    width = int(np.ceil(prob * s.shape[0]))
    lo = np.argmin(s[width - 1 :] - s[: s.shape[0] - width + 1], axis=0)
    cols = np.arange(s.shape[1])
    return np.stack([s[lo, cols], s[lo + width - 1, cols]], axis=-1)


def _entropy(p: jax.Array) -> jax.Array:
    return jax.scipy.special.entr(p).sum(-1)


def reduce_draws(spec: Any, f, mean_s, var_s, y_s, keep: bool) -> dict[str, Any]:
    """On the device: reduce one chunk's draws ``(S, c, ...)`` to ``(c, ...)``; order statistics
    (quantiles, HDI) need sorted draws, which NumPy does far faster than XLA on a CPU."""
    out: dict[str, Any] = {"f": f, "y": y_s} if keep else {}
    if isinstance(spec, Bernoulli | Categorical):
        per_draw = jnp.stack([1 - mean_s, mean_s], -1) if isinstance(spec, Bernoulli) else mean_s
        probs = per_draw.mean(0)
        expected, total = _entropy(per_draw).mean(0), _entropy(probs)
        out |= {"probs": probs, "entropy": total, "aleatoric": expected}
        out["epistemic"] = jnp.maximum(total - expected, 0.0)
        if isinstance(spec, Bernoulli):
            out |= {"mean": probs[:, 1], "std": jnp.sqrt(probs[:, 1] * probs[:, 0])}
        return out
    epistemic, aleatoric = mean_s.var(0), var_s.mean(0)
    out |= {
        "mean": mean_s.mean(0),
        "std": jnp.sqrt(epistemic + aleatoric),
        "epistemic": epistemic,
        "aleatoric": aleatoric,
        "_y": y_s,
        "_means": mean_s,
    }
    return out


def order_statistics(out: dict[str, Any], levels: tuple[float, ...] = LEVELS) -> dict[str, Any]:
    """On the host: quantiles at ``levels`` and the HDI from the chunk's draws (dropped afterwards)."""
    if "_y" not in out:
        return out
    ys = np.sort(out.pop("_y"), axis=0)
    out["quantiles"] = _sorted_quantiles(ys, levels)
    out["mean_quantiles"] = _sorted_quantiles(np.sort(out.pop("_means"), axis=0), levels)
    out["hdi"] = _sorted_hdi(ys)
    return out


def hdi(draws: np.ndarray, prob: float = 0.95) -> np.ndarray:
    """Highest-density interval of ``draws`` (shape ``(S, n)``) per point: ``(n, 2)``."""
    return _sorted_hdi(np.sort(np.asarray(draws), axis=0), prob)
