"""Diagnostics beyond r-hat and bulk ESS: tail ESS, NUTS's tree depth, E-BFMI, advice that fits
the method, limits never printed as met when they are not, and weights not painted as a failure
when the network output mixes.

Synthetic ArviZ posteriors (no fitting) with hand-made sample stats, each built to trigger one
warning; the healthy ones stay silent. One short NUTS fit checks the numbers reach ``Posterior``.
"""

import arviz as az
import numpy as np
import pytest
from scipy import stats

from bnnppl.results import modes
from bnnppl.results.diagnostics import Diagnostics, summarize, up

CHAINS, DRAWS, POINTS = 2, 1000, 10


def posterior(*, tree_depth=None, energy=None, sticky_f=False, seed=0):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(CHAINS, DRAWS, POINTS, 1))
    if sticky_f:  # AR(1) chains with correlation 0.99: a handful of effective draws
        for t in range(1, DRAWS):
            f[:, t] = 0.99 * f[:, t - 1] + np.sqrt(1 - 0.99**2) * f[:, t]
    stats = {"diverging": np.zeros((CHAINS, DRAWS), bool)}
    if tree_depth is not None:
        stats["tree_depth"] = tree_depth
    if energy is not None:
        stats["energy"] = energy
    groups = {"posterior": {"w": rng.normal(size=(CHAINS, DRAWS, 3)), "f": f}, "sample_stats": stats}
    return az.from_dict(groups, dims={"f": ["point", "output"]})


def healthy_energy(rho=0.0, seed=1):
    """Energies of an AR(1) series: E-BFMI = mean squared step / variance = 2 (1 - rho)."""
    rng = np.random.default_rng(seed)
    e = rng.normal(size=(CHAINS, DRAWS))
    for t in range(1, DRAWS):
        e[:, t] = rho * e[:, t - 1] + np.sqrt(1 - rho**2) * e[:, t]
    return e


@pytest.mark.parametrize("prob", [None, 0.9])
def test_tail_ess_is_arvizs(prob):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(5, 3, 301)).cumsum(-1) * 0.1 + rng.normal(size=(5, 3, 301))
    x[1] = np.round(x[1])  # ties
    x[2, 0] = 0.25  # a constant chain
    want = []
    for s in x:
        kwargs = {} if prob is None else {"prob": (1 - prob, prob)}
        data = az.from_dict({"posterior": {"a": s}})
        want.append(float(np.asarray(az.ess(data, method="tail", **kwargs)["a"])))
    np.testing.assert_allclose(modes.ess_tail(x, prob), want, rtol=1e-9)
    assert np.isnan(modes.ess_tail(x[..., :3])).all()  # fewer than 4 draws


def test_summarize_reads_tails_tree_depth_and_bfmi():
    depth = np.full((CHAINS, DRAWS), 5)
    depth[:, :300] = 8  # 30 % at the limit of 8
    dt = posterior(tree_depth=depth, energy=healthy_energy(rho=0.9))
    d = summarize(dt, sampler="nuts", max_tree_depth=8)
    assert d.depth_limit_share == pytest.approx(0.3) and d.max_tree_depth == 8
    assert d.min_bfmi == pytest.approx(float(np.min(az.bfmi(dt)["energy"])), rel=1e-12)
    assert 0.1 < d.min_bfmi < 0.3  # 2 (1 - 0.9) = 0.2
    summary = az.summary(dt, var_names=["w"], kind="diagnostics")
    assert d.min_ess_tail == pytest.approx(float(summary["ess_tail"].min()), rel=1e-6)
    assert d.function_min_ess_tail == pytest.approx(
        float(np.asarray(az.ess(dt, var_names=["f"], method="tail")["f"]).min()), rel=1e-9
    )
    assert d.warnings() == [
        "30 % of transitions reached max_tree_depth=8 (> 10 %): NUTS cut its trajectories short, so "
        "successive draws are more alike than they need be; raise max_tree_depth (each level doubles "
        "the cost of a draw) or use more chains from init='ensemble'.",
        "E-BFMI down to 0.20 (< 0.3): the momentum resampling explores the energy levels poorly (heavy "
        "tails, or scales that set other parameters' scales); reparameterise those scales or run a "
        "longer warmup.",
    ]


