"""Posterior: ArviZ conversion, summary, diagnostics, save/load, LOO and comparison."""

import json
import re
import warnings

import numpy as np
import pytest
from flax import linen

import bnnppl as bp
from bnnppl.datasets import sine_regression
from bnnppl.results.posterior import compare, load, save
from bnnppl.results.prediction import network_draws

pytestmark = pytest.mark.slow

SPEC = bp.ModelSpec(network=bp.MLP(hidden=(5,)), likelihood=bp.Gaussian(noise_prior=bp.ScalePrior(scale=0.5)))


@pytest.fixture(scope="module")
def data():
    return sine_regression(n=30, seed=0)


@pytest.fixture(scope="module")
def nuts(data):
    return bp.fit(bp.BNN(SPEC), *data, bp.NUTS(chains=2, warmup=150, samples=100), seed=0)


@pytest.fixture(scope="module")
def svi(data):
    return bp.fit(bp.BNN(SPEC), *data, bp.SVI(steps=500, draws=50), seed=0)


def test_to_arviz_groups_and_shapes(nuts):
    dt = nuts.to_arviz()
    assert sorted(dt.children) == [
        "constant_data", "log_likelihood", "observed_data", "posterior", "posterior_predictive", "prior",
        "prior_predictive", "sample_stats",
    ]  # fmt: skip
    post = dt.posterior
    assert post["net.Dense_0.kernel"].shape == (2, 100, 1, 5)
    assert post["net.Dense_0.kernel"].dims == ("chain", "draw", "input", "hidden_0")
    assert post["net.Dense_0.bias"].dims == ("chain", "draw", "hidden_0")
    assert post["net.Dense_1.kernel"].dims == ("chain", "draw", "hidden_0", "output")
    assert dt.posterior_predictive["obs"].dims == ("chain", "draw", "point")
    assert dt.posterior_predictive["obs"].shape == (2, 100, 30)
    np.testing.assert_array_equal(dt.constant_data["x"], nuts.x)
    assert dt.constant_data["x"].dims == ("point", "input")
    assert post["f"].dims == ("chain", "draw", "point", "output") and post["f"].shape == (2, 100, 30, 1)
    assert dt.log_likelihood["obs"].shape == (2, 100, 30)
    assert sorted(dt.sample_stats.data_vars) == [
        "acceptance_rate", "diverging", "energy", "n_steps", "step_size", "tree_depth",
    ]  # fmt: skip
    np.testing.assert_array_equal(dt.observed_data["obs"], nuts.y)


def test_posterior_predictive_draws_the_likelihood_around_f(nuts):
    """Each predictive draw is f + sigma * noise in y's units: standardised residuals are N(0, 1)."""
    dt = nuts.to_arviz(seed=3)
    f = dt.posterior["f"].values[..., 0]
    sigma = nuts.scaling.y_scale * dt.posterior["sigma"].values[..., None]
    z = (dt.posterior_predictive["obs"].values - f) / sigma  # 6000 values
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.05  # about 4 and 5 standard errors
    again = nuts.to_arviz(seed=3).posterior_predictive["obs"].values
    np.testing.assert_array_equal(again, dt.posterior_predictive["obs"].values)  # the seed decides


def test_prior_groups_are_forward_draws_of_the_model(nuts):
    """As many prior draws as posterior draws, in one chain: the weights' Normal(0, 1) in the
    model's units (1000 values per kernel: mean within 0.1, sd within 0.1 of 1), ``f`` and ``obs``
    in y's units."""
    dt = nuts.to_arviz(seed=1)
    kernel = dt.prior["net.Dense_1.kernel"]
    assert kernel.dims == ("chain", "draw", "hidden_0", "output") and kernel.shape == (1, 200, 5, 1)
    values = np.concatenate([dt.prior["net.Dense_0.kernel"].values.ravel(), kernel.values.ravel()])
    assert abs(values.mean()) < 0.1 and abs(values.std() - 1) < 0.1
    assert dt.prior_predictive["obs"].shape == (1, 200, 30) and dt.prior["f"].shape == (1, 200, 30, 1)
    f, loc, scale = dt.prior["f"].values[..., 0], nuts.scaling.y_loc, nuts.scaling.y_scale
    assert abs(np.median(f) - loc) < 0.5 * scale  # centred on y's mean, in y's units
    assert "prior" not in nuts.to_arviz(prior=False).children


