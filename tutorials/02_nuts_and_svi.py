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
# # 2. Regression and classification with NUTS and SVI
#
# This notebook follows NumPyro's BNN example and goes further. We will
#
# 1. fit a small regression BNN with **NUTS**, the self-tuning version of HMC;
# 2. check the fit: r-hat, effective sample size, divergences, trace plots;
# 3. draw the 95 % predictive band and see what the prior and the network size do to it;
# 4. fit the same model with **SVI** (variational inference), fast but approximate;
# 5. classify a 3-class spiral and compare the BNN's uncertainty with that of an ordinary,
#    deterministic network.
#
# Prerequisite: tutorial 1 (what a prior, a posterior and a chain are). Every fit prints how
# long it took.

# %% [markdown]
# ## Setup
#
# The next cell holds the sizes of the run: the lengths of the NUTS chains, the number of SVI
# steps and the resolution of the spiral's maps. Smaller numbers run faster and draw rougher
# pictures. (The test suite runs this notebook with much smaller ones, put in a cell of its own
# right after this one.)

# %% tags=["parameters"]
NUTS_WARMUP = 1000  # NUTS warmup (tuning) draws per chain, dropped
NUTS_DRAWS = 1000  # NUTS draws kept per chain
VARIANT_WARMUP = 500  # warmup draws per chain for the five hyperparameter variants
VARIANT_DRAWS = 500  # draws kept per chain for the five hyperparameter variants
SVI_STEPS = 20_000  # optimiser steps of SVI on the sine data
SPIRAL_STEPS = 20_000  # optimiser steps of each fit to the spiral (the BNN and the deterministic network)
GRID = 120  # grid points per side of the spiral's maps

# %% [markdown]
# As in tutorial 1, two host devices let the two NUTS chains run in parallel (this must come
# before JAX starts), and `hv.extension("bokeh", inline=True)` puts the plotting library into
# the notebook itself, so the pictures show with no internet.

# %%
# ruff: noqa: E402, B018  (notebook style: imports where first needed; a cell's last line is its picture)
import numpyro

numpyro.set_host_device_count(2)

import holoviews as hv
import numpy as np

import bnnppl as bp
from bnnppl import plots
from bnnppl.datasets import sine_regression, spiral
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
# # Part 1: regression
#
# ## The data
#
# 40 points with `x` uniform in (-1, 1) and `y = x sin(5x)` plus Gaussian noise of sd 0.1.
# We keep 30 for training and hide 10 for testing.


# %%
def truth(x):
    return x * np.sin(5 * x)


x_all, y_all = sine_regression(n=40, noise=0.1, seed=0)
x, y, x_test, y_test = split(x_all, y_all, test_fraction=0.25)
print("train:", x.shape, " test:", x_test.shape)

grid = np.linspace(-1.5, 1.5, 200, dtype=np.float32)[:, None]  # a little beyond the data
inside = np.abs(grid[:, 0]) <= 1  # the grid points among the data
data_plot = (
    hv.Curve((grid[:, 0], truth(grid[:, 0])), "x", "y", label="truth").opts(
        color="orange", line_dash="dashed"
    )
    * hv.Scatter((x[:, 0], y), "x", "y", label="train").opts(color="black", size=6)
    * hv.Scatter((x_test[:, 0], y_test), "x", "y", label="test").opts(color="red", size=6, marker="x")
).opts(width=600, height=350, legend_position="top_left", title="Sine data")
data_plot

# %% [markdown]
# ## The model
#
# A network 1 -> 10 hidden units (tanh) -> 1, Normal(0, 1) priors on every weight and bias,
# and a Gaussian likelihood `y ~ Normal(f(x), sigma)`. We do not know the noise level `sigma`
# either, so it gets a prior too: HalfCauchy(0.5), positive and mostly small but with a long
# tail. The posterior then covers the weights *and* `sigma`.


# %%
def sine_spec(hidden=(10,), prior_sd=1.0, activation="tanh"):
    return bp.ModelSpec(
        network=bp.MLP(hidden=hidden, activation=activation),
        prior=bp.Prior(family="normal", scale=prior_sd),
        likelihood=bp.Gaussian(noise_prior=bp.ScalePrior(family="half_cauchy", scale=0.5)),
    )


