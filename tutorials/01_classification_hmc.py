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
# # 1. Classification with Hamiltonian Monte Carlo
#
# A Bayesian neural network (BNN) is an ordinary neural network whose weights are not single
# numbers but *random variables*. Before we see data, a **prior** says which weights are
# plausible; after we see data, the **posterior** says which weights explain the data. We
# never pick one "best" network: we keep thousands of networks drawn from the posterior and
# let them vote.
#
# This notebook follows the Turing.jl BNN tutorial (the Lux version):
#
# 1. make a small two-class data set of 80 points in four boxes;
# 2. declare the network, the prior and the likelihood with `bnnppl`;
# 3. draw 5000 networks from the posterior with Hamiltonian Monte Carlo (HMC);
# 4. look at the draws: a summary table, the single most probable draw, the average of all
#    draws, and an animation that flips through them.
#
# Run it top to bottom (tutorials/README.md lists how long each tutorial takes).

# %% [markdown]
# ## Setup
#
# The next cell holds the sizes of the run: the number of HMC steps and the resolution of the
# pictures. Smaller numbers run faster and draw rougher pictures. (The test suite runs this
# notebook with much smaller ones, put in a cell of its own right after this one.)

# %% tags=["parameters"]
WARMUP = 1000  # HMC burn-in steps per chain, dropped
DRAWS = 5000  # HMC draws kept per chain
RESOLUTION = 80  # grid points per side of each map
FRAMES = 30  # frames of the animation

# %% [markdown]
# `numpyro.set_host_device_count(2)` must come before JAX starts: it lets the two Markov
# chains below run side by side on two CPU cores. `hv.extension("bokeh", inline=True)` puts
# the plotting library into the notebook itself, so the pictures show with no internet.

# %%
# ruff: noqa: E402, B018  (notebook style: imports where first needed; a cell's last line is its picture)
import numpyro

numpyro.set_host_device_count(2)

import holoviews as hv
import numpy as np

import bnnppl as bp
from bnnppl import plots
from bnnppl.datasets import box_clusters
from bnnppl.results import metrics

bp.enable_compilation_cache()  # compiled programs kept on disk: a re-run starts in seconds
hv.extension("bokeh", inline=True)

# %% [markdown]
# ## The data: four boxes
#
# 80 points, 20 in each of four square boxes. The two boxes on the diagonal
# (top right and bottom left) are class 1, the other two are class 0: a point is class 1
# exactly when its two coordinates have the same sign. No straight line separates the classes
# (this is the XOR problem), so we need a hidden layer.

# %%
x, y = box_clusters(n=80, seed=0)
print("x:", x.shape, x.dtype, " y:", y.shape, "class counts:", np.bincount(y))

# %%
data_plot = hv.Overlay(
    [
        hv.Points(x[y == k], ["x0", "x1"], label=f"class {k}").opts(size=6, color=color)
        for k, color in [(0, "#2166ac"), (1, "#b2182b")]
    ]
).opts(width=450, height=400, title="Four boxes (N = 80)")
data_plot

# %% [markdown]
# ## The model: network + prior + likelihood
#
# * **Network**: 2 inputs -> 3 hidden units (tanh) -> 2 hidden units (tanh) -> 1 output.
#   That is 9 + 8 + 3 = 20 weights and biases.
# * **Prior**: every weight and bias is drawn from Normal(0, sd) with sd = sqrt(1 / 0.09)
#   = 3.33 (the Turing tutorial writes it as a precision of 0.09). A wide prior: it allows
#   steep tanh units.
# * **Likelihood**: each label is a coin flip, `y ~ Bernoulli(p)`, with
#   `p = sigmoid(network output)`. The Turing tutorial puts the sigmoid inside the network;
#   here it sits in the likelihood (`link="logit"`), which is the same model and numerically
#   safer.

# %%
spec = bp.ModelSpec(
    network=bp.MLP(hidden=(3, 2), activation="tanh"),
    prior=bp.Prior(family="normal", scale=float(np.sqrt(1 / 0.09))),
    likelihood=bp.Bernoulli(link="logit"),
)
bnn = bp.BNN(spec)
spec

# %% [markdown]
# ### The escape hatch: it is just a NumPyro model
#
# `bnn.model(x, y)` is a plain NumPyro model function. Nothing in `bnnppl` hides it: you can
# hand it to any NumPyro sampler or guide, or run it under NumPyro's effect handlers. Here we
# *trace* it once (run it with a fixed random seed and record every site) and print what it
# contains: one `sample` site per weight array (drawn from the prior), the network output `f`
# and the observed labels `obs`.

