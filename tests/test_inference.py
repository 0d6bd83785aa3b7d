"""fit(): posteriors against closed forms, SVI variants, HMC, seeds, deterministic layers."""

import re
import sys

import numpy as np
import pytest

import bnnppl as bp
from bnnppl.datasets import sine_regression, two_moons
from linear_model import LINEAR, assert_matches_closed_form, closed_form, linear_data, weights


@pytest.mark.slow
def test_nuts_posterior_mean_and_covariance_match_the_closed_form():
    """2 chains x 1000 draws (ESS ~ 2000): means within 0.1 posterior sd (~4.5 Monte Carlo
    standard errors), sds within 10 %, correlations within 0.08."""
    x, y = linear_data(30)
    post = bp.fit(LINEAR, x, y, bp.NUTS(chains=2, warmup=500, samples=1000), seed=0, scale=False)
    assert_matches_closed_form(post, x, y)
    assert post.samples["net.Dense_0.kernel"].shape == (2, 1000, 2, 1)
    assert set(post.stats) == {
        "diverging", "accept_prob", "adapt_state.step_size", "num_steps", "tree_depth", "energy",
    }  # fmt: skip
    assert all(v.shape == (2, 1000) for v in post.stats.values())
    assert int(post.stats["diverging"].sum()) == 0


@pytest.mark.slow
@pytest.mark.parametrize("elbo", ["trace", "mean_field"])
def test_svi_autonormal_mean_matches_the_closed_form(elbo):
    """Mean field is exact for the mean of a Gaussian posterior; with the cosine schedule the
    optimiser's noise stays under 0.15 posterior sd (0.05 seen)."""
    x, y = linear_data(30)
    method = bp.SVI(steps=5000, learning_rate=0.02, schedule="cosine", elbo=elbo, draws=4000)
    post = bp.fit(LINEAR, x, y, method, seed=0, scale=False)
    mean, cov = closed_form(x, y)
    np.testing.assert_array_less(np.abs(weights(post).mean(0) - mean), 0.15 * np.sqrt(np.diag(cov)))
    assert post.num_chains == 1 and post.num_draws == 4000
    assert post.stats["loss"].shape == (5000,)
    assert post.stats["loss"][-200:].mean() < post.stats["loss"][:200].mean()


def test_svi_init_map_starts_the_guide_at_the_map_fit():
    """One tiny step after the start: with init='map' the guide's locations are the MAP fit,
    which for this Gaussian model is the posterior mean (within 0.01 sd; 6e-5 seen); NumPyro's
    uniform start in (-2, 2) is more than 0.5 sd off (0.7 to 24 sd seen)."""
    x, y = linear_data(30)
    mean, cov = closed_form(x, y)
    sd = np.sqrt(np.diag(cov))
    errors = {}
    for init in ("map", "uniform"):
        method = bp.SVI(steps=1, learning_rate=1e-6, init_scale=1e-4, draws=200, init=init)
        errors[init] = np.abs(weights(bp.fit(LINEAR, x, y, method, seed=0, scale=False)).mean(0) - mean) / sd
    np.testing.assert_array_less(errors["map"], 0.01)
    assert errors["uniform"].max() > 0.5


@pytest.mark.slow
def test_minibatch_svi_matches_full_batch_svi():
    """Batches of 50 out of 400 rows, likelihood scaled by 8: both fits land on the closed-form
    mean within 0.15 posterior sd (0.05 seen) and within 0.2 sd of each other."""
    x, y = linear_data(400)
    mean, cov = closed_form(x, y)
    sd = np.sqrt(np.diag(cov))
    fits = {}
    for batch in (None, 50):
        method = bp.SVI(steps=8000, learning_rate=0.02, schedule="cosine", subsample_size=batch, draws=4000)
        fits[batch] = weights(bp.fit(LINEAR, x, y, method, seed=0, scale=False)).mean(0)
        np.testing.assert_array_less(np.abs(fits[batch] - mean), 0.15 * sd)
    np.testing.assert_array_less(np.abs(fits[None] - fits[50]), 0.2 * sd)