bnn = bp.BNN(sine_spec())
bnn.spec

# %% [markdown]
# ## NUTS
#
# HMC (tutorial 1) needs a step size and a number of leapfrog steps. Too small and the chain
# crawls; too large and it jumps out of the high-density region. **NUTS** (the No-U-Turn
# Sampler) picks both itself: during *warmup* it tunes the step size so that a target share of
# proposals is accepted (`target_accept`), and on every draw it extends the path until it
# starts to turn back. The warmup draws are then thrown away.
#
# We run 2 chains of `NUTS_WARMUP` = 1000 warmup + `NUTS_DRAWS` = 1000 kept draws, with
# `target_accept=0.95` (smaller steps than the default 0.8: this posterior has sharp corners).
# As a command:
# `bnnppl run configs/sine_nuts.yaml --set data.scale=false`.

# %%
nuts = bp.NUTS(chains=2, warmup=NUTS_WARMUP, samples=NUTS_DRAWS, target_accept=0.95)
first_post = bp.fit(bnn, x, y, nuts, seed=0, scale=False)
print(f"{first_post.num_chains} chains x {first_post.num_draws} draws in {first_post.seconds:.1f} s")

# %% [markdown]
# ## Did it work? r-hat, ESS and divergences
#
# * **r-hat** compares the spread *within* each chain with the spread *between* chains. If all
#   chains explore the same distribution it is 1.00; above 1.01 the chains disagree and we
#   should not trust them yet.
# * **ESS** (effective sample size): successive draws are correlated, so 1000 draws carry less
#   information than 1000 independent ones. ESS says how many independent draws they are
#   worth. A few hundred is enough for means and bands.
# * **Divergences**: draws where the simulated path blew up because the posterior curves more
#   sharply than the step size can follow. Even a few mean that some region was not explored
#   properly, and the draws near it are biased.
#
# As in tutorial 1 we check the weights and the network output `f` at the training points;
# the weights suffer from the symmetry of hidden units (swapping two of them changes nothing),
# the output does not.

# %%
first_diag = first_post.diagnostics()
print(first_diag)
for line in first_diag.warnings():
    print("warning:", line)
print("divergences per chain:", first_post.stats["diverging"].sum(axis=1))

# %% [markdown]
# **What to read here**: there are no divergences, and the r-hat of the output `f` is close to
# 1.00 (with the test suite's much shorter chains it is a little higher, and the warnings say
# that the chains need to run longer). The weights' r-hat is worse than the output's, held back
# by the symmetry. Two more lines:
#
# * many transitions reached the maximum tree depth (10; the share is in the warning): NUTS
#   stopped extending those paths at the cap, so successive draws are more alike than they need
#   be;
# * some training points have a Pareto k above the limit in the warning: PSIS-LOO
#   (leave-one-out from the same draws) is unreliable for them, because the fit leans on them.
#
# Divergences, when a fit has them, are cured by smaller steps: raise `target_accept`. What do
# smaller steps cost when they are not needed? The same fit with 0.99:

# %%
nuts = bp.NUTS(chains=2, warmup=NUTS_WARMUP, samples=NUTS_DRAWS, target_accept=0.99)
small_steps_post = bp.fit(bnn, x, y, nuts, seed=0, scale=False)
small_steps_diag = small_steps_post.diagnostics()
for line in small_steps_diag.warnings():
    print("warning:", line)
print(
    f"transitions at the depth limit: {small_steps_diag.depth_limit_share:.0%} "
    f"(the first fit: {first_diag.depth_limit_share:.0%})"
)
small_steps_leapfrogs = float(small_steps_post.stats["num_steps"].mean())
first_leapfrogs = float(first_post.stats["num_steps"].mean())
print(f"leapfrog steps per draw: {small_steps_leapfrogs:.0f} (the first fit: {first_leapfrogs:.0f})")
print(
    f"r-hat of f: {small_steps_diag.function_max_rhat:.3f} "
    f"(the first fit: {first_diag.function_max_rhat:.3f})"
)
print(f"{small_steps_post.seconds:.1f} s (the first fit: {first_post.seconds:.1f} s with compilation)")