def test_prior_of_a_heteroscedastic_model_speaks_the_data_units():
    """Targets around 500 with sd 100 (scaled): each prior-predictive draw is f's mean output plus
    exp(f's log-scale output) times N(0, 1), once both outputs are in y's units (4000 values:
    the standardised residuals' mean within 0.1 and sd within 0.1 of 1)."""
    x = np.linspace(-1, 1, 40, dtype=np.float32)[:, None]
    y = (500 + 100 * np.sin(3 * x[:, 0])).astype(np.float32)
    spec = bp.ModelSpec(network=bp.MLP(hidden=(4,)), likelihood=bp.HeteroscedasticGaussian())
    post = bp.fit(bp.BNN(spec), x, y, bp.SVI(steps=50, draws=100), seed=0)
    dt = post.to_arviz(function=False, log_likelihood=False, predictive=False, seed=2)
    f = dt.prior["f"].values
    z = (dt.prior_predictive["obs"].values - f[..., 0]) / np.exp(f[..., 1])
    assert abs(z.mean()) < 0.1 and abs(z.std() - 1) < 0.1


def test_arviz_functions_read_the_tree_as_it_is(nuts):
    import arviz as az

    dt = nuts.to_arviz()
    pit = az.loo_pit(dt)
    assert pit["obs"].shape == (30,) and ((pit["obs"] >= 0) & (pit["obs"] <= 1)).all()
    for plot in (az.plot_ppc_dist, az.plot_forest, az.plot_trace_dist):
        assert plot(dt, backend="none") is not None
    assert az.plot_ppc_dist(dt, group="prior_predictive", backend="none") is not None


def test_log_likelihood_group_is_the_gaussian_density(nuts):
    """log N(y | f, sigma) per draw and point, computed by hand from the same draws: ``f`` and the
    log-likelihood in y's units, the samples (``sigma``) in the model's standardised ones."""
    import scipy.stats

    dt = nuts.to_arviz()
    f = dt.posterior["f"].values[..., 0]
    sigma = nuts.scaling.y_scale * dt.posterior["sigma"].values[..., None]
    expected = scipy.stats.norm(f, sigma).logpdf(nuts.y)
    np.testing.assert_allclose(dt.log_likelihood["obs"].values, expected, rtol=1e-4, atol=1e-4)


def test_svi_posterior_is_one_chain_with_losses_and_no_sample_stats(svi):
    dt = svi.to_arviz()
    assert dt.posterior["net.Dense_0.kernel"].shape == (1, 50, 1, 5)
    assert "sample_stats" not in dt.children
    assert svi.stats["loss"].shape == (500,)


def test_summary_columns_and_rows(nuts):
    table = nuts.summary()
    assert list(table.columns) == [
        "mean", "sd", "eti89_lb", "eti89_ub", "ess_bulk", "ess_tail", "r_hat", "mcse_mean", "mcse_sd",
    ]  # fmt: skip
    assert len(table) == 5 + 5 + 5 + 1 + 1  # kernel, bias, kernel, bias, sigma; f is not a parameter
    assert "net.Dense_0.kernel[0, 0]" in table.index


def test_diagnostics_are_arviz_numbers_in_both_spaces(nuts):
    import arviz as az

    d = nuts.diagnostics()
    dt = nuts.to_arviz()
    params = dt.posterior.to_dataset().drop_vars("f")
    assert d.divergences == int(nuts.stats["diverging"].sum())
    # bnnppl computes them vectorised (bnnppl.results.modes.rhat_ess): ArviZ's to float rounding
    same = {"rel": 1e-6}
    assert d.max_rhat == pytest.approx(max(float(v.max()) for v in az.rhat(params).data_vars.values()), **same)
    assert d.min_ess_bulk == pytest.approx(min(float(v.min()) for v in az.ess(params).data_vars.values()), **same)
    assert d.function_max_rhat == pytest.approx(float(az.rhat(dt.posterior.to_dataset()[["f"]])["f"].max()), **same)
    assert d.function_min_ess_bulk == pytest.approx(float(az.ess(dt.posterior.to_dataset()[["f"]])["f"].min()), **same)