@pytest.mark.slow
def test_hmc_fixed_step_has_sensible_acceptance():
    """The Turing tutorial's HMC(0.05, 4): a fixed step of 0.05, not NumPyro's 2*pi/num_steps."""
    x, y = linear_data(30)
    post = bp.fit(LINEAR, x, y, bp.HMC(step_size=0.05, num_steps=4, warmup=200, samples=500), seed=0, scale=False)
    np.testing.assert_allclose(post.stats["adapt_state.step_size"], 0.05)
    assert (post.stats["num_steps"] == 4).all()
    assert 0.9 < float(post.stats["accept_prob"].mean()) <= 1.0
    assert "tree_depth" not in post.stats


@pytest.mark.slow
def test_sine_regression_mean_and_band_coverage():
    """The NumPyro tutorial's regression: the posterior mean is within 0.1 RMSE of x sin(5x) on
    [-0.9, 0.9], and the 95 % predictive band covers 85-100 % of 400 fresh noisy points."""
    x, y = sine_regression(n=40, seed=0)
    bnn = bp.BNN(
        bp.ModelSpec(
            network=bp.MLP(hidden=(10,)),
            likelihood=bp.Gaussian(noise_prior=bp.ScalePrior(family="half_cauchy", scale=0.5)),
        )
    )
    post = bp.fit(bnn, x, y, bp.NUTS(chains=2, warmup=500, samples=500), seed=0)
    grid = np.linspace(-0.9, 0.9, 100, dtype=np.float32)[:, None]
    pred = bp.predict(post, grid)
    assert np.sqrt(np.mean((pred.mean - grid[:, 0] * np.sin(5 * grid[:, 0])) ** 2)) < 0.1
    x_new, y_new = sine_regression(n=400, seed=123)
    band = bp.predict(post, x_new).quantiles
    inside = np.mean((y_new >= band[0.025]) & (y_new <= band[0.975]))
    assert 0.85 <= inside <= 1.0


@pytest.mark.slow
def test_two_moons_svi_reaches_95_percent_test_accuracy():
    """The PyMC ADVI tutorial: 2 -> 5 -> 5 -> 1 (tanh), Bernoulli; mean-field SVI."""
    x, y = two_moons(n=1000, noise=0.2, seed=0)
    x_train, y_train, x_test, y_test = x[:500], y[:500], x[500:], y[500:]
    bnn = bp.BNN(
        bp.ModelSpec(network=bp.MLP(hidden=(5, 5), activation="tanh"), likelihood=bp.Bernoulli())
    )
    post = bp.fit(bnn, x_train, y_train, bp.SVI(steps=10_000, learning_rate=0.01, draws=500), seed=0)
    pred = bp.predict(post, x_test)
    assert np.mean((pred.mean > 0.5) == y_test) >= 0.95


@pytest.mark.slow
def test_same_seed_same_posterior_and_different_seed_different():
    x, y = linear_data(30)
    method = bp.NUTS(chains=1, warmup=50, samples=50)
    a, b = bp.fit(LINEAR, x, y, method, seed=3, scale=False), bp.fit(LINEAR, x, y, method, seed=3, scale=False)
    c = bp.fit(LINEAR, x, y, method, seed=4, scale=False)
    np.testing.assert_array_equal(weights(a), weights(b))
    assert not np.array_equal(weights(a), weights(c))


@pytest.mark.slow
def test_thinning_keeps_every_kth_draw():
    x, y = linear_data(30)
    post = bp.fit(LINEAR, x, y, bp.NUTS(chains=1, warmup=50, samples=60, thinning=3), seed=0, scale=False)
    assert post.samples["net.Dense_0.bias"].shape == (1, 20, 1)


@pytest.mark.slow
@pytest.mark.parametrize("init", ["map", "svi", "median", "prior"])
def test_nuts_init_strategies(init):
    x, y = linear_data(30)
    post = bp.fit(LINEAR, x, y, bp.NUTS(chains=1, warmup=100, samples=100, init=init, init_steps=300), scale=False)
    mean, _ = closed_form(x, y)
    np.testing.assert_allclose(weights(post).mean(0), mean, atol=0.15)


