"""SVI initialisation traced once under ``jax.jit`` (`init_svi`): same state as NumPyro's eager
``svi.init``, no tracer left in the guide, and a fallback to the eager path when tracing fails.

Tolerances: rtol 1e-5 / atol 1e-7, float32 rounding (XLA fuses the traced init's ops; eager runs
them one by one), no more."""

import functools

import jax
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest
from numpyro.infer import Predictive

import bnnppl as bp
from bnnppl.inference import svi as S
from bnnppl.inference import svi_init as SI


def _maker(method, model, calls):
    def make():
        calls.append(1)
        guide = S.make_guide(method, model)
        return guide, numpyro.infer.SVI(model, guide, S.make_optimizer(method), S.make_elbo(method))

    return make


def _same_tree(a, b):
    assert jax.tree.structure(a) == jax.tree.structure(b)
    for u, v in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_allclose(np.asarray(u), np.asarray(v), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("guide", ["normal", "low_rank", "delta"])
@pytest.mark.parametrize("subsample_size", [None, 8])
def test_traced_init_equals_eager_init_and_leaves_no_tracer(xy, guide, subsample_size):
    x, y = xy
    spec = bp.ModelSpec(network=bp.MLP(hidden=(3,)), likelihood=bp.Gaussian())
    bnn = bp.BNN(spec)
    method = bp.SVI(steps=20, guide=guide, subsample_size=subsample_size)
    model = (
        bnn.model if subsample_size is None else functools.partial(bnn.model, subsample_size=subsample_size)
    )
    calls = []
    key = jax.random.key(3)
    guide_t, svi_t, state_t = S.init_svi(_maker(method, model, calls), key, (x, y))
    assert len(calls) == 1  # the traced path held: no fallback
    assert SI._tracers((guide_t.__dict__, svi_t.__dict__)) == {}
    guide_e, svi_e = _maker(method, model, [])()
    state_e = svi_e.init(key, x, y)
    _same_tree(svi_t.get_params(state_t), svi_e.get_params(state_e))
    # the swapped guide keeps working: training steps, the median and posterior draws
    state_t, loss_t = S.run_steps(svi_t, state_t, 20, 10, (x, y), False)
    state_e, loss_e = S.run_steps(svi_e, state_e, 20, 10, (x, y), False)
    np.testing.assert_allclose(loss_t, loss_e, rtol=1e-5, atol=1e-7)
    params_t, params_e = svi_t.get_params(state_t), svi_e.get_params(state_e)
    median_t, median_e = guide_t.median(params_t), guide_e.median(params_e)
    for name in S.latent_sites(guide_e):
        np.testing.assert_allclose(median_t[name], median_e[name], rtol=1e-5, atol=1e-7)
    names = S.latent_sites(guide_e)
    draws_t = Predictive(guide_t, params=params_t, num_samples=4, return_sites=names)(jax.random.key(1), x, y)
    draws_e = Predictive(guide_e, params=params_e, num_samples=4, return_sites=names)(jax.random.key(1), x, y)
    for name in S.latent_sites(guide_e):
        np.testing.assert_allclose(draws_t[name], draws_e[name], rtol=1e-5, atol=1e-7)


def test_init_falls_back_to_the_eager_path_when_the_model_cannot_be_traced(xy):
    x, y = xy

    def model(x, y=None):
        w = numpyro.sample("w", dist.Normal(0.0, 1.0).expand([2]).to_event(1))
        scale = float(np.exp(0.0 * float(x.sum())))  # needs a concrete x: fails under jax.jit
        with numpyro.plate("data", x.shape[0]):
            numpyro.sample("obs", dist.Normal(x @ w, scale), obs=y)

    calls = []
    guide, svi, state = S.init_svi(_maker(bp.SVI(steps=5), model, calls), jax.random.key(0), (x, y))
    assert len(calls) == 2  # traced once, failed, rebuilt and initialised eagerly
    assert SI._tracers((guide.__dict__, svi.__dict__)) == {}
    assert set(svi.get_params(state)) == {"w_auto_loc", "w_auto_scale"}


def test_tracers_are_found_in_containers_partials_and_closures():
    seen = []

    def probe(v):
        hidden = {"a": [1, (v, 2.0)]}
        part = functools.partial(max, v, key=v)

        def closure():
            return v

        seen.append(SI._tracers((hidden, part, closure)))
        return v

    jax.jit(probe)(1.0)
    (found,) = seen
    assert len(found) == 1 and isinstance(next(iter(found.values())), jax.core.Tracer)
    assert SI._tracers(({"a": np.ones(2)}, functools.partial(max, 1.0))) == {}


def test_autonormal_draws_follow_the_fitted_guide(xy):
    """Host-side draws: each site is loc + scale * z mapped into its support (sigma > 0 through exp).
    20 000 draws: means within 4 standard errors, standard deviations within 3 %."""
    x, y = xy
    bnn = bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(3,)), likelihood=bp.Gaussian(noise_prior=bp.ScalePrior())))
    method = bp.SVI(steps=50)
    guide, params, _ = S.run_svi(bnn, x, y, method, jax.random.key(0), False)
    draws = S.normal_draws(guide, params, jax.random.key(1), 20_000)
    assert sorted(draws) == sorted(S.latent_sites(guide))
    for name, values in draws.items():
        loc, scale = np.asarray(params[f"{name}_auto_loc"]), np.asarray(params[f"{name}_auto_scale"])
        z = np.log(values) if name == "sigma" else values
        assert z.shape == (20_000, *loc.shape) and z.dtype == np.float32
        assert np.all(np.abs(z.mean(0) - loc) < 4 * scale / np.sqrt(20_000)), name
        np.testing.assert_allclose(z.std(0), scale, rtol=0.03)
    again = S.normal_draws(guide, params, jax.random.key(1), 20_000)
    np.testing.assert_array_equal(again["sigma"], draws["sigma"])  # same key, same draws
