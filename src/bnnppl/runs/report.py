"""A run folder's ``report.html``: one standalone page that opens offline in any browser.

The page shows the config, a diagnostics table that says in plain words what is wrong (if
anything), the metrics, and the plots that fit the task: predictive bands, the epistemic /
aleatoric split and an animation over draws for 1-D regression; decision surfaces, uncertainty
maps and the most probable draw for 2-D classification; calibration for both; the loss curve
(SVI), the ESS and tempering path (SMC) or trace and rank plots (MCMC); posterior densities.
Bokeh's scripts are inlined, so no network is needed. ``bnnppl report RUN`` rebuilds it from
the files of the run folder.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import html
import re
from pathlib import Path
from typing import Any

import numpy as np

from bnnppl import datasets, plots
from bnnppl.plots._common import bokeh_only
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
    constant_warnings,
    up,
)
from bnnppl.results.posterior import Posterior
from bnnppl.results.prediction import predict
from bnnppl.runs.config import RunConfig, dump_config
from bnnppl.runs.html import save_html
from bnnppl.runs.layout import REPORT
from bnnppl.runs.reader import load_data, open_run, read_check, read_config, read_metrics, read_run

TRUTH = {
    "sine": lambda x: x * np.sin(5.0 * x),
    "langevin_curve": datasets.langevin_curve_function,
    "heteroscedastic": datasets.heteroscedastic_mean,
}
"""The noise-free function of the built-in regression data sets, drawn beside the predictive."""


_STYLE = """<style>
  .problem { background: #fde0dc; color: #8b0000; font-weight: bold; }
  .page { display: grid; grid-template-columns: 11rem minmax(0, 1fr); gap: 0 1.5rem; }
  nav.contents { position: sticky; top: 1rem; align-self: start; }
  nav.contents ol { padding-left: 1.3rem; margin: 0.3rem 0; line-height: 1.6; }
  nav.contents a { text-decoration: none; }
  .plots { display: flex; flex-wrap: wrap; gap: 1rem 1.5rem; align-items: flex-start; }
  .plots > div > * { max-width: 100%; overflow-x: auto; }  /* a plot wider than the screen scrolls */
  td:first-child, th:first-child, td:last-child, th:last-child { text-align: left; }  /* names, meanings */
  .header td, .header th { text-align: left; }
  pre { overflow-x: auto; }
  @media (max-width: 900px) {
    .page { grid-template-columns: minmax(0, 1fr); }
    nav.contents { position: static; }
  }
</style>"""
"""The page's layout: a contents sidebar beside the sections (above them on narrow screens), each
section's plots side by side where the width allows (a plot wider than the window scrolls
sideways in its own box); problems in red; the meaning column left-aligned."""

METRIC_MEANINGS = {
    "log_likelihood": "mean log predictive density of a row's target (higher is better; in the "
    "target's units)",
    "constant_log_likelihood": "the same for the best constant prediction (the training targets' "
    "mean and sd, or their class frequencies): the bar a model must clear",
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


def write_report(
    run_dir: Path | str, *, posterior: Posterior | None = None, name: str | None = None, png: bool = False
) -> Path:
    """Write ``report.html`` into the run folder ``run_dir`` (atomically) and return its path.

    ``png=True`` also saves every plot as ``plots/<nn>-<title>.png`` for slides (a HoloMap as
    its last frame). ``posterior`` saves reloading it when the caller has it in memory, and
    ``name`` is the run's name when the folder is still being filled under a temporary one (both
    from ``bnnppl.runs.runner``).

    >>> write_report("runs/sine_nuts-20261123-182336", png=True)  # doctest: +SKIP
    PosixPath('runs/sine_nuts-20261123-182336/report.html')
    """
    run_dir = Path(run_dir)
    if posterior is None:
        config, posterior, data = open_run(run_dir)
    else:
        config, data = read_config(run_dir), load_data(run_dir)
    metrics, check = read_metrics(run_dir), read_check(run_dir)  # a damaged file: one line, nothing written
    name = name or run_dir.name
    sections: list[Any] = [_diagnostics_table(check), _metrics_table(metrics)]
    with contextlib.nullcontext() if png else bokeh_only():
        sections += _plots(config, posterior, data)
    sections += ["<h2>Config</h2>", f"<pre>{html.escape(dump_config(config))}</pre>"]
    sections = [_STYLE, _header(config, posterior, name, read_run(run_dir)), *_laid_out(sections)]
    if png:
        figures = [s for s in sections if not isinstance(s, str)]
        for i, figure in enumerate(figures, start=1):
            title = re.sub(r"[^a-z0-9]+", "-", _title(figure).lower()).strip("-") or "plot"
            plots.save_png(figure, run_dir / "plots" / f"{i:02d}-{title}.png")
    return save_html(sections, run_dir / REPORT, title=f"bnnppl run {name}")


def _title(figure: Any) -> str:
    """A plot's title as set by ``bnnppl.plots`` (a layout, HoloMap: its first panel's)."""
    for obj in (figure, *getattr(figure, "values", lambda: [])()):
        try:
            text = obj.opts.get("plot", backend="bokeh").kwargs.get("title")
        except (AttributeError, ValueError):
            text = None
        if text:
            return str(text)
    return type(figure).__name__


def _header(config: RunConfig, posterior: Posterior, name: str, made: dict[str, Any]) -> str:
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


def _laid_out(sections: list[Any]) -> list[Any]:
    """``sections`` (each ``<h2>`` string starting a section) as the page's layout: a contents
    sidebar of the headings, each section a ``<section id=...>`` whose plots wrap side by side.

    >>> page = _laid_out(["<h2>Metrics</h2><table></table>", "<h2>Config</h2>", "<pre></pre>"])
    >>> page[0].split("<li>")  # doctest: +NORMALIZE_WHITESPACE
    ['<div class="page"><nav class="contents"><b>Contents</b><ol>', '<a href="#metrics">Metrics</a></li>',
     '<a href="#config">Config</a></li></ol></nav><main>']
    >>> page[1:]  # doctest: +NORMALIZE_WHITESPACE
    ['<section id="metrics"><h2>Metrics</h2><table></table><div class="plots">',
     '</div></section><section id="config"><h2>Config</h2><div class="plots">', '<pre></pre>',
     '</div></section></main></div>']
    """
    out: list[Any] = []
    toc: list[tuple[str, str]] = []
    for item in sections:
        heading = re.match(r"<h2>(.*?)</h2>", item) if isinstance(item, str) else None
        if heading:
            anchor = re.sub(r"[^a-z0-9]+", "-", heading[1].lower()).strip("-")
            toc.append((anchor, heading[1]))
            close = "</div></section>" if len(toc) > 1 else ""
            out.append(f'{close}<section id="{anchor}">{item}<div class="plots">')
        else:
            out.append(item)
    links = "".join(f'<li><a href="#{anchor}">{title}</a></li>' for anchor, title in toc)
    nav = f'<div class="page"><nav class="contents"><b>Contents</b><ol>{links}</ol></nav><main>'
    return [nav, *out, "</div></section></main></div>"]


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


def _diagnostics_table(d: Diagnostics | LossCheck | SMCCheck) -> str:
    """The convergence table: each row's status in words, problems highlighted."""
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
    warnings = d.warnings()
    words = (
        "<ul>" + "".join(f'<li class="problem">{html.escape(w)}</li>' for w in warnings) + "</ul>"
        if warnings
        else "<p>No convergence problems found.</p>"
    )
    return head + "".join(rows) + "</table>" + words


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


