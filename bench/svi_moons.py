"""SVI on the PyMC ADVI tutorial's two-moons net: bnnppl ``fit`` against plain NumPyro.

1000 points (noise 0.2, standardised), the first half for training; a 2 -> 5 -> 5 -> 1 tanh net
without biases (as in the tutorial), Normal(0, 1) weights, Bernoulli on the logits; AutoNormal,
Adam(0.01). Every measurement runs in a fresh subprocess; cold ones have the persistent
compilation cache disabled (JAX_COMPILATION_CACHE_DIR unset), the warm one reuses a cache folder.

    python bench/svi_moons.py [--quick]
"""

import numpyro

numpyro.set_host_device_count(2)


import _common as C  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import numpyro.distributions as dist  # noqa: E402
from flax import linen as nn  # noqa: E402
from numpyro.contrib.module import random_flax_module  # noqa: E402

NAME = "svi_moons"
FULL = {"n": 1000, "steps": 50_000, "learning_rate": 0.01, "chunks": [1, 500], "tail": 1000, "repeats": 3}
QUICK = {"n": 1000, "steps": 2_000, "learning_rate": 0.01, "chunks": [500], "tail": 200, "repeats": 1}


class Net(nn.Module):
    @nn.compact
    def __call__(self, x):
        x = jnp.tanh(nn.Dense(5, use_bias=False)(x))
        x = jnp.tanh(nn.Dense(5, use_bias=False)(x))
        return nn.Dense(1, use_bias=False)(x)


def plain_model(x, y=None):
    net = random_flax_module("net", Net(), dist.Normal(0.0, 1.0), input_shape=(1, 2))
    with numpyro.plate("data", x.shape[0]):
        numpyro.sample("obs", dist.Bernoulli(logits=net(x).squeeze(-1)), obs=y)


def plain_svi():
    from numpyro.infer import SVI, Trace_ELBO
    from numpyro.infer.autoguide import AutoNormal

    return SVI(plain_model, AutoNormal(plain_model), numpyro.optim.Adam(0.01), Trace_ELBO())


def data(n: int):
    from bnnppl.datasets import two_moons

    x, y = two_moons(n=n, noise=0.2, scaled=True, seed=0)
    half = n // 2
    return x[:half], y[:half].astype(np.float32)


def bnn_and_method(p: dict, **kw):
    import bnnppl as bp

    spec = bp.ModelSpec(
        network=bp.MLP(hidden=(5, 5), activation="tanh", bias=False),
        prior=bp.Prior(family="normal", scale=1.0),
        likelihood=bp.Bernoulli(link="logit"),
    )
    return bp.BNN(spec), bp.SVI(**({"steps": p["steps"], "learning_rate": p["learning_rate"]} | kw))


def child(mode: str, p: dict) -> dict:
    C.CompileClock()
    jax.devices()  # start the backend before any timing
    x, y = data(p["n"])
    out: dict = {}
    key = jax.random.key(0)
    if mode == "a_bnnppl_fit":
        import bnnppl as bp

        bnn, method = bnn_and_method(p)
        with C.timed(out, "wall_s", "compile_s"):
            post = bp.fit(bnn, x, y, method, seed=0, progress=False)
        losses = post.stats["loss"]
        out["posterior_seconds"] = post.seconds
    elif mode == "b_plain_run":
        svi = plain_svi()
        with C.timed(out, "wall_s", "compile_s"):
            res = svi.run(key, p["steps"], x, y, progress_bar=False)
            jax.block_until_ready(res.params)
        losses = np.asarray(res.losses)
    elif mode == "c_plain_loop":
        svi = plain_svi()
        xj, yj = jnp.asarray(x), jnp.asarray(y)
        with C.timed(out, "wall_s", "compile_s"):
            state = svi.init(key, xj, yj)
            update = jax.jit(svi.update)
            losses = []
            for _ in range(p["steps"]):
                state, loss = update(state, xj, yj)
                losses.append(loss.item())
        losses = np.asarray(losses)
    elif mode == "first_bnnppl":  # what bp.fit runs up to the first chunk's losses on the host
        from bnnppl.inference.svi import run_svi

        bnn, method = bnn_and_method(p, steps=p["chunk"], chunk=p["chunk"])
        with C.timed(out, "first_loss_s", "compile_s"):
            xc, yc = bnn.check_data(x, y)
            key_fit, _ = jax.random.split(jax.random.key(0))
            _, _, losses = run_svi(bnn, xc, yc, method, key_fit, progress=False)
        out["first_loss"] = float(losses[0])
        return out
    elif mode == "first_plain":  # svi.init + the first jitted svi.update, loss on the host
        svi = plain_svi()
        with C.timed(out, "first_loss_s", "compile_s"):
            state = svi.init(key, x, y)
            state, loss = jax.jit(svi.update)(state, x, y)
            out["first_loss"] = loss.item()
        return out
    else:
        raise ValueError(mode)
    out["final_loss_mean"] = float(np.mean(losses[-p["tail"]:]))
    out["steps_run"] = int(len(losses))
    return out


