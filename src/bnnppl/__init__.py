"""bnnppl: declare, fit, check and teach Bayesian neural networks on NumPyro.

>>> import bnnppl
>>> bnn = bnnppl.BNN(bnnppl.ModelSpec(network=bnnppl.MLP(hidden=(10,))))
>>> bnn.spec.likelihood
Gaussian(noise=None, noise_prior=ScalePrior(family='half_cauchy', scale=1.0, concentration=None, rate=None))
"""

import importlib as _importlib

from bnnppl._jaxconfig import enable_compilation_cache as _enable_compilation_cache
from bnnppl.inference import fit
from bnnppl.model import BNN
from bnnppl.results import Posterior, Predictions, compare, load
from bnnppl.spec import (
    HMC,
    MCLMC,
    MLP,
    NUTS,
    SGHMC,
    SGLD,
    SMC,
    SVI,
    Bernoulli,
    Categorical,
    Gaussian,
    HeteroscedasticGaussian,
    Langevin,
    LatentInput,
    ModelSpec,
    Poisson,
    Prior,
    ScalePrior,
    StudentT,
    likelihood_from_dict,
    method_from_dict,
)

# The old module path bnnppl.predict (``from bnnppl.predict import log_likelihood``) is loaded
# before the function takes the name, so that importing it later cannot replace the function.
_importlib.import_module("bnnppl.predict")
from bnnppl.results import predict  # noqa: E402

__version__ = "0.1.0"

_enable_compilation_cache()  # see bnnppl._jaxconfig: compiled programs reused across processes

__all__ = [
    "BNN",
    "Bernoulli",
    "Categorical",
    "Gaussian",
    "HMC",
    "HeteroscedasticGaussian",
    "Langevin",
    "LatentInput",
    "MCLMC",
    "MLP",
    "ModelSpec",
    "NUTS",
    "Poisson",
    "Posterior",
    "Predictions",
    "Prior",
    "SGHMC",
    "SGLD",
    "SMC",
    "SVI",
    "ScalePrior",
    "StudentT",
    "__version__",
    "compare",
    "fit",
    "likelihood_from_dict",
    "load",
    "method_from_dict",
    "predict",
]
