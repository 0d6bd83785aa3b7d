"""A config run end to end: data -> fit -> predictions, metrics, diagnostics -> a run folder.

A run folder holds:

- ``config.yaml``: the resolved config (every default written out; ``load_config`` reads it back);
- ``posterior/``: the saved ``Posterior`` (``bnnppl.load``);
- ``data.npz``: the training and test rows, and the input column names;
- ``predictions.npz``: predictions at the test rows (the training rows without a test set);
- ``metrics.json``: metrics on the test and training rows; ``diagnostics.json``; ``summary.csv``;
- ``run.json``: how the run was made (command line, overrides, seed, start time, fit time,
  library versions), for the report's header;
- ``report.html``: the offline report (``bnnppl report RUN`` rebuilds it).

The folder is filled under a hidden temporary name (``.{name}.{hex}.partial``, marked as this
process's), fsynced and renamed at the end to the first free ``{name}-YYYYmmdd-HHMMSS`` (``-2``,
``-3``, ...), so an interrupted or killed run leaves no visible folder, and an existing folder is
never reused or replaced. The next run into the same output folder removes the hidden folders of
runs killed on this host; any other file or folder there is never touched.

>>> import tempfile, pathlib
>>> from bnnppl.runs.config import RunConfig
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> config = RunConfig.from_dict({
...     "data": {"name": "sine", "params": {"n": 24}},
...     "model": {"network": {"hidden": [3]}, "likelihood": {"family": "gaussian", "noise": 0.1}},
...     "inference": {"method": "svi", "steps": 20, "draws": 10},
...     "output": str(out), "name": "demo"})
>>> result = run(config, report=False)
>>> sorted(p.name for p in result.run_dir.iterdir())  # doctest: +NORMALIZE_WHITESPACE
['config.yaml', 'data.npz', 'diagnostics.json', 'metrics.json', 'posterior', 'predictions.npz',
 'run.json', 'summary.csv']
>>> sorted(result.metrics["test"])  # doctest: +NORMALIZE_WHITESPACE
['constant_log_likelihood', 'coverage_95', 'crps', 'linear_log_likelihood', 'log_likelihood', 'mae',
 'rmse', 'width_95']
>>> read_config(result.run_dir) == config, load_data(result.run_dir).x_test.shape
(True, (6, 1))
>>> bnn, data = prepare(config)  # checked model and data, nothing fitted
>>> data.x.shape, open_run(result.run_dir)[0] == config
((18, 1), True)
>>> read_check(result.run_dir) == result.diagnostics == check(open_run(result.run_dir)[1])
True

``bnnppl.runs.predicting.predict_file`` predicts a CSV file's rows with a run folder.
"""

from __future__ import annotations

import datetime
import json
import platform
import shlex
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from bnnppl._io import new_run_folder
from bnnppl.inference import check_method_data, fit
from bnnppl.model.bnn import BNN
from bnnppl.results import metrics
from bnnppl.results.diagnostics import Diagnostics, LossCheck, SMCCheck, loss_check, smc_check
from bnnppl.results.draws import log_likelihood
from bnnppl.results.posterior import Posterior
from bnnppl.results.prediction import Predictions, predict
from bnnppl.results.saving import LIBRARIES, versions
from bnnppl.results.summaries import LEVELS
from bnnppl.runs.config import ConfigError, Data, RunConfig, check_output, dump_config
from bnnppl.runs.layout import (
    CONFIG,
    DATA,
    DIAGNOSTICS,
    METRICS,
    POSTERIOR,
    PREDICTIONS,
    REPORT,
    RUN,
    SUMMARY,
)
from bnnppl.runs.reader import load_data, open_run, read_check, read_config

__all__ = [
    "CONFIG",
    "DATA",
    "DIAGNOSTICS",
    "METRICS",
    "POSTERIOR",
    "PREDICTIONS",
    "REPORT",
    "SUMMARY",
    "RunResult",
    "check",
    "load_data",
    "open_run",
    "prepare",
    "read_check",
    "read_config",
    "run",
    "score",
]


_DOES = {"SVI": "optimises", "SMC": "moves its particles"}  # what a method does after compiling


class RunResult(NamedTuple):
    """What ``run`` made: the run folder, the fit's wall time, the metrics and the diagnostics
    (``LossCheck`` for SVI, whose guide draws have no chains to compare; ``SMCCheck`` for SMC)."""

    run_dir: Path
    seconds: float
    metrics: dict[str, dict[str, float]]
    diagnostics: Diagnostics | LossCheck | SMCCheck


