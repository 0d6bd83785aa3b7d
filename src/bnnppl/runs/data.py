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
import io
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from bnnppl import datasets
from bnnppl._checks import check_choice, check_keys, check_number, check_seed, spec_error
from bnnppl.spec.base import Spec, set_field

__all__ = ["FILE_KINDS", "ConfigError", "Data", "DataConfig", "Rows", "read_csv"]

FILE_KINDS = (".csv", ".npz")
_DELIMITERS = ",;\t|"  # the delimiters a CSV file may use (read_csv)


class ConfigError(ValueError):
    """A user mistake in a config, a data file or a command-line value (one line, no traceback)."""


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
            x, y, names, target, rows = _read(Path(base) / self.train, self, f"{path}.train")
        if self.test is not None:
            x_test, y_test, test_names, _, test_rows = _read(Path(base) / self.test, self, f"{path}.test")
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


class Rows(NamedTuple):
    """Where a block of rows was read, to name a row as its file shows it: the config ``path`` of
    the file (``data.train``), its ``file`` name, and for each row its ``number`` there, a ``line``
    of a CSV file (from 1) or a ``row`` of an NPZ file's arrays (from 0, as NumPy counts)."""

    path: str
    file: str
    number: np.ndarray
    unit: str

    def take(self, index: np.ndarray) -> Rows:
        """These rows' source at ``index``: the rows of a split."""
        return self._replace(number=self.number[index])

    def where(self, row: int, column: int | None, columns: list[str], target: str) -> str:
        """``train.csv line 7, column 'b'``: row ``row`` of ``x`` at ``column``, or of ``y`` (``None``).

        >>> rows = Rows("data.train", "d.npz", np.arange(5), "row").take(np.array([4, 2]))
        >>> rows.where(1, None, ["x0"], "y"), rows.where(0, 0, ["x0"], "y")
        ('d.npz row 2 of y', 'd.npz row 4, column 0 of x')
        """
        place = f"{self.file} {self.unit} {int(self.number[row])}"
        if self.unit == "line":
            return f"{place}, column {(target if column is None else columns[column])!r}"
        return f"{place} of y" if column is None else f"{place}, column {column} of x"


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


def _read(file: Path, cfg: DataConfig, path: str) -> tuple[np.ndarray, np.ndarray, list[str], str, Rows]:
    if not file.is_file():
        raise spec_error(path, f"no such file: {str(file)!r}.", ConfigError)
    if file.suffix == ".npz":
        return _read_npz(file, path)
    names: list[str] = []
    owner = path.rpartition(".")[0]

    def select(header: list[str]) -> list[str]:
        y_name = cfg.y_column if cfg.y_column is not None else header[-1]
        x_names = list(cfg.x_columns) if cfg.x_columns is not None else [c for c in header if c != y_name]
        for column, field in [(y_name, "y_column")] + [(c, "x_columns") for c in x_names]:
            if column not in header:
                raise spec_error(
                    path,
                    f"has no column {column!r} ({owner}.{field}); its columns: {', '.join(header)}.",
                    ConfigError,
                )
        if y_name in x_names:  # DataConfig refuses an explicit y_column among the x_columns
            raise spec_error(
                f"{owner}.x_columns",
                f"includes {y_name!r}, the target (the last column of {file.name}); "
                f"drop it, or name another target in {owner}.y_column.",
                ConfigError,
            )
        if not x_names:
            raise spec_error(path, "has no input columns besides the target.", ConfigError)
        names.extend(x_names + [y_name])
        return names

    _, values, lines = _read_csv(file, path, select)
    return values[:, :-1], values[:, -1], names[:-1], names[-1], Rows(path, file.name, lines, "line")


def _read_npz(file: Path, path: str) -> tuple[np.ndarray, np.ndarray, list[str], str, Rows]:
    if not zipfile.is_zipfile(file):
        with open(file, "rb") as handle:
            cut = handle.read(4) == b"PK\x03\x04"  # a zip archive's start, but not its end
        problem = "is damaged or truncated; save it again" if cut else "is not an NPZ file"
        if not cut:
            problem += " (a zip archive of .npy arrays); save one"
        raise spec_error(path, f"{file.name} {problem} with numpy.savez(path, x=..., y=...).", ConfigError)
    found = {}
    try:
        with np.load(file, allow_pickle=False) as arrays:
            stored = sorted(arrays.files)
            for key in set(stored) & {"x", "y"}:
                found[key] = _npz_array(arrays, key, file.name, path)
    except (OSError, EOFError, zipfile.BadZipFile) as err:
        raise spec_error(path, f"{file.name} is damaged ({err}); save it again.", ConfigError) from None
    if len(found) < 2:
        raise spec_error(
            path, f"needs arrays 'x' and 'y'; {str(file)!r} has {', '.join(stored) or 'none'}.", ConfigError
        )
    x, y = found["x"], found["y"]
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or y.ndim != 1 or len(x) != len(y):
        raise spec_error(
            path, f"needs x of shape (n, d) and y of shape (n,), got {x.shape} and {y.shape}.", ConfigError
        )
    if x.size == 0:
        what = "rows" if len(x) == 0 else "input columns"
        raise spec_error(path, f"{file.name} has no {what}: x has shape {x.shape}.", ConfigError)
    rows = Rows(path, file.name, np.arange(len(x)), "row")
    return x, y, [f"x{i}" for i in range(x.shape[1])], "y", rows