# %%
from numpyro import handlers

model_trace = handlers.trace(handlers.seed(bnn.model, rng_seed=0)).get_trace(x, y)
for name, site in model_trace.items():
    if site["type"] == "param":  # `net$params`: flax bookkeeping (the parameter shapes), no data
        continue
    observed = " (observed)" if site.get("is_observed") else ""
    print(f"{name:22} {site['type']:14} shape {tuple(np.shape(site['value']))}{observed}")

# %% [markdown]
# ## Hamiltonian Monte Carlo
#
# HMC treats the weights as the position of a ball rolling over the landscape
# `-log posterior`. Each step gives the ball a random push and follows its path for a few
# small leapfrog steps, then accepts or rejects the end point. As in the Turing tutorial we
# use a fixed step size of 0.05 and 4 leapfrog steps, and keep `DRAWS` = 5000 draws per chain.
#
# We run 2 chains from different random starts, and drop the first `WARMUP` = 1000 steps of each
# (burn-in), while the chain travels from its start to the region of high posterior density.
# The same experiment as a command: `bnnppl run configs/box_hmc.yaml --set data.scale=false`.
#
# **Scaling.** By default `bp.fit` (and `bnnppl run`) standardises the inputs, and a real-valued
# target, with the training rows' mean and sd, fits the model to those, and gives every
# prediction back in your units: that is what lets one default prior suit data measured in any
# units. The course's data sets are made near unit scale already, and the numbers quoted in these
# tutorials were measured on them as they are, so every fit in the course passes `scale=False`.
# On your own data, leave the default.

# %%
method = bp.HMC(
    step_size=0.05,
    num_steps=4,
    chains=2,
    warmup=WARMUP,
    samples=DRAWS,
)
post = bp.fit(bnn, x, y, method, seed=0, scale=False)
print(f"{post.num_chains} chains x {post.num_draws} draws in {post.seconds:.1f} s")
print("acceptance rate per chain:", post.stats["accept_prob"].mean(axis=1).round(2))

# %% [markdown]
# ## The summary table
#
# One row per weight. `mean` and `sd` describe its posterior. `ess_bulk` is the *effective
# sample size*: how many independent draws the correlated HMC draws are worth. `r_hat`
# compares the chains: near 1.00 they agree; above 1.01 they are exploring different regions.
#
# **What to look at**: the `r_hat` column is far above 1.01 and `ess_bulk` is a handful, not
# thousands. Two things are going on.
#
# 1. A network has symmetries: swap two hidden units, or flip the signs of a tanh unit's
#    weights in and out, and it computes exactly the same function. So the posterior has
#    several equally good copies (modes), and each chain can settle in a different one. Then
#    the weights disagree between chains even when the predictions agree.
# 2. The fixed step is small. Each draw moves the weights by at most 4 x 0.05 = 0.2, while the
#    prior lets them range over about +-7, so consecutive draws are almost the same network
#    and the chain crawls: 5000 draws are worth only a few independent ones.

# %%
summary = post.summary()[["mean", "sd", "ess_bulk", "r_hat"]]
summary

# %% [markdown]
# A trace plot shows it: each line is one chain's value of a weight, draw after draw. A
# well-mixed chain looks like a fuzzy caterpillar around a common level. Here the chains
# wander slowly, like a random walk, and sit at different levels; the second weight even has
# opposite signs in the two chains (the sign-flip symmetry).

# %%
trace_plot = plots.trace(post, "net.Dense_2.kernel")
trace_plot

# %% [markdown]
# Because of the symmetries, convergence is better judged on what the network *computes*: the
# output `f` at the data points, which does not change when hidden units swap places.

# %%
diag = post.diagnostics()
max_rhat = diag.max_rhat
function_max_rhat = diag.function_max_rhat
print(f"weights:        worst r-hat {diag.max_rhat:.2f}, smallest ESS {diag.min_ess_bulk:.0f}")
print(
    f"network output: worst r-hat {diag.function_max_rhat:.2f}, smallest ESS {diag.function_min_ess_bulk:.0f}"
)

