"""``init="ensemble"``: chains that start from their own members of a MAP ensemble, trained in one
compiled program; the members stay on the posterior."""

import jax
import numpy as np
import pytest

import bnnppl as bp
from bnnppl.datasets import sine_regression
from bnnppl.inference.density import density
from bnnppl.inference.ensemble import map_ensemble
from linear_model import LINEAR, assert_matches_closed_form, closed_form, linear_data

SPEC = bp.ModelSpec(network=bp.MLP(hidden=(4,)), likelihood=bp.Gaussian(noise=0.1))


@pytest.mark.slow
def test_ensemble_started_nuts_matches_the_closed_form_posterior():
    """4 chains x 500 draws: means within 0.1 posterior sd, sds within 10 %, correlations within 0.08."""
    x, y = linear_data(30)
    method = bp.NUTS(chains=4, warmup=300, samples=500, init="ensemble", init_steps=2000)
    post = bp.fit(LINEAR, x, y, method, seed=0, progress=False, scale=False)
    assert_matches_closed_form(post, x, y)
    # the linear model has one mode: every member is the MAP, to Adam's precision
    members = np.column_stack([post.members["net.Dense_0.kernel"][:, :, 0], post.members["net.Dense_0.bias"]])
    np.testing.assert_allclose(members, np.broadcast_to(closed_form(x, y)[0], (4, 3)), atol=0.02)


def test_members_start_apart_and_each_chain_starts_at_its_own():
    """Different prior draws give different MAP fits on a network; the first NUTS step moves from
    there, so after one warmup step each chain is next to its member, not to another."""
    x, y = sine_regression(n=24, seed=0)
    method = bp.NUTS(chains=3, warmup=1, samples=1, init="ensemble", init_steps=200)
    post = bp.fit(bp.BNN(SPEC), x, y, method, seed=1, progress=False)
    members = post.members["net.Dense_1.kernel"].reshape(3, -1)
    assert np.linalg.norm(members[0] - members[1]) > 0.1
    first = post.samples["net.Dense_1.kernel"][:, 0].reshape(3, -1)
    distance = np.linalg.norm(first[:, None] - members[None], axis=-1)  # chain x member
    np.testing.assert_array_equal(distance.argmin(axis=1), [0, 1, 2])


def test_holdout_keeps_each_member_at_its_best_held_out_step():
    """With a hold-out, the kept step maximises the held-out log-likelihood: running the fit for
    exactly that many steps gives the kept member, and no later step of that run did better."""
    x, y = sine_regression(n=40, seed=0)
    bnn = bp.BNN(SPEC)
    d = density(bnn, x, y, init="prior")
    key = jax.random.key(0)
    kept, info = map_ensemble(d, x, y, members=2, steps=300, holdout=0.25, key=key, cache=(bnn.cache_key,))
    assert info["holdout_loglik"].shape == info["best_step"].shape == (2,)
    assert np.all((info["best_step"] >= 1) & (info["best_step"] <= 300))
    assert np.all(np.isfinite(info["holdout_loglik"]))
    last, none = map_ensemble(d, x, y, members=2, steps=300, holdout=0.0, key=key, cache=(bnn.cache_key,))
    np.testing.assert_array_equal(none["best_step"], [300, 300])
    if np.all(info["best_step"] < 300):  # stopped early: the kept positions are not the last ones
        assert not np.allclose(kept["net.Dense_0.kernel"], last["net.Dense_0.kernel"])


@pytest.mark.slow
@pytest.mark.parametrize(
    "method",
    [
        bp.HMC(step_size=0.05, num_steps=4, chains=2, warmup=10, samples=5, init="ensemble", init_steps=50),
        bp.Langevin(chains=2, burnin=10, samples=5, thinning=2, init="ensemble", init_steps=50),
        bp.SGLD(chains=2, burnin=10, samples=5, batch_size=8, init="ensemble", init_steps=50),
        bp.SGHMC(
            chains=2,
            burnin=5,
            samples=5,
            batch_size=8,
            num_integration_steps=3,
            init="ensemble",
            init_steps=50,
        ),
        bp.MCLMC(chains=2, warmup=20, samples=5, init_steps=50, init_holdout=0.25),
    ],
    ids=lambda m: type(m).__name__,
)
def test_every_mcmc_method_starts_from_an_ensemble_and_keeps_it(method, tmp_path):
    x, y = sine_regression(n=24, seed=0)
    post = bp.fit(bp.BNN(SPEC), x, y, method, seed=0, progress=False)
    assert post.members["net.Dense_0.kernel"].shape == (2, 1, 4)
    assert post.stats["ensemble_best_step"].shape == (2,)
    ensemble = post.ensemble()
    assert ensemble.samples["net.Dense_0.kernel"].shape == (1, 2, 1, 4)
    assert bp.predict(ensemble, x[:3]).mean.shape == (3,)
    again = bp.load(post.save(tmp_path / "post"))
    np.testing.assert_array_equal(again.members["net.Dense_0.kernel"], post.members["net.Dense_0.kernel"])
    one = post.select_chains(1)
    np.testing.assert_array_equal(one.members["net.Dense_0.kernel"], post.members["net.Dense_0.kernel"][1:])
    assert one.stats["ensemble_best_step"].shape == (1,)


