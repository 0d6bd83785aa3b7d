"""SVI's initialisation traced once under ``jax.jit``: NumPyro's ``svi.init`` runs the model op by
op (a few hundred one-op programs, each compiled); here it runs as one program, and the values
the guide keeps from that run are swapped for the concrete results (``init_svi``)."""

from __future__ import annotations

import functools
from typing import Any

import jax


def _children(obj: Any) -> list[tuple[Any, Any]]:
    """``(slot, child)`` pairs of the containers a guide keeps its state in; ``slot`` says where to
    put a replacement. Other objects are leaves: only NumPyro's own objects and plain containers are
    opened, never user objects."""
    if isinstance(obj, dict):
        return [((obj, k), v) for k, v in obj.items()]
    if isinstance(obj, list):
        return [((obj, i), v) for i, v in enumerate(obj)]
    if isinstance(obj, tuple):
        return [((None, i), v) for i, v in enumerate(obj)]
    if isinstance(obj, functools.partial):
        return [((None, "args"), obj.args), ((None, "keywords"), obj.keywords)]
    if callable(obj) and getattr(obj, "__closure__", None):
        return [((cell, "cell_contents"), cell.cell_contents) for cell in obj.__closure__ if _filled(cell)]
    if type(obj).__module__.startswith("numpyro.") and hasattr(obj, "__dict__"):
        return [((obj.__dict__, k), v) for k, v in obj.__dict__.items()]
    return []


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018
    except ValueError:  # an empty cell
        return False
    return True


def _tracers(root: Any) -> dict[int, jax.core.Tracer]:
    """Every JAX tracer reachable from ``root`` through `_children`, by ``id``."""
    found: dict[int, jax.core.Tracer] = {}
    seen: set[int] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if isinstance(obj, jax.core.Tracer):
            found[id(obj)] = obj
            continue
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        stack.extend(child for _, child in _children(obj))
    return found


def _swap(obj: Any, table: dict[int, Any], seen: dict[int, Any]) -> Any:
    """``obj`` with every tracer ``t`` replaced by ``table[id(t)]``; mutable containers are changed
    in place, tuples and partials rebuilt."""
    if isinstance(obj, jax.core.Tracer):
        return table[id(obj)]
    if id(obj) in seen:
        return seen[id(obj)]
    seen[id(obj)] = obj
    if isinstance(obj, tuple):
        items = [_swap(v, table, seen) for v in obj]
        new = type(obj)._make(items) if hasattr(obj, "_fields") else tuple(items)
    elif isinstance(obj, functools.partial):
        new = functools.partial(obj.func, *_swap(obj.args, table, seen), **_swap(obj.keywords, table, seen))
    else:
        for (holder, key), child in _children(obj):
            value = _swap(child, table, seen)
            if value is not child:
                if isinstance(holder, (dict, list)):
                    holder[key] = value
                else:
                    setattr(holder, key, value)
        new = obj
    seen[id(obj)] = new
    return new


def init_svi(make: Any, key: jax.Array, args: tuple) -> tuple[Any, Any, Any]:
    """``(guide, svi, state)``: ``make()`` builds a fresh guide and SVI, initialised here.

    NumPyro's ``svi.init`` runs the model op by op: a few hundred one-op programs, each compiled
    (~10 s on a small net). Here it runs once under ``jax.jit`` instead (one program), and the
    values the guide keeps from that run (its prototype trace, initial locations, and the data its
    helper functions close over) are swapped for the concrete results. If anything is left
    traced, or tracing fails, the guide is rebuilt and initialised the plain way.
    """
    guide, svi, state, _ = _traced_init(make, key, args)
    return guide, svi, state


def _traced_init(make: Any, key: jax.Array, args: tuple, before: Any = None) -> tuple[Any, Any, Any, Any]:
    """``init_svi``, also returning the compiled init ``(key, *args) -> (state, values)`` (``None``
    after the eager fallback). ``before(*args)``, if given, runs first inside the trace."""
    guide, svi = make()
    ids: list[int] = []

    def init(key, *args):
        if before is not None:
            args = before(*args)
        state = svi.init(key, *args)
        found = _tracers((guide.__dict__, svi.__dict__))
        if not ids:
            ids.extend(found)
        return state, list(found.values())

    try:
        compiled = jax.jit(init)
        state, values = compiled(key, *args)
        table = dict(zip(ids, values, strict=True))
        for owner in (guide, svi):
            _swap(owner.__dict__, table, {})
        if not _tracers((guide.__dict__, svi.__dict__)):
            return guide, svi, state, compiled
    except Exception:  # noqa: BLE001 - any failure: fall back to NumPyro's own eager path
        pass
    guide, svi = make()
    eager = args if before is None else before(*args)
    return guide, svi, svi.init(key, *eager), None
