"""SMC: the conjugate linear model in closed form, the sine regression against NUTS, the stage
statistics, the move kernels and deterministic layers."""

import numpy as np
import pytest

import bnnppl as bp
from bnnppl.datasets import sine_regression
from bnnppl.results import metrics
from bnnppl.results.prediction import log_likelihood
from linear_model import LINEAR, closed_form, linear_data, log_evidence, weights

SINE = bp.BNN(
    bp.ModelSpec(  # configs/sine_nuts.yaml's model
        network=bp.MLP(hidden=(10,), activation="tanh"),
        likelihood=bp.Gaussian(noise_prior=bp.ScalePrior(family="half_cauchy", scale=0.5)),
    )
)
STAT_KEYS = {"log_evidence", "ess", "resampled", "acceptance", "step_size"}
SMALL = {"particles": 200, "mcmc_steps": 3, "num_leapfrog": 5}  # one compiled stage for several tests


@pytest.mark.slow
@pytest.mark.parametrize("schedule", ["tempering", "data"])
def test_linear_model_posterior_and_log_evidence_match_the_closed_form(schedule):
    """1000 particles, default HMC moves. Over seeds 0-19 the means' errors had an RMS of 0.03
    posterior sd (an effective sample size of ~900) and at most 0.09 sd: the bound 0.15 sd is
    ~4.5 Monte Carlo standard errors (sd / sqrt(900)). Log-evidence errors: tempering sd 0.06,
    at most 0.13 nats (bound 0.3); data annealing, whose first stages reweight prior draws by
    single points, sd 0.11, at most 0.26 nats (bound 0.5). Posterior sds within 10 % (0.94-1.05
    seen). Seed 0: mean errors at most 0.035 sd; log-evidence errors 0.01 and -0.16 nats."""
    x, y = linear_data(30)
    post = bp.fit(LINEAR, x, y, bp.SMC(schedule=schedule, particles=1000), seed=0, scale=False)
    (mean, cov), evidence = closed_form(x, y), log_evidence(x, y)
    sd = np.sqrt(np.diag(cov))
    draws = weights(post)
    np.testing.assert_array_less(np.abs(draws.mean(0) - mean), 0.15 * sd)
    np.testing.assert_allclose(draws.std(0), sd, rtol=0.1)
    assert abs(float(post.stats["log_evidence"]) - evidence) < (0.3 if schedule == "tempering" else 0.5)
    assert post.samples["net.Dense_0.kernel"].shape == (1, 1000, 2, 1)
    assert post.samples["net.Dense_0.bias"].shape == (1, 1000, 1)


@pytest.mark.slow
def test_tempering_stats_keys_shapes_and_resampling_rule():
    x, y = linear_data(30)
    method = bp.SMC(**SMALL)
    post = bp.fit(LINEAR, x, y, method, seed=3, scale=False)
    stats = post.stats
    assert set(stats) == STAT_KEYS | {"beta"}
    assert stats["log_evidence"].shape == () and np.isfinite(stats["log_evidence"])
    stages = stats["beta"].shape[0]
    assert all(stats[k].shape == (stages,) for k in STAT_KEYS - {"log_evidence"})
    assert stats["resampled"].dtype == bool
    assert np.all(np.diff(stats["beta"]) > 0) and stats["beta"][0] > 0 and stats["beta"][-1] == 1.0
    np.testing.assert_array_equal(stats["resampled"], stats["ess"] < method.resample_ess)
    assert stats["resampled"].any() and not stats["resampled"].all()  # both cases occur here
    assert np.all((stats["ess"] > 0) & (stats["ess"] <= 1))
    assert np.all((stats["acceptance"] > 0) & (stats["acceptance"] <= 1))
    flat = np.concatenate([v.reshape(200, -1) for v in post.samples.values()], axis=1)
    assert len(np.unique(flat, axis=0)) > 0.9 * 200  # resampled, then moved: few duplicates
    # the ESS solver: each stage's conditional ESS is target_ess, so a stage that starts from equal
    # weights (after resampling, and the first) ends at ESS = target_ess (the solver's tolerance)
    fresh = np.concatenate([[True], stats["resampled"][:-1]])[:-1]
    np.testing.assert_allclose(stats["ess"][:-1][fresh], method.target_ess, atol=1e-3)


@pytest.mark.slow
def test_data_annealing_adds_batches_in_order_and_same_seed_same_result():
    x, y = linear_data(30)
    method = bp.SMC(schedule="data", batch=4, **SMALL)
    first = bp.fit(LINEAR, x, y, method, seed=1, scale=False)
    again = bp.fit(LINEAR, x, y, method, seed=1, scale=False)
    other = bp.fit(LINEAR, x, y, method, seed=2, scale=False)
    assert set(first.stats) == STAT_KEYS | {"data_points"}
    np.testing.assert_array_equal(first.stats["data_points"], [4, 8, 12, 16, 20, 24, 28, 30])
    np.testing.assert_array_equal(first.stats["resampled"], first.stats["ess"] < method.resample_ess)
    for name in first.samples:
        np.testing.assert_array_equal(first.samples[name], again.samples[name])
        assert not np.array_equal(first.samples[name], other.samples[name])
    for name in first.stats:
        np.testing.assert_array_equal(first.stats[name], again.stats[name])


