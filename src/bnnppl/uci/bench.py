"""The benchmark's runs: ``plan`` checks everything first (data, splits, settings, old split
files), ``run_benchmark`` fits each split not yet done and writes the tables; ``fit_and_score`` is
one fit and its test scores, as every split (and ``bench/uci_inner.py``'s inner split) does it."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import jax
import numpy as np

from bnnppl import _programs
from bnnppl._checks import check_choice
from bnnppl._io import atomic_write
from bnnppl.results import metrics
from bnnppl.runs.config import ConfigError
from bnnppl.spec.methods import NUTS, Method
from bnnppl.spec.model import ModelSpec
from bnnppl.uci.data import UCIData, available, load_uci, original_log_likelihood, standardizer
from bnnppl.uci.settings import parse_splits, settings
from bnnppl.uci.tables import _split_files, write_results

PROTOCOL = 1  # bump when the split files' meaning changes: old folders then refuse to mix


def _fingerprint(values: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


# ----------------------------------------------------------------------------- running


class Job(NamedTuple):
    """One data set and method to run: its data, splits, model, method and output folder;
    ``values`` are the settings every split file records, ``key`` their fingerprint."""

    data: UCIData
    splits: list[int]
    model: ModelSpec
    method: Method
    folder: Path
    values: dict[str, Any]
    key: str


def plan(
    root: Path | str,
    out: Path | str,
    *,
    datasets: Sequence[str] = (),
    splits: str | None = None,
    method: str | None = None,
    config: Path | str | None = None,
    seed: int = 0,
) -> list[Job]:
    """Check everything a run needs (data, names, splits, config, old split files) before any
    fitting; each mistake raises ``ConfigError``."""
    root = Path(root)
    if not root.is_dir():
        raise ConfigError(f"--data-dir: {root}: no such folder.")
    names = available(root)
    if not names:
        raise ConfigError(f"--data-dir: {root} holds no UCI data set (a folder with data.txt).")
    jobs = []
    for name in datasets or names:
        try:
            check_choice("--datasets", name, names, "data set")
        except ValueError as err:
            raise ConfigError(str(err)) from None
        data = load_uci(root, name)
        ks = parse_splits(splits, data.n_splits, name)
        model, chosen = settings(data.n_hidden, method, config)
        values = {
            "protocol": PROTOCOL, "dataset": name, "seed": seed,
            "model": model.to_dict(), "inference": chosen.to_dict(),
        }  # fmt: skip
        folder = Path(out) / name / values["inference"]["method"]
        job = Job(data, ks, model, chosen, folder, values, _fingerprint(values))
        _split_files(job.folder, job.key)
        jobs.append(job)
    return jobs


def fit_and_score(
    model: ModelSpec,
    method: Method,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    *,
    seed: int = 0,
    progress: bool | None = False,
) -> tuple[Any, dict[str, float]]:
    """Fit ``model`` with ``method`` on the ``train`` rows ``(x, y)``, standardised with their own
    mean and sd (the published protocol; ``scale=False`` to ``fit``), and score the ``test`` rows:
    ``rmse`` and ``log_likelihood`` (mean per point) in original units, ``fit_seconds``, and, for an
    ensemble start, the members scored alone (``ensemble_rmse``, ``ensemble_log_likelihood``: the
    deep ensemble the chains started from). Returns ``(posterior, scores)``; the posterior lives
    in standardised units."""
    from bnnppl.inference import fit
    from bnnppl.model.bnn import BNN
    from bnnppl.results.draws import log_likelihood, network_draws

    (x_tr, y_tr), (x_te, y_te) = train, test
    s = standardizer(x_tr, y_tr)
    xs_tr, ys_tr = s.x(x_tr).astype(np.float32), s.y(y_tr).astype(np.float32)
    xs_te, ys_te = s.x(x_te).astype(np.float32), s.y(y_te).astype(np.float32)
    start = time.perf_counter()
    posterior = fit(
        BNN(model),
        xs_tr,
        ys_tr,
        method,
        seed=seed,
        progress=progress,
        scale=False,  # standardised above with the reference protocol's statistics
    )
    seconds = time.perf_counter() - start

    def scores(post) -> dict[str, float]:
        f = network_draws(post, xs_te)[..., 0]  # (draws, n_test), standardised
        return {
            "rmse": metrics.rmse(y_te, s.y_back(np.mean(f.astype(np.float64), axis=0))),
            "log_likelihood": original_log_likelihood(log_likelihood(post, xs_te, ys_te), s.y_std),
        }

    members = (
        {f"ensemble_{k}": v for k, v in scores(posterior.ensemble()).items()} if posterior.members else {}
    )
    return posterior, {**scores(posterior), **members, "fit_seconds": seconds}


def run_split(job: Job, k: int, *, progress: bool | None = False) -> dict[str, Any]:
    """Fit split ``k`` of ``job`` (``fit_and_score`` on its training and test rows); the split
    file's record: the scores, sizes, diagnostics, sampler summary and settings."""
    from bnnppl.runs.runner import _diagnostics_dict, check

    x_tr, y_tr, x_te, y_te = job.data.split(k)
    posterior, scores = fit_and_score(
        job.model, job.method, (x_tr, y_tr), (x_te, y_te), seed=job.values["seed"], progress=progress
    )
    return {
        "dataset": job.data.name,
        "split": k,
        **scores,
        "n_train": len(y_tr),
        "n_test": len(y_te),
        "diagnostics": _diagnostics_dict(check(posterior)),
        "sampler": sampler_summary(posterior.stats, job.method),
        "settings": job.values,
        "key": job.key,
    }


