"""NUTS on the NumPyro BNN tutorial's regression: bnnppl ``fit`` against plain NumPyro + flax.

40 points, x ~ U(-1, 1), y = x sin(5x) + N(0, 0.1^2); MLP 1 -> 10 (tanh) -> 1, Normal(0, 1)
priors, HalfCauchy(0.5) noise prior; NUTS, 2 chains in parallel. Each side runs in a fresh
process (persistent compilation cache disabled) and measures: the first and a second run's
wall time (with the compile seconds inside each), parameter- and function-space ESS/r-hat,
and the wall time per leapfrog step against one bare gradient of the same log density.

    python bench/nuts_regression.py [--quick]
"""

import numpyro

numpyro.set_host_device_count(2)

import time  # noqa: E402

import _common as C  # noqa: E402
import jax  # noqa: E402
import numpy as np  # noqa: E402
import numpyro.distributions as dist  # noqa: E402
from flax import linen as nn  # noqa: E402
from numpyro.contrib.module import random_flax_module  # noqa: E402

NAME = "nuts_regression"
FULL = {"n": 40, "chains": 2, "warmup": 200, "samples": 2000, "grad_calls": 20_000, "loop_grads": 200_000,
        "second_run": True, "lf_samples": 5000, "lf_warmup": True, "repeats": 3}
QUICK = {"n": 40, "chains": 2, "warmup": 50, "samples": 100, "grad_calls": 2_000, "loop_grads": 20_000,
         "second_run": False, "lf_samples": 100, "lf_warmup": False, "repeats": 1}


class MLP(nn.Module):
    @nn.compact
    def __call__(self, x):
        x = nn.tanh(nn.Dense(10)(x))  # Dense_0
        return nn.Dense(1)(x)  # Dense_1


def plain_model(x, y=None):
    """The NumPyro tutorial's way: a linen MLP made Bayesian with ``random_flax_module``."""
    net = random_flax_module("nn", MLP(), dist.Normal(0.0, 1.0), input_shape=(1, 1))
    sigma = numpyro.sample("sigma", dist.HalfCauchy(0.5))
    with numpyro.plate("data", x.shape[0]):
        mu = numpyro.deterministic("mu", net(x).squeeze(-1))
        numpyro.sample("obs", dist.Normal(mu, sigma), obs=y)


def bnnppl_model():
    import bnnppl as bp

    spec = bp.ModelSpec(
        network=bp.MLP(hidden=(10,), activation="tanh"),
        prior=bp.Prior(family="normal", scale=1.0),
        likelihood=bp.Gaussian(noise_prior=bp.ScalePrior(family="half_cauchy", scale=0.5)),
    )
    return bp.BNN(spec)


def worst(samples: dict, function_site: str) -> dict:
    """Min bulk ESS / max r-hat over parameters and over the function site, via ArviZ."""
    import arviz as az

    post = {k.replace("/", "."): np.asarray(v) for k, v in samples.items()}
    ds = az.from_dict({"posterior": post})["posterior"].to_dataset()
    params, funcs = ds.drop_vars([function_site]), ds[[function_site]]

    def cat(d):
        return np.concatenate([np.asarray(v).ravel() for v in d.data_vars.values()])

    return {
        "param_min_ess_bulk": float(cat(az.ess(params)).min()),
        "param_max_rhat": float(cat(az.rhat(params)).max()),
        "function_min_ess_bulk": float(cat(az.ess(funcs)).min()),
        "function_max_rhat": float(cat(az.rhat(funcs)).max()),
    }


