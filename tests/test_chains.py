"""How many chains share a device: NUTS's chains run one after another there (each its own tree
lengths), the fixed-step samplers' chains as a vmap (bnnppl.inference.chains.spread)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bnnppl.inference import chains

LENGTHS = [1, 5, 20, 2]  # steps each chain takes, as NUTS trees differ from chain to chain


@pytest.mark.parametrize("vectorize", [False, True])
def test_chains_on_a_device_take_their_own_steps_or_move_in_lockstep(vectorize):
    if chains.devices(len(LENGTHS)) == len(LENGTHS):
        pytest.skip("a device per chain: neither map nor vmap")
    steps = []  # per step a chain's loop body runs, that chain's length

    def one(key, length):
        def body(i):
            jax.debug.callback(lambda n: steps.append(tuple(np.atleast_1d(n).tolist())), length)
            return i + 1

        return jax.lax.while_loop(lambda i: i < length, body, jnp.int32(0))

    program = chains.spread(one, len(LENGTHS), 0, vectorize=vectorize)
    keys = jax.random.split(jax.random.key(0), len(LENGTHS))
    out = jax.block_until_ready(program(keys, jnp.array(LENGTHS, dtype=jnp.int32)))
    np.testing.assert_array_equal(out, LENGTHS)  # the same results either way
    per_device = len(LENGTHS) // chains.devices(len(LENGTHS))
    groups = [list(LENGTHS[i : i + per_device]) for i in range(0, len(LENGTHS), per_device)]
    if vectorize:  # a device's chains step together until its longest chain stops
        assert sorted(steps) == sorted((n,) for g in groups for n in g for _ in range(max(g)))
    else:  # each chain steps alone, as often as it needs
        assert sorted(steps) == sorted((n,) for n in LENGTHS for _ in range(n))
