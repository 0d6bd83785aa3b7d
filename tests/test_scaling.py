"""Scaling by default: fits see standardised data, users see their own units (issue 15, item 1)."""

import json
import re
import warnings

import numpy as np
import pytest
from scipy import stats

import bnnppl as bp
from bnnppl.cli import main
from bnnppl.results import metrics
from bnnppl.results.scaling import Scaling
from bnnppl.runs.config import RunConfig
from bnnppl.runs.predicting import predict_file
from bnnppl.runs.runner import run

NOISE = 10.0


def raw_data(n=120, seed=0):
    """Inputs around 1000 (sd 100), targets around 500 (sd about 100) with noise sd 10."""
    rng = np.random.default_rng(seed)
    x = rng.normal(1000.0, 100.0, size=(n, 2))
    u = (x - 1000.0) / 100.0
    y = 500.0 + 80.0 * np.tanh(u[:, 0]) + 40.0 * u[:, 1] + rng.normal(0.0, NOISE, size=n)
    return x, y


SPEC = bp.ModelSpec(network=bp.MLP(hidden=(10,)))
SVI_FIT = bp.SVI(steps=1500, learning_rate=0.02, draws=200)


@pytest.fixture(scope="module")
def raw_fit():
    x, y = raw_data(160)
    return x, y, bp.fit(bp.BNN(SPEC), x[:120], y[:120], SVI_FIT, seed=0)


@pytest.mark.slow
def test_default_fit_predicts_in_original_units(raw_fit):
    x, y, post = raw_fit
    s = post.scaling
    np.testing.assert_allclose(s.x_loc, x[:120].mean(0), rtol=1e-6)
    np.testing.assert_allclose(s.x_scale, x[:120].std(0), rtol=1e-6)
    assert (s.y_loc, s.y_scale) == pytest.approx((y[:120].mean(), y[:120].std()), rel=1e-6)
    np.testing.assert_array_equal(post.x, x[:120].astype(np.float32))  # the user's rows, as given
    pred = bp.predict(post, x[120:])
    rmse = metrics.rmse(y[120:], pred.mean)
    assert rmse < 1.5 * NOISE, rmse  # the target's own sd is about 100
    assert 0.6 * NOISE < np.median(pred.std) < 2.0 * NOISE
    assert abs(np.mean(pred.mean) - np.mean(y[120:])) < 10.0
    q = pred.quantiles
    assert metrics.interval_coverage(y[120:], q[0.025], q[0.975]) >= 0.85


@pytest.mark.slow
def test_log_likelihood_is_the_density_of_the_original_targets(raw_fit):
    """log p(y | draw) = log N(y | loc + scale * f, scale * sigma): the Jacobian -log(scale)."""
    x, y, post = raw_fit
    s = post.scaling
    f = bp.results.network_draws(post, x[120:])[..., 0]  # (draws, n), original units
    f_model = (f - s.y_loc) / s.y_scale
    sigma = post.flat_samples()["sigma"][:, None]  # model units
    ll = bp.results.log_likelihood(post, x[120:], y[120:])
    expected = stats.norm.logpdf(y[120:], f, s.y_scale * sigma)
    np.testing.assert_allclose(ll, expected, rtol=2e-4, atol=2e-4)
    in_model_units = stats.norm.logpdf((y[120:] - s.y_loc) / s.y_scale, f_model, sigma)
    np.testing.assert_allclose(ll, in_model_units - np.log(s.y_scale), rtol=2e-4, atol=2e-4)
    tree = post.to_arviz()  # LOO and the report read these: the same units
    np.testing.assert_allclose(tree["observed_data"]["obs"].values, y[:120].astype(np.float32))
    assert float(np.abs(tree["posterior"]["f"].values.mean() - y[:120].mean())) < 15.0