def test_healthy_sampler_stats_are_silent():
    depth = np.full((CHAINS, DRAWS), 5)
    depth[:, :50] = 8  # 5 %: below the 10 % limit
    d = summarize(posterior(tree_depth=depth, energy=healthy_energy()), sampler="nuts", max_tree_depth=8)
    assert d.depth_limit_share == pytest.approx(0.05) and d.min_bfmi > 1.5
    assert d.warnings() == []
    # without NUTS's limit (another method) the depth is not judged; without energy no E-BFMI
    other = summarize(posterior(tree_depth=np.full((CHAINS, DRAWS), 8)), sampler="hmc")
    assert np.isnan(other.depth_limit_share) and other.max_tree_depth == 0 and np.isnan(other.min_bfmi)
    assert other.warnings() == []


def test_tail_ess_warns_when_bulk_passes():
    d = summarize(posterior(), sampler="nuts")._replace(function_min_ess_tail=150.0)
    assert d.function_min_ess_bulk >= 400 and d.warnings() == [
        "tail ESS down to 150 (< 400): the intervals rest on too few effective draws; run longer."
    ]
    sticky = summarize(posterior(sticky_f=True), sampler="nuts").warnings()  # bulk fails: no tail warning
    assert any("bulk ESS" in w for w in sticky) and not any(w.startswith("tail ESS") for w in sticky)


def test_advice_fits_the_method():
    d = Diagnostics(1.0, 1000.0, 2, 1.0, 1000.0, (1.0, 1.0), (500.0, 500.0), ((0, 1),))
    advice = {w: d._replace(sampler=w).warnings()[0].split("; ", 1)[1] for w in ("nuts", "hmc", "mclmc", "")}
    assert advice == {
        "nuts": "raise target_accept or reparameterise.",
        "hmc": "lower step_size (or set adapt=True to tune it).",
        "mclmc": "raise target_accept (adjusted=True) or use more warmup.",
        "": "lower the step size or reparameterise.",
    }


def test_limits_are_never_printed_as_met():
    assert up(1.0102) == "1.011" and up(1.01) == "1.010" and up(1.0) == "1.000" and up(1.23456, 2) == "1.24"
    d = Diagnostics(1.0102, 1000.0, 0, 1.0102, 1000.0)  # no f per chain: the pooled check
    assert d.warnings() == ["r-hat up to 1.011 (> 1.01): chains disagree; run longer."]


def test_report_paints_weights_as_fine_when_f_mixes():
    from bnnppl.runs.tables import diagnostics_table as _diagnostics_table

    swapped = Diagnostics(1.8, 5.0, 0, 1.002, 900.0, (1.0, 1.0), (500.0, 500.0), ((0, 1),))
    table = _diagnostics_table(swapped._replace(function_min_ess_tail=800.0, depth_limit_share=0.4,
                                                max_tree_depth=8, min_bfmi=0.9, sampler="nuts"))  # fmt: skip
    assert "<tr><td>max r-hat (weights)</td><td>1.800</td><td>ok</td>" in table
    assert "f mixes, so hidden units swapping places explain it" in table
    assert "<tr><td>min bulk ESS (weights)</td><td>5</td><td>ok</td>" in table
    assert "<tr><td>min tail ESS (function f)</td><td>800</td><td>ok</td>" in table
    assert '<tr class="problem"><td>transitions at max_tree_depth</td><td>40 %</td><td>problem</td>' in table
    assert "<tr><td>min E-BFMI</td><td>0.90</td><td>ok</td>" in table
    # when f has not mixed, weights that fail are painted as a problem
    unmixed = swapped._replace(function_max_rhat=1.3, chain_function_max_rhat=(1.0, 1.3))
    assert (
        '<tr class="problem"><td>max r-hat (weights)</td><td>1.800</td><td>problem</td>'
        in _diagnostics_table(unmixed)
    )


def test_cli_prints_tails_tree_depth_and_bfmi(capsys):
    from bnnppl.runs.console import print_diagnostics

    d = Diagnostics(1.0, 1000.0, 0, 1.0, 900.0, min_ess_tail=700.0, function_min_ess_tail=650.0,
                    depth_limit_share=0.25, max_tree_depth=8, min_bfmi=0.93)  # fmt: skip
    print_diagnostics(d)
    assert capsys.readouterr().out.splitlines()[:5] == [
        "  parameters: max r-hat 1.000, min bulk ESS 1000, tail ESS 700",
        "  function f: max r-hat 1.000, min bulk ESS 900, tail ESS 650",
        "  divergences: 0",
        "  tree depth: 25 % of transitions at max_tree_depth 8",
        "  E-BFMI: 0.93 in the worst chain (want >= 0.3)",
    ]


