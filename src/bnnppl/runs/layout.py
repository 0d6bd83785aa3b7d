"""A run folder's file names, and the cheap check that a path is one (no JAX: the command refuses
a wrong folder before it loads anything heavy)."""

from __future__ import annotations

from pathlib import Path

from bnnppl.runs.errors import ConfigError

CONFIG = "config.yaml"
POSTERIOR = "posterior"
DATA = "data.npz"
PREDICTIONS = "predictions.npz"
METRICS = "metrics.json"
DIAGNOSTICS = "diagnostics.json"
SUMMARY = "summary.csv"
REPORT = "report.html"
RUN = "run.json"


def check_run_dir(run_dir: Path | str) -> Path:
    """``run_dir`` as a ``Path`` when it holds a run's config, posterior and data; else a one-line
    ``ConfigError``.

    >>> check_run_dir("/no/such/run")
    Traceback (most recent call last):
    bnnppl.runs.errors.ConfigError: /no/such/run: no such run folder.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ConfigError(f"{run_dir}: no such run folder.")
    missing = [name for name in (CONFIG, POSTERIOR, DATA) if not (run_dir / name).exists()]
    if missing:
        raise ConfigError(f"{run_dir}: not a bnnppl run folder (missing {', '.join(missing)}).")
    return run_dir