@pytest.mark.slow
def test_affine_change_of_units_changes_only_the_units():
    """The same data in other units give the same fit: predictions move with the units and the
    log-likelihood by exactly -log of the scale factor."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 1))
    y = np.sin(2 * x[:, 0]) + 0.1 * rng.normal(size=40)
    method = bp.SVI(steps=300, draws=50)
    a = bp.fit(bp.BNN(SPEC), x, y, method, seed=3)
    b = bp.fit(bp.BNN(SPEC), 7.0 + 3.0 * x, 500.0 + 100.0 * y, method, seed=3)
    xt = np.linspace(-1, 1, 5)[:, None]
    pa, pb = bp.predict(a, xt), bp.predict(b, 7.0 + 3.0 * xt)
    np.testing.assert_allclose(pb.mean, 500.0 + 100.0 * pa.mean, rtol=1e-3, atol=0.05)
    np.testing.assert_allclose(pb.std, 100.0 * pa.std, rtol=1e-3)
    lla = metrics.log_likelihood(bp.results.log_likelihood(a, x, y))
    llb = metrics.log_likelihood(bp.results.log_likelihood(b, 7.0 + 3.0 * x, 500.0 + 100.0 * y))
    assert llb == pytest.approx(lla - np.log(100.0), abs=2e-3)


def test_scale_false_far_from_unit_warns_and_fits_as_given():
    x, y = raw_data(30)
    message = (
        "scale=False, but x: column 0 has mean 988 and sd 94.3; y: has mean 506 and sd 67.6: far "
        "from the unit scale the priors assume. Leave scale=True (the default) to standardise them, "
        "or rescale them yourself."
    )
    with pytest.warns(UserWarning, match=f"^{re.escape(message)}$"):
        post = bp.fit(bp.BNN(SPEC), x, y, bp.SVI(steps=5, draws=4), scale=False)
    assert post.scaling is None


def test_healthy_fits_do_not_warn():
    x, y = raw_data(30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bp.fit(bp.BNN(SPEC), x, y, bp.SVI(steps=5, draws=4))  # scaled: silent
        u = (x - x.mean(0)) / x.std(0)
        bp.fit(bp.BNN(SPEC), u, (y - y.mean()) / y.std(), bp.SVI(steps=5, draws=4), scale=False)


def test_labels_and_counts_are_never_scaled():
    x = np.array([[100.0, 3.0], [300.0, 3.0], [200.0, 3.0], [400.0, 3.0]])
    for likelihood, y in [(bp.Bernoulli(), [0, 1, 0, 1]), (bp.Poisson(), [3, 40, 7, 90]),
                          (bp.Categorical(classes=3), [0, 2, 1, 2])]:  # fmt: skip
        spec = bp.ModelSpec(network=bp.MLP(hidden=(3,)), likelihood=likelihood)
        post = bp.fit(bp.BNN(spec), x, y, bp.SVI(steps=5, draws=4))
        s = post.scaling
        assert (s.y_loc, s.y_scale) == (0.0, 1.0), likelihood
        np.testing.assert_allclose(s.x_loc, [250.0, 3.0])  # the constant column is only centred
        np.testing.assert_allclose(s.x_scale, [np.std([100, 300, 200, 400]), 1.0])
        np.testing.assert_array_equal(post.y, np.asarray(y, dtype=post.y.dtype))


def test_fit_scale_must_be_a_bool(xy):
    with pytest.raises(TypeError, match=r"^scale: must be True or False, got 'yes'\.$"):
        bp.fit(bp.BNN(SPEC), *xy, bp.SVI(steps=5, draws=4), scale="yes")


@pytest.mark.slow
def test_save_load_keeps_the_scaling(raw_fit, tmp_path):
    x, _, post = raw_fit
    loaded = bp.load(post.save(tmp_path / "post"))
    for name, value in post.scaling.to_arrays().items():
        np.testing.assert_array_equal(loaded.scaling.to_arrays()[name], value)
    np.testing.assert_allclose(bp.predict(loaded, x[120:]).mean, bp.predict(post, x[120:]).mean)
    with np.load(tmp_path / "post" / "arrays.npz") as arrays:
        assert sorted(k for k in arrays.files if k.startswith("scaling/")) == [
            "scaling/x_loc", "scaling/x_scale", "scaling/y"
        ]  # fmt: skip


def test_unscaled_posterior_saves_no_scaling(xy, tmp_path):
    post = bp.fit(bp.BNN(SPEC), *xy, bp.SVI(steps=5, draws=4), scale=False)
    loaded = bp.load(post.save(tmp_path / "post"))
    assert loaded.scaling is None
    with np.load(tmp_path / "post" / "arrays.npz") as arrays:
        assert not [k for k in arrays.files if k.startswith("scaling/")]


def test_scaling_from_arrays_round_trips():
    s = Scaling.from_data(np.array([[1.0, 2.0], [3.0, 2.0]]), np.array([5.0, 9.0]), bp.StudentT(df=4.0))
    again = Scaling.from_arrays(s.to_arrays())
    assert (again.y_loc, again.y_scale) == (7.0, 2.0)
    np.testing.assert_array_equal(again.x_loc, [2.0, 2.0])


def _raw_csv(path, x, y):
    rows = "\n".join(f"{a:.3f},{b:.3f},{t:.3f}" for (a, b), t in zip(x, y, strict=True))
    path.write_text("size,age,price\n" + rows + "\n")


def _config(tmp_path, **data):
    return RunConfig.from_dict({
        "data": {"train": "train.csv", "y_column": "price", "test_fraction": 0.25, **data},
        "model": {"network": {"hidden": [10]}},
        "inference": {"method": "svi", "steps": 1500, "learning_rate": 0.02, "draws": 200},
        "output": str(tmp_path / "runs"), "name": "raw",
    })  # fmt: skip


@pytest.mark.slow
def test_run_and_predict_file_speak_original_units(tmp_path):
    x, y = raw_data(160)
    _raw_csv(tmp_path / "train.csv", x, y)
    config = _config(tmp_path)
    assert config.data.scale is True and config.to_dict()["data"]["scale"] is True
    result = run(config, base=tmp_path, report=False)
    assert result.metrics["test"]["rmse"] < 1.5 * NOISE
    assert result.metrics["test"]["log_likelihood"] > result.metrics["test"]["constant_log_likelihood"] + 1.0
    (tmp_path / "new.csv").write_text("size,age\n1000,1000\n1100,900\n")
    out = predict_file(result.run_dir, tmp_path / "new.csv", tmp_path / "pred.csv")
    table = np.genfromtxt(out, delimiter=",", names=True)
    truth = 500.0 + 80.0 * np.tanh([0.0, 1.0]) + 40.0 * np.array([0.0, -1.0])
    np.testing.assert_allclose(table["mean"], truth, atol=3 * NOISE)
    assert np.all((table["std"] > 0.5 * NOISE) & (table["std"] < 4 * NOISE))
    saved = json.loads((result.run_dir / "metrics.json").read_text())
    assert saved["test"]["rmse"] == result.metrics["test"]["rmse"]


def test_config_scale_false_validates_with_a_warning(tmp_path, capsys):
    x, y = raw_data(20)
    _raw_csv(tmp_path / "train.csv", x, y)
    (tmp_path / "c.yaml").write_text(
        "data: {train: train.csv, y_column: price, scale: false}\n"
        "model: {network: {hidden: [3]}}\ninference: {method: svi, steps: 5}\n"
    )
    assert main(["validate", str(tmp_path / "c.yaml")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("2 input column(s), not scaled; svi)")
    assert lines[1] == (
        "  warning: data.scale: false, but x: column 0 has mean 987 and sd 69.8; y: has mean 503 "
        "and sd 59.6: far from the unit scale the priors assume. Leave data.scale: true (the default) "
        "to standardise them, or rescale them yourself."
    )


def test_config_scale_must_be_a_bool():
    with pytest.raises(TypeError, match=r"^data\.scale: must be true or false, got 'no'\.$"):
        RunConfig.from_dict({"data": {"name": "sine", "scale": "no"}, "model": {},
                             "inference": {"method": "svi"}})  # fmt: skip


@pytest.mark.slow
def test_smc_log_evidence_is_the_evidence_of_the_targets_in_their_units():
    """The same data with y in units 100 times smaller: the same standardised fit, and log p(y)
    lower by exactly n log 100 (the Jacobian of the change of units)."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(30, 1))
    y = 0.5 * x[:, 0] + 0.3 * rng.normal(size=30)
    bnn = bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=())))
    method = bp.SMC(particles=100, mcmc_steps=2, num_leapfrog=3)
    a = bp.fit(bnn, x, y, method, seed=0)
    b = bp.fit(bnn, x, 500.0 + 100.0 * y, method, seed=0)
    expected = float(a.stats["log_evidence"]) - 30 * np.log(100.0)
    assert float(b.stats["log_evidence"]) == pytest.approx(expected, abs=0.02)


def test_a_fixed_noise_keeps_the_target_in_its_units_and_warns_when_far_from_unit():
    x, y = raw_data(30)
    spec = bp.ModelSpec(network=bp.MLP(hidden=(3,)), likelihood=bp.Gaussian(noise=10.0))
    message = (
        "y: has mean 506 and sd 67.6, and is not standardised because the likelihood's noise is fixed "
        "(10.0, in y's units): far from the unit scale the priors assume. Learn the noise (give no "
        "noise) to have y standardised, or rescale y yourself."
    )
    with pytest.warns(UserWarning, match=f"^{re.escape(message)}$"):
        post = bp.fit(bp.BNN(spec), x, y, bp.SVI(steps=5, draws=4))
    assert (post.scaling.y_loc, post.scaling.y_scale) == (0.0, 1.0)
    assert post.scaling.x_scale[0] == pytest.approx(x[:, 0].std())  # the inputs are still scaled