# %% [markdown]
# Even the output's r-hat is far above 1.01: the chains disagree about the *function*, not
# just about how to label the hidden units. Let us look at each chain on its own:
# `post.select_chains(c)` is a posterior holding only chain `c`'s draws.

# %%
chain_posts = [post.select_chains(c) for c in range(post.num_chains)]
chain_accuracy = [metrics.accuracy(y, bp.predict(p, x).mean) for p in chain_posts]
chain_errors = [round((1 - acc) * len(y)) for acc in chain_accuracy]
for c, (acc, wrong) in enumerate(zip(chain_accuracy, chain_errors, strict=True)):
    print(f"chain {c}: training accuracy {acc:.3f} ({wrong} of {len(y)} points wrong)")
chains_plot = hv.Layout(
    [
        plots.decision_surface(p, x, y, resolution=RESOLUTION, padding=1.5).opts(title=f"chain {c} alone")
        for c, p in enumerate(chain_posts)
    ]
).cols(2)
chains_plot

# %% [markdown]
# **What to look at**: the two chains found different explanations. One draws its
# boundaries along the two axes, as we would. The other (the chain with the lower acceptance
# rate) slants them: its blue region becomes a diagonal band, which clips the corner of the
# top-right box and gets a few class-1 points there wrong (the counts above). Each chain wanders
# around its own explanation; with steps this small neither can climb over to the other's in
# 5000 draws. Without r-hat we would not know, since each chain alone looks settled.
#
# For numbers you want to trust, run more chains for longer, or use NUTS (tutorial 2), which
# picks its own step size and path length. Below we keep both chains, as the Turing tutorial
# does: the average then blends the two explanations.

# %% [markdown]
# ## The most probable draw
#
# Among all draws, take the one with the highest posterior density (prior times likelihood):
# the closest thing in our sample to the single "best" network that ordinary training would
# give. Its decision surface shows P(class 1) on a grid; the black line is where it is 0.5.
#
# **What to look at**: a single network draws sharp boundaries. It separates the four boxes,
# but it is just as sure of itself in the empty space between and around the boxes, where it
# has never seen a point.

# %%
map_plot = plots.map_contour(post, x, y, resolution=RESOLUTION, padding=1.5)
map_plot

# %% [markdown]
# ## The posterior mean: all draws vote
#
# The Bayesian prediction averages P(class 1) over every draw:
# `p(y = 1 | x) = mean over draws of sigmoid(f(x; weights))`.
#
# **What to look at**: inside the boxes the draws agree and the colour is deep red or blue.
# Along the axes, between the boxes, the draws put their boundaries in slightly different
# places, and their average fades towards white (0.5): the model tells us where it is unsure.
# The pale wedge reaching into the top-right box is the second chain's diagonal boundary,
# averaged with the first chain's.

# %%
mean_plot = plots.decision_surface(post, x, y, resolution=RESOLUTION, padding=1.5)
mean_plot

# %%
pred = bp.predict(post, x)
train_accuracy = metrics.accuracy(y, pred.mean)
print(f"training accuracy of the posterior mean: {train_accuracy:.3f}")

# %% [markdown]
# (Like the Turing tutorial we train on all 80 points. Tutorials 2 and 3 hold out test data.)
#
# ## An animation across draws
#
# Each frame below is *one* network from the posterior. Move the slider.
#
# **What to look at**: the frames run through chain 0 first, then chain 1 (you will see the
# diagonal boundary appear). Within a chain, successive frames differ little: the chain moves
# slowly. The boundaries swing around most in the gaps and the outer corners, where there are
# no data. The posterior mean above is the average of all these
# pictures.

# %%
animation = plots.draws_animation(post, x, y, frames=FRAMES, resolution=RESOLUTION, padding=1.5)
animation

# %% [markdown]
# ## What we learnt
#
# * A BNN is a network + a prior + a likelihood; `bp.fit` with `bp.HMC` draws networks from
#   the posterior, and `bnn.model` is a plain NumPyro model underneath.
# * r-hat, ESS and trace plots tell us whether the chains agree. The weights' r-hat suffers from
#   the network's symmetries, so look at the network output `f` too. With a small fixed step,
#   HMC crawls, and here the two chains settled on two different decision boundaries.
# * One network is overconfident away from the data; the average of many draws is unsure where
#   the data say nothing.
#
# Next: tutorial 2 uses NUTS, which tunes its own step size and path length, and SVI, which is
# much faster but approximate.
