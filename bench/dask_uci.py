"""Sweeps on Dask (issue 19): the UCI benchmark's NUTS on all 20 splits of Yacht and of Boston,
serially (today's command) against a ``LocalCluster`` of 2 worker processes on the same machine;
the overhead of one fit as a Dask task against the same fit in the client; and, from per-split
fit times, a simulated makespan of the whole 9-data-set table on 8, 32 and 128 workers; and
what a compilation cache shared by the workers saves (cache off, cold and warm).

Both full runs are fresh processes of ``bnnppl bench uci`` with a cold compilation cache
(``BNNPPL_JAX_CACHE=off``), taking turns; wall time of the whole command. The serial run gives
each fit both cores (2 chains in parallel); a worker has one core (its chains one after
another), and the 2 workers fit 2 splits at a time.

Simulated makespan: each (data set, split) is one task whose time is its measured serial fit
time (both chains on 2 cores; a task on one core of a cluster takes about twice as long, so
times are doubled), scheduled longest first onto the first free worker (LPT list scheduling),
with the measured per-task overhead added; data sets without measured NUTS splits use the one
NUTS split measured for them (``LARGE_SPLIT_S``, docs/benchmarks.md) for every split.

    python bench/dask_uci.py [--quick]
    DASK_UCI_ONLY=shared_cache python bench/dask_uci.py   # only the shared-cache part, added to
                                                           # an existing result
"""

import heapq
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common as C

NAME = "dask_uci"
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "uci"
FULL = {"datasets": ["yacht", "bostonHousing"], "splits": "0-19", "repeats": 1, "workers": 2}
QUICK = {"datasets": ["yacht"], "splits": "0-1", "repeats": 1, "workers": 2}
# one NUTS split of each large set, measured on this machine (docs/benchmarks.md, "Defaults on
# real data": kin8nm 17 min, naval 117 min of which about 20 paused, power 43 min); protein was
# never run with NUTS: its time is naval's per training row times its rows (an estimate)
LARGE_SPLIT_S = {"kin8nm": 17 * 60, "naval-propulsion-plant": 97 * 60, "power-plant": 43 * 60}
LARGE_SPLITS = {
    "kin8nm": 20,
    "naval-propulsion-plant": 20,
    "power-plant": 20,
    "protein-tertiary-structure": 5,
}
ROWS = {"naval-propulsion-plant": 10741, "protein-tertiary-structure": 41157}


def bench_uci(
    out: Path, datasets: list[str], splits: str, workers: int | None, quick: bool, cache: str = "off"
) -> float:
    """Wall seconds of one fresh ``bnnppl bench uci`` process (``cache``: ``BNNPPL_JAX_CACHE``)."""
    cmd = [sys.executable, "-m", "bnnppl", "bench", "uci", "--data-dir", str(DATA), "--datasets", *datasets,
           "--splits", splits, "--method", "nuts", "--out", str(out)]  # fmt: skip
    if quick:
        cmd += ["--config", str(Path(__file__).parent / "uci_nuts_short.yaml")]
    if workers:
        cmd += ["--workers", str(workers)]
    env = os.environ | {"BNNPPL_JAX_CACHE": cache, "CI": "1"}
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, cwd=ROOT)
    return time.perf_counter() - t0


def split_times(folder: Path) -> dict[str, list[float]]:
    """data set -> the fit seconds of its NUTS split files under ``folder``."""
    out: dict[str, list[float]] = {}
    for path in sorted(folder.glob("*/nuts/split_*.json")):
        out.setdefault(path.parts[-3], []).append(json.loads(path.read_text())["fit_seconds"])
    return out


def overhead(quick: bool) -> dict:
    """One Yacht split fitted in this process, then the same fit as a task on a 1-worker
    LocalCluster, twice each (the second compiles nothing); overhead = task round trip minus the
    fit's own time measured in the worker."""
    from bnnppl import uci
    from bnnppl.sweeps.engine import client

    config = str(Path(__file__).parent / "uci_nuts_short.yaml") if quick else None
    (job,) = uci.plan(DATA, tempfile.mkdtemp(), datasets=["yacht"], splits="0", method="nuts", config=config)
    here = []
    for _ in range(2):
        t0 = time.perf_counter()
        uci.bench.run_split(job, 0)
        here.append(time.perf_counter() - t0)
    trips, inside = [], []
    with client(1, None, lambda line: None) as dask_client:
        for _ in range(2):
            t0 = time.perf_counter()
            _, seconds = dask_client.submit(uci.bench.split_task, job, 0, pure=False).result()
            trips.append(time.perf_counter() - t0)
            inside.append(seconds)
    return {"client_fit_s": here, "task_round_trip_s": trips, "task_fit_s": inside,
            "overhead_s": [t - s for t, s in zip(trips, inside, strict=True)]}  # fmt: skip


