"""The benchmark's settings: its default model and methods, a bench config's replacements, and the
``--splits`` argument. Everything here is checked before any fitting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bnnppl._checks import check_choice
from bnnppl.runs.config import ConfigError, parse_numbers, read_yaml
from bnnppl.spec.likelihoods import Gaussian
from bnnppl.spec.methods import MCLMC, NUTS, SVI, Method, method_from_dict
from bnnppl.spec.model import ModelSpec
from bnnppl.spec.network import MLP
from bnnppl.spec.priors import Prior, ScalePrior

NOISE_PRIOR = ScalePrior(family="gamma_precision", concentration=1.0, rate=0.01)


def default_model(n_hidden: int) -> ModelSpec:
    """The benchmark's model: ``n_hidden`` ReLU units, Normal(0, 1) priors with fan-in (LeCun)
    scaling, and a Gamma(1, 0.01) prior on the noise *precision* of the standardised target.

    That noise prior (an exponential law with mean 100, i.e. noise sd around 0.1 or more) keeps
    the noise away from zero: with HalfNormal(1), NUTS found nets that interpolate the 277 Yacht
    training points with noise sd 0.001 of the target's sd and a test log-likelihood of -66.
    PBP's Gamma(6, 6) goes too far the other way (noise sd 3x too large on Yacht, log-likelihood
    -2.27 against 0.03)."""
    return ModelSpec(
        network=MLP(hidden=(n_hidden,), activation="relu"),
        prior=Prior(scale=1.0, fan_in="lecun"),
        likelihood=Gaussian(noise_prior=NOISE_PRIOR),
    )


# NUTS: 2000 draws per split, 6 to 21 min per data set on 2 cores; SVI: the guide starts at a
# MAP fit (from NumPyro's uniform start every variant tried underfit). docs/benchmarks.md has
# the measurements behind both.
DEFAULT_METHODS: dict[str, Method] = {
    "nuts": NUTS(
        chains=2,
        warmup=1000,
        samples=1000,
        max_tree_depth=8,
        init="map",
        init_steps=2000,
        target_accept=0.9,
    ),
    "mclmc": MCLMC(chains=8, warmup=1000, samples=1000, init="ensemble", init_steps=5000),
    "svi": SVI(
        steps=20_000,
        learning_rate=0.01,
        schedule="cosine",
        init_scale=0.01,
        draws=1000,
        init="map",
        init_steps=2000,
    ),
}


def settings(
    n_hidden: int, method: str | None = None, config: Path | str | None = None
) -> tuple[ModelSpec, Method]:
    """The model and method of a run: the defaults, with a YAML ``config``'s ``model:`` keys
    (``network``, ``prior``, ``likelihood``, ...) replacing the default ones (a ``network``
    without ``hidden`` keeps ``n_hidden``) and its ``inference:`` section replacing the method."""
    model: dict[str, Any] = default_model(n_hidden).to_dict()
    raw: dict[str, Any] = {}
    if config is not None:
        raw = read_yaml(config) or {}
        if not isinstance(raw, dict):
            raise ConfigError(f"{config}: must hold a mapping with model and/or inference; got {raw!r}.")
        extra = sorted(set(raw) - {"model", "inference"})
        if extra:
            raise ConfigError(
                f"{config}: unknown key {extra[0]!r}; a bench config has 'model' and 'inference'."
            )
    try:
        given = dict(raw.get("model") or {})
        if isinstance(given.get("network"), dict):
            given["network"] = {"hidden": [n_hidden], **given["network"]}
        spec = ModelSpec.from_dict({**model, **given}, "model")
        if "inference" in raw:
            chosen = method_from_dict(raw["inference"], "inference")
        else:
            check_choice("--method", method or "nuts", DEFAULT_METHODS, "method")
            chosen = DEFAULT_METHODS[method or "nuts"]
    except (ValueError, TypeError) as err:
        raise ConfigError(f"{config}: {err}" if config else str(err)) from None
    name = chosen.to_dict()["method"]
    if method is not None and name != method:
        raise ConfigError(f"--method {method}: the config {config} sets inference.method {name!r}; drop one.")
    return spec, chosen


def parse_splits(text: str | None, n_splits: int, name: str) -> list[int]:
    """``"0"``, ``"0-4"``, ``"0,3,5-7"`` or ``None`` (every split) as a sorted list, each < n_splits.

    >>> parse_splits("0,3,5-7", 20, "yacht"), parse_splits(None, 3, "yacht")
    ([0, 3, 5, 6, 7], [0, 1, 2])
    >>> parse_splits("19-20", 20, "yacht")
    Traceback (most recent call last):
    ...
    bnnppl.runs.errors.ConfigError: --splits '19-20': yacht has splits 0-19, not 20.
    """
    if text is None:
        return list(range(n_splits))
    out = parse_numbers(text, "--splits", "split numbers")
    bad = [k for k in out if k >= n_splits]
    if bad:
        raise ConfigError(f"--splits {text!r}: {name} has splits 0-{n_splits - 1}, not {bad[0]}.")
    return out
