"""The benchmark's settings (the default model and methods, or a config's) and its runs: ``plan``
checks everything first, ``run_benchmark`` fits each split not yet done and writes the tables."""

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
from bnnppl.runs.config import ConfigError, parse_numbers, read_yaml
from bnnppl.spec.likelihoods import Gaussian
from bnnppl.spec.methods import MCLMC, NUTS, SVI, Method, method_from_dict
from bnnppl.spec.model import ModelSpec
from bnnppl.spec.network import MLP
from bnnppl.spec.priors import Prior, ScalePrior
from bnnppl.uci.data import UCIData, available, load_uci, original_log_likelihood, standardizer
from bnnppl.uci.tables import _split_files, write_results

PROTOCOL = 1  # bump when the split files' meaning changes: old folders then refuse to mix


# ----------------------------------------------------------------------------- settings


NOISE_PRIOR = ScalePrior(family="gamma_precision", concentration=1.0, rate=0.01)


def default_model(n_hidden: int) -> ModelSpec:
    """The benchmark's model: ``n_hidden`` ReLU units, Normal(0, 1) priors with fan-in (LeCun)
    scaling, and a Gamma(1, 0.01) prior on the noise *precision* of the standardised target.

    That noise prior (an exponential law with mean 100, i.e. noise sd around 0.1 or more) keeps
    the noise away from zero: with HalfNormal(1), NUTS found nets that interpolate the 277 Yacht
    training points with noise sd 0.001 of the target's sd and a test log-likelihood of -66.
    PBP's Gamma(6, 6) goes too far the other way (noise sd 3x too large on Yacht, log-likelihood
    -2.27 against 0.03)."""
    return ModelSpec(
        network=MLP(hidden=(n_hidden,), activation="relu"),
        prior=Prior(scale=1.0, fan_in="lecun"),
        likelihood=Gaussian(noise_prior=NOISE_PRIOR),
    )


# NUTS: 2000 draws per split, 6 to 21 min per data set on 2 cores; SVI: the guide starts at a
# MAP fit (from NumPyro's uniform start every variant tried underfit). docs/benchmarks.md has
# the measurements behind both.
DEFAULT_METHODS: dict[str, Method] = {
    "nuts": NUTS(
        chains=2,
        warmup=1000,
        samples=1000,
        max_tree_depth=8,
        init="map",
        init_steps=2000,
        target_accept=0.9,
    ),
    "mclmc": MCLMC(chains=8, warmup=1000, samples=1000, init="ensemble", init_steps=5000),
    "svi": SVI(
        steps=20_000,
        learning_rate=0.01,
        schedule="cosine",
        init_scale=0.01,
        draws=1000,
        init="map",
        init_steps=2000,
    ),
}


def settings(
    n_hidden: int, method: str | None = None, config: Path | str | None = None
) -> tuple[ModelSpec, Method]:
    """The model and method of a run: the defaults, with a YAML ``config``'s ``model:`` keys
    (``network``, ``prior``, ``likelihood``, ...) replacing the default ones (a ``network``
    without ``hidden`` keeps ``n_hidden``) and its ``inference:`` section replacing the method."""
    model: dict[str, Any] = default_model(n_hidden).to_dict()
    raw: dict[str, Any] = {}
    if config is not None:
        raw = read_yaml(config) or {}
        if not isinstance(raw, dict):
            raise ConfigError(f"{config}: must hold a mapping with model and/or inference; got {raw!r}.")
        extra = sorted(set(raw) - {"model", "inference"})
        if extra:
            raise ConfigError(
                f"{config}: unknown key {extra[0]!r}; a bench config has 'model' and 'inference'."
            )
    try:
        given = dict(raw.get("model") or {})
        if isinstance(given.get("network"), dict):
            given["network"] = {"hidden": [n_hidden], **given["network"]}
        spec = ModelSpec.from_dict({**model, **given}, "model")
        if "inference" in raw:
            chosen = method_from_dict(raw["inference"], "inference")
        else:
            check_choice("--method", method or "nuts", DEFAULT_METHODS, "method")
            chosen = DEFAULT_METHODS[method or "nuts"]
    except (ValueError, TypeError) as err:
        raise ConfigError(f"{config}: {err}" if config else str(err)) from None
    name = chosen.to_dict()["method"]
    if method is not None and name != method:
        raise ConfigError(f"--method {method}: the config {config} sets inference.method {name!r}; drop one.")
    return spec, chosen


def parse_splits(text: str | None, n_splits: int, name: str) -> list[int]:
    """``"0"``, ``"0-4"``, ``"0,3,5-7"`` or ``None`` (every split) as a sorted list, each < n_splits.

    >>> parse_splits("0,3,5-7", 20, "yacht"), parse_splits(None, 3, "yacht")
    ([0, 3, 5, 6, 7], [0, 1, 2])
    >>> parse_splits("19-20", 20, "yacht")
    Traceback (most recent call last):
    ...
    bnnppl.runs.errors.ConfigError: --splits '19-20': yacht has splits 0-19, not 20.
    """
    if text is None:
        return list(range(n_splits))
    out = parse_numbers(text, "--splits", "split numbers")
    bad = [k for k in out if k >= n_splits]
    if bad:
        raise ConfigError(f"--splits {text!r}: {name} has splits 0-{n_splits - 1}, not {bad[0]}.")
    return out


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


def run_split(job: Job, k: int, *, progress: bool | None = False) -> dict[str, Any]:
    """Fit split ``k`` of ``job`` on standardised data; RMSE and test log-likelihood in original units
    (and, for an ensemble start, those of the members alone: ``ensemble_rmse``,
    ``ensemble_log_likelihood``)."""
    from bnnppl.inference import fit
    from bnnppl.model.bnn import BNN
    from bnnppl.results.draws import log_likelihood, network_draws
    from bnnppl.runs.runner import _diagnostics_dict, check

    x_tr, y_tr, x_te, y_te = job.data.split(k)
    s = standardizer(x_tr, y_tr)
    xs_tr, xs_te = s.x(x_tr).astype(np.float32), s.x(x_te).astype(np.float32)
    start = time.perf_counter()
    posterior = fit(
        BNN(job.model),
        xs_tr,
        s.y(y_tr).astype(np.float32),
        job.method,
        seed=job.values["seed"],
        progress=progress,
        scale=False,  # standardised above with the reference protocol's statistics
    )
    seconds = time.perf_counter() - start

    def scores(post) -> dict[str, float]:  # test RMSE and log-likelihood in original units
        f = network_draws(post, xs_te)[..., 0]  # (draws, n_test), standardised
        log_lik = log_likelihood(post, xs_te, s.y(y_te).astype(np.float32))
        return {
            "rmse": metrics.rmse(y_te, s.y_back(np.mean(f.astype(np.float64), axis=0))),
            "log_likelihood": original_log_likelihood(log_lik, s.y_std),
        }

    # an ensemble start's members scored alone: the deep ensemble the chains started from
    members = (
        {f"ensemble_{k}": v for k, v in scores(posterior.ensemble()).items()} if posterior.members else {}
    )
    return {
        "dataset": job.data.name,
        "split": k,
        **scores(posterior),
        **members,
        "fit_seconds": seconds,
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
