"""Compile once: a second fit in the same process (same model and shapes, new data, new seed)
against the first, for each method; plain NumPyro's ``MCMC`` (a new ``run`` on the same object,
``jit_model_args=True``) beside NUTS as the anchor.

Each method runs in a fresh process with the persistent compilation cache off, so the first fit
pays every compile. Reported: both walls, the compile seconds inside each (JAX's monitoring
events), the ratio second / first (target <= 0.25), and the process's memory maps after the
first fit and after ``fits`` more fits of the same shapes (compiled programs held by JAX take
maps; a loop that recompiles grows them without bound).

    python bench/compile_once.py [--quick]
"""

import numpyro

numpyro.set_host_device_count(2)

import _common as C  # noqa: E402
import jax  # noqa: E402

NAME = "compile_once"
FULL = {"n": 40, "fits": 6, "repeats": 3, "warmup": 1000, "samples": 1000, "svi_steps": 5000,
        "init_steps": 2000}
QUICK = {"n": 40, "fits": 2, "repeats": 1, "warmup": 50, "samples": 50, "svi_steps": 200, "init_steps": 100}
MODES = ("nuts", "nuts_map", "hmc", "svi", "mclmc", "plain_nuts")


def _maps() -> int:
    with open("/proc/self/maps") as f:
        return sum(1 for _ in f)


def _method(mode: str, p: dict):
    import bnnppl as bp

    draws = {"warmup": p["warmup"], "samples": p["samples"]}
    return {
        "nuts": bp.NUTS(chains=2, **draws),
        "nuts_map": bp.NUTS(chains=2, init="map", init_steps=p["init_steps"], max_tree_depth=8, **draws),
        "hmc": bp.HMC(chains=2, step_size=0.01, num_steps=20, **draws),
        "svi": bp.SVI(steps=p["svi_steps"], draws=1000),
        "mclmc": bp.MCLMC(chains=8, init="ensemble", init_steps=p["init_steps"], **draws),
    }[mode]


def child(mode: str, p: dict) -> dict:
    from bnnppl.datasets import sine_regression

    C.CompileClock()
    jax.devices()
    data = [sine_regression(n=p["n"], seed=s) for s in range(p["fits"] + 2)]
    out: dict = {}
    if mode == "plain_nuts":
        from numpyro.infer import MCMC, NUTS
        from nuts_regression import plain_model

        mcmc = MCMC(NUTS(plain_model), num_warmup=p["warmup"], num_samples=p["samples"], num_chains=2,
                    chain_method="parallel", progress_bar=False, jit_model_args=True)

        def fit(i):
            mcmc.run(jax.random.key(i), *data[i])
            jax.block_until_ready(mcmc.get_samples())
    else:
        import bnnppl as bp

        spec = bp.ModelSpec(
            network=bp.MLP(hidden=(10,), activation="tanh"),
            likelihood=bp.Gaussian(noise_prior=bp.ScalePrior(family="half_cauchy", scale=0.5)),
        )
        method = _method(mode, p)

        def fit(i):
            bp.fit(bp.BNN(spec), *data[i], method, seed=i, progress=False)

    for i in (1, 2):
        with C.timed(out, f"fit{i}_wall_s", f"fit{i}_compile_s"):
            fit(i - 1)
    out["second_over_first"] = out["fit2_wall_s"] / out["fit1_wall_s"]
    out["maps_after_two_fits"] = _maps()
    for i in range(p["fits"]):
        fit(2 + i)
    out["maps_after_more_fits"] = _maps()
    out["more_fits"] = p["fits"]
    return out


ROWS = [("fit1_wall_s", "s"), ("fit1_compile_s", "s"), ("fit2_wall_s", "s"), ("fit2_compile_s", "s"),
        ("second_over_first", "x"), ("maps_after_two_fits", ""), ("maps_after_more_fits", "")]


def main() -> None:
    args = C.parse_or_run_child(__doc__, child)
    if args is None:
        return
    p = QUICK if args.quick else FULL
    run = C.runner(args.quick, __file__, child)
    raw, res = C.interleaved(run, MODES, p)
    print(C.mode_table(res, ROWS, MODES))
    targets = {f"{m}: second fit / first fit <= 0.25": res[m]["second_over_first"] <= 0.25 for m in MODES[:5]}
    targets |= {f"{m}: no memory-map growth over more fits (< 2 %)":
                res[m]["maps_after_more_fits"] <= 1.02 * res[m]["maps_after_two_fits"] for m in MODES[:5]}
    data = C.header(NAME, args.quick, p | {
        "model": "sine regression (NumPyro BNN tutorial): 40 points, MLP 1 -> 10 (tanh) -> 1, Normal(0, 1) "
                 "weights, HalfCauchy(0.5) noise; fit i uses data seed i and fit seed i, a new BNN of the "
                 "same spec",
        "modes": "nuts: NUTS 2 chains (uniform start); nuts_map: NUTS from a MAP fit, depth 8 (the UCI "
                 "settings); hmc: 20 leapfrog steps of 0.01; svi: AutoNormal, 1000 draws; mclmc: 8 MCLMC "
                 "chains from an 8-member MAP ensemble; plain_nuts: "
                 "NumPyro MCMC(NUTS(tutorial model), parallel chains, jit_model_args=True), run() again",
        "timing": "full: each mode in a fresh subprocess (persistent compilation cache off), `repeats` times "
                  "interleaved, medians (raw runs kept); compile_s = merged spans of JAX's trace/lower/"
                  "compile events",
    })
    data["units"] = {k: u or "count/1" for k, u in ROWS}
    data["results"] = res
    data["raw"] = raw
    C.finish(NAME, args, data, targets)


if __name__ == "__main__":
    main()
