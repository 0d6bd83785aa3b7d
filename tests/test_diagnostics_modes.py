"""Diagnostics for many chains: each chain's own mixing, and the modes the chains found in ``f``.

Synthetic ArviZ posteriors (no fitting): chains drawn around one of a few well-separated means of
``f`` sit in different modes; a chain with a trend has not mixed.
"""

import json

import arviz as az
import numpy as np
import pytest

from bnnppl.results import modes
from bnnppl.results.diagnostics import Diagnostics, summarize

DRAWS, POINTS = 1000, 20
MODES_8 = (
    "the 8 chains found 3 modes of the posterior (chains 0, 2, 5 | 4, 6, 7 | 1, 3); each mixes within "
    "its mode; predictions pool them (weights by chain count, not by posterior mass). Not a failure: "
    "running longer will not join them; to find more modes, start more chains from init='ensemble'."
)


def posterior(f, w=None, diverging=None):
    w = np.random.default_rng(99).normal(size=f.shape[:2] + (2,)) if w is None else w
    groups = {"posterior": {"w": w, "f": f}}
    if diverging is not None:
        groups["sample_stats"] = {"diverging": diverging}
    return az.from_dict(groups, dims={"f": ["point", "output"]})


def draws(chains, seed=0, centers=None):
    """``f`` of ``chains`` chains of independent draws; chain ``c`` around mode ``centers[c]``."""
    rng = np.random.default_rng(seed)
    means = 5.0 * rng.normal(size=(3, POINTS))  # three modes, far apart at most points
    centers = np.zeros(chains, int) if centers is None else np.asarray(centers)
    return rng.normal(size=(chains, DRAWS, POINTS, 1)) + means[centers][:, None, :, None]


def test_eight_chains_in_three_modes_each_mixed():
    centers = [0, 1, 0, 1, 2, 0, 2, 2]
    w = np.random.default_rng(1).normal(size=(8, DRAWS, 2)) + 3.0 * np.array(centers)[:, None, None]
    d = summarize(posterior(draws(8, centers=centers), w, np.zeros((8, DRAWS), bool)))
    assert d.modes == ((0, 2, 5), (4, 6, 7), (1, 3)) and d.num_modes == 3  # biggest first, then by chain
    assert len(d.chain_function_max_rhat) == len(d.chain_function_min_ess_bulk) == 8
    assert max(d.chain_function_max_rhat) < 1.02 and min(d.chain_function_min_ess_bulk) > 500
    assert d.function_max_rhat > 2 and d.unmixed_chains == ()
    assert d.warnings() == [MODES_8]  # not "run longer"; no pooled ESS across modes


def test_four_chains_in_one_mode_no_warnings():
    d = summarize(posterior(draws(4, seed=2)))
    assert d.modes == ((0, 1, 2, 3),) and d.num_modes == 1
    assert d.function_max_rhat < 1.01 and max(d.chain_function_max_rhat) < 1.02
    assert d.warnings() == []


def test_chains_with_a_trend_are_named_and_told_to_run_longer():
    f = draws(6, seed=3)
    f[1] += np.linspace(0.0, 3.0, DRAWS)[:, None, None]
    f[4] += np.linspace(0.0, 2.0, DRAWS)[:, None, None]
    d = summarize(posterior(f))
    assert d.unmixed_chains == (1, 4)
    assert d.warnings() == [
        "chains 1 and 4 have not mixed within themselves (split r-hat of f up to 1.47, want <= 1.1; "
        "bulk ESS of f down to 2, want >= 100): run longer.",
        "bulk ESS down to 19 (< 400): too few effective draws.",
    ]


def test_one_chain_is_its_own_mode_with_its_own_mixing():
    d = summarize(posterior(draws(1, seed=4)))
    assert d.modes == ((0,),) and d.num_modes == 1
    assert len(d.chain_function_max_rhat) == 1 and d.chain_function_max_rhat[0] < 1.02
    assert np.isnan(d.function_max_rhat)  # ArviZ needs two chains; the chain's split r-hat stands in
    assert d.warnings() == []


