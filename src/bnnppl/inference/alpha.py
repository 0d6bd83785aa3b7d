"""``AlphaELBO``: the black-box alpha objective, per data point, with minibatches.

Black-box alpha (Hernandez-Lobato et al. 2016) in the reparameterised form of Li & Gal (2017),
as Depeweg et al. (2018) train BNNs with latent inputs. With ``K = num_particles`` joint draws
``(W_k, z_k) ~ q`` (``W``: the sites outside the data plate, ``z``: those inside it) and a
minibatch ``B`` of the ``N`` rows, the loss is

    mean_k [log q(W_k) - log p(W_k)]
    - (N / |B|) sum_{n in B} (1/alpha) log mean_k exp(alpha * l_nk),
    l_nk = log p(y_n | W_k, z_nk) + log p(z_nk) - log q(z_nk).

As ``alpha -> 0`` it tends to the ELBO (``Trace_ELBO`` with the same draws); with ``K = 1`` it is
the ELBO for any ``alpha``. Unlike NumPyro's ``RenyiELBO``, which applies the power to the whole
joint and so refuses minibatches when sites lie outside the data plate, the power here is taken
point by point, which is what makes minibatches unbiased in the sum over points.

>>> import jax, jax.numpy as jnp, numpyro, numpyro.distributions as dist, optax
>>> from numpyro.infer import SVI
>>> from numpyro.infer.autoguide import AutoNormal
>>> def model(y=None):
...     mu = numpyro.sample("mu", dist.Normal(0.0, 1.0))
...     with numpyro.plate("data", 100, subsample_size=20) as rows:
...         numpyro.sample("obs", dist.Normal(mu, 1.0), obs=None if y is None else y[rows])
>>> y = jnp.full(100, 2.0)
>>> svi = SVI(model, AutoNormal(model), optax.adam(0.05), AlphaELBO(alpha=0.5, num_particles=4))
>>> result = svi.run(jax.random.key(0), 1000, y, progress_bar=False)
>>> round(float(result.params["mu_auto_loc"]), 1)
2.0
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
from jax import random
from jax.scipy.special import logsumexp
from numpyro.handlers import seed
from numpyro.infer.elbo import ELBO
from numpyro.infer.util import get_importance_trace
from numpyro.util import _validate_model, check_model_guide_match

from bnnppl._checks import check_count, check_number
from bnnppl.model.sites import DATA_PLATE

_PLATE_STREAM = 0x5EED_A1FA  # fold_in constant: the minibatch key, apart from the particles' keys


class AlphaELBO(ELBO):
    """The per-point black-box alpha objective (see the module docstring) as a NumPyro ``ELBO``.

    ``alpha``: the divergence order, any finite number but 0 (0 is the ELBO: use ``Trace_ELBO``);
    Depeweg et al. use 0.5. ``num_particles``: the ``K`` joint draws per step (all on the same
    minibatch). ``plate``: the name of the data plate, whose sites are per point. Sites outside it
    (weights, noise scale) are global. The guide must factorise into global and per-point parts
    (``AutoNormal`` does; a joint guide such as ``AutoLowRankMultivariateNormal`` over per-point
    sites does not). Mutable state (``numpyro.mutable``) is not supported.
    """

    def __init__(self, alpha: float = 0.5, num_particles: int = 10, *, plate: str = DATA_PLATE) -> None:
        alpha = check_number("alpha", alpha)
        if alpha == 0:
            raise ValueError("alpha: must not be 0 (alpha -> 0 is the ELBO: use Trace_ELBO), got 0.")
        self.alpha = alpha
        self.plate = plate
        super().__init__(num_particles=check_count("num_particles", num_particles))

    def loss_with_mutable_state(
        self, rng_key: jax.Array, param_map: dict, model: Any, guide: Any, *args: Any, **kwargs: Any
    ) -> dict[str, Any]:
        # one minibatch for all particles: plates draw from their own key, samples from the particle's
        plate_key = random.fold_in(rng_key, _PLATE_STREAM)
        hide = ["sample", "prng_key", "control_flow"]
        model = seed(model, plate_key, hide_types=hide)
        guide = seed(guide, plate_key, hide_types=hide)

        def particle(key: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
            model_key, guide_key = random.split(key)  # as Trace_ELBO: the same key, the same draws
            model_trace, guide_trace = get_importance_trace(
                seed(model, model_key), seed(guide, guide_key), args, kwargs, param_map
            )
            check_model_guide_match(model_trace, guide_trace)
            _validate_model(model_trace, plate_warning="loose")
            return self._split(model_trace, guide_trace)

        keys = rng_key[None] if self.num_particles == 1 else random.split(rng_key, self.num_particles)
        glob, local, scale = self.vectorize_particles_fn(particle, keys)
        per_point = (logsumexp(self.alpha * local, axis=0) - math.log(self.num_particles)) / self.alpha
        elbo = glob.mean() + scale[0] * per_point.sum()
        return {"loss": -elbo, "mutable_state": None}

    def _split(self, model_trace: dict, guide_trace: dict) -> tuple[jax.Array, jax.Array, jax.Array]:
        """``(global, local, scale)`` of one particle: ``log p - log q`` summed over the global
        sites; per row of the minibatch over the plate's sites, unscaled; and ``N / |B|``."""
        site = model_trace.get(self.plate)
        if site is None or site["type"] != "plate":
            raise ValueError(
                f"AlphaELBO: the model has no plate {self.plate!r}; put the per-point sites (the "
                "observations) in it, or pass plate= the name of the model's data plate."
            )
        size, subsample = site["args"]
        rows = size if subsample is None else subsample
        scale = size / rows
        local_latent = any(
            s["type"] == "sample" and not s["is_observed"] and _frame(s, self.plate) is not None
            for s in model_trace.values()
        )
        glob, local = jnp.zeros(()), jnp.zeros(rows)
        for sign, tr in ((1.0, model_trace), (-1.0, guide_trace)):
            for name, s in tr.items():
                if s["type"] != "sample":
                    continue
                if local_latent and s["infer"].get("is_auxiliary"):
                    raise ValueError(
                        f"AlphaELBO: the guide's site {name!r} draws the per-point latent sites jointly "
                        "with the global ones; the alpha objective needs a guide that factorises "
                        "over points, such as AutoNormal (bnnppl: guide='normal')."
                    )
                frame = _frame(s, self.plate)
                if frame is None:
                    glob = glob + sign * jnp.sum(s["log_prob"])
                else:
                    local = local + sign * _per_row(s["log_prob"], frame.dim, rows) / scale
        return glob, local, jnp.asarray(scale, dtype=local.dtype)


def _frame(site: dict, plate: str) -> Any:
    return next((f for f in site["cond_indep_stack"] if f.name == plate), None)


def _per_row(log_prob: jax.Array, dim: int, rows: int) -> jax.Array:
    """``log_prob`` summed over every batch axis but the plate's (axis ``dim``): shape ``(rows,)``."""
    log_prob = jnp.asarray(log_prob)
    log_prob = log_prob.reshape((1,) * max(0, -dim - log_prob.ndim) + log_prob.shape)
    per_row = jnp.moveaxis(log_prob, dim, 0).reshape(log_prob.shape[dim], -1).sum(-1)
    return jnp.broadcast_to(per_row, (rows,))
