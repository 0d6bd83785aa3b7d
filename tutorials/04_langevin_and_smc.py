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
# # 4. Langevin dynamics and sequential Monte Carlo
#
# NUTS (tutorial 2) is the gold standard for small networks, but every draw costs many
# gradient evaluations and a careful tuning phase. This notebook follows the "Langevin
# sandbox", a small research code base for trying samplers on one BNN, and tries two other
# families of samplers on a wider network:
#
# 1. a 50-point curve and a 1 -> 50 -> 50 -> 1 network (2701 weights);
# 2. a **MAP** fit, the single most probable network, and what the prior scale does to it;
# 3. **underdamped Langevin dynamics** with the BAOAB integrator: a burn-in from the MAP fit,
#    then a long production run, and how to tell whether the step size is too large;
# 4. **sequential Monte Carlo** (SMC), which moves a crowd of networks from the prior to the
#    posterior, once by adding the data points one at a time (*data annealing*) and once by
#    turning the likelihood up gradually (*geometric annealing*); and the **evidence** it
#    estimates on the way;
# 5. the credible intervals of all methods side by side.
#
# Prerequisites: tutorials 1 and 2 (posteriors, Markov chains, r-hat, predictive bands).
# Every fit prints how long it took.

# %% [markdown]
# ## Setup
#
# The next cell holds the sizes of the run: the numbers of optimisation steps, Langevin steps
# and draws, and SMC particles and moves. Smaller numbers run faster and draw rougher pictures.
# (The test suite runs this notebook with much smaller ones, put in a cell of its own right
# after this one.)

# %% tags=["parameters"]
MAP_STEPS = 5000  # Adam steps of the MAP fits
MAP_DRAWS = 500  # copies of the MAP network kept as its "draws"
INIT_STEPS = 2000  # Adam steps of the MAP fit each Langevin run starts from
BURNIN = 2000  # Langevin burn-in steps (high friction), dropped
LANGEVIN_DRAWS = 1000  # Langevin draws kept per chain
THINNING = 100  # Langevin steps per kept draw
CHECK_BURNIN = 2000  # burn-in steps of each short run of the step-size check
CHECK_DRAWS = 100  # draws of each short run of the step-size check (100 steps apart)
PARTICLES = 500  # SMC particles (networks)
SMC_MOVES = 5  # HMC moves per SMC stage
LEAPFROG = 10  # leapfrog steps per HMC move

# %% [markdown]
# Nothing here needs extra devices: the two Langevin chains run side by side as one vectorised
# program, and SMC moves all its particles at once. `hv.extension("bokeh", inline=True)` puts
# the plotting library into the notebook itself, so the pictures show with no internet.

# %%
# ruff: noqa: E402, B018  (notebook style: imports where first needed; a cell's last line is its picture)
import holoviews as hv
import numpy as np

import bnnppl as bp
from bnnppl import plots
from bnnppl.datasets import langevin_curve, langevin_curve_function
from bnnppl.results import log_likelihood, metrics

bp.enable_compilation_cache()  # compiled programs kept on disk: a re-run starts in seconds
hv.extension("bokeh", inline=True)

# %% [markdown]
# ## The data: a wiggly curve
#
# 50 points with `x` uniform in (-1, 1) and
# `y = 4 sin(x - 2) + sin(8x - 2) - 4x^2` plus Gaussian noise of sd 0.5. The curve has a slow
# part (the sine of period 6 and the parabola) and a fast wiggle (`sin(8x)`, period 0.8, of
# height 1), which the network must find among noise of half that size.
#
# We train on all 50 points. To compare the methods we draw 500 *fresh* points from the same
# curve with the same noise: with so many test points the test scores hardly depend on luck.

# %%
x, y = langevin_curve(n=50, noise=0.5, seed=0)
x_test, y_test = langevin_curve(n=500, noise=0.5, seed=1)
print("train:", x.shape, " test:", x_test.shape)