def leapfrog_cost(model, x, y, p: dict, out: dict) -> None:
    """Sampling-phase seconds per leapfrog step (warmup first, then a timed ``run``) and the
    seconds of one bare gradient of the same potential (jit(grad), per call and in a loop)."""
    from numpyro.infer import MCMC, NUTS
    from numpyro.infer.util import initialize_model

    mcmc = MCMC(NUTS(model), num_warmup=p["warmup"] if p["lf_warmup"] else 0, num_samples=p["lf_samples"],
                num_chains=p["chains"], chain_method="parallel", progress_bar=False)
    if p["lf_warmup"]:  # (--quick skips the adaptation: one compilation less)
        mcmc.warmup(jax.random.key(3), x, y)
    r: dict = {}
    with C.timed(r, "wall", "compile"):
        mcmc.run(jax.random.key(4), x, y, extra_fields=("num_steps",))
        jax.block_until_ready(mcmc.get_samples())
    steps = np.asarray(mcmc.get_extra_fields(group_by_chain=True)["num_steps"]).sum(axis=1)
    run_s = r["wall"] - r["compile"]
    out |= {"lf_run_wall_s": r["wall"], "lf_run_compile_s": r["compile"], "lf_run_exec_s": run_s,
            "lf_steps_per_chain": steps.tolist(), "lf_s_per_step_total": run_s / steps.sum(),
            "lf_s_per_step_per_chain": run_s / steps.max()}

    info = initialize_model(jax.random.key(5), model, model_args=(x, y))
    z = info.param_info.z
    grad = jax.jit(jax.grad(info.potential_fn))
    for _ in range(100):
        jax.block_until_ready(grad(z))
    t0 = time.perf_counter()
    for _ in range(p["grad_calls"]):
        jax.block_until_ready(grad(z))
    out["grad_s_per_call"] = (time.perf_counter() - t0) / p["grad_calls"]

    @jax.jit
    def many(z):  # gradients back to back inside one compiled loop (no per-call dispatch)
        def step(_, z):
            return jax.tree.map(lambda a, g: a - 1e-7 * g, z, jax.grad(info.potential_fn)(z))

        return jax.lax.fori_loop(0, p["loop_grads"], step, z)

    jax.block_until_ready(many(z))
    t0 = time.perf_counter()
    jax.block_until_ready(many(z))
    out["grad_s_in_loop"] = (time.perf_counter() - t0) / p["loop_grads"]


def child(mode: str, p: dict) -> dict:
    from numpyro.infer import MCMC, NUTS

    from bnnppl.datasets import sine_regression

    C.CompileClock()
    jax.devices()  # start the backend before any timing
    x, y = sine_regression(n=p["n"], seed=0)
    out: dict = {"devices": jax.local_device_count()}
    if mode == "bnnppl":
        import bnnppl as bp

        bnn = bnnppl_model()
        method = bp.NUTS(chains=p["chains"], warmup=p["warmup"], samples=p["samples"])
        with C.timed(out, "run1_wall_s", "run1_compile_s"):
            post = bp.fit(bnn, x, y, method, seed=0, progress=False, scale=False)  # the anchor's model
        if p["second_run"]:
            with C.timed(out, "run2_wall_s", "run2_compile_s"):
                bp.fit(bnn, x, y, method, seed=1, progress=False, scale=False)
        with C.timed(out, "diagnostics_s"):
            d = post.diagnostics()
        out |= {"param_min_ess_bulk": d.min_ess_bulk, "param_max_rhat": d.max_rhat,
                "function_min_ess_bulk": d.function_min_ess_bulk, "function_max_rhat": d.function_max_rhat,
                "divergences": d.divergences}
        model = bnn.model
    else:
        mcmc = MCMC(NUTS(plain_model), num_warmup=p["warmup"], num_samples=p["samples"],
                    num_chains=p["chains"], chain_method="parallel", progress_bar=False)
        for i in (1, 2) if p["second_run"] else (1,):
            with C.timed(out, f"run{i}_wall_s", f"run{i}_compile_s"):
                mcmc.run(jax.random.key(i - 1), x, y, extra_fields=("diverging",))
                samples = jax.block_until_ready(mcmc.get_samples(group_by_chain=True))
            if i == 1:
                first = samples
                div = int(np.asarray(mcmc.get_extra_fields()["diverging"]).sum())
        with C.timed(out, "diagnostics_s"):
            out |= worst(first, "mu")
        out["divergences"] = div
        model = plain_model
    for i in (1, 2) if p["second_run"] else (1,):
        out[f"run{i}_exec_s"] = out[f"run{i}_wall_s"] - out[f"run{i}_compile_s"]
        out[f"function_ess_per_s_run{i}_wall"] = out["function_min_ess_bulk"] / out[f"run{i}_wall_s"]
    leapfrog_cost(model, x, y, p, out)
    out["leapfrog_over_grad_call"] = out["lf_s_per_step_per_chain"] / out["grad_s_per_call"]
    out["leapfrog_over_grad_loop"] = out["lf_s_per_step_per_chain"] / out["grad_s_in_loop"]
    return out


