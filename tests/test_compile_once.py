"""Fits compile once: a second fit of the same model, method and data shapes, with new data values
and a new seed, runs the programs the first one compiled. Counted through JAX's monitoring events:
every in-memory cache miss lowers a program to MLIR (``/jax/core/compile/jaxpr_to_mlir_module_duration``)
before the persistent cache is asked, so a count of 0 means nothing was compiled or loaded."""

import jax
import numpy as np
import pytest
from numpyro import infer as ni

import bnnppl as bp
from bnnppl import _programs
from bnnppl.datasets import sine_regression
from compile_events import COMPILE, EVENTS, LOWER, TRACE

SPEC = bp.ModelSpec(network=bp.MLP(hidden=(4,)), likelihood=bp.Gaussian())
METHODS = [
    bp.NUTS(chains=2, warmup=20, samples=10, init="map", init_steps=50),
    bp.NUTS(chains=4, warmup=20, samples=10),  # two chains per device, one after the other (lax.map)
    bp.HMC(step_size=0.05, num_steps=4, chains=2, warmup=20, samples=10),
    bp.SVI(steps=50, draws=10),
    bp.SVI(steps=50, draws=10, guide="low_rank", rank=2),
    bp.Langevin(burnin=20, samples=5, thinning=2, init_steps=50),
    bp.SGLD(burnin=20, samples=5, init_steps=50, batch_size=8),
    bp.SGHMC(burnin=10, samples=5, init_steps=50, batch_size=8, num_integration_steps=5),
    bp.NUTS(chains=2, warmup=20, samples=10, init="ensemble", init_steps=50, init_holdout=0.25),
    bp.MCLMC(chains=2, warmup=20, samples=10, init_steps=50),
    bp.MCLMC(chains=3, warmup=20, samples=10, adjusted=True, init="map", init_steps=50),
    # SMC: a Python loop over its stages, each a call of the same cached stage program
    bp.SMC(particles=32, mcmc_steps=2, num_leapfrog=3),
    bp.SMC(schedule="data", batch=4, particles=32, mcmc_steps=2, num_leapfrog=3),
    bp.SMC(kernel="langevin", particles=32, mcmc_steps=2),
]


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS, ids=lambda m: repr(m)[:40])
def test_a_second_fit_of_the_same_shapes_compiles_nothing(method):
    x, y = sine_regression(n=24, seed=0)
    bnn = bp.BNN(SPEC)
    first = bp.fit(bnn, x, y, method, seed=0, progress=False)
    x2, y2 = sine_regression(n=24, seed=1)
    seen = EVENTS.count(lambda: bp.fit(bnn, x2, y2, method, seed=1, progress=False))
    assert seen == {TRACE: 0, LOWER: 0, COMPILE: 0}
    # a new BNN of an equal spec reuses them too; only its parameter shapes are traced (no compile)
    seen = EVENTS.count(lambda: bp.fit(bp.BNN(SPEC), x2, y2, method, seed=2, progress=False))
    assert seen == {TRACE: 1, LOWER: 0, COMPILE: 0}
    second = bp.fit(bnn, x2, y2, method, seed=1, progress=False)
    assert not np.array_equal(first.samples["net.Dense_0.kernel"], second.samples["net.Dense_0.kernel"])


@pytest.mark.slow
@pytest.mark.parametrize("method", [METHODS[i] for i in (0, 3, 5, 6, 8, 9, 11, 12)], ids=lambda m: repr(m)[:30])
def test_a_reused_program_gives_what_a_fresh_one_gives(method):
    """No value of the first fit stays in a program the second reuses: its draws equal the same fit
    made after every cache was cleared. The first layer is deterministic, so its values (a MAP fit
    of each fit's data) are arguments too; the sampled layer and the noise go through the same
    programs as in a network with no deterministic layer (each case clears every cache and
    compiles afresh, so that plain variant is left out to save suite time)."""
    spec = bp.ModelSpec(network=bp.MLP(hidden=(4,)), likelihood=bp.Gaussian(), deterministic=("Dense_0",))
    x, y = sine_regression(n=24, seed=0)
    x2, y2 = sine_regression(n=24, seed=1)
    first = bp.fit(bp.BNN(spec), x, y, method, seed=0, progress=False)
    reused = bp.fit(bp.BNN(spec), x2, y2, method, seed=1, progress=False)
    _programs.clear()
    jax.clear_caches()
    fresh = bp.fit(bp.BNN(spec), x2, y2, method, seed=1, progress=False)
    for part in ("samples", "stats", "fixed"):  # SMC's stages (stats) too
        ours, theirs = getattr(reused, part), getattr(fresh, part)
        assert set(ours) == set(theirs)
        for name, value in theirs.items():
            np.testing.assert_allclose(ours[name], value, rtol=1e-5, atol=1e-6, err_msg=f"{part}[{name!r}]")
    for name, value in fresh.fixed.items():
        assert not np.allclose(first.fixed[name], value)  # each fit's own deterministic layers