grid = np.linspace(-1.5, 1.5, 200, dtype=np.float32)[:, None]  # half a unit beyond the data
inside = np.abs(grid[:, 0]) <= 1  # the grid points among the data
truth_curve = hv.Curve((grid[:, 0], langevin_curve_function(grid[:, 0])), "x", "y", label="truth").opts(
    color="orange", line_dash="dashed"
)
data_points = hv.Scatter((x[:, 0], y), "x", "y", label="data").opts(color="black", size=5)
data_plot = (truth_curve * data_points).opts(
    width=600, height=350, legend_position="bottom_left", title="The Langevin curve (N = 50)"
)
data_plot

# %% [markdown]
# ## The model
#
# A network 1 -> 50 tanh units -> 50 tanh units -> 1, so 2 x 50 + 51 x 50 + 51 = 2701 weights
# and biases. The noise is known, sd 0.5, as in the sandbox: `y ~ Normal(f(x), 0.5)`.
#
# The prior is Normal with a **He scale**: a kernel with `n_in` inputs gets sd
# `scale * sqrt(2 / n_in)` (biases keep sd `scale`). The 2500 weights between the two hidden
# layers then get sd 0.2 x `scale` each, so that the second layer's input stays about the same
# size however wide the first layer is. The first layer, with a single input, gets sd
# 1.41 x `scale`.
#
# How large should `scale` be? The config `configs/langevin_curve.yaml` uses 1 for a 1 -> 20
# -> 20 -> 1 network. We try 1 and 2 with the cheapest fit there is.


# %%
def curve_spec(scale):
    return bp.ModelSpec(
        network=bp.MLP(hidden=(50, 50), activation="tanh"),
        prior=bp.Prior(family="normal", scale=scale, fan_in="he"),
        likelihood=bp.Gaussian(noise=0.5),
    )


bnn = bp.BNN(curve_spec(2.0))
print({name: shape for name, shape in bnn.param_shapes(1).items()})

# %% [markdown]
# ## MAP: the single most probable network
#
# The **MAP** (maximum a posteriori) fit is what ordinary training with weight decay does: it
# climbs to the highest point of prior x likelihood and keeps that one network. In `bnnppl` it
# is SVI with a `delta` guide (tutorial 2): `MAP_STEPS` = 5000 Adam steps. Its "draws" are all
# the same network, so its predictive band holds only the noise, `f(x) +- 1.96 x 0.5`.

# %%
map_method = bp.SVI(guide="delta", steps=MAP_STEPS, learning_rate=0.01, draws=MAP_DRAWS)
map_posts = {
    scale: bp.fit(bp.BNN(curve_spec(scale)), x, y, map_method, seed=0, scale=False) for scale in (1.0, 2.0)
}
map_train_rmse = {}
for scale, p in map_posts.items():
    map_train_rmse[scale] = metrics.rmse(y, bp.predict(p, x).mean)
    print(f"prior scale {scale}: training RMSE {map_train_rmse[scale]:.2f} (the noise sd is 0.5)")

map_colors = {1.0: "#7570b3", 2.0: "#1f77b4"}
map_plot = hv.Overlay(
    [
        hv.Curve((grid[:, 0], bp.predict(p, grid).mean), "x", "y", label=f"MAP, prior scale {scale:g}").opts(
            color=map_colors[scale], line_width=2
        )
        for scale, p in map_posts.items()
    ]
    + [truth_curve, data_points]
).opts(width=600, height=350, legend_position="bottom_left", title="MAP fits with two prior scales")
map_plot

# %% [markdown]
# **What to look at**: with prior scale 1 (purple) the network follows the slow part of the
# curve but irons out the wiggle: its training error (printed above) is well above the noise sd
# of 0.5, so it calls the wiggle noise. With 50 units the He prior's weights are small, the tanh
# units change slowly along `x`, and a wiggle of period 0.8 would need first-layer weights
# many prior sds large. With scale 2 (blue) the MAP network follows the wiggle, and its
# training error is about the noise sd, as it should be.
#
# We use scale 2 from now on. (The evidence, at the end of the SMC part, will check that
# choice.) Beyond the data, at |x| > 1, both MAP networks continue smoothly; a single network
# has no way to say that it is guessing there.

# %%
map_post = map_posts[2.0]

