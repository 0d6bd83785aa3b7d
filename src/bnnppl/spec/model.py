"""``ModelSpec``: a whole BNN as plain data (network, prior, likelihood, per-layer priors,
deterministic layers, latent input), and the checks on layer names it shares with ``BNN``.

>>> spec = ModelSpec(network=MLP(hidden=(8,)), layer_priors={"Dense_1": Prior(scale=0.5)})
>>> spec.layer_priors[0][0], spec.layer_priors[0][1].scale
('Dense_1', 0.5)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from bnnppl._checks import allowed_list, did_you_mean, spec_error
from bnnppl.spec.base import Spec, set_field
from bnnppl.spec.likelihoods import (
    Bernoulli,
    Gaussian,
    Likelihood,
    LikelihoodSpec,
    as_likelihood,
)
from bnnppl.spec.network import DEFAULT_ACTIVATION, MLP, LatentInput, as_latent
from bnnppl.spec.priors import (
    Prior,
    as_prior,
)

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

    Left unset, the network's hidden activation is the likelihood's default
    (``spec.network.DEFAULT_ACTIVATION``: ``relu`` for class labels, ``tanh`` otherwise), chosen
    on the training rows of ``bench/defaults.py``'s real data sets; the spec then states it.

    >>> from bnnppl.spec import Categorical
    >>> spec = ModelSpec(network=MLP(hidden=(8,)), likelihood=Categorical(classes=3),
    ...                  deterministic=("Dense_0",))
    >>> spec.n_outputs, spec.network.activation
    (3, 'relu')
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
        "latent": as_latent,
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
        if net.activation is None:
            net = replace(net, activation=DEFAULT_ACTIVATION.get(lik.family, "tanh"))
            set_field(self, "network", net)
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