def test_diagnostics_warnings_in_plain_words(nuts):
    d = nuts.diagnostics()
    assert d.modes == ((0, 1),) and len(d.chain_function_max_rhat) == len(d.chain_function_min_ess_bulk) == 2
    # each chain mixed within itself, both in one mode (tests/test_diagnostics_modes.py: the other cases)
    d = d._replace(chain_function_max_rhat=(1.0, 1.0), chain_function_min_ess_bulk=(500.0, 500.0))
    assert d.sampler == "nuts" and d.max_tree_depth == nuts.method.max_tree_depth
    # tails, tree depth, E-BFMI and Pareto k of this short fit: tests/test_diagnostics_sampler.py
    with pytest.warns(UserWarning, match="Estimated shape parameter of Pareto"):  # ArviZ's, on its own
        elpd = float(nuts.loo().elpd)
    assert d.loo_points == len(nuts.y) and d.loo_elpd == pytest.approx(elpd)
    d = d._replace(
        min_ess_tail=1000.0,
        function_min_ess_tail=1000.0,
        depth_limit_share=0.0,
        min_bfmi=1.0,
        pareto_k_high=0,
    )
    warnings = d._replace(
        max_rhat=1.05, min_ess_bulk=120.0, function_max_rhat=1.05, function_min_ess_bulk=1000.0, divergences=3
    ).warnings()
    assert warnings == [
        "r-hat up to 1.050 (> 1.01): chains disagree; run longer.",
        "bulk ESS down to 120 (< 400): too few effective draws.",
        "3 divergent transition(s): the sampler hit regions it cannot follow; raise target_accept or "
        "reparameterise.",
    ]
    fine = dict(max_rhat=1.0, min_ess_bulk=1000.0, function_max_rhat=1.0, function_min_ess_bulk=1000.0)
    assert d._replace(**fine, divergences=0).warnings() == []


def test_save_load_round_trip_predicts_exactly_the_same(nuts, tmp_path):
    folder = nuts.save(tmp_path / "fit")
    assert sorted(p.name for p in folder.iterdir()) == [
        "arrays.npz", "manifest.json", "meta.json", "method.yaml", "model.yaml", "posterior.nc",
    ]  # fmt: skip
    manifest = json.loads((folder / "manifest.json").read_text())
    assert sorted(manifest["files"]) == ["arrays.npz", "meta.json", "method.yaml", "model.yaml", "posterior.nc"]
    assert manifest["files"]["posterior.nc"]["bytes"] == (folder / "posterior.nc").stat().st_size
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["n_points"] == 30 and meta["n_features"] == 1 and meta["chains"] == 2 and meta["draws"] == 100
    assert set(meta["versions"]) == {"bnnppl", "jax", "numpyro", "flax", "arviz"}
    back = load(folder)
    assert back.bnn.spec == SPEC and back.method == nuts.method and back.seed == nuts.seed
    for name, value in nuts.samples.items():
        np.testing.assert_array_equal(back.samples[name], value)
        assert back.samples[name].dtype == value.dtype
    for name, value in nuts.stats.items():
        np.testing.assert_array_equal(back.stats[name], value)
    grid = np.linspace(-1, 1, 17, dtype=np.float32)[:, None]
    a, b = bp.predict(nuts, grid, seed=1), bp.predict(back, grid, seed=1)
    np.testing.assert_array_equal(a.mean, b.mean)
    np.testing.assert_array_equal(a.y, b.y)