def shared_cache(p: dict, quick: bool) -> dict:
    """What a compilation cache shared by the workers saves: the same ``--workers`` run on the first
    splits of Yacht with the cache off, with a new empty shared folder (cold: a program one worker
    compiled is loaded by the other) and with that folder again (warm: a re-run of the sweep)."""
    splits = "0-1" if quick else "0-3"
    out: dict = {"splits": splits, "workers": p["workers"], "off_s": [], "cold_s": [], "warm_s": []}
    with tempfile.TemporaryDirectory(prefix="bnnppl-dask-cache-") as tmp:
        for r in range(2):
            folder = str(Path(tmp) / f"cache{r}")
            for kind, cache in (("off", "off"), ("cold", folder), ("warm", folder)):
                seconds = bench_uci(Path(tmp) / f"{kind}{r}", ["yacht"], splits, p["workers"], quick, cache)
                out[f"{kind}_s"].append(seconds)
            out.setdefault("cache_mb", []).append(
                sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file()) / 1e6
            )
    return out


def makespan(tasks: list[float], workers: int) -> float:
    """LPT list scheduling: longest task first onto the worker that is free first."""
    free = [0.0] * workers
    for t in sorted(tasks, reverse=True):
        heapq.heappush(free, heapq.heappop(free) + t)
    return max(free)


def simulate(measured: dict[str, list[float]], overhead_s: float) -> dict:
    """The whole table's tasks (every split of the 9 sets) on 8, 32 and 128 one-core workers."""
    small = split_times(ROOT / "bench" / "results" / "uci") | measured
    tasks = {name: [2 * t + overhead_s for t in times] for name, times in small.items()}
    per_row = LARGE_SPLIT_S["naval-propulsion-plant"] / ROWS["naval-propulsion-plant"]
    large = LARGE_SPLIT_S | {"protein-tertiary-structure": per_row * ROWS["protein-tertiary-structure"]}
    for name, seconds in large.items():
        tasks[name] = [2 * seconds + overhead_s] * LARGE_SPLITS[name]
    every = [t for times in tasks.values() for t in times]
    return {
        "tasks": len(every),
        "serial_one_core_s": sum(every),
        "longest_task_s": max(every),
        "makespan_s": {w: makespan(every, w) for w in (8, 32, 128)},
        "per_dataset_tasks": {name: len(times) for name, times in tasks.items()},
    }


def main() -> None:
    args = C.parse_or_run_child(__doc__, lambda mode, p: {})
    if args is None:
        return
    p = QUICK if args.quick else FULL
    if os.environ.get("DASK_UCI_ONLY") == "shared_cache":  # add that part to an existing result
        path = C.RESULTS / f"{NAME}{'_quick' if args.quick else ''}.json"
        data = json.loads(path.read_text())
        data["results"]["shared_cache"] = shared_cache(p, args.quick)
        data["results"]["shared_cache"]["loadavg_start_end"] = [args.load_start, os.getloadavg()]
        print(C.write_json(path.stem, data))
        return
    res: dict = {"serial_s": [], "dask_s": []}
    with tempfile.TemporaryDirectory(prefix="bnnppl-dask-bench-") as tmp:
        for r in range(p["repeats"]):
            res["serial_s"].append(
                bench_uci(Path(tmp) / f"serial{r}", p["datasets"], p["splits"], None, args.quick)
            )
            res["dask_s"].append(
                bench_uci(Path(tmp) / f"dask{r}", p["datasets"], p["splits"], p["workers"], args.quick)
            )
        res["serial_split_fit_s"] = split_times(Path(tmp) / "serial0")
        res["dask_split_fit_s"] = split_times(Path(tmp) / "dask0")
    res["speedup"] = min(res["serial_s"]) / min(res["dask_s"])
    res["overhead"] = overhead(args.quick)
    res["shared_cache"] = shared_cache(p, args.quick)
    res["simulated"] = simulate(res["serial_split_fit_s"], min(res["overhead"]["overhead_s"]))
    rows = [
        ("serial (2 chains on 2 cores)", min(res["serial_s"])),
        (f"LocalCluster, {p['workers']} workers", min(res["dask_s"])),
    ]
    print(C.table(rows, ("run", "wall s")))
    print(f"speedup {res['speedup']:.2f}; overhead per task {res['overhead']['overhead_s']}")
    sc = res["shared_cache"]
    print(C.table([(k, *sc[f"{k}_s"]) for k in ("off", "cold", "warm")], ("shared cache", "wall s", "again")))
    print(
        C.table([(w, s / 3600) for w, s in res["simulated"]["makespan_s"].items()], ("workers", "makespan h"))
    )
    data = C.header(NAME, args.quick, {**p, "timing": "wall of a fresh bnnppl bench uci process, cold cache"})
    data["results"] = res
    C.finish(NAME, args, data, {"dask faster than serial": res["speedup"] > 1.0})


if __name__ == "__main__":
    main()