def test_other_shapes_compile_new_programs_and_predictions_are_reused():
    x, y = sine_regression(n=24, seed=0)
    method = bp.SVI(steps=20, draws=5)
    post = bp.fit(bp.BNN(SPEC), x, y, method, progress=False)
    bp.predict(post, x)
    seen = EVENTS.count(lambda: bp.predict(post, x + 1.0, seed=3))
    assert seen[LOWER] == 0
    x30, y30 = sine_regression(n=30, seed=0)
    seen = EVENTS.count(lambda: bp.fit(bp.BNN(SPEC), x30, y30, method, progress=False))
    assert seen[LOWER] > 0


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["nuts", "nuts_thinned", "hmc"])
def test_the_chains_follow_numpyros_own_mcmc_for_the_same_seed(kind):
    """Same kernel, same keys (``split(key, chains)`` after the fit's own split): NumPyro's ``MCMC``
    with a chain per device. The data enter the program as arguments, not constants, so float32
    rounding differs (draws 1e-5 apart here); a longer NUTS run drifts apart once a rounding
    difference flips a U-turn or acceptance decision, as two runs on different hardware would."""
    x, y = sine_regression(n=24, seed=0)
    bnn = bp.BNN(SPEC)
    if kind == "nuts":
        method, kernel = bp.NUTS(chains=2, warmup=5, samples=10), ni.NUTS(bnn.model)
    elif kind == "nuts_thinned":  # NumPyro keeps the last of each block, blocks aligned to the end
        method, kernel = bp.NUTS(chains=2, warmup=5, samples=9, thinning=2), ni.NUTS(bnn.model)
    else:
        method = bp.HMC(step_size=0.05, num_steps=4, chains=2, warmup=30, samples=30)
        kernel = ni.HMC(bnn.model, step_size=0.05, num_steps=4, trajectory_length=None, adapt_step_size=False,
                        adapt_mass_matrix=False)  # bnnppl's HMC adapts nothing unless adapt=True
    post = bp.fit(bnn, x, y, method, seed=5, progress=False, scale=False)
    mcmc = ni.MCMC(kernel, num_warmup=method.warmup, num_samples=method.samples, num_chains=2,
                   thinning=method.thinning, progress_bar=False)
    mcmc.run(jax.random.split(jax.random.key(5))[1], x, y, extra_fields=("num_steps",))
    theirs = mcmc.get_samples(group_by_chain=True)
    for name, ours in post.samples.items():
        np.testing.assert_allclose(ours, np.asarray(theirs[name]), atol=1e-4, rtol=1e-4)
    assert post.num_draws == method.samples // method.thinning
    np.testing.assert_array_equal(post.stats["num_steps"], mcmc.get_extra_fields(group_by_chain=True)["num_steps"])


@pytest.mark.slow
def test_more_chains_than_devices_run_vectorised_without_a_warning(recwarn):
    x, y = sine_regression(n=24, seed=0)
    post = bp.fit(bp.BNN(SPEC), x, y, bp.NUTS(chains=3, warmup=20, samples=10), progress=False)
    assert post.num_chains == 3 and post.samples["net.Dense_0.kernel"].shape == (3, 10, 1, 4)
    assert post.stats["diverging"].shape == (3, 10)
    first = post.samples["net.Dense_0.bias"][:, 0]
    assert len({tuple(np.round(row, 5)) for row in first}) == 3  # three different chains
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


def test_the_program_cache_keeps_the_most_recent(monkeypatch):
    monkeypatch.setattr(_programs, "LIMIT", 2)
    monkeypatch.setattr(_programs, "_cache", type(_programs._cache)())
    built = []
    for key in ("a", "b", "a", "c", "a", "b"):
        _programs.get(key, lambda key=key: built.append(key) or key)
    assert built == ["a", "b", "c", "b"]  # "b" was the least recently used when "c" came
    assert _programs.size() == 2