def main() -> None:
    args = C.parse_or_run_child(__doc__, child)
    if args is None:
        return
    p = QUICK if args.quick else FULL
    # full: every measurement in a fresh subprocess; --quick: all in this process (a check only)
    run = C.runner(args.quick, __file__, child)
    jobs = [("fits", m, m, {}) for m in ("a_bnnppl_fit", "b_plain_run", "c_plain_loop")]
    jobs += [("first", f"bnnppl_chunk{c}", "first_bnnppl", {"chunk": c}) for c in p["chunks"]]
    jobs += [("first", "plain", "first_plain", {})]
    raw: dict = {"fits": {}, "first": {}}
    for _ in range(p["repeats"]):  # interleaved, so slow phases of a shared machine hit all alike
        for group, label, mode, extra in jobs:
            raw[group].setdefault(label, []).append(run(mode, p | extra))
    fits = {k: C.median_of(v) for k, v in raw["fits"].items()}
    first = {k: C.median_of(v) for k, v in raw["first"].items()}
    warm: dict = {}
    for label, mode, extra in (("fit", "a_bnnppl_fit", {}), ("first_loss", "first_bnnppl", {"chunk": 500})):
        for seed in ("random", "0"):  # NumPyro's ELBO programs depend on Python's string hash seed
            if args.quick:
                break  # needs fresh processes
            hashseed = None if seed == "random" else seed
            warm[f"{label}_hashseed_{seed}"] = C.warm_runs(run, mode, p | extra, hashseed)

    a, b, c = (fits[m]["wall_s"] for m in fits)
    fb = first[f"bnnppl_chunk{p['chunks'][-1]}"]["first_loss_s"]
    fp = first["plain"]["first_loss_s"]
    ratios = {"a_over_b": a / b, "a_over_c": a / c, "first_loss_bnnppl_over_plain": fb / fp}
    if 1 in p["chunks"]:
        ratios["first_loss_bnnppl_chunk1_over_plain"] = first["bnnppl_chunk1"]["first_loss_s"] / fp
    targets = {"a/b <= 0.5": ratios["a_over_b"] <= 0.5, "a/c <= 0.2": ratios["a_over_c"] <= 0.2,
               "first loss bnnppl/plain <= 0.3": ratios["first_loss_bnnppl_over_plain"] <= 0.3}
    rows = [(m, r["wall_s"], r["compile_s"], r["final_loss_mean"]) for m, r in fits.items()]
    print(C.table(rows, ("fit (cold, median)", "wall s", "compile s", "final loss")))
    rows = [(k, r["first_loss_s"], r["compile_s"]) for k, r in first.items()]
    key = lambda k: "wall_s" if k.startswith("fit") else "first_loss_s"  # noqa: E731
    rows += [(f"warm cache {k} ({key(k)})", v["warm_run"][key(k)], v["warm_run"]["compile_s"])
             for k, v in warm.items()]
    print(C.table(rows, ("time to first loss / warm", "s", "compile s")))
    print(C.table(list(ratios.items()), ("ratio", "value")))
    data = C.header(NAME, args.quick, p | {
        "fits": "a: bp.fit(bnn, x, y, bp.SVI(steps, learning_rate)) (default draws=1000 guide draws "
                "included); b: numpyro SVI.run(key, steps, x, y, progress_bar=False) on a hand-written "
                "random_flax_module model; c: Python loop of jax.jit(svi.update) with loss.item() every "
                "step (x, y put on the device once)",
        "first_loss": "bnnppl: bnn.check_data + bnnppl.inference.svi.run_svi with steps == chunk (the path "
                      "bp.fit takes until the first chunk's losses reach the host); plain: svi.init + the "
                      "first jitted svi.update + loss.item()",
        "persistent_compilation_cache": "cold children: disabled (JAX_COMPILATION_CACHE_DIR unset, "
                                        "BNNPPL_JAX_CACHE=off); warm: JAX_COMPILATION_CACHE_DIR = a fresh "
                                        "temp dir shared by two children (min compile time 0), the second "
                                        "reported; PYTHONHASHSEED unset (random) and fixed to 0",
        "timing": "full: each measurement in a fresh subprocess, cold ones `repeats` times interleaved, "
                  "medians reported (all runs under results.raw); --quick: all in one process (numbers not "
                  "comparable); walls include compilation; compile_s = merged spans of JAX's trace/lower/"
                  "backend-compile monitoring events",
    })
    data["units"] = {"wall_s": "s", "compile_s": "s", "first_loss_s": "s", "process_wall_s": "s",
                     "final_loss_mean": "negative ELBO (nats), mean of the last `tail` steps", "ratios": "1"}
    data["results"] = {"fits": fits, "first_loss": first, "warm_cache": warm, "raw": raw}
    data["ratios"] = ratios
    C.finish(NAME, args, data, targets)


if __name__ == "__main__":
    main()
