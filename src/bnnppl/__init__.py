"""bnnppl: declare, fit, check and teach Bayesian neural networks on NumPyro.

>>> import bnnppl
>>> bnn = bnnppl.BNN(bnnppl.ModelSpec(network=bnnppl.MLP(hidden=(10,))))
>>> bnn.spec.likelihood
Gaussian(noise=None, noise_prior=ScalePrior(family='half_cauchy', scale=1.0, concentration=None, rate=None))

The names below load on first use (PEP 562): ``import bnnppl`` imports neither JAX nor NumPyro,
so the ``bnnppl`` command answers ``--help`` and refuses a bad config at once, and importing
bnnppl changes no JAX setting. ``bnnppl.enable_compilation_cache()`` turns on JAX's persistent
compilation cache when you ask for it (the ``bnnppl`` command and the tutorials do).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import lazy_loader

__version__ = "0.1.0"

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "_jaxconfig": ["enable_compilation_cache"],
        "inference": ["fit"],
        "model": ["BNN"],
        "results": ["Posterior", "Predictions", "compare", "load", "predict"],
        "sweeps": ["sweep"],
        "spec": [
            "HMC", "MCLMC", "MLP", "NUTS", "SGHMC", "SGLD", "SMC", "SVI", "Bernoulli", "Categorical",
            "Gaussian", "HeteroscedasticGaussian", "Langevin", "LatentInput", "ModelSpec", "Poisson",
            "Prior", "ScalePrior", "StudentT", "likelihood_from_dict", "method_from_dict",
        ],
    },
)  # fmt: skip
__all__ = sorted([*__all__, "__version__"])

if TYPE_CHECKING:  # what type checkers and IDEs see
    from bnnppl._jaxconfig import enable_compilation_cache
    from bnnppl.inference import fit
    from bnnppl.model import BNN
    from bnnppl.results import Posterior, Predictions, compare, load, predict
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
    from bnnppl.sweeps import sweep
