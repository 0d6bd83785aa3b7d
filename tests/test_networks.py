"""Spec -> flax module: the activation table and the forward pass."""

import jax
import numpy as np
import pytest
import scipy.special

from bnnppl.model.networks import ACTIVATION_FUNCTIONS, build_network, flatten, output_width, param_shapes
from bnnppl.spec import ACTIVATIONS, MLP

REFERENCE = {
    "elu": lambda z: np.where(z > 0, z, np.expm1(z)),
    "gelu": lambda z: 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z**3))),
    "identity": lambda z: z,
    "relu": lambda z: np.maximum(z, 0),
    "sigmoid": scipy.special.expit,
    "silu": lambda z: z * scipy.special.expit(z),
    "softplus": lambda z: np.log1p(np.exp(z)),
    "tanh": np.tanh,
}


def test_every_spec_activation_has_a_function():
    assert sorted(ACTIVATION_FUNCTIONS) == sorted(ACTIVATIONS) == sorted(REFERENCE)


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_forward_pass_matches_numpy(act):
    module = build_network(MLP(hidden=(4, 3), activation=("tanh", act), output_activation=act), outputs=2)
    x = np.random.default_rng(0).normal(size=(6, 5)).astype(np.float32)
    params = module.init(jax.random.key(0), x)["params"]
    p = {k: np.asarray(v, np.float64) for k, v in flatten(params).items()}
    h = np.tanh(x @ p["Dense_0.kernel"] + p["Dense_0.bias"])
    h = REFERENCE[act](h @ p["Dense_1.kernel"] + p["Dense_1.bias"])
    out = REFERENCE[act](h @ p["Dense_2.kernel"] + p["Dense_2.bias"])
    np.testing.assert_allclose(module.apply({"params": params}, x), out, rtol=2e-5, atol=2e-6)


def test_shapes_outputs_and_no_bias():
    module = build_network(MLP(hidden=(8,), bias=False, outputs=None), outputs=3)
    assert param_shapes(module, n_features=4) == {"Dense_0.kernel": (4, 8), "Dense_1.kernel": (8, 3)}
    assert output_width(module, 4) == 3
    assert build_network(MLP(hidden=(8,), outputs=2), outputs=2).outputs == 2


def test_public_namespace_is_sorted_and_complete():
    import bnnppl

    assert bnnppl.__all__ == sorted(bnnppl.__all__)
    assert all(hasattr(bnnppl, name) for name in bnnppl.__all__)
