"""SVI with automatic guides, run as compiled chunks of steps (``lax.scan``), never a host sync per step."""

from __future__ import annotations

import functools
from typing import Any

import jax
import numpy as np
import numpyro
import optax
from numpyro import handlers
from numpyro.contrib.module import ParamShape
from numpyro.distributions import biject_to, constraints
from numpyro.infer import Predictive, RenyiELBO, Trace_ELBO, TraceMeanField_ELBO, init_to_value
from numpyro.infer.autoguide import AutoDelta, AutoLowRankMultivariateNormal, AutoNormal
from tqdm.auto import tqdm

from bnnppl import _programs
from bnnppl.inference.alpha import AlphaELBO
from bnnppl.inference.svi_init import _traced_init, init_svi  # noqa: F401  (init_svi re-exported)
from bnnppl.model.bnn import BNN
from bnnppl.model.networks import flatten
from bnnppl.model.sites import NET_PARAMS
from bnnppl.spec.methods import SVI


def make_guide(method: SVI, model: Any, init: dict | None = None) -> Any:
    """The guide ``method.guide`` names; with ``init`` (site -> value) it starts there."""
    where = {} if init is None else {"init_loc_fn": init_to_value(values=init)}
    if method.guide == "normal":
        return AutoNormal(model, init_scale=method.init_scale, **where)
    if method.guide == "low_rank":
        return AutoLowRankMultivariateNormal(model, init_scale=method.init_scale, rank=method.rank, **where)
    return AutoDelta(model, **where)


def make_optimizer(method: SVI) -> optax.GradientTransformation:
    """The optax optimizer (with its schedule), after element-wise clipping when ``clip`` is set."""
    rate: float | optax.Schedule = method.learning_rate
    if method.schedule == "cosine":
        rate = optax.cosine_decay_schedule(method.learning_rate, method.steps, alpha=0.01)
    opt = getattr(optax, method.optimizer)(rate)
    return optax.chain(optax.clip(method.clip), opt) if method.clip is not None else opt


def make_elbo(method: SVI) -> Any:
    """The NumPyro objective ``method.elbo`` names (``"alpha"``: bnnppl's ``AlphaELBO``)."""
    if method.elbo == "alpha":
        return AlphaELBO(alpha=method.alpha, num_particles=method.num_particles)
    if method.elbo == "renyi":
        return RenyiELBO(alpha=method.alpha, num_particles=method.num_particles)
    if method.elbo == "mean_field":
        return TraceMeanField_ELBO(num_particles=method.num_particles)
    return Trace_ELBO(num_particles=method.num_particles)


def latent_sites(guide: Any) -> list[str]:
    """Names of the model's latent (unobserved) sample sites, from the fitted guide's prototype
    trace (no new eager trace of the model: that would compile dozens of one-op programs)."""
    trace = guide.prototype_trace
    return [k for k, s in trace.items() if s["type"] == "sample" and not s["is_observed"]]


def fixed_values(params: dict) -> dict[str, np.ndarray]:
    """Point-estimate module parameters (deterministic layers) from SVI params, by path."""
    tree = params.get(NET_PARAMS, {})
    return {k: np.asarray(v) for k, v in flatten(tree).items() if not isinstance(v, ParamShape)}


def run_steps(
    svi: numpyro.infer.SVI,
    state: Any,
    steps: int,
    chunk: int,
    args: tuple,
    progress: bool,
    run_chunk: Any = None,
) -> tuple[Any, np.ndarray]:
    """``steps`` SVI updates in jitted chunks of ``chunk`` steps; returns the state and the losses.
    ``run_chunk``: a compiled ``(state, length, *args) -> (state, losses)`` to reuse (``_chunks``)."""
    run_chunk = _chunks(svi) if run_chunk is None else run_chunk
    losses = []
    with tqdm(total=steps, disable=not progress, desc="SVI", unit="step") as bar:
        done = 0
        while done < steps:
            length = min(chunk, steps - done)
            state, chunk_losses = run_chunk(state, length, *args)
            chunk_losses = np.asarray(chunk_losses)  # one host sync per chunk
            losses.append(chunk_losses)
            done += length
            bar.update(length)
            bar.set_postfix(loss=f"{chunk_losses.mean():.4g}")
    return state, np.concatenate(losses)


def _chunks(svi: numpyro.infer.SVI) -> Any:
    """The compiled chunk of ``length`` steps (``lax.scan`` of ``svi.update``)."""

    @functools.partial(jax.jit, static_argnums=1)
    def run_chunk(state, length, *args):
        return jax.lax.scan(lambda s, _: svi.update(s, *args), state, None, length=length)

    return run_chunk


class _Program:
    """One (model, method, data shapes)'s guide, SVI and compiled functions, reused by every fit
    that brings the same again: the data, the deterministic layers' values (``subs``) and the
    guide's start (``starts``) are arguments, never constants."""

    def __init__(self, bnn: BNN, method: SVI, has_fixed: bool, has_start: bool) -> None:
        starts: dict = {}  # filled inside the traced init: the guide's init_to_value reads it
        model = _model(bnn, method, has_fixed)

        def make() -> tuple[Any, numpyro.infer.SVI]:
            guide = make_guide(method, model, starts if has_start else None)
            return guide, numpyro.infer.SVI(model, guide, make_optimizer(method), make_elbo(method))

        def before(x, y, subs, start):
            starts.clear()
            starts.update(start)
            return x, y, subs

        self.make, self.before = make, before
        self.guide = self.svi = self.compiled_init = self.run_chunk = None

    def init(self, key: jax.Array, args: tuple) -> Any:
        """The SVI state for ``args = (x, y, subs, start)``."""
        if self.compiled_init is not None:
            return self.compiled_init(key, *args)[0]
        self.guide, self.svi, state, self.compiled_init = _traced_init(self.make, key, args, self.before)
        self.run_chunk = _chunks(self.svi)
        return state


