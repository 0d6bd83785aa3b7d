"""Plot builders: element types and their data against predict / metrics, PNG and bokeh output, errors."""

import dataclasses
import io
import re

import holoviews as hv
import numpy as np
import pytest
from scipy.special import log_expit
from scipy.stats import norm, rankdata

import bnnppl as bp
from bnnppl import metrics, plots
from bnnppl.datasets import sine_regression, two_moons
from bnnppl.plots import classification
from bnnppl.results.prediction import network_draws

pytestmark = pytest.mark.slow

GRID = np.linspace(-1.5, 1.5, 50)[:, None]
FIT = bp.SVI(steps=20, draws=8)  # the doctests' fits too: compiled programs are shared


@pytest.fixture(scope="module")
def reg():
    x, y = sine_regression(n=20)
    return bp.fit(bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(4,)))), x, y, FIT, seed=0)


@pytest.fixture(scope="module")
def reg_pred(reg):
    return bp.predict(reg, GRID)


@pytest.fixture(scope="module")
def chains(reg):
    """The SVI draws split into 2 chains of 4, as an MCMC posterior (no loss)."""
    samples = {k: v.reshape(2, 4, *v.shape[2:]) for k, v in reg.samples.items()}
    return dataclasses.replace(
        reg, samples=samples, method=bp.NUTS(), stats={"diverging": np.zeros((2, 4), bool)}
    )


@pytest.fixture(scope="module")
def bern():
    x, y = two_moons(n=40)
    bnn = bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(4,)), likelihood=bp.Bernoulli()))
    return bp.fit(bnn, x, y, FIT, seed=0)


@pytest.fixture(scope="module")
def cat():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(c, 0.5, (10, 2)) for c in ([0, 0], [2, 0], [1, 2])]).astype(np.float32)
    y = np.repeat([0, 1, 2], 10)
    bnn = bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(4,)), likelihood=bp.Categorical(classes=3)))
    return bp.fit(bnn, x, y, FIT, seed=0)


def of(overlay, cls):
    return [el for el in overlay if type(el) is cls]  # exact: an Area is also a Curve


def image_points(img):
    """The image's pixel centres as an (n, 2) float32 array, in the order of its flat values."""
    return np.column_stack([img.dimension_values(0), img.dimension_values(1)]).astype(np.float32)


def raises(kind, message):
    return pytest.raises(kind, match=re.escape(message))


# --------------------------------------------------------------------------- regression


def test_regression_bands_median_data_and_truth(reg, reg_pred):
    plot = plots.regression(reg_pred, reg.x, reg.y, truth=lambda x: x * np.sin(5 * x))
    assert [type(el) for el in plot] == [hv.Area, hv.Area, hv.Curve, hv.Scatter, hv.Curve]
    outer, inner = of(plot, hv.Area)
    q = reg_pred.quantiles
    for area, (lo, hi) in ((outer, (0.025, 0.975)), (inner, (0.25, 0.75))):
        np.testing.assert_array_equal(area.dimension_values("x"), reg_pred.x[:, 0])
        np.testing.assert_array_equal(area.dimension_values("lower"), q[lo])
        np.testing.assert_array_equal(area.dimension_values("upper"), q[hi])
    median, truth = of(plot, hv.Curve)
    np.testing.assert_array_equal(median.dimension_values("y"), q[0.5])
    np.testing.assert_allclose(truth.dimension_values("y"), GRID[:, 0] * np.sin(5 * GRID[:, 0]), atol=1e-6)
    data = plot.Scatter.Data
    np.testing.assert_array_equal(data.dimension_values("x"), reg.x[:, 0])
    np.testing.assert_array_equal(data.dimension_values("y"), reg.y)


def test_regression_sorts_the_inputs(reg, reg_pred):
    order = np.random.default_rng(1).permutation(GRID.shape[0])
    shuffled = dataclasses.replace(
        reg_pred, x=reg_pred.x[order], quantiles={k: v[order] for k, v in reg_pred.quantiles.items()}
    )
    plot, sorted_plot = plots.regression(shuffled), plots.regression(reg_pred)
    assert len(plot) == 3  # no data, no truth
    for a, b in zip(plot, sorted_plot, strict=True):
        np.testing.assert_array_equal(a.array(), b.array())


def test_uncertainty_split_bands_are_mean_plus_minus_two_sd(reg, reg_pred):
    plot = plots.uncertainty_split(reg_pred, reg.x, reg.y)
    assert [panel.label for panel in plot] == ["epistemic", "aleatoric"]
    for panel, var in zip(plot, (reg_pred.epistemic, reg_pred.aleatoric), strict=True):
        (band,), (mean,) = of(panel, hv.Area), of(panel, hv.Curve)
        np.testing.assert_allclose(
            band.dimension_values("lower"), reg_pred.mean - 2 * np.sqrt(var), rtol=1e-6
        )
        np.testing.assert_allclose(
            band.dimension_values("upper"), reg_pred.mean + 2 * np.sqrt(var), rtol=1e-6
        )
        np.testing.assert_array_equal(mean.dimension_values("y"), reg_pred.mean)
        assert len(of(panel, hv.Scatter)) == 1


