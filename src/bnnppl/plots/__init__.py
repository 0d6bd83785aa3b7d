"""Plots as pure builders: a ``Posterior`` or ``Predictions`` (and data) in, a holoviews object out;
the chains' diagnostics ``forest``, ``trace_dist`` and ``rank_ecdf`` return an arviz-plots
``PlotCollection`` instead (``backend="bokeh"`` or ``"matplotlib"``; arviz-plots is imported on
their first call).

Builders never save or show; ``save_png`` writes one PNG for slides (through matplotlib, so no
browser is needed) and a report embeds the objects with bokeh. The holoviews objects are styled
per backend, so each renders in both.

=========================== ===================================================================
builder                     shows
=========================== ===================================================================
``regression``              1-D predictive: median, 50 % and 95 % bands, training data, truth
``uncertainty_split``       1-D: mean +- 2 sd of the epistemic and of the aleatoric part
``predicted_vs_observed``   regression, any inputs: mean and 95 % band against y; residuals
``decision_surface``        2-D classes: P(y = 1) (or the top class probability) on a grid
``uncertainty_map``         2-D classes: predictive std, entropy or mutual information
``map_contour``             2-D classes: the draw of highest log joint density (``log_joint``)
``trace``, ``rank``,        one variable's draws per chain (``worst=n``: the n elements of all
``densities``               sites that mix worst, ``worst_elements``)
``forest``                  arviz-plots: the 20 values that mix worst: intervals, r-hat, bulk ESS
``trace_dist``              arviz-plots: per worst value, each chain's density and trace
``rank_ecdf``               arviz-plots: per worst value, each chain's fractional-rank ECDF difference
``loss``                    the SVI loss per step (log axis)
``smc_history``             an SMC fit's ESS per stage and its tempering / data path
``calibration``             reliability diagram (classes) or interval coverage (regression)
``draws_animation``         a ``HoloMap`` over draws: each draw's curve or decision surface
=========================== ===================================================================

Every input is checked before any JAX work; errors name the argument, quote the value and say
what is allowed: ``ValueError: x: must have 2 columns for a decision surface, got 1.``

This package imports ``bnnppl.results`` (it reads posteriors and predictions), ``bnnppl.model``,
``bnnppl.spec`` and the private helpers; never ``bnnppl.inference`` or ``bnnppl.runs`` (runs embed
its objects in reports).
"""

from bnnppl.plots._common import BAND_LEVELS, BLACK, BLUE, CLASS_COLORS, KINDS, ORANGE
from bnnppl.plots.animation import draws_animation
from bnnppl.plots.arviz import forest, rank_ecdf, trace_dist
from bnnppl.plots.classification import decision_surface, log_joint, map_contour, uncertainty_map
from bnnppl.plots.diagnostics import densities, loss, rank, smc_history, trace, worst_elements
from bnnppl.plots.export import save_png
from bnnppl.plots.predictive import calibration, predicted_vs_observed, regression, uncertainty_split

__all__ = [
    "BAND_LEVELS",
    "BLACK",
    "BLUE",
    "CLASS_COLORS",
    "KINDS",
    "ORANGE",
    "calibration",
    "decision_surface",
    "densities",
    "draws_animation",
    "forest",
    "log_joint",
    "loss",
    "map_contour",
    "predicted_vs_observed",
    "rank",
    "rank_ecdf",
    "regression",
    "save_png",
    "smc_history",
    "trace",
    "trace_dist",
    "uncertainty_map",
    "uncertainty_split",
    "worst_elements",
]
