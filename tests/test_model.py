"""BNN: site names and shapes, user modules, deterministic layers, bad input, inference on it."""

import re

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest
from flax import linen, nnx
from numpyro import handlers
from numpyro.contrib.module import ParamShape
from numpyro.infer import MCMC, NUTS, SVI, Predictive, Trace_ELBO
from numpyro.infer.autoguide import AutoNormal

from bnnppl import (
    BNN,
    MLP,
    Bernoulli,
    Categorical,
    Gaussian,
    HeteroscedasticGaussian,
    ModelSpec,
    Poisson,
    Prior,
    ScalePrior,
    StudentT,
)
from bnnppl.model import NET_PARAMS, param_site, prior_scale_site


def trace_of(bnn, x, y=None, seed=0):
    return handlers.trace(handlers.seed(bnn.model, jax.random.key(seed))).get_trace(x, y)


def sites(bnn, x, y=None):
    """``{name: (type, shape)}`` of every non-param site, in trace order."""
    return {
        name: (site["type"], tuple(jnp.shape(site["value"])))
        for name, site in trace_of(bnn, x, y).items()
        if site["type"] != "param"
    }


NET_10 = {
    "net.Dense_0.bias": ("sample", (10,)),
    "net.Dense_0.kernel": ("sample", (2, 10)),
    "net.Dense_1.bias": ("sample", ((1,))),
    "net.Dense_1.kernel": ("sample", (10, 1)),
}


@pytest.mark.parametrize(
    ("likelihood", "outputs", "noise_site"),
    [
        (Gaussian(), 1, True),
        (Gaussian(noise=0.3), 1, False),
        (Gaussian(noise_prior=ScalePrior(family="gamma_precision", concentration=3.0, rate=1.0)), 1, True),
        (HeteroscedasticGaussian(), 2, False),
        (StudentT(df=4.0), 1, True),
        (StudentT(df=4.0, noise=0.2), 1, False),
        (Bernoulli(), 1, False),
        (Categorical(classes=3), 3, False),
        (Poisson(), 1, False),
    ],
    ids=lambda v: getattr(v, "family", None) or repr(v),
)
def test_sites_and_shapes_for_every_likelihood(xy, likelihood, outputs, noise_site):
    x, _ = xy
    bnn = BNN(ModelSpec(network=MLP(hidden=(10,)), likelihood=likelihood))
    expected = {
        "net.Dense_0.bias": ("sample", (10,)),
        "net.Dense_0.kernel": ("sample", (2, 10)),
        "net.Dense_1.bias": ("sample", (outputs,)),
        "net.Dense_1.kernel": ("sample", (10, outputs)),
        "f": ("deterministic", (20, outputs)),
        **({"sigma": ("sample", ())} if noise_site else {}),
        "data": ("plate", (20,)),
        "obs": ("sample", (20,)),
    }
    assert sites(bnn, x) == expected


def test_observed_targets_are_the_obs_site(xy):
    x, y = xy
    trace = trace_of(BNN(ModelSpec()), x, y)
    assert trace["obs"]["is_observed"]
    np.testing.assert_array_equal(trace["obs"]["value"], y)
    assert not trace_of(BNN(ModelSpec()), x)["obs"]["is_observed"]


def test_f_is_the_network_output_of_the_sampled_weights(xy):
    x, _ = xy
    bnn = BNN(ModelSpec(network=MLP(hidden=(10,), activation="relu", output_activation="identity")))
    t = trace_of(bnn, x)
    v = {k: np.asarray(s["value"]) for k, s in t.items() if s["type"] != "param"}
    hidden = np.maximum(x @ v["net.Dense_0.kernel"] + v["net.Dense_0.bias"], 0)
    np.testing.assert_allclose(v["f"], hidden @ v["net.Dense_1.kernel"] + v["net.Dense_1.bias"], rtol=1e-5)


def test_no_bias_and_linear_model_sites(xy):
    x, _ = xy
    bnn = BNN(ModelSpec(network=MLP(hidden=(), bias=False), likelihood=Gaussian(noise=1.0)))
    assert sites(bnn, x) == {
        "net.Dense_0.kernel": ("sample", (2, 1)),
        "f": ("deterministic", (20, 1)),
        "data": ("plate", (20,)),
        "obs": ("sample", (20,)),
    }


