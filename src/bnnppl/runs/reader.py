"""Reading a run folder: its file names, config, data, posterior and convergence check.

``run`` writes a run folder; ``report`` and the command's ``predict`` and ``report`` read one
through these functions (so the report needs nothing of how a run is made).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bnnppl.results.diagnostics import Diagnostics, LossCheck, SMCCheck
from bnnppl.results.posterior import Posterior, load
from bnnppl.runs.config import ConfigError, Data, RunConfig

CONFIG = "config.yaml"
POSTERIOR = "posterior"
DATA = "data.npz"
PREDICTIONS = "predictions.npz"
METRICS = "metrics.json"
DIAGNOSTICS = "diagnostics.json"
SUMMARY = "summary.csv"
REPORT = "report.html"


def read_check(run_dir: Path | str) -> Diagnostics | LossCheck | SMCCheck:
    """The convergence check a run folder's ``diagnostics.json`` holds (``None`` there is NaN)."""
    saved = json.loads((Path(run_dir) / DIAGNOSTICS).read_text())
    kind = LossCheck if "final" in saved else SMCCheck if "log_evidence" in saved else Diagnostics
    # fields a run folder written by an older bnnppl lacks keep their defaults ("not computed")
    return kind(**{k: _from_json(saved[k]) for k in kind._fields if k in saved})


def _from_json(value: Any) -> Any:
    """The inverse of the runner's ``_plain_number``: ``None`` is NaN, lists are tuples."""
    if isinstance(value, list):
        return tuple(_from_json(v) for v in value)
    return float("nan") if value is None else value


def load_data(run_dir: Path) -> Data:
    """The data a run was fitted and tested on (``data.npz`` of the run folder)."""
    with np.load(Path(run_dir) / DATA, allow_pickle=False) as f:
        return Data(
            f["x"],
            f["y"],
            f["x_test"] if "x_test" in f.files else None,
            f["y_test"] if "y_test" in f.files else None,
            [str(c) for c in f["columns"]],
            str(f["target"]),
        )


def open_run(run_dir: Path | str) -> tuple[RunConfig, Posterior, Data]:
    """The config, posterior and data of a finished run folder; a path that is not one raises
    ``ConfigError``."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ConfigError(f"{run_dir}: no such run folder.")
    missing = [name for name in (CONFIG, POSTERIOR, DATA) if not (run_dir / name).exists()]
    if missing:
        raise ConfigError(f"{run_dir}: not a bnnppl run folder (missing {', '.join(missing)}).")
    return read_config(run_dir), load(run_dir / POSTERIOR), load_data(run_dir)


def read_config(run_dir: Path | str) -> RunConfig:
    """The resolved config a run folder was made with."""
    return RunConfig.from_dict(yaml.safe_load((Path(run_dir) / CONFIG).read_text()))
