"""Each likelihood's predictive moments agree with its own distribution (Monte Carlo, fixed seed)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bnnppl import Bernoulli, Categorical, Gaussian, HeteroscedasticGaussian, Poisson, StudentT
from bnnppl.model.likelihoods import distribution, fixed_noise, moments, noise_distribution
from bnnppl.spec import ScalePrior

F1 = jnp.array([[-1.0], [0.2], [1.5]])
F2 = jnp.array([[0.0, -1.0], [1.0, 0.5], [-2.0, 0.0]])
F3 = jnp.array([[0.0, 1.0, -1.0], [2.0, 0.0, 0.0], [0.5, 0.5, 0.5]])

def sample(d, n):
    """Draws of ``d``; NumPyro's samplers broadcast by rank promotion, which the suite forbids."""
    with jax.numpy_rank_promotion("allow"):
        return d.sample(jax.random.key(0), (n,))


CASES = [
    (Gaussian(noise=0.3), F1, 0.3),
    (HeteroscedasticGaussian(), F2, None),
    (StudentT(df=6.0, noise=0.5), F1, 0.5),
    (Bernoulli(), F1, None),
    (Bernoulli(link="probs"), jax.nn.sigmoid(F1), None),
    (Poisson(), F1, None),
]


@pytest.mark.parametrize(("spec", "f", "sigma"), CASES, ids=lambda v: getattr(v, "family", ""))
def test_moments_match_draws_of_the_distribution(spec, f, sigma):
    """200 000 draws: mean within 0.01 + 1 %, variance within 3 % (about 5 standard errors)."""
    d = distribution(spec, f, sigma)
    assert d.batch_shape == (3,)
    draws = np.asarray(sample(d, 200_000), dtype=np.float64)
    mean, var = moments(spec, f, sigma)
    assert mean.shape == var.shape == (3,)
    np.testing.assert_allclose(draws.mean(0), mean, rtol=0.01, atol=0.01)
    np.testing.assert_allclose(draws.var(0), var, rtol=0.03)


def test_categorical_moments_are_one_hot_mean_and_variance():
    spec = Categorical(classes=3)
    d = distribution(spec, F3)
    labels = np.asarray(sample(d, 200_000))
    one_hot = np.eye(3)[labels]
    mean, var = moments(spec, F3)
    assert mean.shape == var.shape == (3, 3)
    np.testing.assert_allclose(one_hot.mean(0), mean, atol=0.01)
    np.testing.assert_allclose(np.asarray(mean).sum(-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(var, mean * (1 - mean), rtol=1e-6)


def test_student_t_variance_is_infinite_for_small_df():
    _, var = moments(StudentT(df=2.0, noise=1.0), F1, 1.0)
    assert bool(jnp.isinf(var).all())


def test_probs_link_clips_to_keep_log_probabilities_finite():
    d = distribution(Bernoulli(link="probs"), jnp.array([[0.0], [1.0]]))
    assert bool(jnp.isfinite(d.log_prob(jnp.array([1.0, 0.0]))).all())


def test_noise_is_fixed_or_has_a_prior():
    assert fixed_noise(Gaussian(noise=0.2)) == 0.2 and noise_distribution(Gaussian(noise=0.2)) is None
    prior = noise_distribution(StudentT(df=3.0, noise_prior=ScalePrior(family="half_normal", scale=2.0)))
    assert float(prior.scale) == 2.0
    assert noise_distribution(Poisson()) is None and fixed_noise(Poisson()) is None