# %% [markdown]
# Still no divergences, but each draw now takes more leapfrog steps (printed above): smaller steps
# need more of them to cross the posterior, so a draw costs more gradient evaluations, and more
# paths run into the depth limit, where the cap cuts them short. The r-hat of `f` moves a little
# either way from run to run; it does not pay for the extra work. Smaller steps cure divergences;
# they are not a free improvement. We keep the first fit.

# %%
post, diag = first_post, first_diag
max_rhat = diag.max_rhat
function_max_rhat = diag.function_max_rhat
divergences = diag.divergences

# %% [markdown]
# `post.summary()` has the same numbers per parameter; here the noise scale and the output
# layer:

# %%
post.summary().loc[lambda t: t.index.str.startswith(("sigma", "net.Dense_1"))]

# %% [markdown]
# ## Trace plots
#
# One line per chain, value against draw number. **What to look at**: both chains should look
# like the same fuzzy band, without trends or long flat stretches, and here they do. The noise
# scale `sigma` varies around a value well above the 0.1 we put into the data (its mean is
# printed further down, next to SVI's): the network, held back by its prior, does not follow
# every bend of the truth and calls the rest noise.

# %%
trace_plot = plots.trace(post, "sigma") + plots.trace(post, "net.Dense_1.kernel", index=[0, 1])
trace_plot.cols(1)

# %% [markdown]
# ## The 95 % predictive band
#
# For each draw of the weights and `sigma` we compute the network's curve and add noise; the
# band holds the middle 95 % of these simulated `y` values at each `x` (the darker band the
# middle 50 %).
#
# **What to look at**: inside the data (-1 < x < 1) the median follows the orange truth,
# cutting the two dips a little short, and the band is about +-0.4 wide (the baseline's
# `band width inside` in the table further down), mostly the noise.
# Beyond the data it widens quickly: the draws agree where there are data and fan out where
# there are none. (They do not guess that the truth turns up again: nothing in the data says
# so.)

# %%
pred = bp.predict(post, grid)
band_plot = plots.regression(pred, x, y, truth=truth)
band_plot

# %%
pred_test = bp.predict(post, x_test)
rmse = metrics.rmse(y_test, pred_test.mean)
coverage = metrics.interval_coverage(y_test, pred_test.quantiles[0.025], pred_test.quantiles[0.975])
print(f"test RMSE {rmse:.3f} (the noise sd is 0.1); {coverage:.0%} of test points inside the 95 % band")

# %% [markdown]
# ## What the hyperparameters do
#
# The prior and the network are choices. Let us refit with one change at a time (shorter
# chains, to save time) and compare the bands:
#
# * prior sd 0.1: tiny weights, so a nearly straight network;
# * prior sd 10: huge weights, so very wiggly networks;
# * 2 hidden units: too few to bend the curve twice;
# * 100 hidden units: many more weights than data;
# * ReLU instead of tanh: piecewise-linear curves.

# %%
variants = {
    "prior sd 0.1": sine_spec(prior_sd=0.1),
    "prior sd 10": sine_spec(prior_sd=10.0),
    "2 hidden units": sine_spec(hidden=(2,)),
    "100 hidden units": sine_spec(hidden=(100,)),
    "ReLU": sine_spec(activation="relu"),
}
short_nuts = bp.NUTS(chains=2, warmup=VARIANT_WARMUP, samples=VARIANT_DRAWS, target_accept=0.99)
variant_posts = {
    name: bp.fit(bp.BNN(s), x, y, short_nuts, seed=0, scale=False) for name, s in variants.items()
}

