"""The report's HTML tables: the header (how the run was made), the convergence check with
its limits, the metrics with their meanings and the per-site r-hat and ESS."""

from __future__ import annotations

import datetime as _dt
import html
from typing import Any

import numpy as np

from bnnppl.plots.arviz import FOREST_VALUES
from bnnppl.results.diagnostics import (
    BFMI_LIMIT,
    CHAIN_ESS_LIMIT,
    CHAIN_RHAT_LIMIT,
    DEPTH_SHARE_LIMIT,
    DIVERGENCE_ADVICE,
    ESS_LIMIT,
    RHAT_LIMIT,
    UNIQUE_LIMIT,
    Diagnostics,
    LossCheck,
    SMCCheck,
    metric_warnings,
    up,
)
from bnnppl.results.posterior import Posterior
from bnnppl.runs.config import RunConfig

__all__ = ["METRIC_MEANINGS", "diagnostics_table", "header", "metrics_table", "sites_table"]

METRIC_MEANINGS = {
    "log_likelihood": "mean log predictive density of a row's target (higher is better; in the "
    "target's units)",
    "constant_log_likelihood": "the same for the best constant prediction (the training targets' "
    "mean and sd, or their class frequencies): the bar a model must clear",
    "linear_log_likelihood": "the same for the textbook linear model of the likelihood (Bayesian "
    "linear regression; L2 logistic, softmax or Poisson regression) fitted to the training rows: on "
    "test rows, the bar a network should clear",
    "rmse": "root mean squared error of the predictive mean (lower is better)",
    "mae": "mean absolute error of the predictive mean (lower is better)",
    "coverage_95": "share of targets inside the central 95 % predictive band; want about 0.95",
    "width_95": "mean width of that band: narrower is better at the same coverage",
    "crps": "continuous ranked probability score of the predictive draws: accuracy and spread "
    "in one number, in the target's units (lower is better)",
    "accuracy": "share of rows whose most probable class is the true one",
    "brier": "squared error of the class probabilities, summed over classes, mean over rows "
    "(0 is perfect, 2 the worst; lower is better)",
    "ece": "expected calibration error: rows binned by top-class probability (10 bins), the mean "
    "gap between that probability and the bin's accuracy, weighted by bin size; want < 0.05",
}
"""What each metric of ``metrics.json`` means, for the report's metrics table."""


def header(config: RunConfig, posterior: Posterior, name: str, made: dict[str, Any]) -> str:
    """The title, a sentence on what was fitted, and how the run was made (``run.json``)."""
    method = config.inference.to_dict()["method"].upper()
    source = config.data.name or config.data.train
    net = config.model.network
    seconds = made.get("fit_seconds", posterior.seconds)
    words = (
        f"<h1>{html.escape(name)}</h1>"
        f"<p>{config.task.capitalize()} on <b>{html.escape(str(source))}</b>: an MLP with hidden "
        f"widths {list(net.hidden)} ({html.escape(str(net.activation))}), "
        f"{html.escape(config.model.likelihood.family)} likelihood, fitted with {method} "
        f"({posterior.num_chains} chain(s) x {posterior.num_draws} draws) in {seconds:.1f} s, "
        f"{_scaling_words(posterior)}.</p>"
    )
    rows = [("seed", str(made.get("seed", config.seed)))]
    if made.get("command"):
        rows.append(("command", f"<code>{html.escape(made['command'])}</code>"))
    if made.get("overrides"):
        codes = (f"<code>{html.escape(str(o))}</code>" for o in made["overrides"])
        rows.append(("overrides", ", ".join(codes)))
    if made.get("started"):
        rows.append(("started", html.escape(str(made["started"]))))
    libraries = {"python": made["python"]} if made.get("python") else {}
    libraries |= made.get("versions", {})
    if libraries:
        rows.append(("versions", html.escape(", ".join(f"{k} {v}" for k, v in libraries.items()))))
    rows.append(("report made", f"{_dt.datetime.now():%Y-%m-%d %H:%M}"))
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return words + f'<table class="header">{table}</table>'


def _scaling_words(posterior: Posterior) -> str:
    """How the model saw the data: every value in this report is in the data's own units."""
    if posterior.scaling is None:
        return "on the data as given (not scaled)"
    target = " and target" if posterior.scaling.scales_y else ""
    return (
        f"on inputs{target} standardised with the training rows' mean and sd "
        "(every number and plot here is in the data's own units)"
    )