def _npz_array(arrays: Any, key: str, name: str, path: str) -> np.ndarray:
    """Array ``key`` of an open NPZ file, which must hold numbers (object arrays need pickle)."""
    try:
        value = arrays[key]
    except ValueError as err:
        problem = f"{name} is damaged (array {key!r}: {err}); save it again."
        if "allow_pickle" in str(err):
            problem = (
                f"array {key!r} of {name} holds Python objects (saved with pickle); bnnppl reads only "
                f"numeric arrays: save {key} with a number dtype, e.g. numpy.asarray({key}, dtype=float)."
            )
        raise spec_error(path, problem, ConfigError) from None
    if value.dtype.kind not in "biuf":
        raise spec_error(
            path,
            f"array {key!r} of {name} has dtype {value.dtype}; bnnppl reads only numeric arrays "
            "(floats, integers or booleans).",
            ConfigError,
        )
    return value


def read_csv(
    file: Path, path: str, select: Callable[[list[str]], list[str]] | None = None
) -> tuple[list[str], np.ndarray]:
    """``(header, values)`` of a CSV file with a header row: the values of the columns that
    ``select(header)`` names (default: every column), in that order. A missing or non-numeric
    value in those columns is an error naming the line and column; other columns may hold text,
    and two columns of one name are an error only when that name is used.

    The file is UTF-8 (a leading byte-order mark, as Excel writes, is dropped). Its delimiter is
    ``,`` ``;`` TAB or ``|``: of those found in the header line, the one ``csv.Sniffer`` picks
    (``,`` when the header has none of them, a file of one column).

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
    >>> _ = f.write_text("a;b\\n1;2\\n3;x\\n")
    >>> read_csv(f, "input")
    Traceback (most recent call last):
    bnnppl.runs.data.ConfigError: input: d.csv line 3, column 'b': not a number: 'x'.
    """
    header, values, _ = _read_csv(file, path, select)
    return header, values


def _read_csv(
    file: Path, path: str, select: Callable[[list[str]], list[str]] | None
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """``read_csv``'s header and values, and the line of the file each row of values comes from."""
    records, delimiter = _records(file, path)
    if not records or not any(cell.strip() for cell in records[0][1]):
        raise spec_error(path, f"{file.name} is empty; it needs a header row and data rows.", ConfigError)
    header = [cell.strip() for cell in records[0][1]]
    body = [(line, row) for line, row in records[1:] if any(cell.strip() for cell in row)]
    if not body:
        raise spec_error(path, f"{file.name} has a header but no data rows.", ConfigError)
    used = select(header) if select else header
    for name in dict.fromkeys(used):
        places = [str(i) for i, h in enumerate(header, start=1) if h == name]
        if len(places) > 1:
            numbers = f"{', '.join(places[:-1])} and {places[-1]}"
            raise spec_error(
                path,
                f"{file.name} has {len(places)} columns named {name!r} (columns {numbers}); "
                "rename one of them.",
                ConfigError,
            )
    columns = [header.index(name) for name in used]
    values = np.empty((len(body), len(columns)))
    for r, (line, row) in enumerate(body):
        if len(row) != len(header):
            raise spec_error(
                path,
                f"{file.name} line {line}: {len(row)} values, the header has {len(header)}.",
                ConfigError,
            )
        for c, cell in enumerate(row[i].strip() for i in columns):
            values[r, c] = _number(
                cell, f"{file.name} line {line}, column {header[columns[c]]!r}", path, delimiter
            )
    return header, values, np.array([line for line, _ in body])


def _number(cell: str, where: str, path: str, delimiter: str) -> float:
    if not cell:
        raise spec_error(path, f"{where}: missing value.", ConfigError)
    try:
        value = float(cell)
    except ValueError:
        hint = ""
        if delimiter != "," and "," in cell:
            try:
                float(cell.replace(",", "."))
                hint = f" (a decimal comma? write {cell.replace(',', '.')})"
            except ValueError:
                pass
        raise spec_error(path, f"{where}: not a number: {cell!r}{hint}.", ConfigError) from None
    if not np.isfinite(value):
        raise spec_error(path, f"{where}: not finite: {cell!r}.", ConfigError)
    return value


def _records(file: Path, path: str) -> tuple[list[tuple[int, list[str]]], str]:
    """The CSV file's records, each with the line it ends on, and the file's delimiter."""
    try:
        with open(file, newline="", encoding="utf-8-sig") as handle:
            text = handle.read()
        delimiter = _delimiter(text)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return [(reader.line_num, row) for row in reader], delimiter
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise spec_error(path, f"cannot read {str(file)!r}: {err}.", ConfigError) from None


def _delimiter(text: str) -> str:
    """``,`` ``;`` TAB or ``|``: the one in the header line, ``csv.Sniffer``'s pick of the first
    lines when the header has several, ``,`` when it has none (a single column)."""
    lines = text.splitlines()
    found = [d for d in _DELIMITERS if lines and d in lines[0]]
    if len(found) < 2:
        return found[0] if found else ","
    try:
        return csv.Sniffer().sniff("\n".join(lines[:10]), delimiters="".join(found)).delimiter
    except csv.Error:
        return found[0]