def test_saved_posterior_nc_is_the_whole_arviz_tree(nuts, tmp_path):
    """posterior.nc is to_arviz()'s tree, every group, read back by ArviZ alone; loading takes the
    weights and noise from it and draws f again."""
    import arviz as az

    folder = nuts.save(tmp_path / "fit")
    saved, tree = az.from_netcdf(folder / "posterior.nc"), nuts.to_arviz()
    groups = ["constant_data", "log_likelihood", "observed_data", "posterior", "posterior_predictive",
              "prior", "prior_predictive", "sample_stats"]  # fmt: skip
    assert sorted(saved.children) == sorted(tree.children) == groups
    for group in groups:
        a, b = saved[group].to_dataset(), tree[group].to_dataset()
        assert sorted(a.data_vars) == sorted(b.data_vars), group
        for name in a.data_vars:
            assert a[name].dims == b[name].dims, (group, name)
            np.testing.assert_array_equal(a[name].values, b[name].values)
    assert saved.posterior["f"].dims == ("chain", "draw", "point", "output")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Pareto k > 0.7 on 100 draws of 30 points
        assert az.loo(saved).elpd == pytest.approx(az.loo(tree).elpd)
    assert "f" not in load(folder).samples
    f = network_draws(nuts, nuts.x).reshape(2, 100, 30, 1)
    np.testing.assert_allclose(saved.posterior["f"].values, f, rtol=1e-6)  # f without the predictive too
    np.testing.assert_allclose(nuts.to_arviz(predictive=False).posterior["f"].values, f, rtol=1e-6)
    small = nuts.save(tmp_path / "small", pointwise=False)
    saved = az.from_netcdf(small / "posterior.nc")
    assert sorted(saved.children) == ["constant_data", "observed_data", "posterior", "sample_stats"]
    assert "f" not in saved.posterior and json.loads((small / "meta.json").read_text())["pointwise"] is False
    back = load(small)
    for name, value in nuts.samples.items():
        np.testing.assert_array_equal(back.samples[name], value)
    with pytest.raises(TypeError, match=re.escape("pointwise: must be True or False, got 'no'.")):
        nuts.save(tmp_path / "bad", pointwise="no")
    assert not (tmp_path / "bad").exists()


def test_save_never_overwrites_silently_and_leaves_no_temporary_files(nuts, svi, tmp_path):
    folder = save(nuts, tmp_path / "fit")
    with pytest.raises(
        FileExistsError,
        match=re.escape(f"path: {str(folder)!r} exists; choose a new folder or pass overwrite=True."),
    ):
        save(svi, folder)
    assert load(folder).num_chains == 2  # untouched
    save(svi, folder, overwrite=True)
    assert load(folder).num_chains == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fit"]


def test_overwrite_replaces_only_a_posterior_folder_bnnppl_saved(nuts, svi, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("a user's own file")
    message = (
        f"path: {str(mine)!r} is not a posterior folder bnnppl saved (it holds notes.txt); "
        "overwrite=True replaces only such a folder. Choose another path."
    )
    with pytest.raises(FileExistsError, match=re.escape(message)):
        save(nuts, mine, overwrite=True)
    assert (mine / "notes.txt").read_text() == "a user's own file"  # nothing deleted
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileExistsError, match=re.escape(
        f"path: {str(empty)!r} is not a posterior folder bnnppl saved (it lacks arrays.npz, "
        "meta.json, method.yaml, model.yaml, posterior.nc)"
    )):  # fmt: skip
        save(nuts, empty, overwrite=True)
    a_file = tmp_path / "fit.txt"
    a_file.write_text("keep me")
    with pytest.raises(FileExistsError, match=re.escape(
        f"path: {str(a_file)!r} is a file, not a saved posterior; bnnppl replaces only a posterior "
        "folder it saved. Choose another path."
    )):  # fmt: skip
        save(nuts, a_file, overwrite=True)
    assert a_file.read_text() == "keep me"
    # a posterior folder with a user's file added is not bnnppl's alone any more
    folder = save(nuts, tmp_path / "fit")
    (folder / "plot.png").write_bytes(b"png")
    with pytest.raises(FileExistsError, match=re.escape("(it holds plot.png)")):
        save(svi, folder, overwrite=True)
    (folder / "plot.png").unlink()
    # a folder saved before manifests (the five files, nothing else) may still be replaced
    (folder / "manifest.json").unlink()
    save(svi, folder, overwrite=True)
    assert load(folder).num_chains == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "fit", "fit.txt", "mine"]