def test_a_posterior_without_members_says_how_to_get_them():
    x, y = linear_data(10)
    post = bp.Posterior(
        bnn=LINEAR, method=bp.NUTS(), samples={"net.Dense_0.bias": np.zeros((1, 2, 1))}, stats={}, x=x, y=y
    )
    with pytest.raises(ValueError) as info:
        post.ensemble()
    assert str(info.value) == (
        "method: this posterior has no ensemble members (init='uniform'); fit with init='ensemble'."
    )


@pytest.mark.parametrize(
    ("method", "message"),
    [
        (
            bp.NUTS(init="ensemble", init_holdout=0.01),
            "NUTS.init_holdout: 0.01 of 20 rows holds out 0; it must leave at least one row on each side: use a larger fraction, or 0 for no hold-out.",
        ),
        (
            bp.SGLD(init="ensemble", init_holdout=0.99),
            "SGLD.init_holdout: 0.99 of 20 rows holds out 20; it must leave at least one row on each side: use a larger fraction, or 0 for no hold-out.",
        ),
    ],
)
def test_a_holdout_that_leaves_a_side_empty_is_refused_before_anything_is_compiled(method, message):
    """Refused with the data's row count in hand, before the MAP fits (only the network's parameter
    shapes are traced, by the data check)."""
    x, y = linear_data(20)
    traced = []
    jax.monitoring.register_event_duration_secs_listener(lambda name, *a, **k: traced.append(name))
    with pytest.raises(ValueError) as info:
        bp.fit(LINEAR, x, y, method, progress=False)
    assert str(info.value) == message
    assert "/jax/core/compile/jaxpr_to_mlir_module_duration" not in traced


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: bp.NUTS(init_holdout=0.2),
            "NUTS.init_holdout: is only used by init='ensemble' (it holds rows out of the members' MAP fits), got 0.2 with init='uniform'.",
        ),
        (
            lambda: bp.HMC(step_size=0.1, num_steps=3, init="ensemble", init_holdout=-0.1),
            "HMC.init_holdout: must be in [0, 1), got -0.1.",
        ),
        (
            lambda: bp.Langevin(init="ensemble", init_holdout="a"),
            "Langevin.init_holdout: must be a number, got 'a'.",
        ),
        (
            lambda: bp.SGHMC(init="ensembles"),
            "SGHMC.init: unknown init strategy 'ensembles'. Did you mean 'ensemble'? Allowed: 'ensemble', 'map', 'prior', 'uniform'.",
        ),
        (lambda: bp.NUTS(init="ensemble", init_steps=0), "NUTS.init_steps: must be >= 1, got 0."),
    ],
)
def test_every_bad_ensemble_option_has_its_own_message(make, message):
    with pytest.raises((ValueError, TypeError)) as info:
        make()
    assert str(info.value) == message


@pytest.mark.slow
def test_an_ensemble_finds_both_modes_that_one_map_start_misses():
    """A V-shaped target that one softplus unit can follow on one arm only: two modes of f (left
    arm or right arm), each far better than a compromise. Two NUTS chains from one MAP fit stay
    in its mode (with seeds 0 to 4, four of five runs; seed 0 here); eight chains from an 8-member
    ensemble find both (five of five seeds), and the diagnostics say so in place of "run longer"."""
    x = np.repeat([-1.0, 0.0, 1.0], 5).astype(np.float32)[:, None]
    y = np.abs(x[:, 0]) + 0.05 * np.random.default_rng(0).normal(size=15).astype(np.float32)
    spec = bp.ModelSpec(network=bp.MLP(hidden=(1,), activation="softplus"), likelihood=bp.Gaussian(noise=0.1))
    bnn = bp.BNN(spec)
    one = bp.fit(bnn, x, y, bp.NUTS(chains=2, warmup=500, samples=500, init="map"), seed=0, progress=False, scale=False)
    assert one.diagnostics().modes == ((0, 1),)
    method = bp.NUTS(chains=8, warmup=500, samples=500, init="ensemble", init_steps=1000)
    post = bp.fit(bnn, x, y, method, seed=0, progress=False, scale=False)
    d = post.diagnostics()
    assert d.num_modes == 2 and d.unmixed_chains == ()
    ends = np.array([[-1.0], [1.0]], np.float32)
    arm = [np.sign(np.diff(bp.predict(post.select_chains(c), ends).mean)[0]) for c in range(8)]  # +1: right
    assert {tuple(sorted(set(arm[c] for c in mode))) for mode in d.modes} == {(-1.0,), (1.0,)}
    assert d.warnings()[0].startswith(f"the 8 chains found 2 modes of the posterior (chains {d.modes_text()});")