def test_learned_scales_get_one_site_per_layer(xy):
    x, _ = xy
    prior = Prior(learned_scale=ScalePrior(family="inverse_gamma", concentration=2.0, rate=1.0))
    got = sites(BNN(ModelSpec(prior=prior, likelihood=Gaussian(noise=0.1))), x)
    assert got == {
        "prior_scale.Dense_0": ("sample", ()),
        "prior_scale.Dense_1": ("sample", ()),
        **NET_10,
        "f": ("deterministic", (20, 1)),
        "data": ("plate", (20,)),
        "obs": ("sample", (20,)),
    }
    assert prior_scale_site("Dense_0") == "prior_scale.Dense_0" and param_site("a.b") == "net.a.b"


def test_learned_scale_scales_the_layer(xy):
    """Weights of a layer are Normal(0, scale * learned): the trace's distributions say so."""
    x, _ = xy
    prior = Prior(scale=2.0, learned_scale=ScalePrior(family="half_normal", scale=1.0))
    bnn = BNN(ModelSpec(prior=prior, layer_priors={"Dense_1": Prior()}, likelihood=Gaussian(noise=0.1)))
    t = trace_of(bnn, x)
    assert "prior_scale.Dense_1" not in t
    learned = float(t["prior_scale.Dense_0"]["value"])
    base = t["net.Dense_0.kernel"]["fn"].base_dist.base_dist
    np.testing.assert_allclose(base.scale, 2.0 * learned, rtol=1e-6)
    assert float(t["net.Dense_1.kernel"]["fn"].base_dist.base_dist.scale) == 1.0


def test_deterministic_layers_are_params_not_sample_sites(xy):
    x, y = xy
    spec = ModelSpec(network=MLP(hidden=(10, 10)), deterministic=("Dense_0", "Dense_1"))
    t = trace_of(BNN(spec), x, y)
    samples = sorted(k for k, s in t.items() if s["type"] == "sample")
    assert samples == ["net.Dense_2.bias", "net.Dense_2.kernel", "obs", "sigma"]
    params = t[NET_PARAMS]["value"]
    assert t[NET_PARAMS]["type"] == "param"
    assert jnp.shape(params["Dense_0"]["kernel"]) == (2, 10)
    assert jnp.shape(params["Dense_1"]["kernel"]) == (10, 10)
    assert isinstance(params["Dense_2"]["kernel"], ParamShape)  # Bayesian: only its shape is kept


def test_svi_learns_deterministic_layers_and_bayesian_ones(xy):
    x, y = xy
    bnn = BNN(ModelSpec(network=MLP(hidden=(5,)), deterministic=("Dense_0",), likelihood=Gaussian(noise=0.1)))
    guide = AutoNormal(bnn.model)
    svi = SVI(bnn.model, guide, numpyro.optim.Adam(0.05), Trace_ELBO())
    state = svi.init(jax.random.key(0), x, y)
    before = svi.get_params(state)[NET_PARAMS]["Dense_0"]["kernel"]
    result = svi.run(jax.random.key(0), 300, x, y, progress_bar=False)
    after = result.params[NET_PARAMS]["Dense_0"]["kernel"]
    assert float(jnp.max(jnp.abs(after - before))) > 0.05
    assert sorted(k for k in result.params if k != NET_PARAMS) == [
        "net.Dense_1.bias_auto_loc",
        "net.Dense_1.bias_auto_scale",
        "net.Dense_1.kernel_auto_loc",
        "net.Dense_1.kernel_auto_scale",
    ]
    assert result.losses[-50:].mean() < result.losses[:50].mean()


# ----------------------------------------------------------------------------- user modules


class LinenNet(linen.Module):
    @linen.compact
    def __call__(self, x):
        h = jnp.tanh(linen.Dense(4, name="hidden")(x))
        return linen.Dense(1, name="out")(h)


class NNXNet(nnx.Module):
    def __init__(self, rngs):
        self.hidden = nnx.Linear(2, 4, rngs=rngs)
        self.out = nnx.Linear(4, 1, rngs=rngs)

    def __call__(self, x):
        return self.out(jnp.tanh(self.hidden(x)))


USER_SITES = {
    "net.hidden.bias": ("sample", (4,)),
    "net.hidden.kernel": ("sample", (2, 4)),
    "net.out.bias": ("sample", (1,)),
    "net.out.kernel": ("sample", (4, 1)),
    "f": ("deterministic", (20, 1)),
    "data": ("plate", (20,)),
    "obs": ("sample", (20,)),
}