# %% [markdown]
# ## Underdamped Langevin dynamics
#
# Picture the weights as the position of a particle in a landscape whose height is
# `-log posterior`: valleys are good networks. The particle has a momentum, feels the slope
# (the gradient of the log posterior), is slowed by **friction**, and is kicked by random
# noise. Friction removes energy and the kicks add it; they balance so that, in the long run,
# the particle is at position `w` with probability proportional to the posterior. Record the
# position every so often and you have posterior draws. This is **underdamped Langevin
# dynamics**; with friction alone and no momentum it would be the "overdamped" Langevin of SGLD.
#
# The computer moves the particle in small time steps. **BAOAB** is a good way to cut each step
# into pieces: **B** a half kick by the gradient, **A** half a move at the current speed,
# **O** the friction and the random kick together (this part is solved exactly), **A** the
# other half move, **B** the other half kick. One gradient per step, and no accept/reject test
# as in HMC; the price is a small bias that shrinks with the square of the step size.
#
# The run has two phases:
#
# * **Burn-in**, `BURNIN` = 2000 steps with high friction (10), starting at a MAP fit, the
#   bottom of the deepest valley we found. The MAP network is not a typical posterior draw, as
#   we will see: the particle has to climb some way up the valley's walls. High friction ties
#   it tightly to the random kicks, so that it quickly takes on the right amount of jiggling on
#   the way.
# * **Production**, `LANGEVIN_DRAWS` x `THINNING` = 1000 x 100 = 100 000 steps with friction 1
#   (the particle then travels further between kicks), keeping every `THINNING`-th position:
#   1000 draws per chain, 2 chains.
#
# The step size 0.005 was measured to work on the 1 -> 20 -> 20 -> 1 network of
# `configs/langevin_curve.yaml`. We keep it for the wider network and check below that it still
# works. `init="map"` makes the sampler run its own MAP fit (`INIT_STEPS` = 2000 Adam steps)
# and start both chains there, each with its own random momenta.

# %%
langevin = bp.Langevin(
    step_size=0.005,
    chains=2,
    burnin=BURNIN,
    burnin_friction=10.0,
    burnin_mass=1.0,
    samples=LANGEVIN_DRAWS,
    thinning=THINNING,
    friction=1.0,
    mass=1.0,
    init="map",
    init_steps=INIT_STEPS,
)
baoab_post = bp.fit(bnn, x, y, langevin, seed=0, scale=False)
steps = langevin.burnin + langevin.samples * langevin.thinning
print(f"{langevin.chains} chains x {steps} steps in {baoab_post.seconds:.1f} s")

# %% [markdown]
# ### From the MAP fit to the typical set
#
# `stats["burnin_log_density"]` and `stats["log_density"]` hold the log posterior density
# (up to a constant) every `THINNING`-th step of burn-in and of production. The MAP network
# sits at the top of the posterior, at about -340.
#
# **What to look at** (the step axis is logarithmic, so that the burn-in is visible): in the
# burn-in, left of the dashed line, the log density *falls*, from the MAP's -340 by several
# hundred in the first 100 steps and by more than a thousand by the end of the burn-in, and
# then both chains wander around one level for the whole production run. Falling looks like
# getting worse, but it is right: in 2701 dimensions almost all of the posterior's mass lies
# far below its peak, in what is called the *typical set*. For a Normal distribution in `d`
# dimensions a typical draw sits `d / 2` = 1350 below the peak, give or take `sqrt(d / 2)` =
# 37; the drop from the MAP to the production level, printed below, is close to that. A
# sampler that stayed near the MAP would be sampling the wrong thing.

# %%
stats = baoab_post.stats
burn, prod = stats["burnin_log_density"], stats["log_density"]
burn_steps = langevin.thinning * np.arange(1, burn.shape[1] + 1)
prod_steps = langevin.burnin + langevin.thinning * np.arange(1, prod.shape[1] + 1)
chain_colors = ["#1f77b4", "#d62728"]
log_density_plot = hv.Overlay(
    [
        hv.Curve(
            (np.concatenate([burn_steps, prod_steps]), np.concatenate([burn[c], prod[c]])),
            "step",
            "log density",
            label=f"chain {c}",
        ).opts(color=chain_colors[c], line_width=1)
        for c in range(langevin.chains)
    ]
    + [hv.VLine(langevin.burnin).opts(color="black", line_dash="dashed", line_width=1)]
).opts(width=650, height=320, logx=True, legend_position="top_right", title="Log posterior density per step")
log_density_plot

