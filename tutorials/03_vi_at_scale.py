# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 3. Variational inference at scale
#
# MCMC gives the most faithful posterior, but every draw needs the gradient over the whole
# data set, many times over. **Variational inference** (VI) replaces sampling by optimisation,
# and with **minibatches** each step looks at a small random slice of the data only. This is
# how BNNs are fitted to data sets that are too big for MCMC.
#
# This notebook follows PyMC's "Variational Inference: Bayesian Neural Networks" tutorial:
#
# 1. two moons, a network with two hidden layers of 5 units;
# 2. ADVI (automatic differentiation variational inference) and its ELBO curve;
# 3. test accuracy, and maps of the predictive mean and its uncertainty;
# 4. minibatch ADVI, and when it pays off;
# 5. what the mean-field approximation gives up.
#
# Prerequisites: tutorials 1 and 2 (priors, posteriors, SVI and its loss). Every fit prints how
# long it took.

# %% [markdown]
# ## Setup
#
# The next cell holds the sizes of the run: the number of optimiser steps, the resolution of the
# maps and the size of the big data set. Smaller numbers run faster and draw rougher pictures.
# (The test suite runs this notebook with much smaller ones, put in a cell of its own right
# after this one.)

# %% tags=["parameters"]
ADVI_STEPS = 30_000  # optimiser steps of every ADVI fit, full batch and minibatch
RESOLUTION = 80  # grid points per side of the two maps
BIG_POINTS = 20_000  # points in the big two-moons data set, half of them for training

# %% [markdown]
# Everything here is SVI, which runs as one chain, so no extra devices are needed.
# `hv.extension("bokeh", inline=True)` puts the plotting library into the notebook itself, so
# the pictures show with no internet.

# %%
# ruff: noqa: E402, B018  (notebook style: imports where first needed; a cell's last line is its picture)
import holoviews as hv
import numpy as np

import bnnppl as bp
from bnnppl import plots
from bnnppl.datasets import two_moons
from bnnppl.results import metrics

bp.enable_compilation_cache()  # compiled programs kept on disk: a re-run starts in seconds
hv.extension("bokeh", inline=True)


def split(x, y, test_fraction, seed=0):
    """Hold out a random `test_fraction` of the rows (as the configs' `test_fraction`, `split_seed`)."""
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = round(test_fraction * len(x))
    test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
    return x[train], y[train], x[test], y[test]


# %% [markdown]
# ## The data: two moons
#
# 1000 points on two interleaved half circles with noise 0.2, each column standardised (mean
# 0, sd 1), as in the PyMC tutorial. Half of them train, half test.

# %%
x_all, y_all = two_moons(n=1000, noise=0.2, scaled=True, seed=0)
x, y, x_test, y_test = split(x_all, y_all, test_fraction=0.5)
print("train:", x.shape, " test:", x_test.shape)

data_plot = hv.Overlay(
    [
        hv.Points(x[y == k], ["x0", "x1"], label=f"class {k}").opts(color=c, size=4)
        for k, c in [(0, "#2166ac"), (1, "#b2182b")]
    ]
).opts(width=500, height=400, title="Two moons (training half)")
data_plot

# %% [markdown]
# ## The model
#
# 2 inputs -> 5 tanh units -> 5 tanh units -> 1 output, without biases (as in PyMC's
# tutorial): 10 + 25 + 5 = 40 weights, each with a Normal(0, 1) prior. The output is the
# logit of P(class 1), with a Bernoulli likelihood.

# %%
bnn = bp.BNN(
    bp.ModelSpec(
        network=bp.MLP(hidden=(5, 5), activation="tanh", bias=False),
        prior=bp.Prior(family="normal", scale=1.0),
        likelihood=bp.Bernoulli(link="logit"),
    )
)
print({name: shape for name, shape in bnn.param_shapes(2).items()})

# %% [markdown]
# ## ADVI
#
# ADVI approximates the posterior by a product of independent Normals, one per weight (the
# **mean-field** family, `guide="normal"`). Each has a mean and an sd: 80 numbers in all. An
# optimiser moves them to maximise the ELBO:
#
# `ELBO = E_q[log p(y | weights)] - KL(q || prior)`
#
# The first term rewards weights that explain the data; the second keeps the approximation `q`
# close to the prior. `elbo="mean_field"` computes the KL term exactly instead of estimating it
# from draws, which makes the gradient less noisy. `ADVI_STEPS` = 30 000 Adam steps with
# learning rate 0.01, then 500 draws from the fitted `q`. As a command:
# `bnnppl run configs/moons_advi.yaml --set data.scale=false`.