# %%
variant_preds = {name: bp.predict(p, grid) for name, p in variant_posts.items()}
variant_table = {}
for name, p in {"baseline": post, **variant_posts}.items():
    d = p.diagnostics()
    q = (pred if p is post else variant_preds[name]).quantiles
    width = q[0.975] - q[0.025]
    variant_table[name] = row = {
        "divergences": d.divergences,
        "rhat_f": d.function_max_rhat,
        "test_rmse": metrics.rmse(y_test, bp.predict(p, x_test).mean),
        "width_inside": float(width[inside].mean()),
        "width_outside": float(width[~inside].mean()),
    }
    print(
        f"{name:17} divergences {row['divergences']:3d}  r-hat of f {row['rhat_f']:4.2f}  "
        f"test RMSE {row['test_rmse']:.3f}  band width inside {row['width_inside']:4.2f}, "
        f"outside {row['width_outside']:5.2f}  ({p.seconds:.0f} s)"
    )

# %%
panels = [band_plot.relabel("baseline").opts(title="baseline: sd 1, 10 tanh units")]
for name, p in variant_preds.items():
    panels.append(plots.regression(p, x, y, truth=truth).opts(title=name))
hyper_plot = hv.Layout(
    [p.redim.range(y=(-3, 3)).opts(width=420, height=280, show_legend=False) for p in panels]
)
hyper_plot = hyper_plot.cols(2)
hyper_plot

# %% [markdown]
# **What to look at** (the pictures, and the widths and test errors in the table)
#
# * **prior sd 0.1**: the prior wins over the data. Small weights keep every tanh unit in its
#   straight middle part, so the curve can hardly bend: the median is a flat line, the model
#   calls the wiggles noise, and the band is equally wide everywhere.
# * **prior sd 10**: the opposite. Among the data the fit is tight, with sharp steps; beyond
#   them the draws shoot off in every direction and the band explodes (several times the
#   baseline's width). NUTS finds this posterior hard: r-hat of `f` is above 1.01.
# * **2 hidden units**: too few units to follow every bend; a smoother curve and a larger
#   test error.
# * **100 hidden units**: over 300 weights for 30 points, yet no overfitting: averaging over
#   the posterior tames the extra freedom. The band is narrower among the data and wider
#   outside them than the baseline's: more units, more ways to extrapolate.
# * **ReLU**: each draw is piecewise linear, so outside the data the draws continue as
#   straight lines and the band opens like a cone. A tanh network flattens out instead.
#
# The baseline is not the best fit here: its prior makes it a little too smooth. The lesson:
# the prior and the architecture *are* the model, and they matter most exactly where the data
# are silent.

# %% [markdown]
# ## SVI: variational inference
#
# MCMC is exact in the long run but slow for big networks. **Stochastic variational
# inference** turns inference into optimisation: choose a simple family of distributions,
# here a separate Normal for every weight (`AutoNormal`, "mean field"), and tune their means
# and sds so that the family is as close as possible to the posterior. Closeness is measured
# by the **ELBO** (evidence lower bound); SVI maximises it with a stochastic optimiser, and
# `loss` is minus the ELBO.
#
# Settings: Adam with learning rate 0.01, each gradient entry clipped to +-10 (as NumPyro's
# `ClippedAdam`: one wild gradient cannot throw the fit off), and 10 particles (10 weight
# draws per step average out the noise of the gradient).

# %%
svi = bp.SVI(
    steps=SVI_STEPS,
    guide="normal",
    optimizer="adam",
    learning_rate=0.01,
    clip=10.0,
    num_particles=10,
    draws=1000,
)
svi_post = bp.fit(bnn, x, y, svi, seed=0, scale=False)
print(f"{svi.steps} steps in {svi_post.seconds:.1f} s (NUTS took {post.seconds:.1f} s)")

# %% [markdown]
# **The loss curve** (log scale). **What to look at**: a steep fall at the start, then a slow,
# noisy decline. The fit is done when the curve is flat apart from the noise; it is never
# perfectly smooth, since every step uses random draws.

# %%
loss_plot = plots.loss(svi_post)
loss_plot

# %% [markdown]
# **NUTS next to SVI.** **What to look at**: the SVI curve is smoother. It cuts the dips near
# x = -1 and x = 1 short, and its band is about as wide inside the data as outside.