# %%
kinetic_temperature = float(stats["kinetic_temperature"].mean())
typical_log_density = float(prod.mean())
map_log_density = float(-map_post.stats["loss"][-1])  # the delta guide's loss is -log density
print(f"log density of the MAP network {map_log_density:.0f}")
baoab_diag = baoab_post.diagnostics()
print(f"mean log density in production {typical_log_density:.0f}")
print(f"drop from the MAP to production {map_log_density - typical_log_density:.0f} (d / 2 = 1350)")
print(f"kinetic temperature {kinetic_temperature:.3f} (1 when the step size is right)")
print(
    f"network output f: worst r-hat {baoab_diag.function_max_rhat:.3f}, "
    f"smallest ESS {baoab_diag.function_min_ess_bulk:.0f} of {baoab_post.num_samples} draws"
)

# %% [markdown]
# ### Is the step size small enough?
#
# Without an accept/reject test nothing stops BAOAB from taking steps that are too large; it
# just samples a slightly wrong distribution, or blows up. The **kinetic temperature** is the
# check: the momenta should be distributed as `Normal(0, mass x temperature)`, so the average
# of `p^2 / mass` over all 2701 coordinates should be 1. The integrator heats the momenta up
# when a step is too large for the sharpest direction of the posterior.
#
# Above it is close to 1. Let us see what larger steps do, with short runs (`CHECK_BURNIN` =
# 2000 burn-in and `CHECK_DRAWS` x 100 = 10 000 production steps each).

# %%
step_check = {}
for step in (0.005, 0.01, 0.02, 0.03):
    short = bp.Langevin(
        step_size=step,
        burnin=CHECK_BURNIN,
        samples=CHECK_DRAWS,
        thinning=100,
        init_steps=INIT_STEPS,
    )
    p = bp.fit(bnn, x, y, short, seed=0, scale=False)
    temperature, level = (
        float(np.mean(p.stats["kinetic_temperature"])),
        float(np.mean(p.stats["log_density"])),
    )
    step_check[step] = (temperature, level)
    print(f"step {step}: kinetic temperature {temperature:.3f}, mean log density {level:.0f}")

# %% [markdown]
# **What to read here**: at step 0.02 the kinetic temperature is a few per cent above 1, and the
# log density sits one to two hundred below the right level: the chain samples a distribution
# that is too wide. At 0.03 the simulation blows up (`nan`: the weights ran off to infinity).
# The sharpest direction of this posterior allows steps up to about 2 / sqrt(largest curvature),
# somewhere between 0.02 and 0.03 here; well below that, 0.005 and 0.01 both give close to 1. So
# the wider network did not force a smaller step than the 1 -> 20 -> 20 -> 1 one; had the
# kinetic temperature at 0.005 been above 1, we would have halved the step (and doubled the
# number of steps).

# %% [markdown]
# ### The Langevin predictive band
#
# **What to look at**: among the data the median follows the truth, wiggle included, and the
# 95 % band (light) is about +-1 wide, mostly the noise. Beyond the data, at |x| > 1, the band
# widens: the draws agree where there are data and spread out where there are none.

# %%
baoab_band = plots.regression(bp.predict(baoab_post, grid), x, y, truth=langevin_curve_function)
baoab_band.opts(title="BAOAB Langevin: predictive band", legend_position="bottom_left")

