"""Posterior prediction, chunked over inputs and draws so memory stays bounded.

``predict(posterior, x)`` runs the network for every posterior draw on ``x`` and returns
``Predictions``: the predictive mean and spread of ``y``, credible bands, and the split of
uncertainty into an epistemic part (disagreement between draws) and an aleatoric part (the
likelihood's own noise). Inputs are processed ``chunk`` rows at a time and draws in batches,
so 4000 draws x 100 000 points run in bounded memory with ``keep_samples=False`` (about 1.3 GB
peak for the whole process, fit included, measured in ``bench/predict_throughput.py``).

A model with a latent input is marginalised over it (see ``bnnppl.results.draws``): the
aleatoric part then holds the noise the network expresses through ``z`` (heteroscedastic,
multimodal), and the epistemic part stays the disagreement between weight draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bnnppl._checks import check_count, check_levels, check_seed
from bnnppl._data import check_x
from bnnppl.results.draws import KEEP_LIMIT, ROWS_SECOND, Fitted, chunks, log_likelihood, network_draws
from bnnppl.results.summaries import LEVELS, hdi, order_statistics

__all__ = ["LEVELS", "Predictions", "hdi", "log_likelihood", "network_draws", "predict"]


@dataclass(frozen=True, eq=False)
class Predictions:
    """Posterior predictions at inputs ``x`` (``n`` points, ``S`` draws). Fields:

    - ``f``: network output draws ``(S, n, outputs)``, ``y``: draws of the target ``(S, n)``;
      both ``None`` when not kept (``keep_samples``). With a latent input, ``f`` is each draw's
      mean over the ``z*`` draws and ``y`` is drawn at one ``z*``.
    - ``mean``: predictive mean of ``y`` ``(n,)`` (Bernoulli: P(y = 1); Categorical: ``None``).
    - ``std``: predictive standard deviation ``(n,)`` (Categorical: ``None``).
    - ``epistemic`` / ``aleatoric`` ``(n,)``: regression and counts: the variance of the per-draw
      means / the mean of the per-draw likelihood variances (they add up to ``std**2``);
      classification: the mutual information / the expected entropy (they add up to ``entropy``).
    - ``quantiles``: level -> ``(n,)`` quantiles of the ``y`` draws (the predictive band);
      ``mean_quantiles``: the same for the per-draw means (the band of the mean function);
      ``hdi``: ``(n, 2)`` 95 % highest-density interval of the ``y`` draws. ``None`` for classes.
    - ``probs``: ``(n, K)`` predictive class probabilities, ``entropy``: ``(n,)`` their entropy
      (classification only, else ``None``).
    """

    x: np.ndarray
    f: np.ndarray | None
    y: np.ndarray | None
    mean: np.ndarray | None
    std: np.ndarray | None
    epistemic: np.ndarray
    aleatoric: np.ndarray
    quantiles: dict[float, np.ndarray] | None
    mean_quantiles: dict[float, np.ndarray] | None
    hdi: np.ndarray | None
    probs: np.ndarray | None
    entropy: np.ndarray | None


def predict(
    posterior: Fitted,
    x: Any,
    *,
    seed: int = 0,
    keep_samples: bool | None = None,
    chunk: int | None = None,
    latent_draws: int = 32,
    levels: Sequence[float] = LEVELS,
) -> Predictions:
    """Predictions of ``posterior`` at inputs ``x`` of shape ``(n_points, n_features)``.

    ``keep_samples``: keep the draws of ``f`` and ``y`` (``None``: keep them while draws x points
    x outputs stays under 67 million values). ``chunk``: input rows per pass (``None``: about
    2 million draws x points per pass). Means and variances are reduced on the device, quantile
    bands and HDIs from sorted draws on the host, chunk by chunk.
    ``seed`` draws ``y`` (and ``z*``). ``latent_draws``: with a latent input, the ``z*`` drawn from
    its prior per point and weight draw (see the module docstring; unused otherwise); the cost
    grows with it, and chunks shrink to keep memory bounded. ``levels``: the quantile levels of
    ``quantiles`` and ``mean_quantiles`` (default ``LEVELS``: 0.025, 0.25, 0.5, 0.75, 0.975, the
    bands the plots draw).

    >>> import bnnppl as bp
    >>> from bnnppl.datasets import heteroscedastic
    >>> x, y = heteroscedastic(n=40, seed=0)
    >>> spec = bp.ModelSpec(network=bp.MLP(hidden=(5,)), latent=bp.LatentInput())
    >>> post = bp.fit(bp.BNN(spec), x, y, bp.SVI(steps=50, elbo="alpha", num_particles=2, draws=10))
    >>> pred = predict(post, x[:3], latent_draws=16)
    >>> pred.f.shape, bool(np.allclose(pred.std**2, pred.epistemic + pred.aleatoric))
    ((10, 3, 1), True)
    """
    seed = check_seed("seed", seed)
    if keep_samples is not None and not isinstance(keep_samples, bool):
        raise TypeError(f"keep_samples: must be True, False or None, got {keep_samples!r}.")
    x = check_x(x)
    if chunk is not None:
        check_count("chunk", chunk)
    k = check_count("latent_draws", latent_draws)
    levels = check_levels("levels", levels)
    width = posterior.x.shape[1]
    if x.shape[1] != width:
        raise ValueError(f"x: has {x.shape[1]} feature(s) but the model was fitted on {width}.")
    spec = posterior.bnn.likelihood
    if keep_samples is None:
        keep_samples = posterior.num_samples * x.shape[0] * spec.n_outputs <= KEEP_LIMIT
    parts = [
        order_statistics(out, levels)
        for _, out in chunks(posterior, x, "all", seed=seed, chunk=chunk, keep=keep_samples, latent_draws=k)
    ]
    merged: dict[str, Any] = {name: None for name in Predictions.__dataclass_fields__}
    for name in parts[0]:
        merged[name] = np.concatenate([p[name] for p in parts], axis=1 if name in ROWS_SECOND else 0)
    for name in ("quantiles", "mean_quantiles"):
        if merged[name] is not None:
            merged[name] = dict(zip(levels, merged[name], strict=True))
    merged["x"] = x
    return Predictions(**merged)
