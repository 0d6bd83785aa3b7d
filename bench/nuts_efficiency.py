"""NUTS where its efficiency is lost: the UCI benchmark's NUTS against variants of its settings, on
Yacht, Energy and Boston, side by side in one run (fresh processes, variants interleaved per data
set).

Every variant is the benchmark's model and NUTS (2 chains from a MAP fit, 1000 warmup + 1000
draws, tree depth 8, target acceptance 0.9, diagonal mass matrix) with one setting changed. Each
(variant, data set) runs ``bnnppl bench uci`` on the same splits in a fresh process. Judged on
training-side numbers only (the test log-likelihood is shown, never used to choose):

- ``depth_limit_share``: the share of draws whose tree reached the depth limit;
- ``f_ess_per_s``: the worst chain's worst within-chain bulk ESS of the network output at the
  training points, per second of fit (the chains may sit in different modes; within a chain is
  where the sampler's efficiency shows);
- ``f_rhat``: the worst chain's split r-hat of the network output.

    python bench/nuts_efficiency.py --data-dir ../shared/data/uci --splits 0-2 \\
        [--variants default target_0.8 dense ...] [--out bench/results/nuts_efficiency] [--summary-only]

Per-split files go to ``<out>/<variant>/<data set>/nuts/``; the medians and the machine, versions
and sources hash to ``bench/results/<out's name>.json``. ``--summary-only`` rewrites that from the
split files without fitting.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml
from _common import header, write_json

BASE = {"method": "nuts", "chains": 2, "warmup": 1000, "samples": 1000, "max_tree_depth": 8,
        "init": "map", "init_steps": 2000, "target_accept": 0.9}  # fmt: skip
VARIANTS = {
    "default": {},
    "target_0.8": {"target_accept": 0.8},
    "dense": {"dense_mass": True},
    "warmup_2000": {"warmup": 2000},
    "depth_10": {"max_tree_depth": 10},
}
DATASETS = ("yacht", "energy", "bostonHousing")


def wait_for_quiet(limit: float = 1.0, most: float = 600.0) -> float:
    """Wait until the 1-minute load average is below ``limit`` (at most ``most`` seconds)."""
    start = time.time()
    while os.getloadavg()[0] > limit and time.time() - start < most:
        time.sleep(10)
    return os.getloadavg()[0]


def run(variant: str, dataset: str, args: argparse.Namespace, folder: Path) -> None:
    config = folder / f"{variant}.yaml"
    config.write_text(yaml.safe_dump({"inference": BASE | VARIANTS[variant]}))
    load = wait_for_quiet()
    command = [sys.executable, "-m", "bnnppl", "bench", "uci", "--data-dir", str(args.data_dir),
               "--datasets", dataset, "--splits", args.splits, "--config", str(config),
               "--out", str(args.out / variant)]  # fmt: skip
    print(f"{variant} / {dataset} (load {load:.2f})", flush=True)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def summary(out: Path, variant: str, dataset: str) -> dict:
    rows = [
        json.loads(p.read_text()) for p in sorted((out / variant / dataset / "nuts").glob("split_*.json"))
    ]
    if not rows:
        return {}

    def per_split(row: dict) -> dict:
        d, s = row["diagnostics"], row["sampler"]
        ess = min(d["chain_function_min_ess_bulk"])
        return {
            "fit_seconds": row["fit_seconds"],
            "depth_limit_share": s.get("depth_limit_share"),
            "mean_leapfrog_steps": s["mean_leapfrog_steps"],
            "median_step_size": s["median_step_size"],
            "f_ess_per_s": ess / row["fit_seconds"],
            "f_ess": ess,
            "f_rhat": max(d["chain_function_max_rhat"]),
            "modes": d["num_modes"] if "num_modes" in d else len(d["modes"]),
            "log_likelihood": row["log_likelihood"],
        }

    splits = [per_split(r) for r in rows]
    med = {k: float(np.median([s[k] for s in splits])) for k in splits[0] if k != "log_likelihood"}
    ll = np.array([s["log_likelihood"] for s in splits])
    return {"splits": len(rows), "median": med, "test_ll_mean": float(ll.mean()),
            "test_ll_se": float(ll.std() / np.sqrt(len(ll))), "per_split": splits}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--splits", default="0-2")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--out", type=Path, default=Path("bench/results/nuts_efficiency"))
    parser.add_argument("--summary-only", action="store_true")
    args = parser.parse_args()
    if not args.summary_only:
        with tempfile.TemporaryDirectory() as tmp:
            for dataset in args.datasets:
                for variant in args.variants:
                    run(variant, dataset, args, Path(tmp))
    settings = {"base": BASE, "variants": {v: VARIANTS[v] for v in args.variants}, "splits": args.splits}
    results = header(args.out.name, False, settings) | {
        "results": {d: {v: summary(args.out, v, d) for v in args.variants} for d in args.datasets},
    }
    write_json(args.out.name, results)
    print(
        "| data set | variant | fit s | at depth limit | leapfrog/draw | step | f ESS/s | f r-hat | test LL |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for d, by_variant in results["results"].items():
        for v, r in by_variant.items():
            m = r["median"]
            print(f"| {d} | {v} | {m['fit_seconds']:.1f} | {m['depth_limit_share']:.2f} | "
                  f"{m['mean_leapfrog_steps']:.0f} | {m['median_step_size']:.4f} | {m['f_ess_per_s']:.2f} | "
                  f"{m['f_rhat']:.2f} | {r['test_ll_mean']:.3f} ± {r['test_ll_se']:.3f} |")  # fmt: skip


if __name__ == "__main__":
    main()