# %% [markdown]
# ## Sequential Monte Carlo
#
# A Markov chain follows *one* network through time. **SMC** moves a whole crowd of networks,
# called **particles**, through a sequence of distributions that starts at the prior, which is
# easy to draw from, and ends at the posterior. Each stage does three things:
#
# 1. **Reweight**: every particle gets a weight for how well it explains the next bit of
#    information.
# 2. **Resample**: when a few particles carry most of the weight (the effective sample size,
#    ESS, falls below half the particles), copy the good ones and drop the bad ones, so that
#    all weights are equal again.
# 3. **Move**: run a few HMC steps on every particle, aimed at the current distribution, so that
#    the copies spread out again.
#
# There are two common ways to build the sequence.
#
# **Data annealing** adds the data points one at a time: stage `k` targets the posterior
# given the first `k` points, and a particle's weight is the likelihood of point `k`. 50 points,
# 50 stages. (The points come in random order here; data sorted by `x` would make each stage a
# surprise.)
#
# ### How many particles?
#
# Each stage costs particles x moves x leapfrog steps gradient evaluations. The sine configs of
# tutorial 2's model (`configs/sine_smc_*.yaml`, 31 weights) use 1000 particles and 10 to 20 HMC
# moves of 30 leapfrog steps. On our 2701-weight network, 50 stages of that are 15 to 30
# million gradients, many minutes per run on a laptop. We use `PARTICLES` = 500 particles and
# `SMC_MOVES` = 5 moves of `LEAPFROG` = 10 leapfrog steps, 12 to 24 times cheaper; the price is
# fewer distinct networks and shorter moves, so the particles explore less than a long chain
# does. The comparison at the end shows that it was enough here (and far fewer particles
# already give nearly the same test scores; the log-evidence estimates below vary a little
# from run to run).

# %%
smc_data = bp.SMC(
    schedule="data",
    batch=1,
    particles=PARTICLES,
    mcmc_steps=SMC_MOVES,
    num_leapfrog=LEAPFROG,
)
smc_data_post = bp.fit(bnn, x, y, smc_data, seed=0, scale=False)
smc_data_stats = smc_data_post.stats
print(
    f"{smc_data.particles} particles, {len(smc_data_stats['ess'])} stages in {smc_data_post.seconds:.1f} s; "
    f"resampled {smc_data_stats['resampled'].sum()} times"
)

# %% [markdown]
# **The SMC history** (`plots.smc_history`). Left: the ESS after each reweighting, as a share
# of the particles, with the resampling threshold (dashed) and the stages that resampled
# (orange). Right: the data points included.
#
# **What to look at**: each new point lowers the ESS, an unsurprising one a little, a
# surprising one a lot (down to 0.1 or below: a few particles explained it, the rest did not).
# Whenever it falls below one half the particles are resampled, which resets it to 1. Early on
# almost every point is news and the crowd is resampled at most stages; later the particles
# already know the curve, and often several points pass before the next resampling.

# %%
smc_data_history = plots.smc_history(smc_data_post)
smc_data_history

# %% [markdown]
# ### Geometric annealing
#
# **Geometric annealing** (likelihood tempering) uses all points in every stage but turns the
# likelihood up gradually: stage `k` targets `prior x likelihood ** beta_k` with `beta` going
# from 0 (the prior) to 1 (the posterior). It is "geometric" because each distribution is a
# weighted geometric mean of the prior and the posterior. The next `beta` is chosen
# adaptively: as large as it can be while the reweighting keeps 90 % of the effective sample
# size (`target_ess=0.9`). Same particles and moves as above.

# %%
smc_tempering = bp.SMC(
    schedule="tempering",
    target_ess=0.9,
    particles=PARTICLES,
    mcmc_steps=SMC_MOVES,
    num_leapfrog=LEAPFROG,
)
smc_tempering_post = bp.fit(bnn, x, y, smc_tempering, seed=0, scale=False)
smc_tempering_stats = smc_tempering_post.stats
print(
    f"{smc_tempering.particles} particles, {len(smc_tempering_stats['ess'])} stages in "
    f"{smc_tempering_post.seconds:.1f} s; resampled {smc_tempering_stats['resampled'].sum()} times"
)

# %% [markdown]
# **What to look at**: on the right, `beta` crawls at first (see the first values printed
# below: the prior's networks are terrible, so even a tiny power of the likelihood separates
# them sharply) and then accelerates, covering the last half in a handful of stages, once the
# particles are all decent networks. On the left, a regular saw-tooth: the ESS drops by the
# chosen 10 % per stage, and the particles are resampled only every five to ten stages.

# %%
print("first values of beta:", smc_tempering_stats["beta"][:4].round(5))
smc_tempering_history = plots.smc_history(smc_tempering_post)
smc_tempering_history