def _row(cells: list[str], bad: bool = False) -> str:
    style = ' class="problem"' if bad else ""
    return f"<tr{style}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def diagnostics_table(d: Diagnostics | LossCheck | SMCCheck, metrics: dict[str, Any] | None = None) -> str:
    """The convergence table: each row's status in words, problems highlighted; under it the
    convergence warnings, then those of the ``metrics`` (``metric_warnings``: a split no better
    than a constant, test rows below the linear model), so that the top of a report never says
    all is well while the predictions lose to a simple baseline."""
    head = "<h2>Diagnostics</h2><table><tr><th>check</th><th>value</th><th>status</th><th>meaning</th></tr>"
    if isinstance(d, SMCCheck):
        checks = [
            ("log-evidence", f"{d.log_evidence:.4g}", np.isfinite(d.log_evidence),
             "estimate of log p(y | x): compare models on the same data with it"),
            ("stages", f"{d.stages}", True, "reweighting stages from the prior to the posterior"),
            ("resampled", f"{d.resamples}", True, "stages whose ESS fell below resample_ess"),
            ("distinct final particles", f"{100 * d.unique:.1f} %", d.unique >= UNIQUE_LIMIT,
             f"want >= {100 * UNIQUE_LIMIT:.0f} %; fewer: the particles collapsed onto a few points"),
        ]  # fmt: skip
    elif isinstance(d, LossCheck):
        checks = [
            ("final loss", f"{d.final:.4g}", np.isfinite(d.final), "mean of the last 10 % of steps"),
            ("loss change", f"{100 * d.change:.2f} %", d.change <= 0.01,
             "drop over the last 10 % of steps; over 1 %: the fit was still improving"),
        ]  # fmt: skip
    else:
        checks = []
        f_fine = d.function_mixed or _in_modes(d)  # then weights that disagree are hidden units swapped
        swapped = "; f mixes, so hidden units swapping places explain it" if f_fine else ""
        for name, value, ok, meaning in [
            ("max r-hat (weights)", d.max_rhat, d.max_rhat <= RHAT_LIMIT or f_fine,
             "chains agree when <= 1.01; weights may disagree through hidden-unit permutations"
             + (swapped if d.max_rhat > RHAT_LIMIT else "")),
            ("min bulk ESS (weights)", d.min_ess_bulk, d.min_ess_bulk >= ESS_LIMIT or f_fine,
             "effective draws; want >= 400" + (swapped if d.min_ess_bulk < ESS_LIMIT else "")),
            ("max r-hat (function f)", d.function_max_rhat, d.function_max_rhat <= RHAT_LIMIT or _in_modes(d),
             "the network output at the training inputs: the number that matters for predictions"
             + ("; above 1.01 because the chains sit in different modes" if _in_modes(d) else "")),
            ("min bulk ESS (function f)", d.function_min_ess_bulk, d.function_min_ess_bulk >= ESS_LIMIT,
             "effective draws of the output; want >= 400"),
            ("divergences", d.divergences, d.divergences == 0, "want 0; " + _divergence_advice(d)),
        ]:  # fmt: skip
            text = up(value) if isinstance(value, float) and "r-hat" in name else f"{value:.0f}"
            checks.append((name, text, ok, meaning))
        checks += _sampler_checks(d)
        checks += _chain_checks(d) if d.modes else []
    rows = [_row([name, text, "ok" if ok else "problem", why], not ok) for name, text, ok, why in checks]
    warnings, others = d.warnings(), metric_warnings(metrics or {})
    words = _problems(warnings) if warnings else "<p>No convergence problems found.</p>"
    if others:
        words += "<p>The predictions have problems (see Metrics):</p>" + _problems(others)
    return head + "".join(rows) + "</table>" + words


def _problems(warnings: list[str]) -> str:
    """``warnings`` as a list of problems (red on the page)."""
    return "<ul>" + "".join(f'<li class="problem">{html.escape(w)}</li>' for w in warnings) + "</ul>"


def _divergence_advice(d: Diagnostics) -> str:
    return "else " + DIVERGENCE_ADVICE.get(d.sampler, DIVERGENCE_ADVICE[""])


