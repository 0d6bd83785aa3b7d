"""The simple baseline a network must beat on held-out rows: a linear model of its likelihood.

``linear_log_likelihood`` fits the textbook linear model of a likelihood to the training rows and
scores new rows with it, so that a run can say when its network does *worse* than that model
(``bnnppl.results.checks.linear_warnings``): the most expensive failure a BNN library can hide.

- Real-valued targets (``"gaussian"``, and the heteroscedastic and Student-t likelihoods): conjugate
  Bayesian linear regression, per output column, on standardised inputs and targets,
  ``w | s2 ~ N(0, s2 I)``, ``s2 ~ InverseGamma(1, 1)``; its predictive is a Student-t in closed
  form (Bishop, *Pattern Recognition and Machine Learning*, 3.3; Murphy, *Machine Learning*,
  7.6.3), scored in the target's own units.
- Class labels (``"bernoulli"``, ``"categorical"``): L2-penalised logistic (softmax) regression,
  penalty ``|w|^2 / 2`` on the weights and none on the intercepts (scikit-learn's
  ``LogisticRegression(C=1)``), fitted by L-BFGS (scipy); its fitted probabilities.
- Counts (``"poisson"``): L2-penalised Poisson regression with a log link, the same way.

Inputs are standardised with the training rows' mean and sd (a constant column is only centred),
and flattened to one row of features per point. Plain NumPy and scipy: no JAX, milliseconds to a
second on the UCI sets.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from scipy import optimize, special, stats

__all__ = ["LINEAR_MODELS", "linear_log_likelihood"]

LINEAR_MODELS = {
    "gaussian": "Bayesian linear regression",
    "bernoulli": "L2 logistic regression",
    "categorical": "L2 softmax regression",
    "poisson": "L2 Poisson regression",
}
"""The linear model ``linear_log_likelihood`` fits for each family, in words."""


def linear_log_likelihood(
    x_train: npt.ArrayLike,
    y_train: npt.ArrayLike,
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    family: str,
    classes: int = 2,
) -> float:
    """Mean log-likelihood per point of ``y`` at ``x`` under the linear model of ``family``
    (``LINEAR_MODELS``; see the module docstring) fitted to ``x_train``, ``y_train``.

    ``family``: ``"gaussian"`` (any real-valued target, ``y`` of shape ``(n,)`` or ``(n, k)``:
    log densities summed over the ``k`` columns), ``"bernoulli"`` (0/1 labels), ``"categorical"``
    (labels ``0 .. classes - 1``) or ``"poisson"`` (counts).

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(400, 2))
    >>> y = 3.0 + x @ np.array([1.0, -2.0]) + 0.5 * rng.normal(size=400)
    >>> round(linear_log_likelihood(x[:300], y[:300], x[300:], y[300:], "gaussian"), 2)  # truth: -0.73
    -0.64
    """
    x_tr, x_te = _features(x_train), _features(x)
    mean, sd = x_tr.mean(axis=0), x_tr.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    design = lambda v: np.column_stack([np.ones(v.shape[0]), (v - mean) / sd])  # noqa: E731
    a, b = design(x_tr), design(x_te)
    y_tr, y_te = np.asarray(y_train, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if family == "gaussian":
        y_tr, y_te = y_tr.reshape(y_tr.shape[0], -1), y_te.reshape(y_te.shape[0], -1)
        return float(sum(_conjugate(a, y_tr[:, k], b, y_te[:, k]) for k in range(y_tr.shape[1])))
    if family == "bernoulli":
        return _glm(a, b, y_tr.ravel(), y_te.ravel(), 1, _logistic_loss)
    if family == "categorical":
        labels_tr, labels_te = y_tr.ravel().astype(np.int64), y_te.ravel().astype(np.int64)
        return _glm(a, b, labels_tr, labels_te, classes, _softmax_loss)
    if family == "poisson":
        return _glm(a, b, y_tr.ravel(), y_te.ravel(), 1, _poisson_loss)
    raise ValueError(f"family: {family!r} is not one of {', '.join(LINEAR_MODELS)}.")


def _features(x: npt.ArrayLike) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x.reshape(x.shape[0], -1)


def _conjugate(a: np.ndarray, y: np.ndarray, b: np.ndarray, y_new: np.ndarray) -> float:
    """Mean log predictive density of ``y_new`` at design rows ``b`` under the Normal-inverse-gamma
    linear model fitted to ``a``, ``y`` (targets standardised for the fit, scored in their units)."""
    centre, spread = y.mean(), y.std() if y.size > 1 and y.std() > 0 else 1.0
    z = (y - centre) / spread
    precision = np.eye(a.shape[1]) + a.T @ a
    chol = np.linalg.cholesky(precision)
    mean = np.linalg.solve(chol.T, np.linalg.solve(chol, a.T @ z))
    shape = 1.0 + 0.5 * len(z)
    rate = 1.0 + 0.5 * float(z @ z - mean @ precision @ mean)
    leverage = np.sum(np.linalg.solve(chol, b.T) ** 2, axis=0)  # b_i^T precision^-1 b_i
    scale = np.sqrt(rate / shape * (1.0 + leverage))
    logpdf = stats.t.logpdf((y_new - centre) / spread, df=2.0 * shape, loc=b @ mean, scale=scale)
    return float(np.mean(logpdf) - np.log(spread))


Loss = Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
"""``(design, weights (p, k), y) -> (log-likelihood per row, its gradient in the linear
predictor, (n, k))``."""


def _softmax_loss(a: np.ndarray, w: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    logits = a @ w
    log_probs = logits - special.logsumexp(logits, axis=1, keepdims=True)
    rows = np.arange(len(labels))
    grad = -np.exp(log_probs)
    grad[rows, labels] += 1.0
    return log_probs[rows, labels], grad


def _logistic_loss(a: np.ndarray, w: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    eta = (a @ w)[:, 0]
    return labels * eta - np.logaddexp(0.0, eta), (labels - special.expit(eta))[:, None]


def _poisson_loss(a: np.ndarray, w: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    eta = (a @ w)[:, 0]
    rate = np.exp(eta)
    return counts * eta - rate - special.gammaln(counts + 1.0), (counts - rate)[:, None]


def _glm(a: np.ndarray, b: np.ndarray, y: np.ndarray, y_new: np.ndarray, k: int, loss: Loss) -> float:
    """Fit the weights ``(p, k)`` maximising the log-likelihood minus ``|w|^2 / 2`` (intercept row
    free) by L-BFGS; the mean log-likelihood of ``y_new`` at ``b``."""
    p = a.shape[1]
    penalised = np.ones((p, k))
    penalised[0] = 0.0

    def objective(flat: np.ndarray) -> tuple[float, np.ndarray]:
        w = flat.reshape(p, k)
        ll, grad = loss(a, w, y)
        value = -ll.sum() + 0.5 * np.sum(penalised * w**2)
        return float(value), (-(a.T @ grad) + penalised * w).ravel()

    start = np.zeros((p, k))
    if loss is _poisson_loss:
        start[0] = np.log(max(y.mean(), 1e-12))
    fit = optimize.minimize(objective, start.ravel(), jac=True, method="L-BFGS-B", options={"maxiter": 2000})
    return float(np.mean(loss(b, fit.x.reshape(p, k), y_new)[0]))
