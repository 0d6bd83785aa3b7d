"""The network spec: ``MLP`` (layer widths, activations, outputs) and ``LatentInput`` (BNN+LV).

>>> MLP(hidden=(50, 50), activation="relu").param_paths[:2]
('Dense_0.kernel', 'Dense_0.bias')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from bnnppl._checks import check_choice, check_count, check_number, spec_error
from bnnppl.spec.base import Spec, set_field

NETWORK_TYPES = ("mlp",)
ACTIVATIONS = ("elu", "gelu", "identity", "relu", "sigmoid", "silu", "softplus", "tanh")
DEFAULT_ACTIVATION = {"bernoulli": "relu", "categorical": "relu"}
"""Hidden activation by likelihood family where ``MLP.activation`` is unset (else ``tanh``):
chosen on the training rows of ``bench/defaults.py``'s suite (``docs/benchmarks.md``)."""


@dataclass(frozen=True, kw_only=True)
class MLP(Spec):
    """A multilayer perceptron: ``Dense_0 .. Dense_{L-1}`` hidden layers, then ``Dense_L`` out.

    ``activation`` is one name for every hidden layer or one name per hidden layer; left unset
    (``None``), ``ModelSpec`` fills in its likelihood's default (``DEFAULT_ACTIVATION``: ``relu``
    for class labels, ``tanh`` otherwise), and a network without a ``ModelSpec`` uses ``tanh``.
    ``output_activation`` applies to the output layer (``"sigmoid"`` for Bernoulli on
    probabilities). ``outputs=None`` takes the width the likelihood needs. ``hidden=()`` is a
    linear model.

    >>> MLP(hidden=(3, 2), activation=("tanh", "tanh"), output_activation="sigmoid").layer_names
    ('Dense_0', 'Dense_1', 'Dense_2')
    """

    hidden: tuple[int, ...] = (10,)
    activation: str | tuple[str, ...] | None = None
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
        if act is None:
            pass
        elif isinstance(act, str):
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
        """The activation of each hidden layer (``tanh`` where ``activation`` is unset)."""
        if self.activation is None or isinstance(self.activation, str):
            return (self.activation or "tanh",) * len(self.hidden)
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


def as_latent(value: Any, path: str) -> LatentInput:
    return value if isinstance(value, LatentInput) else LatentInput.from_dict(value, path)
