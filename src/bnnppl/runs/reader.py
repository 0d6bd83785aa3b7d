"""Reading a run folder: its config, data, posterior and convergence check.

``run`` writes a run folder; ``report`` and the command's ``predict`` and ``report`` read one
through these functions (so the report needs nothing of how a run is made). A missing or damaged
file is a one-line ``ConfigError`` naming it and what is wrong, e.g. ``runs/demo-20260101-120000/
data.npz is damaged (not a readable NPZ: File is not a zip file); re-run the config to remake the
run folder.``
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
from bnnppl.runs.layout import CONFIG, DATA, DIAGNOSTICS, METRICS, POSTERIOR, RUN, check_run_dir

FIX = "re-run the config to remake the run folder"


def _damaged(path: Path, detail: str) -> ConfigError:
    return ConfigError(f"{path} is damaged ({detail}); {FIX}.")


def _words(err: BaseException) -> str:
    """An exception's text on one line, without a final full stop."""
    return (" ".join(str(err).split()) or type(err).__name__).rstrip(".")


def _read_text(path: Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"{path} is missing; {FIX}.") from None
    except (OSError, UnicodeDecodeError) as err:
        raise _damaged(path, f"cannot be read: {_words(err)}") from None


def _read_json(path: Path) -> dict[str, Any]:
    text = _read_text(path)
    try:
        saved = json.loads(text)
    except ValueError as err:
        raise _damaged(path, f"not valid JSON: {_words(err)}") from None
    if not isinstance(saved, dict):
        raise _damaged(path, "not a JSON object")
    return saved


def _is_number(value: Any) -> bool:
    if isinstance(value, list):
        return all(_is_number(v) for v in value)
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def read_check(run_dir: Path | str) -> Diagnostics | LossCheck | SMCCheck:
    """The convergence check a run folder's ``diagnostics.json`` holds (``None`` there is NaN)."""
    path = Path(run_dir) / DIAGNOSTICS
    saved = _read_json(path)
    kind = LossCheck if "final" in saved else SMCCheck if "log_evidence" in saved else Diagnostics
    text = {k for k, a in kind.__annotations__.items() if "str" in str(a)}  # e.g. the sampler's name
    bad = [k for k in kind._fields if k in saved and not (_is_number(saved[k]) or k in text)]
    if bad:
        raise _damaged(path, f"{bad[0]} is {saved[bad[0]]!r}, not a number")
    try:  # fields a run folder written by an older bnnppl lacks keep their defaults ("not computed")
        return kind(**{k: _from_json(saved[k]) for k in kind._fields if k in saved})
    except TypeError as err:
        raise _damaged(path, _words(err)) from None


def read_run(run_dir: Path | str) -> dict[str, Any]:
    """How a run folder was made, from its ``run.json``: ``command`` (the command line, or
    ``None`` for a run made from Python), ``overrides`` (its ``--set`` values), ``seed``,
    ``started`` (ISO time), ``fit_seconds``, ``python`` and ``versions`` (library -> version).
    A run folder written before bnnppl wrote this file gives ``{}``."""
    path = Path(run_dir) / RUN
    if not path.exists():
        return {}
    saved = _read_json(path)
    if not isinstance(saved.get("versions", {}), dict) or not isinstance(saved.get("overrides", []), list):
        raise _damaged(path, "versions must be an object and overrides a list")
    return saved


def read_metrics(run_dir: Path | str) -> dict[str, Any]:
    """The metrics a run folder's ``metrics.json`` holds: ``train`` (and ``test``) by name."""
    path = Path(run_dir) / METRICS
    saved = _read_json(path)
    if not isinstance(saved.get("train"), dict):
        raise _damaged(path, "no train metrics")
    for split in [s for s in ("train", "test") if s in saved]:  # no test rows: no test metrics
        values = saved[split]
        if not isinstance(values, dict) or set(values) != set(saved["train"]):
            raise _damaged(path, f"the {split} metrics are not those of train")
        bad = [name for name, value in values.items() if not _is_number(value)]
        if bad:
            raise _damaged(path, f"{split}.{bad[0]} is {values[bad[0]]!r}, not a number")
    return saved


def _from_json(value: Any) -> Any:
    """The inverse of the runner's ``_plain_number``: ``None`` is NaN, lists are tuples."""
    if isinstance(value, list):
        return tuple(_from_json(v) for v in value)
    return float("nan") if value is None else value


def load_data(run_dir: Path | str) -> Data:
    """The data a run was fitted and tested on (``data.npz`` of the run folder)."""
    path = Path(run_dir) / DATA
    if not path.exists():
        raise ConfigError(f"{path} is missing; {FIX}.")
    try:
        with path.open("rb") as file, np.load(file, allow_pickle=False) as f:  # closed on any error
            missing = [k for k in ("x", "y", "columns", "target") if k not in f.files]
            if missing:
                raise _damaged(path, f"no array {', '.join(missing)}")
            return Data(
                f["x"],
                f["y"],
                f["x_test"] if "x_test" in f.files else None,
                f["y_test"] if "y_test" in f.files else None,
                [str(c) for c in f["columns"]],
                str(f["target"]),
            )
    except ConfigError:
        raise
    except Exception as err:  # noqa: BLE001 - zipfile, zlib and NumPy raise many kinds
        raise _damaged(path, f"not a readable NPZ: {_words(err)}") from None


def read_posterior(run_dir: Path | str, config: RunConfig | None = None) -> Posterior:
    """The run folder's saved posterior; with ``config`` (its ``config.yaml``), a posterior of
    another model (a posterior folder copied in from another run) raises ``ConfigError``."""
    run_dir = Path(run_dir)
    path = run_dir / POSTERIOR
    try:
        posterior = load(path)
    except (OSError, ValueError, KeyError, TypeError) as err:
        file, problem = getattr(err, "file", None), getattr(err, "problem", None)
        if file is not None and problem is not None:
            raise ConfigError(f"{file} {problem}; {FIX}.") from None
        raise ConfigError(f"{path} cannot be read ({_words(err).removeprefix('path: ')}); {FIX}.") from None
    if config is not None and posterior.bnn.spec != config.model:
        raise ConfigError(
            f"{path}: was saved from a different model than {run_dir / CONFIG} describes; put the run's "
            f"own posterior back or {FIX}."
        )
    return posterior


def open_run(run_dir: Path | str) -> tuple[RunConfig, Posterior, Data]:
    """The config, posterior and data of a finished run folder; a path that is not one, or a
    missing or damaged file in it, raises ``ConfigError``."""
    run_dir = check_run_dir(run_dir)
    config = read_config(run_dir)
    data = load_data(run_dir)
    return config, read_posterior(run_dir, config), data


def read_config(run_dir: Path | str) -> RunConfig:
    """The resolved config a run folder was made with."""
    path = Path(run_dir) / CONFIG
    text = _read_text(path)
    try:
        saved = yaml.safe_load(text)
    except yaml.MarkedYAMLError as err:
        mark, problem = err.problem_mark, err.problem or err.context or "malformed"
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise _damaged(path, f"malformed YAML{where}: {problem}") from None
    except yaml.YAMLError as err:
        raise _damaged(path, f"malformed YAML: {_words(err)}") from None
    if not isinstance(saved, dict):
        raise _damaged(path, "empty" if saved is None else "not a mapping of config fields")
    try:
        return RunConfig.from_dict(saved)
    except (ValueError, TypeError) as err:
        raise _damaged(path, _words(err)) from None
