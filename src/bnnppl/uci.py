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

>>> s = standardizer(np.array([[1.0, 5.0], [3.0, 5.0]]), np.array([10.0, 20.0]))
>>> s.x_std.tolist(), s.y_mean, s.y_std  # the constant column keeps std 1
([1.0, 1.0], 15.0, 5.0)
>>> s.y_back(s.y(np.array([12.0]))).tolist()
[12.0]
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from bnnppl import metrics
from bnnppl._checks import check_choice
from bnnppl._io import atomic_write
from bnnppl.config import ConfigError, read_yaml
from bnnppl.inference.methods import NUTS, SVI, Method, method_from_dict
from bnnppl.spec import MLP, Gaussian, ModelSpec, Prior, ScalePrior

PROTOCOL = 1  # bump when the split files' meaning changes: old folders then refuse to mix
FILES = ("data.txt", "index_features.txt", "index_target.txt", "n_hidden.txt", "n_splits.txt")
ROWS = {  # data set folder -> row name in PUBLISHED.md
    "bostonHousing": "Boston Housing",
    "concrete": "Concrete",
    "energy": "Energy",
    "kin8nm": "Kin8nm",
    "naval-propulsion-plant": "Naval",
    "power-plant": "Power Plant",
    "protein-tertiary-structure": "Protein",
    "wine-quality-red": "Wine (red)",
    "yacht": "Yacht",
}
PUBLISHED = ("VI", "PBP", "MC dropout", "Deep Ensembles")  # column headers start with these
METRICS = ("rmse", "log_likelihood")