def with_log_likelihood(dt, heavy_points=0, seed=5):
    """``dt`` with a log-likelihood of 30 points; the first ``heavy_points`` have wildly varying
    terms across draws (an influential point: high Pareto k)."""
    rng = np.random.default_rng(seed)
    ll = -1.0 + 0.1 * rng.normal(size=(CHAINS, DRAWS, 30))
    ll[..., :heavy_points] = -np.exp(rng.normal(size=(CHAINS, DRAWS, heavy_points)))
    groups = {"posterior": dt.posterior.to_dataset(), "log_likelihood": {"obs": ll}}
    return az.from_dict({"posterior": {k: v.values for k, v in groups["posterior"].items()},
                         "log_likelihood": groups["log_likelihood"]}, dims={"f": ["point", "output"]})  # fmt: skip


def test_loo_counts_high_pareto_k_and_warns():
    dt = with_log_likelihood(posterior(), heavy_points=3)
    d = summarize(dt, sampler="nuts")  # ArviZ's own warning is replaced by d.warnings()'s
    with pytest.warns(UserWarning, match="Estimated shape parameter of Pareto"):
        loo = az.loo(dt)
    k = np.asarray(loo.pareto_k)
    assert (
        d.loo_points == 30
        and d.loo_elpd == pytest.approx(float(loo.elpd))
        and d.loo_se == pytest.approx(float(loo.se))
    )
    assert d.pareto_k_limit == pytest.approx(min(1 - 1 / np.log10(CHAINS * DRAWS), 0.7))
    assert d.pareto_k_high == int(np.sum(k > loo.good_k)) >= 1 and d.pareto_k_max == pytest.approx(k.max())
    assert d.warnings() == [
        f"PSIS-LOO: {d.pareto_k_high} of 30 training points have Pareto k above 0.70 (largest "
        f"{k.max():.2f}): their leave-one-out estimates are unreliable (the fit leans on them); check "
        "with K-fold cross-validation (az.loo_kfold) before trusting elpd."
    ]
    healthy = summarize(with_log_likelihood(posterior()), sampler="nuts")
    assert healthy.loo_points == 30 and healthy.pareto_k_high == 0 and healthy.warnings() == []
    assert summarize(posterior()).loo_points == 0  # no log-likelihood group: not computed


def test_cli_says_when_a_fit_is_no_better_than_a_constant(capsys):
    from bnnppl.runs.console import print_metrics

    print_metrics({"test": {"log_likelihood": -1.5, "constant_log_likelihood": -1.25},
                    "train": {"log_likelihood": 0.25, "constant_log_likelihood": -1.25}})  # fmt: skip
    assert capsys.readouterr().out.splitlines() == [
        "  test: log_likelihood -1.5, constant_log_likelihood -1.25",
        "  train: log_likelihood 0.25, constant_log_likelihood -1.25",
        "  warning: test log-likelihood -1.5 is no better than a constant prediction's (-1.25: the training "
        "targets' own mean and spread): the network learned nothing usable from the inputs; check the data's "
        "scaling, the prior and the fit.",
    ]


@pytest.mark.parametrize(
    ("family", "y_train", "y", "want"),
    [
        ("gaussian", [[1.0, 0.0], [3.0, 0.0], [2.0, 3.0]], [[2.0, 1.0]],
         lambda: stats.norm.logpdf(2.0, 2.0, 1.0) + stats.norm.logpdf(1.0, 1.0, np.sqrt(3.0))),
        ("bernoulli", [1, 1, 0], [0, 1], lambda: (np.log(1.5 / 4) + np.log(2.5 / 4)) / 2),
        ("categorical", [0, 2, 2], [1, 2], lambda: (np.log(0.5 / 4.5) + np.log(2.5 / 4.5)) / 2),
        ("poisson", [1, 2, 6], [4], lambda: stats.poisson.logpmf(4, 3.0)),
    ],
)  # fmt: skip
def test_constant_log_likelihood_by_family(family, y_train, y, want):
    from bnnppl.results.metrics import constant_log_likelihood

    assert constant_log_likelihood(y_train, y, family, classes=3) == pytest.approx(float(want()), rel=1e-12)
