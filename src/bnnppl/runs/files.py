"""Reading a user's data files, CSV and NPZ, with every problem named by file and line (``Rows``).

A CSV file is UTF-8 (a byte-order mark is dropped) with a header row, separated by ``,`` ``;``
TAB or ``|``; an NPZ file holds numeric arrays ``x`` and ``y``.

>>> import tempfile, pathlib
>>> f = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
>>> _ = f.write_text("a;t\\n1;2\\n3;4\\n")
>>> x, y, names, target, rows = read_table(f, "data.train", None, None)
>>> x.tolist(), y.tolist(), names, target, rows.where(1, None, names, target)
([[1.0], [3.0]], [2.0, 4.0], ['a'], 't', "d.csv line 3, column 't'")
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from bnnppl._checks import spec_error
from bnnppl.runs.errors import ConfigError

__all__ = ["Rows", "read_csv", "read_table"]

_DELIMITERS = ",;\t|"  # the delimiters a CSV file may use (read_csv)


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


def read_table(
    file: Path, path: str, x_columns: Sequence[str] | None, y_column: str | None
) -> tuple[np.ndarray, np.ndarray, list[str], str, Rows]:
    """``(x, y, input names, target name, rows)`` of a CSV or NPZ file; errors name ``path``."""
    if not file.is_file():
        raise spec_error(path, f"no such file: {str(file)!r}.", ConfigError)
    if file.suffix == ".npz":
        return _read_npz(file, path)
    names: list[str] = []
    owner = path.rpartition(".")[0]

    def select(header: list[str]) -> list[str]:
        y_name = y_column if y_column is not None else header[-1]
        x_names = list(x_columns) if x_columns is not None else [c for c in header if c != y_name]
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

    _, values, lines, _ = _read_csv(file, path, select)
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
    bnnppl.runs.errors.ConfigError: input: d.csv line 3, column 'b': not a number: 'x'.
    """
    header, values, _, _ = _read_csv(file, path, select)
    return header, values


def read_csv_keeping(
    file: Path, path: str, select: Callable[[list[str]], list[str]], keep: Sequence[str], keep_path: str
) -> tuple[list[str], np.ndarray, list[list[str]]]:
    """``read_csv``, and the cells of the columns ``keep`` as text, a list per row (ID columns
    carried through to an output); a column ``keep`` names that the file lacks is an error naming
    ``keep_path``.

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
    >>> _ = f.write_text("id,a\\nx7,1\\ny8,2\\n")
    >>> read_csv_keeping(f, "--input", lambda h: ["a"], ["id"], "--keep")[1:]
    (array([[1.],
           [2.]]), [['x7'], ['y8']])
    >>> read_csv_keeping(f, "--input", lambda h: ["a"], ["ID"], "--keep")
    Traceback (most recent call last):
    bnnppl.runs.errors.ConfigError: --keep: d.csv has no column 'ID'; its columns: id, a.
    """
    header, values, _, kept = _read_csv(file, path, select, keep, keep_path)
    return header, values, kept


def _read_csv(
    file: Path,
    path: str,
    select: Callable[[list[str]], list[str]] | None,
    keep: Sequence[str] = (),
    keep_path: str = "",
) -> tuple[list[str], np.ndarray, np.ndarray, list[list[str]]]:
    """``read_csv``'s header and values, the line of the file each row of values comes from, and
    the text cells of the columns ``keep``."""
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
    for name in keep:
        if name not in header:
            raise spec_error(
                keep_path,
                f"{file.name} has no column {name!r}; its columns: {', '.join(header)}.",
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
    kept = [[row[header.index(name)].strip() for name in keep] for _, row in body]
    return header, values, np.array([line for line, _ in body]), kept


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