class UCIData(NamedTuple):
    """One data set: ``data`` (all rows), the ``features`` columns, the ``target`` column, the
    ``train`` / ``test`` row indices of each split, and ``n_hidden``."""

    name: str
    data: np.ndarray
    features: tuple[int, ...]
    target: int
    train: tuple[np.ndarray, ...]
    test: tuple[np.ndarray, ...]
    n_hidden: int

    @property
    def n_splits(self) -> int:
        return len(self.train)

    def split(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``x_train, y_train, x_test, y_test`` of split ``k``, in original units."""
        x, y = self.data[:, list(self.features)], self.data[:, self.target]
        tr, te = self.train[k], self.test[k]
        return x[tr], y[tr], x[te], y[te]


def dataset_dir(root: Path | str, name: str) -> Path | None:
    """``root/name/data`` or ``root/name``, whichever holds ``data.txt``; ``None`` if neither."""
    for folder in (Path(root) / name / "data", Path(root) / name):
        if (folder / "data.txt").is_file():
            return folder
    return None


def available(root: Path | str) -> list[str]:
    """The data set names under ``root`` (folders holding ``data.txt``), sorted."""
    root = Path(root)
    return sorted(p.name for p in root.iterdir() if p.is_dir() and dataset_dir(root, p.name))


def _ints(file: Path) -> np.ndarray:
    try:
        return np.atleast_1d(np.loadtxt(file, dtype=int))
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such file.") from None
    except ValueError as err:
        raise ConfigError(f"{file}: expected whole numbers, one per line: {err}.") from None


def load_uci(root: Path | str, name: str) -> UCIData:
    """Read data set ``name`` under ``root``; a missing or malformed file raises ``ConfigError``."""
    folder = dataset_dir(root, name)
    if folder is None:
        raise ConfigError(f"{Path(root) / name}: no data.txt here nor in data/.")
    for file in FILES:
        if not (folder / file).is_file():
            raise ConfigError(f"{folder / file}: no such file.")
    try:
        data = np.loadtxt(folder / "data.txt", ndmin=2)
    except ValueError as err:
        raise ConfigError(f"{folder / 'data.txt'}: not a table of numbers: {err}.") from None
    features, target = (
        tuple(int(i) for i in _ints(folder / "index_features.txt")),
        int(_ints(folder / "index_target.txt")[0]),
    )
    n_splits, n_hidden = int(_ints(folder / "n_splits.txt")[0]), int(_ints(folder / "n_hidden.txt")[0])
    cols = data.shape[1]
    if target in features or not all(0 <= c < cols for c in (*features, target)):
        raise ConfigError(
            f"{folder}: feature columns {features} / target {target} do not fit {cols} columns."
        )
    train, test = [], []
    for k in range(n_splits):
        tr, te = _ints(folder / f"index_train_{k}.txt"), _ints(folder / f"index_test_{k}.txt")
        if np.intersect1d(tr, te).size or min(tr.min(), te.min()) < 0 or max(tr.max(), te.max()) >= len(data):
            raise ConfigError(
                f"{folder}: split {k}: train and test rows overlap or fall outside 0..{len(data) - 1}."
            )
        train.append(tr)
        test.append(te)
    return UCIData(name, data, features, target, tuple(train), tuple(test), n_hidden)


class Standardizer(NamedTuple):
    """Training-split statistics: ``x`` and ``y`` standardise, ``y_back`` undoes ``y``."""

    x_mean: np.ndarray
    x_std: np.ndarray
    y_mean: float
    y_std: float

    def x(self, x: np.ndarray) -> np.ndarray:
        return (x - self.x_mean) / self.x_std

    def y(self, y: np.ndarray) -> np.ndarray:
        return (y - self.y_mean) / self.y_std

    def y_back(self, y: np.ndarray) -> np.ndarray:
        return self.y_mean + self.y_std * y


def standardizer(x_train: np.ndarray, y_train: np.ndarray) -> Standardizer:
    """The statistics of the training split; a constant column (std 0) gets std 1, as the
    reference code does (Naval has one).

    >>> s = standardizer(np.array([[1.0, 5.0], [3.0, 5.0]]), np.array([10.0, 20.0]))
    >>> s.x(np.array([[3.0, 5.0]])).tolist(), s.y(np.array([20.0])).tolist(), s.y_back(np.array([-1.0]))
    ([[1.0, 0.0]], [1.0], array([10.]))
    """
    x_std = np.std(x_train, axis=0)
    y_std = float(np.std(y_train))
    return Standardizer(
        np.mean(x_train, axis=0),
        np.where(x_std > 0, x_std, 1.0),
        float(np.mean(y_train)),
        y_std if y_std > 0 else 1.0,
    )


def original_log_likelihood(log_lik: np.ndarray, y_std: float) -> float:
    """Test log-likelihood in original units from ``log p(y_std_i | draw s)`` (shape ``(draws, n)``)
    on standardised targets: ``y = mean + y_std * y_s`` has density ``p(y_s) / y_std``.

    >>> round(original_log_likelihood(np.log([[0.2, 1.0], [0.6, 1.0]]), 2.0), 4)  # -0.4581 - log 2
    -1.1513
    """
    return metrics.log_likelihood(log_lik) - math.log(y_std)


# ----------------------------------------------------------------------------- settings


def default_model(n_hidden: int) -> ModelSpec:
    """The benchmark's model: ``n_hidden`` ReLU units, Normal(0, 1) priors with fan-in (LeCun)
    scaling, a HalfNormal(1) prior on the noise scale of the standardised target."""
    return ModelSpec(
        network=MLP(hidden=(n_hidden,), activation="relu"),
        prior=Prior(scale=1.0, fan_in="lecun"),
        likelihood=Gaussian(noise_prior=ScalePrior(family="half_normal", scale=1.0)),
    )


DEFAULT_METHODS: dict[str, Method] = {
    "nuts": NUTS(chains=2, warmup=1000, samples=1000, init="map", init_steps=2000, target_accept=0.9),
    "svi": SVI(steps=20_000, learning_rate=0.01, schedule="cosine", init_scale=0.01, draws=1000),
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
    bnnppl.config.ConfigError: --splits '19-20': yacht has splits 0-19, not 20.
    """
    if text is None:
        return list(range(n_splits))
    out: set[int] = set()
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not m or (m[2] is not None and int(m[2]) < int(m[1])):
            raise ConfigError(f"--splits {text!r}: expected split numbers or ranges, e.g. 0, 0-4 or 0,3,5-7.")
        out.update(range(int(m[1]), int(m[2] or m[1]) + 1))
    bad = [k for k in sorted(out) if k >= n_splits]
    if bad:
        raise ConfigError(f"--splits {text!r}: {name} has splits 0-{n_splits - 1}, not {bad[0]}.")
    return sorted(out)


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


def _split_files(folder: Path, key: str | None = None) -> dict[int, dict[str, Any]]:
    """The finished splits in ``folder``; one made with settings other than ``key`` is an error."""
    found = {}
    for file in sorted(folder.glob("split_*.json")) if folder.is_dir() else ():
        try:
            record = json.loads(file.read_text())
            split = int(record["split"])
        except (ValueError, KeyError, TypeError):
            raise ConfigError(f"{file}: not a split result; remove it.") from None
        if key is not None and record.get("key") != key:
            raise ConfigError(
                f"{folder}: holds splits made with other settings (see {file.name}); "
                "use another --out or remove that folder."
            )
        found[split] = record
    return found


def run_split(job: Job, k: int, *, progress: bool | None = False) -> dict[str, Any]:
    """Fit split ``k`` of ``job`` on standardised data; RMSE and test log-likelihood in original units."""
    from bnnppl.inference import fit
    from bnnppl.model import BNN
    from bnnppl.predict import log_likelihood, network_draws
    from bnnppl.run import _diagnostics_dict, check

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
    )
    seconds = time.perf_counter() - start
    f = network_draws(posterior, xs_te)[..., 0]  # (draws, n_test), standardised
    log_lik = log_likelihood(posterior, xs_te, s.y(y_te).astype(np.float32))
    return {
        "dataset": job.data.name,
        "split": k,
        "rmse": metrics.rmse(y_te, s.y_back(np.mean(f.astype(np.float64), axis=0))),
        "log_likelihood": original_log_likelihood(log_lik, s.y_std),
        "fit_seconds": seconds,
        "n_train": len(y_tr),
        "n_test": len(y_te),
        "diagnostics": _diagnostics_dict(check(posterior)),
        "settings": job.values,
        "key": job.key,
    }


