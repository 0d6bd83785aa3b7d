"""Validation helpers shared by the specs: one message format everywhere.

Every error names the field as ``Owner.field`` (or a config path), quotes the bad value and says
what is allowed. The exception carries ``field`` and ``problem`` so a caller (the YAML config) can
re-raise it under its own path.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable
from typing import Any


def spec_error(field: str, problem: str, kind: type[Exception] = ValueError) -> Exception:
    """An exception of type ``kind`` reading ``"{field}: {problem}"``, with both kept as attributes."""
    err = kind(f"{field}: {problem}")
    err.field = field  # type: ignore[attr-defined]
    err.problem = problem  # type: ignore[attr-defined]
    return err


def did_you_mean(value: str, allowed: Iterable[str]) -> str:
    """``" Did you mean 'x'?"`` when a close match exists, else ``""``."""
    close = difflib.get_close_matches(str(value), list(allowed), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


def article(noun: str) -> str:
    """``"an activation"``, ``"a prior"``: the noun with its indefinite article."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def allowed_list(allowed: Iterable[str]) -> str:
    return ", ".join(repr(a) for a in sorted(allowed))


def check_choice(field: str, value: Any, allowed: Iterable[str], what: str) -> str:
    """Return ``value`` if it is one of ``allowed``; else raise naming ``what`` it should be."""
    allowed = tuple(allowed)
    if not isinstance(value, str):
        raise spec_error(
            field,
            f"must be a string naming {article(what)}, got {value!r}; allowed: {allowed_list(allowed)}.",
            TypeError,
        )
    if value not in allowed:
        raise spec_error(
            field,
            f"unknown {what} {value!r}.{did_you_mean(value, allowed)} Allowed: {allowed_list(allowed)}.",
        )
    return value


def check_number(field: str, value: Any, *, positive: bool = False) -> float:
    """A finite real number (NumPy's too; ``bool`` is not one), as ``float``; ``> 0`` when ``positive``.

    Messages quote the value as given (``-1``, not ``-1.0``).
    """
    if _is_bool(value) or not isinstance(value, numbers.Real):
        raise spec_error(field, f"must be a number, got {value!r}.", TypeError)
    number = float(value)
    if not math.isfinite(number):
        raise spec_error(field, f"must be finite, got {value!r}.")
    if positive and number <= 0:
        raise spec_error(field, f"must be > 0, got {value!r}.")
    return number


def check_fraction(field: str, value: Any) -> float:
    """A number strictly between 0 and 1.

    >>> check_fraction("SMC.target_ess", 1.5)
    Traceback (most recent call last):
    ...
    ValueError: SMC.target_ess: must be in (0, 1), got 1.5.
    """
    number = check_number(field, value)
    if not 0 < number < 1:
        raise spec_error(field, f"must be in (0, 1), got {value!r}.")
    return number


def check_levels(field: str, value: Any) -> tuple[float, ...]:
    """Quantile levels: a non-empty sequence of distinct numbers in (0, 1), as a tuple of floats.

    >>> check_levels("levels", [0.05, 1.5])
    Traceback (most recent call last):
    ...
    ValueError: levels[1]: must be in (0, 1), got 1.5.
    """
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise spec_error(field, f"must be a sequence of numbers in (0, 1), got {value!r}.", TypeError)
    levels = tuple(check_fraction(f"{field}[{i}]", v) for i, v in enumerate(value))
    if not levels:
        raise spec_error(field, "must hold at least one level, got none.")
    if len(set(levels)) < len(levels):
        raise spec_error(field, f"must not repeat a level, got {list(value)!r}.")
    return levels


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool) or type(value).__name__ == "bool"  # numpy.bool too


def check_count(field: str, value: Any, *, minimum: int = 1, maximum: int | None = None) -> int:
    """An integer (NumPy's too; not ``bool``) from ``minimum`` to ``maximum``, as ``int``."""
    if _is_bool(value) or not isinstance(value, numbers.Integral):
        raise spec_error(field, f"must be an integer, got {value!r}.", TypeError)
    if int(value) < minimum:
        raise spec_error(field, f"must be >= {minimum}, got {value!r}.")
    if maximum is not None and int(value) > maximum:
        raise spec_error(field, f"must be <= {maximum}, got {value!r}.")
    return int(value)


MAX_SEED = 2**32 - 1
"""The largest seed: NumPy's and JAX's seeds both take 0 ... 2**32 - 1 without folding."""


def check_seed(field: str, value: Any) -> int:
    """A random seed: an integer from 0 to ``MAX_SEED`` (4294967295), as ``int``.

    >>> check_seed("seed", 2**40)
    Traceback (most recent call last):
    ...
    ValueError: seed: must be <= 4294967295, got 1099511627776.
    """
    return check_count(field, value, minimum=0, maximum=MAX_SEED)


def check_keys(owner: str, data: Any, allowed: Iterable[str]) -> dict:
    """``data`` as a dict whose keys are all in ``allowed`` (unknown keys get a did-you-mean)."""
    if not isinstance(data, dict):
        raise spec_error(owner, f"must be a mapping, got {data!r}.", TypeError)
    allowed = tuple(allowed)
    for key in data:
        if key not in allowed:
            raise spec_error(
                f"{owner}.{key}" if owner else str(key),
                f"unknown key.{did_you_mean(str(key), allowed)} Valid keys: {allowed_list(allowed)}.",
            )
    return data
