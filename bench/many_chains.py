"""Many chains, one program: NUTS with 2, 8 and 16 chains on the two CPU devices.

The chains run inside one compiled program, ``shard_map``-ped over the devices
(``bnnppl.inference.chains``); a device's NUTS chains run one after another (``lax.map``). The
``_vmap`` modes run them as a ``vmap`` instead (the former way), side by side in the same run.
For each chain count, in a fresh cold process: the first fit's wall, its compile seconds and its
XLA backend compiles (JAX's monitoring events), then a second fit (new data of the same shape,
new seed): its wall, draws per second (chains x kept draws over the wall), and the pooled bulk
ESS of the network output per second with the number of modes the chains found.

    python bench/many_chains.py [--quick]
"""

import numpyro

numpyro.set_host_device_count(2)

import _common as C  # noqa: E402
import jax  # noqa: E402

NAME = "many_chains"
FULL = {"n": 40, "repeats": 3, "warmup": 1000, "samples": 1000}
QUICK = {"n": 40, "repeats": 1, "warmup": 50, "samples": 50}
MODES = ("chains_2", "chains_8", "chains_16", "chains_8_vmap", "chains_16_vmap")
BACKEND = "/jax/core/compile/backend_compile_duration"


def child(mode: str, p: dict) -> dict:
    import bnnppl as bp
    from bnnppl.datasets import sine_regression

    C.CompileClock()
    compiles = []
    jax.monitoring.register_event_duration_secs_listener(
        lambda event, duration, **_: compiles.append(event) if event == BACKEND else None
    )
    jax.devices()
    chains = int(mode.split("_")[1])
    if mode.endswith("_vmap"):  # the A side: NUTS's chains on a device as a vmap, as before lax.map
        from bnnppl.inference import chains as spreading

        spread = spreading.spread
        spreading.spread = lambda one, n, shared, vectorize=True: spread(one, n, shared, vectorize=True)
    spec = bp.ModelSpec(
        network=bp.MLP(hidden=(10,), activation="tanh"),
        likelihood=bp.Gaussian(noise_prior=bp.ScalePrior(family="half_cauchy", scale=0.5)),
    )
    method = bp.NUTS(chains=chains, warmup=p["warmup"], samples=p["samples"])
    out: dict = {"chains": chains}
    posts = []
    for i in (1, 2):
        before = len(compiles)
        with C.timed(out, f"fit{i}_wall_s", f"fit{i}_compile_s"):
            posts.append(
                bp.fit(bp.BNN(spec), *sine_regression(n=p["n"], seed=i), method, seed=i, progress=False)
            )
        out[f"fit{i}_backend_compiles"] = len(compiles) - before
    d = posts[1].diagnostics()
    out["draws_per_s"] = chains * p["samples"] / out["fit2_wall_s"]
    out["f_ess_bulk"] = d.function_min_ess_bulk
    out["f_ess_per_s"] = d.function_min_ess_bulk / out["fit2_wall_s"]
    out["modes"] = d.num_modes
    return out


ROWS = [("fit1_wall_s", "s"), ("fit1_compile_s", "s"), ("fit1_backend_compiles", ""), ("fit2_wall_s", "s"),
        ("fit2_backend_compiles", ""), ("draws_per_s", "1/s"), ("f_ess_bulk", ""), ("f_ess_per_s", "1/s"),
        ("modes", "")]  # fmt: skip


def main() -> None:
    args = C.parse_or_run_child(__doc__, child)
    if args is None:
        return
    p = QUICK if args.quick else FULL
    run = C.runner(args.quick, __file__, child)
    raw, res = C.interleaved(run, MODES, p)
    print(C.mode_table(res, ROWS, MODES))
    targets = {f"{m}: the second fit compiles nothing": res[m]["fit2_backend_compiles"] == 0 for m in MODES}
    targets |= {
        f"{m}: no more compiles than 2 chains": res[m]["fit1_backend_compiles"]
        <= res["chains_2"]["fit1_backend_compiles"]
        for m in MODES
    }
    data = C.header(NAME, args.quick, p | {
        "model": "sine regression (NumPyro BNN tutorial): 40 points, MLP 1 -> 10 (tanh) -> 1, Normal(0, 1) "
                 "weights, HalfCauchy(0.5) noise; NUTS from NumPyro's uniform start; fit i uses data seed i",
        "timing": "each chain count in a fresh subprocess (persistent compilation cache off), `repeats` runs "
                  "interleaved, medians (raw runs kept); two host CPU devices",
    })  # fmt: skip
    data["units"] = {k: u or "count/1" for k, u in ROWS}
    data["results"] = res
    data["raw"] = raw
    C.finish(NAME, args, data, targets)


if __name__ == "__main__":
    main()