# %% [markdown]
# ### The evidence
#
# SMC gives something a Markov chain does not: the product of the average weights over all
# stages estimates the **evidence** `p(y | x)`, the probability the model gave the data
# before it saw them (the prior's average likelihood). Both schedules estimate the same
# number, so they should agree.

# %%
log_evidence_data = float(smc_data_stats["log_evidence"])
log_evidence_tempering = float(smc_tempering_stats["log_evidence"])
print(
    f"log evidence: data annealing {log_evidence_data:.1f}, geometric annealing {log_evidence_tempering:.1f}"
)

# %% [markdown]
# They roughly agree (logs here are natural logs, so their units are called *nats*): with fewer
# particles the two estimates drift further apart, but their difference stays small next to the
# differences between models below. The evidence compares *models*: the one that gave the data
# the higher probability is favoured, by the ratio of the evidences (a difference of 5 in the
# log is a factor of 150). Back to the prior scale: we run geometric annealing with 100
# particles for three scales (a rougher but cheaper estimate).

# %%
evidence, evidence_test_log_lik = {}, {}
for scale in (1.0, 2.0, 3.0):
    small = bp.SMC(schedule="tempering", particles=100, mcmc_steps=SMC_MOVES, num_leapfrog=LEAPFROG)
    p = bp.fit(bp.BNN(curve_spec(scale)), x, y, small, seed=0, scale=False)
    evidence[scale] = float(p.stats["log_evidence"])
    evidence_test_log_lik[scale] = metrics.log_likelihood(log_likelihood(p, x_test, y_test))
    print(
        f"prior scale {scale:g}: log evidence {evidence[scale]:6.1f}, "
        f"test log-likelihood {evidence_test_log_lik[scale]:.3f}"
    )

# %% [markdown]
# **What to read here**: scale 1 is worse than scale 2 by about 50 nats: overwhelmingly, the
# data prefer the prior that allows the wiggle, as the MAP fits suggested. Scale 3 is a little
# better still, by about 6 nats. That is a real preference (e^6, a factor of about 400), but
# between two priors that both fit: scale 3's posterior predicts the test points about as well
# as scale 2's (the test log-likelihoods differ by a few hundredths at most). We stay with 2;
# with a little more compute one would put a prior on the scale itself
# (`Prior(learned_scale=...)`).

# %% [markdown]
# ## All methods side by side
#
# Now the four fits of the same model: MAP, BAOAB Langevin and SMC with both schedules. For
# each we draw the **95 % credible interval of the curve `f`** (dark: where the network's mean
# lies, the spread between the draws) and the **95 % predictive band** (light: where a new `y`
# lies, the curve's spread plus the noise).

# %%
posts = {
    "MAP": map_post,
    "BAOAB Langevin": baoab_post,
    "SMC, data annealing": smc_data_post,
    "SMC, geometric annealing": smc_tempering_post,
}
grid_preds = {name: bp.predict(p, grid) for name, p in posts.items()}
method_colors = dict(zip(posts, ["#7f7f7f", "#1f77b4", "#2ca02c", "#d62728"], strict=True))
small_points = hv.Scatter((x[:, 0], y), "x", "y", label="data").opts(color="black", size=3)


def band_panel(name, pred):
    """The 95 % predictive band (light), the 95 % credible band of f (dark), its median, data, truth."""
    color, xs = method_colors[name], pred.x[:, 0]
    q, fq = pred.quantiles, pred.mean_quantiles
    return hv.Overlay(
        [
            hv.Area((xs, q[0.025], q[0.975]), "x", ["y", "y2"], label="95 % predictive").opts(
                color=color, alpha=0.15, line_alpha=0
            ),
            hv.Area((xs, fq[0.025], fq[0.975]), "x", ["y", "y2"], label="95 % credible, f").opts(
                color=color, alpha=0.5, line_alpha=0
            ),
            hv.Curve((xs, fq[0.5]), "x", "y", label="median of f").opts(color=color, line_width=1.5),
            truth_curve,
            small_points,
        ]
    ).opts(title=name, width=420, height=300, show_legend=False)


side_by_side = hv.Layout([band_panel(name, p) for name, p in grid_preds.items()]).opts(shared_axes=True)
side_by_side = side_by_side.cols(2)
side_by_side