def _sampler_checks(d: Diagnostics) -> list[tuple[str, str, bool, str]]:
    """Rows for the tail ESS of f, NUTS's tree depth and E-BFMI, where they were computed."""
    tail, share, bfmi = d.function_min_ess_tail, d.depth_limit_share, d.min_bfmi  # NaN: not computed
    rows = []
    if np.isfinite(tail):
        rows.append(("min tail ESS (function f)", f"{tail:.0f}", tail >= ESS_LIMIT or d.num_modes > 1,
                     "effective draws for the 11 % and 89 % quantiles: how well the intervals are known; "
                     "want >= 400"))  # fmt: skip
    if d.max_tree_depth and np.isfinite(share):
        rows.append(("transitions at max_tree_depth", f"{100 * share:.0f} %", share <= DEPTH_SHARE_LIMIT,
                     f"NUTS's trajectories cut short at depth {d.max_tree_depth}; want <= "
                     f"{100 * DEPTH_SHARE_LIMIT:.0f} %"))  # fmt: skip
    if np.isfinite(bfmi):
        rows.append(("min E-BFMI", f"{bfmi:.2f}", bfmi >= BFMI_LIMIT,
                     f"momentum resampling against energy, worst chain; want >= {BFMI_LIMIT}"))  # fmt: skip
    if d.loo_points:
        elpd, high = f"{d.loo_elpd:.1f} ± {d.loo_se:.1f}", f"{d.pareto_k_high} of {d.loo_points}"
        rows += [
            ("PSIS-LOO elpd (training points)", elpd, True,
             "expected log density of each training point when left out; compare models with it"),
            (f"Pareto k above {d.pareto_k_limit:.2f}", high, d.pareto_k_high == 0,
             "points whose leave-one-out estimate is unreliable; want 0"),
        ]  # fmt: skip
    return rows


def _in_modes(d: Diagnostics) -> bool:
    """The chains sit in several modes of f, each chain mixed within itself."""
    return d.num_modes > 1 and not d.unmixed_chains


def _chain_checks(d: Diagnostics) -> list[tuple[str, str, bool, str]]:
    """Rows for each chain of f on its own, and for the modes the chains found."""
    rhat = np.asarray(d.chain_function_max_rhat, dtype=float)  # from diagnostics.json: None is NaN
    ess = np.asarray(d.chain_function_min_ess_bulk, dtype=float)
    modes = f"{d.num_modes} (chains {d.modes_text()})" if d.num_modes > 1 else "1"
    rhat_ok, ess_ok = bool(np.all(rhat <= CHAIN_RHAT_LIMIT)), bool(np.all(ess >= CHAIN_ESS_LIMIT))
    return [
        ("max split r-hat per chain (function f)", up(float(np.max(rhat))), rhat_ok,
         f"each chain on its own, its two halves as two chains; want <= {CHAIN_RHAT_LIMIT}"),
        ("min bulk ESS per chain (function f)", f"{np.min(ess):.0f}", ess_ok,
         f"effective draws of one chain; want >= {CHAIN_ESS_LIMIT}"),
        ("modes (function f)", modes, True,
         "groups of chains whose f agree; chains started from an ensemble may find several, which "
         "predictions pool by chain count (not by posterior mass)"),
    ]  # fmt: skip


def metrics_table(metrics: dict[str, Any]) -> str:
    splits = [s for s in ("test", "train") if s in metrics]
    names = list(metrics[splits[0]])
    head = "<h2>Metrics</h2><table><tr><th>metric</th>" + "".join(f"<th>{s}</th>" for s in splits)
    head += "<th>meaning</th></tr>"
    rows = "".join(
        _row([n] + [f"{metrics[s][n]:.4g}" for s in splits] + [html.escape(METRIC_MEANINGS.get(n, ""))])
        for n in names
    )
    warnings = metric_warnings(metrics)
    return head + rows + "</table>" + (_problems(warnings) if warnings else "")


def sites_table(posterior: Posterior, rows: list[tuple[str, int, float, float]]) -> str:
    """Per sampled site: its number of values, their largest r-hat and smallest bulk ESS, and how
    many miss the limits (``rows``: ``plots.worst_elements`` of every value); the plots below show
    the values that mix worst."""
    by_site: dict[str, list[tuple[float, float]]] = {site: [] for site in posterior.samples}
    for site, _, r, e in rows:
        by_site[site].append((r, e))
    body = []
    for site, stats in by_site.items():
        rhat, ess = np.array(stats).T
        worst_rhat = up(float(np.max(rhat))) if np.isfinite(rhat).any() else "n/a (one chain)"
        missing = int(np.sum((rhat > RHAT_LIMIT) | (ess < ESS_LIMIT)))
        body.append(_row([html.escape(site), str(rhat.size), worst_rhat, f"{np.min(ess):.0f}", str(missing)]))
    head = (
        "<p>Every sampled site (weight space: hidden units that swap places raise the r-hat of their "
        "weights while the network output f mixes; the diagnostics table judges f). The forest plot "
        f"shows the {FOREST_VALUES} values with the largest r-hat (then the smallest ESS), the trace, "
        "density and rank plots the worst four.</p><table><tr><th>site</th>"
        f"<th>values</th><th>max r-hat</th><th>min bulk ESS</th><th>r-hat &gt; {RHAT_LIMIT} or ESS "
        f"&lt; {ESS_LIMIT:.0f}</th></tr>"
    )
    return head + "".join(body) + "</table>"