# %%
advi = bp.SVI(guide="normal", elbo="mean_field", steps=ADVI_STEPS, learning_rate=0.01, draws=500)
post = bp.fit(bnn, x, y, advi, seed=0, scale=False)
print(f"{advi.steps} steps in {post.seconds:.1f} s")

# %% [markdown]
# ## The ELBO curve
#
# `loss` is minus the ELBO (log scale). **What to look at**: a steep drop at the start, while
# the network learns to separate the moons, then a flat, noisy floor. Flat means converged;
# the noise comes from the random draws in each step and never goes away.

# %%
loss_plot = plots.loss(post)
loss_plot

# %% [markdown]
# `loss_check` puts numbers on it: `final` is the mean loss over the last 10 % of steps, and
# `change` how much it fell compared with the 10 % before (above 1 % it warns: run longer).

# %%
from bnnppl.results import loss_check

check = loss_check(post.stats["loss"])
print(check)
for line in check.warnings():
    print("warning:", line)

# %% [markdown]
# ## Test accuracy
#
# We predict the held-out half: the posterior-predictive P(class 1) averages the 500 draws, and
# we call a point class 1 when it is above 0.5.

# %%
pred_test = bp.predict(post, x_test)
test_accuracy = metrics.accuracy(y_test, pred_test.mean)
print(f"test accuracy {test_accuracy:.3f}")

# %% [markdown]
# ## The posterior-predictive mean and its uncertainty
#
# Left: the mean P(class 1) on a grid, with the 0.5 line. Right: the standard deviation of
# P(class 1) between the draws: how much the 500 networks disagree.
#
# **What to look at**: the boundary runs between the moons and bends in an S to let the tip
# of each moon into the hollow of the other (a straight line would get those tips wrong). The
# disagreement is near zero wherever there are data, and grows along the boundary as it
# leaves the data: brightest at the two ends of the boundary, in the corners where no point
# was ever seen.

# %%
map_options = dict(resolution=RESOLUTION, padding=0.5)
mean_plot = plots.decision_surface(post, x_test, y_test, **map_options)
std_plot = plots.uncertainty_map(post, x_test, y_test, kind="std", **map_options)
(mean_plot + std_plot).cols(2)

# %% [markdown]
# ## Minibatch ADVI
#
# Each ADVI step above computes the likelihood of all 500 training points. With a million
# points that is far too slow. **Minibatch ADVI** draws a random batch of rows each step (here
# 50, `x` and `y` together) and multiplies its log-likelihood by 500 / 50, so that on average
# it equals the full one. The gradient is noisier but unbiased, and each step is cheaper.
# As a command: `bnnppl run configs/moons_minibatch_advi.yaml --set data.scale=false`.

# %%
minibatch = bp.SVI(
    guide="normal",
    elbo="mean_field",
    steps=ADVI_STEPS,
    learning_rate=0.01,
    draws=500,
    subsample_size=50,
)
mb_post = bp.fit(bnn, x, y, minibatch, seed=0, scale=False)
minibatch_test_accuracy = metrics.accuracy(y_test, bp.predict(mb_post, x_test).mean)
print(f"full batch: {post.seconds:5.1f} s, test accuracy {test_accuracy:.3f}")
print(f"minibatch:  {mb_post.seconds:5.1f} s, test accuracy {minibatch_test_accuracy:.3f}")

# %% [markdown]
# About the same accuracy. Do not expect a speed-up here, though: 500 points are so few that a
# step's cost is mostly fixed overhead, and picking the batch costs about as much as it saves.
# (Fit times include compiling; they vary from machine to machine and run to run.)
#
# **The loss curve is noisier**: each step sees a different batch, so the loss jumps from step
# to step. Only its trend matters.

# %%
mb_loss_plot = plots.loss(mb_post).opts(title="Minibatch ADVI loss")
mb_loss_plot

# %% [markdown]
# ## When minibatches pay off
#
# The cost of a full-batch step grows with the number of training points; a minibatch step
# does not. Let us take `BIG_POINTS` = 20 000 points, 10 000 of them for training (20 times
# more than above), and fit both ways again.

