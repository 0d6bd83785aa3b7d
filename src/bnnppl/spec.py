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

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar

from bnnppl._checks import (
    allowed_list,
    check_choice,
    check_count,
    check_keys,
    check_number,
    did_you_mean,
    spec_error,
)

NETWORK_TYPES = ("mlp",)
ACTIVATIONS = ("elu", "gelu", "identity", "relu", "sigmoid", "silu", "softplus", "tanh")
PRIOR_FAMILIES = ("laplace", "normal", "student_t")
FAN_IN_RULES = ("glorot", "he", "lecun", "neal")
SCALE_PRIOR_FAMILIES = ("gamma_precision", "half_cauchy", "half_normal", "inverse_gamma")
BERNOULLI_LINKS = ("logit", "probs")


class _Spec:
    """Dict conversion shared by the specs: nested specs by ``_nested``, tuples as lists."""

    _nested: ClassVar[dict[str, Any]] = {}
    _tag: ClassVar[tuple[str, str] | None] = None  # (key, value) written first by to_dict
    _required_hints: ClassVar[dict[str, str]] = {}  # what a required field takes, for its error

    @classmethod
    def _check_tag(cls, value: Any, path: str) -> None:
        assert cls._tag is not None
        if value != cls._tag[1]:
            raise spec_error(path, f"must be {cls._tag[1]!r}, got {value!r}.")

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (str, numbers, lists, dicts) that ``from_dict`` turns back into this spec."""
        out: dict[str, Any] = dict([self._tag]) if self._tag else {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is None or (value == () and f.default_factory is MISSING and f.default == ()):
                continue  # unset options stay out of the dict (and the YAML)
            out[f.name] = _plain(value)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: str | None = None):
        """Build the spec from ``to_dict`` output; errors name fields under ``path``."""
        path = path or cls.__name__
        names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
        tag = [cls._tag[0]] if cls._tag else []
        data = check_keys(path, dict(data) if isinstance(data, Mapping) else data, names + tag)
        kwargs = {}
        for key, value in data.items():
            if key in tag:
                cls._check_tag(value, f"{path}.{key}")
                continue
            convert = cls._nested.get(key)
            kwargs[key] = convert(value, f"{path}.{key}") if convert and value is not None else value
        for f in fields(cls):  # type: ignore[arg-type]
            if f.name not in kwargs and _required(f):
                hint = cls._required_hints.get(f.name, "")
                raise spec_error(f"{path}.{f.name}", f"is required{f' ({hint})' if hint else ''}.")
        with rebased(cls.__name__, path):
            return cls(**kwargs)


def _required(f) -> bool:
    return f.default is MISSING and f.default_factory is MISSING


def _plain(value: Any) -> Any:
    if isinstance(value, _Spec):
        return value.to_dict()
    if isinstance(value, tuple) and value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
        return {k: _plain(v) for k, v in value}  # a mapping stored as sorted pairs
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


@contextlib.contextmanager
def rebased(owner: str, path: str) -> Iterator[None]:
    """Re-raise spec errors about ``owner.x`` as errors about ``path.x`` (for config paths)."""
    try:
        yield
    except (ValueError, TypeError) as err:
        name = getattr(err, "field", None)
        if name is None or path == owner or not (name == owner or name.startswith(owner + ".")):
            raise
        raise spec_error(path + name[len(owner) :], err.problem, type(err)) from None  # type: ignore[attr-defined]


def _set(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


# --------------------------------------------------------------------------- network


@dataclass(frozen=True, kw_only=True)
class MLP(_Spec):
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
        _set(self, "hidden", tuple(check_count(f"MLP.hidden[{i}]", w) for i, w in enumerate(hidden)))
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
            _set(self, "activation", act)
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


# --------------------------------------------------------------------------- priors


@dataclass(frozen=True, kw_only=True)
class ScalePrior(_Spec):
    """A prior on a positive scale: the noise of a likelihood or a learned per-layer weight scale.

    The sample site always holds the *scale* (a standard deviation):

    - ``half_cauchy`` / ``half_normal``: ``scale ~ HalfCauchy(scale)`` / ``HalfNormal(scale)``.
    - ``inverse_gamma``: the variance ``scale**2 ~ InverseGamma(concentration, rate)``.
    - ``gamma_precision``: the precision ``1 / scale**2 ~ Gamma(concentration, rate)`` (the
      Langevin sandbox's form; the same law as ``inverse_gamma`` with the same numbers).

    >>> ScalePrior(family="half_normal")
    ScalePrior(family='half_normal', scale=1.0, concentration=None, rate=None)
    """

    family: str = "half_cauchy"
    scale: float | None = None
    concentration: float | None = None
    rate: float | None = None

    def __post_init__(self) -> None:
        check_choice("ScalePrior.family", self.family, SCALE_PRIOR_FAMILIES, "scale prior")
        if self.family.startswith("half_"):
            for name in ("concentration", "rate"):
                if getattr(self, name) is not None:
                    raise spec_error(
                        f"ScalePrior.{name}",
                        f"is not used by family {self.family!r} (only 'inverse_gamma' and "
                        f"'gamma_precision'), got {getattr(self, name)!r}.",
                    )
            scale = 1.0 if self.scale is None else self.scale
            _set(self, "scale", check_number("ScalePrior.scale", scale, positive=True))
        else:
            if self.scale is not None:
                raise spec_error(
                    "ScalePrior.scale",
                    f"is not used by family {self.family!r}; give concentration and rate.",
                )
            for name in ("concentration", "rate"):
                value = getattr(self, name)
                if value is None:
                    raise spec_error(
                        f"ScalePrior.{name}", f"is required by family {self.family!r} (a number > 0)."
                    )
                _set(self, name, check_number(f"ScalePrior.{name}", value, positive=True))


def _scale_prior(value: Any, path: str) -> ScalePrior:
    if isinstance(value, ScalePrior):
        return value
    return ScalePrior.from_dict(value, path)


@dataclass(frozen=True, kw_only=True)
class Prior(_Spec):
    """A prior on every network parameter, independent across parameters.

    A weight ``w`` of a layer gets ``family(loc, s)`` with ``s = scale * fan * learned``:

    - ``fan`` (kernels only; biases keep ``fan = 1``), with ``n_in`` / ``n_out`` the fan-in /
      fan-out of the kernel: ``lecun``: ``1/sqrt(n_in)``; ``he``: ``sqrt(2/n_in)``; ``glorot``:
      ``sqrt(2/(n_in + n_out))``; ``neal``: ``1/sqrt(n_in)`` except the first layer, which keeps 1
      (Neal 1996: only weights fed by hidden units shrink with width).
    - ``learned`` (hierarchical): with ``learned_scale`` set, each layer draws its own scale from
      that hyperprior (site ``prior_scale.<layer>``), shared by its kernel and bias.

    ``df`` (degrees of freedom) is required by, and only used by, ``student_t``.

    >>> Prior(family="laplace", scale=0.5, fan_in="he").to_dict()
    {'family': 'laplace', 'loc': 0.0, 'scale': 0.5, 'fan_in': 'he'}
    """

    family: str = "normal"
    loc: float = 0.0
    scale: float = 1.0
    df: float | None = None
    fan_in: str | None = None
    learned_scale: ScalePrior | None = None

    _nested: ClassVar[dict[str, Any]] = {"learned_scale": _scale_prior}

    def __post_init__(self) -> None:
        check_choice("Prior.family", self.family, PRIOR_FAMILIES, "prior")
        _set(self, "loc", check_number("Prior.loc", self.loc))
        _set(self, "scale", check_number("Prior.scale", self.scale, positive=True))
        if self.family == "student_t":
            if self.df is None:
                raise spec_error("Prior.df", "is required by family 'student_t' (a number > 0, e.g. 3).")
            _set(self, "df", check_number("Prior.df", self.df, positive=True))
        elif self.df is not None:
            raise spec_error(
                "Prior.df", f"is only used by family 'student_t', not {self.family!r}; got {self.df!r}."
            )
        if self.fan_in is not None:
            check_choice("Prior.fan_in", self.fan_in, FAN_IN_RULES, "fan-in rule")
        if self.learned_scale is not None and not isinstance(self.learned_scale, ScalePrior):
            raise spec_error(
                "Prior.learned_scale", f"must be a ScalePrior, got {self.learned_scale!r}.", TypeError
            )


def _prior(value: Any, path: str) -> Prior:
    return value if isinstance(value, Prior) else Prior.from_dict(value, path)


# --------------------------------------------------------------------------- likelihoods


class _Likelihood(_Spec):
    family: ClassVar[str]

    @property
    def n_outputs(self) -> int:
        """How many network outputs per point this likelihood reads."""
        return 1


def _check_noise(owner: str, spec: Any) -> None:
    """Fixed ``noise`` or a ``noise_prior`` (half-Cauchy(1) by default), not both."""
    if spec.noise is not None and spec.noise_prior is not None:
        raise spec_error(
            f"{owner}.noise_prior",
            "give either noise (a fixed noise scale) or noise_prior (a prior on it), not both.",
        )
    if spec.noise is not None:
        _set(spec, "noise", check_number(f"{owner}.noise", spec.noise, positive=True))
    elif spec.noise_prior is None:
        _set(spec, "noise_prior", ScalePrior())
    elif not isinstance(spec.noise_prior, ScalePrior):
        raise spec_error(
            f"{owner}.noise_prior", f"must be a ScalePrior, got {spec.noise_prior!r}.", TypeError
        )


@dataclass(frozen=True, kw_only=True)
class Gaussian(_Likelihood):
    """``y ~ Normal(f, sigma)``; ``sigma`` fixed (``noise``) or drawn from ``noise_prior``.

    >>> Gaussian().noise_prior
    ScalePrior(family='half_cauchy', scale=1.0, concentration=None, rate=None)
    """

    noise: float | None = None
    noise_prior: ScalePrior | None = None

    family: ClassVar[str] = "gaussian"
    _tag: ClassVar[tuple[str, str]] = ("family", "gaussian")
    _nested: ClassVar[dict[str, Any]] = {"noise_prior": _scale_prior}

    def __post_init__(self) -> None:
        _check_noise("Gaussian", self)


@dataclass(frozen=True, kw_only=True)
class HeteroscedasticGaussian(_Likelihood):
    """``y ~ Normal(f[:, 0], exp(f[:, 1]))``: the network outputs a mean and a log-scale.

    >>> HeteroscedasticGaussian().n_outputs
    2
    """

    family: ClassVar[str] = "heteroscedastic_gaussian"
    _tag: ClassVar[tuple[str, str]] = ("family", "heteroscedastic_gaussian")

    @property
    def n_outputs(self) -> int:
        return 2


@dataclass(frozen=True, kw_only=True)
class StudentT(_Likelihood):
    """``y ~ StudentT(df, f, sigma)``: robust regression; ``sigma`` as in ``Gaussian``.

    >>> StudentT(df=4.0, noise=0.1).to_dict()
    {'family': 'student_t', 'df': 4.0, 'noise': 0.1}
    """

    df: float
    noise: float | None = None
    noise_prior: ScalePrior | None = None

    family: ClassVar[str] = "student_t"
    _tag: ClassVar[tuple[str, str]] = ("family", "student_t")
    _required_hints: ClassVar[dict[str, str]] = {"df": "degrees of freedom, a number > 0, e.g. 4"}
    _nested: ClassVar[dict[str, Any]] = {"noise_prior": _scale_prior}

    def __post_init__(self) -> None:
        _set(self, "df", check_number("StudentT.df", self.df, positive=True))
        _check_noise("StudentT", self)


@dataclass(frozen=True, kw_only=True)
class Bernoulli(_Likelihood):
    """Binary labels 0/1: ``link="logit"`` reads logits, ``link="probs"`` reads probabilities
    (use ``output_activation="sigmoid"``, as the Turing tutorial does).

    >>> Bernoulli(link="probs").link
    'probs'
    """

    link: str = "logit"

    family: ClassVar[str] = "bernoulli"
    _tag: ClassVar[tuple[str, str]] = ("family", "bernoulli")

    def __post_init__(self) -> None:
        check_choice("Bernoulli.link", self.link, BERNOULLI_LINKS, "Bernoulli link")


@dataclass(frozen=True, kw_only=True)
class Categorical(_Likelihood):
    """Labels ``0 .. classes-1``; the network outputs one logit per class.

    >>> Categorical(classes=3).n_outputs
    3
    """

    classes: int

    family: ClassVar[str] = "categorical"
    _tag: ClassVar[tuple[str, str]] = ("family", "categorical")
    _required_hints: ClassVar[dict[str, str]] = {"classes": "the number of classes, an integer >= 2"}

    def __post_init__(self) -> None:
        check_count("Categorical.classes", self.classes, minimum=2)

    @property
    def n_outputs(self) -> int:
        return self.classes


@dataclass(frozen=True, kw_only=True)
class Poisson(_Likelihood):
    """Counts ``y ~ Poisson(exp(f))``: the network outputs a log rate.

    >>> Poisson().to_dict()
    {'family': 'poisson'}
    """

    family: ClassVar[str] = "poisson"
    _tag: ClassVar[tuple[str, str]] = ("family", "poisson")


LIKELIHOODS: dict[str, type[_Likelihood]] = {
    cls.family: cls for cls in (Bernoulli, Categorical, Gaussian, HeteroscedasticGaussian, Poisson, StudentT)
}
Likelihood = Bernoulli | Categorical | Gaussian | HeteroscedasticGaussian | Poisson | StudentT


def likelihood_from_dict(data: Mapping[str, Any], path: str = "likelihood") -> Likelihood:
    """The likelihood spec named by ``data["family"]``.

    >>> likelihood_from_dict({"family": "categorical", "classes": 3})
    Categorical(classes=3)
    """
    if not isinstance(data, Mapping):
        raise spec_error(path, f"must be a mapping with a 'family' key, got {data!r}.", TypeError)
    if "family" not in data:
        raise spec_error(f"{path}.family", f"is required; allowed: {allowed_list(LIKELIHOODS)}.")
    family = check_choice(f"{path}.family", data["family"], LIKELIHOODS, "likelihood")
    return LIKELIHOODS[family].from_dict(data, path)  # type: ignore[return-value]


def _likelihood(value: Any, path: str) -> Likelihood:
    return value if isinstance(value, _Likelihood) else likelihood_from_dict(value, path)


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
    return tuple(sorted((k, _prior(v, f"{path}.{k}")) for k, v in value.items()))


def _names(value: Any, path: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise spec_error(path, f"must be a list of layer names, got {value!r}.", TypeError)
    return tuple(value)


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True, kw_only=True)
class ModelSpec(_Spec):
    """A whole BNN: network, prior, likelihood, per-layer priors and deterministic layers.

    ``layer_priors`` maps a layer name (``"Dense_1"``) or a parameter path (``"Dense_1.bias"``)
    to a ``Prior`` that replaces ``prior`` there (the most specific key wins).
    ``deterministic`` names layers that are point estimates (``numpyro.param``), not random.

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

    _nested: ClassVar[dict[str, Any]] = {
        "network": lambda v, p: v if isinstance(v, MLP) else MLP.from_dict(v, p),
        "prior": _prior,
        "likelihood": _likelihood,
        "layer_priors": as_layer_priors,
        "deterministic": _names,
    }

    def __post_init__(self) -> None:
        for name, kind, what in (
            ("network", MLP, "an MLP"),
            ("prior", Prior, "a Prior"),
            ("likelihood", _Likelihood, "a likelihood"),
        ):
            if not isinstance(getattr(self, name), kind):
                raise spec_error(
                    f"ModelSpec.{name}", f"must be {what} spec, got {getattr(self, name)!r}.", TypeError
                )
        _set(self, "layer_priors", as_layer_priors(self.layer_priors, "ModelSpec.layer_priors"))
        _set(self, "deterministic", _names(self.deterministic, "ModelSpec.deterministic"))
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