@pytest.mark.parametrize("module", [LinenNet(), NNXNet(nnx.Rngs(0))], ids=["linen", "nnx"])
def test_user_modules_become_bayesian(xy, module):
    x, y = xy
    bnn = BNN.from_module(module, prior=Prior(scale=0.5), likelihood=Gaussian(noise=0.1))
    assert sites(bnn, x, y) == USER_SITES
    t = trace_of(bnn, x, y)
    assert float(t["net.hidden.kernel"]["fn"].base_dist.base_dist.scale) == 0.5


@pytest.mark.parametrize("module", [LinenNet(), NNXNet(nnx.Rngs(0))], ids=["linen", "nnx"])
def test_user_module_deterministic_layer(xy, module):
    x, y = xy
    bnn = BNN.from_module(module, prior=Prior(), likelihood=Gaussian(noise=0.1), deterministic=["hidden"])
    assert [k for k, s in trace_of(bnn, x, y).items() if s["type"] == "sample"] == [
        "net.out.bias",
        "net.out.kernel",
        "obs",
    ]


def test_user_module_with_numpyro_prior_forms(xy):
    x, y = xy
    one = BNN.from_module(LinenNet(), prior=dist.Laplace(0.0, 2.0), likelihood=Gaussian(noise=0.1))
    assert sites(one, x, y) == USER_SITES
    by_path = BNN.from_module(
        LinenNet(), prior={"out.kernel": dist.Normal(0.0, 3.0)}, likelihood=Gaussian(noise=0.1)
    )
    assert [k for k, s in trace_of(by_path, x, y).items() if s["type"] == "sample"] == [
        "net.out.kernel",
        "obs",
    ]
    calls = []

    def prior(name, shape):
        calls.append((name, shape))
        return dist.Normal(0.0, 1.0)

    trace_of(BNN.from_module(LinenNet(), prior=prior, likelihood=Gaussian(noise=0.1)), x, y)
    assert sorted(calls) == [
        ("hidden.bias", (4,)),
        ("hidden.kernel", (2, 4)),
        ("out.bias", (1,)),
        ("out.kernel", (4, 1)),
    ]


def test_neal_rule_keeps_the_input_layer_of_a_user_module(xy):
    """The first layer is found in creation order even where names sort the other way."""

    class Reversed(linen.Module):
        @linen.compact
        def __call__(self, x):
            return linen.Dense(1, name="a_out")(jnp.tanh(linen.Dense(8, name="z_in")(x)))

    x, y = xy
    bnn = BNN.from_module(Reversed(), prior=Prior(scale=2.0, fan_in="neal"), likelihood=Gaussian(noise=0.1))
    t = trace_of(bnn, x, y)
    assert float(t["net.z_in.kernel"]["fn"].base_dist.base_dist.scale) == 2.0
    np.testing.assert_allclose(t["net.a_out.kernel"]["fn"].base_dist.base_dist.scale, 2.0 / np.sqrt(8))


# ----------------------------------------------------------------------------- bad input


BAD_DATA = [
    (np.zeros(20), None, "x: must be 2-D with shape (n_points, n_features), got shape (20,). "
     "For one feature use x.reshape(-1, 1)."),
    (np.zeros((20, 2)), np.zeros(19), "y: has 19 rows but x has 20; give one target per row of x."),
    (np.full((20, 2), np.nan), None,
     "x: contains 40 NaN or infinite value(s) (first at row 0); remove or impute them before fitting."),
    (np.zeros((20, 2)), np.r_[np.zeros(19), np.inf],
     "y: contains 1 NaN or infinite value(s) (first at row 19); remove or impute them before fitting."),
]  # fmt: skip


@pytest.mark.parametrize(("x", "y", "message"), BAD_DATA)
def test_model_checks_data_before_tracing(x, y, message):
    bnn = BNN(ModelSpec())
    with pytest.raises(ValueError, match=re.escape(message)):
        bnn.model(x, y)