def test_predicted_vs_observed_and_residuals_with_any_number_of_inputs(bern):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(25, 3)).astype(np.float32)
    y = x @ np.array([1.0, -1.0, 0.5]) + 0.1 * rng.normal(size=25)
    post = bp.fit(bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(4,)))), x, y, FIT, seed=0)
    pred = bp.predict(post, x)
    left, right = plots.predicted_vs_observed(pred, y)
    (diagonal,), (bars,), (dots,) = of(left, hv.Curve), of(left, hv.ErrorBars), of(left, hv.Scatter)
    np.testing.assert_array_equal(dots.dimension_values("observed"), y)
    np.testing.assert_allclose(dots.dimension_values("predicted"), pred.mean, rtol=1e-6)
    # each error bar spans the central 95 % band of that row's predictive
    np.testing.assert_allclose(bars.dimension_values("predicted") - bars.dimension_values("below"),
                               pred.quantiles[0.025], rtol=1e-5, atol=1e-6)  # fmt: skip
    np.testing.assert_allclose(bars.dimension_values("predicted") + bars.dimension_values("above"),
                               pred.quantiles[0.975], rtol=1e-5, atol=1e-6)  # fmt: skip
    low, high = diagonal.dimension_values(0)
    assert low <= min(y.min(), pred.quantiles[0.025].min()) and high >= max(
        y.max(), pred.quantiles[0.975].max()
    )
    np.testing.assert_array_equal(diagonal.dimension_values(0), diagonal.dimension_values(1))
    (zero,), (residuals,) = of(right, hv.Curve), of(right, hv.Scatter)
    np.testing.assert_allclose(residuals.dimension_values("residual"), y - pred.mean, rtol=1e-5, atol=1e-6)
    assert set(zero.dimension_values("residual")) == {0.0}
    with raises(ValueError, "y: must have one value per row of pred.x (25), got shape (24,)."):
        plots.predicted_vs_observed(pred, y[:-1])
    with raises(
        ValueError, "pred: holds class probabilities (a classification likelihood); predicted_vs_observed"
    ):
        plots.predicted_vs_observed(bp.predict(bern, bern.x), bern.y)
    with raises(TypeError, "pred: must be bnnppl.Predictions (from bnnppl.predict), got 3."):
        plots.predicted_vs_observed(3, y)


def test_regression_errors(reg, reg_pred, bern):
    cls_pred = bp.predict(bern, bern.x[:5])
    few = dataclasses.replace(reg_pred, quantiles={0.5: reg_pred.quantiles[0.5]})
    wide = dataclasses.replace(reg_pred, x=np.zeros((50, 3), np.float32))
    cases = [
        (lambda: plots.regression(cls_pred), ValueError, "pred: holds class probabilities (a classification likelihood); a regression plot needs predictions of a regression likelihood."),
        (lambda: plots.regression(few), ValueError, "pred.quantiles: needs levels [0.025, 0.25, 0.5, 0.75, 0.975] (median, 50 % and 95 % bands), got [0.5]; bnnppl.predict(posterior, x) computes them."),
        (lambda: plots.regression(wide), ValueError, "pred.x: must have 1 column for a regression plot, got 3."),
        (lambda: plots.regression(reg), TypeError, "pred: must be bnnppl.Predictions (from bnnppl.predict), got a Posterior."),
        (lambda: plots.regression(reg_pred, np.zeros((4, 3)), np.zeros(4)), ValueError, "x_train: must have 1 column for a regression plot, got 3."),
        (lambda: plots.regression(reg_pred, reg.x, reg.y[:-1]), ValueError, "y_train: must have one value per row of x_train (20), got shape (19,)."),
        (lambda: plots.regression(reg_pred, reg.x), ValueError, "x_train: needs y_train too; pass both or neither."),
        (lambda: plots.regression(reg_pred, y_train=reg.y), ValueError, "y_train: needs x_train too; pass both or neither."),
        (lambda: plots.regression(reg_pred, reg.x[:, 0], reg.y), ValueError, "x_train: must be 2-D with shape (n_points, n_features), got shape (20,). For one feature use x_train.reshape(-1, 1)."),
        (lambda: plots.regression(reg_pred, truth=3), TypeError, "truth: must be a callable mapping x (m,) to y (m,), got 3."),
        (lambda: plots.regression(reg_pred, truth=lambda x: x[:, None]), ValueError, "truth: must return one value per x (shape (50,)), got shape (50, 1)."),
        (lambda: plots.uncertainty_split(cls_pred), ValueError, "pred: holds class probabilities (a classification likelihood); an uncertainty split needs predictions of a regression likelihood."),
        (lambda: plots.uncertainty_split(wide), ValueError, "pred.x: must have 1 column for an uncertainty split, got 3."),
    ]  # fmt: skip
    for call, kind, message in cases:
        with raises(kind, message):
            call()


# --------------------------------------------------------------------------- 2-D classification


@pytest.fixture(scope="module")
def crossing(bern):
    """``bern`` with the output bias raised so that P(y = 1) crosses 0.5 inside the grid (20 SVI
    steps leave it below 0.5 everywhere)."""
    samples = dict(bern.samples)
    samples["net.Dense_1.bias"] = samples["net.Dense_1.bias"] + 1.0
    return dataclasses.replace(bern, samples=samples)


def test_decision_surface_binary_is_predict_on_the_grid(crossing):
    bern = crossing
    plot = plots.decision_surface(bern, bern.x, bern.y, resolution=12, padding=0.25)
    assert [type(el) for el in plot] == [hv.Image, hv.Contours, hv.Points, hv.Points]
    img = plot.Image.I
    assert img.dimension_values("probability", flat=False).shape == (12, 12)
    xs, ys = np.unique(img.dimension_values(0)), np.unique(img.dimension_values(1))
    np.testing.assert_allclose(
        [xs[0], xs[-1]], [bern.x[:, 0].min() - 0.25, bern.x[:, 0].max() + 0.25], rtol=1e-6
    )
    np.testing.assert_allclose(
        [ys[0], ys[-1]], [bern.x[:, 1].min() - 0.25, bern.x[:, 1].max() + 0.25], rtol=1e-6
    )
    expected = bp.predict(bern, image_points(img)).mean
    values = img.dimension_values("probability")
    np.testing.assert_allclose(values, expected, rtol=1e-5, atol=1e-6)
    assert ((values >= 0) & (values <= 1)).all()
    (boundary,) = of(plot, hv.Contours)
    assert boundary.dimension_values("probability", expanded=False).tolist() == [0.5]
    on_line = boundary.array([0, 1]).astype(np.float32)
    on_line = on_line[np.isfinite(on_line).all(axis=1)]  # NaN rows separate the boundary's paths
    assert on_line.shape[0] > 2
    np.testing.assert_allclose(bp.predict(bern, on_line).mean, 0.5, atol=0.05)  # linear between pixels
    for k, points in enumerate(of(plot, hv.Points)):
        assert points.label == f"class {k}"
        np.testing.assert_array_equal(points.array(), bern.x[bern.y == k])


