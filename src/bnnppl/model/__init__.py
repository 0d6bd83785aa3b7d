"""From spec to NumPyro model: flax networks, prior forms, likelihoods, ``BNN`` and its site names.

This package owns what turns plain-data specs (``bnnppl.spec``) into an ordinary NumPyro model:
``networks`` (spec -> flax module), ``priors`` (NumPyro's three prior forms for module
parameters), ``likelihoods`` (observation models and their predictive moments), ``sites`` (the
site names, the only place they live) and ``bnn`` (``BNN``: ``bnn.model(x, y=None)``). It imports
``bnnppl.spec`` and the private helpers, and knows nothing of inference or results.
"""

from bnnppl.model.bnn import BNN, PriorForm, with_latent
from bnnppl.model.sites import (
    DATA_PLATE,
    LATENT,
    NET,
    NET_PARAMS,
    OBS,
    PRIOR_SCALE,
    SIGMA,
    F,
    param_site,
    prior_scale_site,
)

__all__ = [
    "BNN",
    "DATA_PLATE",
    "F",
    "LATENT",
    "NET",
    "NET_PARAMS",
    "OBS",
    "PRIOR_SCALE",
    "SIGMA",
    "PriorForm",
    "param_site",
    "prior_scale_site",
    "with_latent",
]
