"""Plain-data specs: everything a BNN and its fit are declared with, before any JAX.

This package owns the spec machinery (``base``: dict round trips, config-path errors), the network
(``network``), the priors (``priors``), the likelihoods (``likelihoods``), the whole model
(``model``) and the inference method configs (``methods``, ``sampler_methods``). Specs are frozen,
keyword-only dataclasses of strings, numbers and tuples, validated when they are made;
distributions and activations are named by string. It imports nothing of bnnppl but its own
modules and the private helpers (``bnnppl._checks``), and no JAX: ``bnnppl.model`` turns specs into
a NumPyro model, ``bnnppl.inference`` runs the methods. Every spec round-trips through a plain dict
(and so YAML):

>>> spec = ModelSpec(network=MLP(hidden=(10,), activation="tanh"),
...                  prior=Prior(family="normal", scale=1.0),
...                  likelihood=Gaussian(noise_prior=ScalePrior(family="half_cauchy", scale=0.5)))
>>> ModelSpec.from_dict(spec.to_dict()) == spec
True
>>> Prior(family="normal", scale=-1.0)
Traceback (most recent call last):
...
ValueError: Prior.scale: must be > 0, got -1.0.
"""

from bnnppl.spec.base import Spec, rebased
from bnnppl.spec.likelihoods import (
    BERNOULLI_LINKS,
    LIKELIHOODS,
    Bernoulli,
    Categorical,
    Gaussian,
    HeteroscedasticGaussian,
    Likelihood,
    LikelihoodSpec,
    Poisson,
    StudentT,
    likelihood_from_dict,
)
from bnnppl.spec.methods import (
    HMC,
    MCLMC,
    METHODS,
    NUTS,
    SGHMC,
    SGLD,
    SMC,
    SVI,
    Langevin,
    Method,
    method_from_dict,
)
from bnnppl.spec.model import ModelSpec, as_layer_priors, check_deterministic, check_layer_names, covers
from bnnppl.spec.network import ACTIVATIONS, MLP, NETWORK_TYPES, LatentInput
from bnnppl.spec.priors import FAN_IN_RULES, PRIOR_FAMILIES, SCALE_PRIOR_FAMILIES, Prior, ScalePrior

__all__ = [
    "ACTIVATIONS",
    "BERNOULLI_LINKS",
    "FAN_IN_RULES",
    "HMC",
    "LIKELIHOODS",
    "MCLMC",
    "METHODS",
    "MLP",
    "NETWORK_TYPES",
    "NUTS",
    "PRIOR_FAMILIES",
    "SCALE_PRIOR_FAMILIES",
    "SGHMC",
    "SGLD",
    "SMC",
    "SVI",
    "Bernoulli",
    "Categorical",
    "Gaussian",
    "HeteroscedasticGaussian",
    "LatentInput",
    "Langevin",
    "Likelihood",
    "LikelihoodSpec",
    "Method",
    "ModelSpec",
    "Poisson",
    "Prior",
    "ScalePrior",
    "Spec",
    "StudentT",
    "as_layer_priors",
    "check_deterministic",
    "check_layer_names",
    "covers",
    "likelihood_from_dict",
    "method_from_dict",
    "rebased",
]
