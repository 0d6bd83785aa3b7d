"""Runs: a YAML config end to end into a run folder with an offline HTML report.

This package owns run configs (``config``: the YAML file, overrides, ``data``: where the rows come
from), making a run folder (``run``), reading one (``reader``), its report (``report``, with the
offline page machinery in ``html``) and the default example (``example``). It sits at the end of
the data's path: it imports ``bnnppl.inference`` (to fit), ``bnnppl.results`` (to predict, check and
save), ``bnnppl.plots`` (for the report), ``bnnppl.model``, ``bnnppl.spec``, ``bnnppl.datasets`` and
the private helpers; nothing below imports it.
"""

from bnnppl.runs.config import ConfigError, RunConfig, apply_overrides, dump_config, load_config, read_yaml
from bnnppl.runs.reader import load_data, open_run, read_check, read_config
from bnnppl.runs.runner import RunResult, check, predict_file, prepare, run, score

__all__ = [
    "ConfigError",
    "RunConfig",
    "RunResult",
    "apply_overrides",
    "check",
    "dump_config",
    "load_config",
    "load_data",
    "open_run",
    "predict_file",
    "prepare",
    "read_check",
    "read_config",
    "read_yaml",
    "run",
    "score",
]
