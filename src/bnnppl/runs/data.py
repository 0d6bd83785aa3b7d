"""Where a run's rows come from: ``DataConfig`` (a built-in data set or CSV / NPZ files), the
``Data`` it loads, the CSV reader, and ``ConfigError``, the one-line error of a user mistake.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "train.csv").write_text("size,rooms,price\\n50,2,100\\n80,3,160\\n60,2,130\\n90,4,170\\n")
>>> data = DataConfig(train="train.csv", y_column="price", test_fraction=0.25).load(folder)
>>> data.columns, data.target, data.x.shape, data.x_test.shape
(['size', 'rooms'], 'price', (3, 2), (1, 2))
"""

from __future__ import annotations

import csv
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from bnnppl import datasets
from bnnppl._checks import check_choice, check_count, check_keys, check_number, spec_error
from bnnppl.spec.base import Spec, set_field

__all__ = ["FILE_KINDS", "ConfigError", "Data", "DataConfig", "read_csv"]

FILE_KINDS = (".csv", ".npz")


class ConfigError(ValueError):
    """A user mistake in a config, a data file or a command-line value (one line, no traceback)."""


@dataclass(frozen=True, kw_only=True)
class DataConfig(Spec):
    """Where the data come from: a built-in data set (``name``, ``params``) or files.

    - ``name``: a built-in data set (``bnnppl.datasets.DATASETS``) with its ``params``;
    - ``train`` (and optionally ``test``): a CSV file with a header row, or an NPZ file with
      arrays ``x`` and ``y``. For CSV, ``y_column`` names the target (default: the last column)
      and ``x_columns`` the inputs (default: every other column).
    - Without a ``test`` file, a random ``test_fraction`` of the rows (drawn with ``split_seed``)
      is held out for testing; ``0`` keeps every row for training.
    - ``scale`` (default ``true``): fit on inputs and real-valued targets standardised with the
      training rows' mean and sd; predictions, metrics and reports stay in the data's own units
      (see ``bnnppl.results.scaling``). ``false`` fits the values as they are.

    >>> DataConfig(name="moons", params={"n": 200}).params
    (('n', 200),)
    >>> DataConfig(name="moons", train="a.csv")
    Traceback (most recent call last):
    ValueError: DataConfig: give either name (a built-in data set) or train (a file), not both.
    """

    name: str | None = None
    params: tuple[tuple[str, Any], ...] = ()
    train: str | None = None
    test: str | None = None
    x_columns: tuple[str, ...] | None = None
    y_column: str | None = None
    test_fraction: float = 0.25
    split_seed: int = 0
    scale: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.scale, bool):
            raise spec_error("DataConfig.scale", f"must be true or false, got {self.scale!r}.", TypeError)
        if (self.name is None) == (self.train is None):
            which = "not both" if self.name is not None else "got neither"
            raise spec_error(
                "DataConfig", f"give either name (a built-in data set) or train (a file), {which}."
            )
        if self.name is not None:
            check_choice("DataConfig.name", self.name, datasets.DATASETS, "data set")
            params = _params(self.params)
            check_keys("DataConfig.params", dict(params), _param_names(self.name))
            set_field(self, "params", params)
            for key in ("test", "x_columns", "y_column"):
                if getattr(self, key) is not None:
                    raise spec_error(f"DataConfig.{key}", "is for data files; a built-in data set has none.")
        else:
            if self.params:
                raise spec_error("DataConfig.params", "is for built-in data sets; files take none.")
            for key in ("train", "test"):
                value = getattr(self, key)
                if value is not None and (not isinstance(value, str) or Path(value).suffix not in FILE_KINDS):
                    raise spec_error(f"DataConfig.{key}", f"must be a .csv or .npz file path, got {value!r}.")
            if self.x_columns is not None:
                if isinstance(self.x_columns, str) or not isinstance(self.x_columns, Sequence):
                    raise spec_error(
                        "DataConfig.x_columns", f"must be a list of column names, got {self.x_columns!r}."
                    )
                set_field(self, "x_columns", tuple(str(c) for c in self.x_columns))
            if self.y_column is not None:
                set_field(self, "y_column", str(self.y_column))
            if Path(self.train).suffix == ".npz" and (self.x_columns or self.y_column):
                raise spec_error(
                    "DataConfig.x_columns", "is for CSV files; an NPZ file holds arrays x and y."
                )
        fraction = check_number("DataConfig.test_fraction", self.test_fraction)
        if not 0 <= fraction < 1:
            raise spec_error("DataConfig.test_fraction", f"must be in [0, 1), got {self.test_fraction!r}.")
        if self.test is not None and fraction != 0.25:
            raise spec_error("DataConfig.test_fraction", "has no use with a test file; drop one of them.")
        set_field(self, "test_fraction", fraction)
        set_field(self, "split_seed", check_count("DataConfig.split_seed", self.split_seed, minimum=0))

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self.test is not None:
            out.pop("test_fraction")
        return out

    def load(self, base: Path | str = ".", path: str = "data") -> Data:
        """The data: generated (built-in) or read from files under ``base``; errors name ``path``."""
        if self.name is not None:
            try:
                x, y = datasets.DATASETS[self.name](**dict(self.params))
            except (ValueError, TypeError) as err:
                if getattr(err, "field", None) is None:
                    raise
                raise spec_error(f"{path}.params.{err.field}", err.problem, type(err)) from None  # type: ignore[attr-defined]
            names = [f"x{i}" for i in range(x.shape[1])]
            target = "y"
        else:
            x, y, names, target = _read(Path(base) / self.train, self, f"{path}.train")
        if self.test is not None:
            x_test, y_test, test_names, _ = _read(Path(base) / self.test, self, f"{path}.test")
            if test_names != names:
                raise spec_error(f"{path}.test", f"has input columns {test_names}, the train file {names}.")
            return Data(x, y, x_test, y_test, names, target)
        if self.test_fraction == 0:
            return Data(x, y, None, None, names, target)
        n_test = int(round(self.test_fraction * len(x)))
        if n_test < 1 or n_test >= len(x):
            raise spec_error(
                f"{path}.test_fraction",
                f"leaves {n_test} of {len(x)} rows for testing; need at least 1 and at most {len(x) - 1}.",
            )
        order = np.random.default_rng(self.split_seed).permutation(len(x))
        test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
        return Data(x[train], y[train], x[test], y[test], names, target)


