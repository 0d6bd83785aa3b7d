"""Run configs: one YAML file says where the data come from, the model, the inference and the seed.

>>> cfg = RunConfig.from_dict({
...     "data": {"name": "sine", "params": {"n": 40}},
...     "model": {"network": {"hidden": [10]}, "prior": {"scale": 1.0},
...               "likelihood": {"family": "gaussian", "noise": 0.1}},
...     "inference": {"method": "svi", "steps": 100},
... })
>>> cfg.inference.steps, cfg.data.params
(100, (('n', 40),))
>>> RunConfig.from_dict(cfg.to_dict()) == cfg
True
>>> RunConfig.from_dict({**cfg.to_dict(), "modle": {}})  # doctest: +ELLIPSIS
Traceback (most recent call last):
ValueError: modle: unknown key. Did you mean 'model'? Valid keys: 'data', 'inference', 'model', ...

From a file (``load_config``), with command-line style overrides, and back to YAML:

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "demo.yaml"
>>> _ = path.write_text(dump_config(cfg))
>>> again = load_config(path, ["inference.steps=500"])
>>> again.inference.steps, again.name
(500, 'demo')
>>> _ = path.write_text("data:\\n  name: [sine\\n")
>>> load_config(path)  # doctest: +ELLIPSIS
Traceback (most recent call last):
bnnppl.runs.errors.ConfigError: ...demo.yaml:3:1: malformed YAML: expected ',' or ']', but got '<stream end>'.

Everything is checked when the config is built: unknown keys get the valid keys and a "did you
mean", bad values the full field path (``model.prior.scale: must be > 0, got -1.``), malformed
YAML its line and column. Relative data file paths are read from the config file's folder; the
``output`` folder is relative to where the command runs.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

import yaml

from bnnppl._checks import check_keys, check_seed, spec_error
from bnnppl.runs.data import FILE_KINDS, ConfigError, Data, DataConfig, read_csv
from bnnppl.spec.base import Spec, set_field
from bnnppl.spec.likelihoods import Bernoulli, Categorical
from bnnppl.spec.methods import METHODS, Method, method_from_dict
from bnnppl.spec.model import ModelSpec

__all__ = [
    "FILE_KINDS",
    "ConfigError",
    "Data",
    "DataConfig",
    "RunConfig",
    "apply_overrides",
    "parse_numbers",
    "check_output",
    "dump_config",
    "load_config",
    "read_csv",
    "read_yaml",
]


MAX_NAME = 200
"""The longest run name, in UTF-8 bytes: a run folder's name adds ``-YYYYmmdd-HHMMSS-N`` and its
hidden work folder a few more characters, within the 255 bytes a file name may have."""


@dataclass(frozen=True, kw_only=True)
class RunConfig(Spec):
    """A whole run: ``data``, ``model`` (a ``ModelSpec``), ``inference`` (any method config: NUTS,
    HMC, MCLMC, SVI, Langevin, SGLD, SGHMC or SMC), ``seed``, ``output`` (the folder that receives
    run folders) and ``name`` (the run folder's prefix; default: the config file's name)."""

    data: DataConfig
    model: ModelSpec
    inference: Method
    seed: int = 0
    output: str = "runs"
    name: str | None = None

    _nested: ClassVar[dict[str, Any]] = {
        "data": lambda v, p: v if isinstance(v, DataConfig) else DataConfig.from_dict(v, p),
        "model": lambda v, p: v if isinstance(v, ModelSpec) else ModelSpec.from_dict(v, p),
        "inference": lambda v, p: v if isinstance(v, Method) else method_from_dict(v, p),
    }

    def __post_init__(self) -> None:
        set_field(self, "seed", check_seed("RunConfig.seed", self.seed))
        for key in ("output", "name"):
            value = getattr(self, key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise spec_error(f"RunConfig.{key}", f"must be a non-empty string, got {value!r}.", TypeError)
            if value is not None and any(ord(c) < 32 or c == "\x7f" for c in value):
                raise spec_error(f"RunConfig.{key}", f"must not hold control characters, got {value!r}.")
        if self.name is not None:
            if any(c in self.name for c in "/\\") or self.name.startswith("."):
                raise spec_error(
                    "RunConfig.name",
                    "must be a plain folder name (no '/' or '\\', not starting with '.'), "
                    f"got {self.name!r}.",
                )
            if len(self.name.encode()) > MAX_NAME:
                raise spec_error(
                    "RunConfig.name",
                    f"must be at most {MAX_NAME} bytes long (the run folder adds a time stamp), got "
                    f"{self.name[:20]!r}... ({len(self.name.encode())} bytes).",
                )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: str | None = None) -> RunConfig:
        """Build the config from a plain dict; errors name top-level fields bare (``seed: ...``)."""
        names = [f.name for f in fields(cls)]
        data = check_keys("", dict(data) if isinstance(data, Mapping) else data, names)
        for key in ("data", "model", "inference"):
            if key not in data:
                raise spec_error(key, "is required.")
        kwargs = {k: (cls._nested[k](v, k) if k in cls._nested else v) for k, v in data.items()}
        try:
            return cls(**kwargs)
        except (ValueError, TypeError) as err:
            name = getattr(err, "field", "")
            if name.startswith("RunConfig."):
                raise spec_error(name[len("RunConfig.") :], err.problem, type(err)) from None  # type: ignore[attr-defined]
            raise

    @property
    def task(self) -> str:
        """``"classification"`` (Bernoulli, Categorical) or ``"regression"``."""
        return (
            "classification" if isinstance(self.model.likelihood, (Bernoulli, Categorical)) else "regression"
        )


class _StrictLoader(yaml.SafeLoader):
    """YAML that refuses duplicate keys (plain PyYAML keeps the last one silently); merge keys
    (``<<: *defaults``) work as in YAML 1.1, the mapping's own keys overriding merged ones."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # merged keys may be overridden; SafeLoader's flatten_mapping handles them
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def read_yaml(path: Path | str) -> Any:
    """The YAML document in ``path``; a missing file or malformed YAML raises ``ConfigError`` with
    the file, line and column."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file.") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read: {err}.") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        problem = err.problem or err.context or "malformed"
        raise ConfigError(f"{path}:{mark.line + 1}:{mark.column + 1}: malformed YAML: {problem}.") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: malformed YAML: {err}.") from None


def load_config(path: Path | str, overrides: Sequence[str] = ()) -> RunConfig:
    """The ``RunConfig`` in the YAML file ``path``, after ``--set``-style ``overrides``
    (``"inference.steps=500"``); its ``name`` defaults to the file's stem."""
    path = Path(path)
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: must hold a mapping with data, model and inference; got {data!r}.")
    data = apply_overrides(data, overrides)
    data.setdefault("name", path.stem)
    try:
        return RunConfig.from_dict(data)
    except (ValueError, TypeError) as err:
        raise ConfigError(f"{path}: {err}") from None


