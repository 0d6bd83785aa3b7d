"""predict(): chunking, the uncertainty split, classification outputs, bad input."""

import re

import numpy as np
import pytest

import bnnppl as bp
from bnnppl.datasets import sine_regression, two_moons
from bnnppl.results.prediction import hdi, log_likelihood, network_draws

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def regression():
    x, y = sine_regression(n=30, seed=0)
    spec = bp.ModelSpec(network=bp.MLP(hidden=(6,)), likelihood=bp.Gaussian(noise_prior=bp.ScalePrior(scale=0.5)))
    return bp.fit(bp.BNN(spec), x, y, bp.SVI(steps=1000, draws=64), seed=0)


@pytest.fixture(scope="module")
def classifier():
    x, y = two_moons(n=200, seed=0)
    spec = bp.ModelSpec(network=bp.MLP(hidden=(5,)), likelihood=bp.Categorical(classes=2))
    return bp.fit(bp.BNN(spec), x, y, bp.SVI(steps=1000, draws=64), seed=0)


GRID = np.linspace(-1.5, 1.5, 101, dtype=np.float32)[:, None]


def test_network_draws_are_the_mlp_of_each_draw(regression):
    """The MLP of each draw on the standardised grid, moved back to the target's units."""
    s, scaling = regression.flat_samples(), regression.scaling
    grid = (GRID - scaling.x_loc) / scaling.x_scale
    by_hand = np.tanh(grid @ s["net.Dense_0.kernel"] + s["net.Dense_0.bias"][:, None]) @ s["net.Dense_1.kernel"]
    by_hand = scaling.y_loc + scaling.y_scale * (by_hand + s["net.Dense_1.bias"][:, None])
    np.testing.assert_allclose(network_draws(regression, GRID), by_hand, rtol=1e-5, atol=1e-5)


def test_chunking_does_not_change_the_summaries(regression):
    whole = bp.predict(regression, GRID, seed=0)
    parts = bp.predict(regression, GRID, seed=0, chunk=7)  # 15 chunks, the last one padded
    for name in ("mean", "std", "epistemic", "aleatoric"):
        np.testing.assert_allclose(getattr(parts, name), getattr(whole, name), rtol=1e-6, atol=1e-7)
    # float32: XLA may pick other kernels for other batch shapes (a few ulps; seen 6e-7 on 0.7)
    np.testing.assert_allclose(parts.f, whole.f, rtol=1e-5, atol=1e-6)
    assert parts.y.shape == whole.y.shape == (64, 101)


def test_regression_outputs_and_the_variance_split(regression):
    p = bp.predict(regression, GRID, seed=0)
    sigma = regression.scaling.y_scale * regression.flat_samples()["sigma"]  # in y's units
    assert p.f.shape == (64, 101, 1) and p.mean.shape == p.std.shape == (101,)
    np.testing.assert_allclose(p.mean, p.f[..., 0].mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(p.epistemic, p.f[..., 0].var(0), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(p.aleatoric, np.full(101, np.mean(sigma**2)), rtol=1e-5)
    np.testing.assert_allclose(p.std**2, p.epistemic + p.aleatoric, rtol=1e-6)
    assert sorted(p.quantiles) == [0.025, 0.25, 0.5, 0.75, 0.975]
    # quantiles interpolate in float32 on the device; NumPy's reference runs in float64
    np.testing.assert_allclose(p.quantiles[0.5], np.quantile(p.y, 0.5, axis=0), rtol=2e-5, atol=1e-6)
    q = np.quantile(p.f[..., 0].astype(np.float64), 0.975, axis=0)
    np.testing.assert_allclose(p.mean_quantiles[0.975], q, rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(p.hdi, hdi(p.y), rtol=0, atol=0)
    assert p.hdi.shape == (101, 2) and (p.hdi[:, 0] <= p.hdi[:, 1]).all()
    assert p.probs is None and p.entropy is None
    assert bool((p.epistemic[[0, -1]] > p.epistemic[50]).all())  # more epistemic spread off the data


def test_classification_outputs_and_the_entropy_split(classifier):
    x, _ = two_moons(n=50, seed=1)
    p = bp.predict(classifier, x)
    assert p.probs.shape == (50, 2) and p.mean is None and p.std is None
    assert p.quantiles is None and p.hdi is None and p.y.shape == (64, 50)
    np.testing.assert_allclose(p.probs.sum(1), 1.0, rtol=1e-6)
    total = -np.sum(p.probs * np.log(p.probs), axis=1)
    np.testing.assert_allclose(p.entropy, total, rtol=1e-5)
    np.testing.assert_allclose(p.epistemic + p.aleatoric, p.entropy, rtol=1e-5, atol=1e-6)
    assert (p.epistemic >= 0).all() and (p.aleatoric >= 0).all()
    assert set(np.unique(p.y)) <= {0, 1}


def test_bernoulli_probs_and_mean(classifier):
    x, y = two_moons(n=100, seed=0)
    bnn = bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(5,)), likelihood=bp.Bernoulli()))
    post = bp.fit(bnn, x, y, bp.SVI(steps=500, draws=32), seed=0)
    p = bp.predict(post, x)
    assert p.probs.shape == (100, 2)
    np.testing.assert_allclose(p.mean, p.probs[:, 1])
    np.testing.assert_allclose(p.std, np.sqrt(p.mean * (1 - p.mean)), rtol=1e-5, atol=1e-6)  # float32


def test_keep_samples(regression):
    p = bp.predict(regression, GRID, keep_samples=False)
    assert p.f is None and p.y is None and p.mean.shape == (101,)


def test_log_likelihood_shape_and_value(regression):
    x, y = regression.x, regression.y
    ll = log_likelihood(regression, x, y)
    f = network_draws(regression, x)[..., 0]
    sigma = regression.scaling.y_scale * regression.flat_samples()["sigma"][:, None]  # in y's units
    by_hand = -0.5 * ((y - f) / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi)
    np.testing.assert_allclose(ll, by_hand, rtol=1e-4, atol=1e-4)


def test_predict_rejects_bad_input(regression):
    with pytest.raises(ValueError, match=re.escape("x: has 2 feature(s) but the model was fitted on 1.")):
        bp.predict(regression, np.zeros((3, 2)))
    with pytest.raises(ValueError, match=re.escape("chunk: must be >= 1, got 0.")):
        bp.predict(regression, GRID, chunk=0)
    with pytest.raises(ValueError, match=re.escape("x: contains 1 NaN or infinite value(s) (first at row 0)")):
        bp.predict(regression, np.array([[np.nan]]))


def test_hdi_is_the_narrowest_interval():
    draws = np.concatenate([np.zeros(90), np.full(10, 100.0)])[:, None]
    np.testing.assert_array_equal(hdi(draws, 0.9), [[0.0, 0.0]])
    np.testing.assert_array_equal(hdi(np.arange(100.0)[:, None], 0.5), [[0.0, 49.0]])
