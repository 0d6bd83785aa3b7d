"""Running a sweep's points on Dask: an embedded ``LocalCluster`` of worker processes (one thread
each: NumPyro's handler stack is not thread-safe) or an existing scheduler.

A worker fits one point into a temporary folder and returns the finished run folder's files; the
client writes them under a hidden name and renames the folder into place, so a run folder is
whole or absent, with or without a shared filesystem. A worker that dies mid-fit has its task
retried elsewhere (Dask's ``retries``); a fit that raises is recorded as failed, with its error,
and the others go on.
"""

from __future__ import annotations

import contextlib
import copy
import os
import shutil
import subprocess
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from bnnppl._io import fsync, fsync_tree, own_sibling, rename_noreplace, stale_siblings
from bnnppl.sweeps.grid import Point

__all__ = ["WORKER_ENV", "client", "fit_point", "gpus", "run_points"]

WORKER_ENV = {
    # one XLA thread and one CPU device per worker: workers on one host do not oversubscribe it
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
    "OMP_NUM_THREADS": "1",
    "XLA_PYTHON_CLIENT_PREALLOCATE": "false",  # a GPU worker takes memory as it needs it
    "CI": "1",  # no progress bars in the workers
}
"""Set in each worker process before it starts (Dask's ``distributed.nanny.pre-spawn-environ``)."""


def fit_point(config: dict[str, Any], base: str, report: bool) -> dict[str, Any]:
    """In a worker: fit one point's config into a temporary folder; its files as bytes (keyed by
    path in the run folder) with the fit's seconds, or the error of a fit that raised."""
    import tempfile

    from bnnppl._jaxconfig import enable_compilation_cache
    from bnnppl.runs.config import RunConfig
    from bnnppl.runs.runner import run

    enable_compilation_cache()  # with a shared home, the workers share the compiled programs
    with tempfile.TemporaryDirectory(prefix="bnnppl-sweep-") as tmp:
        try:
            result = run(RunConfig.from_dict({**config, "output": tmp}), base=base, report=report)
        except Exception as err:  # recorded in the summary; the other points go on
            return {"error": f"{type(err).__name__}: {err}", "traceback": traceback.format_exc()}
        files = {
            str(path.relative_to(result.run_dir)): path.read_bytes()
            for path in sorted(result.run_dir.rglob("*"))
            if path.is_file()
        }
    return {"files": files, "seconds": result.seconds, "worker_pid": os.getpid()}


def gpus() -> list[str]:
    """This host's GPUs, as values of ``CUDA_VISIBLE_DEVICES``: those it names when set (empty or
    ``-1``: none), else the indices ``nvidia-smi`` lists; none without either."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [d.strip() for d in visible.split(",") if d.strip() and d.strip() != "-1"]
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        listed = subprocess.run(
            [smi, "--query-gpu=index", "--format=csv,noheader"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return (
        [line.strip() for line in listed.stdout.splitlines() if line.strip()]
        if listed.returncode == 0
        else []
    )


@contextlib.contextmanager
def client(
    workers: int | None,
    scheduler: str | None,
    log: Callable[[str], None],
    devices: Sequence[str] | None = None,
) -> Iterator[Any]:
    """A Dask client: of the scheduler at ``scheduler``, or of a new ``LocalCluster`` of
    ``workers`` processes, closed at the end. On a host with GPUs (``devices``, default
    ``gpus()``) each worker sees one of them (``CUDA_VISIBLE_DEVICES``, round robin when there are
    more workers than GPUs) and the default is one worker per GPU; else one per core."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None:
        with Client(scheduler) as remote:
            log(f"scheduler {scheduler}: {len(remote.scheduler_info()['workers'])} workers")
            yield remote
        return
    devices = gpus() if devices is None else list(devices)
    n = workers or len(devices) or os.cpu_count() or 1
    saved = {key: os.environ.get(key) for key in WORKER_ENV}
    spawn_env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {})) | WORKER_ENV
    try:
        with dask.config.set({"distributed.nanny.pre-spawn-environ": spawn_env}):
            cluster = LocalCluster(
                n_workers=0 if devices else n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=40,
            )
            if devices:  # each worker's own spec: the nanny starts its process with this GPU only
                for i in range(n):
                    spec = copy.deepcopy(cluster.new_spec)
                    spec["options"]["env"] = {"CUDA_VISIBLE_DEVICES": devices[i % len(devices)]}
                    cluster.worker_spec[i] = spec
                cluster.scale(n)
                cluster.wait_for_workers(n)
    finally:  # the nanny sets them in this process too before spawning: put ours back
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    with cluster, Client(cluster) as local:
        on = f", one GPU each (CUDA_VISIBLE_DEVICES {', '.join(devices)})" if devices else ""
        log(f"local cluster: {n} worker processes{on}, dashboard {local.dashboard_link}")
        yield local


def run_points(
    points: Sequence[Point],
    runs: Path,
    *,
    base: Path | str,
    report: bool = True,
    workers: int | None = None,
    scheduler: str | None = None,
    retries: int = 2,
    log: Callable[[str], None] = print,
    progress: bool = False,
) -> dict[str, str]:
    """Fit every point whose run folder ``runs/<name>`` is not there yet; write each finished run
    folder whole. Returns name -> error for the points whose fit raised (or whose worker died
    ``retries`` + 1 times)."""
    from distributed import as_completed

    runs.mkdir(parents=True, exist_ok=True)
    todo = [p for p in points if not (runs / p.name).is_dir()]
    log(f"{len(points)} runs: {len(points) - len(todo)} done before, {len(todo)} to fit")
    if not todo:
        return {}
    failed: dict[str, str] = {}
    with client(workers, scheduler, log) as dask_client:
        futures = {
            dask_client.submit(
                fit_point,
                p.config.to_dict(),
                str(base),
                report,
                key=f"fit-{p.name}",
                retries=retries,
                pure=False,
            ): p
            for p in todo
        }
        if progress:
            from distributed import progress as dask_progress

            dask_progress(list(futures), notebook=False)
        for future in as_completed(futures):
            point = futures[future]
            try:
                out = future.result()
            except Exception as err:  # the worker died on every try (KilledWorker) or the task failed
                out = {"error": f"{type(err).__name__}: {err}"}
            if "error" in out:
                failed[point.name] = out["error"]
                log(f"failed: {point.name}: {out['error']}")
                continue
            _publish(runs / point.name, out["files"])
            log(f"done: {point.name} ({out['seconds']:.1f} s)")
    return failed


def _publish(folder: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` into a hidden sibling of ``folder``, fsync it, then rename it to ``folder``
    (never over an existing one): the run folder appears whole or not at all."""
    for stale in stale_siblings(folder, "partial", folders=True):  # left by a client that was killed
        shutil.rmtree(stale, ignore_errors=True)
    tmp = own_sibling(folder, "partial")
    try:
        for name, data in files.items():
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        fsync_tree(tmp)
        rename_noreplace(tmp, folder)
        fsync(folder.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
