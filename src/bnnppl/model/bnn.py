"""``BNN``: a network, a prior and a likelihood compiled to a plain NumPyro model.

``bnn.model(x, y=None)`` is an ordinary NumPyro model: any kernel, guide, ``Predictive`` or
handler works on it. Its sites are named in ``bnnppl.model.sites`` (the only place their names live).

>>> import jax, numpy as np
>>> from numpyro import handlers
>>> from bnnppl.spec import ModelSpec, MLP, Gaussian, ScalePrior
>>> bnn = BNN(ModelSpec(network=MLP(hidden=(10,)),
...                     likelihood=Gaussian(noise_prior=ScalePrior(scale=0.5))))
>>> x, y = np.zeros((40, 1)), np.zeros(40)
>>> trace = handlers.trace(handlers.seed(bnn.model, jax.random.key(0))).get_trace(x, y)
>>> {name: site["value"].shape for name, site in trace.items() if site["type"] != "param"}
... # doctest: +NORMALIZE_WHITESPACE
{'net.Dense_0.bias': (10,), 'net.Dense_0.kernel': (1, 10), 'net.Dense_1.bias': (1,),
 'net.Dense_1.kernel': (10, 1), 'sigma': (), 'data': (40,), 'f': (40, 1), 'obs': (40,)}

A latent input ``z_n ~ Normal(0, variance)`` per point (BNN+LV) is one more input column:

>>> from bnnppl.spec import LatentInput
>>> lv = BNN(ModelSpec(network=MLP(hidden=(10,)), latent=LatentInput(variance=1.0)))
>>> trace = handlers.trace(handlers.seed(lv.model, jax.random.key(0))).get_trace(x, y)
>>> trace["z"]["value"].shape, [f.name for f in trace["z"]["cond_indep_stack"]]
((40,), ['data'])
>>> trace["net.Dense_0.kernel"]["value"].shape, lv.param_shapes(n_features=1)["Dense_0.kernel"]
((2, 10), (2, 10))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from flax import linen, nnx
from numpyro.contrib.module import random_flax_module, random_nnx_module

from bnnppl._checks import allowed_list
from bnnppl._data import check_x
from bnnppl.model import likelihoods, networks, priors
from bnnppl.model.sites import (
    DATA_PLATE,
    LATENT,
    NET,
    NET_PARAMS,
    OBS,
    SIGMA,
    F,
    _dotted_sites,
    prior_scale_site,
)
from bnnppl.spec.likelihoods import LIKELIHOODS, Likelihood
from bnnppl.spec.model import ModelSpec, as_layer_priors, check_deterministic, check_layer_names, covers
from bnnppl.spec.priors import Prior

PriorForm = dist.Distribution | Mapping[str, dist.Distribution] | Callable[[str, tuple], Any]


def with_latent(x: Any, z: Any) -> jax.Array:
    """The network's input for a latent model: ``x`` ``(..., n, n_features)`` with ``z``
    ``(..., n)`` appended as the last column, broadcast over leading axes: ``(..., n, n_features + 1)``.

    >>> with_latent(jnp.zeros((3, 2)), jnp.ones(3)).tolist()
    [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]
    """
    z = jnp.asarray(z)[..., None]
    x = jnp.broadcast_to(x, (*z.shape[:-2], *jnp.shape(x)))
    return jnp.concatenate([x, z.astype(x.dtype)], axis=-1)


def _is_traced(*values: Any) -> bool:
    return any(isinstance(v, jax.core.Tracer) for v in values)


class BNN:
    """A Bayesian neural network: ``BNN(spec)`` or ``BNN.from_module(module, prior=, likelihood=)``.

    Attributes: ``spec`` (the ``ModelSpec``, or ``None`` for a user module), ``module`` (the flax
    module), ``prior``, ``likelihood``, ``layer_priors``, ``deterministic`` and ``latent`` (the
    ``LatentInput``, or ``None``). Nothing here changes after construction; fits return values and
    keep nothing on the ``BNN``.
    """

    __slots__ = (
        "spec",
        "module",
        "prior",
        "likelihood",
        "layer_priors",
        "deterministic",
        "latent",
        "_shapes",
    )

    def __init__(self, spec: ModelSpec) -> None:
        if not isinstance(spec, ModelSpec):
            raise TypeError(
                f"spec: must be a bnnppl.ModelSpec, got {spec!r}; for your own flax module use "
                "BNN.from_module(module, prior=..., likelihood=...)."
            )
        self._setup(
            spec=spec,
            module=networks.build_network(spec.network, spec.n_outputs),
            prior=spec.prior,
            likelihood=spec.likelihood,
            layer_priors=spec.layer_priors,
            deterministic=spec.deterministic,
            latent=spec.latent,
        )

    @classmethod
    def from_module(
        cls,
        module: linen.Module | nnx.Module,
        *,
        prior: Prior | PriorForm,
        likelihood: Likelihood,
        layer_priors: Mapping[str, Prior] | None = None,
        deterministic: Iterable[str] = (),
    ) -> BNN:
        """A BNN over your own flax module (linen, or an initialised NNX module).

        ``prior`` is a ``Prior`` spec, or one of NumPyro's forms used as they are: a distribution,
        a dict keyed by parameter path (parameters left out stay point estimates), or a callable
        ``(path, shape) -> distribution``. ``layer_priors`` and ``deterministic`` need a ``Prior``.
        The module must map ``(n_points, n_features)`` to ``(n_points, n_outputs)``. A latent
        input (``ModelSpec.latent``) needs a ``ModelSpec``: user modules have none.

        >>> from flax import linen
        >>> from bnnppl.spec import Bernoulli
        >>> bnn = BNN.from_module(linen.Dense(1), prior=Prior(scale=2.0), likelihood=Bernoulli())
        >>> bnn.param_shapes(n_features=3)
        {'kernel': (3, 1), 'bias': (1,)}
        """
        if not isinstance(module, linen.Module | nnx.Module):
            raise TypeError(
                f"module: must be a flax linen Module or an initialised flax nnx Module, got {module!r}."
            )
        if not isinstance(likelihood, tuple(LIKELIHOODS.values())):
            raise TypeError(
                f"likelihood: must be a likelihood spec such as bnnppl.Gaussian(), got {likelihood!r}; "
                f"families: {allowed_list(LIKELIHOODS)}."
            )
        deterministic = tuple(deterministic)
        priors.check_form(prior, has_layer_choices=bool(layer_priors or deterministic))
        self = cls.__new__(cls)
        self._setup(
            spec=None,
            module=module,
            prior=prior,
            likelihood=likelihood,
            layer_priors=as_layer_priors(layer_priors or {}, "layer_priors"),
            deterministic=deterministic,
            latent=None,
        )
        if networks.is_nnx(module):  # shapes are known now: check the layer choices early
            self._check_layers(networks.param_shapes(module))
        return self

    def _setup(self, **attrs: Any) -> None:
        for key, value in attrs.items():
            object.__setattr__(self, key, value)
        object.__setattr__(self, "_shapes", {})

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"BNN is immutable: build a new one instead of setting {name!r}.")

    def __reduce__(self) -> tuple:
        """Pickle (a fitted estimator, a posterior sent to a Dask worker): its attributes, set
        again on a new ``BNN`` without ``__setattr__``; the shape cache starts empty."""
        attrs = {key: getattr(self, key) for key in self.__slots__ if key != "_shapes"}
        return _restore, (attrs,)

    @property
    def cache_key(self) -> Any:
        """What identifies this model's compiled programs: its spec (equal specs compile the same
        programs), or the BNN itself for a user module."""
        return ("spec", self.spec) if self.spec is not None else ("module", self)

    def __repr__(self) -> str:
        what = repr(self.spec) if self.spec is not None else f"module={type(self.module).__name__}"
        return f"BNN({what})"

    # ------------------------------------------------------------------ shapes and checks

    def input_width(self, n_features: int) -> int:
        """Columns the network reads for ``x`` with ``n_features`` columns: one more with a latent input.

        >>> from bnnppl.spec import LatentInput
        >>> BNN(ModelSpec(latent=LatentInput())).input_width(n_features=3)
        4
        """
        return n_features + (1 if self.latent is not None else 0)

    def param_shapes(self, n_features: int) -> dict[str, tuple[int, ...]]:
        """Parameter path -> shape for ``x`` with ``n_features`` columns (computed once, abstractly).

        With a latent input the first kernel has ``n_features + 1`` rows (``input_width``).
        """
        if n_features not in self._shapes:
            shapes = networks.param_shapes(self.module, self.input_width(n_features))
            if self.spec is None:
                self._check_layers(shapes)
                self._check_outputs(n_features)
            self._shapes[n_features] = shapes
        return self._shapes[n_features]

    def _check_layers(self, shapes: Mapping[str, tuple]) -> None:
        check_layer_names("layer_priors", [k for k, _ in self.layer_priors], shapes)
        check_deterministic("deterministic", self.deterministic, shapes)

    def _check_outputs(self, n_features: int) -> None:
        width = networks.output_width(self.module, n_features)
        need = self.likelihood.n_outputs
        if width != need:
            raise ValueError(
                f"module: outputs {width} value(s) per point but likelihood "
                f"{self.likelihood.family!r} needs {need}."
            )

    def check_data(self, x: Any, y: Any = None) -> tuple[Any, Any]:
        """``(x, y)`` validated and converted; raises ``ValueError``/``TypeError`` naming the problem.

        ``x`` must be a finite ``(n_points, n_features)`` array; ``y`` (optional) a finite 1-D array
        with one target per row, in the likelihood's support.

        >>> from bnnppl.spec import ModelSpec, Bernoulli
        >>> BNN(ModelSpec(likelihood=Bernoulli())).check_data([[0.0], [1.0]], [0, 2])
        Traceback (most recent call last):
        ...
        ValueError: y: Bernoulli labels must be 0 or 1, got 2 at row 1.
        """
        x = check_x(x)
        if y is not None:
            y = likelihoods.check_targets(self.likelihood, y, x.shape[0])
        self.param_shapes(x.shape[1])
        return x, y

    def point_paths(self, n_features: int) -> tuple[str, ...]:
        """Parameters that are point estimates (``numpyro.param``), not sampled: the layers in
        ``deterministic``, or, with a NumPyro dict prior, the paths the dict leaves out.

        >>> BNN(ModelSpec(deterministic=("Dense_0",))).point_paths(n_features=1)
        ('Dense_0.kernel', 'Dense_0.bias')
        """
        paths = self.param_shapes(n_features)
        if isinstance(self.prior, Mapping):
            return tuple(p for p in paths if p not in self.prior)
        return tuple(p for p in paths if any(covers(n, p) for n in self.deterministic))

    def fixed_substitutions(self, fixed: Mapping[str, Any], n_features: int) -> dict[str, Any]:
        """Data for ``handlers.substitute`` that sets the deterministic layers to ``fixed``.

        ``fixed`` maps parameter paths to values; empty ``fixed`` gives ``{}``.
        """
        if not fixed:
            return {}
        template = networks.param_tree(self.module, self.input_width(n_features))
        return {NET_PARAMS: networks.fill_tree(template, dict(fixed))}

    # ------------------------------------------------------------------ the NumPyro model

    def _prior_form(self, shapes: Mapping[str, tuple]) -> PriorForm:
        if not isinstance(self.prior, Prior):
            return self.prior
        return priors.to_numpyro(
            self.prior,
            shapes,
            layer_priors=self.layer_priors,
            deterministic=self.deterministic,
            scale_site=prior_scale_site,
        )

    def network(self, x: Any) -> Callable[[Any], Any]:
        """Inside a model: sample the network's parameters and return the network as a function.

        ``x`` has ``n_features`` columns; the function takes the network's input, which for a
        latent model is ``with_latent(x, z)`` (``n_features + 1`` columns), else ``x`` itself.
        Use it to build your own model around the network (another likelihood, say):

        >>> import jax, numpy as np
        >>> from numpyro import handlers
        >>> bnn = BNN(ModelSpec())
        >>> x = np.zeros((4, 1), np.float32)
        >>> with handlers.seed(rng_seed=0):
        ...     f = bnn.network(x)(x)
        >>> f.shape
        (4, 1)
        """
        shapes = self.param_shapes(x.shape[-1])
        form = self._prior_form(shapes)
        with _dotted_sites():
            if networks.is_nnx(self.module):
                return random_nnx_module(NET, self.module, form)
            width = self.input_width(x.shape[-1])
            return random_flax_module(NET, self.module, form, input_shape=(1, width))

    def model(self, x: Any, y: Any = None, *, subsample_size: int | None = None) -> None:
        """The NumPyro model: ``x`` of shape ``(n_points, n_features)``, ``y`` of shape ``(n_points,)``.

        Concrete inputs are checked first (``check_data``); traced inputs are used as they are.
        With ``subsample_size`` (minibatch SVI) each call draws that many rows of ``x`` and ``y``
        together and the ``data`` plate scales the likelihood by ``n_points / subsample_size``;
        ``f`` then has ``subsample_size`` rows. A latent model samples ``z`` (one value per row,
        inside ``data``) and feeds ``with_latent(x, z)`` to the network.
        """
        if not _is_traced(x, y):
            x, y = self.check_data(x, y)
        net = self.network(x)
        sigma = likelihoods.fixed_noise(self.likelihood)
        noise_prior = likelihoods.noise_distribution(self.likelihood)
        if noise_prior is not None:
            sigma = numpyro.sample(SIGMA, noise_prior)
        with numpyro.plate(DATA_PLATE, x.shape[0], subsample_size=subsample_size) as rows:
            if subsample_size is not None:
                x = x[rows]
                y = None if y is None else y[rows]
            inputs = x
            if self.latent is not None:
                z = numpyro.sample(LATENT, dist.Normal(0.0, self.latent.variance**0.5))
                inputs = with_latent(x, z)
            f = numpyro.deterministic(F, net(inputs))
            numpyro.sample(OBS, likelihoods.distribution(self.likelihood, f, sigma), obs=y)


def _restore(attrs: dict[str, Any]) -> BNN:
    """A pickled ``BNN`` rebuilt from its attributes (``BNN.__reduce__``)."""
    bnn = BNN.__new__(BNN)
    bnn._setup(**attrs)
    return bnn
