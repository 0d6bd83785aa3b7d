"""Networks: an ``MLP`` spec becomes a flax linen module; user modules are inspected here too.

>>> import jax, jax.numpy as jnp
>>> from bnnppl.spec import MLP
>>> module = build_network(MLP(hidden=(10,), activation="tanh"), outputs=1)
>>> shapes = param_shapes(module, n_features=1)
>>> shapes
{'Dense_0.kernel': (1, 10), 'Dense_0.bias': (10,), 'Dense_1.kernel': (10, 1), 'Dense_1.bias': (1,)}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from flax import linen, nnx

from bnnppl.spec.network import MLP

ACTIVATION_FUNCTIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "elu": jax.nn.elu,
    "gelu": jax.nn.gelu,
    "identity": lambda x: x,
    "relu": jax.nn.relu,
    "sigmoid": jax.nn.sigmoid,
    "silu": jax.nn.silu,
    "softplus": jax.nn.softplus,
    "tanh": jnp.tanh,
}


class MLPModule(linen.Module):
    """Dense layers ``Dense_0 .. Dense_L`` with the named activations (built by ``build_network``)."""

    hidden: tuple[int, ...]
    activations: tuple[str, ...]
    output_activation: str
    outputs: int
    bias: bool = True

    @linen.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        for i, (width, act) in enumerate(zip(self.hidden, self.activations, strict=True)):
            x = linen.Dense(width, use_bias=self.bias, name=f"Dense_{i}")(x)
            x = ACTIVATION_FUNCTIONS[act](x)
        x = linen.Dense(self.outputs, use_bias=self.bias, name=f"Dense_{len(self.hidden)}")(x)
        return ACTIVATION_FUNCTIONS[self.output_activation](x)


def build_network(spec: MLP, outputs: int) -> MLPModule:
    """The flax linen module for ``spec`` with ``outputs`` output units (when ``spec.outputs`` is unset)."""
    return MLPModule(
        hidden=spec.hidden,
        activations=spec.activations,
        output_activation=spec.output_activation,
        outputs=spec.outputs or outputs,
        bias=spec.bias,
    )


def flatten(tree: dict, prefix: str = "") -> dict[str, Any]:
    """Nested parameter dict -> ``{"Dense_0.kernel": leaf, ...}``, NumPyro's dotted paths, in order.

    >>> flatten({"Block": {"Dense_0": {"kernel": 1}}, "out": {"bias": 2}})
    {'Block.Dense_0.kernel': 1, 'out.bias': 2}
    """
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.update(flatten(value, name))
        else:
            out[name] = value
    return out


def is_nnx(module: Any) -> bool:
    """Whether ``module`` is a flax NNX module (else linen)."""
    return isinstance(module, nnx.Module)


def param_shapes(
    module: linen.Module | nnx.Module, n_features: int | None = None
) -> dict[str, tuple[int, ...]]:
    """Parameter path -> shape for ``module`` applied to ``n_features`` inputs, in creation order.

    Linen modules are initialised abstractly (``jax.eval_shape``: no parameter is computed);
    NNX modules already hold their parameters, so ``n_features`` is not needed for them.
    """
    if is_nnx(module):
        state = nnx.to_pure_dict(nnx.state(module, nnx.Param))
        return {k: tuple(jnp.shape(v)) for k, v in flatten(state).items()}
    order: list[str] = []

    def init(x):
        params = module.init(jax.random.key(0), x)["params"]
        order.extend(flatten(params))  # dicts keep creation order here, not after eval_shape
        return params

    shapes = flatten(jax.eval_shape(init, jax.ShapeDtypeStruct((1, n_features), jnp.float32)))
    return {k: tuple(shapes[k].shape) for k in order}


def param_tree(module: linen.Module | nnx.Module, n_features: int | None = None) -> dict:
    """The module's nested parameter dict, with ``jax.ShapeDtypeStruct`` leaves (nothing computed)."""
    if is_nnx(module):
        return jax.tree.map(
            lambda v: jax.ShapeDtypeStruct(jnp.shape(v), v.dtype),
            nnx.to_pure_dict(nnx.state(module, nnx.Param)),
        )
    x = jax.ShapeDtypeStruct((1, n_features), jnp.float32)
    return jax.eval_shape(lambda x: module.init(jax.random.key(0), x)["params"], x)


def fill_tree(template: dict, flat: dict[str, Any], prefix: str = "") -> dict:
    """``template``'s structure with leaves from ``flat`` (by dotted path), zeros where absent.

    >>> import jax
    >>> leaf = jax.ShapeDtypeStruct
    >>> tree = {"a": {"kernel": leaf((2,), "float32")}, "b": {"bias": leaf((1,), "float32")}}
    >>> fill_tree(tree, {"a.kernel": [1.0, 2.0]})
    {'a': {'kernel': [1.0, 2.0]}, 'b': {'bias': Array([0.], dtype=float32)}}
    """
    out = {}
    for key, value in template.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            out[key] = fill_tree(value, flat, name)
        else:
            out[key] = flat[name] if name in flat else jnp.zeros(value.shape, value.dtype)
    return out


def output_width(module: linen.Module | nnx.Module, n_features: int) -> int:
    """How many outputs per point ``module`` gives for ``n_features`` inputs (abstractly).

    >>> output_width(build_network(MLP(hidden=(4,)), outputs=3), n_features=2)
    3
    """
    x = jax.ShapeDtypeStruct((2, n_features), jnp.float32)
    try:
        if is_nnx(module):
            graph, state = nnx.split(module)
            out = jax.eval_shape(lambda s, x: nnx.merge(graph, s)(x), state, x)
        else:
            out = jax.eval_shape(lambda x: module.init_with_output(jax.random.key(0), x)[0], x)
    except Exception as err:  # the module's own complaint, e.g. a fixed input width
        raise ValueError(
            f"x: has {n_features} feature(s), but the module cannot be applied to them: "
            f"{type(err).__name__}: {err}"
        ) from None
    shape = tuple(out.shape)
    if len(shape) != 2 or shape[0] != 2:
        raise ValueError(
            f"module: must map inputs of shape (n_points, n_features) to outputs of shape "
            f"(n_points, n_outputs); for inputs of shape (2, {n_features}) it gave {shape}."
        )
    return shape[1]