def _model(bnn: BNN, method: SVI, has_fixed: bool) -> Any:
    """``bnn.model`` as ``model(x, y, subs)``: ``subs`` sets the deterministic layers, hidden from
    SVI when ``has_fixed`` (they stay fixed); minibatches when ``method.subsample_size`` is set."""

    def model(x, y, subs):
        inner = functools.partial(bnn.model, subsample_size=method.subsample_size)
        inner = handlers.substitute(inner, data=subs)
        if has_fixed:
            inner = handlers.block(inner, hide=[NET_PARAMS])
        return inner(x, y)

    return model


def run_svi(
    bnn: BNN,
    x: np.ndarray,
    y: np.ndarray,
    method: SVI,
    key: jax.Array,
    progress: bool,
    fixed: dict | None = None,
    init: dict | None = None,
) -> tuple[Any, dict, np.ndarray]:
    """Fit the guide; returns ``(guide, params, losses)``. With ``fixed`` (parameter path ->
    value) the deterministic layers are set to it and hidden from SVI, so they stay fixed; with
    ``init`` (site -> value) the guide starts there. The guide, its SVI and their compiled
    functions come from ``bnnppl._programs``: built once per model, method and data shapes."""
    subs = bnn.fixed_substitutions(fixed or {}, x.shape[1])
    args = (x, y, subs, dict(init or {}))
    shapes = _programs.signature(args)
    program = _programs.get(
        (bnn.cache_key, method, "svi", shapes), lambda: _Program(bnn, method, bool(fixed), init is not None)
    )
    if program.compiled_init is None and program.svi is not None:  # eager fallback: nothing reused
        program = _Program(bnn, method, bool(fixed), init is not None)
    state = program.init(key, args)
    state, losses = run_steps(
        program.svi, state, method.steps, method.chunk, args[:3], progress, program.run_chunk
    )
    return program.guide, program.svi.get_params(state), losses


def fit_svi(
    bnn: BNN, x: np.ndarray, y: np.ndarray, method: SVI, seed: int, progress: bool
) -> tuple[dict, dict, dict]:
    """``(samples, stats, fixed)``: guide draws as one chain, the losses, deterministic layers."""
    key_fit, key_draw = jax.random.split(jax.random.key(seed))
    pretrained = start = None
    if method.point_layers == "pretrained" and bnn.point_paths(x.shape[1]):
        key_pre, key_fit = jax.random.split(key_fit)
        # the guide starts where the MAP fit left the Bayesian layers: a default start (uniform
        # in (-2, 2)) can put, say, a log noise scale at +-10 on top of the frozen features
        start, pretrained = point_fit(bnn, x, y, "delta", method.pretrain_steps, key_pre)
    elif method.init == "map":
        key_pre, key_fit = jax.random.split(key_fit)
        start, _ = point_fit(bnn, x, y, "delta", method.init_steps, key_pre)
    guide, params, losses = run_svi(bnn, x, y, method, key_fit, progress, fixed=pretrained, init=start)
    fixed = pretrained if pretrained is not None else fixed_values(params)
    names = latent_sites(guide)
    if isinstance(guide, AutoNormal):
        draws = normal_draws(guide, params, key_draw, method.draws)
    else:
        draws = _guide_draws(guide, method.draws, names)(key_draw, params, x, y)
    samples = {k: np.asarray(draws[k])[None] for k in names}
    return samples, {"loss": losses}, fixed


def _guide_draws(guide: Any, draws: int, names: list[str]) -> Any:
    """A compiled ``(key, params, x, y) -> draws`` of a fitted guide's latent sites, kept beside
    the guide's other programs (the guide is part of the key: it comes from ``_programs`` too)."""

    def build():
        def run(key, params, x, y):
            subs = {}  # the guide samples its own sites; the model's layers play no part
            return Predictive(guide, params=params, num_samples=draws, return_sites=names)(key, x, y, subs)

        return jax.jit(run)

    return _programs.get((guide, "draws", draws, tuple(names)), build)


def normal_draws(guide: AutoNormal, params: dict, key: jax.Array, draws: int) -> dict[str, np.ndarray]:
    """``draws`` draws of a fitted ``AutoNormal``'s latent sites, made on the host.

    Each site is ``loc + scale * z`` (``z`` standard normal, from a NumPy generator seeded by
    ``key``) mapped into the site's support, exactly the guide's distribution; unlike
    ``Predictive`` it compiles nothing (a second or more of a small fit's time).
    """
    rng = np.random.default_rng(np.asarray(jax.random.key_data(key)).ravel().tolist())
    out = {}
    for name in latent_sites(guide):
        loc = np.asarray(params[f"{name}_{guide.prefix}_loc"])
        scale = np.asarray(params[f"{name}_{guide.prefix}_scale"])
        z = loc + scale * rng.standard_normal((draws, *loc.shape), dtype=loc.dtype)
        support = guide.prototype_trace[name]["fn"].support
        out[name] = z if support is constraints.real else np.asarray(biject_to(support)(z))
    return out


def point_fit(
    bnn: BNN, x: np.ndarray, y: np.ndarray, guide: str, steps: int, key: jax.Array
) -> tuple[dict, dict]:
    """A short SVI fit (``"delta"``: MAP; ``"normal"``: AutoNormal) for initialising MCMC.

    Returns ``(locations, fixed)``: the latent sites' point values and the deterministic layers.
    """
    method = SVI(guide=guide, steps=steps, learning_rate=0.01, draws=1, chunk=min(steps, 1000))
    fitted, params, _ = run_svi(bnn, x, y, method, key, progress=False)
    return fitted.median(params), fixed_values(params)