def test_load_names_a_damaged_file(nuts, tmp_path):
    folder = save(nuts, tmp_path / "fit")
    nc = folder / "posterior.nc"
    size = nc.stat().st_size
    with nc.open("r+b") as f:
        f.truncate(size // 2)
    message = (
        f"path: posterior.nc in {str(folder)!r} is damaged ({size // 2} bytes, {size} saved: "
        "truncated?); re-save the posterior or restore it."
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        load(folder)
    folder = save(nuts, tmp_path / "fit2")
    raw = bytearray((folder / "arrays.npz").read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # same size, one byte flipped
    (folder / "arrays.npz").write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=re.escape(
        f"path: arrays.npz in {str(folder)!r} is damaged (its checksum differs from the saved one); "
        "re-save the posterior or restore it."
    )):  # fmt: skip
        load(folder)
    (folder / "manifest.json").write_text("{not json")
    with pytest.raises(ValueError, match=re.escape(
        f"path: manifest.json in {str(folder)!r} is damaged; re-save the posterior or restore it."
    )):  # fmt: skip
        load(folder)


def test_save_load_keeps_deterministic_layers(data, tmp_path):
    spec = bp.ModelSpec(
        network=bp.MLP(hidden=(5,)), deterministic=("Dense_0",), likelihood=bp.Gaussian(noise=0.1)
    )
    post = bp.fit(bp.BNN(spec), *data, bp.SVI(steps=300, draws=20), seed=0)
    assert sorted(post.fixed) == ["Dense_0.bias", "Dense_0.kernel"]
    back = load(post.save(tmp_path / "det"))
    np.testing.assert_array_equal(back.fixed["Dense_0.kernel"], post.fixed["Dense_0.kernel"])
    np.testing.assert_array_equal(bp.predict(back, data[0]).mean, bp.predict(post, data[0]).mean)


class Net(linen.Module):
    @linen.compact
    def __call__(self, x):
        return linen.Dense(1)(linen.tanh(linen.Dense(3)(x)))


def test_user_module_posterior_needs_the_model_on_load(data, tmp_path):
    bnn = bp.BNN.from_module(Net(), prior=bp.Prior(), likelihood=bp.Gaussian(noise=0.1))
    folder = bp.fit(bnn, *data, bp.SVI(steps=100, draws=10)).save(tmp_path / "own")
    message = (
        "bnn: this posterior was fitted with your own flax module ('Net'), which a spec cannot describe; "
        "pass the same model: load(path, bnn=BNN.from_module(module, prior=..., likelihood=...))."
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        load(folder)
    assert load(folder, bnn=bnn).samples["net.Dense_1.kernel"].shape == (
        1,
        10,
        1,
        3,
    )  # Dense_1: the input layer
    other = bp.BNN.from_module(linen.Dense(1), prior=bp.Prior(), likelihood=bp.Gaussian(noise=0.1))
    with pytest.raises(ValueError, match=re.escape(
        "bnn: does not match the saved posterior: site 'net.Dense_0.bias' has shape (1,) in the file "
        "but no such parameter in this model."
    )):  # fmt: skip
        load(folder, bnn=other)


def test_load_rejects_a_folder_that_is_not_a_posterior(tmp_path):
    (tmp_path / "meta.json").write_text("{}")
    message = (
        f"path: {str(tmp_path)!r} is not a saved bnnppl posterior (missing model.yaml, method.yaml, "
        "posterior.nc, arrays.npz)."
    )
    with pytest.raises(FileNotFoundError, match=re.escape(message)):
        load(tmp_path)


def test_loo_and_compare(nuts, data):
    wide = bp.fit(
        bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(5,)), likelihood=bp.Gaussian(noise=1.0))),
        *data,
        bp.NUTS(chains=2, warmup=150, samples=100),
        seed=0,
    )
    with warnings.catch_warnings():  # with 200 draws PSIS may flag hard points; not under test here
        warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto")
        loo = nuts.loo()
        table = compare({"learned noise": nuts, "noise 1.0": wide})
    assert loo.n_data_points == 30 and np.isfinite(loo.elpd)
    assert list(table.index) == ["learned noise", "noise 1.0"]  # noise 1.0 is far too wide for sd 0.1
    assert table["elpd"].iloc[0] > table["elpd"].iloc[1]


def test_loo_and_compare_reject_svi(svi, nuts):
    with pytest.raises(
        ValueError,
        match=re.escape(
            "method: PSIS-LOO needs an MCMC posterior (NUTS, HMC, Langevin, SGLD or SGHMC), got SVI."
        ),
    ):
        svi.loo()
    with pytest.raises(
        ValueError,
        match=re.escape("posteriors['b']: must be an MCMC Posterior (NUTS, HMC, Langevin, SGLD or SGHMC)."),
    ):
        compare({"a": nuts, "b": svi})
    with pytest.raises(ValueError, match=re.escape("posteriors: compare needs at least two, got 1.")):
        compare({"a": nuts})


