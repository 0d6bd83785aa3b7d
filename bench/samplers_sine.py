"""Every sampler on the same model and data, side by side: the NumPyro tutorial's sine regression.

The model and data of ``configs/sine_nuts.yaml`` (MLP 1 -> 10 tanh -> 1, Normal(0, 1) weights,
HalfCauchy(0.5) noise; 40 points, a quarter held out) fitted with the inference section of each
shipped sine config (NUTS, SVI, SGLD, SMC with tempering and with data annealing) and with the
default ``Langevin()``. For each: fit seconds (one process, warm-up fit first so compile time
is reported apart), held-out RMSE, test log-likelihood (mean per point of the log predictive
density), 95 % interval coverage, and the function-space r-hat where chains exist. A dense
test grid of 1000 points from the same curve gives steadier numbers than the 10 held-out ones.

    python bench/samplers_sine.py [--quick]
"""

import numpyro

numpyro.set_host_device_count(2)

import time  # noqa: E402
from pathlib import Path  # noqa: E402

import _common as C  # noqa: E402

NAME = "samplers_sine"
ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {
    "nuts": "sine_nuts.yaml",
    "svi": "sine_svi.yaml",
    "sgld": "sine_sgld.yaml",
    "smc_tempering": "sine_smc_tempering.yaml",
    "smc_data": "sine_smc_data.yaml",
}
QUICK_SETS = {
    "nuts": {"warmup": 100, "samples": 100},
    "svi": {"steps": 500, "draws": 100},
    "sgld": {"burnin": 100, "samples": 100, "thinning": 2, "init_steps": 200},
    "langevin": {"burnin": 100, "samples": 100, "thinning": 2, "init_steps": 200},
    "smc_tempering": {"particles": 100, "mcmc_steps": 2},
    "smc_data": {"particles": 100, "mcmc_steps": 2},
}


def methods(quick: bool) -> dict:
    import dataclasses

    from bnnppl.inference import Langevin
    from bnnppl.runs import load_config

    out = {name: load_config(ROOT / "configs" / file).inference for name, file in CONFIGS.items()}
    out["langevin"] = Langevin()
    if quick:
        out = {k: dataclasses.replace(m, **QUICK_SETS[k]) for k, m in out.items()}
    return out


def child(mode: str, p: dict) -> dict:
    import bnnppl as bp
    from bnnppl.datasets import sine_regression
    from bnnppl.results import log_likelihood, metrics
    from bnnppl.runs import load_config, prepare

    config = load_config(ROOT / "configs" / "sine_nuts.yaml")
    bnn, data = prepare(config, ROOT)
    x_grid, y_grid = sine_regression(n=1000, noise=0.1, seed=123)
    method = methods(p["quick"])[mode]
    t0 = time.perf_counter()
    bp.fit(bnn, data.x, data.y, method, seed=1, progress=False)  # compiles
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    post = bp.fit(bnn, data.x, data.y, method, seed=0, progress=False)
    seconds = time.perf_counter() - t0
    out = {"method": method.to_dict(), "first_fit_s": first, "fit_s": seconds}
    for split, (x, y) in {"test": (data.x_test, data.y_test), "grid": (x_grid, y_grid)}.items():
        pred = bp.predict(post, x, seed=0)
        out[f"{split}_rmse"] = metrics.rmse(y, pred.mean)
        out[f"{split}_loglik"] = metrics.log_likelihood(log_likelihood(post, x, y))
        lower, upper = pred.quantiles[0.025], pred.quantiles[0.975]
        out[f"{split}_coverage_95"] = metrics.interval_coverage(y, lower, upper)
    if post.num_chains > 1:
        d = post.diagnostics()
        out["function_max_rhat"], out["function_min_ess"] = d.function_max_rhat, d.function_min_ess_bulk
    if "log_evidence" in post.stats:
        out["log_evidence"] = float(post.stats["log_evidence"])
        out["stages"] = int(len(post.stats["ess"]))
    return out


def main() -> None:
    args = C.parse_or_run_child(__doc__, child)
    if args is None:
        return
    names = ["nuts", "svi", "langevin", "sgld", "smc_tempering", "smc_data"]
    run = C.runner(args.quick, __file__, child)
    res = {name: run(name, {"quick": args.quick}) for name in names}
    rows = [
        (name, r["fit_s"], r["first_fit_s"], r["test_rmse"], r["test_loglik"], r["grid_rmse"],
         r["grid_loglik"], r["grid_coverage_95"], r.get("function_max_rhat", float("nan")))
        for name, r in res.items()
    ]  # fmt: skip
    print(C.table(rows, ("method", "fit s", "first fit s", "test RMSE", "test LL", "grid RMSE", "grid LL",
                         "grid cov95", "f r-hat")))  # fmt: skip
    nuts = res["nuts"]
    targets = {  # the bar: within a stated margin of NUTS on held-out data (the dense grid)
        f"{name} grid RMSE within 10 % and LL within 0.1 of NUTS": bool(
            r["grid_rmse"] <= 1.1 * nuts["grid_rmse"] and r["grid_loglik"] >= nuts["grid_loglik"] - 0.1
        )
        for name, r in res.items()
        if name != "nuts"
    }
    C.finish(NAME, args, C.header(NAME, args.quick, {"configs": CONFIGS}) | {"results": res}, targets)


if __name__ == "__main__":
    main()
