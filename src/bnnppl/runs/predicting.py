"""``predict_file``: a run's posterior predictions for the rows of a CSV file, as CSV (``bnnppl
predict``).

Columns written, after the ``keep`` columns (IDs carried through as text) and the inputs:

- regression: ``mean``, ``std`` (of the posterior predictive), ``epistemic_sd`` (the spread of
  the per-draw means: what more data would shrink), ``aleatoric_sd`` (the likelihood's own noise)
  with ``std**2 == epistemic_sd**2 + aleatoric_sd**2``, then a ``q{level}`` column per quantile
  level (default 0.025, 0.25, 0.5, 0.75, 0.975);
- classification: ``p_0`` ... ``p_{K-1}``, ``class`` and ``entropy``.

The run folder is checked first, before anything is loaded:

>>> predict_file("/no/such/run", "in.csv", "out.csv")
Traceback (most recent call last):
bnnppl.runs.errors.ConfigError: /no/such/run: no such run folder.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import numpy as np

from bnnppl._checks import check_levels
from bnnppl._io import atomic_write
from bnnppl.results.prediction import LEVELS, predict
from bnnppl.runs.errors import ConfigError
from bnnppl.runs.files import read_csv_keeping
from bnnppl.runs.layout import check_run_dir
from bnnppl.runs.reader import open_run

__all__ = ["predict_file"]


def predict_file(
    run_dir: Path | str,
    input_csv: Path | str,
    output: Path | str | TextIO,
    *,
    seed: int = 0,
    keep: Sequence[str] = (),
    levels: Sequence[float] | None = None,
) -> Path | None:
    """Predict the rows of ``input_csv`` (a header row, numeric input values) with the run's
    posterior and write CSV to ``output``: a path (written atomically; returned) or an open text
    stream such as ``sys.stdout`` (``None`` returned).

    The input needs the run's input columns by name (other columns are ignored); a run on a
    built-in data set takes columns ``x0``, ``x1``, ... ``keep``: input columns copied to the
    output first, as text (IDs). ``levels``: the quantile levels of a regression run (default
    0.025, 0.25, 0.5, 0.75, 0.975); a classifier takes none.
    """
    run_dir, input_csv = check_run_dir(run_dir), Path(input_csv)
    if not input_csv.is_file():
        raise ConfigError(f"--input: no such file: {str(input_csv)!r}.")
    if isinstance(output, str | Path) and not Path(output).parent.is_dir():
        raise ConfigError(f"--output: no such folder: {str(Path(output).parent)!r}.")
    keep = _keep(keep)
    if levels is not None:
        try:
            levels = check_levels("--quantiles", levels)
        except (TypeError, ValueError) as err:
            raise ConfigError(str(err)) from None
    config, posterior, data = open_run(run_dir)
    if levels is not None and config.task != "regression":
        family = type(config.model.likelihood).__name__
        raise ConfigError(f"--quantiles: the run is a classifier ({family}); quantiles are for regression.")

    def select(header: list[str]) -> list[str]:
        missing = [c for c in data.columns if c not in header]
        if missing:
            raise ConfigError(
                f"--input: {input_csv.name} has columns {', '.join(header)}; the model takes "
                f"{len(data.columns)} input column(s) named {', '.join(data.columns)} "
                f"(missing {', '.join(missing)})."
            )
        return data.columns

    _, x, kept = read_csv_keeping(input_csv, "--input", select, keep, "--keep")
    levels = LEVELS if levels is None else levels
    pred = predict(posterior, x, seed=seed, keep_samples=False, levels=levels)
    columns, values = list(data.columns), [x]
    if pred.probs is not None:
        k = pred.probs.shape[1]
        columns += [f"p_{j}" for j in range(k)] + ["class", "entropy"]
        values += [pred.probs, np.argmax(pred.probs, axis=1)[:, None], pred.entropy[:, None]]
    else:
        columns += ["mean", "std", "epistemic_sd", "aleatoric_sd"] + [f"q{level}" for level in levels]
        spread = [np.sqrt(pred.epistemic)[:, None], np.sqrt(pred.aleatoric)[:, None]]
        values += [pred.mean[:, None], pred.std[:, None], *spread]
        values += [pred.quantiles[level][:, None] for level in levels]
    table = np.concatenate([np.asarray(v, dtype=np.float64) for v in values], axis=1)

    def write(handle: TextIO) -> None:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow([*keep, *columns])
        for ids, row in zip(kept, table, strict=True):
            out.writerow([*ids, *(f"{v:.8g}" for v in row)])

    if not isinstance(output, str | Path):
        write(output)
        return None

    def write_file(tmp: Path) -> None:
        with open(tmp, "w", newline="") as handle:
            write(handle)

    return atomic_write(Path(output), write_file)


def _keep(keep: Sequence[str]) -> list[str]:
    if isinstance(keep, str) or not all(isinstance(name, str) for name in keep):
        raise ConfigError(f"--keep: must be column names, got {keep!r}.")
    if len(set(keep)) < len(keep):
        raise ConfigError(f"--keep: names a column twice: {', '.join(keep)}.")
    return list(keep)
