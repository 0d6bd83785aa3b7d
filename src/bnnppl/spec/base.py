"""The machinery every spec shares: dict round trips, config-path errors, canonical values."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import MISSING, fields
from typing import Any, ClassVar

from bnnppl._checks import allowed_list, check_choice, check_keys, spec_error


class Spec:
    """Dict conversion shared by the specs: nested specs by ``_nested``, tuples as lists."""

    _nested: ClassVar[dict[str, Any]] = {}
    _tag: ClassVar[tuple[str, str] | None] = None  # (key, value) written first by to_dict
    _required_hints: ClassVar[dict[str, str]] = {}  # what a required field takes, for its error

    @classmethod
    def _check_tag(cls, value: Any, path: str) -> None:
        assert cls._tag is not None
        if value != cls._tag[1]:
            raise spec_error(path, f"must be {cls._tag[1]!r}, got {value!r}.")

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (str, numbers, lists, dicts) that ``from_dict`` turns back into this spec."""
        out: dict[str, Any] = dict([self._tag]) if self._tag else {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is None or (value == () and f.default_factory is MISSING and f.default == ()):
                continue  # unset options stay out of the dict (and the YAML)
            out[f.name] = _plain(value)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: str | None = None):
        """Build the spec from ``to_dict`` output; errors name fields under ``path``."""
        path = path or cls.__name__
        names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
        tag = [cls._tag[0]] if cls._tag else []
        data = check_keys(path, dict(data) if isinstance(data, Mapping) else data, names + tag)
        kwargs = {}
        for key, value in data.items():
            if key in tag:
                cls._check_tag(value, f"{path}.{key}")
                continue
            convert = cls._nested.get(key)
            kwargs[key] = convert(value, f"{path}.{key}") if convert and value is not None else value
        for f in fields(cls):  # type: ignore[arg-type]
            if f.name not in kwargs and _required(f):
                hint = cls._required_hints.get(f.name, "")
                raise spec_error(f"{path}.{f.name}", f"is required{f' ({hint})' if hint else ''}.")
        with rebased(cls.__name__, path):
            return cls(**kwargs)


def _required(f) -> bool:
    return f.default is MISSING and f.default_factory is MISSING


def _plain(value: Any) -> Any:
    if isinstance(value, Spec):
        return value.to_dict()
    if isinstance(value, tuple) and value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
        return {k: _plain(v) for k, v in value}  # a mapping stored as sorted pairs
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


@contextlib.contextmanager
def rebased(owner: str, path: str) -> Iterator[None]:
    """Re-raise spec errors about ``owner.x`` as errors about ``path.x`` (for config paths)."""
    try:
        yield
    except (ValueError, TypeError) as err:
        name = getattr(err, "field", None)
        if name is None or path == owner or not (name == owner or name.startswith(owner + ".")):
            raise
        raise spec_error(path + name[len(owner) :], err.problem, type(err)) from None  # type: ignore[attr-defined]


def set_field(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


def from_tagged_dict(data: Any, path: str, key: str, registry: Mapping[str, type], what: str) -> Any:
    """The spec whose class ``registry`` names by ``data[key]`` (a tagged union), built from ``data``."""
    if not isinstance(data, Mapping):
        raise spec_error(path, f"must be a mapping with a {key!r} key, got {data!r}.", TypeError)
    if key not in data:
        raise spec_error(f"{path}.{key}", f"is required; allowed: {allowed_list(registry)}.")
    name = check_choice(f"{path}.{key}", data[key], registry, what)
    return registry[name].from_dict(data, path)