def test_constant_and_nan_chains_do_not_crash():
    f = draws(4, seed=5)
    f[2] = f[2, :1]  # stuck: repeats its first draw
    f[3, 10, 0, 0] = np.nan
    d = summarize(posterior(f))
    rhat, ess = d.chain_function_max_rhat, d.chain_function_min_ess_bulk
    assert np.isnan(rhat[2]) and ess[2] == DRAWS  # as ArviZ: a constant series has ESS = draws
    assert np.isnan(rhat[3]) and np.isnan(ess[3])
    assert d.unmixed_chains == (2, 3) and (3,) in d.modes
    assert d.warnings()[0] == (
        "chains 2 and 3 have not mixed within themselves (split r-hat of f up to nan, want <= 1.1; "
        "bulk ESS of f down to nan, want >= 100): run longer."
    )


def test_weights_that_disagree_while_f_mixed_are_permutations_not_run_longer():
    w = np.random.default_rng(6).normal(size=(4, DRAWS, 2)) * np.array([1.0, -1.0, 1.0, -1.0])[:, None, None]
    w += 3.0 * np.array([1.0, -1.0, 1.0, -1.0])[:, None, None]  # hidden units swapped in chains 1, 3
    d = summarize(posterior(draws(4, seed=6), w))
    assert d.num_modes == 1 and d.function_mixed
    assert d.warnings() == [
        f"r-hat of the weights up to {d.max_rhat:.3f} (> 1.01), but the network output f has mixed "
        f"(r-hat {d.function_max_rhat:.3f}): the weights are identified only up to permutations of "
        "hidden units (swapping two units gives the same f); no action needed."
    ]


def mixed(**changes):
    """Two chains, one mode, everything fine; ``changes`` replace fields."""
    d = Diagnostics(1.0, 1000.0, 0, 1.0, 1000.0, (1.0, 1.0), (500.0, 500.0), ((0, 1),))
    return d._replace(**changes)


def test_warning_texts_for_each_case():
    assert mixed().warnings() == []
    one_mode = mixed(max_rhat=1.05, min_ess_bulk=120.0, function_max_rhat=1.05, divergences=3, sampler="nuts")
    assert one_mode.warnings() == [
        "r-hat up to 1.050 (> 1.01): chains disagree; run longer.",  # one mode, chains mixed: run longer
        "bulk ESS down to 120 (< 400): too few effective draws.",
        "3 divergent transition(s): the sampler hit regions it cannot follow; raise target_accept or "
        "reparameterise.",
    ]
    three = mixed(function_max_rhat=1.3, chain_function_max_rhat=(1.0, 1.3, 1.0, 1.0, 1.2, 1.0, 1.5))
    three = three._replace(chain_function_min_ess_bulk=(500.0,) * 6 + (40.0,), modes=((0, 1, 2, 3, 4, 5, 6),))
    assert three.warnings() == [
        "chains 1, 4 and 6 have not mixed within themselves (split r-hat of f up to 1.50, want <= 1.1; "
        "bulk ESS of f down to 40, want >= 100): run longer."
    ]
    one = mixed(function_max_rhat=1.3, chain_function_max_rhat=(1.0, 1.3))
    assert one.warnings() == [
        "chain 1 has not mixed within itself (split r-hat of f up to 1.30, want <= 1.1): run longer."
    ]
    no_f = Diagnostics(1.05, 120.0, 0, float("nan"), float("nan"))  # no function site: weights alone
    assert no_f.modes == () and no_f.num_modes == 0
    assert no_f.warnings() == [
        "r-hat up to 1.050 (> 1.01): chains disagree; run longer.",
        "bulk ESS down to 120 (< 400): too few effective draws.",
    ]