# %%
xb_all, yb_all = two_moons(n=BIG_POINTS, noise=0.2, scaled=True, seed=1)
xb, yb, xb_test, yb_test = split(xb_all, yb_all, test_fraction=0.5)
big_full = bp.fit(bnn, xb, yb, advi, seed=0, scale=False)
big_mb = bp.fit(bnn, xb, yb, minibatch, seed=0, scale=False)
speedup = big_full.seconds / big_mb.seconds
big_accuracy = {}
for name, p in [("full batch", big_full), ("minibatch", big_mb)]:
    big_accuracy[name] = metrics.accuracy(yb_test, bp.predict(p, xb_test).mean)
    print(f"{len(xb)} points, {name + ':':11} {p.seconds:5.1f} s, test accuracy {big_accuracy[name]:.3f}")
print(f"minibatch speed-up: {speedup:.1f}x")
big_minibatch_test_accuracy = big_accuracy["minibatch"]

# %% [markdown]
# The accuracy is about the same again. The speed-up printed above grows with the data: how
# large it is depends on your machine and on `BIG_POINTS`, and with the full 20 000 points
# minibatches win clearly. With 50 rows per step, the step cost no longer depends on how many
# points we have; only the number of steps needed to converge does.

# %% [markdown]
# ## A word on the mean-field approximation
#
# The mean-field family is what makes ADVI cheap (two numbers per weight) and easy to
# optimise. It also limits what the approximation can say:
#
# * **No correlations.** In the real posterior the weights are strongly correlated: if one
#   unit's outgoing weight grows, another's must shrink. A product of independent Normals
#   cannot express that, so it makes every Normal narrow enough to stay inside the posterior.
# * **Too little variance, in one mode.** ADVI minimises `KL(q || posterior)`, which punishes
#   `q` for putting mass where the posterior has little but not for missing mass. So `q` is
#   typically narrower than the posterior and sits in one of its many equivalent modes
#   (hidden units can swap places).
# * **Switched-off units.** Every weight that must be pinned down costs KL. A unit whose
#   weights all stay at the prior costs nothing, so mean-field fits tend to use fewer units
#   than the network has (tutorial 2 showed the same habit as underfitting).
#
# Our fit shows the switching off. Below, for each of the five units of the second hidden
# layer: the posterior mean and sd of its weight to the output, and the average sd of the
# five weights feeding it.

# %%
out_w = post.samples["net.Dense_2.kernel"][0, :, :, 0]  # (draws, 5): unit -> output
in_w = post.samples["net.Dense_1.kernel"][0]  # (draws, 5 units of layer 1, 5 units of layer 2)
units = []
for unit in range(5):
    units.append(
        {
            "mean": float(out_w[:, unit].mean()),
            "sd": float(out_w[:, unit].std()),
            "incoming_sd": float(in_w[:, :, unit].std(axis=0).mean()),
        }
    )
    print(
        f"unit {unit}: weight to output {units[-1]['mean']:+5.2f} +- {units[-1]['sd']:.2f}, "
        f"incoming weights' sd {units[-1]['incoming_sd']:.2f}"
    )
active_units = int(np.sum(np.abs(out_w.mean(axis=0)) > 2 * out_w.std(axis=0)))
print(f"units clearly in use: {active_units} of 5")

# %% [markdown]
# **What to read here**: only some of the five units (the count above) have a weight to the
# output that is clearly away from zero; the others sit near 0 with their incoming weights'
# sd near the prior's sd of 1, i.e. unused. The two moons need little capacity, so the fit
# still does well, but the leftover units contribute no uncertainty either.
#
# So read the std map above as a *lower bound* on the real uncertainty. Richer guides
# (`guide="low_rank"`: a Normal with some correlations) and MCMC (tutorials 1 and 2) are the
# ways to check it.
#
# ## What we learnt
#
# * ADVI fits a BNN by optimising a mean-field Normal, much faster than MCMC.
# * Watch the ELBO curve flatten before you use the fit.
# * The predictive std is near zero among the data and grows along the decision boundary
#   beyond them.
# * Minibatches keep the cost of a step fixed as the data grow: they pay off on big data sets,
#   not on small ones.
# * Mean field ignores correlations, switches units off and underestimates uncertainty; check
#   it against richer methods when it matters.
