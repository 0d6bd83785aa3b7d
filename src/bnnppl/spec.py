"""Plain-data specs: the network, the prior and the likelihood of a Bayesian neural network.

Specs are frozen, keyword-only dataclasses of strings, numbers and tuples, validated when they
are made; distributions and activations are named by string. They import no JAX: ``model.py``
turns them into a NumPyro model. Every spec round-trips through a plain dict (and so YAML):

>>> spec = ModelSpec(network=MLP(hidden=(10,), activation="tanh"),
...                  prior=Prior(family="normal", scale=1.0),
...                  likelihood=Gaussian(noise_prior=ScalePrior(family="half_cauchy", scale=0.5)))
>>> ModelSpec.from_dict(spec.to_dict()) == spec
True
>>> Prior(family="normal", scale=-1.0)
Traceback (most recent call last):
...
ValueError: Prior.scale: must be > 0, got -1.0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bnnppl._checks import allowed_list, check_choice, check_count, check_number, did_you_mean, spec_error
from bnnppl._specbase import Spec, rebased, set_field
from bnnppl.likelihood_specs import (
    BERNOULLI_LINKS,
    LIKELIHOODS,
    Bernoulli,
    Categorical,
    Gaussian,
    HeteroscedasticGaussian,
    Likelihood,
    LikelihoodSpec,
    Poisson,
    StudentT,
    as_likelihood,
    likelihood_from_dict,
)
from bnnppl.prior_specs import (
    FAN_IN_RULES,
    PRIOR_FAMILIES,
    SCALE_PRIOR_FAMILIES,
    Prior,
    ScalePrior,
    as_prior,
)

__all__ = [
    "ACTIVATIONS",
    "BERNOULLI_LINKS",
    "FAN_IN_RULES",
    "LIKELIHOODS",
    "MLP",
    "NETWORK_TYPES",
    "PRIOR_FAMILIES",
    "SCALE_PRIOR_FAMILIES",
    "Bernoulli",
    "Categorical",
    "Gaussian",
    "HeteroscedasticGaussian",
    "Likelihood",
    "LatentInput",
    "LikelihoodSpec",
    "ModelSpec",
    "Poisson",
    "Prior",
    "ScalePrior",
    "Spec",
    "StudentT",
    "as_layer_priors",
    "check_deterministic",
    "check_layer_names",
    "covers",
    "likelihood_from_dict",
    "rebased",
]

NETWORK_TYPES = ("mlp",)
ACTIVATIONS = ("elu", "gelu", "identity", "relu", "sigmoid", "silu", "softplus", "tanh")


# --------------------------------------------------------------------------- network


@dataclass(frozen=True, kw_only=True)
class MLP(Spec):
    """A multilayer perceptron: ``Dense_0 .. Dense_{L-1}`` hidden layers, then ``Dense_L`` out.

    ``activation`` is one name for every hidden layer or one name per hidden layer;
    ``output_activation`` applies to the output layer (``"sigmoid"`` for Bernoulli on
    probabilities). ``outputs=None`` takes the width the likelihood needs. ``hidden=()`` is a
    linear model.

    >>> MLP(hidden=(3, 2), activation=("tanh", "tanh"), output_activation="sigmoid").layer_names
    ('Dense_0', 'Dense_1', 'Dense_2')
    """

    hidden: tuple[int, ...] = (10,)
    activation: str | tuple[str, ...] = "tanh"
    output_activation: str = "identity"
    outputs: int | None = None
    bias: bool = True

    _tag: ClassVar[tuple[str, str]] = ("type", "mlp")

    @classmethod
    def _check_tag(cls, value: Any, path: str) -> None:
        check_choice(path, value, NETWORK_TYPES, "network type")

    def __post_init__(self) -> None:
        hidden = self.hidden
        if isinstance(hidden, str) or not isinstance(hidden, Iterable):
            raise spec_error(
                "MLP.hidden",
                f"must be a sequence of layer widths such as (10,), got {hidden!r}.",
                TypeError,
            )
        set_field(self, "hidden", tuple(check_count(f"MLP.hidden[{i}]", w) for i, w in enumerate(hidden)))
        act = self.activation
        if isinstance(act, str):
            check_choice("MLP.activation", act, ACTIVATIONS, "activation")
        else:
            if not isinstance(act, Iterable):
                raise spec_error(
                    "MLP.activation",
                    f"must be an activation name or a sequence of them, got {act!r}.",
                    TypeError,
                )
            act = tuple(act)
            if len(act) != len(self.hidden):
                raise spec_error(
                    "MLP.activation",
                    f"gives {len(act)} activation{'s' if len(act) != 1 else ''} for "
                    f"{len(self.hidden)} hidden layer{'s' if len(self.hidden) != 1 else ''}; give one "
                    "name for all hidden layers or one per hidden layer.",
                )
            for i, a in enumerate(act):
                check_choice(f"MLP.activation[{i}]", a, ACTIVATIONS, "activation")
            set_field(self, "activation", act)
        check_choice("MLP.output_activation", self.output_activation, ACTIVATIONS, "activation")
        if self.outputs is not None:
            check_count("MLP.outputs", self.outputs)
        if not isinstance(self.bias, bool):
            raise spec_error("MLP.bias", f"must be true or false, got {self.bias!r}.", TypeError)

    @property
    def activations(self) -> tuple[str, ...]:
        """The activation of each hidden layer."""
        if isinstance(self.activation, str):
            return (self.activation,) * len(self.hidden)
        return self.activation

    @property
    def layer_names(self) -> tuple[str, ...]:
        """Layer names in order, as they appear in parameter paths and site names."""
        return tuple(f"Dense_{i}" for i in range(len(self.hidden) + 1))

    @property
    def param_paths(self) -> tuple[str, ...]:
        """Every parameter path (``"Dense_0.kernel"``, ``"Dense_0.bias"``, ...), in layer order."""
        leaves = ("kernel", "bias") if self.bias else ("kernel",)
        return tuple(f"{layer}.{leaf}" for layer in self.layer_names for leaf in leaves)


# --------------------------------------------------------------------------- latent input


@dataclass(frozen=True, kw_only=True)
class LatentInput(Spec):
    """A latent input per data point (BNN+LV, Depeweg et al. 2018): ``z_n ~ Normal(0, variance)``
    joins ``x_n`` as one more input column of the network.

    The network then sees ``n_features + 1`` inputs; a noise that is not Gaussian, or not the same
    everywhere (heteroscedastic, bimodal), can be expressed through ``z``. Fit it with
    ``SVI(elbo="alpha")``; prediction draws ``z`` from this prior.

    >>> LatentInput(variance=0.5).to_dict()
    {'variance': 0.5}
    >>> LatentInput(variance=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: LatentInput.variance: must be > 0, got -1.0.
    """

    variance: float = 1.0

    def __post_init__(self) -> None:
        set_field(self, "variance", check_number("LatentInput.variance", self.variance, positive=True))


def _as_latent(value: Any, path: str) -> LatentInput:
    return value if isinstance(value, LatentInput) else LatentInput.from_dict(value, path)


# --------------------------------------------------------------------------- layer choices


def covers(name: str, path: str) -> bool:
    """Whether a layer or parameter ``name`` covers parameter ``path`` (itself or a prefix).

    >>> covers("Dense_0", "Dense_0.kernel"), covers("Dense_1", "Dense_10.kernel")
    (True, False)
    """
    return path == name or path.startswith(name + ".")


def check_layer_names(field_name: str, names: Iterable[str], paths: Iterable[str]) -> None:
    """Each of ``names`` must cover at least one of the parameter ``paths``."""
    paths = tuple(paths)
    layers = sorted({p.rpartition(".")[0] for p in paths if "." in p} | set(paths))
    for name in names:
        if not isinstance(name, str):
            raise spec_error(field_name, f"layer names must be strings, got {name!r}.", TypeError)
        if not any(covers(name, p) for p in paths):
            raise spec_error(
                field_name,
                f"{name!r} names no layer or parameter of the network.{did_you_mean(name, layers)} "
                f"Allowed: {allowed_list(layers)}.",
            )


def check_deterministic(field_name: str, names: tuple[str, ...], paths: Iterable[str]) -> None:
    """Deterministic layers must exist and must leave at least one parameter Bayesian."""
    paths = tuple(paths)
    check_layer_names(field_name, names, paths)
    if names and all(any(covers(n, p) for n in names) for p in paths):
        raise spec_error(
            field_name,
            f"{list(names)!r} makes every layer deterministic, leaving nothing Bayesian; "
            "keep at least one layer out of it (for example the last).",
        )


def as_layer_priors(value: Any, path: str) -> tuple[tuple[str, Prior], ...]:
    """Layer priors given as a mapping (or pairs) -> sorted ``(key, Prior)`` pairs."""
    if isinstance(value, tuple) and all(isinstance(v, tuple) for v in value):
        value = dict(value)
    if not isinstance(value, Mapping):
        raise spec_error(
            path, f"must map layer names or parameter paths to priors, got {value!r}.", TypeError
        )
    return tuple(sorted((k, as_prior(v, f"{path}.{k}")) for k, v in value.items()))


def _names(value: Any, path: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise spec_error(path, f"must be a list of layer names, got {value!r}.", TypeError)
    return tuple(value)


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True, kw_only=True)
class ModelSpec(Spec):
    """A whole BNN: network, prior, likelihood, per-layer priors and deterministic layers.

    ``layer_priors`` maps a layer name (``"Dense_1"``) or a parameter path (``"Dense_1.bias"``)
    to a ``Prior`` that replaces ``prior`` there (the most specific key wins).
    ``deterministic`` names layers that are point estimates (``numpyro.param``), not random.
    ``latent``: a ``LatentInput`` makes it a BNN with a latent input per point (site ``z``).

    >>> spec = ModelSpec(network=MLP(hidden=(8,)), likelihood=Categorical(classes=3),
    ...                  deterministic=("Dense_0",))
    >>> spec.n_outputs
    3
    """

    network: MLP = field(default_factory=MLP)
    prior: Prior = field(default_factory=Prior)
    likelihood: Likelihood = field(default_factory=Gaussian)
    layer_priors: tuple[tuple[str, Prior], ...] = ()
    deterministic: tuple[str, ...] = ()
    latent: LatentInput | None = None

    _nested: ClassVar[dict[str, Any]] = {
        "network": lambda v, p: v if isinstance(v, MLP) else MLP.from_dict(v, p),
        "prior": as_prior,
        "likelihood": as_likelihood,
        "layer_priors": as_layer_priors,
        "deterministic": _names,
        "latent": _as_latent,
    }

    def __post_init__(self) -> None:
        for name, kind, what in (
            ("network", MLP, "an MLP"),
            ("prior", Prior, "a Prior"),
            ("likelihood", LikelihoodSpec, "a likelihood"),
        ):
            if not isinstance(getattr(self, name), kind):
                raise spec_error(
                    f"ModelSpec.{name}", f"must be {what} spec, got {getattr(self, name)!r}.", TypeError
                )
        set_field(self, "layer_priors", as_layer_priors(self.layer_priors, "ModelSpec.layer_priors"))
        set_field(self, "deterministic", _names(self.deterministic, "ModelSpec.deterministic"))
        if self.latent is not None and not isinstance(self.latent, LatentInput):
            raise spec_error(
                "ModelSpec.latent", f"must be a LatentInput spec or None, got {self.latent!r}.", TypeError
            )
        net, lik = self.network, self.likelihood
        if net.outputs is not None and net.outputs != lik.n_outputs:
            raise spec_error(
                "ModelSpec.network.outputs",
                f"is {net.outputs} but likelihood {lik.family!r} needs {lik.n_outputs} network "
                f"output(s) per point; set outputs={lik.n_outputs} or leave it unset.",
            )
        if isinstance(lik, Bernoulli) and lik.link == "probs" and net.output_activation != "sigmoid":
            raise spec_error(
                "ModelSpec.network.output_activation",
                "Bernoulli(link='probs') reads probabilities in [0, 1], so the output activation "
                f"must be 'sigmoid', got {net.output_activation!r}; or use link='logit'.",
            )
        paths = net.param_paths
        check_layer_names("ModelSpec.layer_priors", [k for k, _ in self.layer_priors], paths)
        check_deterministic("ModelSpec.deterministic", self.deterministic, paths)
        for key, _ in self.layer_priors:
            hit = [n for n in self.deterministic if covers(n, key) or covers(key, n)]
            if hit:
                raise spec_error(
                    "ModelSpec.layer_priors",
                    f"{key!r} is deterministic ({hit[0]!r} in deterministic), so it takes no prior.",
                )

    @property
    def n_outputs(self) -> int:
        """The network's output width: ``network.outputs`` or what the likelihood needs."""
        return self.likelihood.n_outputs
