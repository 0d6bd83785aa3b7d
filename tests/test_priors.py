"""Prior draws have the stated scales: sample the compiled model's prior and measure.

Each check pools every entry of a parameter over 4000 prior draws (10 000 to 80 000 values), so
the standard error of a standard deviation is under 0.5 %; tolerances are 3 % (5 % for heavy
tails), several standard errors wide, with fixed seeds.
"""

import math

import jax
import numpy as np
import pytest
import scipy.stats
from numpyro.infer import Predictive

from bnnppl import BNN, MLP, Gaussian, ModelSpec, Prior, ScalePrior
from bnnppl.model.priors import fan_factor, fans, resolve, scale_distribution, to_numpyro

N_DRAWS = 4000
X = np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32)


def prior_draws(spec: ModelSpec) -> dict[str, np.ndarray]:
    draws = Predictive(BNN(spec).model, num_samples=N_DRAWS)(jax.random.key(42), X)
    return {k: np.asarray(v) for k, v in draws.items()}


def spec_with(prior: Prior, **kwargs) -> ModelSpec:
    return ModelSpec(network=MLP(hidden=(10,)), prior=prior, likelihood=Gaussian(noise=0.1), **kwargs)


@pytest.mark.parametrize(
    ("prior", "expected_sd"),
    [
        (Prior(family="normal", scale=0.7), 0.7),
        (Prior(family="laplace", scale=0.5), 0.5 * math.sqrt(2)),
        (Prior(family="normal", loc=1.0, scale=2.0), 2.0),
    ],
)
def test_iid_prior_sd_and_mean(prior, expected_sd):
    draws = prior_draws(spec_with(prior))
    for site in ("net.Dense_0.kernel", "net.Dense_0.bias", "net.Dense_1.kernel"):
        values = draws[site].ravel()
        assert abs(values.std() / expected_sd - 1) < 0.03, site
        assert abs(values.mean() - prior.loc) < 0.03 * expected_sd, site


def test_student_t_prior_quartiles():
    """Heavy tails: compare interquartile ranges, not the standard deviation."""
    draws = prior_draws(spec_with(Prior(family="student_t", df=3.0, scale=0.5)))
    values = draws["net.Dense_0.kernel"].ravel()
    iqr = np.subtract(*np.percentile(values, [75, 25]))
    expected = 2 * 0.5 * scipy.stats.t.ppf(0.75, df=3)
    assert abs(iqr / expected - 1) < 0.05


# Kernels: Dense_0 is (2, 10), Dense_1 is (10, 1). Biases are never scaled.
FAN_IN = {
    "lecun": (1 / math.sqrt(2), 1 / math.sqrt(10)),
    "he": (math.sqrt(2 / 2), math.sqrt(2 / 10)),
    "glorot": (math.sqrt(2 / 12), math.sqrt(2 / 11)),
    "neal": (1.0, 1 / math.sqrt(10)),
}


@pytest.mark.parametrize("rule", sorted(FAN_IN))
def test_fan_in_scaled_prior_sd(rule):
    scale = 1.5
    draws = prior_draws(spec_with(Prior(scale=scale, fan_in=rule)))
    first, second = FAN_IN[rule]
    assert abs(draws["net.Dense_0.kernel"].std() / (scale * first) - 1) < 0.03
    assert abs(draws["net.Dense_1.kernel"].std() / (scale * second) - 1) < 0.03
    assert abs(draws["net.Dense_0.bias"].std() / scale - 1) < 0.03
    assert abs(draws["net.Dense_1.bias"].std() / scale - 1) < 0.03


def test_layer_priors_most_specific_key_wins():
    spec = spec_with(
        Prior(scale=1.0),
        layer_priors={"Dense_1": Prior(scale=0.1), "Dense_1.bias": Prior(family="laplace", scale=2.0)},
    )
    draws = prior_draws(spec)
    assert abs(draws["net.Dense_0.kernel"].std() - 1.0) < 0.03
    assert abs(draws["net.Dense_1.kernel"].std() / 0.1 - 1) < 0.03
    assert abs(draws["net.Dense_1.bias"].std() / (2.0 * math.sqrt(2)) - 1) < 0.05


def test_hierarchical_prior_learned_scales():
    """Each layer's scale follows its hyperprior, and weights / scale follow the base prior."""
    spec = spec_with(Prior(scale=0.5, learned_scale=ScalePrior(family="half_normal", scale=2.0)))
    draws = prior_draws(spec)
    for layer in ("Dense_0", "Dense_1"):
        s = draws[f"prior_scale.{layer}"]
        assert s.shape == (N_DRAWS,)
        assert abs(s.mean() / (2.0 * math.sqrt(2 / math.pi)) - 1) < 0.03  # HalfNormal(2) mean
        kernel = draws[f"net.{layer}.kernel"]
        standardised = kernel / s.reshape(-1, *([1] * (kernel.ndim - 1)))
        assert abs(standardised.std() / 0.5 - 1) < 0.03


@pytest.mark.parametrize(
    ("spec", "check"),
    [
        (ScalePrior(family="half_normal", scale=2.0), lambda s: s.mean() / (2 * math.sqrt(2 / math.pi))),
        (ScalePrior(family="half_cauchy", scale=0.5), lambda s: np.median(s) / 0.5),
        # variance ~ InverseGamma(3, 2): mean rate / (concentration - 1) = 1
        (ScalePrior(family="inverse_gamma", concentration=3.0, rate=2.0), lambda s: np.mean(s**2) / 1.0),
        # precision ~ Gamma(3, 2): mean concentration / rate = 1.5
        (ScalePrior(family="gamma_precision", concentration=3.0, rate=2.0), lambda s: np.mean(s**-2) / 1.5),
    ],
    ids=lambda v: getattr(v, "family", ""),
)
def test_scale_priors_as_noise_priors(spec, check):
    model = ModelSpec(network=MLP(hidden=(3,)), likelihood=Gaussian(noise_prior=spec))
    sigma = Predictive(BNN(model).model, num_samples=20000)(jax.random.key(3), X)["sigma"]
    assert abs(check(np.asarray(sigma, dtype=np.float64)) - 1) < 0.03


def test_scale_distribution_supports_positive_values():
    d = scale_distribution(ScalePrior(family="gamma_precision", concentration=2.0, rate=1.0))
    s = d.sample(jax.random.key(0), (1000,))
    assert bool((s > 0).all())
    np.testing.assert_allclose(
        d.log_prob(1.0), scipy.stats.gamma(a=2.0, scale=1.0).logpdf(1.0) + np.log(2.0), rtol=1e-5
    )  # change of variables sigma = precision**-0.5: |d precision / d sigma| = 2 at sigma = 1


def test_fans_and_factors():
    assert fans((10, 3)) == (10, 3)
    assert fan_factor("lecun", (7,), first_layer=False) == 1.0
    assert fan_factor("neal", (4, 5), first_layer=True) == 1.0
    assert fan_factor("glorot", (4, 5), first_layer=True) == math.sqrt(2 / 9)


def test_to_numpyro_leaves_out_deterministic_paths_and_resolve_picks_overrides():
    shapes = {"a.kernel": (2, 3), "a.bias": (3,), "b.kernel": (3, 1)}
    form = to_numpyro(Prior(), shapes, deterministic=("a",))
    assert list(form) == ["b.kernel"]
    chosen = resolve(Prior(), shapes, {"a": Prior(scale=2.0), "a.bias": Prior(scale=3.0)})
    assert [chosen[p].scale for p in shapes] == [2.0, 3.0, 1.0]