def sampler_summary(stats: dict[str, np.ndarray], method: Method) -> dict[str, float]:
    """How hard the sampler worked, from its kept draws' stats: ``mean_leapfrog_steps`` (NUTS,
    HMC), ``depth_limit_share`` (NUTS: the share of draws whose tree reached ``max_tree_depth``),
    ``mean_accept_prob`` and ``median_step_size`` where the method records them.

    >>> stats = {"num_steps": np.array([[255, 127], [255, 63]]), "tree_depth": np.array([[8, 7], [8, 6]])}
    >>> sampler_summary(stats, NUTS(max_tree_depth=8))
    {'mean_leapfrog_steps': 175.0, 'depth_limit_share': 0.5}
    """
    out = {}
    if "num_steps" in stats:
        out["mean_leapfrog_steps"] = float(np.mean(stats["num_steps"]))
    if isinstance(method, NUTS) and "tree_depth" in stats:
        out["depth_limit_share"] = float(np.mean(stats["tree_depth"] >= method.max_tree_depth))
    if "accept_prob" in stats:
        out["mean_accept_prob"] = float(np.mean(stats["accept_prob"]))
    if "adapt_state.step_size" in stats:
        out["median_step_size"] = float(np.median(stats["adapt_state.step_size"]))
    return out


def run_benchmark(
    jobs: Iterable[Job],
    out: Path | str,
    *,
    published: Path | str | None = None,
    log: Callable[[str], None] = print,
    workers: int | None = None,
    scheduler: str | None = None,
) -> dict[str, Any]:
    """Run every split of ``jobs`` not already in its folder, one line of progress each, then
    write ``out/results.json`` and ``out/results.md``; returns the results. With ``workers`` (an
    embedded Dask ``LocalCluster`` of that many processes) or ``scheduler`` (a running Dask
    scheduler's address) the (data set, split, method) fits run as Dask tasks (see
    ``bnnppl.sweeps.engine``); the client writes the same split files."""
    todo = []
    for job in jobs:
        done = _split_files(job.folder, job.key)
        for k in job.splits:
            if k in done:
                log(f"{_label(job)} split {k}: done before: {_scores(done[k])}")
            else:
                todo.append((job, k))
    if workers is None and scheduler is None:
        for i, (job, k) in enumerate(todo):
            start = time.perf_counter()
            _save_split(job, k, run_split(job, k), time.perf_counter() - start, log)
            if i + 1 == len(todo) or todo[i + 1][0] is not job:
                _free_programs()
    else:
        _run_on_dask(todo, workers, scheduler, log)
    return write_results(out, published)


def _label(job: Job) -> str:
    return f"{job.data.name} ({job.values['inference']['method']})"


def _save_split(job: Job, k: int, record: dict[str, Any], seconds: float, log: Callable[[str], None]) -> None:
    job.folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(record, indent=2) + "\n"
    atomic_write(job.folder / f"split_{k}.json", lambda p, text=text: p.write_text(text))
    log(f"{_label(job)} split {k}: {_scores(record)}, {seconds:.1f} s")


def _scores(record: dict[str, Any]) -> str:
    return f"RMSE {record['rmse']:.4g}, LL {record['log_likelihood']:.4g}"


def _free_programs() -> None:
    """The splits of a job share their programs (same shapes: compiled once); the next job's
    differ, so free these: JAX keeps every compiled program (hundreds of memory maps each), and
    Linux's 65 530-map limit crashed LLVM after 96 fits when each fit compiled anew."""
    jax.clear_caches()
    _programs.clear()


_LAST_JOB: list[str] = []  # in a worker: the job whose programs it holds


def split_task(job: Job, k: int) -> tuple[dict[str, Any], float]:
    """In a Dask worker: ``run_split``, freeing the programs of another job first."""
    from bnnppl._jaxconfig import enable_compilation_cache

    if _LAST_JOB and _LAST_JOB[0] != job.key:
        _free_programs()
    _LAST_JOB[:] = [job.key]
    enable_compilation_cache()
    start = time.perf_counter()
    return run_split(job, k), time.perf_counter() - start


def _run_on_dask(
    todo: list[tuple[Job, int]], workers: int | None, scheduler: str | None, log: Callable[[str], None]
) -> None:
    """The fits of ``todo`` as Dask tasks (retried when a worker dies); each split file written here
    as its result comes back. A fit that raises stops the benchmark, as it does run serially."""
    from distributed import as_completed

    from bnnppl.sweeps.engine import client

    if not todo:
        return
    with client(workers, scheduler, log) as dask_client:
        futures = {
            dask_client.submit(split_task, job, k, key=f"uci-{job.key}-{k}", retries=2, pure=False): (job, k)
            for job, k in todo
        }
        for future in as_completed(futures):
            job, k = futures[future]
            record, seconds = future.result()
            _save_split(job, k, record, seconds, log)