def test_decision_surface_many_classes_shows_the_top_probability(cat):
    plot = plots.decision_surface(cat, cat.x, cat.y, resolution=10)
    assert [type(el) for el in plot] == [hv.Image] + [hv.Points] * 3  # no 0.5 contour
    img = plot.Image.I
    assert img.vdims[0].label == "top class probability"
    expected = bp.predict(cat, image_points(img)).probs.max(1)
    np.testing.assert_allclose(img.dimension_values("probability"), expected, rtol=1e-5, atol=1e-6)


def test_decision_surface_class_map_colours_the_most_probable_class(cat, tmp_path):
    plot = plots.decision_surface(cat, cat.x, cat.y, resolution=10, show="class")
    assert [type(el) for el in plot] == [hv.Image] + [hv.Points] * 3
    img = plot.Image.I
    assert img.vdims[0].name == "class"
    expected = bp.predict(cat, image_points(img)).probs.argmax(1)
    np.testing.assert_array_equal(img.dimension_values("class"), expected)
    assert plots.save_png(plot, tmp_path / "classes.png").stat().st_size > 0
    with pytest.raises(
        ValueError, match=re.escape("show: unknown surface 'mode'. Allowed: 'class', 'probability'.")
    ):
        plots.decision_surface(cat, cat.x, cat.y, show="mode")


def test_uncertainty_map_kinds(bern, cat):
    for kind, field in (("entropy", "entropy"), ("mutual_information", "epistemic")):
        img = plots.uncertainty_map(bern, bern.x, bern.y, kind=kind, resolution=10).Image.I
        assert img.vdims[0].name == kind
        expected = getattr(bp.predict(bern, image_points(img)), field)
        np.testing.assert_allclose(img.dimension_values(kind), expected, rtol=1e-4, atol=1e-6)
    img = plots.uncertainty_map(bern, bern.x, bern.y, resolution=10).Image.I
    f = network_draws(bern, image_points(img))[..., 0]
    np.testing.assert_allclose(
        img.dimension_values("std"), (1 / (1 + np.exp(-f))).std(0), rtol=1e-4, atol=1e-6
    )
    plot = plots.uncertainty_map(cat, cat.x, cat.y, resolution=8)
    img = plot.Image.I
    f = network_draws(cat, image_points(img))
    p = np.exp(f) / np.exp(f).sum(-1, keepdims=True)
    top = p.mean(0).argmax(1)
    expected = p[:, np.arange(top.size), top].std(0)
    np.testing.assert_allclose(img.dimension_values("std"), expected, rtol=1e-4, atol=1e-6)
    assert len(of(plot, hv.Contours)) == 0


def test_the_surfaces_of_one_grid_predict_it_once(cat, monkeypatch):
    """A report's class map, probability surface and uncertainty maps share one prediction of
    their grid; another grid or another posterior predicts afresh."""
    from bnnppl.results import prediction

    calls = []
    real = prediction.predict
    counted = lambda post, grid, **kw: calls.append(grid.shape) or real(post, grid, **kw)  # noqa: E731
    monkeypatch.setattr(prediction, "predict", counted)
    classification._LAST.clear()
    first = plots.decision_surface(cat, cat.x, cat.y, resolution=9, show="class")
    plots.decision_surface(cat, cat.x, cat.y, resolution=9)
    for kind in ("entropy", "mutual_information"):
        img = plots.uncertainty_map(cat, cat.x, cat.y, kind=kind, resolution=9).Image.I
        field = "entropy" if kind == "entropy" else "epistemic"
        want = getattr(real(cat, image_points(img), keep_samples=False), field)
        np.testing.assert_allclose(img.dimension_values(kind), want, rtol=1e-6)
    assert calls == [(81, 2)]
    plots.decision_surface(cat, cat.x, cat.y, resolution=8)
    other = dataclasses.replace(cat)  # equal draws, another object: not assumed the same
    again = plots.decision_surface(other, cat.x, cat.y, resolution=9, show="class")
    assert calls == [(81, 2), (64, 2), (81, 2)]
    np.testing.assert_array_equal(again.Image.I.dimension_values("class"), first.Image.I.dimension_values("class"))


def by_hand_log_joint(post):
    """Bernoulli-logit MLP with N(0, 1) priors: sum of log N(w) plus sum of log p(y | f), per draw."""
    flat = post.flat_samples()
    prior = sum(norm.logpdf(v).reshape(v.shape[0], -1).sum(1) for v in flat.values())
    f = network_draws(post, post.x)[..., 0].astype(np.float64)
    return prior + (post.y * log_expit(f) + (1 - post.y) * log_expit(-f)).sum(1)


def test_log_joint_is_prior_plus_likelihood(bern):
    np.testing.assert_allclose(plots.log_joint(bern).ravel(), by_hand_log_joint(bern), rtol=1e-4)


def test_map_contour_picks_the_draw_of_highest_log_joint(bern):
    two = dataclasses.replace(
        bern, samples={k: v.reshape(2, 4, *v.shape[2:]) for k, v in bern.samples.items()}
    )
    chain, draw = divmod(int(np.argmax(by_hand_log_joint(two))), 4)
    plot = plots.map_contour(two, two.x, two.y, resolution=10)
    assert [type(el) for el in plot] == [hv.Image, hv.Contours, hv.Points, hv.Points]
    img = of(plot, hv.Image)[0]
    assert img.label == f"MAP draw: chain {chain}, draw {draw}"
    f = network_draws(two, image_points(img))[chain * 4 + draw, :, 0]
    np.testing.assert_allclose(
        img.dimension_values("probability"), 1 / (1 + np.exp(-f)), rtol=1e-5, atol=1e-6
    )


