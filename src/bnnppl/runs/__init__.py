"""Runs: a YAML config end to end into a run folder with an offline HTML report.

This package owns run configs (``config``: the YAML file, overrides, ``data``: where the rows come
from), making a run folder (``run``), reading one (``reader``), its report (``report``, with the
offline page machinery in ``html``) and the default example (``example``). It sits at the end of
the data's path: it imports ``bnnppl.inference`` (to fit), ``bnnppl.results`` (to predict, check and
save), ``bnnppl.plots`` (for the report), ``bnnppl.model``, ``bnnppl.spec``, ``bnnppl.datasets`` and
the private helpers; nothing below imports it.
"""

import lazy_loader

# Loaded on first use: the command reads a config (``runs.config``) without importing JAX.
__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "config": ["ConfigError", "RunConfig", "apply_overrides", "dump_config", "load_config", "read_yaml"],
        "reader": ["load_data", "open_run", "read_check", "read_config"],
        "predicting": ["predict_file"],
        "runner": ["RunResult", "check", "prepare", "run", "score"],
    },
)