# %% [markdown]
# **What to look at**: among the data all four look alike: the median follows the truth and
# the predictive band is about +-1, the noise. The difference is the dark band. MAP has none:
# one network, no doubt about the curve. The three samplers have a thin dark band among the
# data that opens up beyond them (|x| > 1), and the three look the same.
#
# Look at the edges, too: the truth (dashed) keeps falling, because of its `-4x^2`, and leaves
# even the samplers' bands near x = -1.5 and x = 1.5. The posterior's doubt beyond the data is
# the *prior's* idea of how the curve might go on: tanh networks tend to flatten out, and
# nothing in 50 points between -1 and 1 says that this curve will not. Wider bands are not
# right bands.
#
# The width of the dark band makes the methods easier to compare:

# %%
width_plot = hv.Overlay(
    [
        hv.Curve(
            (grid[:, 0], p.mean_quantiles[0.975] - p.mean_quantiles[0.025]),
            "x",
            hv.Dimension("width", label="width of the 95 % credible interval of f"),
            label=name,
        ).opts(color=method_colors[name], line_width=2)
        for name, p in grid_preds.items()
    ]
    + [hv.VSpan(-1, 1).opts(color="gray", alpha=0.1)]
).opts(width=650, height=320, legend_position="top", title="How sure is each method of the curve?")
width_plot

# %% [markdown]
# **What to look at**: the three samplers' curves nearly coincide: narrow among the data
# (grey), with the same bumps, rising steeply on both sides beyond them, to three times their
# average width among the data or more at |x| = 1.5. Three very different algorithms,
# `PARTICLES` = 500 particles against 2 x `LANGEVIN_DRAWS` = 2000 draws of two long chains,
# agree on the posterior; that is the best check we have that each of them works here. MAP's
# width is zero everywhere.
#
# And the numbers on the 500 fresh test points:

# %%
results = {}
for name, p in posts.items():
    pred = bp.predict(p, x_test)
    band = grid_preds[name].mean_quantiles
    width = band[0.975] - band[0.025]
    results[name] = {
        "seconds": p.seconds,
        "rmse": metrics.rmse(y_test, pred.mean),
        "log_lik": metrics.log_likelihood(log_likelihood(p, x_test, y_test)),
        "coverage": metrics.interval_coverage(y_test, pred.quantiles[0.025], pred.quantiles[0.975]),
        "width_inside": float(width[inside].mean()),
        "width_outside": float(width[~inside].mean()),
    }
    r = results[name]
    print(
        f"{name:25} {r['seconds']:5.0f} s  test RMSE {r['rmse']:.3f}  test log-lik {r['log_lik']:6.3f}  "
        f"95 % coverage {r['coverage']:.2f}  f-band width inside {r['width_inside']:.2f}, "
        f"outside {r['width_outside']:.2f}"
    )

# %% [markdown]
# **What to read here**: the best any model can do is RMSE 0.5 and test log-likelihood -0.73
# (the noise itself). All four come within 0.1 of that in RMSE and within 0.2 in
# log-likelihood; the noise dominates the test points, all of which lie among the training
# data. The samplers' 95 % bands hold close to 95 % of the test points. The real difference is
# where there are no data: the samplers say that they are unsure there (if, as we saw, not
# unsure enough), MAP does not. The seconds include compiling; SMC spends its time on
# `PARTICLES` networks at once, BAOAB on one long path per chain.
#
# ## What we learnt
#
# * MAP is one network: cheap, often accurate among the data, silent about its doubt. Its
#   quality depends on the prior like any other fit (scale 1 missed the wiggle).
# * Underdamped Langevin with BAOAB: one gradient per step, no accept/reject, no tuning phase;
#   burn in with high friction from a MAP start (the log density *falls* to the typical set),
#   and check the kinetic temperature: close to 1 means the step size is fine, above 1 it is
#   too large.
# * SMC moves a crowd of networks from the prior to the posterior, by data annealing or by
#   geometric annealing; the ESS history shows the path, and the weights estimate the
#   evidence, which compares models (here: prior scales).
# * On this problem all samplers agree: the same test scores, and credible bands that are thin
#   among the data and open up beyond them.