def test_surface_errors(reg, bern):
    cases = [
        (lambda: plots.decision_surface(reg, reg.x, reg.y), ValueError, "posterior: a decision surface needs a classification likelihood (Bernoulli or Categorical), got Gaussian."),
        (lambda: plots.uncertainty_map(reg, reg.x, reg.y), ValueError, "posterior: an uncertainty map needs a classification likelihood (Bernoulli or Categorical), got Gaussian."),
        (lambda: plots.map_contour(reg, reg.x, reg.y), ValueError, "posterior: a MAP contour plot needs a classification likelihood (Bernoulli or Categorical), got Gaussian."),
        (lambda: plots.decision_surface(bern, bern.x[:, :1], bern.y), ValueError, "x: must have 2 columns for a decision surface, got 1."),
        (lambda: plots.decision_surface(bern, np.zeros((40, 3)), bern.y), ValueError, "x: must have 2 columns for a decision surface, got 3."),
        (lambda: plots.decision_surface(bern, bern.x, np.full(40, 2)), ValueError, "y: Bernoulli labels must be 0 or 1, got 2 at row 0."),
        (lambda: plots.decision_surface(bern, bern.x, bern.y, resolution=1), ValueError, "resolution: must be >= 2, got 1."),
        (lambda: plots.decision_surface(bern, bern.x, bern.y, resolution=2.5), TypeError, "resolution: must be an integer, got 2.5."),
        (lambda: plots.decision_surface(bern, bern.x, bern.y, padding=-1), ValueError, "padding: must be >= 0, got -1."),
        (lambda: plots.decision_surface(bern, np.ones((3, 2)), [0, 1, 0], padding=0), ValueError, "x: column 0 has the single value 1.0; a grid needs a spread of inputs or padding > 0."),
        (lambda: plots.decision_surface("post", bern.x, bern.y), TypeError, "posterior: must be a bnnppl.Posterior (from bnnppl.fit), got 'post'."),
        (lambda: plots.uncertainty_map(bern, bern.x, bern.y, kind="variance"), ValueError, "kind: unknown uncertainty kind 'variance'. Allowed: 'entropy', 'mutual_information', 'std'."),
        (lambda: plots.uncertainty_map(bern, bern.x, bern.y, kind="entropyy"), ValueError, "kind: unknown uncertainty kind 'entropyy'. Did you mean 'entropy'? Allowed: 'entropy', 'mutual_information', 'std'."),
        (lambda: plots.map_contour(bern, bern.x[:, :1], bern.y), ValueError, "x: must have 2 columns for a MAP contour plot, got 1."),
    ]  # fmt: skip
    for call, kind, message in cases:
        with raises(kind, message):
            call()


# --------------------------------------------------------------------------- draws per chain


def test_trace_has_a_curve_per_chain_with_the_draws(chains):
    plot = plots.trace(chains)
    assert [panel.label for panel in plot] == ["sigma"]  # the default: sigma when sampled
    panel = plot[0]
    assert isinstance(panel, hv.NdOverlay) and list(panel.keys()) == [0, 1]
    for c in (0, 1):
        np.testing.assert_array_equal(panel[c].dimension_values("draw"), np.arange(4))
        np.testing.assert_array_equal(panel[c].dimension_values("value"), chains.samples["sigma"][c])
    plot = plots.trace(chains, "net.Dense_1.kernel", index=[3, 1])  # shape (4, 1): flat 3 is [3, 0]
    assert [panel.label for panel in plot] == ["net.Dense_1.kernel[3, 0]", "net.Dense_1.kernel[1, 0]"]
    kernel = chains.samples["net.Dense_1.kernel"]
    np.testing.assert_array_equal(plot[1][1].dimension_values("value"), kernel[1, :, 1, 0])


def test_trace_default_is_the_first_kernel_without_sigma(chains):
    samples = {k: v for k, v in chains.samples.items() if k != "sigma"}
    plot = plots.trace(dataclasses.replace(chains, samples=samples))
    assert [p.label for p in plot] == [f"net.Dense_0.kernel[0, {j}]" for j in range(4)]


def test_rank_bins_sum_to_the_draws_per_chain(chains):
    plot = plots.rank(chains, "net.Dense_1.bias", bins=3)
    panel = plot[0]
    hists = of(panel, hv.Histogram)
    assert [h.label for h in hists] == ["chain 0", "chain 1"]
    values = chains.samples["net.Dense_1.bias"][..., 0]
    ranks = rankdata(values.ravel()).reshape(2, 4)
    edges = np.linspace(0.5, 8.5, 4)
    for c, hist in enumerate(hists):
        assert hist.dimension_values("count").sum() == 4
        np.testing.assert_array_equal(hist.dimension_values("count"), np.histogram(ranks[c], edges)[0])
        np.testing.assert_allclose(hist.edges, edges)
    assert of(panel, hv.HLine)[0].data == pytest.approx(4 / 3)
    assert (
        len(of(plots.rank(chains, bins=100)[0], hv.Histogram)[0].dimension_values("count")) == 4
    )  # <= draws


def test_densities_hold_each_chains_draws(chains):
    many = plots.densities(chains, "net.Dense_0.bias", index=[0, 1, 2])
    assert many._max_cols == 2  # two panels per row
    assert hv.Store.lookup_options("bokeh", many, "plot").kwargs["shared_axes"] is False  # each its own axes
    plot = plots.densities(chains, "net.Dense_0.bias", index=3)
    assert [p.label for p in plot] == ["net.Dense_0.bias[3]"]
    for c in (0, 1):
        dist = plot[0][c]
        assert isinstance(dist, hv.Distribution)
        np.testing.assert_array_equal(
            dist.dimension_values("value"), chains.samples["net.Dense_0.bias"][c, :, 3]
        )


