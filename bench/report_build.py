"""Report build time: ``bnnppl report`` on a run folder of every shipped config.

First, once, each config in ``configs/`` (but ``example_model.yaml``, a model without a fit) is
run with ``bnnppl run --no-report`` and smaller sizes (``CAPS``: a report's plots draw at most 20
frames and fixed grids, so the size of the fit changes little of its cost) into a temporary
folder. Then, per config, in a fresh process (warm compilation cache, as a user who rebuilds a
report has): the seconds to import ``bnnppl.runs.report`` and the seconds of ``write_report``
itself, medians over ``repeats`` interleaved runs. Target (issue 17): a build under 5 s.

    python bench/report_build.py [--quick]
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common as C

NAME = "report_build"
ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted(p.stem for p in (ROOT / "configs").glob("*.yaml") if p.stem != "example_model")
CAPS = {
    "nuts": ["inference.warmup=200", "inference.samples=200"],
    "hmc": ["inference.warmup=200", "inference.samples=200"],
    "mclmc": ["inference.warmup=200", "inference.samples=200", "inference.init_steps=500"],
    "svi": ["inference.steps=2000"],
    "langevin": ["inference.init_steps=500", "inference.burnin=500", "inference.samples=200"],
    "sgld": [
        "inference.init_steps=500",
        "inference.burnin=2000",
        "inference.samples=200",
        "inference.thinning=10",
    ],  # fmt: skip
    "smc": ["inference.particles=100", "inference.mcmc_steps=2"],
}
FULL = {"repeats": 3, "configs": CONFIGS}
QUICK = {"repeats": 1, "configs": ["sine_svi"]}
TARGET_S = 5.0


def child(mode: str, p: dict) -> dict:
    out: dict = {"config": mode}
    with C.timed(out, "import_s"):
        from bnnppl import enable_compilation_cache
        from bnnppl.runs.report import write_report

    os.environ.pop("BNNPPL_JAX_CACHE", None)  # _common turned the cache off (cold benchmarks) on import
    enable_compilation_cache()  # as `bnnppl report` does
    with C.timed(out, "build_s"):
        write_report(p["runs"][mode])
    out["report_mb"] = (Path(p["runs"][mode]) / "report.html").stat().st_size / 1e6
    return out


def make_runs(configs: list[str], folder: Path, quick: bool) -> dict[str, str]:
    """``bnnppl run --no-report`` of each config (capped sizes) into ``folder``: config -> run folder."""
    import yaml

    runs = {}
    for name in configs:
        path = ROOT / "configs" / f"{name}.yaml"
        method = yaml.safe_load(path.read_text())["inference"]["method"]
        caps = CAPS[method] + (["inference.steps=200"] if quick and method == "svi" else [])
        sets = [arg for cap in caps for arg in ("--set", cap)]
        out = folder / name
        cmd = [sys.executable, "-m", "bnnppl", "run", str(path), "--no-report", "--out", str(out), *sets]
        t0 = time.perf_counter()
        env = os.environ | {"CI": "1"}  # no progress bars
        subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT, env=env)
        (run,) = out.iterdir()
        runs[name] = str(run)
        print(f"  {name}: fitted in {time.perf_counter() - t0:.0f} s", flush=True)
    return runs


def main() -> None:
    args = C.parse_or_run_child(__doc__, child)
    if args is None:
        return
    p = dict(QUICK if args.quick else FULL)
    with tempfile.TemporaryDirectory(prefix="bnnppl-report-bench-") as tmp:
        p["runs"] = make_runs(p["configs"], Path(tmp), args.quick)
        run = C.runner(args.quick, __file__, child)
        # bnnppl's default cache, and the string hash seed that `bnnppl report` fixes
        warm = {k: v for k, v in os.environ.items() if k != "BNNPPL_JAX_CACHE"} | {"PYTHONHASHSEED": "0"}
        raw: dict = {mode: [] for mode in p["configs"]}
        for _ in range(p["repeats"]):
            for mode in p["configs"]:
                raw[mode].append(run(mode, p) if args.quick else C.run_child(__file__, mode, p, env=warm))
        res = {mode: C.median_of(runs) for mode, runs in raw.items()}
    rows = [(m, res[m]["import_s"], res[m]["build_s"], res[m]["report_mb"]) for m in p["configs"]]
    print(C.table(rows, ("config", "import s", "build s", "report MB")))
    targets = {f"{m}: build under {TARGET_S:g} s": res[m]["build_s"] < TARGET_S for m in p["configs"]}
    data = C.header(NAME, args.quick, {
        "repeats": p["repeats"], "configs": p["configs"], "caps": CAPS,
        "timing": "write_report(run folder) in a fresh subprocess per config and repeat, interleaved, with "
                  "bnnppl's default persistent compilation cache; medians (raw runs kept)",
    })  # fmt: skip
    data["units"] = {"import_s": "s", "build_s": "s", "report_mb": "MB"}
    data["results"] = res
    data["raw"] = raw
    C.finish(NAME, args, data, targets)


if __name__ == "__main__":
    main()
