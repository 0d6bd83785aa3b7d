"""A sweep's summary: a row per run (its grid values, status, fit time, metrics, PSIS-LOO and
diagnostics), ranked by PSIS-LOO or by a score the user names, written as ``summary.csv``,
``summary.md`` and an offline ``summary.html``.

Ranking is never silently by test data: the default is PSIS-LOO (training rows only) where every
finished run has it (MCMC methods), else no ranking at all; ``rank_by="test.log_likelihood"``
(any ``split.metric`` of ``metrics.json``) ranks by a held-out score because the user asked.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bnnppl._io import atomic_write
from bnnppl.results.checks import linear_warnings, metric_warnings
from bnnppl.runs.errors import ConfigError
from bnnppl.runs.layout import DIAGNOSTICS, METRICS
from bnnppl.sweeps.grid import Point

__all__ = ["LOWER_IS_BETTER", "check_rank_by", "rows", "write_summary"]

LOWER_IS_BETTER = {"rmse", "mae", "crps", "brier", "ece", "width_95"}
BARS = {"constant_log_likelihood", "linear_log_likelihood"}  # the data's, not the run's: left out of the rows
SCORES = {"log_likelihood", *BARS, "rmse", "mae", "coverage_95", "width_95", "crps",
          "accuracy", "brier", "ece"}  # fmt: skip


def check_rank_by(rank_by: str | None) -> str | None:
    """``None``, ``"loo"`` or ``"split.metric"`` (split ``train`` or ``test``)."""
    if rank_by is None or rank_by == "loo":
        return rank_by
    split, _, metric = rank_by.partition(".")
    if split not in ("train", "test") or metric not in SCORES:
        raise ConfigError(
            f"--rank-by {rank_by!r}: must be loo or split.metric with split train or test and metric one "
            f"of {', '.join(sorted(SCORES))}, e.g. test.log_likelihood."
        )
    return rank_by


def rows(points: Sequence[Point], runs: Path, failed: dict[str, str]) -> list[dict[str, Any]]:
    """A row per point, in plan order: its values, then what its run folder (or failure) says."""
    out = []
    for point in points:
        row: dict[str, Any] = {"run": point.name, **point.values}
        folder = runs / point.name
        if point.name in failed or not folder.is_dir():
            row |= {
                "status": "failed" if point.name in failed else "not run",
                "error": failed.get(point.name, ""),
            }
            out.append(row)
            continue
        metrics = json.loads((folder / METRICS).read_text())
        check = json.loads((folder / DIAGNOSTICS).read_text())
        row |= {"status": "ok", "fit_seconds": round(metrics["fit_seconds"], 2)}
        for split in ("train", "test"):
            row |= {f"{split}.{k}": v for k, v in metrics.get(split, {}).items() if k not in BARS}
        if check.get("loo_elpd") is not None:
            row |= {
                "loo_elpd": check["loo_elpd"],
                "loo_se": check["loo_se"],
                "pareto_k_high": check["pareto_k_high"],
            }
        if "linear_log_likelihood" in metrics.get("test", {}):  # runs before it was scored have none
            row["test.below_linear"] = bool(linear_warnings(metrics))
        row["warnings"] = len(check.get("warnings", [])) + len(metric_warnings(metrics))
        out.append(row)
    return out


def ranked(table: list[dict[str, Any]], rank_by: str | None) -> tuple[list[dict[str, Any]], str]:
    """The rows best first by ``rank_by`` (``None``: by LOO where every finished run has it), the
    failed ones last, and a sentence saying how they were ranked."""
    done = [r for r in table if r["status"] == "ok"]
    if rank_by is None:
        if not done or any("loo_elpd" not in r for r in done):
            return table, "Not ranked: PSIS-LOO needs MCMC runs; name a score with --rank-by to rank by it."
        rank_by = "loo"
    key = "loo_elpd" if rank_by == "loo" else rank_by
    missing = [r["run"] for r in done if r.get(key) is None]
    if missing:
        raise ConfigError(f"--rank-by {rank_by}: run {missing[0]} has no {key}.")
    sign = 1 if key.partition(".")[2] in LOWER_IS_BETTER else -1
    best = sorted(done, key=lambda r: sign * r[key])
    for i, row in enumerate(best, start=1):
        row["rank"] = i
    why = (
        "Ranked by PSIS-LOO elpd (training rows only), highest first."
        if key == "loo_elpd"
        else f"Ranked by {key}, {'lowest' if sign == 1 else 'highest'} first, as asked (--rank-by)."
    )
    return best + [r for r in table if r["status"] != "ok"], why


def write_summary(folder: Path, table: list[dict[str, Any]], rank_by: str | None, title: str) -> list[Path]:
    """``summary.csv``, ``summary.md`` and ``summary.html`` in ``folder``, each written atomically."""
    table, why = ranked(table, rank_by)
    columns = list(dict.fromkeys([*(["rank"] if "rank" in table[0] else []), *(k for r in table for k in r)]))
    cells = [[_cell(r.get(c)) for c in columns] for r in table]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(cells)
    notes = [why, *_baseline_note(table)]
    md = [f"# {title}", "", *(line for note in notes for line in (note, ""))]
    md += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    md += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in cells]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in cells)
    words = "".join(f"<p>{html.escape(note)}</p>" for note in notes)
    page = f"<h1>{html.escape(title)}</h1>{words}<table><tr>{head}</tr>{body}</table>"
    out = []
    for name, content in (("summary.csv", text.getvalue()), ("summary.md", "\n".join(md) + "\n")):
        out.append(atomic_write(folder / name, lambda tmp, c=content: tmp.write_text(c)))
    from bnnppl.runs.html import save_html

    out.append(save_html([page], folder / "summary.html", title=title))
    return out


def _baseline_note(table: list[dict[str, Any]]) -> list[str]:
    """A sentence when finished runs score below the linear model on their test rows, else none."""
    scored = [r for r in table if r["status"] == "ok" and "test.below_linear" in r]
    below = [r for r in scored if r["test.below_linear"]]
    if not below:
        return []
    return [
        f"{len(below)} of {len(scored)} finished runs score below the linear model of their likelihood on "
        "the test rows (test.below_linear): on those settings a simple baseline predicts better."
    ]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return value if isinstance(value, str) else json.dumps(value)