def test_chain_plot_errors(chains):
    names = "'net.Dense_0.bias', 'net.Dense_0.kernel', 'net.Dense_1.bias', 'net.Dense_1.kernel', 'sigma'"
    cases = [
        (lambda: plots.trace(chains, "sigmaa"), ValueError, f"var: unknown variable 'sigmaa'. Did you mean 'sigma'? Allowed: {names}."),
        (lambda: plots.rank(chains, "weights"), ValueError, f"var: unknown variable 'weights'. Allowed: {names}."),
        (lambda: plots.densities(chains, 3), TypeError, f"var: must be a string naming a variable, got 3; allowed: {names}."),
        (lambda: plots.trace(chains, "net.Dense_0.kernel", index=4), ValueError, "index: must be in 0..3 for 'net.Dense_0.kernel' (4 values), got 4."),
        (lambda: plots.trace(chains, "sigma", index=[0, -1]), ValueError, "index: must be in 0..0 for 'sigma' (1 values), got -1."),
        (lambda: plots.trace(chains, index="0"), TypeError, "index: must be an integer or a list of integers, got '0'."),
        (lambda: plots.trace(chains, index=[]), TypeError, "index: must be an integer or a list of integers, got []."),
        (lambda: plots.rank(chains, bins=0), ValueError, "bins: must be >= 1, got 0."),
        (lambda: plots.trace(None), TypeError, "posterior: must be a bnnppl.Posterior (from bnnppl.fit), got None."),
    ]  # fmt: skip
    for call, kind, message in cases:
        with raises(kind, message):
            call()


# --------------------------------------------------------------------------- loss and calibration


def test_loss_curve_is_the_losses_on_a_log_axis_with_a_moving_average(reg):
    plot = plots.loss(reg)
    raw, smooth = of(plot, hv.Curve)
    assert (raw.label, smooth.label) == ("per step", "moving average")  # "loss" would break matplotlib
    np.testing.assert_array_equal(raw.dimension_values("step"), np.arange(20))
    losses = np.asarray(reg.stats["loss"], dtype=np.float64)
    if losses.min() > 0:
        np.testing.assert_allclose(raw.dimension_values("loss"), losses)
        assert raw.vdims[0].label == "loss"
    # 20 steps: a window of max(1, 20 // 50) = 1 step, the losses themselves
    np.testing.assert_allclose(smooth.dimension_values("loss"), raw.dimension_values("loss"))
    options = hv.Store.lookup_options("bokeh", plot, "plot").kwargs
    assert options["logy"] is True
    finite = raw.dimension_values("loss")
    ticks = options["yticks"]
    assert 2 <= len(ticks) <= 5 and ticks == sorted(ticks)
    assert ticks[0] == pytest.approx(finite.min(), rel=0.05) and ticks[-1] == pytest.approx(
        finite.max(), rel=0.05
    )
    assert all(float(f"{t:.2g}") == t for t in ticks)  # two significant digits: readable labels


def test_loss_moving_average_is_the_mean_of_the_last_two_percent_of_steps(reg):
    losses = 100 + np.arange(200.0) % 7  # 200 steps: a window of 4
    smooth = of(plots.loss(dataclasses.replace(reg, stats={"loss": losses})), hv.Curve)[1]
    expected = [losses[max(0, i - 3) : i + 1].mean() for i in range(200)]
    np.testing.assert_allclose(smooth.dimension_values("loss"), expected)


def test_negative_losses_are_shifted_and_labelled(reg):
    losses = np.array([5.0, -2.0, np.nan, -3.0])
    raw, _ = of(plots.loss(dataclasses.replace(reg, stats={"loss": losses})), hv.Curve)
    np.testing.assert_array_equal(raw.dimension_values("loss"), [9.0, 2.0, np.nan, 1.0])
    assert raw.vdims[0].label == "loss - min(loss) + 1"


def test_calibration_classification_is_the_reliability_diagram(bern):
    pred = bp.predict(bern, bern.x)
    plot = plots.calibration(pred, bern.y, bins=5)
    r = metrics.reliability(bern.y, pred.probs, 5)
    full = r.count > 0
    diagonal, model = of(plot, hv.Curve)
    assert diagonal.label == "ideal" and diagonal.dimension_values(1).tolist() == [0.0, 1.0]
    np.testing.assert_array_equal(model.dimension_values("confidence"), r.confidence[full])
    np.testing.assert_array_equal(model.dimension_values("accuracy"), r.accuracy[full])
    np.testing.assert_array_equal(plot.Scatter.Model.dimension_values("accuracy"), r.accuracy[full])


def test_calibration_regression_is_the_coverage_curve(reg):
    pred = bp.predict(reg, reg.x, keep_samples=True)
    model = plots.calibration(pred, reg.y).Curve.Model
    c = metrics.coverage_curve(reg.y, pred.y)
    np.testing.assert_array_equal(model.dimension_values("level"), c.level)
    np.testing.assert_array_equal(model.dimension_values("coverage"), c.coverage)
    model = plots.calibration(pred, reg.y, levels=[0.5, 0.9]).Curve.Model
    assert model.dimension_values("level").tolist() == [0.5, 0.9]


def test_loss_and_calibration_errors(reg, chains, bern):
    pred = bp.predict(reg, reg.x, keep_samples=False)
    cases = [
        (lambda: plots.loss(chains), ValueError, "posterior: has no loss to plot: it was fitted with NUTS; loss() needs a posterior fitted with SVI."),
        (lambda: plots.loss(dataclasses.replace(reg, stats={"loss": np.full(3, np.nan)})), ValueError, "posterior.stats['loss']: all 3 values are NaN or infinite."),
        (lambda: plots.calibration(pred, reg.y), ValueError, "pred: has no draws of y (predicted with keep_samples=False); calibration needs them: bnnppl.predict(posterior, x, keep_samples=True)."),
        (lambda: plots.calibration(pred, reg.y[:5]), ValueError, "y: must have one value per row of pred.x (20), got shape (5,)."),
        (lambda: plots.calibration(bp.predict(bern, bern.x[:3]), [0, 1, 3]), ValueError, "y: labels must be integers in 0..1 (classes=2), got 3 at row 2."),
        (lambda: plots.calibration(bp.predict(reg, reg.x), reg.y, levels=[1.5]), ValueError, "levels: each level must be in (0, 1), got 1.5 at index 0."),
    ]  # fmt: skip
    for call, kind, message in cases:
        with raises(kind, message):
            call()