@pytest.mark.parametrize(
    ("likelihood", "y", "message"),
    [
        (Bernoulli(), [0, 1, 2, 0], "y: Bernoulli labels must be 0 or 1, got 2 at row 2."),
        (Categorical(classes=3), [0, 1, 3, 0],
         "y: Categorical labels must be integers in 0..2 (classes=3), got 3 at row 2."),
        (Poisson(), [0, 1.5, 2, 0], "y: Poisson counts must be non-negative integers, got 1.5 at row 1."),
        (Poisson(), [0, -1, 2, 0], "y: Poisson counts must be non-negative integers, got -1 at row 1."),
    ],
)  # fmt: skip
def test_model_checks_targets_against_the_likelihood(likelihood, y, message):
    bnn = BNN(ModelSpec(likelihood=likelihood))
    with pytest.raises(ValueError, match=re.escape(message)):
        bnn.model(np.zeros((4, 1)), np.asarray(y))


def test_user_module_output_width_must_fit_the_likelihood(xy):
    x, y = xy
    bnn = BNN.from_module(LinenNet(), prior=Prior(), likelihood=Categorical(classes=3))
    with pytest.raises(
        ValueError, match=re.escape("module: outputs 1 value(s) per point but likelihood 'categorical' needs 3.")
    ):
        bnn.model(x, np.zeros(20, np.int32))


def test_nnx_module_with_the_wrong_input_width(xy):
    x, _ = xy
    bnn = BNN.from_module(NNXNet(nnx.Rngs(0)), prior=Prior(), likelihood=Gaussian())
    with pytest.raises(ValueError, match=r"^x: has 3 feature\(s\), but the module cannot be applied to them: "):
        bnn.model(np.zeros((5, 3)))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"deterministic": ["hiden"]}, ValueError,
         "deterministic: 'hiden' names no layer or parameter of the network. Did you mean 'hidden'? "
         "Allowed: 'hidden', 'hidden.bias', 'hidden.kernel', 'out', 'out.bias', 'out.kernel'."),
        ({"deterministic": ["hidden", "out"]}, ValueError,
         "deterministic: ['hidden', 'out'] makes every layer deterministic, leaving nothing Bayesian; "
         "keep at least one layer out of it (for example the last)."),
        ({"layer_priors": {"outt": Prior()}}, ValueError,
         "layer_priors: 'outt' names no layer or parameter of the network. Did you mean 'out'? "
         "Allowed: 'hidden', 'hidden.bias', 'hidden.kernel', 'out', 'out.bias', 'out.kernel'."),
    ],
)  # fmt: skip
def test_user_module_layer_choices(xy, kwargs, error, message):
    x, y = xy
    for module in (LinenNet(), NNXNet(nnx.Rngs(0))):
        with pytest.raises(error, match=re.escape(message)):
            BNN.from_module(module, prior=Prior(), likelihood=Gaussian(), **kwargs).model(x, y)