def _metrics_table(metrics: dict[str, Any]) -> str:
    splits = [s for s in ("test", "train") if s in metrics]
    names = list(metrics[splits[0]])
    head = "<h2>Metrics</h2><table><tr><th>metric</th>" + "".join(f"<th>{s}</th>" for s in splits)
    head += "<th>meaning</th></tr>"
    rows = "".join(
        _row([n] + [f"{metrics[s][n]:.4g}" for s in splits] + [html.escape(METRIC_MEANINGS.get(n, ""))])
        for n in names
    )
    warnings = constant_warnings(metrics)
    words = "<ul>" + "".join(f'<li class="problem">{html.escape(w)}</li>' for w in warnings) + "</ul>"
    return head + rows + "</table>" + (words if warnings else "")


def _grid_1d(x: np.ndarray, *others: np.ndarray | None, points: int = 200) -> np.ndarray:
    values = np.concatenate([x[:, 0]] + [o[:, 0] for o in others if o is not None])
    low, high = values.min(), values.max()
    pad = 0.15 * (high - low)
    return np.linspace(low - pad, high + pad, points, dtype=np.float32)[:, None]


def _plots(config: RunConfig, posterior: Posterior, data: Any) -> list[Any]:
    x, y = data.x, data.y
    x_eval, y_eval = (x, y) if data.x_test is None else (data.x_test, data.y_test)
    width = x.shape[1]
    out: list[Any] = []
    if config.task == "regression" and width == 1:
        grid = predict(posterior, _grid_1d(x, data.x_test), seed=config.seed)
        out += ["<h2>Predictions</h2>", plots.regression(grid, x, y, truth=TRUTH.get(config.data.name))]
        out += [plots.uncertainty_split(grid, x, y)]
        out += ["<h2>Posterior draws</h2>", plots.draws_animation(posterior, x, y)]
    elif config.task == "classification" and width == 2:
        out += ["<h2>Predictions</h2>"]
        if posterior.bnn.likelihood.n_outputs > 2:  # K classes: where each class is, then how sure
            out += [plots.decision_surface(posterior, x, y, show="class")]
        out += [plots.decision_surface(posterior, x, y)]
        out += [plots.uncertainty_map(posterior, x, y, kind="entropy")]
        out += [plots.uncertainty_map(posterior, x, y, kind="mutual_information")]
        out += [plots.map_contour(posterior, x, y)]
        out += ["<h2>Posterior draws</h2>", plots.draws_animation(posterior, x, y)]
    elif config.task == "regression":  # more than one input: no curve to draw, so y against its prediction
        rows = "test rows" if data.x_test is not None else "training rows"
        pred = predict(posterior, x_eval, seed=config.seed)
        out += [f"<h2>Predictions ({rows})</h2>", plots.predicted_vs_observed(pred, y_eval)]
    split = "test" if data.x_test is not None else "training"
    out += [f"<h2>Calibration ({split} rows)</h2>", plots.calibration(predict(posterior, x_eval), y_eval)]
    out += ["<h2>Inference</h2>"]
    if "loss" in posterior.stats:
        out += [plots.loss(posterior)]
    elif "log_evidence" in posterior.stats:  # SMC: particles, not chains
        out += [plots.smc_history(posterior)]
    else:  # chains: every site in a table, then the four values that mix worst
        rows = plots.worst_elements(
            posterior, sum(int(np.prod(v.shape[2:])) for v in posterior.samples.values())
        )
        worst = rows[:4]
        out += [_sites_table(posterior, rows), plots.trace(posterior, worst=worst)]
        return [*out, plots.rank(posterior, worst=worst), plots.densities(posterior, worst=worst)]
    return [*out, plots.densities(posterior)]


def _sites_table(posterior: Posterior, rows: list[tuple[str, int, float, float]]) -> str:
    """Per sampled site: its number of values, their largest r-hat and smallest bulk ESS, and how
    many miss the limits (``rows``: ``plots.worst_elements`` of every value); the plots below show
    the four values that mix worst."""
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
        "weights while the network output f mixes; the diagnostics table judges f). The plots show "
        "the four values with the largest r-hat (then the smallest ESS).</p><table><tr><th>site</th>"
        f"<th>values</th><th>max r-hat</th><th>min bulk ESS</th><th>r-hat &gt; {RHAT_LIMIT} or ESS "
        f"&lt; {ESS_LIMIT:.0f}</th></tr>"
    )
    return head + "".join(body) + "</table>"
