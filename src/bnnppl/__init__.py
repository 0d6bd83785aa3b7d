"""bnnppl: declare, fit, check and teach Bayesian neural networks on NumPyro.

>>> import bnnppl
>>> bnn = bnnppl.BNN(bnnppl.ModelSpec(network=bnnppl.MLP(hidden=(10,))))
>>> bnn.spec.likelihood
Gaussian(noise=None, noise_prior=ScalePrior(family='half_cauchy', scale=1.0, concentration=None, rate=None))
"""

from bnnppl.model import BNN
from bnnppl.spec import (
    MLP,
    Bernoulli,
    Categorical,
    Gaussian,
    HeteroscedasticGaussian,
    ModelSpec,
    Poisson,
    Prior,
    ScalePrior,
    StudentT,
    likelihood_from_dict,
)

__version__ = "0.1.0"

__all__ = [
    "BNN",
    "MLP",
    "Bernoulli",
    "Categorical",
    "Gaussian",
    "HeteroscedasticGaussian",
    "ModelSpec",
    "Poisson",
    "Prior",
    "ScalePrior",
    "StudentT",
    "__version__",
    "likelihood_from_dict",
]