# %%
svi_pred = bp.predict(svi_post, grid)
svi_test = bp.predict(svi_post, x_test)
svi_rmse = metrics.rmse(y_test, svi_test.mean)
compare_plot = band_plot.relabel("NUTS").redim.range(y=(-2.5, 2.5)).opts(
    title=f"NUTS (test RMSE {rmse:.3f})"
) + plots.regression(svi_pred, x, y, truth=truth).redim.range(y=(-2.5, 2.5)).opts(
    title=f"SVI (test RMSE {svi_rmse:.3f})"
)
compare_plot

# %%
noise_and_curve = {}
for name, p, fit in [("NUTS", pred, post), ("SVI", svi_pred, svi_post)]:
    sd_f = np.sqrt(p.epistemic)  # sd of the network's curve between draws
    noise_and_curve[name] = row = {
        "sigma": float(fit.samples["sigma"].mean()),
        "sd_f_inside": float(sd_f[inside].mean()),
        "sd_f_outside": float(sd_f[~inside].mean()),
    }
    print(
        f"{name:4}: noise sigma {row['sigma']:.2f}; sd of the curve "
        f"{row['sd_f_inside']:.2f} inside the data, {row['sd_f_outside']:.2f} outside"
    )

# %% [markdown]
# The numbers say why. Compared with NUTS, SVI puts more of the data down to noise (a larger
# `sigma`), and its uncertainty about the curve is nearly the same everywhere: larger than
# NUTS's among the data, smaller outside them. NUTS is sure of the curve where it has data and
# unsure where it has none, as it should be.
#
# This is a known habit of mean-field SVI on neural networks. Each weight gets its own
# independent Normal, and the ELBO charges for every weight that must be pinned down (its KL
# term). A smoother curve plus more noise is cheaper, so the fit switches units off and
# underfits. The approximation is not simply "too confident" or "too cautious": it puts the
# uncertainty in the wrong places. On a small problem, compare with MCMC before you trust SVI
# on a large one.

# %% [markdown]
# # Part 2: classification of a spiral
#
# Three interleaved spiral arms, 100 points each; we train on 225 and test on 75. The network
# is bigger (2 -> 32 -> 32 -> 3, tanh) and its 3 outputs are the logits of a **Categorical**
# likelihood: `P(class k) = softmax(f(x))_k`. With 1251 weights we use SVI
# (`bnnppl run configs/spiral_svi.yaml --set data.scale=false`).

# %%
xs_all, ys_all = spiral(n_per_class=100, classes=3, noise=0.2, seed=0)
xs, ys, xs_test, ys_test = split(xs_all, ys_all, test_fraction=0.25)

spiral_bnn = bp.BNN(
    bp.ModelSpec(
        network=bp.MLP(hidden=(32, 32), activation="tanh"),
        prior=bp.Prior(family="normal", scale=1.0),
        likelihood=bp.Categorical(classes=3),
    )
)
spiral_post = bp.fit(
    spiral_bnn, xs, ys, bp.SVI(steps=SPIRAL_STEPS, learning_rate=0.01, draws=500), seed=0, scale=False
)
spiral_pred = bp.predict(spiral_post, xs_test)
test_accuracy = metrics.accuracy(ys_test, spiral_pred.probs)
print(f"test accuracy {test_accuracy:.3f}")

# %% [markdown]
# ## The mode map and the entropy map
#
# We predict on a grid that reaches well beyond the data (the data lie within distance 1 of
# the origin; the grid goes to +-2.5).
#
# * The **mode map** colours each grid point by its most probable class.
# * The **entropy map** shows the predictive entropy `-sum_k p_k log p_k` of the averaged
#   probabilities: 0 when one class has probability 1, log 3 = 1.10 when all three are equally
#   likely. It is the model's total uncertainty.

# %%
CLASS_COLORS = ["#2166ac", "#b2182b", "#1b9e77"]
side = np.linspace(-2.5, 2.5, GRID, dtype=np.float32)
gx, gy = np.meshgrid(side, side)
grid2d = np.column_stack([gx.ravel(), gy.ravel()])


