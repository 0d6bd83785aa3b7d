"""Strict JAX settings for every test and doctest: set before JAX starts its backend."""

import os
from pathlib import Path

# The test processes xdist starts (and the kernels and subprocesses of the tests) hash strings with
# seed 0, as the bnnppl command does: NumPyro's Trace_ELBO sums the sites in set order, so an SVI
# program is the same in every process and the persistent compilation cache below can hit.
os.environ.setdefault("PYTHONHASHSEED", "0")

import numpyro  # noqa: E402

numpyro.set_host_device_count(2)  # two CPU devices: chains can run in parallel

import jax  # noqa: E402

jax.config.update("jax_numpy_rank_promotion", "raise")  # no silent (n,) + (n, 1) broadcasting
# Persistent compilation cache: re-runs of the suite skip XLA compiles they have done before.
_cache = Path(os.environ.get("BNNPPL_JAX_CACHE", Path.home() / ".cache" / "bnnppl" / "jax"))
_cache.mkdir(parents=True, exist_ok=True)
jax.config.update("jax_compilation_cache_dir", str(_cache))
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)

# The slowest test files first, longest first (seconds of a full run on 2 cores, cold compilation
# cache: test_configs_run 256, test_compile_once 248, test_report 131, tutorial 4's notebook 130,
# ...): `--dist loadfile` hands whole files to the two workers in collection order, so a long file
# collected last would run alone at the end while the other worker idles.
SLOW_FIRST = (
    "test_configs_run.py",
    "test_compile_once.py",
    "test_report.py",
    "test_tutorial_04.py",
    "test_smc.py",
    "test_latent.py",
    "test_tutorial_02.py",
    "test_readme.py",
    "test_sweep.py",
    "test_scaling.py",
    "test_inference.py",
    "test_ensemble.py",
    "test_svi_init.py",
    "test_sklearn.py",
    "test_langevin.py",
    "test_plots.py",
    "test_posterior.py",
    "test_kill.py",
    "test_tutorial_03.py",
    "test_model.py",
    "test_priors.py",
    "test_mclmc.py",
    "test_tutorial_01.py",
    "test_tutorial_05.py",
)


def pytest_collection_modifyitems(session, config, items):
    """Put the files of `SLOW_FIRST` first, in its order; the rest keep theirs (a stable sort)."""
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