@pytest.mark.slow
def test_deterministic_layers_are_fitted_by_map_then_held_fixed_under_nuts():
    x, y = sine_regression(n=40, seed=0)
    spec = bp.ModelSpec(
        network=bp.MLP(hidden=(10,)), deterministic=("Dense_0",), likelihood=bp.Gaussian(noise=0.1)
    )
    post = bp.fit(bp.BNN(spec), x, y, bp.NUTS(chains=1, warmup=200, samples=200), seed=0)
    assert sorted(post.samples) == ["net.Dense_1.bias", "net.Dense_1.kernel"]
    assert sorted(post.fixed) == ["Dense_0.bias", "Dense_0.kernel"]
    assert post.fixed["Dense_0.kernel"].shape == (1, 10)
    pred = bp.predict(post, x)
    assert np.sqrt(np.mean((pred.mean - y) ** 2)) < 0.2  # the MAP features fit the curve


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda x, y: bp.fit("bnn", x, y), TypeError, "bnn: must be a bnnppl.BNN, got 'bnn'."),
        (lambda x, y: bp.fit(LINEAR, x, y, method="nuts"), TypeError,
         "method: must be one of bnnppl's method configs ('HMC', 'Langevin', 'MCLMC', 'NUTS', 'SGHMC', 'SGLD', 'SMC', 'SVI'), got 'nuts'."),
        (lambda x, y: bp.fit(LINEAR, x, None), ValueError, "y: fit needs the targets; got None."),
        (lambda x, y: bp.fit(LINEAR, x, y, bp.SVI(subsample_size=31)), ValueError,
         "SVI.subsample_size: is 31 but the data have 30 rows; use at most that many."),
        (lambda x, y: bp.fit(LINEAR, x[:, 0], y), ValueError,
         "x: must be 2-D with shape (n_points, n_features), got shape (30,). For one feature use x.reshape(-1, 1)."),
    ],
)  # fmt: skip
def test_fit_rejects_bad_arguments(call, error, message):
    x, y = linear_data(30)
    with pytest.raises(error, match=re.escape(message)):
        call(x, y)


class FakeBar:
    """Records what the SVI loop tells its progress bar."""

    made: list = []

    def __init__(self, **kwargs):
        self.kwargs, self.updates, self.postfixes = kwargs, [], []
        FakeBar.made.append(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        self.updates.append(n)

    def set_postfix(self, **kwargs):
        self.postfixes.append(kwargs)


@pytest.mark.slow
def test_svi_progress_updates_once_per_chunk_with_the_chunk_loss(monkeypatch):
    import bnnppl.inference.svi as svi_module

    monkeypatch.setattr(svi_module, "tqdm", FakeBar)
    FakeBar.made.clear()
    x, y = linear_data(30)
    post = bp.fit(LINEAR, x, y, bp.SVI(steps=250, chunk=100, draws=10), progress=True)
    (bar,) = FakeBar.made
    assert bar.kwargs["total"] == 250 and bar.kwargs["disable"] is False
    assert bar.updates == [100, 100, 50]
    losses = post.stats["loss"]
    expected = [f"{losses[a:b].mean():.4g}" for a, b in ((0, 100), (100, 200), (200, 250))]
    assert [p["loss"] for p in bar.postfixes] == expected


def test_progress_is_off_under_ci_and_off_a_terminal(monkeypatch):
    from bnnppl.inference import _interactive

    monkeypatch.setenv("CI", "true")
    assert _interactive() is False
    monkeypatch.delenv("CI")
    monkeypatch.setattr("sys.stderr.isatty", lambda: False)
    assert _interactive() is False
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    assert _interactive() is True


def test_progress_is_on_in_a_jupyter_kernel_unless_under_ci(monkeypatch):
    """In a notebook stderr is no terminal, but someone watches: tqdm.auto draws a widget there."""
    import types

    from bnnppl.inference import _interactive

    class ZMQInteractiveShell:  # the class name IPython's kernel shell has
        pass

    class TerminalInteractiveShell:
        pass

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr("sys.stderr.isatty", lambda: False)
    fake = types.ModuleType("IPython")
    monkeypatch.setitem(sys.modules, "IPython", fake)
    for shell, expected in ((ZMQInteractiveShell(), True), (TerminalInteractiveShell(), False), (None, False)):
        fake.get_ipython = lambda shell=shell: shell
        assert _interactive() is expected, shell
    fake.get_ipython = ZMQInteractiveShell
    monkeypatch.setenv("CI", "1")
    assert _interactive() is False
