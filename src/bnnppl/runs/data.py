"""Where a run's rows come from: ``DataConfig`` (a built-in data set or CSV / NPZ files) and the
``Data`` it loads (the files are read by ``bnnppl.runs.files``; ``ConfigError`` is re-exported).

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "train.csv").write_text("size,rooms,price\\n50,2,100\\n80,3,160\\n60,2,130\\n90,4,170\\n")
>>> data = DataConfig(train="train.csv", y_column="price", test_fraction=0.25).load(folder)
>>> data.columns, data.target, data.x.shape, data.x_test.shape
(['size', 'rooms'], 'price', (3, 2), (1, 2))
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from bnnppl import datasets
from bnnppl._checks import check_choice, check_keys, check_number, check_seed, spec_error
from bnnppl.runs.errors import ConfigError
from bnnppl.runs.files import Rows, read_csv, read_table
from bnnppl.spec.base import Spec, set_field

__all__ = ["FILE_KINDS", "ConfigError", "Data", "DataConfig", "Rows", "read_csv"]

FILE_KINDS = (".csv", ".npz")


@dataclass(frozen=True, kw_only=True)
class DataConfig(Spec):
    """Where the data come from: a built-in data set (``name``, ``params``) or files.

    - ``name``: a built-in data set (``bnnppl.datasets.DATASETS``) with its ``params``;
    - ``train`` (and optionally ``test``): a CSV file with a header row, or an NPZ file with
      arrays ``x`` and ``y``. For CSV, ``y_column`` names the target (default: the last column)
      and ``x_columns`` the inputs (default: every other column); the target is never an input.
      A CSV file is UTF-8 (a byte-order mark is dropped), separated by ``,`` ``;`` TAB or ``|``
      (see ``read_csv``); two columns of one name are an error when that name is used.
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
                twice = [c for c in dict.fromkeys(self.x_columns) if self.x_columns.count(c) > 1]
                if twice:
                    raise spec_error(
                        "DataConfig.x_columns", f"names {twice[0]!r} twice; list each input once."
                    )
            if self.y_column is not None:
                set_field(self, "y_column", str(self.y_column))
                if self.y_column in (self.x_columns or ()):
                    raise spec_error(
                        "DataConfig.x_columns",
                        f"includes {self.y_column!r}, the target (y_column); an input cannot be the target.",
                    )
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
        set_field(self, "split_seed", check_seed("DataConfig.split_seed", self.split_seed))

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self.test is not None:
            out.pop("test_fraction")
        return out

    def _read(self, base: Path | str, key: str, path: str) -> tuple:
        """The file ``train`` or ``test`` under ``base``; errors name ``{path}.{key}``."""
        return read_table(Path(base) / getattr(self, key), f"{path}.{key}", self.x_columns, self.y_column)

    def load(self, base: Path | str = ".", path: str = "data") -> Data:
        """The data: generated (built-in) or read from files under ``base``; errors name ``path``."""
        if self.name is not None:
            try:
                x, y = datasets.DATASETS[self.name](**dict(self.params))
            except (ValueError, TypeError) as err:
                if getattr(err, "field", None) is None:
                    raise
                raise spec_error(f"{path}.params.{err.field}", err.problem, type(err)) from None  # type: ignore[attr-defined]
            names, target, rows = [f"x{i}" for i in range(x.shape[1])], "y", None
        else:
            x, y, names, target, rows = self._read(base, "train", path)
        if self.test is not None:
            x_test, y_test, test_names, _, test_rows = self._read(base, "test", path)
            if test_names != names:
                raise spec_error(f"{path}.test", f"has input columns {test_names}, the train file {names}.")
            return Data(x, y, x_test, y_test, names, target, rows, test_rows)
        if self.test_fraction == 0:
            return Data(x, y, None, None, names, target, rows)
        if len(x) < 2:
            source = f"the data set {self.name!r}" if rows is None else rows.file
            raise spec_error(
                f"{path}.test_fraction",
                f"{source} has {len(x)} row{'s' * (len(x) != 1)}; a random test split needs at least 2 "
                f"(or set {path}.test_fraction: 0, or give {path}.test).",
                ConfigError,
            )
        n_test = int(round(self.test_fraction * len(x)))
        if n_test < 1 or n_test >= len(x):
            raise spec_error(
                f"{path}.test_fraction",
                f"leaves {n_test} of {len(x)} rows for testing; need at least 1 and at most {len(x) - 1}.",
            )
        order = np.random.default_rng(self.split_seed).permutation(len(x))
        test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
        sources = (None, None) if rows is None else (rows.take(train), rows.take(test))
        return Data(x[train], y[train], x[test], y[test], names, target, *sources)


class Data(NamedTuple):
    """A run's data: training rows, test rows (``None`` without a test set), column names, and
    where the training and test rows were read (``None`` for a built-in data set)."""

    x: np.ndarray
    y: np.ndarray
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    columns: list[str]
    target: str
    rows: Rows | None = None
    test_rows: Rows | None = None

    def row_error(self, err: Exception, *, test: bool = False) -> ConfigError:
        """``err``, raised by a check of the training (or ``test``) rows, as a ``ConfigError``: it
        names the file and the line or row when ``err`` carries the bad ``row`` (``bnnppl._data``),
        else it reads ``data: {err}``."""
        rows, entry = self.test_rows if test else self.rows, getattr(err, "entry", None)
        if rows is None or entry is None:
            return ConfigError(f"data: {err}")
        where = rows.where(err.row, err.column, self.columns, self.target)  # type: ignore[attr-defined]
        return spec_error(rows.path, f"{where}: {entry}", ConfigError)  # type: ignore[return-value]


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