def run_benchmark(
    jobs: Iterable[Job],
    out: Path | str,
    *,
    published: Path | str | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run every split of ``jobs`` not already in its folder, one line of progress each, then
    write ``out/results.json`` and ``out/results.md``; returns the results."""
    for job in jobs:
        done = _split_files(job.folder, job.key)
        label = f"{job.data.name} ({job.values['inference']['method']})"
        for k in job.splits:
            if k in done:
                r = done[k]
                log(f"{label} split {k}: done before: RMSE {r['rmse']:.4g}, LL {r['log_likelihood']:.4g}")
                continue
            start = time.perf_counter()
            record = run_split(job, k)
            job.folder.mkdir(parents=True, exist_ok=True)
            text = json.dumps(record, indent=2) + "\n"
            atomic_write(job.folder / f"split_{k}.json", lambda p, text=text: p.write_text(text))
            seconds = time.perf_counter() - start
            scores = f"RMSE {record['rmse']:.4g}, LL {record['log_likelihood']:.4g}"
            log(f"{label} split {k}: {scores}, {seconds:.1f} s")
    return write_results(out, published)


def collect(out: Path | str) -> dict[str, dict[str, Any]]:
    """Mean and standard error (``std(ddof=0) / sqrt(n)``, as published) over the finished splits
    of every ``out/<dataset>/<method>/`` folder: ``{dataset: {method: {...}}}``."""
    results: dict[str, dict[str, Any]] = {}
    for folder in sorted(p for p in Path(out).glob("*/*") if p.is_dir()):
        records = _split_files(folder)
        if not records:
            continue
        keys = {r.get("key") for r in records.values()}
        if len(keys) > 1:
            raise ConfigError(f"{folder}: holds splits made with different settings; remove that folder.")
        entry: dict[str, Any] = {"splits": sorted(records), "n": len(records)}
        for metric in METRICS:
            v = np.array([records[k][metric] for k in sorted(records)], dtype=np.float64)
            entry[metric] = {"mean": float(v.mean()), "se": float(v.std() / math.sqrt(len(v)))}
        entry["fit_seconds"] = float(sum(r["fit_seconds"] for r in records.values()))
        entry["settings"] = next(iter(records.values()))["settings"]
        results.setdefault(folder.parent.name, {})[folder.name] = entry
    return results


def write_results(out: Path | str, published: Path | str | None = None) -> dict[str, Any]:
    """Write ``out/results.json`` and ``out/results.md`` (beside ``published``, a PUBLISHED.md)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results = collect(out)
    table = read_published(published) if published is not None and Path(published).is_file() else None
    atomic_write(out / "results.json", lambda p: p.write_text(json.dumps(results, indent=2) + "\n"))
    atomic_write(out / "results.md", lambda p: p.write_text(markdown(results, table)))
    return results


# ----------------------------------------------------------------------------- published numbers

_SECTIONS = {"rmse": "## A.", "log_likelihood": "## B."}
_CELL = re.compile(r"-?\d+\.\d+ ± \d+\.\d+")


def read_published(path: Path | str) -> dict[str, dict[str, dict[str, str]]]:
    """Tables A (RMSE) and B (LL) of a PUBLISHED.md: ``{metric: {dataset folder: {column: "m ± se"}}}``.
    Fails loudly (``ConfigError``) when the file's tables are not laid out as expected."""
    path = Path(path)
    lines = path.read_text().splitlines()
    out: dict[str, dict[str, dict[str, str]]] = {}
    for metric, heading in _SECTIONS.items():
        start = next((i for i, line in enumerate(lines) if line.startswith(heading)), None)
        if start is None:
            raise ConfigError(f"{path}: no section starting {heading!r}; its format changed.")
        rows = []
        for line in lines[start + 1 :]:
            if line.startswith("|"):
                rows.append([c.strip() for c in line.strip().strip("|").split("|")])
            elif rows:
                break
        if len(rows) < 3:
            raise ConfigError(f"{path}: section {heading!r} has no table.")
        header, body = rows[0], {r[0]: r for r in rows[2:]}
        cols = {}
        for name in PUBLISHED:
            hit = [i for i, h in enumerate(header) if h.startswith(name)]
            if len(hit) != 1:
                raise ConfigError(f"{path}: section {heading!r} has no single column {name!r}.")
            cols[name] = hit[0]
        table = out.setdefault(metric, {})
        for folder, row in ROWS.items():
            if row not in body:
                raise ConfigError(f"{path}: section {heading!r} has no row {row!r}.")
            cells = {name: body[row][i] for name, i in cols.items()}
            bad = [c for c in cells.values() if not _CELL.fullmatch(c)]
            if bad:
                raise ConfigError(f"{path}: row {row!r}: expected 'mean ± se', got {bad[0]!r}.")
            table[folder] = cells
    return out


def markdown(results: Mapping[str, Any], published: Mapping[str, Any] | None = None) -> str:
    """Our means ± standard errors (n splits) beside the published columns, one table per metric."""
    methods = sorted({m for per in results.values() for m in per})
    lines = [
        "# UCI regression benchmark",
        "",
        "Mean ± standard error over splits (std with ddof=0 / sqrt(n), as published); original units.",
        "Ours: `bnnppl bench uci`; the settings of each column are in results.json.",
    ]
    if published is None:
        lines.append("No PUBLISHED.md was found beside the data, so no published columns.")
    for metric, title in (
        ("rmse", "Test RMSE (lower is better)"),
        ("log_likelihood", "Test log-likelihood (higher is better)"),
    ):
        extra = list(PUBLISHED) if published else []
        lines += ["", f"## {title}", ""]
        lines.append("| Dataset | " + " | ".join([f"ours: {m.upper()}" for m in methods] + extra) + " |")
        lines.append("|---" * (1 + len(methods) + len(extra)) + "|")
        for name in sorted(results):
            cells = []
            for m in methods:
                e = results[name].get(m)
                cells.append(
                    "" if e is None else f"{e[metric]['mean']:.3f} ± {e[metric]['se']:.3f} ({e['n']})"
                )
            if published:
                cells += [published[metric].get(name, {}).get(c, "") for c in PUBLISHED]
            lines.append(f"| {ROWS.get(name, name)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