def test_diagnostics_json_keeps_per_chain_numbers_and_modes():
    from bnnppl.runs.runner import _diagnostics_dict

    d = mixed(function_max_rhat=2.0, chain_function_max_rhat=(1.0, float("nan")), modes=((0,), (1,)))
    saved = json.loads(json.dumps(_diagnostics_dict(d), allow_nan=False))
    assert saved["chain_function_max_rhat"] == [1.0, None] and saved["modes"] == [[0], [1]]
    back = Diagnostics(**{k: saved[k] for k in Diagnostics._fields})  # lists, None for NaN
    assert back.unmixed_chains == (1,) and back.modes_text() == "0 | 1"
    assert back.warnings() == saved["warnings"] == d.warnings()


def test_cli_prints_modes_and_per_chain_mixing(capsys):
    from bnnppl.runs.console import print_diagnostics

    d = mixed(function_max_rhat=1.4, chain_function_max_rhat=(1.004, 1.002, 1.003))
    print_diagnostics(d._replace(chain_function_min_ess_bulk=(730.0, 800.0, 900.0), modes=((0, 2), (1,))))
    assert capsys.readouterr().out.splitlines()[2:4] == [
        "  chains: 3 in 2 modes (0, 2 | 1); per chain, split r-hat of f up to 1.004, bulk ESS of f down to 730",
        "  divergences: 0",
    ]


def test_report_has_rows_for_chains_and_modes():
    from bnnppl.runs.tables import diagnostics_table as _diagnostics_table

    d = mixed(function_max_rhat=1.4, chain_function_max_rhat=(1.004, 1.002), modes=((0,), (1,)))
    table = _diagnostics_table(d)
    assert "<td>modes (function f)</td><td>2 (chains 0 | 1)</td><td>ok</td>" in table
    assert "<td>max split r-hat per chain (function f)</td><td>1.004</td><td>ok</td>" in table
    assert "<tr><td>max r-hat (function f)</td><td>1.400</td><td>ok</td>" in table  # explained by modes


@pytest.mark.parametrize("ties", [False, True])
def test_vectorised_numbers_are_arviz_numbers(ties):
    rng = np.random.default_rng(7)
    x = np.cumsum(rng.normal(size=(6, 101)), axis=-1) * 0.1 + rng.normal(size=(6, 101))
    if ties:  # rejected proposals repeat a draw (HMC, Metropolis-adjusted Langevin)
        x = np.round(x, 1)
    np.testing.assert_allclose(modes.ess_bulk(x), [float(az.ess(s[None])) for s in x], rtol=1e-9)
    half = 50
    halves = np.stack([x[:, :half], x[:, -half:]], axis=1)
    z = modes._z_scale(halves.reshape(6, -1)).reshape(halves.shape)
    folded = modes._z_scale(np.abs(halves - np.median(halves, axis=(1, 2), keepdims=True)).reshape(6, -1))
    rhat = [az.rhat(a, method="identity", chain_axis=-2, draw_axis=-1) for a in (z, folded.reshape(z.shape))]
    np.testing.assert_allclose(modes.split_rhat(x), np.maximum(*rhat), rtol=1e-12)


def test_z_scale_ranks_ties_like_scipy():
    from scipy import special, stats

    x = np.array([[3.0, 1.0, 3.0, 2.0, 3.0], [1.0, 1.0, 1.0, 1.0, 1.0], [0.5, np.nan, 0.1, 0.2, 0.3]])
    expected = special.ndtri((stats.rankdata(x, axis=-1) - 3 / 8) / (5 + 1 / 4))
    np.testing.assert_allclose(modes._z_scale(x), expected, rtol=1e-13)


