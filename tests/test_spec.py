"""The plain-data specs in ``bnnppl.spec``: round trips, canonical forms and validation messages."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
import yaml

from bnnppl.spec import (
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
    covers,
    likelihood_from_dict,
)

ACTS = "'elu', 'gelu', 'identity', 'relu', 'sigmoid', 'silu', 'softplus', 'tanh'"
LIKS = "'bernoulli', 'categorical', 'gaussian', 'heteroscedastic_gaussian', 'poisson', 'student_t'"
LAYERS_2 = "'Dense_0', 'Dense_0.bias', 'Dense_0.kernel', 'Dense_1', 'Dense_1.bias', 'Dense_1.kernel'"
MLP_KEYS = "'activation', 'bias', 'hidden', 'output_activation', 'outputs', 'type'"
MODEL_KEYS = "'deterministic', 'latent', 'layer_priors', 'likelihood', 'network', 'prior'"
HALF_ONLY = "(only 'inverse_gamma' and 'gamma_precision')"

# --------------------------------------------------------------------------- round trips

NOISE_PRIORS = [ScalePrior(scale=0.5), ScalePrior(family="half_normal", scale=2),
                ScalePrior(family="inverse_gamma", concentration=2, rate=1),
                ScalePrior(family="gamma_precision", concentration=1.5, rate=0.5)]
SPECS = {
    "default": ModelSpec(),
    "gaussian-fixed-noise": ModelSpec(likelihood=Gaussian(noise=0.3)),
    **{f"gaussian-{p.family}": ModelSpec(likelihood=Gaussian(noise_prior=p)) for p in NOISE_PRIORS},
    "heteroscedastic": ModelSpec(likelihood=HeteroscedasticGaussian(), network=MLP(outputs=2)),
    "student_t-fixed": ModelSpec(likelihood=StudentT(df=4, noise=0.1)),
    "student_t-prior": ModelSpec(likelihood=StudentT(df=3.0, noise_prior=ScalePrior(family="half_normal"))),
    "bernoulli-logit": ModelSpec(likelihood=Bernoulli()),
    "bernoulli-probs": ModelSpec(network=MLP(output_activation="sigmoid"),
                                 likelihood=Bernoulli(link="probs")),
    "categorical": ModelSpec(network=MLP(outputs=4), likelihood=Categorical(classes=4)),
    "poisson": ModelSpec(likelihood=Poisson()),
    "linear": ModelSpec(network=MLP(hidden=())),
    "linear-empty-activations": ModelSpec(network=MLP(hidden=(), activation=())),
    "per-layer-act-no-bias": ModelSpec(network=MLP(hidden=(8, 4), activation=("relu", "gelu"), bias=False)),
    "prior-laplace": ModelSpec(prior=Prior(family="laplace", loc=0.5, scale=0.2)),
    "prior-student_t": ModelSpec(prior=Prior(family="student_t", df=3, scale=2)),
    **{f"fan_in-{r}": ModelSpec(prior=Prior(fan_in=r)) for r in ("glorot", "he", "lecun", "neal")},
    **{f"learned_scale-{p.family}": ModelSpec(prior=Prior(learned_scale=p)) for p in NOISE_PRIORS},
    "layer_priors-deterministic": ModelSpec(
        network=MLP(hidden=(5, 3), activation=("tanh", "silu")),
        layer_priors={"Dense_1": Prior(family="laplace", scale=0.2), "Dense_2.bias": Prior(scale=5)},
        deterministic=("Dense_0",),
    ),
}


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS.keys())
def test_round_trip_through_dict(spec):
    assert ModelSpec.from_dict(spec.to_dict()) == spec


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS.keys())
def test_round_trip_through_yaml(spec):
    text = yaml.safe_dump(spec.to_dict())  # safe_dump fails on anything but plain data
    assert ModelSpec.from_dict(yaml.safe_load(text), "model") == spec


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS.keys())
def test_parts_round_trip_on_their_own(spec):
    assert MLP.from_dict(spec.network.to_dict()) == spec.network
    assert Prior.from_dict(spec.prior.to_dict()) == spec.prior
    assert likelihood_from_dict(spec.likelihood.to_dict()) == spec.likelihood


# --------------------------------------------------------------------------- canonical forms


def test_sequences_become_tuples():
    net = MLP(hidden=[3, 2], activation=["tanh", "relu"])
    assert net.hidden == (3, 2) and isinstance(net.hidden, tuple)
    assert net.activation == ("tanh", "relu") and isinstance(net.activation, tuple)
    spec = ModelSpec(network=net, deterministic=["Dense_0"])
    assert spec.deterministic == ("Dense_0",)


@pytest.mark.parametrize(
    "make, attr",
    [(lambda: Prior(scale=1), "scale"), (lambda: Prior(loc=2), "loc"),
     (lambda: Prior(family="student_t", df=3), "df"), (lambda: ScalePrior(scale=2), "scale"),
     (lambda: ScalePrior(family="inverse_gamma", concentration=2, rate=1), "concentration"),
     (lambda: ScalePrior(family="gamma_precision", concentration=2, rate=1), "rate"),
     (lambda: Gaussian(noise=1), "noise"), (lambda: StudentT(df=4, noise=1), "df")],
)
def test_ints_become_floats(make, attr):
    value = getattr(make(), attr)
    assert type(value) is float
    assert value == int(value)


def test_int_and_float_specs_are_equal():
    assert Prior(scale=1) == Prior(scale=1.0)
    assert Prior(scale=1).to_dict() == {"family": "normal", "loc": 0.0, "scale": 1.0}


def test_default_noise_prior_is_half_cauchy_one():
    assert Gaussian().noise_prior == ScalePrior(family="half_cauchy", scale=1.0)
    assert StudentT(df=3).noise_prior == ScalePrior(family="half_cauchy", scale=1.0)
    assert Gaussian(noise=0.1).noise_prior is None
    assert ScalePrior(family="half_normal").scale == 1.0


def test_to_dict_leaves_out_empty_and_none_fields():
    assert ModelSpec().to_dict() == {
        "network": {"type": "mlp", "hidden": [10], "activation": "tanh",
                    "output_activation": "identity", "bias": True},
        "prior": {"family": "normal", "loc": 0.0, "scale": 1.0},
        "likelihood": {"family": "gaussian", "noise_prior": {"family": "half_cauchy", "scale": 1.0}},
    }
    assert ModelSpec(layer_priors={}, deterministic=[]).to_dict().keys() == {"network", "prior", "likelihood"}
    assert ScalePrior(family="inverse_gamma", concentration=2, rate=1).to_dict() == {
        "family": "inverse_gamma", "concentration": 2.0, "rate": 1.0}
    assert Gaussian(noise=0.5).to_dict() == {"family": "gaussian", "noise": 0.5}


def test_unset_activation_is_the_likelihoods_default():
    # chosen on bench/defaults.py's training rows: relu for class labels, tanh otherwise
    assert MLP().activation is None and "activation" not in MLP().to_dict()
    assert MLP().activations == ("tanh",)
    assert ModelSpec().network.activation == "tanh"
    assert ModelSpec(likelihood=Bernoulli()).network.activation == "relu"
    assert ModelSpec(likelihood=Categorical(classes=3)).network.activation == "relu"
    assert ModelSpec(likelihood=Poisson(), network=MLP(hidden=(4,))).network.activation == "tanh"
    kept = ModelSpec(likelihood=Bernoulli(), network=MLP(activation="tanh"))
    assert kept.network.activation == "tanh"
    # the filled-in choice is written out, so a saved spec reads back the same network
    spec = ModelSpec.from_dict({"network": {"hidden": [4]}, "likelihood": {"family": "bernoulli"}})
    assert spec.to_dict()["network"]["activation"] == "relu"
    assert ModelSpec.from_dict(spec.to_dict()) == spec


def test_linear_model_keeps_its_empty_hidden():
    # hidden=() differs from the default (10,), so it must stay in the dict
    assert MLP(hidden=()).to_dict()["hidden"] == []
    assert MLP.from_dict(MLP(hidden=()).to_dict()).hidden == ()


def test_layer_priors_are_sorted_pairs_whatever_the_order():
    a = ModelSpec(layer_priors={"Dense_1": Prior(scale=2), "Dense_0.bias": Prior(scale=3)})
    b = ModelSpec(layer_priors={"Dense_0.bias": Prior(scale=3), "Dense_1": Prior(scale=2)})
    assert a == b
    assert a.layer_priors == (("Dense_0.bias", Prior(scale=3.0)), ("Dense_1", Prior(scale=2.0)))
    assert a.to_dict()["layer_priors"] == {
        "Dense_0.bias": {"family": "normal", "loc": 0.0, "scale": 3.0},
        "Dense_1": {"family": "normal", "loc": 0.0, "scale": 2.0},
    }


def test_layer_prior_given_as_dict_becomes_prior():
    spec = ModelSpec(layer_priors={"Dense_1": {"family": "laplace", "scale": 2}})
    assert spec.layer_priors == (("Dense_1", Prior(family="laplace", scale=2.0)),)


def test_from_dict_accepts_the_type_tag_or_none():
    assert MLP.from_dict({"type": "mlp", "hidden": [3]}) == MLP.from_dict({"hidden": [3]}) == MLP(hidden=(3,))


# --------------------------------------------------------------------------- validation messages

ERRORS = {
    "activation-typo": (lambda: MLP(activation="tanhh"), ValueError,
        f"MLP.activation: unknown activation 'tanhh'. Did you mean 'tanh'? Allowed: {ACTS}."),
    "activation-per-layer-typo": (lambda: MLP(hidden=(2, 2), activation=("tanh", "relux")), ValueError,
        f"MLP.activation[1]: unknown activation 'relux'. Did you mean 'relu'? Allowed: {ACTS}."),
    "activation-not-str": (lambda: MLP(activation=3), TypeError,
        "MLP.activation: must be an activation name or a sequence of them, got 3."),
    "prior-family-typo": (lambda: Prior(family="normall"), ValueError,
        "Prior.family: unknown prior 'normall'. Did you mean 'normal'? "
        "Allowed: 'laplace', 'normal', 'student_t'."),
    "likelihood-family-typo": (lambda: likelihood_from_dict({"family": "gausian"}), ValueError,
        f"likelihood.family: unknown likelihood 'gausian'. Did you mean 'gaussian'? Allowed: {LIKS}."),
    "likelihood-family-missing": (lambda: likelihood_from_dict({}), ValueError,
        f"likelihood.family: is required; allowed: {LIKS}."),
    "likelihood-not-mapping": (lambda: likelihood_from_dict("gaussian"), TypeError,
        "likelihood: must be a mapping with a 'family' key, got 'gaussian'."),
    "fan_in-typo": (lambda: Prior(fan_in="glorott"), ValueError,
        "Prior.fan_in: unknown fan-in rule 'glorott'. Did you mean 'glorot'? "
        "Allowed: 'glorot', 'he', 'lecun', 'neal'."),
    "fan_in-unknown": (lambda: Prior(fan_in="xavier"), ValueError,
        "Prior.fan_in: unknown fan-in rule 'xavier'. Allowed: 'glorot', 'he', 'lecun', 'neal'."),
    "bernoulli-link": (lambda: Bernoulli(link="prob"), ValueError,
        "Bernoulli.link: unknown Bernoulli link 'prob'. Did you mean 'probs'? Allowed: 'logit', 'probs'."),
    "prior-scale-0": (lambda: Prior(scale=0), ValueError, "Prior.scale: must be > 0, got 0."),
    "prior-scale-neg": (lambda: Prior(scale=-1), ValueError, "Prior.scale: must be > 0, got -1."),
    "scaleprior-scale": (lambda: ScalePrior(scale=-0.5), ValueError,
        "ScalePrior.scale: must be > 0, got -0.5."),
    "gaussian-noise": (lambda: Gaussian(noise=0), ValueError, "Gaussian.noise: must be > 0, got 0."),
    "studentt-noise": (lambda: StudentT(df=3, noise=-1.0), ValueError,
        "StudentT.noise: must be > 0, got -1.0."),
    "studentt-df": (lambda: StudentT(df=0), ValueError, "StudentT.df: must be > 0, got 0."),
    "prior-df": (lambda: Prior(family="student_t", df=-2), ValueError, "Prior.df: must be > 0, got -2."),
    "concentration": (lambda: ScalePrior(family="inverse_gamma", concentration=0, rate=1), ValueError,
        "ScalePrior.concentration: must be > 0, got 0."),
    "rate": (lambda: ScalePrior(family="gamma_precision", concentration=1, rate=-2), ValueError,
        "ScalePrior.rate: must be > 0, got -2."),
    "scale-str": (lambda: Prior(scale="big"), TypeError, "Prior.scale: must be a number, got 'big'."),
    "loc-str": (lambda: Prior(loc="a"), TypeError, "Prior.loc: must be a number, got 'a'."),
    "scale-bool": (lambda: Prior(scale=True), TypeError, "Prior.scale: must be a number, got True."),
    "noise-bool": (lambda: Gaussian(noise=False), TypeError, "Gaussian.noise: must be a number, got False."),
    "outputs-bool": (lambda: MLP(outputs=True), TypeError, "MLP.outputs: must be an integer, got True."),
    "bias-int": (lambda: MLP(bias=1), TypeError, "MLP.bias: must be true or false, got 1."),
    "scale-nan": (lambda: Prior(scale=float("nan")), ValueError, "Prior.scale: must be finite, got nan."),
    "scale-inf": (lambda: Prior(scale=float("inf")), ValueError, "Prior.scale: must be finite, got inf."),
    "hidden-0": (lambda: MLP(hidden=(4, 0)), ValueError, "MLP.hidden[1]: must be >= 1, got 0."),
    "hidden-float": (lambda: MLP(hidden=(2.5,)), TypeError, "MLP.hidden[0]: must be an integer, got 2.5."),
    "hidden-str": (lambda: MLP(hidden="10"), TypeError,
        "MLP.hidden: must be a sequence of layer widths such as (10,), got '10'."),
    "hidden-int": (lambda: MLP(hidden=10), TypeError,
        "MLP.hidden: must be a sequence of layer widths such as (10,), got 10."),
    "activation-length": (lambda: MLP(hidden=(3, 2, 1), activation=("tanh", "relu")), ValueError,
        "MLP.activation: gives 2 activations for 3 hidden layers; give one name for all hidden layers "
        "or one per hidden layer."),
    "outputs-mismatch": (lambda: ModelSpec(network=MLP(outputs=2), likelihood=Gaussian()), ValueError,
        "ModelSpec.network.outputs: is 2 but likelihood 'gaussian' needs 1 network output(s) per point; "
        "set outputs=1 or leave it unset."),
    "probs-without-sigmoid": (lambda: ModelSpec(likelihood=Bernoulli(link="probs")), ValueError,
        "ModelSpec.network.output_activation: Bernoulli(link='probs') reads probabilities in [0, 1], so "
        "the output activation must be 'sigmoid', got 'identity'; or use link='logit'."),
    "classes-1": (lambda: Categorical(classes=1), ValueError, "Categorical.classes: must be >= 2, got 1."),
    "classes-float": (lambda: Categorical(classes=2.0), TypeError,
        "Categorical.classes: must be an integer, got 2.0."),
    "classes-missing": (lambda: ModelSpec.from_dict({"likelihood": {"family": "categorical"}}, "model"),
        ValueError, "model.likelihood.classes: is required (the number of classes, an integer >= 2)."),
    "prior-df-missing": (lambda: Prior(family="student_t"), ValueError,
        "Prior.df: is required by family 'student_t' (a number > 0, e.g. 3)."),
    "prior-df-unused": (lambda: Prior(df=3), ValueError,
        "Prior.df: is only used by family 'student_t', not 'normal'; got 3."),
    "rate-unused": (lambda: ScalePrior(family="half_cauchy", rate=1), ValueError,
        f"ScalePrior.rate: is not used by family 'half_cauchy' {HALF_ONLY}, got 1."),
    "concentration-unused": (lambda: ScalePrior(family="half_normal", concentration=2.0), ValueError,
        f"ScalePrior.concentration: is not used by family 'half_normal' {HALF_ONLY}, got 2.0."),
    "concentration-missing": (lambda: ScalePrior(family="inverse_gamma", rate=1), ValueError,
        "ScalePrior.concentration: is required by family 'inverse_gamma' (a number > 0)."),
    "rate-missing": (lambda: ScalePrior(family="gamma_precision", concentration=1), ValueError,
        "ScalePrior.rate: is required by family 'gamma_precision' (a number > 0)."),
    "scale-unused": (lambda: ScalePrior(family="inverse_gamma", scale=1, concentration=1, rate=1), ValueError,
        "ScalePrior.scale: is not used by family 'inverse_gamma'; give concentration and rate."),
    "noise-and-prior": (lambda: Gaussian(noise=0.1, noise_prior=ScalePrior()), ValueError,
        "Gaussian.noise_prior: give either noise (a fixed noise scale) or noise_prior (a prior on it), "
        "not both."),
    "noise_prior-dict": (lambda: Gaussian(noise_prior={"family": "half_normal"}), TypeError,
        "Gaussian.noise_prior: must be a ScalePrior, got {'family': 'half_normal'}."),
    "layer_prior-unknown": (lambda: ModelSpec(layer_priors={"Dense_3": Prior()}), ValueError,
        "ModelSpec.layer_priors: 'Dense_3' names no layer or parameter of the network. "
        f"Did you mean 'Dense_1'? Allowed: {LAYERS_2}."),
    "layer_prior-param-typo": (lambda: ModelSpec(layer_priors={"Dense_0.kernal": Prior()}), ValueError,
        "ModelSpec.layer_priors: 'Dense_0.kernal' names no layer or parameter of the network. "
        f"Did you mean 'Dense_0.kernel'? Allowed: {LAYERS_2}."),
    "layer_prior-not-mapping": (lambda: ModelSpec(layer_priors=[1]), TypeError,
        "ModelSpec.layer_priors: must map layer names or parameter paths to priors, got [1]."),
    "deterministic-all": (lambda: ModelSpec(deterministic=("Dense_0", "Dense_1")), ValueError,
        "ModelSpec.deterministic: ['Dense_0', 'Dense_1'] makes every layer deterministic, leaving nothing "
        "Bayesian; keep at least one layer out of it (for example the last)."),
    "deterministic-all-params": (
        lambda: ModelSpec(deterministic=("Dense_0", "Dense_1.kernel", "Dense_1.bias")), ValueError,
        "ModelSpec.deterministic: ['Dense_0', 'Dense_1.kernel', 'Dense_1.bias'] makes every layer "
        "deterministic, leaving nothing Bayesian; keep at least one layer out of it (for example the last)."),
    "deterministic-unknown": (lambda: ModelSpec(deterministic=("Dense_5",)), ValueError,
        "ModelSpec.deterministic: 'Dense_5' names no layer or parameter of the network. "
        f"Did you mean 'Dense_1'? Allowed: {LAYERS_2}."),
    "deterministic-str": (lambda: ModelSpec(deterministic="Dense_0"), TypeError,
        "ModelSpec.deterministic: must be a list of layer names, got 'Dense_0'."),
    "prior-on-deterministic": (
        lambda: ModelSpec(deterministic=("Dense_0",), layer_priors={"Dense_0.kernel": Prior()}), ValueError,
        "ModelSpec.layer_priors: 'Dense_0.kernel' is deterministic ('Dense_0' in deterministic), "
        "so it takes no prior."),
    "prior-on-partly-deterministic": (
        lambda: ModelSpec(deterministic=("Dense_0.bias",), layer_priors={"Dense_0": Prior()}), ValueError,
        "ModelSpec.layer_priors: 'Dense_0' is deterministic ('Dense_0.bias' in deterministic), "
        "so it takes no prior."),
    "unknown-key": (lambda: MLP.from_dict({"activaton": "tanh"}), ValueError,
        f"MLP.activaton: unknown key. Did you mean 'activation'? Valid keys: {MLP_KEYS}."),
    "unknown-key-no-match": (lambda: Poisson.from_dict({"family": "poisson", "rate": 2}), ValueError,
        "Poisson.rate: unknown key. Valid keys: 'family'."),
    "unknown-model-key": (lambda: ModelSpec.from_dict({"netwrk": {}}), ValueError,
        f"ModelSpec.netwrk: unknown key. Did you mean 'network'? Valid keys: {MODEL_KEYS}."),
}


# Wording once got wrong: plural agreement and articles.
WORDING = [
    pytest.param(lambda: MLP(hidden=(3, 2), activation=("tanh",)), ValueError,
                 "MLP.activation: gives 1 activation for 2 hidden layers; give one name for all "
                 "hidden layers or one per hidden layer.", id="wording-activation-count"),
    pytest.param(lambda: MLP(output_activation=None), TypeError,
                 f"MLP.output_activation: must be a string naming an activation, got None; allowed: {ACTS}.",
                 id="wording-choice-type"),
    pytest.param(lambda: ModelSpec(network=3), TypeError, "ModelSpec.network: must be an MLP spec, got 3.",
                 id="wording-spec-type"),
]


@pytest.mark.parametrize("make, kind, message", [pytest.param(*v, id=k) for k, v in ERRORS.items()] + WORDING)
def test_error_message(make, kind, message):
    with pytest.raises(kind, match=f"^{re.escape(message)}$") as info:
        make()
    assert type(info.value) is kind
    field, _, problem = message.partition(": ")
    assert info.value.field == field
    assert info.value.problem == problem


# --------------------------------------------------------------------------- config paths

REBASED = {
    "prior-scale": ({"prior": {"scale": -1}}, ValueError, "model.prior.scale", "must be > 0, got -1."),
    "prior-scale-str": ({"prior": {"scale": "big"}}, TypeError, "model.prior.scale",
        "must be a number, got 'big'."),
    "network-key": ({"network": {"activaton": "tanh"}}, ValueError, "model.network.activaton",
        f"unknown key. Did you mean 'activation'? Valid keys: {MLP_KEYS}."),
    "network-activation": ({"network": {"activation": "tanhh"}}, ValueError, "model.network.activation",
        f"unknown activation 'tanhh'. Did you mean 'tanh'? Allowed: {ACTS}."),
    "outputs": ({"network": {"outputs": 2}}, ValueError, "model.network.outputs",
        "is 2 but likelihood 'gaussian' needs 1 network output(s) per point; "
        "set outputs=1 or leave it unset."),
    "layer_prior-scale": ({"layer_priors": {"Dense_0": {"scale": 0}}}, ValueError,
        "model.layer_priors.Dense_0.scale", "must be > 0, got 0."),
    "layer_prior-name": ({"layer_priors": {"Dense_9": {}}}, ValueError, "model.layer_priors",
        "'Dense_9' names no layer or parameter of the network. "
        f"Did you mean 'Dense_1'? Allowed: {LAYERS_2}."),
    "noise_prior-rate": (
        {"likelihood": {"family": "gaussian", "noise_prior": {"family": "half_cauchy", "rate": 1}}},
        ValueError, "model.likelihood.noise_prior.rate",
        f"is not used by family 'half_cauchy' {HALF_ONLY}, got 1."),
    "learned_scale": ({"prior": {"learned_scale": {"family": "inverse_gamma", "rate": 1}}}, ValueError,
        "model.prior.learned_scale.concentration", "is required by family 'inverse_gamma' (a number > 0)."),
    "student_t-df": ({"likelihood": {"family": "student_t", "df": 0}}, ValueError, "model.likelihood.df",
        "must be > 0, got 0."),
    "student_t-df-missing": ({"likelihood": {"family": "student_t"}}, ValueError, "model.likelihood.df",
        "is required (degrees of freedom, a number > 0, e.g. 4)."),
    "likelihood-family": ({"likelihood": {"family": "gausian"}}, ValueError, "model.likelihood.family",
        f"unknown likelihood 'gausian'. Did you mean 'gaussian'? Allowed: {LIKS}."),
    "likelihood-str": ({"likelihood": "gaussian"}, TypeError, "model.likelihood",
        "must be a mapping with a 'family' key, got 'gaussian'."),
    "prior-not-mapping": ({"prior": 3}, TypeError, "model.prior", "must be a mapping, got 3."),
    "deterministic-str": ({"deterministic": "Dense_0"}, TypeError, "model.deterministic",
        "must be a list of layer names, got 'Dense_0'."),
    "model-not-mapping": ([1], TypeError, "model", "must be a mapping, got [1]."),
}


@pytest.mark.parametrize("data, kind, field, problem", REBASED.values(), ids=REBASED.keys())
def test_from_dict_errors_name_the_config_path(data, kind, field, problem):
    with pytest.raises(kind, match=f"^{re.escape(f'{field}: {problem}')}$") as info:
        ModelSpec.from_dict(data, "model")
    assert info.value.field == field
    assert info.value.problem == problem


def test_from_dict_without_path_names_the_class():
    with pytest.raises(ValueError, match=re.escape("ModelSpec.likelihood.classes: is required (the number of classes, an integer >= 2).")):
        ModelSpec.from_dict({"likelihood": {"family": "categorical"}})


# --------------------------------------------------------------------------- frozen, keyword-only

@pytest.mark.parametrize(
    "spec, name, value",
    [(MLP(), "hidden", (3,)), (Prior(), "scale", 2.0), (ScalePrior(), "scale", 2.0),
     (Gaussian(), "noise", 0.1), (Categorical(classes=3), "classes", 4), (ModelSpec(), "deterministic", ())],
)
def test_specs_are_frozen(spec, name, value):
    before = getattr(spec, name)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(spec, name, value)
    assert getattr(spec, name) == before


@pytest.mark.parametrize(
    "make",
    [lambda: MLP((3,)), lambda: Prior("laplace"), lambda: ScalePrior("half_normal"),
     lambda: Gaussian(0.1), lambda: StudentT(3.0), lambda: Categorical(3), lambda: Bernoulli("probs"),
     lambda: ModelSpec(MLP())],
)
def test_specs_are_keyword_only(make):
    with pytest.raises(TypeError, match="positional argument"):
        make()


# --------------------------------------------------------------------------- helpers and properties

@pytest.mark.parametrize(
    "name, path, expected",
    [("Dense_0", "Dense_0.kernel", True), ("Dense_0", "Dense_0", True),
     ("Dense_0.bias", "Dense_0.bias", True), ("Dense_1", "Dense_10.kernel", False),
     ("Dense_0.bias", "Dense_0.kernel", False), ("Dense_0.kernel", "Dense_0", False)],
)
def test_covers(name, path, expected):
    assert covers(name, path) is expected


def test_layer_names_and_param_paths():
    net = MLP(hidden=(3, 2))
    assert net.layer_names == ("Dense_0", "Dense_1", "Dense_2")
    assert net.param_paths == ("Dense_0.kernel", "Dense_0.bias", "Dense_1.kernel", "Dense_1.bias",
                               "Dense_2.kernel", "Dense_2.bias")
    no_bias = MLP(hidden=(3, 2), bias=False)
    assert no_bias.param_paths == ("Dense_0.kernel", "Dense_1.kernel", "Dense_2.kernel")
    assert MLP(hidden=()).layer_names == ("Dense_0",)
    assert MLP(hidden=(), bias=False).param_paths == ("Dense_0.kernel",)


def test_activations_expands_one_name():
    assert MLP(hidden=(3, 2), activation="relu").activations == ("relu", "relu")
    assert MLP(hidden=(3, 2), activation=("relu", "elu")).activations == ("relu", "elu")
    assert MLP(hidden=()).activations == ()


@pytest.mark.parametrize(
    "likelihood, n",
    [(Gaussian(), 1), (HeteroscedasticGaussian(), 2), (StudentT(df=3), 1), (Bernoulli(), 1),
     (Categorical(classes=2), 2), (Categorical(classes=7), 7), (Poisson(), 1)],
)
def test_n_outputs(likelihood, n):
    assert likelihood.n_outputs == n
    assert ModelSpec(likelihood=likelihood).n_outputs == n
    assert ModelSpec(network=MLP(outputs=n), likelihood=likelihood).n_outputs == n


# --------------------------------------------------------------------------- once-found bugs

def test_unknown_network_type_is_rejected():
    with pytest.raises(ValueError, match=re.escape("model.network.type: unknown network type 'cnn'. "
                                                   "Allowed: 'mlp'.")):
        ModelSpec.from_dict({"network": {"type": "cnn", "hidden": [3]}}, "model")


def test_wrong_likelihood_tag_is_rejected():
    with pytest.raises(ValueError, match=re.escape("Gaussian.family: must be 'gaussian', got 'poisson'.")):
        Gaussian.from_dict({"family": "poisson"})


def test_numpy_scalars_are_numbers():
    net = MLP(hidden=np.array([3, 2]))
    assert net.hidden == (3, 2) and all(type(w) is int for w in net.hidden)
    assert Categorical(classes=np.int64(3)).classes == 3
    assert type(Prior(scale=np.float32(0.5)).scale) is float
