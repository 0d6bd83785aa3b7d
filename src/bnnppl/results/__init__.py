"""Reading a fit: ``Posterior`` (ArviZ, save/load), prediction, diagnostics and metrics.

This package owns the value a fit returns and everything that reads it: ``posterior``
(``Posterior``, ``compare``, ``save``, ``load``), ``saving`` (the saved folder's format), ``draws``
(the per-draw network output and log-likelihood on new inputs, shared by the posterior and
prediction), ``summaries`` (bands, HDIs, the uncertainty split), ``predict`` (``Predictions``),
``diagnostics`` (r-hat, ESS, divergences, loss and SMC checks) and ``metrics`` (scores of
predictions against targets). It imports ``bnnppl.model``, ``bnnppl.spec`` and the private
helpers; never ``bnnppl.inference`` (a posterior needs no sampler), ``bnnppl.plots`` or
``bnnppl.runs``.
"""

from bnnppl.results import metrics
from bnnppl.results.diagnostics import Diagnostics, LossCheck, SMCCheck, loss_check, smc_check, summarize
from bnnppl.results.draws import log_likelihood, network_draws
from bnnppl.results.posterior import Posterior, compare, load, save
from bnnppl.results.prediction import LEVELS, Predictions, hdi, predict

__all__ = [
    "LEVELS",
    "Diagnostics",
    "LossCheck",
    "Posterior",
    "Predictions",
    "SMCCheck",
    "compare",
    "hdi",
    "load",
    "log_likelihood",
    "loss_check",
    "metrics",
    "network_draws",
    "predict",
    "save",
    "smc_check",
    "summarize",
]
