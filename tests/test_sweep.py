"""``bnnppl sweep`` on a real Dask ``LocalCluster`` of 2 worker processes: a grid with seeds runs to
a summary that matches fits made in this process, a rerun fits only what is missing, a worker
killed mid-fit leaves every run folder whole, and bad arguments are refused before any worker
starts."""

import json
import os
import signal
import threading
import time

import numpy as np
import pytest
import yaml

from bnnppl.cli import main
from bnnppl.runs.config import load_config
from bnnppl.runs.errors import ConfigError
from bnnppl.runs.runner import run
from bnnppl.sweeps import plan, sweep

TINY = {
    "data": {"name": "sine", "params": {"n": 24}, "test_fraction": 0.25},
    "model": {"network": {"hidden": [3]}, "likelihood": {"family": "gaussian", "noise": 0.1}},
    "inference": {"method": "svi", "steps": 30, "draws": 10, "chunk": 30},
}
# grid keys that change the data, not the compiled programs: each worker compiles once
GRID = ["data.params.seed=0,1", "data.split_seed=0,1"]


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep")
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY | {"output": str(folder / "runs")}))
    return path


@pytest.fixture(scope="module")
def swept(config):
    lines = []
    result = sweep(config, GRID, "0-1", out=config.parent / "sw", workers=2, report=False, log=lines.append)
    return result, lines


@pytest.mark.slow
def test_a_grid_with_seeds_runs_to_a_summary_that_matches_fits_made_here(swept, config, tmp_path):
    result, lines = swept
    assert lines[0] == "8 runs: 0 done before, 8 to fit" and lines[1].startswith(
        "local cluster: 2 worker processes"
    )
    assert result.failed == {} and [r["status"] for r in result.rows] == ["ok"] * 8
    runs = sorted(p.name for p in (result.folder / "runs").iterdir())
    assert runs == sorted(r["run"] for r in result.rows) and runs[0].startswith("seed=0-split_seed=0-seed=0-")
    assert sorted(p.name for p in result.folder.iterdir()) == [
        "runs",
        "summary.csv",
        "summary.html",
        "summary.md",
        "sweep.json",
    ]
    md = (result.folder / "summary.md").read_text().splitlines()
    assert md[2] == "Not ranked: PSIS-LOO needs MCMC runs; name a score with --rank-by to rank by it."
    header = (result.folder / "summary.csv").read_text().splitlines()[0].split(",")
    assert header[:6] == ["run", "data.params.seed", "data.split_seed", "seed", "status", "fit_seconds"]
    for row in result.rows[::5]:  # two points, fitted again in this process
        overrides = [
            f"{k}={v}" for k, v in row.items() if k in ("data.params.seed", "data.split_seed", "seed")
        ]
        here = run(load_config(config, [*overrides, f"output={tmp_path}"]), report=False)
        # workers hash strings with their own seed, so NumPyro sums the ELBO's sites in another order
        assert row["test.log_likelihood"] == pytest.approx(here.metrics["test"]["log_likelihood"], rel=1e-4)
        assert row["test.rmse"] == pytest.approx(here.metrics["test"]["rmse"], rel=1e-4)
        test = here.metrics["test"]
        assert row["test.below_linear"] == (test["log_likelihood"] < test["linear_log_likelihood"])
    # 30 SVI steps learn little: runs scored below the linear model are counted under the ranking line
    below = sum(r["test.below_linear"] for r in result.rows)
    assert below > 0 and md[4] == (
        f"{below} of 8 finished runs score below the linear model of their likelihood on the test rows "
        "(test.below_linear): on those settings a simple baseline predicts better."
    )
    assert all(r["warnings"] >= r["test.below_linear"] for r in result.rows)  # the run's own warning counted
    record = json.loads((result.folder / "sweep.json").read_text())
    assert record["grid"] == GRID and record["seeds"] == "0-1" and len(record["points"]) == 8


