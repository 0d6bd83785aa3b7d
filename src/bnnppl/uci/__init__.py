"""The UCI regression benchmark (Hernández-Lobato & Adams 2015 splits): load, fit, score, compare.

The data are never shipped (their licence forbids it); give the folder that holds them. Each data
set is a folder ``<name>/`` (or ``<name>/data/``) with ``data.txt``, ``index_features.txt``,
``index_target.txt``, ``index_train_K.txt``, ``index_test_K.txt``, ``n_hidden.txt`` and
``n_splits.txt``. The protocol, as published:

- inputs and target standardised with the training split's mean and std (a std of 0 is set to 1);
- one hidden layer of ``n_hidden.txt`` units (50; 100 for Protein);
- test RMSE and test log-likelihood (mean over test points of the log predictive density) in the
  original target units; mean and standard error (``std(ddof=0) / sqrt(n)``) over splits.

``bnnppl bench uci`` runs it (``run_benchmark``): one JSON file per finished split under
``<out>/<dataset>/<method>/split_K.json`` (written whole or not at all), so an interrupted run
resumes; then ``<out>/results.json`` and ``<out>/results.md`` beside the published numbers.

The parts: ``bnnppl.uci.data`` (loader, standardiser, log-likelihood in original units),
``bnnppl.uci.settings`` (the default model and methods, a config's replacements),
``bnnppl.uci.bench`` (fitting, scoring and the runs), ``bnnppl.uci.tables`` (results and the
published numbers).
A face users touch, it may import every layer below it (``bnnppl.runs`` for its checks and config
errors, ``bnnppl.inference``, ``bnnppl.results``, ``bnnppl.model``, ``bnnppl.spec``); only the
command line imports it.
"""

from bnnppl.uci.bench import PROTOCOL, Job, fit_and_score, plan, run_benchmark, run_split
from bnnppl.uci.data import (
    FILES,
    Standardizer,
    UCIData,
    available,
    dataset_dir,
    load_uci,
    original_log_likelihood,
    standardizer,
)
from bnnppl.uci.settings import DEFAULT_METHODS, default_model, parse_splits, settings
from bnnppl.uci.tables import (
    METRICS,
    PUBLISHED,
    ROWS,
    collect,
    markdown,
    read_published,
    write_results,
)

__all__ = [
    "DEFAULT_METHODS", "FILES", "METRICS", "PROTOCOL", "PUBLISHED", "ROWS", "Job", "Standardizer",
    "UCIData", "available", "collect", "dataset_dir", "default_model", "fit_and_score", "load_uci",
    "markdown", "original_log_likelihood", "parse_splits", "plan", "read_published",
    "run_benchmark", "run_split", "settings", "standardizer", "write_results",
]  # fmt: skip