# --------------------------------------------------------------------------- animation


def test_draws_animation_regression_frames_are_the_draws(reg):
    anim = plots.draws_animation(reg, reg.x, reg.y, frames=3, resolution=25, padding=0.1)
    assert isinstance(anim, hv.HoloMap) and anim.kdims[0].name == "draw"
    assert anim.keys() == [0, 4, 7]  # evenly spaced over the 8 draws
    grid = anim[4].Curve.Draw.dimension_values("x")
    np.testing.assert_allclose(grid[[0, -1]], [reg.x.min() - 0.1, reg.x.max() + 0.1], rtol=1e-6)
    f = network_draws(reg, grid[:, None].astype(np.float32))[..., 0]
    band = bp.predict(reg, grid[:, None]).quantiles  # the whole posterior's, behind every draw
    for k in anim.keys():
        area, _, _ = anim[k]
        assert [type(el) for el in anim[k]] == [hv.Area, hv.Curve, hv.Scatter] and area.label == "95 % band"
        np.testing.assert_allclose(area.dimension_values("lower"), band[0.025], rtol=1e-5)
        np.testing.assert_allclose(area.dimension_values("upper"), band[0.975], rtol=1e-5)
        np.testing.assert_allclose(anim[k].Curve.Draw.dimension_values("y"), f[k], rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(anim[k].Scatter.Data.dimension_values("y"), reg.y)
    assert plots.draws_animation(reg, reg.x, frames=100).keys() == list(range(8))  # at most every draw
    assert len(plots.draws_animation(reg, reg.x, frames=1)[0]) == 2  # no y: no data layer


def test_draws_animation_classification_frames_are_decision_surfaces(bern):
    anim = plots.draws_animation(bern, bern.x, bern.y, frames=2, resolution=8)
    assert anim.keys() == [0, 7]
    for k in anim.keys():
        frame = anim[k]
        assert [type(el) for el in frame] == [hv.Image, hv.Contours, hv.Points, hv.Points]
        img = frame.Image.I
        f = network_draws(bern, image_points(img))[k, :, 0]
        np.testing.assert_allclose(
            img.dimension_values("probability"), 1 / (1 + np.exp(-f)), rtol=1e-5, atol=1e-6
        )


def test_draws_animation_errors(reg, bern, cat):
    cases = [
        (lambda: plots.draws_animation(reg, reg.x, frames=0), ValueError, "frames: must be >= 1, got 0."),
        (lambda: plots.draws_animation(reg, np.zeros((5, 3))), ValueError, "x: must have 1 column (curves) or 2 columns (decision surfaces) for a draws animation, got 3."),
        (lambda: plots.draws_animation(reg, np.zeros((5, 2))), ValueError, "posterior: a draws animation of decision surfaces needs a classification likelihood (Bernoulli or Categorical), got Gaussian."),
        (lambda: plots.draws_animation(bern, bern.x[:, :1]), ValueError, "x: has 1 feature(s) but the model was fitted on 2."),
        (lambda: plots.draws_animation(cat, cat.x[:, :1]), ValueError, "posterior: a draws animation of curves (1-column x) needs a regression or Bernoulli likelihood, got Categorical."),
        (lambda: plots.draws_animation(reg, reg.x, reg.y[:3]), ValueError, "y: "),
        (lambda: plots.draws_animation(reg, reg.x, resolution=1), ValueError, "resolution: must be >= 2, got 1."),
    ]  # fmt: skip
    for call, kind, message in cases:
        with raises(kind, message):
            call()


def test_bad_input_fails_before_any_jax_work(monkeypatch, reg, bern):
    """Every check runs first: with prediction and the log density disabled the errors are the same."""
    import importlib

    import numpyro.infer.util

    def no_jax(*args, **kwargs):
        raise AssertionError("JAX work started before the inputs were checked")

    for module in ("bnnppl.results.draws", "bnnppl.results.prediction"):
        monkeypatch.setattr(importlib.import_module(module), "chunks", no_jax)
    monkeypatch.setattr(numpyro.infer.util, "log_density", no_jax)
    calls = [
        lambda: plots.decision_surface(bern, bern.x, bern.y, padding=-1),
        lambda: plots.uncertainty_map(bern, bern.x, bern.y, kind="var"),
        lambda: plots.map_contour(bern, bern.x, bern.y, resolution=0),
        lambda: plots.draws_animation(bern, bern.x, [3] * 40),
        lambda: plots.draws_animation(reg, reg.x, frames=0),
    ]
    for call in calls:
        with pytest.raises(ValueError):
            call()


# --------------------------------------------------------------------------- output


@pytest.fixture(scope="module")
def every_plot(reg, reg_pred, chains, bern, cat):
    return {
        "regression": plots.regression(reg_pred, reg.x, reg.y, truth=lambda x: x * np.sin(5 * x)),
        "uncertainty_split": plots.uncertainty_split(reg_pred, reg.x, reg.y),
        "predicted_vs_observed": plots.predicted_vs_observed(bp.predict(reg, reg.x), reg.y),
        "decision_surface": plots.decision_surface(bern, bern.x, bern.y, resolution=10),
        "decision_surface_3": plots.decision_surface(cat, cat.x, cat.y, resolution=10),
        "uncertainty_map": plots.uncertainty_map(bern, bern.x, bern.y, resolution=10),
        "map_contour": plots.map_contour(bern, bern.x, bern.y, resolution=10),
        "trace": plots.trace(chains),
        "rank": plots.rank(chains, "net.Dense_0.kernel", index=[0, 1]),
        "densities": plots.densities(chains),
        "loss": plots.loss(reg),
        "calibration_classes": plots.calibration(bp.predict(bern, bern.x), bern.y),
        "calibration_regression": plots.calibration(bp.predict(reg, reg.x), reg.y),
        "draws_animation": plots.draws_animation(reg, reg.x, reg.y, frames=2),
        "draws_animation_2d": plots.draws_animation(bern, bern.x, bern.y, frames=2, resolution=8),
    }


def test_every_plot_saves_a_png_that_is_not_blank(every_plot, tmp_path):
    from PIL import Image

    for name, obj in every_plot.items():
        path = plots.save_png(obj, tmp_path / "slides" / f"{name}.png", dpi=50)
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", name
        pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
        assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 10, name
    assert sorted(p.name for p in (tmp_path / "slides").iterdir()) == sorted(f"{n}.png" for n in every_plot)


def test_png_is_at_least_1200_pixels_wide_for_slides(every_plot, tmp_path):
    from PIL import Image

    def size(path):
        with Image.open(path) as image:
            return image.size

    for name in ("regression", "uncertainty_split", "loss"):
        width, height = size(plots.save_png(every_plot[name], tmp_path / f"{name}.png"))
        assert width >= plots.export.MIN_WIDTH and height > 200, (name, width, height)
    # an explicit dpi is kept: 50 dpi gives a small image
    assert size(plots.save_png(every_plot["loss"], tmp_path / "small.png", dpi=50))[0] < 400


def test_holomap_saves_its_last_frame(every_plot, tmp_path):
    from PIL import Image

    anim = every_plot["draws_animation"]
    whole = plots.save_png(anim, tmp_path / "anim.png")
    last = plots.save_png(anim.last, tmp_path / "last.png")
    np.testing.assert_array_equal(np.asarray(Image.open(whole)), np.asarray(Image.open(last)))


def test_save_png_replaces_whole_files_and_checks_its_input(every_plot, tmp_path):
    path = tmp_path / "loss.png"
    path.write_bytes(b"old")
    plots.save_png(every_plot["loss"], path)
    assert path.read_bytes()[:4] == b"\x89PNG" and [p.name for p in tmp_path.iterdir()] == ["loss.png"]
    with raises(ValueError, "path: must end in '.png', got 'loss.jpg'."):
        plots.save_png(every_plot["loss"], "loss.jpg")
    with raises(
        TypeError,
        "obj: must be a holoviews object or an arviz-plots PlotCollection (from bnnppl.plots), got [1, 2].",
    ):
        plots.save_png([1, 2], tmp_path / "x.png")
    with raises(ValueError, "dpi: must be >= 1, got 0."):
        plots.save_png(every_plot["loss"], tmp_path / "x.png", dpi=0)


def test_every_plot_renders_with_bokeh(every_plot):
    from bokeh.model import Model

    for name, obj in every_plot.items():
        assert isinstance(hv.render(obj, backend="bokeh"), Model), name


def test_worst_elements_put_the_value_whose_chains_disagree_first(chains):
    rng = np.random.default_rng(0)
    samples = {k: rng.normal(size=(2, 100, *v.shape[2:])) for k, v in chains.samples.items()}
    samples["net.Dense_0.kernel"][1, :, 0, 2] += 3.0  # chain 1 of this weight far from chain 0
    post = dataclasses.replace(chains, samples=samples, stats={"diverging": np.zeros((2, 100), bool)})
    rows = plots.worst_elements(post, 3)
    assert rows[0][:2] == ("net.Dense_0.kernel", 2) and rows[0][2] > 1.5 and rows[1][2] < 1.1
    assert [r[2] for r in rows] == sorted((r[2] for r in rows), reverse=True)
    assert len(plots.worst_elements(post, 1000)) == sum(v[0, 0].size for v in samples.values())
    assert [p.label for p in plots.trace(post, worst=2)][0] == "net.Dense_0.kernel[0, 2]"
    assert len(plots.rank(post, worst=2)) == 2 and len(plots.densities(post, worst=3)) == 3
    with raises(
        ValueError,
        "worst: picks the elements itself; give it without var and index, got var='sigma', index=None.",
    ):
        plots.trace(post, "sigma", worst=2)
    with raises(ValueError, "worst: must be >= 1, got 0."):
        plots.rank(post, worst=0)
    with raises(ValueError, "n: must be >= 1, got 0."):
        plots.worst_elements(post, 0)
    # the rows of one worst_elements call, shared between plots, pick the same panels
    assert [p.label for p in plots.trace(post, worst=rows[:2])] == [
        p.label for p in plots.trace(post, worst=2)
    ]
    with raises(
        TypeError,
        "worst: must be a number of values or the rows of worst_elements(posterior, n), got [('nope', 0, 1.0, 5.0)].",
    ):
        plots.densities(post, worst=[("nope", 0, 1.0, 5.0)])


# --------------------------------------------------------------------------- arviz-plots: chains


@pytest.fixture(scope="module")
def mixed(chains):
    """Two chains of 100 draws; chain 1 of one weight far from chain 0 (r-hat about 2), so it
    mixes worst; one divergent draw."""
    rng = np.random.default_rng(0)
    samples = {k: rng.normal(size=(2, 100, *v.shape[2:])) for k, v in chains.samples.items()}
    samples["net.Dense_0.kernel"][1, :, 0, 2] += 3.0
    diverging = np.zeros((2, 100), bool)
    diverging[0, 10] = True
    return dataclasses.replace(chains, samples=samples, stats={"diverging": diverging})


def labels_of(post, rows):
    """``site[i, j]`` of each row of ``worst_elements``, as the plots name them."""
    out = []
    for site, i, *_ in rows:
        shape = post.samples[site].shape[2:]
        out.append(f"{site}[{', '.join(str(j) for j in np.unravel_index(i, shape))}]" if shape else site)
    return out


def renderers(plot, glyph):
    return [r for r in plot.renderers if type(r.glyph).__name__ == glyph]


def test_forest_lists_the_worst_values_in_order_with_their_rhat_and_ess(mixed):
    rows = plots.worst_elements(mixed, 6)
    names = labels_of(mixed, rows)
    assert names[0] == "net.Dense_0.kernel[0, 2]"
    pc = plots.forest(mixed, worst=6)
    assert list(pc.data.data_vars) == names
    target = {c: pc.get_target(None, {"column": c}) for c in ("labels", "forest", "r_hat", "ess")}
    (text,) = renderers(target["labels"], "Text")
    assert list(text.data_source.data["text"]) == names
    y = np.asarray(text.data_source.data["y"])
    assert (np.diff(y) < 0).all()  # worst at the top
    for column, index in (("r_hat", 2), ("ess", 3)):
        (dots,) = renderers(target[column], "Scatter")
        np.testing.assert_allclose(dots.data_source.data["x"], [r[index] for r in rows])
        np.testing.assert_array_equal(dots.data_source.data["y"], y)
    assert [s.location for s in target["r_hat"].center if type(s).__name__ == "Span"] == [1.01]
    assert [s.location for s in target["ess"].center if type(s).__name__ == "Span"] == [400.0]
    assert [target[c].title.text for c in target] == [
        "6 values, worst first", "mean, 50 % and 89 % intervals (chains pooled)", "r-hat", "bulk ESS",
    ]  # fmt: skip
    # the point estimate of a value: the mean of both chains' draws, at the value's height
    point = pc.viz["point_estimate"][names[0]].item()
    np.testing.assert_allclose(
        point.data_source.data["x"], [mixed.samples["net.Dense_0.kernel"][:, :, 0, 2].mean()]
    )
    np.testing.assert_allclose(point.data_source.data["y"], [y[0]])
    # the rows of one worst_elements call pick the same values
    assert list(plots.forest(mixed, worst=rows[:2]).data.data_vars) == names[:2]


def test_trace_dist_titles_name_the_value_and_colour_the_chains(mixed):
    rows = plots.worst_elements(mixed, 2)
    names = labels_of(mixed, rows)
    pc = plots.trace_dist(mixed, worst=rows)
    assert list(pc.data.data_vars) == names
    for name in names:
        density, trace = pc.viz["plot"][name].values
        assert (density.title.text, trace.title.text) == (f"Density: {name}", f"Trace: {name}")
    site = mixed.samples["net.Dense_0.kernel"][:, :, 0, 2]
    lines = pc.viz["trace"][names[0]].values
    assert len({line.glyph.line_color for line in lines}) == 2  # one colour per chain
    for c, line in enumerate(lines):
        np.testing.assert_array_equal(line.data_source.data["y"], site[c])
    assert pc.viz["plot"][names[0]].values[1].legend[0].title == "chain"
    assert "divergence_dist" in pc.viz.children  # the divergent draw is marked


def test_rank_ecdf_titles_name_the_value_and_needs_two_chains(mixed, reg):
    rows = plots.worst_elements(mixed, 3)
    pc = plots.rank_ecdf(mixed, worst=rows)
    names = labels_of(mixed, rows)
    assert [pc.viz["plot"][n].item().title.text for n in names] == [f"Rank: {n}" for n in names]
    assert len({line.glyph.line_color for line in pc.viz["ecdf_lines"][names[0]].values}) == 2
    with raises(ValueError, "posterior: has 1 chain; a rank plot compares chains and needs 2 or more."):
        plots.rank_ecdf(reg)


def test_forest_and_trace_dist_of_one_chain(reg):
    pc = plots.forest(reg, worst=3)
    target = pc.get_target(None, {"column": "r_hat"})
    assert target.title.text == "r-hat (n/a: one chain)"
    (dots,) = renderers(target, "Scatter")
    assert len(dots.data_source.data["x"]) == 0  # no r-hat to show
    pc = plots.trace_dist(reg, worst=1)
    assert not any(plot.legend for plot in pc.viz["plot"].to_dataset().to_array().values.ravel())


def test_arviz_plot_errors(mixed):
    cases = [
        (lambda: plots.forest(mixed, backend="svg"), ValueError, "backend: unknown arviz-plots backend 'svg'. Allowed: 'bokeh', 'matplotlib'."),
        (lambda: plots.trace_dist(mixed, worst=0), ValueError, "worst: must be >= 1, got 0."),
        (lambda: plots.rank_ecdf(mixed, worst=[("nope", 0, 1.0, 5.0)]), TypeError, "worst: must be a number of values or the rows of worst_elements(posterior, n), got [('nope', 0, 1.0, 5.0)]."),
        (lambda: plots.forest("post"), TypeError, "posterior: must be a bnnppl.Posterior (from bnnppl.fit), got 'post'."),
        (lambda: plots.save_png(plots.forest(mixed, worst=2), "forest.png"), ValueError, "obj: an arviz-plots PlotCollection drawn with backend='bokeh'; a PNG needs one drawn with backend='matplotlib' (bnnppl.plots.forest(posterior, backend='matplotlib'), ...)."),
    ]  # fmt: skip
    for call, kind, message in cases:
        with raises(kind, message):
            call()


def test_arviz_plots_save_pngs_through_matplotlib(mixed, tmp_path):
    import matplotlib.pyplot as plt
    from PIL import Image

    for build in (plots.forest, plots.trace_dist, plots.rank_ecdf):
        pc = build(mixed, worst=4, backend="matplotlib")
        try:
            figure = pc.viz["figure"].item()
            titles = [ax.get_title() for ax in figure.axes if ax.get_title()]
            path = plots.save_png(pc, tmp_path / f"{build.__name__}.png")
        finally:
            plt.close(figure)
        with Image.open(path) as image:
            pixels = np.asarray(image.convert("RGB"))
        assert pixels.shape[1] >= plots.export.MIN_WIDTH and pixels.shape[0] > 300, build.__name__
        assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 10, build.__name__
        name = "net.Dense_0.kernel[0, 2]"
        expected = {
            "forest": ["4 values, worst first", "mean, 50 % and 89 % intervals (chains pooled)", "r-hat", "bulk ESS"],
            "trace_dist": [f"Density: {name}", f"Trace: {name}"],
            "rank_ecdf": [f"Rank: {name}"],
        }[build.__name__]  # fmt: skip
        assert titles[: len(expected)] == expected


def test_arviz_plots_is_imported_on_the_first_call_only():
    import subprocess
    import sys

    code = "import sys, bnnppl.plots, bnnppl.runs.report; print('arviz_plots' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "False\n"