def prepare(config: RunConfig, base: Path | str = ".") -> tuple[BNN, Data]:
    """The model and the checked data of ``config``: every user mistake surfaces here, before any
    fitting (``bnnppl validate`` stops after this), including the output folder and the method's
    sizes that depend on the data (``inference.batch_size`` of at most the training rows)."""
    check_output(config.output)
    try:
        data = config.data.load(base)
    except ConfigError:
        raise
    except (ValueError, TypeError) as err:
        raise ConfigError(str(err)) from None
    bnn = BNN(config.model)
    try:
        x, y = bnn.check_data(data.x, data.y)
    except (ValueError, TypeError) as err:
        raise data.row_error(err) from None  # names the file and line of a bad row read from one
    x_test, y_test = None, None
    if data.x_test is not None:
        try:
            x_test, y_test = bnn.check_data(data.x_test, data.y_test)
        except (ValueError, TypeError) as err:
            raise data.row_error(err, test=True) from None
    try:
        check_method_data(config.inference, x.shape[0])
    except (ValueError, TypeError) as err:
        field = getattr(err, "field", "")  # "SGLD.batch_size": the config says inference.batch_size
        where = f"inference.{field.partition('.')[2]}: {err.problem}" if field else str(err)  # type: ignore[attr-defined]
        raise ConfigError(where) from None
    return bnn, data._replace(x=x, y=y, x_test=x_test, y_test=y_test)


def run(
    config: RunConfig,
    *,
    base: Path | str = ".",
    progress: bool | None = None,
    report: bool = True,
    command: Sequence[str] | None = None,
    overrides: Sequence[str] = (),
    status: Callable[[str], None] | None = None,
) -> RunResult:
    """Fit ``config`` and write a new run folder under ``config.output``. ``command`` (the command
    line's words) and ``overrides`` (its ``--set`` values) are recorded in ``run.json`` for the
    report's header. ``status`` receives a line as each phase starts (the command prints them:
    loading the data, fitting, predicting, checking, writing the run folder and the report)."""
    say = status or (lambda line: None)
    say("loading the data and building the model")
    bnn, data = prepare(config, base)
    started = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    start = time.perf_counter()
    name = type(config.inference).__name__
    does = _DOES.get(name, "samples")
    say(f"fitting {name} to {len(data.x)} rows: JAX compiles its programs, then it {does}")
    posterior = fit(
        bnn, data.x, data.y, config.inference, seed=config.seed, progress=progress, scale=config.data.scale
    )
    seconds = time.perf_counter() - start
    rows = f"{len(data.x)} training rows" + (
        "" if data.x_test is None else f" and {len(data.x_test)} test rows"
    )
    say(f"fitted in {seconds:.1f} s; predicting the {rows}")
    train = predict(posterior, data.x, seed=config.seed)
    scores = {"train": score(posterior, train, data.x, data.y)}
    pred = train  # predictions.npz: at the test rows, or at the training rows without a test set
    if data.x_test is not None:
        pred = predict(posterior, data.x_test, seed=config.seed)
        scores["test"] = score(posterior, pred, data.x_test, data.y_test)
    say("checking convergence")
    diagnostics = check(posterior)

    say(f"writing the run folder under {config.output}")
    with new_run_folder(Path(config.output), config.name or "run") as folder:  # hidden until whole
        tmp = folder.path
        (tmp / CONFIG).write_text(dump_config(config))
        posterior.save(tmp / POSTERIOR)
        _save_data(tmp / DATA, data)
        _save_predictions(tmp / PREDICTIONS, pred)
        (tmp / METRICS).write_text(json.dumps({**scores, "fit_seconds": seconds}, indent=2) + "\n")
        made = {
            "command": None if command is None else shlex.join(command),
            "overrides": list(overrides),
            "seed": config.seed,
            "started": started,
            "fit_seconds": seconds,
            "python": platform.python_version(),
            "versions": versions((*LIBRARIES, "holoviews", "bokeh")),
        }
        (tmp / RUN).write_text(json.dumps(made, indent=2) + "\n")
        (tmp / DIAGNOSTICS).write_text(json.dumps(_diagnostics_dict(diagnostics), indent=2) + "\n")
        posterior.summary().to_csv(tmp / SUMMARY)
        if report:
            from bnnppl.runs.report import write_report

            say("writing the report")
            write_report(tmp, posterior=posterior, name=folder.free_name())
    return RunResult(folder.final, seconds, scores, diagnostics)