ROWS = [
    ("run1_wall_s", "s"), ("run1_compile_s", "s"), ("run2_wall_s", "s"), ("run2_compile_s", "s"),
    ("run2_exec_s", "s"), ("param_min_ess_bulk", ""), ("param_max_rhat", ""),
    ("function_min_ess_bulk", ""), ("function_max_rhat", ""), ("function_ess_per_s_run1_wall", "1/s"),
    ("function_ess_per_s_run2_wall", "1/s"),
    ("divergences", ""), ("lf_s_per_step_per_chain", "s"), ("lf_s_per_step_total", "s"),
    ("grad_s_per_call", "s"), ("grad_s_in_loop", "s"), ("leapfrog_over_grad_call", "x"),
    ("leapfrog_over_grad_loop", "x"),
]


def main() -> None:
    args = C.parse_or_run_child(__doc__, child)
    if args is None:
        return
    p = QUICK if args.quick else FULL
    run = C.runner(args.quick, __file__, child)
    raw: dict = {"bnnppl": [], "plain": []}
    for _ in range(p["repeats"]):  # interleaved, so slow phases of a shared machine hit both alike
        for side in raw:
            raw[side].append(run(side, p))
    res = {side: C.median_of(runs) for side, runs in raw.items()}
    warm: dict = {}
    if not args.quick:  # a warm persistent cache needs fresh processes
        warm = C.warm_runs(run, "bnnppl", p, hashseed="0")  # as the bnnppl command runs
        w, rate = warm["warm_run"], "function_ess_per_s_run1_wall"
        print(f"warm cache, bnnppl: run1 wall {w['run1_wall_s']:.2f} s "
              f"(compile {w['run1_compile_s']:.2f} s), "
              f"function ESS/s {w[rate]:.0f} = {w[rate] / res['plain'][rate]:.2f}x plain cold")
    b, q, nan = res["bnnppl"], res["plain"], float("nan")
    ratios = {k: b[k] / q[k] for k, _ in ROWS if q.get(k)}
    print(C.table([(k, u, b.get(k, nan), q.get(k, nan), ratios.get(k, nan)) for k, u in ROWS],
                  ("measure", "unit", "bnnppl", "plain", "bnnppl/plain")))
    targets = {"bnnppl leapfrog / grad per jitted call <= 2": b["leapfrog_over_grad_call"] <= 2,
               "bnnppl leapfrog / grad in a compiled loop <= 2": b["leapfrog_over_grad_loop"] <= 2}
    data = C.header(NAME, args.quick, p | {
        "persistent_compilation_cache": "disabled in both children (JAX_COMPILATION_CACHE_DIR unset, "
                                        "BNNPPL_JAX_CACHE=off); bnnppl_warm_cache: two more bnnppl "
                                        "children sharing a fresh cache folder, PYTHONHASHSEED=0; the "
                                        "second is reported",
        "timing": "full: each side in a fresh subprocess, `repeats` times interleaved, medians reported "
                  "(all runs under raw); --quick: in this process (numbers not comparable); walls include "
                  "compilation; compile_s = merged spans of JAX's trace/lower/backend-compile monitoring "
                  "events; exec_s = wall - compile_s",
        "leapfrog": "NumPyro MCMC on each side's model function (bnnppl: bnn.model): warmup() then a timed "
                    "run() of `lf_samples` draws; per_chain = exec_s / max over chains of summed num_steps "
                    "(chains run in parallel, one per core); total = exec_s / steps of all chains",
    })
    data["units"] = {k: u or "count/1" for k, u in ROWS} | {"process_wall_s": "s"}
    data["results"] = res | {"bnnppl_warm_cache": warm}
    data["raw"] = raw
    data["ratios_bnnppl_over_plain"] = ratios
    C.finish(NAME, args, data, targets)


if __name__ == "__main__":
    main()