def mode_map(posterior, title):
    """Each grid point coloured by its most probable class, with the training points."""
    probs = bp.predict(posterior, grid2d, keep_samples=False).probs
    image = hv.Image((side, side, probs.argmax(1).reshape(gx.shape)), ["x0", "x1"], "class")
    image = image.opts(cmap=CLASS_COLORS, clim=(-0.5, 2.5), alpha=0.45, colorbar=True)
    points = [
        hv.Points(xs[ys == k], ["x0", "x1"], label=f"class {k}").opts(color=c, size=4, line_color="white")
        for k, c in enumerate(CLASS_COLORS)
    ]
    return hv.Overlay([image, *points]).opts(title=title, width=430, height=380)


def entropy_map(posterior, title):
    """The predictive entropy on the grid, one colour scale (0 to log 3) for every model."""
    plot = plots.uncertainty_map(posterior, xs, ys, kind="entropy", resolution=side.size, padding=1.5)
    return plot.opts(hv.opts.Image(clim=(0, np.log(3))), hv.opts.Overlay(title=title, width=430, height=380))


mode_plot = mode_map(spiral_post, "BNN (SVI): most probable class")
mode_plot

# %% [markdown]
# **What to look at**: the arms are separated cleanly where there are data. Far from the data
# the classes fill big wedges that continue the arms outwards: the network has to say
# *something* there.

# %% [markdown]
# ## A deterministic network for comparison
#
# An ordinary network is trained by maximising the likelihood times the prior: one set of
# weights, the posterior's highest point (MAP). In `bnnppl` that is SVI with a `delta` guide,
# a distribution that puts all its mass on one point. Same network, same prior, same data.

# %%
map_post = bp.fit(
    spiral_bnn,
    xs,
    ys,
    bp.SVI(steps=SPIRAL_STEPS, guide="delta", learning_rate=0.01, draws=1),
    seed=0,
    scale=False,
)
map_test_accuracy = metrics.accuracy(ys_test, bp.predict(map_post, xs_test).probs)
print(f"deterministic network: test accuracy {map_test_accuracy:.3f} (BNN {test_accuracy:.3f})")

# %% [markdown]
# Both classify the test points about equally well. The difference is in what they say where
# there are no data. Below, the softmax entropy of each, on the same colour scale.

# %%
entropy_plot = entropy_map(spiral_post, "BNN: predictive entropy") + entropy_map(
    map_post, "Deterministic: softmax entropy"
)
entropy_plot

# %% [markdown]
# **What to look at**: the deterministic network is uncertain (bright) only on thin lines,
# its class boundaries; everywhere else, even in the corners far from any training point, it
# is nearly certain (black). That is **miscalibration**: confidence it has not earned. The BNN
# is bright along the same boundaries but also in broad regions away from the data, because
# its draws disagree there about which class wins.
#
# We can put a number on it: the average entropy on a circle of radius 2, twice as far from
# the origin as any training point.

# %%
angle = np.linspace(0, 2 * np.pi, 360, endpoint=False)
far = (2.0 * np.column_stack([np.cos(angle), np.sin(angle)])).astype(np.float32)
far_entropy_bnn = float(bp.predict(spiral_post, far).entropy.mean())
far_entropy_map = float(bp.predict(map_post, far).entropy.mean())
print(
    f"mean entropy at radius 2: BNN {far_entropy_bnn:.2f} nats, deterministic {far_entropy_map:.2f} nats "
    f"(log 3 = {np.log(3):.2f} is complete ignorance)"
)

# %% [markdown]
# Far from the data the BNN's entropy is more than twice the deterministic network's, though
# still well below the maximum of 1.10: mean-field SVI underestimates the spread of the
# posterior (part 1 showed it on the sine data). MCMC, or the methods in tutorial 3 and later,
# go further.
#
# ## What we learnt
#
# * NUTS tunes itself during warmup; check r-hat (about 1.00), ESS (hundreds) and
#   divergences (none) before you trust a fit, on the weights and on the output `f`.
# * The predictive band is narrow near the data and grows away from it; how fast it grows is
#   decided by the prior and the architecture.
# * SVI scales to networks and data sets where NUTS is too slow, at the price of an
#   approximation that puts the uncertainty in the wrong places.
# * A deterministic network is confident everywhere; a BNN's entropy rises where there are no
#   data.