def score(posterior: Posterior, pred: Predictions, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Metrics of the predictions ``pred`` (made at ``x``) against targets ``y``.

    Every task: ``log_likelihood`` (mean per point of the log predictive density, as UCI papers
    report it). Classification: ``accuracy``, ``brier``, ``ece``. Regression and counts:
    ``rmse``, ``mae``, ``coverage_95`` and ``width_95`` (the central 95 % band of the predictive
    draws), and ``crps`` when the predictive draws were kept.
    """
    out = {
        "log_likelihood": metrics.log_likelihood(log_likelihood(posterior, x, y)),
        "constant_log_likelihood": constant_log_likelihood(posterior, y),
        "linear_log_likelihood": linear_log_likelihood(posterior, x, y),
    }
    if pred.probs is not None:
        out |= {
            "accuracy": metrics.accuracy(y, pred.probs),
            "brier": metrics.brier(y, pred.probs),
            "ece": metrics.expected_calibration_error(y, pred.probs),
        }
        return out
    lower, upper = pred.quantiles[0.025], pred.quantiles[0.975]
    out |= {
        "rmse": metrics.rmse(y, pred.mean),
        "mae": metrics.mae(y, pred.mean),
        "coverage_95": metrics.interval_coverage(y, lower, upper),
        "width_95": metrics.interval_width(lower, upper),
    }
    if pred.y is not None:
        out["crps"] = metrics.crps(y, pred.y)
    return out


def _family(posterior: Posterior) -> str:
    """The baselines' family of ``posterior``'s likelihood: every real-valued one is ``gaussian``."""
    family = posterior.bnn.likelihood.family
    return family if family in ("bernoulli", "categorical", "poisson") else "gaussian"


def constant_log_likelihood(posterior: Posterior, y: np.ndarray) -> float:
    """``metrics.constant_log_likelihood`` of ``y`` for ``posterior``'s likelihood, the constant
    fitted to its training targets."""
    classes = getattr(posterior.bnn.likelihood, "classes", 2)
    return metrics.constant_log_likelihood(posterior.y, y, _family(posterior), classes)


def linear_log_likelihood(posterior: Posterior, x: np.ndarray, y: np.ndarray) -> float:
    """``baselines.linear_log_likelihood`` of ``y`` at ``x``: the linear model of ``posterior``'s
    likelihood fitted to its training rows (in their original units)."""
    from bnnppl.results.baselines import linear_log_likelihood as linear

    classes = getattr(posterior.bnn.likelihood, "classes", 2)
    return linear(posterior.x, posterior.y, x, y, _family(posterior), classes)


def check(posterior: Posterior) -> Diagnostics | LossCheck | SMCCheck:
    """The fit's convergence check: r-hat, ESS and divergences for MCMC (NUTS, HMC and the
    Langevin samplers), the loss curve for SVI, the evidence and particle health for SMC."""
    if "loss" in posterior.stats:
        return loss_check(posterior.stats["loss"])
    if "log_evidence" in posterior.stats:
        return smc_check(dict(posterior.samples), dict(posterior.stats))
    return posterior.diagnostics()


def _diagnostics_dict(d: Diagnostics | LossCheck | SMCCheck) -> dict[str, Any]:
    return {**{k: _plain_number(v) for k, v in d._asdict().items()}, "warnings": d.warnings()}


def _plain_number(value: Any) -> Any:
    """A JSON-ready value: NumPy numbers as Python ones, NaN and infinities as ``None``, tuples
    (per-chain numbers, modes) as lists."""
    if isinstance(value, (tuple, list)):
        return [_plain_number(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    return value


def _save_data(path: Path, data: Data) -> None:
    arrays = {"x": data.x, "y": data.y, "columns": np.array(data.columns), "target": np.array(data.target)}
    if data.x_test is not None:
        arrays |= {"x_test": data.x_test, "y_test": data.y_test}
    np.savez(path, **arrays)


def _save_predictions(path: Path, pred: Predictions) -> None:
    arrays = {"x": pred.x}
    for name in ("mean", "std", "epistemic", "aleatoric", "hdi", "probs", "entropy"):
        value = getattr(pred, name)
        if value is not None:
            arrays[name] = value
    if pred.quantiles is not None:
        arrays["levels"] = np.asarray(LEVELS)
        arrays["quantiles"] = np.stack([pred.quantiles[level] for level in LEVELS])
    np.savez(path, **arrays)