@pytest.mark.slow
@pytest.mark.parametrize("kernel", ["hmc", "nuts", "langevin"])
def test_every_move_kernel_runs_and_lands_near_the_posterior(kernel):
    """A small case (200 particles, 3 moves per stage): means within 0.3 posterior sd (about 4
    Monte Carlo standard errors; at most 0.09 seen), log-evidence within 0.5 nats (0.1 seen)."""
    x, y = linear_data(30)
    method = bp.SMC(kernel=kernel, **SMALL)
    post = bp.fit(LINEAR, x, y, method, seed=0, scale=False)
    (mean, cov), evidence = closed_form(x, y), log_evidence(x, y)
    np.testing.assert_array_less(np.abs(weights(post).mean(0) - mean), 0.3 * np.sqrt(np.diag(cov)))
    assert abs(float(post.stats["log_evidence"]) - evidence) < 0.5
    assert 0 < post.stats["acceptance"].mean() <= 1


@pytest.mark.parametrize("schedule", ["tempering", "data"])
def test_one_trace_of_the_stage_serves_every_stage(schedule, monkeypatch):
    """The stage's outputs come back as its inputs with the same types (no weak types), so the
    stages after the first run the program the first one compiled: one trace per fit (there were
    two or three, each a compile of the largest program of the fit)."""
    from bnnppl.inference import smc

    traces, make_stage = [], smc._stage_fn

    def counted(*args, **kwargs):
        stage = make_stage(*args, **kwargs)

        def traced(*stage_args):
            traces.append(1)
            return stage(*stage_args)

        return traced

    monkeypatch.setattr(smc, "_stage_fn", counted)
    x, y = linear_data(23)  # shapes no other test fits: a fresh program
    method = bp.SMC(schedule=schedule, batch=5, particles=20, mcmc_steps=1, num_leapfrog=2)
    post = bp.fit(LINEAR, x, y, method, seed=0, scale=False)
    assert len(post.stats["ess"]) >= 3 and len(traces) == 1


@pytest.mark.slow
def test_deterministic_layers_are_fitted_by_map_then_held_fixed():
    x, y = sine_regression(n=40, seed=0)
    spec = bp.ModelSpec(
        network=bp.MLP(hidden=(10,)), deterministic=("Dense_0",), likelihood=bp.Gaussian(noise=0.1)
    )
    post = bp.fit(bp.BNN(spec), x, y, bp.SMC(**SMALL), seed=0)
    assert sorted(post.samples) == ["net.Dense_1.bias", "net.Dense_1.kernel"]
    assert sorted(post.fixed) == ["Dense_0.bias", "Dense_0.kernel"]
    assert post.fixed["Dense_0.kernel"].shape == (1, 10)
    assert post.samples["net.Dense_1.kernel"].shape == (1, 200, 10, 1)
    assert metrics.rmse(y, bp.predict(post, x).mean) < 0.2  # the MAP features fit the curve


@pytest.mark.slow
def test_tempering_that_runs_out_of_stages_says_which_option_to_raise():
    x, y = linear_data(30)
    with pytest.raises(
        RuntimeError, match=r"SMC: beta reached only 0\.\d+ after max_stages=2 stages; raise "
    ):
        bp.fit(LINEAR, x, y, bp.SMC(max_stages=2, **SMALL))


def test_data_annealing_with_too_few_stages_is_refused_before_fitting():
    x, y = linear_data(30)
    with pytest.raises(ValueError, match=r"^SMC\.max_stages: is 7 but data annealing over 30 points with "):
        bp.fit(LINEAR, x, y, bp.SMC(schedule="data", batch=4, max_stages=7))


@pytest.fixture(scope="module")
def sine_nuts():
    """The sine regression (40 training points, 200 fresh test points) and a modest NUTS fit."""
    x, y = sine_regression(n=40, seed=0)
    x_test, y_test = sine_regression(n=200, seed=123)
    post = bp.fit(SINE, x, y, bp.NUTS(chains=1, warmup=500, samples=500, target_accept=0.95), seed=0)
    return x, y, x_test, y_test, _scores(post, x_test, y_test)


def _scores(post, x, y):
    """Test RMSE of the predictive mean and test log-likelihood (mean log predictive density)."""
    return metrics.rmse(y, bp.predict(post, x).mean), metrics.log_likelihood(log_likelihood(post, x, y))


@pytest.mark.slow
@pytest.mark.parametrize("schedule", ["tempering", "data"])
def test_sine_regression_predicts_nearly_as_well_as_nuts(schedule, sine_nuts):
    """200 particles, 10 HMC moves of 30 leapfrog steps per stage. NUTS (seeds 0-3): RMSE
    0.133-0.135, test log-likelihood 0.581-0.596. SMC, seeds 0-4: tempering RMSE 0.133-0.136,
    log-likelihood 0.579-0.599; data annealing 0.132-0.136 and 0.579-0.605. Allowed: RMSE within
    0.01 and log-likelihood within 0.05 nats of NUTS's (gaps seen to NUTS seed 0: at most
    0.0024 and 0.016)."""
    x, y, x_test, y_test, (nuts_rmse, nuts_loglik) = sine_nuts
    method = bp.SMC(schedule=schedule, particles=200, mcmc_steps=10, num_leapfrog=30)
    rmse, loglik = _scores(bp.fit(SINE, x, y, method, seed=0), x_test, y_test)
    assert rmse < nuts_rmse + 0.01
    assert loglik > nuts_loglik - 0.05
