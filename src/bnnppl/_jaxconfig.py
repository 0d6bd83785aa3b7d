"""JAX's persistent compilation cache, on when asked: ``bnnppl.enable_compilation_cache()``.

A student re-runs the same fit all day; most of a small fit's time is compiling (NumPyro's
``svi.init`` alone dispatches ~300 one-op programs, ~10 s cold). With the cache a fresh process
loads those programs from disk instead. Importing bnnppl changes no JAX setting: the ``bnnppl``
command and the tutorials call ``enable_compilation_cache()``, and a user's own code may.
``BNNPPL_JAX_CACHE=off`` switches it off everywhere; ``BNNPPL_JAX_CACHE=/some/dir`` picks the
folder (default ``~/.cache/bnnppl/jax``). The cache keeps at most ``max_size`` bytes (default
1 GiB): JAX drops the programs used least recently beyond that.

NumPyro's ``Trace_ELBO`` sums sites in ``set`` order, which changes with Python's string hash
seed, so an SVI program differs between processes unless ``PYTHONHASHSEED`` is fixed: the
``bnnppl`` command fixes it (to 0) for itself.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV = "BNNPPL_JAX_CACHE"
MAX_SIZE = 1 << 30  # bytes: 1 GiB, about ten afternoons of fits


def cache_dir() -> Path | None:
    """The folder bnnppl would use, or ``None`` when switched off."""
    value = os.environ.get(ENV, "")
    if value.lower() in ("0", "off", "false", "no"):
        return None
    return Path(value) if value else Path.home() / ".cache" / "bnnppl" / "jax"


def enable_compilation_cache(
    folder: str | os.PathLike | None = None, *, max_size: int = MAX_SIZE
) -> Path | None:
    """Turn on JAX's persistent compilation cache in ``folder`` (default ``BNNPPL_JAX_CACHE``, else
    ``~/.cache/bnnppl/jax``), keeping at most ``max_size`` bytes; returns the folder.

    Returns ``None`` and changes nothing when ``BNNPPL_JAX_CACHE=off``, when you configured a cache
    yourself (``JAX_COMPILATION_CACHE_DIR`` or ``jax.config``) and give no ``folder``, or when the
    folder cannot be made (a read-only home). Call it before the first fit of a process.

    >>> import bnnppl as bp
    >>> bp.enable_compilation_cache(max_size=0)
    Traceback (most recent call last):
    ...
    ValueError: max_size: must be a whole number of bytes >= 1, got 0.
    """
    if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
        raise ValueError(f"max_size: must be a whole number of bytes >= 1, got {max_size!r}.")
    import jax

    chosen = cache_dir()
    if chosen is None:
        return None
    if folder is None:
        if jax.config.jax_compilation_cache_dir or os.environ.get("JAX_COMPILATION_CACHE_DIR"):
            return None
        folder = chosen
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # a read-only home: run without the cache
    from jax.experimental.compilation_cache import compilation_cache

    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_compilation_cache_max_size", max_size)
    compilation_cache.reset_cache()  # a process that compiled already reads the new settings
    return folder