def test_agreement_is_the_standardised_difference_of_chain_means():
    f = np.zeros((3, 4, 1, 1))
    f[:, :, 0, 0] = [[0, 1, 0, 1], [0.2, 1.2, 0.2, 1.2], [3, 4, 3, 4]]  # variance 1/3 in each chain
    z = modes.chain_distances(f)
    np.testing.assert_allclose(z[[0, 0, 1], [1, 2, 2]], np.array([0.2, 3.0, 2.8]) / np.sqrt(2 / 3))
    assert modes.chain_modes(f) == ((0, 1), (2,))
    assert modes.AGREE_LIMIT == pytest.approx(np.sqrt(1.1**2 - 1))


@pytest.mark.parametrize("chunk", [modes.CHUNK_VALUES, 1], ids=["whole", "one series at a time"])
def test_vectorised_rhat_and_ess_are_arvizs(chunk, monkeypatch):
    """``rhat_ess`` (used for every r-hat and ESS of ``summarize``) gives ArviZ's rank-normalised
    split r-hat and bulk ESS to float rounding: random walks, a trend, a constant chain."""
    monkeypatch.setattr(modes, "CHUNK_VALUES", chunk)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 200, 3)).cumsum(1) * 0.1 + rng.normal(size=(4, 200, 3))
    x[0, :, 0] += np.linspace(0.0, 1.0, 200)
    x[1, :, 1] = 0.5
    x = x.astype(np.float32)
    data = az.from_dict({"posterior": {"w": x}}, dims={"w": ["k"]}).posterior.to_dataset()
    rhat, ess = modes.rhat_ess(np.moveaxis(x, 2, 0))
    np.testing.assert_allclose(rhat, az.rhat(data)["w"].values, rtol=1e-6)
    np.testing.assert_allclose(ess, az.ess(data)["w"].values, rtol=1e-5)


@pytest.mark.filterwarnings("ignore:Estimated shape parameter of Pareto")  # random log-likelihoods
def test_relative_ess_is_arvizs_reff_and_loo_is_unchanged():
    """``relative_ess`` (the ``reff`` passed to ``az.loo``) is the number ArviZ computes itself,
    over every posterior value (random walks, a constant, several sites); and one chain gives 1."""
    from arviz_stats.loo.loo_helper import _get_r_eff

    from bnnppl.results.diagnostics import relative_ess

    rng = np.random.default_rng(3)
    w = (rng.normal(size=(4, 101, 3)).cumsum(1) * 0.2 + rng.normal(size=(4, 101, 3))).astype(np.float32)
    w[:, :, 2] = 0.25
    b = rng.normal(size=(4, 101))
    log_lik = -0.5 * (rng.normal(size=(4, 101, 7)) + w[:, :, :1]) ** 2
    tree = az.from_dict({"posterior": {"w": w, "b": b}, "log_likelihood": {"y": log_lik}}, dims={"w": ["k"]})
    expected = _get_r_eff(tree, 4 * 101)
    assert relative_ess(tree) == pytest.approx(expected, rel=1e-10)
    assert 0.05 < expected < 1.0
    mine, theirs = az.loo(tree, reff=relative_ess(tree)), az.loo(tree)
    assert float(mine.elpd) == pytest.approx(float(theirs.elpd), rel=1e-10)
    np.testing.assert_allclose(np.asarray(mine.pareto_k), np.asarray(theirs.pareto_k), rtol=1e-8)
    one = az.from_dict({"posterior": {"b": b[:1]}})
    assert relative_ess(one) == 1.0


def test_ess_mean_is_arvizs_and_nan_for_a_series_with_a_nan():
    rng = np.random.default_rng(5)
    x = np.cumsum(rng.normal(size=(3, 4, 51)), axis=-1) * 0.1 + rng.normal(size=(3, 4, 51))
    x[2, 1, 7] = np.nan
    expected = [float(az.ess(s, method="mean", chain_axis=-2, draw_axis=-1)) for s in x]
    np.testing.assert_allclose(modes.ess_mean(x)[:2], expected[:2], rtol=1e-10)
    assert np.isnan(modes.ess_mean(x)[2]) and np.isnan(expected[2])
