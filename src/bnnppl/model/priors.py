"""Prior specs -> NumPyro's prior forms for module parameters.

``random_flax_module`` takes one distribution, a dict keyed by parameter path, or a callable
``(path, shape) -> distribution``. ``to_numpyro`` turns a ``Prior`` (plus per-layer overrides and
deterministic layers) into the dict form for a module's parameter shapes; parameters left out of
the dict stay ``numpyro.param`` point estimates, which is how deterministic layers work.

>>> import numpyro
>>> from bnnppl.spec import Prior
>>> shapes = {"Dense_0.kernel": (4, 50), "Dense_0.bias": (50,),
...           "Dense_1.kernel": (50, 1), "Dense_1.bias": (1,)}
>>> form = to_numpyro(Prior(scale=1.0, fan_in="lecun"), shapes, deterministic=("Dense_0",))
>>> sorted(form)
['Dense_1.bias', 'Dense_1.kernel']
>>> float(form["Dense_1.kernel"].scale)  # 1 / sqrt(50)
0.1414...
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jax
import numpyro
import numpyro.distributions as dist
from numpyro.distributions.transforms import PowerTransform

from bnnppl.spec.model import covers
from bnnppl.spec.priors import Prior, ScalePrior


def scale_distribution(spec: ScalePrior) -> dist.Distribution:
    """The distribution of a positive scale (see ``ScalePrior``); its samples are the scale.

    >>> scale_distribution(ScalePrior(family="half_normal", scale=2.0))
    <numpyro.distributions.continuous.HalfNormal object at ...>
    """
    if spec.family == "half_cauchy":
        return dist.HalfCauchy(spec.scale)
    if spec.family == "half_normal":
        return dist.HalfNormal(spec.scale)
    # precision ~ Gamma(a, b) <=> variance ~ InverseGamma(a, b); the site holds precision**-0.5
    return dist.TransformedDistribution(dist.Gamma(spec.concentration, spec.rate), PowerTransform(-0.5))


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a kernel: ``shape[-2]`` / ``shape[-1]`` times the receptive field.

    >>> fans((3, 3, 16, 32))
    (144, 288)
    """
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def fan_factor(rule: str | None, shape: tuple[int, ...], *, first_layer: bool) -> float:
    """The factor a fan-in ``rule`` puts on the prior scale of a parameter of this ``shape``.

    Biases and other parameters of fewer than two dimensions get 1.

    >>> fan_factor("he", (50, 10), first_layer=False) == math.sqrt(2 / 50)
    True
    """
    if rule is None or len(shape) < 2:
        return 1.0
    n_in, n_out = fans(shape)
    if rule == "lecun":
        return 1 / math.sqrt(n_in)
    if rule == "he":
        return math.sqrt(2 / n_in)
    if rule == "glorot":
        return math.sqrt(2 / (n_in + n_out))
    if rule == "neal":
        return 1.0 if first_layer else 1 / math.sqrt(n_in)
    raise ValueError(f"fan_in: unknown rule {rule!r}")  # unreachable: Prior validates the rule


def weight_distribution(spec: Prior, scale: float | jax.Array) -> dist.Distribution:
    """``spec.family`` with ``spec.loc`` and the given (already scaled) ``scale``.

    >>> weight_distribution(Prior(family="student_t", df=3.0), 0.5).df
    3.0
    """
    if spec.family == "normal":
        return dist.Normal(spec.loc, scale)
    if spec.family == "laplace":
        return dist.Laplace(spec.loc, scale)
    return dist.StudentT(spec.df, spec.loc, scale)


def layer_of(path: str) -> str:
    """The layer that owns parameter ``path``.

    >>> layer_of("Block_0.Dense_1.kernel")
    'Block_0.Dense_1'
    """
    return path.rpartition(".")[0] or path


def resolve(
    prior: Prior, paths: Iterable[str], layer_priors: Mapping[str, Prior] | Iterable = ()
) -> dict[str, Prior]:
    """Which ``Prior`` each parameter gets: the most specific ``layer_priors`` key, else ``prior``.

    >>> chosen = resolve(Prior(), ["a.kernel", "a.bias"], {"a": Prior(scale=2.0), "a.bias": Prior(scale=3.0)})
    >>> [p.scale for p in chosen.values()]
    [2.0, 3.0]
    """
    overrides = dict(layer_priors)
    out = {}
    for path in paths:
        keys = [k for k in overrides if covers(k, path)]
        out[path] = overrides[max(keys, key=len)] if keys else prior
    return out


def to_numpyro(
    prior: Prior,
    shapes: Mapping[str, tuple[int, ...]],
    *,
    layer_priors: Mapping[str, Prior] | Iterable = (),
    deterministic: Iterable[str] = (),
    scale_site: Callable[[str], str] = lambda layer: f"prior_scale.{layer}",
) -> dict[str, dist.Distribution]:
    """The dict prior form for parameters ``shapes`` (path -> shape, in layer order).

    Learned scales are sampled here, one site ``scale_site(layer)`` per layer, so call this
    inside a model. Paths covered by ``deterministic`` are left out (they stay point estimates).
    """
    deterministic = tuple(deterministic)
    kernels = [p for p, s in shapes.items() if len(s) >= 2]
    first = layer_of(kernels[0]) if kernels else None
    chosen = resolve(prior, shapes, layer_priors)
    learned: dict[str, tuple[ScalePrior, jax.Array]] = {}
    form = {}
    for path, shape in shapes.items():
        if any(covers(name, path) for name in deterministic):
            continue
        spec = chosen[path]
        layer = layer_of(path)
        scale = spec.scale * fan_factor(spec.fan_in, shape, first_layer=layer == first)
        if spec.learned_scale is not None:
            if layer not in learned:
                site = scale_site(layer)
                learned[layer] = (
                    spec.learned_scale,
                    numpyro.sample(site, scale_distribution(spec.learned_scale)),
                )
            elif learned[layer][0] != spec.learned_scale:
                raise ValueError(
                    f"layer_priors: the parameters of layer {layer!r} ask for different learned "
                    "scales; give one learned_scale to the whole layer."
                )
            scale = scale * learned[layer][1]
        form[path] = weight_distribution(spec, scale)
    return form


def check_form(prior: Any, *, has_layer_choices: bool) -> None:
    """``prior`` must be a ``Prior`` spec or one of NumPyro's forms; per-layer choices
    (``layer_priors``, ``deterministic``) need the spec."""
    is_spec = isinstance(prior, Prior)
    if not is_spec and not (isinstance(prior, dist.Distribution | Mapping) or callable(prior)):
        raise TypeError(
            "prior: must be a bnnppl.Prior, a NumPyro distribution, a dict of them keyed by "
            f"parameter path, or a callable (path, shape) -> distribution; got {prior!r}."
        )
    if not is_spec and has_layer_choices:
        raise ValueError(
            "prior: layer_priors and deterministic need prior to be a bnnppl.Prior; with a "
            "NumPyro prior form, say it in the form itself (a dict prior leaves out the "
            "parameters that stay point estimates)."
        )
