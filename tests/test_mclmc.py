"""MCLMC (BlackJAX's microcanonical Langevin Monte Carlo, unadjusted and adjusted) as a method:
its posterior on the conjugate linear model, its statistics, its config's errors."""

import numpy as np
import pytest

import bnnppl as bp
from linear_model import LINEAR, assert_matches_closed_form, linear_data


@pytest.mark.slow
@pytest.mark.parametrize("adjusted", [False, True], ids=["unadjusted", "adjusted"])
def test_mclmc_matches_the_closed_form_posterior(adjusted):
    """4 chains x 800 draws from a 4-member MAP ensemble: means within 0.1 posterior sd, sds within
    10 %, correlations within 0.08 (as for NUTS; the unadjusted sampler's bias is far smaller here)."""
    x, y = linear_data(30)
    method = bp.MCLMC(chains=4, warmup=400, samples=800, adjusted=adjusted, init_steps=300)
    post = bp.fit(LINEAR, x, y, method, seed=0, progress=False, scale=False)
    assert_matches_closed_form(post, x, y)
    assert post.samples["net.Dense_0.kernel"].shape == (4, 800, 2, 1)
    per_draw = {"log_density", "adapt_state.step_size", "L"}
    per_draw |= {"accept_prob", "diverging", "num_steps"} if adjusted else {"energy_change"}
    assert set(post.stats) == per_draw | {"ensemble_holdout_loglik", "ensemble_best_step"}
    assert all(post.stats[k].shape == (4, 800) for k in per_draw)
    assert post.members["net.Dense_0.kernel"].shape == (4, 2, 1)
    if adjusted:
        assert 0.8 < post.stats["accept_prob"].mean() < 1.0  # tuned towards 0.9
        assert int(post.stats["diverging"].sum()) == 0


@pytest.mark.slow
def test_mclmc_thins_and_round_trips_through_save_and_load(tmp_path):
    x, y = linear_data(20)
    method = bp.MCLMC(chains=2, warmup=50, samples=20, thinning=4, init="map", init_steps=50)
    post = bp.fit(LINEAR, x, y, method, seed=3, progress=False, scale=False)
    assert post.samples["net.Dense_0.bias"].shape == (2, 20, 1)  # 80 steps, every 4th kept
    assert post.members == {}  # only init="ensemble" keeps members
    again = bp.load(post.save(tmp_path / "post"))
    assert again.method == method
    np.testing.assert_array_equal(again.samples["net.Dense_0.bias"], post.samples["net.Dense_0.bias"])
    assert post.diagnostics().divergences == 0
    with pytest.warns(UserWarning, match="Pareto"):  # 40 draws are few for PSIS; it says so
        assert np.isfinite(post.loo().elpd)  # an MCMC method: PSIS-LOO applies
    same = bp.fit(LINEAR, x, y, method, seed=3, progress=False, scale=False)
    np.testing.assert_array_equal(same.samples["net.Dense_0.bias"], post.samples["net.Dense_0.bias"])


def test_mclmc_round_trips_through_a_dict():
    method = bp.MCLMC(chains=8, adjusted=True, target_accept=0.8, init_holdout=0.1)
    assert bp.method_from_dict(method.to_dict()) == method
    assert method.to_dict()["method"] == "mclmc"


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"target_accept": 0.8}, ValueError, "MCLMC.target_accept: is only used by adjusted=True, got 0.8."),
        (
            {"adjusted": True, "target_accept": 1.0},
            ValueError,
            "MCLMC.target_accept: must be in (0, 1), got 1.0.",
        ),
        ({"adjusted": "yes"}, TypeError, "MCLMC.adjusted: must be true or false, got 'yes'."),
        (
            {"diagonal_preconditioning": 1},
            TypeError,
            "MCLMC.diagonal_preconditioning: must be true or false, got 1.",
        ),
        ({"warmup": 5}, ValueError, "MCLMC.warmup: must be >= 10, got 5."),
        ({"chains": 0}, ValueError, "MCLMC.chains: must be >= 1, got 0."),
        ({"thinning": 0}, ValueError, "MCLMC.thinning: must be >= 1, got 0."),
        (
            {"init": "median"},
            ValueError,
            "MCLMC.init: unknown init strategy 'median'. Allowed: 'ensemble', 'map', 'prior', 'uniform'.",
        ),
        (
            {"init": "map", "init_holdout": 0.2},
            ValueError,
            "MCLMC.init_holdout: is only used by init='ensemble' (it holds rows out of the members' MAP fits), got 0.2 with init='map'.",
        ),
        ({"init_holdout": 1.0}, ValueError, "MCLMC.init_holdout: must be in [0, 1), got 1.0."),
        ({"init_steps": 0}, ValueError, "MCLMC.init_steps: must be >= 1, got 0."),
    ],
)
def test_every_bad_mclmc_option_has_its_own_message(options, error, message):
    with pytest.raises(error) as info:
        bp.MCLMC(**options)
    assert str(info.value) == message
