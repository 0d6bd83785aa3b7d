"""Mixing of each chain on its own, and the modes the chains found, from the network output ``f``.

ArviZ computes r-hat and ESS one series at a time in Python; these functions do every chain and
every point at once with NumPy, and give ArviZ's numbers: ``split_rhat`` is ArviZ's
rank-normalised r-hat of one chain split into halves (its first and last ``draws // 2`` draws,
taken as two chains), ``ess_bulk`` is ``az.ess(chain[None])``, ArviZ's bulk ESS of one chain.

Chains *agree* when their means of ``f`` are close compared with their spread: chains ``i`` and
``j`` agree when, at every point and output,

    z = |m_i - m_j| / sqrt(v_i + v_j) <= AGREE_LIMIT,

with ``m`` and ``v`` a chain's mean and variance of ``f`` there. For two long chains of equal
variance the classic r-hat of the pair is ``sqrt(1 + z**2)``, so ``AGREE_LIMIT`` is a pair r-hat
of 1.1, the limit a chain's own two halves must meet (``CHAIN_RHAT_LIMIT``). The modes are the
groups of chains linked by agreement (connected components; agreement need not be transitive).

>>> rng = np.random.default_rng(0)
>>> f = rng.normal(size=(4, 400, 3, 1)) + np.array([0.0, 0.0, 5.0, 0.0])[:, None, None, None]
>>> chain_modes(f)
((0, 1, 3), (2,))
"""

from __future__ import annotations

import contextvars
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import fft, special

__all__ = [
    "AGREE_LIMIT",
    "CHAIN_ESS_LIMIT",
    "CHAIN_RHAT_LIMIT",
    "chain_distances",
    "chain_mixing",
    "chain_modes",
    "ess_bulk",
    "ess_mean",
    "ess_tail",
    "rhat_ess",
    "rhat_ess_values",
    "split_rhat",
]

CHAIN_RHAT_LIMIT = 1.1
"""A chain mixes within itself when its split r-hat of ``f`` is at most this at every point. Not
1.01: one chain's two halves are few draws, and the worst of hundreds of points is noisy (1000
independent draws at 500 points already reach about 1.015; 250 effective draws about 1.05)."""
CHAIN_ESS_LIMIT = 100
"""... and its bulk ESS of ``f`` at least this at every point (Vehtari et al. 2021: 100 per chain)."""
CHUNK_VALUES = 2**22
"""Values (series x chains x draws) handled at once by ``rhat_ess``: about 30 MB per float64 copy."""
AGREE_LIMIT = float(np.sqrt(CHAIN_RHAT_LIMIT**2 - 1))
"""Largest standardised difference of two chains' means of ``f`` (about 0.458) at which they agree:
a pair r-hat of 1.1. With ``ESS >= 100`` per chain the difference's Monte Carlo error is at most
``1 / sqrt(100) = 0.1``, so chains in one mode stay below it even at the worst of many points."""