class Data(NamedTuple):
    """A run's data: training rows, test rows (``None`` without a test set) and column names."""

    x: np.ndarray
    y: np.ndarray
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    columns: list[str]
    target: str


def _param_names(name: str) -> list[str]:
    """The parameters of built-in data set ``name``: its function's arguments."""
    return list(inspect.signature(datasets.DATASETS[name]).parameters)


def _params(value: Any) -> tuple[tuple[str, Any], ...]:
    if isinstance(value, Mapping):
        value = tuple(value.items())
    if not isinstance(value, tuple) or not all(isinstance(p, tuple) and len(p) == 2 for p in value):
        raise spec_error(
            "DataConfig.params", f"must be a mapping of parameter names to values, got {value!r}."
        )
    return tuple(sorted((str(k), tuple(v) if isinstance(v, list) else v) for k, v in value))


def _read(file: Path, cfg: DataConfig, path: str) -> tuple[np.ndarray, np.ndarray, list[str], str]:
    if not file.is_file():
        raise spec_error(path, f"no such file: {str(file)!r}.", ConfigError)
    if file.suffix == ".npz":
        return _read_npz(file, path)
    names: list[str] = []

    def select(header: list[str]) -> list[str]:
        y_name = cfg.y_column if cfg.y_column is not None else header[-1]
        x_names = list(cfg.x_columns) if cfg.x_columns is not None else [c for c in header if c != y_name]
        for column, field in [(y_name, "y_column")] + [(c, "x_columns") for c in x_names]:
            if column not in header:
                raise spec_error(
                    path, f"has no column {column!r} (data.{field}); its columns: {', '.join(header)}."
                )
        if not x_names:
            raise spec_error(path, "has no input columns besides the target.")
        names.extend(x_names + [y_name])
        return names

    _, rows = read_csv(file, path, select)
    return rows[:, :-1], rows[:, -1], names[:-1], names[-1]


def _read_npz(file: Path, path: str) -> tuple[np.ndarray, np.ndarray, list[str], str]:
    try:
        with np.load(file, allow_pickle=False) as arrays:
            found = {k: arrays[k] for k in arrays.files}
    except (OSError, ValueError) as err:
        raise spec_error(path, f"cannot read {str(file)!r} as NPZ: {err}.", ConfigError) from None
    missing = [k for k in ("x", "y") if k not in found]
    if missing:
        raise spec_error(
            path, f"needs arrays 'x' and 'y'; {str(file)!r} has {', '.join(sorted(found)) or 'none'}."
        )
    x, y = np.asarray(found["x"]), np.asarray(found["y"])
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or y.ndim != 1 or len(x) != len(y):
        raise spec_error(path, f"needs x of shape (n, d) and y of shape (n,), got {x.shape} and {y.shape}.")
    return x, y, [f"x{i}" for i in range(x.shape[1])], "y"


def read_csv(
    file: Path, path: str, select: Callable[[list[str]], list[str]] | None = None
) -> tuple[list[str], np.ndarray]:
    """``(header, values)`` of a CSV file with a header row: the values of the columns that
    ``select(header)`` names (default: every column), in that order. A missing or non-numeric
    value in those columns is an error naming the line and column; other columns may hold text.

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
    >>> _ = f.write_text("a,b\\n1,2\\n3,x\\n")
    >>> read_csv(f, "input")
    Traceback (most recent call last):
    bnnppl.runs.data.ConfigError: input: d.csv line 3, column 'b': not a number: 'x'.
    """
    try:
        with open(file, newline="") as handle:
            lines = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as err:
        raise spec_error(path, f"cannot read {str(file)!r}: {err}.", ConfigError) from None
    if not lines or not any(cell.strip() for cell in lines[0]):
        raise spec_error(path, f"{file.name} is empty; it needs a header row and data rows.", ConfigError)
    header = [cell.strip() for cell in lines[0]]
    body = [(i, row) for i, row in enumerate(lines[1:], start=2) if any(cell.strip() for cell in row)]
    if not body:
        raise spec_error(path, f"{file.name} has a header but no data rows.", ConfigError)
    columns = [header.index(name) for name in (select(header) if select else header)]
    values = np.empty((len(body), len(columns)))
    for r, (line, row) in enumerate(body):
        if len(row) != len(header):
            raise spec_error(
                path,
                f"{file.name} line {line}: {len(row)} values, the header has {len(header)}.",
                ConfigError,
            )
        for c, cell in enumerate(row[i] for i in columns):
            where = f"{file.name} line {line}, column {header[columns[c]]!r}"
            if not cell.strip():
                raise spec_error(path, f"{where}: missing value.", ConfigError)
            try:
                values[r, c] = float(cell)
            except ValueError:
                raise spec_error(path, f"{where}: not a number: {cell.strip()!r}.", ConfigError) from None
            if not np.isfinite(values[r, c]):
                raise spec_error(path, f"{where}: not finite: {cell.strip()!r}.", ConfigError)
    return header, values
