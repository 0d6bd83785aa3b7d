"""Shared helpers for the benchmark scripts: machine and version info, atomic JSON results,
timers (with compile time from JAX's own monitoring events), fresh-subprocess runs, tables.

Import this module *after* ``numpyro.set_host_device_count(2)`` in each script.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# benchmarks measure cold starts unless they say otherwise: keep bnnppl's command and
# enable_compilation_cache() from turning on its persistent compilation cache in this process
os.environ["BNNPPL_JAX_CACHE"] = "off"

RESULTS = Path(__file__).resolve().parent / "results"
MARK = "BENCH_RESULT "  # children print their JSON result on one stdout line after this mark

# JAX's compile-related monitoring events (tracing, lowering to MLIR, XLA backend compile)
COMPILE_EVENTS = (
    "/jax/core/compile/jaxpr_trace_duration",
    "/jax/core/compile/jaxpr_to_mlir_module_duration",
    "/jax/core/compile/backend_compile_duration",
)


def src_fingerprint() -> str:
    """sha256 over the imported bnnppl package's .py files (ties results to a code state, no git)."""
    import hashlib
    import importlib.util

    spec = importlib.util.find_spec("bnnppl")
    if spec is None or not spec.submodule_search_locations:
        return "not found"
    root = Path(next(iter(spec.submodule_search_locations)))
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return f"{root}: {digest.hexdigest()[:16]}"


START_FINGERPRINT = src_fingerprint()


def versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for name in ("jax", "jaxlib", "numpyro", "flax", "optax", "arviz", "numpy", "bnnppl"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "not installed"
    try:  # the imported bnnppl may be a source tree (PYTHONPATH=src) rather than the installed one
        import bnnppl

        out["bnnppl"] = bnnppl.__version__
    except ImportError:
        pass
    out["bnnppl_src_sha256_at_start"] = START_FINGERPRINT
    out["bnnppl_src_sha256_at_end"] = src_fingerprint()
    out["bnnppl_src_changed_during_run"] = out["bnnppl_src_sha256_at_end"] != START_FINGERPRINT
    return out


def machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {
        "platform": platform.platform(),
        "cpu_model": cpu,
        "cpu_count": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
    }
    try:
        import jax

        info["jax_devices"] = [str(d) for d in jax.devices()]
    except Exception:  # noqa: BLE001 - informational only
        pass
    return info


def write_json(name: str, data: dict) -> Path:
    """Write ``bench/results/<name>.json`` atomically (temp file in the same folder + os.replace)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    fd, tmp = tempfile.mkstemp(dir=RESULTS, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=2, sort_keys=False, default=_jsonable)
            fh.write("\n")
        os.chmod(tmp, 0o644)  # mkstemp makes 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _jsonable(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def header(name: str, quick: bool, settings: dict) -> dict:
    import jax

    return {
        "benchmark": name,
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "mode": "quick" if quick else "full",
        "machine": machine(),
        "versions": versions(),
        "settings": settings,
        "this_process_persistent_cache_dir": jax.config.jax_compilation_cache_dir,
    }


class CompileClock:
    """Seconds of wall time spent tracing/lowering/compiling, from JAX's monitoring time spans.

    Spans are merged (nested or parallel compiles are not double-counted). ``since(t0)`` is the
    compile time in spans that started after ``t0`` (``time.time()`` clock, as JAX records it).
    """

    _spans: list[tuple[float, float]] = []
    _registered = False

    def __init__(self) -> None:
        if not CompileClock._registered:
            from jax import monitoring

            def listen(event: str, start: float, end: float, **_: Any) -> None:
                if event in COMPILE_EVENTS:
                    CompileClock._spans.append((start, end))

            monitoring.register_event_time_span_listener(listen)
            CompileClock._registered = True

    @staticmethod
    def since(t0: float) -> float:
        spans = sorted(s for s in CompileClock._spans if s[0] >= t0)
        total, cur_start, cur_end = 0.0, None, None
        for start, end in spans:
            if cur_end is None or start > cur_end:
                if cur_end is not None:
                    total += cur_end - cur_start
                cur_start, cur_end = start, end
            else:
                cur_end = max(cur_end, end)
        if cur_end is not None:
            total += cur_end - cur_start
        return total


@contextmanager
def timed(out: dict, key: str, compile_key: str | None = None):
    """Store the wall seconds of the block in ``out[key]`` (and its compile seconds, if asked)."""
    wall0 = time.time()
    t0 = time.perf_counter()
    yield
    out[key] = time.perf_counter() - t0
    if compile_key is not None:
        out[compile_key] = CompileClock.since(wall0)


def cold_env() -> dict[str, str]:
    """The environment for a cold child: no persistent compilation cache. ``JAX_COMPILATION_CACHE_DIR``
    is removed (JAX's default is no cache) and ``BNNPPL_JAX_CACHE=off`` stops bnnppl from turning
    on its default cache (``~/.cache/bnnppl/jax``) at import."""
    env = dict(os.environ)
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    env["BNNPPL_JAX_CACHE"] = "off"
    return env


def warm_env(cache_dir: str) -> dict[str, str]:
    """A child with a persistent compilation cache in ``cache_dir``, caching every compile."""
    env = cold_env()
    env["JAX_COMPILATION_CACHE_DIR"] = cache_dir
    env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
    env["JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"] = "-1"
    return env


def run_child(script: str, mode: str, params: dict, env: dict | None = None, timeout: float = 3600) -> dict:
    """Run ``python <script> --child <mode> --params <json>`` in a fresh process; return its JSON."""
    cmd = [sys.executable, script, "--child", mode, "--params", json.dumps(params)]
    t0 = time.perf_counter()
    proc = subprocess.run(
        cmd, env=cold_env() if env is None else env, capture_output=True, text=True, timeout=timeout
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(MARK)]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise RuntimeError(f"child {mode!r} failed with exit code {proc.returncode}")
    result = json.loads(lines[-1][len(MARK) :])
    if env is None and result.get("persistent_cache_dir"):
        cache = result["persistent_cache_dir"]
        raise RuntimeError(f"child {mode!r} was meant to be cold but used the cache {cache}")
    result["process_wall_s"] = time.perf_counter() - t0  # interpreter start + imports included
    return result


def child_report(result: dict) -> None:
    import jax

    result["persistent_cache_dir"] = jax.config.jax_compilation_cache_dir
    result["bnnppl_src_sha256"] = src_fingerprint()
    print(MARK + json.dumps(result, default=_jsonable), flush=True)


def is_config(setting: str) -> bool:
    """Whether a benchmark setting names a config file (``.yaml``/``.yml``) rather than a method."""
    return setting.endswith((".yaml", ".yml"))


def table(rows: list[tuple], headers: tuple) -> str:
    cells = [[_fmt(c) for c in r] for r in [headers, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if value != value:
            return "nan"
        return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.3e}"
    return str(value)


def median_of(runs: list[dict]) -> dict:
    """Per key, the median of the numbers over repeated runs (other values from the first run)."""
    import numpy as np

    out = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = float(np.median([r[key] for r in runs]))
    out["repeats"] = len(runs)
    return out


def interleaved(run, modes: tuple[str, ...], params: dict) -> tuple[dict, dict]:
    """``(raw, medians)``: each mode run ``params["repeats"]`` times, the modes taking turns (slow
    phases of a shared machine hit every mode alike); ``raw`` keeps every run per mode, ``medians``
    is ``median_of`` them."""
    raw: dict = {mode: [] for mode in modes}
    for _ in range(params["repeats"]):
        for mode in modes:
            raw[mode].append(run(mode, params))
    return raw, {mode: median_of(runs) for mode, runs in raw.items()}


def mode_table(res: dict, rows: list[tuple[str, str]], modes: tuple[str, ...]) -> str:
    """``table`` of measures (``rows``: key, unit) by mode (columns)."""
    return table(
        [(k, u, *(res[m].get(k, float("nan")) for m in modes)) for k, u in rows], ("measure", "unit", *modes)
    )


def runner(quick: bool, script: str, child) -> Any:
    """``run(mode, params, env=None)``: a fresh subprocess (full runs) or, with ``--quick``, a call
    in this process (only checks that the code runs; caches are shared, numbers not comparable)."""
    if quick:
        return lambda mode, params, env=None: child(mode, params)
    return lambda mode, params, env=None: run_child(script, mode, params, env)


def parse_or_run_child(doc: str, child) -> argparse.Namespace | None:
    """The scripts' command line: ``--quick``; in a child process (``--child NAME --params JSON``)
    run ``child`` and report its result on stdout, returning ``None``. The namespace also records
    when the script started and the load then (``t_start``, ``load_start``) for ``finish``."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny settings, only to check it runs")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--params", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child_report(child(args.child, json.loads(args.params)))
        return None
    args.t_start, args.load_start = time.perf_counter(), os.getloadavg()
    return args


def warm_runs(run, mode: str, params: dict, hashseed: str | None = "0") -> dict:
    """Two runs of child ``mode`` sharing a fresh persistent-cache folder: the first fills it, the
    second is the warm measurement. ``hashseed=None`` leaves ``PYTHONHASHSEED`` unset."""
    cache = tempfile.mkdtemp(prefix="bnnppl-bench-jax-cache-")
    env = warm_env(cache)
    if hashseed is None:
        env.pop("PYTHONHASHSEED", None)
    else:
        env["PYTHONHASHSEED"] = hashseed
    try:
        runs = [run(mode, params, env) for _ in range(2)]
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return {"populating_run": runs[0], "warm_run": runs[1]}


def finish(name: str, args: argparse.Namespace, data: dict, targets: dict) -> None:
    """Record load, targets and script time, write the JSON (``_quick`` for quick runs), report."""
    data["loadavg_start_end"] = [args.load_start, os.getloadavg()]
    data["targets_met"] = targets
    data["script_wall_s"] = time.perf_counter() - args.t_start
    path = write_json(name + ("_quick" if args.quick else ""), data)
    print(f"targets: {targets}\nwrote {path} in {data['script_wall_s']:.0f} s")