def apply_overrides(data: dict, overrides: Sequence[str]) -> dict:
    """A copy of ``data`` with each ``"key.path=value"`` set; the value is read as YAML
    (``0.5`` a number, ``[10, 10]`` a list, ``nuts`` a string).

    >>> apply_overrides({"inference": {"method": "svi"}}, ["inference.steps=500"])
    {'inference': {'method': 'svi', 'steps': 500}}
    >>> apply_overrides({"seed": 1}, ["seed.x=2"])
    Traceback (most recent call last):
    bnnppl.runs.errors.ConfigError: --set 'seed.x=2': seed is not a mapping (it is 1).

    ``inference.method=X`` switches method: the inference options that X does not have are dropped,
    with a warning naming them (later overrides then set X's own).

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     apply_overrides({"inference": {"method": "svi", "steps": 9, "init": "map"}},
    ...                     ["inference.method=nuts", "inference.chains=4"])
    {'inference': {'init': 'map', 'method': 'nuts', 'chains': 4}}
    >>> print(caught[0].message)
    --set 'inference.method=nuts': dropped the svi option steps, which nuts does not have.
    """
    out = yaml.safe_load(yaml.safe_dump(data))  # a deep copy of plain data
    for item in overrides:
        key, sep, text = item.partition("=")
        parts = key.strip().split(".")
        if not sep or not all(parts):
            raise ConfigError(f"--set {item!r}: expected key.path=value, e.g. inference.steps=500.")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            raise ConfigError(f"--set {item!r}: the value is not valid YAML.") from None
        node = out
        for depth, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                where = ".".join(parts[: depth + 1])
                raise ConfigError(f"--set {item!r}: {where} is not a mapping (it is {child!r}).")
            node = child
        if parts == ["inference", "method"]:
            _switch_method(node, value, item)
        node[parts[-1]] = value
    return out


def _switch_method(inference: dict, method: Any, item: str) -> None:
    """Drop from ``inference`` the options ``method`` lacks when it is another known method."""
    before = inference.get("method")
    if method == before or method not in METHODS:  # an unknown name: the config's error names it
        return
    keep = {f.name for f in fields(METHODS[method])}
    dropped = [key for key in inference if key != "method" and key not in keep]
    for key in dropped:
        del inference[key]
    if dropped:
        names = "option " + dropped[0] if len(dropped) == 1 else "options " + ", ".join(dropped)
        warnings.warn(
            f"--set {item!r}: dropped the {before} {names}, which {method} does not have.",
            UserWarning,
            stacklevel=3,
        )


def parse_numbers(text: str, flag: str, what: str) -> list[int]:
    """``"0"``, ``"0-4"`` or ``"0,3,5-7"`` (the ``flag``'s value: split numbers, seeds) as a
    sorted list.

    >>> parse_numbers("0,3,5-7", "--seeds", "seeds")
    [0, 3, 5, 6, 7]
    >>> parse_numbers("3-1", "--seeds", "seeds")
    Traceback (most recent call last):
    bnnppl.runs.errors.ConfigError: --seeds '3-1': expected seeds or ranges, e.g. 0, 0-4 or 0,3,5-7.
    """
    out: set[int] = set()
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not m or (m[2] is not None and int(m[2]) < int(m[1])):
            raise ConfigError(f"{flag} {text!r}: expected {what} or ranges, e.g. 0, 0-4 or 0,3,5-7.")
        out.update(range(int(m[1]), int(m[2] or m[1]) + 1))
    return sorted(out)


def check_output(output: Path | str, field: str = "output") -> Path:
    """``output`` as a ``Path`` if run folders can go there: an existing folder, or a path with no
    file in the way of making it; else ``ConfigError`` naming ``field``.

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
    >>> _ = f.write_text("mine")
    >>> check_output(f / "runs")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    bnnppl.runs.errors.ConfigError: output: '.../notes.txt/runs' lies inside '.../notes.txt', which is ...
    """
    path = Path(output)
    for folder in (path, *path.parents):
        if not os.path.lexists(folder):
            continue
        if not folder.is_dir():
            where = "is a file" if folder == path else f"lies inside {str(folder)!r}, which is a file"
            raise ConfigError(
                f"{field}: {str(path)!r} {where}; name a folder for the run folders (made if missing)."
            )
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ConfigError(f"{field}: cannot write in {str(folder)!r}; name a folder you can write in.")
        break
    return path


def dump_config(config: RunConfig) -> str:
    """The config as YAML text that ``load_config`` reads back to an equal config."""
    return yaml.safe_dump(config.to_dict(), sort_keys=False)
