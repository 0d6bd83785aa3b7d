"""Sweeps: many fits of one config, the product of ``--grid`` values and ``--seeds``, on Dask.

``sweep(config, grid=["model.network.hidden=[10],[50]"], seeds="0-4")`` (``bnnppl sweep``) plans
every point and checks its config before anything runs (``grid``), fits the points that are not
done yet on a Dask cluster, an embedded ``LocalCluster`` or the scheduler you name (``engine``),
and writes the summary (``summary``) beside the run folders:

    SWEEP/                      (default: <config's output>/<config name>-sweep)
      runs/<values>-<hash>/     one run folder per point, like bnnppl run's
      summary.csv, summary.md, summary.html, sweep.json

A second call with the same arguments fits only what is missing (the run folder of a point is
named by its values and a fingerprint of its resolved config). This package imports
``bnnppl.runs`` and below; ``bnnppl.cli`` and ``bnnppl.uci`` import it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from bnnppl._io import atomic_write
from bnnppl.runs.config import check_output
from bnnppl.sweeps.grid import Point, plan
from bnnppl.sweeps.summary import check_rank_by, rows, write_summary

__all__ = ["Point", "SweepResult", "plan", "sweep"]


class SweepResult(NamedTuple):
    """What ``sweep`` made: the sweep ``folder``, the summary's ``rows`` (plan order) and the
    ``failed`` points (name -> error)."""

    folder: Path
    rows: list[dict[str, Any]]
    failed: dict[str, str]


def sweep(
    config: str | Path,
    grid: Sequence[str] = (),
    seeds: str | None = None,
    *,
    overrides: Sequence[str] = (),
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    rank_by: str | None = None,
    report: bool = True,
    log: Callable[[str], None] = print,
    progress: bool = False,
) -> SweepResult:
    """Fit every point of ``grid`` (``"key.path=v1,v2"`` each) times ``seeds`` (``"0-4"``) of the
    run config ``config`` (with ``overrides``, as ``--set``) and write the sweep folder ``out``.

    ``workers``: processes of the embedded ``LocalCluster`` (default: one per GPU, each seeing
    only its own, else one per core);
    ``scheduler``: the address of a running Dask scheduler (``tcp://host:8786``) to use instead.
    ``rank_by``: ``"loo"`` or ``"test.log_likelihood"`` (any ``split.metric``); default: PSIS-LOO
    where every run has it, else no ranking. Every mistake in the arguments raises
    ``ConfigError`` before a worker starts.
    """
    from bnnppl.sweeps.engine import run_points

    points = plan(config, grid, seeds, overrides)
    rank_by = check_rank_by(rank_by)
    first = points[0].config
    folder = check_output(
        Path(out) if out is not None else Path(first.output) / f"{first.name}-sweep", "--out"
    )
    folder.mkdir(parents=True, exist_ok=True)
    failed = run_points(
        points, folder / "runs", base=Path(config).parent, report=report, workers=workers,
        scheduler=scheduler, log=log, progress=progress,
    )  # fmt: skip
    table = rows(points, folder / "runs", failed)
    write_summary(folder, table, rank_by, title=f"bnnppl sweep {folder.name}")
    plan_record = {
        "config": str(config), "grid": list(grid), "seeds": seeds, "overrides": list(overrides),
        "points": [{"run": p.name, "values": p.values, "fingerprint": p.fingerprint} for p in points],
        "failed": failed,
    }  # fmt: skip
    text = json.dumps(plan_record, indent=2, default=str) + "\n"
    atomic_write(folder / "sweep.json", lambda tmp: tmp.write_text(text))
    return SweepResult(folder, table, failed)
