"""Prediction throughput: ``bp.predict(posterior, x)`` against a hand-written jit(vmap(apply)).

The MLP of the NumPyro tutorial's regression (1 -> 10 tanh -> 1, Gaussian likelihood with a
learned noise scale); a quick posterior of S draws from ``bp.SVI(steps=200, draws=S)``.
Throughput is draws x points per second, after one warm-up call of each (compilation
excluded). Full runs also measure the peak RSS of a fresh process that predicts 4000 draws x
100 000 points with ``keep_samples=False``.

    python bench/predict_throughput.py [--quick]
"""

import numpyro

numpyro.set_host_device_count(2)

import resource  # noqa: E402
import time  # noqa: E402

import _common as C  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from flax import linen as nn  # noqa: E402

NAME = "predict_throughput"
FULL = {"draws": 1000, "points": 10_000, "repeats": 5, "fit_steps": 200,
        "rss": {"draws": 4000, "points": 100_000}}
QUICK = {"draws": 100, "points": 1000, "repeats": 2, "fit_steps": 200, "rss": None}


class MLP(nn.Module):  # the same layers (and names) as bnnppl's MLP(hidden=(10,), activation="tanh")
    @nn.compact
    def __call__(self, x):
        x = nn.tanh(nn.Dense(10)(x))  # Dense_0
        return nn.Dense(1)(x)  # Dense_1


def posterior(draws: int, steps: int):
    import bnnppl as bp
    from bnnppl.datasets import sine_regression

    x, y = sine_regression(n=40, seed=0)
    bnn = bp.BNN(bp.ModelSpec(
        network=bp.MLP(hidden=(10,), activation="tanh"),
        prior=bp.Prior(family="normal", scale=1.0),
        likelihood=bp.Gaussian(noise_prior=bp.ScalePrior(family="half_cauchy", scale=0.5)),
    ))
    return bp.fit(bnn, x, y, bp.SVI(steps=steps, draws=draws), seed=0, progress=False)


def inputs(n: int) -> np.ndarray:
    return np.linspace(-1.5, 1.5, n, dtype=np.float32)[:, None]


def best_of(fn, repeats: int) -> dict:
    """Seconds of one warm-up call (compilation included) and the median/min of ``repeats`` more."""
    t0 = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {"first_call_s": first, "median_s": float(np.median(times)), "min_s": min(times), "times_s": times,
            "_out": out}


def throughput(p: dict) -> dict:
    import bnnppl as bp
    from bnnppl.results import network_draws

    post = posterior(p["draws"], p["fit_steps"])
    x = inputs(p["points"])
    s = post.flat_samples()
    params = {layer: {name: jnp.asarray(s[f"net.{layer}.{name}"]) for name in ("kernel", "bias")}
              for layer in ("Dense_0", "Dense_1")}
    xj = jnp.asarray(x)
    hand = jax.jit(jax.vmap(lambda prm, x: MLP().apply({"params": prm}, x), in_axes=(0, None)))
    cases = {
        "bp.predict": lambda: bp.predict(post, x),
        "bp.predict(keep_samples=False)": lambda: bp.predict(post, x, keep_samples=False),
        "bnnppl.predict.network_draws": lambda: network_draws(post, x),
        "hand jit(vmap(apply))": lambda: jax.block_until_ready(hand(params, xj)),
    }
    res = {name: best_of(fn, p["repeats"]) for name, fn in cases.items()}
    f_hand = np.asarray(res["hand jit(vmap(apply))"]["_out"])
    f_pred = res["bp.predict"]["_out"].f
    work = post.num_samples * x.shape[0]
    for r in res.values():
        r.pop("_out")
        r["draw_points_per_s"] = work / r["median_s"]
    return {"cases": res, "num_samples": post.num_samples, "points": x.shape[0],
            "max_abs_diff_f_predict_vs_hand": float(np.max(np.abs(f_pred - f_hand))),
            "ratio_predict_over_hand": res["bp.predict"]["draw_points_per_s"]
            / res["hand jit(vmap(apply))"]["draw_points_per_s"]}


def rss_mib() -> dict:
    """Peak RSS so far: getrusage's ru_maxrss (Linux keeps it across execve, so a child starts
    from its parent's value) and /proc/self/status VmHWM (this address space only), in MiB."""
    out = {"ru_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}  # Linux: KiB
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                out["vmhwm"] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return out


def child(mode: str, p: dict) -> dict:
    import bnnppl as bp

    jax.devices()
    post = posterior(p["draws"], p["fit_steps"])
    x = inputs(p["points"])
    out = {f"peak_rss_before_predict_{k}_mib": v for k, v in rss_mib().items()}
    t0 = time.perf_counter()
    pred = bp.predict(post, x, keep_samples=False)
    out["predict_wall_s"] = time.perf_counter() - t0
    out |= {f"peak_rss_{k}_mib": v for k, v in rss_mib().items()}
    out["kept_f"] = pred.f is not None
    out["one_full_draws_array_mib"] = post.num_samples * x.shape[0] * 4 / 2**20  # float32 (S, n)
    return out


def main() -> None:
    args = C.parse_or_run_child(__doc__, child)
    if args is None:
        return
    p = QUICK if args.quick else FULL
    rss = None
    if p["rss"] is not None:  # a fresh process (started first, while this one is still small)
        rss = C.run_child(__file__, "rss", p["rss"] | {"fit_steps": p["fit_steps"]})
    tp = throughput(p)
    rows = [(k, v["draw_points_per_s"], v["median_s"], v["first_call_s"]) for k, v in tp["cases"].items()]
    print(C.table(rows, ("case", "draw-points/s", "median s", "first call s")))
    print(f"ratio bp.predict / hand: {tp['ratio_predict_over_hand']:.3g} (target >= 0.8); "
          f"max |f diff| = {tp['max_abs_diff_f_predict_vs_hand']:.2e}")
    if rss is not None:
        rows = [(k, v) for k, v in rss.items() if k != "persistent_cache_dir"]
        print(C.table(rows, ("peak RSS run", "value")))
    data = C.header(NAME, args.quick, p | {
        "throughput": "in this process; each case called once (warm-up, compilation included: "
                      "first_call_s) then `repeats` times; draw_points_per_s = draws * points / median_s. "
                      "bp.predict also computes means, variances, y draws, quantiles and HDIs; network_draws "
                      "and the hand-written function compute the network output f only",
        "rss": "fresh subprocess, run before anything else: SVI fit with `draws` draws, then "
               "bp.predict(keep_samples=False) on `points` inputs; peak RSS of the whole process (fit "
               "included) from resource.getrusage ru_maxrss (Linux carries it over execve from the parent) "
               "and from /proc/self/status VmHWM (this process alone)",
    })
    data["units"] = {"draw_points_per_s": "draws*points/s", "median_s": "s", "min_s": "s",
                     "first_call_s": "s", "times_s": "s", "peak_rss_*_mib": "MiB", "predict_wall_s": "s",
                     "max_abs_diff_f_predict_vs_hand": "1"}
    data["results"] = {"throughput": tp, "peak_rss": rss}
    targets = {"bp.predict / hand >= 0.8": tp["ratio_predict_over_hand"] >= 0.8}
    C.finish(NAME, args, data, targets)


if __name__ == "__main__":
    main()
