"""A sweep's plan: the product of ``--grid`` values and ``--seeds`` as points, each a config with
its overrides, checked whole before any worker starts.

>>> parse_grid("model.network.hidden=[10],[20, 20]")
('model.network.hidden', [[10], [20, 20]])
>>> parse_seeds("0-2,5")
[0, 1, 2, 5]
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from itertools import product
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from bnnppl.runs.config import RunConfig, load_config, parse_numbers
from bnnppl.runs.errors import ConfigError

__all__ = ["Point", "parse_grid", "parse_seeds", "plan"]


class Point(NamedTuple):
    """One run of a sweep: its grid ``values`` (key -> value, the seed included), the resolved
    ``config``, a ``fingerprint`` of it (a finished run with the same one is not run again) and
    the run folder's ``name`` (the values, then the fingerprint's start)."""

    values: dict[str, Any]
    config: RunConfig
    fingerprint: str
    name: str


def parse_grid(text: str) -> tuple[str, list[Any]]:
    """``KEY=V1,V2,...`` as ``(key, values)``; the values are read as a YAML list, so
    ``[10],[20, 20]`` gives two lists and ``nuts,svi`` two strings."""
    key, sep, values = text.partition("=")
    key = key.strip()
    if not sep or not key or not all(key.split(".")) or not values.strip():
        raise ConfigError(
            f"--grid {text!r}: expected key.path=value1,value2,..., e.g. inference.steps=500,1000."
        )
    try:
        parsed = yaml.safe_load(f"[{values}]")
    except yaml.YAMLError:
        raise ConfigError(f"--grid {text!r}: the values are not valid YAML.") from None
    if len(parsed) != len({json.dumps(v, sort_keys=True, default=str) for v in parsed}):
        raise ConfigError(f"--grid {text!r}: a value is given twice.")
    return key, parsed


def parse_seeds(text: str | None) -> list[int]:
    """``"0"``, ``"0-4"``, ``"0,3,5-7"`` as a sorted list of seeds."""
    return [] if text is None else parse_numbers(text, "--seeds", "seeds")


def plan(
    config: Path | str, grid: Sequence[str] = (), seeds: str | None = None, overrides: Sequence[str] = ()
) -> list[Point]:
    """Every point of the grid (and seeds), each config loaded and checked: a bad key or value
    raises ``ConfigError`` naming the key, the value and what is allowed, before anything runs."""
    axes = [parse_grid(text) for text in grid]
    keys = [key for key, _ in axes]
    if len(set(keys)) < len(keys):
        twice = next(key for key in keys if keys.count(key) > 1)
        raise ConfigError(f"--grid: {twice} is given twice; list all its values in one --grid.")
    if "seed" in keys and seeds is not None:
        raise ConfigError("--grid seed=...: give the seeds with --seeds, not both.")
    axes += [("seed", parse_seeds(seeds))] if seeds is not None else []
    points = []
    for combo in product(*(values for _, values in axes)):
        values = dict(zip([key for key, _ in axes], combo, strict=True))
        sets = [*overrides, *(f"{key}={json.dumps(value)}" for key, value in values.items())]
        try:
            resolved = load_config(config, sets)
        except ConfigError as err:
            where = ", ".join(f"{key}={json.dumps(value)}" for key, value in values.items())
            raise ConfigError(f"--grid point {where}: {err}") from None
        fingerprint = _fingerprint(resolved)
        points.append(Point(values, resolved, fingerprint, _name(values, fingerprint)))
    return points


def _fingerprint(config: RunConfig) -> str:
    """sha256 of the resolved config, the output folder left out (it does not change the fit)."""
    settings = {k: v for k, v in config.to_dict().items() if k != "output"}
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _name(values: dict[str, Any], fingerprint: str) -> str:
    """``hidden=10-seed=3-<fingerprint>``: each key's last part and its value, made safe for a
    folder name, then the fingerprint (the names of two points never collide)."""
    words = [
        f"{key.rsplit('.', 1)[-1]}={json.dumps(value, separators=(',', ':'))}"
        for key, value in values.items()
    ]
    slug = re.sub(r"[^A-Za-z0-9=.,_+-]+", "", "-".join(words))[:80]
    return f"{slug}-{fingerprint}" if slug else fingerprint
