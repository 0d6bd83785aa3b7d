"""The benchmark's results: the split files of a run folder, their means and standard errors, and
the Markdown table beside the published numbers of ``PUBLISHED.md``."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from bnnppl._io import atomic_write
from bnnppl.runs.config import ConfigError

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
        seconds = [r["fit_seconds"] for r in records.values()]
        entry["fit_seconds"] = float(sum(seconds))
        entry["fit_seconds_median"] = float(np.median(seconds))
        entry["checks"] = _checks([r.get("diagnostics") or {} for r in records.values()])
        entry["settings"] = next(iter(records.values()))["settings"]
        results.setdefault(folder.parent.name, {})[folder.name] = entry
    return results


def _checks(diagnostics: list[dict[str, Any]]) -> dict[str, Any]:
    """MCMC splits' convergence in brief: divergences summed, the network output's r-hat (its
    largest over test points) as median and worst over splits; ``{}`` for other methods."""
    if not diagnostics or not all("function_max_rhat" in d for d in diagnostics):
        return {}
    rhat = np.array(
        [np.nan if d["function_max_rhat"] is None else d["function_max_rhat"] for d in diagnostics]
    )
    return {
        "divergences": int(sum(d.get("divergences") or 0 for d in diagnostics)),
        "function_rhat_median": float(np.nanmedian(rhat)),
        "function_rhat_max": float(np.nanmax(rhat)),
    }


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
    lines += [
        "",
        "## Runs",
        "",
        "Fit time (the sampler or optimiser, MAP start included; not data loading or scoring);"
        " for MCMC the divergences over all splits and r-hat of the network output on the test"
        " points (largest over points; median and worst over splits).",
        "",
        "| Dataset | method | splits | fit time, total | per split (median) | divergences"
        " | f r-hat median (worst) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in sorted(results):
        for m in methods:
            e = results[name].get(m)
            if e is None:
                continue
            c = e.get("checks") or {}
            mcmc = (
                [str(c["divergences"]), f"{c['function_rhat_median']:.2f} ({c['function_rhat_max']:.2f})"]
                if c
                else ["", ""]
            )
            lines.append(
                f"| {ROWS.get(name, name)} | {m.upper()} | {e['n']} | {e['fit_seconds'] / 60:.1f} min | "
                f"{e['fit_seconds_median']:.1f} s | " + " | ".join(mcmc) + " |"
            )
    return "\n".join(lines) + "\n"