def _z_scale(x: np.ndarray) -> np.ndarray:
    """Rank-normalised values of each series along the last axis, as ArviZ: average ranks for
    ties, Blom's offset 3/8, the normal quantile; a series with a NaN is all NaN. An average rank
    is a whole or half number, so the quantiles come from one table indexed by ``first + last``,
    the tie group's first and last places in sorted order."""
    n = x.shape[-1]
    order = np.argsort(x, axis=-1)
    ordered = np.take_along_axis(x, order, axis=-1)
    place = np.arange(n, dtype=np.int32)
    starts = np.ones(x.shape, bool)
    starts[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
    ends = np.ones(x.shape, bool)
    ends[..., :-1] = starts[..., 1:]
    first = np.maximum.accumulate(np.where(starts, place, 0), axis=-1)
    last = np.minimum.accumulate(np.where(ends, place, n - 1)[..., ::-1], axis=-1)[..., ::-1]
    table = special.ndtri((np.arange(2 * n - 1) / 2 + 1 - 3 / 8) / (n + 1 / 4))
    z = np.empty(x.shape)
    np.put_along_axis(z, order, table[first + last], axis=-1)
    return np.where(np.isnan(ordered[..., -1:]), np.nan, z)


def _split_z(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chains ``x`` shaped ``(..., chain, draw)`` split into their first and last ``draws // 2``
    draws ``(..., 2 * chain, half)``, rank-normalised over all of them together: the values, and
    the folded values (distance to the median)."""
    halves = _halves(x)
    flat = halves.reshape(*halves.shape[:-2], -1)
    folded = np.abs(flat - np.median(flat, axis=-1, keepdims=True))
    return _z_scale(flat).reshape(halves.shape), _z_scale(folded).reshape(halves.shape)


def _halves(x: np.ndarray) -> np.ndarray:
    """Chains ``(..., chain, draw)`` split into their first and last ``draws // 2`` draws, as
    ``(..., 2 * chain, draws // 2)`` (ArviZ's split chains)."""
    half = x.shape[-1] // 2
    return np.concatenate([x[..., :half], x[..., x.shape[-1] - half :]], axis=-2)


def _rhat(chains: np.ndarray) -> np.ndarray:
    """Classic r-hat of ``(..., chain, draw)``."""
    n = chains.shape[-1]
    between = n * np.var(chains.mean(-1), axis=-1, ddof=1)
    within = np.var(chains, axis=-1, ddof=1).mean(-1)
    return np.sqrt((between / within + n - 1) / n)


def rhat_ess(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ArviZ's rank-normalised split r-hat (the larger of bulk and folded) and bulk ESS of chains
    ``x`` shaped ``(..., chain, draw)``, vectorised over the leading axes (ArviZ loops over them
    in Python: 7 s for 8 chains of a 50-unit network on UCI Yacht); NaN with fewer than 4 draws.

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(2, 4, 500))  # two series of 4 chains: mixed, then one chain shifted
    >>> x[1, 0] += 3.0
    >>> rhat, ess = rhat_ess(x)
    >>> rhat.round(2), (ess > 1000).tolist()
    (array([1.  , 1.47]), [True, False])
    """
    rhat, ess = _chunked(x, _rhat_ess, 2)
    return rhat, ess


def rhat_ess_values(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``rhat_ess`` of each value of a site's draws shaped ``(chain, draw, ...)``: two arrays of
    one number per value (C order); the r-hat is NaN with one chain, as ArviZ's.

    >>> rhat, ess = rhat_ess_values(np.random.default_rng(0).normal(size=(1, 100, 2, 3)))
    >>> rhat.shape, bool(np.isnan(rhat).all()), bool((ess > 50).all())
    ((6,), True, True)
    """
    draws = np.asarray(draws)
    series = np.moveaxis(draws.reshape(*draws.shape[:2], -1), -1, 0)  # (value, chain, draw)
    with np.errstate(divide="ignore", invalid="ignore"):  # a stuck chain: r-hat inf
        rhat, ess = rhat_ess(series)
    return (rhat if draws.shape[0] > 1 else np.full_like(ess, np.nan)), ess


def _chunked(x: np.ndarray, fn, outputs: int) -> tuple[np.ndarray, ...]:
    """``fn`` (``(series, chain, draw) -> outputs`` arrays ``(series,)``) over chains ``x`` shaped
    ``(..., chain, draw)``, in chunks of at most ``CHUNK_VALUES`` values (bounded memory on large
    data sets); each output shaped ``x.shape[:-2]``, NaN with fewer than 4 draws."""
    x = np.asarray(x)
    x = x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)  # float32 ranks as ArviZ's
    if x.shape[-1] < 4:
        return tuple(np.full(x.shape[:-2], np.nan) for _ in range(outputs))
    flat = x.reshape(-1, *x.shape[-2:])
    step = max(1, CHUNK_VALUES // (x.shape[-2] * x.shape[-1]))
    out = [np.empty(flat.shape[0]) for _ in range(outputs)]

    def one(i: int) -> None:
        for values, chunk in zip(out, fn(flat[i : i + step]), strict=True):
            values[i : i + step] = chunk

    starts = range(0, flat.shape[0], step)
    workers = min(len(starts), os.cpu_count() or 1)
    if workers > 1:  # NumPy's sorts and SciPy's FFTs let go of Python's lock: a chunk per core
        with ThreadPoolExecutor(workers) as pool:  # each in a copy of this context: np.errstate
            tasks = [pool.submit(contextvars.copy_context().run, one, i) for i in starts]
            for task in tasks:
                task.result()  # a chunk's error is raised here
    else:
        for i in starts:
            one(i)
    return tuple(values.reshape(x.shape[:-2]) for values in out)


def ess_tail(x: np.ndarray, prob: float | None = None) -> np.ndarray:
    """ArviZ's tail ESS of chains ``x`` shaped ``(..., chain, draw)``, vectorised over the leading
    axes; NaN with fewer than 4 draws. As ``az.ess(method="tail")`` and ``az.summary``'s
    ``ess_tail``: the smaller ESS, over split chains, of the indicators ``x <= q(1 - prob)`` and
    ``x <= q(prob)``, quantiles of all draws; ``prob`` defaults to ArviZ's ``stats.ci_prob``
    setting (0.89 unless changed).

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(2, 4, 500))  # independent draws, then a sticky chain
    >>> x[1] = np.cumsum(x[1], axis=-1) * 0.05
    >>> (ess_tail(x) > 1000).tolist()
    [True, False]
    """
    if prob is None:
        import arviz as az

        prob = az.rcParams["stats.ci_prob"]
    low = min(prob, 1 - prob)
    return _chunked(x, lambda chunk: (_ess_tail(chunk, low),), 1)[0]


def ess_mean(x: np.ndarray) -> np.ndarray:
    """ArviZ's ESS of the mean (``az.ess(method="mean")``: split chains, no rank normalisation) of
    chains ``x`` shaped ``(..., chain, draw)``, vectorised over the leading axes; NaN for a series
    with a NaN or fewer than 4 draws, the number of draws for a constant one.

    >>> x = np.random.default_rng(0).normal(size=(3, 4, 500))
    >>> (ess_mean(x) > 1500).tolist()
    [True, True, True]
    """

    def one(chunk: np.ndarray) -> tuple[np.ndarray]:
        with np.errstate(divide="ignore", invalid="ignore"):
            ess = _ess(_halves(chunk.astype(np.float64)))  # as ArviZ: in float64
        return (np.where(np.isnan(chunk).any(axis=(-2, -1)), np.nan, ess),)

    return _chunked(x, one, 1)[0]


def _ess_tail(x: np.ndarray, prob: float) -> np.ndarray:
    """``ess_tail`` of ``(series, chain, draw)`` in one go, at the quantiles ``prob`` (< 0.5)
    and ``1 - prob``."""
    low, high = np.quantile(x.reshape(x.shape[0], -1), [prob, 1 - prob], axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ess = [_ess(_halves((x <= q[:, None, None]).astype(np.float64))) for q in (low, high)]
    return np.where(np.isnan(x).any(axis=(-2, -1)), np.nan, np.minimum(*ess))


def _rhat_ess(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``rhat_ess`` of ``(series, chain, draw)`` in one go."""
    with np.errstate(divide="ignore", invalid="ignore"):
        bulk, folded = _split_z(x)
        return np.maximum(_rhat(bulk), _rhat(folded)), _ess(bulk)


def _mixing(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split r-hat and bulk ESS of each series ``x[..., :]`` on its own."""
    return rhat_ess(np.asarray(x)[..., None, :])


def split_rhat(x: np.ndarray) -> np.ndarray:
    """Rank-normalised split r-hat of each series ``x[..., :]`` on its own: the larger of the bulk
    and the folded (tail) r-hat of its two halves. NaN for a constant series, one with a NaN, or
    fewer than 4 draws."""
    return _mixing(x)[0]


def ess_bulk(x: np.ndarray) -> np.ndarray:
    """Bulk ESS of each series ``x[..., :]`` on its own (its rank-normalised halves); NaN for a
    series with a NaN or fewer than 4 draws, the number of draws for a constant one (as ArviZ)."""
    return _mixing(x)[1]


def _autocov(x: np.ndarray) -> np.ndarray:
    n = x.shape[-1]
    spectrum = fft.rfft(x - x.mean(-1, keepdims=True), n=fft.next_fast_len(2 * n), axis=-1)
    return fft.irfft(spectrum * np.conj(spectrum), axis=-1)[..., :n] / n


def _ess(chains: np.ndarray) -> np.ndarray:
    """ArviZ's ESS of ``(..., 2, draw)`` (two or more chains): Geyer's initial positive, then
    initial monotone, sequence of autocorrelations, vectorised over the leading axes."""
    m, n = chains.shape[-2:]
    acov = _autocov(chains)
    mean_var = acov[..., 0].mean(-1) * n / (n - 1)
    var_plus = mean_var * (n - 1) / n + np.var(chains.mean(-1), axis=-1, ddof=1)
    rho = 1 - (mean_var[..., None] - acov.mean(-2)) / var_plus[..., None]
    rho[..., 0] = 1.0
    last_pair = max((n - 1) // 2 - 1, 0)  # ArviZ's loop bound
    pairs = rho[..., : 2 * (last_pair + 1)].reshape(*rho.shape[:-1], -1, 2).sum(-1)
    stop = np.where((pairs <= 0).any(-1), np.argmax(pairs <= 0, axis=-1), last_pair)
    before = np.arange(last_pair + 1) < stop[..., None]
    total = np.where(before, np.minimum.accumulate(pairs, axis=-1), 0.0).sum(-1)
    end = np.take_along_axis(rho, 2 * stop[..., None], axis=-1)[..., 0]
    end_pair = np.take_along_axis(pairs, stop[..., None], axis=-1)[..., 0]
    tau = -1 + 2 * total + np.where((end > 0) | (end_pair >= 0), end, 0.0)
    tau = np.maximum(tau, 1 / np.log10(m * n))
    constant = np.ptp(chains, axis=(-2, -1)) < np.finfo(float).resolution
    return np.where(constant, float(m * n), m * n / tau)


def chain_mixing(f: np.ndarray) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per chain of ``f`` shaped ``(chain, draw, ...)``: the worst split r-hat and the smallest bulk
    ESS over its points and outputs (NaN when any is NaN)."""
    f = np.asarray(f)
    series = np.moveaxis(f.reshape(f.shape[0], f.shape[1], -1), 1, -1)  # (chain, point, draw)
    rhat, ess = _mixing(series)
    return tuple(float(r) for r in np.max(rhat, axis=1)), tuple(float(e) for e in np.min(ess, axis=1))


def chain_distances(f: np.ndarray) -> np.ndarray:
    """``(chain, chain)`` largest standardised difference ``|m_i - m_j| / sqrt(v_i + v_j)`` of the
    chains' means of ``f`` over points and outputs; 0 where both chains are equal constants, NaN
    where a chain has a NaN."""
    f = np.asarray(f, dtype=np.float64).reshape(np.shape(f)[0], np.shape(f)[1], -1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean, var = f.mean(1), f.var(1, ddof=1) if f.shape[1] > 1 else np.zeros_like(f[:, 0])
        diff = np.abs(mean[:, None] - mean[None])
        z = np.where(diff == 0, 0.0, diff / np.sqrt(var[:, None] + var[None]))
    return np.max(z, axis=-1)


def chain_modes(f: np.ndarray, limit: float = AGREE_LIMIT) -> tuple[tuple[int, ...], ...]:
    """The chains of ``f`` ``(chain, draw, ...)`` grouped into modes: connected components of
    "agree" (``chain_distances <= limit``), biggest first, ties by their first chain."""
    agree = chain_distances(f) <= limit
    unseen, groups = set(range(agree.shape[0])), []
    while unseen:
        group, todo = set(), [min(unseen)]
        while todo:
            chain = todo.pop()
            if chain not in group:
                group.add(chain)
                todo += [int(c) for c in np.flatnonzero(agree[chain]) if c not in group]
        unseen -= group
        groups.append(tuple(sorted(group)))
    return tuple(sorted(groups, key=lambda g: (-len(g), g[0])))