def test_nnx_layer_choices_are_checked_at_construction():
    with pytest.raises(ValueError, match=re.escape("deterministic: 'hiden' names no layer")):
        BNN.from_module(NNXNet(nnx.Rngs(0)), prior=Prior(), likelihood=Gaussian(), deterministic=["hiden"])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: BNN({"network": {}}), TypeError,
         "spec: must be a bnnppl.ModelSpec, got {'network': {}}; for your own flax module use "
         "BNN.from_module(module, prior=..., likelihood=...)."),
        (lambda: BNN.from_module("net", prior=Prior(), likelihood=Gaussian()), TypeError,
         "module: must be a flax linen Module or an initialised flax nnx Module, got 'net'."),
        (lambda: BNN.from_module(LinenNet(), prior=Prior(), likelihood="gaussian"), TypeError,
         "likelihood: must be a likelihood spec such as bnnppl.Gaussian(), got 'gaussian'; families: "
         "'bernoulli', 'categorical', 'gaussian', 'heteroscedastic_gaussian', 'poisson', 'student_t'."),
        (lambda: BNN.from_module(LinenNet(), prior=1.0, likelihood=Gaussian()), TypeError,
         "prior: must be a bnnppl.Prior, a NumPyro distribution, a dict of them keyed by parameter path, "
         "or a callable (path, shape) -> distribution; got 1.0."),
        (lambda: BNN.from_module(LinenNet(), prior=dist.Normal(), likelihood=Gaussian(),
                                 deterministic=["hidden"]), ValueError,
         "prior: layer_priors and deterministic need prior to be a bnnppl.Prior; with a NumPyro prior "
         "form, say it in the form itself (a dict prior leaves out the parameters that stay point "
         "estimates)."),
    ],
)  # fmt: skip
def test_bad_construction(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_bnn_is_immutable():
    bnn = BNN(ModelSpec())
    with pytest.raises(AttributeError, match=re.escape("BNN is immutable: build a new one instead of setting 'spec'.")):
        bnn.spec = ModelSpec()


# ----------------------------------------------------------------------------- inference on the model


def test_traced_inputs_skip_the_checks_and_predictive_works(xy):
    x, _ = xy
    bnn = BNN(ModelSpec(likelihood=Gaussian(noise=0.1)))
    draws = Predictive(bnn.model, num_samples=7)(jax.random.key(0), x)
    assert draws["f"].shape == (7, 20, 1) and draws["obs"].shape == (7, 20)
    jitted = jax.jit(lambda key, x: handlers.seed(bnn.model, key)(x))  # x is a tracer inside
    jitted(jax.random.key(1), x)


@pytest.mark.slow
def test_plain_nuts_matches_the_closed_form_linear_posterior():
    """No hidden layer, known noise: the posterior of (kernel, bias) is Gaussian in closed form.

    Tolerance: posterior means within 0.15 posterior sd and sds within 12 % (about 4 Monte Carlo
    standard errors at the ~800 effective draws this run gives).
    """
    rng = np.random.default_rng(1)
    x = rng.normal(size=(30, 2)).astype(np.float32)
    sigma, prior_sd = 0.5, 1.0
    y = (x @ np.array([1.5, -1.0]) + 0.3 + sigma * rng.normal(size=30)).astype(np.float32)
    bnn = BNN(ModelSpec(network=MLP(hidden=()), prior=Prior(scale=prior_sd), likelihood=Gaussian(noise=sigma)))
    mcmc = MCMC(NUTS(bnn.model), num_warmup=500, num_samples=1000, progress_bar=False)
    mcmc.run(jax.random.key(0), x, y)
    s = mcmc.get_samples()
    draws = np.column_stack([s["net.Dense_0.kernel"][:, :, 0], s["net.Dense_0.bias"]])
    design = np.column_stack([x, np.ones(30)]).astype(np.float64)
    cov = np.linalg.inv(design.T @ design / sigma**2 + np.eye(3) / prior_sd**2)
    mean = cov @ design.T @ y / sigma**2
    sd = np.sqrt(np.diag(cov))
    np.testing.assert_array_less(np.abs(draws.mean(0) - mean), 0.15 * sd)
    np.testing.assert_allclose(draws.std(0), sd, rtol=0.12)
    assert s["f"].shape == (1000, 30, 1)


@pytest.mark.parametrize(
    ("prior", "base"),
    [
        (Prior(), dist.Normal),
        (Prior(family="laplace"), dist.Laplace),
        (Prior(family="student_t", df=3.0), dist.StudentT),
        (Prior(fan_in="glorot"), dist.Normal),
    ],
    ids=["normal", "laplace", "student_t", "fan_in"],
)
def test_sites_and_distributions_for_every_prior_family(xy, prior, base):
    x, y = xy
    bnn = BNN(ModelSpec(network=MLP(hidden=(10,)), prior=prior, likelihood=Gaussian(noise=0.1)))
    t = trace_of(bnn, x, y)
    assert {k: v for k, v in sites(bnn, x, y).items() if k.startswith("net.")} == NET_10
    for name in NET_10:
        fn = t[name]["fn"]  # NumPyro wraps the prior as Independent(ExpandedDistribution(base))
        assert type(fn.base_dist.base_dist) is base
        assert fn.event_shape == t[name]["value"].shape and fn.batch_shape == ()


def test_point_paths_are_known_without_tracing():
    assert BNN(ModelSpec()).point_paths(1) == ()
    assert BNN(ModelSpec(network=MLP(hidden=(3, 3)), deterministic=("Dense_1",))).point_paths(2) == (
        "Dense_1.kernel",
        "Dense_1.bias",
    )
    by_path = BNN.from_module(LinenNet(), prior={"out.kernel": dist.Normal()}, likelihood=Gaussian())
    assert by_path.point_paths(2) == ("hidden.kernel", "hidden.bias", "out.bias")
    assert BNN.from_module(LinenNet(), prior=dist.Normal(), likelihood=Gaussian()).point_paths(2) == ()
