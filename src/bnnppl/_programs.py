"""A small bounded cache of compiled programs, shared by fitting and prediction.

A program is a ``jax.jit`` function; it is built once per key (the model, the method config and
the data's shapes) and reused while the key comes again in the same process, so a second fit of
the same model on new data of the same shape, or with a new seed, compiles nothing. The cache
keeps the ``LIMIT`` programs used most recently; ``clear()`` empties it (call it beside
``jax.clear_caches()`` to free the compiled code).

>>> calls = []
>>> def build():
...     calls.append(1)
...     return lambda v: v + 1
>>> get(("demo", 1), build)(1), get(("demo", 1), build)(2), len(calls)
(2, 3, 1)
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import jax
import numpy as np

LIMIT = 32

_cache: OrderedDict[Hashable, Any] = OrderedDict()


def get(key: Hashable, build: Callable[[], Any]) -> Any:
    """The program cached under ``key``, built by ``build()`` the first time."""
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    program = build()
    _cache[key] = program
    while len(_cache) > LIMIT:
        _cache.popitem(last=False)
    return program


def signature(*trees: Any) -> tuple:
    """The structure, shapes and dtypes of ``trees``: what a program's key needs of its arguments.

    >>> import numpy as np
    >>> signature({"x": np.zeros((3, 2), np.float32)}, None)
    ("PyTreeDef(({'x': *}, None))", (((3, 2), 'float32'),))
    """
    leaves, treedef = jax.tree.flatten(trees)
    return (
        str(treedef),
        tuple(
            (np.shape(v), str(np.asarray(v).dtype if not hasattr(v, "dtype") else v.dtype)) for v in leaves
        ),
    )


def clear() -> None:
    """Forget every cached program (their compiled code goes with them)."""
    _cache.clear()


def size() -> int:
    return len(_cache)