def test_a_stuck_chain_reports_infinite_rhat_without_crashing(nuts):
    """Chains that never move: no within-chain variance, so ArviZ divides by zero; the r-hat is
    not finite, and the warning says the chains have not mixed (their split r-hat is NaN)."""
    import dataclasses

    stuck = {k: v.copy() for k, v in nuts.samples.items()}
    for v in stuck.values():
        v[:] = v[:, :1]  # each chain repeats its first draw
    post = dataclasses.replace(nuts, samples=stuck)
    d = post.diagnostics()
    assert not np.isfinite(d.max_rhat) and not np.isfinite(d.function_max_rhat)
    assert d.warnings()[0] == (
        "chains 0 and 1 have not mixed within themselves (split r-hat of f up to nan, want <= 1.1): run longer."
    )
    assert d.loo_points == 0 and (  # every draw alike: PSIS cannot fit a tail, and says so
        f"PSIS-LOO could not be computed ({d.loo_error}): too few or too similar draws." in d.warnings()
    )
    assert len(post.summary()) == 17


def test_nan_diagnostics_warn(nuts):
    nan = float("nan")
    d = nuts.diagnostics()._replace(
        max_rhat=nan, min_ess_bulk=nan, divergences=0, depth_limit_share=0.0, min_bfmi=1.0, pareto_k_high=0
    )
    no_f = d._replace(chain_function_max_rhat=(), chain_function_min_ess_bulk=(), modes=())
    assert no_f.warnings() == [  # no per-chain numbers of f: the parameters' alone
        "r-hat up to nan (> 1.01): chains disagree; run longer.",
        "bulk ESS down to nan (< 400): too few effective draws.",
    ]
    nan_f = d._replace(function_max_rhat=nan, function_min_ess_bulk=nan)
    nan_f = nan_f._replace(chain_function_max_rhat=(nan, nan), chain_function_min_ess_bulk=(nan, nan))
    assert nan_f.warnings() == [
        "chains 0 and 1 have not mixed within themselves (split r-hat of f up to nan, want <= 1.1; "
        "bulk ESS of f down to nan, want >= 100): run longer.",
        "bulk ESS down to nan (< 400): too few effective draws.",
    ]


def test_select_chains_keeps_those_chains_draws_and_stats_in_order(nuts, svi):
    one = nuts.select_chains(1)
    assert one.num_chains == 1 and one.num_draws == nuts.num_draws
    for name, draws in nuts.samples.items():
        np.testing.assert_array_equal(one.samples[name][0], draws[1])
    np.testing.assert_array_equal(one.stats["diverging"][0], nuts.stats["diverging"][1])
    swapped = nuts.select_chains(1, 0)
    np.testing.assert_array_equal(swapped.samples["sigma"], nuts.samples["sigma"][::-1])
    assert svi.select_chains(0).stats["loss"].shape == svi.stats["loss"].shape  # per step, not per draw
    assert nuts.samples["sigma"].shape[0] == 2  # the original is untouched


@pytest.mark.parametrize("chains", [(), (2,), (-1,), (True,), (0.0,)])
def test_select_chains_rejects_what_is_not_a_chain_number(nuts, chains):
    got = "none" if not chains else repr(chains[0])
    with pytest.raises(
        ValueError, match=re.escape(f"chains: each must be a chain number in 0..1, got {got}.")
    ):
        nuts.select_chains(*chains)


def test_a_run_folder_saved_before_the_subpackages_still_loads_and_predicts_the_same():
    """tests/data/run_before_subpackages: ``bnnppl.run.run`` of the layout before ``spec/``,
    ``model/``, ``results/`` and ``runs/`` (sine, 12 points, SVI with 4 draws, seed 0)."""
    from pathlib import Path

    from bnnppl.runs import open_run

    folder = Path(__file__).parent / "data" / "run_before_subpackages"
    config, post, data = open_run(folder)
    assert (config.inference, config.seed) == (bp.SVI(steps=20, draws=4), 0)
    assert post.samples["net.Dense_0.kernel"].shape == (1, 4, 1, 3)
    assert (data.x.shape, data.x_test.shape) == ((9, 1), (3, 1))
    pred = bp.predict(post, data.x_test, seed=config.seed)
    with np.load(folder / "predictions.npz") as saved:  # float32, saved with other library versions:
        # XLA may round the last bit differently (seen: 1.5e-8 of 0.25 with jax 0.9)
        np.testing.assert_allclose(pred.mean, saved["mean"], rtol=1e-6, atol=0)
        np.testing.assert_allclose(pred.std, saved["std"], rtol=1e-6, atol=0)
    assert load(folder / "posterior").method == post.method