@pytest.mark.slow
def test_a_second_call_fits_only_what_is_missing(swept, config):
    result, _ = swept
    gone = sorted((result.folder / "runs").iterdir())[:2]
    for folder in gone:  # as if the first call had been stopped before these two
        for path in sorted(folder.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        folder.rmdir()
    kept = {p.name: p.stat().st_mtime_ns for p in (result.folder / "runs").iterdir()}
    lines = []
    again = sweep(config, GRID, "0-1", out=result.folder, workers=2, report=False, log=lines.append)
    assert lines[0] == "8 runs: 6 done before, 2 to fit"
    assert sorted(line.split(": ")[1].split(" ")[0] for line in lines if line.startswith("done: ")) == [
        p.name for p in gone
    ]
    assert all((result.folder / "runs" / name).stat().st_mtime_ns == t for name, t in kept.items())
    assert [r["status"] for r in again.rows] == ["ok"] * 8


@pytest.mark.slow
def test_a_worker_killed_mid_fit_is_retried_and_no_run_is_half_written(config, tmp_path):
    from distributed import Client, LocalCluster

    slow = ["inference.steps=4000", "inference.chunk=100"]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:  # fmt: skip
        killed = []

        def kill_one():  # once a fit has run a second, kill the worker process that runs it
            deadline = time.time() + 120
            while time.time() < deadline and not killed:
                busy = [w for w, tasks in client.processing().items() if tasks]
                if busy:
                    time.sleep(1.0)
                    pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                time.sleep(0.2)

        killer = threading.Thread(target=kill_one)
        killer.start()
        result = sweep(config, ["data.params.seed=0,1"], overrides=slow, out=tmp_path / "sw",
                       scheduler=cluster.scheduler_address, report=False, log=lambda line: None)  # fmt: skip
        killer.join()
    assert killed and result.failed == {}
    for folder in (tmp_path / "sw" / "runs").iterdir():
        assert {p.name for p in folder.iterdir()} >= {"config.yaml", "posterior", "metrics.json", "run.json"}
    assert not [p for p in (tmp_path / "sw" / "runs").iterdir() if p.name.startswith(".")]


def test_bad_grids_are_refused_before_any_worker_starts(config, tmp_path, capsys):
    cases = [
        (["--grid", "inference.stpes=1,2"], f"--grid point inference.stpes=1: {config}: inference.stpes: unknown key. Did you mean 'steps'? Valid keys: "),
        (["--grid", "inference.steps=0,10"], f"--grid point inference.steps=0: {config}: inference.steps: must be >= 1, got 0."),
        (["--grid", "inference.steps"], "--grid 'inference.steps': expected key.path=value1,value2,..., e.g. inference.steps=500,1000."),
        (["--grid", "seed=1,1"], "--grid 'seed=1,1': a value is given twice."),
        (["--grid", "seed=1,2", "--grid", "seed=3"], "--grid: seed is given twice; list all its values in one --grid."),
        (["--grid", "seed=1,2", "--seeds", "0-1"], "--grid seed=...: give the seeds with --seeds, not both."),
        (["--seeds", "3-1"], "--seeds '3-1': expected seeds or ranges, e.g. 0, 0-4 or 0,3,5-7."),
        (["--rank-by", "test.r2"], "--rank-by 'test.r2': must be loo or split.metric with split train or test and metric one of "),
    ]  # fmt: skip
    for extra, message in cases:
        assert main(["sweep", str(config), "--out", str(tmp_path / "sw"), *extra]) == 2, extra
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(f"bnnppl: error: {message}"), (extra, err)
    assert not (tmp_path / "sw").exists()


def test_the_plan_is_the_product_of_the_grid_and_the_seeds(config):
    points = plan(config, ["model.network.hidden=[3],[4, 4]", "inference.learning_rate=0.01,0.1"], "0,2")
    assert [p.values for p in points[:3]] == [
        {"model.network.hidden": [3], "inference.learning_rate": 0.01, "seed": 0},
        {"model.network.hidden": [3], "inference.learning_rate": 0.01, "seed": 2},
        {"model.network.hidden": [3], "inference.learning_rate": 0.1, "seed": 0},
    ]
    assert len(points) == 8 and len({p.fingerprint for p in points}) == 8
    assert points[-1].config.model.network.hidden == (4, 4) and points[-1].config.seed == 2
    assert points[0].name == f"hidden=3-learning_rate=0.01-seed=0-{points[0].fingerprint}"  # folder-safe
    with pytest.raises(ConfigError):
        plan(config, ["model.network.hidden=[0]"])
    assert np.all([len(p.fingerprint) == 12 for p in points])


def test_the_gpus_are_those_cuda_visible_devices_names(monkeypatch, tmp_path):
    from bnnppl.sweeps.engine import gpus

    for value, expected in (("2, 3", ["2", "3"]), ("0", ["0"]), ("", []), ("-1", [])):
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", value)
        assert gpus() == expected, value
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi: no GPUs
    assert gpus() == []
    smi = tmp_path / "nvidia-smi"  # one that lists two
    smi.write_text('#!/bin/sh\n[ "$1" = "--query-gpu=index" ] && printf "0\\n1\\n"\n')
    smi.chmod(0o755)
    assert gpus() == ["0", "1"]


@pytest.mark.slow
def test_on_a_host_with_gpus_each_local_worker_sees_one():
    """Workers started with two GPUs named (CPU-only JAX ignores the variable): each worker
    process has its own CUDA_VISIBLE_DEVICES, round robin, and takes GPU memory as it needs it."""
    from bnnppl.sweeps.engine import client

    lines = []
    with client(3, None, lines.append, devices=["4", "7"]) as dask_client:
        seen = dask_client.run(
            lambda: (os.environ.get("CUDA_VISIBLE_DEVICES"), os.environ.get("XLA_PYTHON_CLIENT_PREALLOCATE"))
        )
    assert sorted(seen.values()) == [("4", "false"), ("4", "false"), ("7", "false")]
    assert lines[0].startswith(
        "local cluster: 3 worker processes, one GPU each (CUDA_VISIBLE_DEVICES 4, 7), dashboard http"
    )
    assert "CUDA_VISIBLE_DEVICES" not in os.environ or os.environ["CUDA_VISIBLE_DEVICES"] not in ("4", "7")
