"""JAX's persistent compilation cache, on by default for bnnppl users.

A student re-runs the same fit all day; most of a small fit's time is compiling (NumPyro's
``svi.init`` alone dispatches ~300 one-op programs, ~10 s cold). With the cache a fresh process
loads those programs from disk instead. bnnppl turns it on at import unless the user has chosen a
cache directory already (``JAX_COMPILATION_CACHE_DIR`` or ``jax.config``) or opts out with
``BNNPPL_JAX_CACHE=off``; ``BNNPPL_JAX_CACHE=/some/dir`` picks the folder (default
``~/.cache/bnnppl/jax``).

NumPyro's ``Trace_ELBO`` sums sites in ``set`` order, which changes with Python's string hash
seed, so an SVI program differs between processes unless ``PYTHONHASHSEED`` is fixed: the
``bnnppl`` command fixes it (to 0) for itself.
"""

from __future__ import annotations

import os
from pathlib import Path

import jax

ENV = "BNNPPL_JAX_CACHE"


def cache_dir() -> Path | None:
    """The folder bnnppl would use, or ``None`` when switched off."""
    value = os.environ.get(ENV, "")
    if value.lower() in ("0", "off", "false", "no"):
        return None
    return Path(value) if value else Path.home() / ".cache" / "bnnppl" / "jax"


def enable_compilation_cache() -> Path | None:
    """Point JAX's persistent cache at ``cache_dir()`` unless a cache is configured already."""
    if jax.config.jax_compilation_cache_dir or os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        return None
    folder = cache_dir()
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # a read-only home: run without the cache
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return folder
