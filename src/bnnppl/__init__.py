"""bnnppl: declare, fit, check and teach Bayesian neural networks on NumPyro.

>>> import bnnppl
>>> bnn = bnnppl.BNN(bnnppl.ModelSpec(network=bnnppl.MLP(hidden=(10,))))
>>> bnn.spec.likelihood
Gaussian(noise=None, noise_prior=ScalePrior(family='half_cauchy', scale=1.0, concentration=None, rate=None))
"""

from bnnppl._jaxconfig import enable_compilation_cache as _enable_compilation_cache
from bnnppl.inference import HMC, NUTS, SGHMC, SGLD, SMC, SVI, Langevin, fit, method_from_dict
from bnnppl.model import BNN
from bnnppl.posterior import Posterior, compare, load
from bnnppl.predict import Predictions, predict
from bnnppl.spec import (
    MLP,
    Bernoulli,
    Categorical,
    Gaussian,
    HeteroscedasticGaussian,
    LatentInput,
    ModelSpec,
    Poisson,
    Prior,
    ScalePrior,
    StudentT,
    likelihood_from_dict,
)

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
