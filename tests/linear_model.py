"""The conjugate linear model the tests check posteriors against: ``y = x w + b + N(0, SIGMA^2)``
with iid ``N(0, PRIOR_SD^2)`` priors on ``w`` and ``b`` is exactly ``LINEAR``, a BNN with no
hidden layer, so its posterior and evidence have closed forms."""

import numpy as np

import bnnppl as bp

SIGMA, PRIOR_SD = 0.5, 1.0
LINEAR = bp.BNN(
    bp.ModelSpec(
        network=bp.MLP(hidden=()),  # f = x @ kernel + bias: Bayesian linear regression
        prior=bp.Prior(scale=PRIOR_SD),  # fan_in=None: plain iid N(0, PRIOR_SD^2), biases too
        likelihood=bp.Gaussian(noise=SIGMA),
    )
)


def linear_data(n, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)).astype(np.float32)
    y = (x @ np.array([1.5, -1.0]) + 0.3 + SIGMA * rng.normal(size=n)).astype(np.float32)
    return x, y


def closed_form(x, y):
    """Posterior mean and covariance of (kernel, bias)."""
    design = np.column_stack([x, np.ones(len(x))]).astype(np.float64)
    cov = np.linalg.inv(design.T @ design / SIGMA**2 + np.eye(3) / PRIOR_SD**2)
    return cov @ design.T @ y / SIGMA**2, cov


def log_evidence(x, y):
    """``log N(y; 0, PRIOR_SD^2 X1 X1^T + SIGMA^2 I)``, ``X1`` the inputs with a column of ones."""
    design = np.column_stack([x, np.ones(len(x))]).astype(np.float64)
    marginal = PRIOR_SD**2 * design @ design.T + SIGMA**2 * np.eye(len(y))
    _, logdet = np.linalg.slogdet(2 * np.pi * marginal)
    return -0.5 * (logdet + y @ np.linalg.solve(marginal, y))


def weights(post):
    """Posterior draws of (kernel_0, kernel_1, bias), ``(draws, 3)``."""
    s = post.flat_samples()
    return np.column_stack([s["net.Dense_0.kernel"][:, :, 0], s["net.Dense_0.bias"]])


def assert_matches_closed_form(post, x, y):
    """Means within 0.1 posterior sd, sds within 10 %, correlations within 0.08 of the closed form
    (for an ESS of about 2000: 0.1 sd is about 4.5 Monte Carlo standard errors)."""
    mean, cov = closed_form(x, y)
    sd = np.sqrt(np.diag(cov))
    draws = weights(post)
    np.testing.assert_array_less(np.abs(draws.mean(0) - mean), 0.1 * sd)
    np.testing.assert_allclose(draws.std(0), sd, rtol=0.1)
    np.testing.assert_allclose(np.corrcoef(draws.T), cov / np.outer(sd, sd), atol=0.08)
