"""Strict JAX settings for every test and doctest: set before JAX starts its backend."""

import os
from pathlib import Path

import numpyro

numpyro.set_host_device_count(2)  # two CPU devices: chains can run in parallel

import jax  # noqa: E402

jax.config.update("jax_numpy_rank_promotion", "raise")  # no silent (n,) + (n, 1) broadcasting
# Persistent compilation cache: re-runs of the suite skip XLA compiles they have done before.
_cache = Path(os.environ.get("BNNPPL_JAX_CACHE", Path.home() / ".cache" / "bnnppl" / "jax"))
_cache.mkdir(parents=True, exist_ok=True)
jax.config.update("jax_compilation_cache_dir", str(_cache))
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
