"""The run folder's report.html: what it holds, and that it works offline in a real browser."""

import html
import json
import re

import numpy as np
import pytest
import yaml

from bnnppl import load, plots
from bnnppl.cli import main
from bnnppl.runs import runner as R
from bnnppl.runs.config import RunConfig
from browser import console_errors, move_slider, open_page, plot_pixels, requests_made, sliders

TINY_MODEL = {"network": {"hidden": [3]}}


def tiny_run(tmp_path, data, likelihood, inference):
    config = RunConfig.from_dict(
        {
            "data": data,
            "model": {**TINY_MODEL, "likelihood": likelihood},
            "inference": inference,
            "output": str(tmp_path / "runs"),
            "name": "t",
        }
    )
    return R.run(config).run_dir


@pytest.fixture(scope="module")
def regression_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reg")
    return tiny_run(
        tmp,
        {"name": "sine", "params": {"n": 24}},
        {"family": "gaussian", "noise": 0.1},
        # 60 warmup steps: with 30, seed 0 left one chain stuck (acceptance 1e-10), so the
        # animation's first frames, all from that chain, were one draw repeated
        {"method": "nuts", "chains": 2, "warmup": 60, "samples": 30},
    )


@pytest.fixture(scope="module")
def classification_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cls")
    return tiny_run(
        tmp,
        {"name": "moons", "params": {"n": 60}},
        {"family": "bernoulli"},
        {"method": "svi", "steps": 200, "draws": 30},
    )


def text(run):
    return (run / "report.html").read_text(encoding="utf-8")


def headings(page):
    return re.findall(r"<h2>(.*?)</h2>", page)


def test_regression_report_sections_and_highlighted_problems(regression_run):
    page = text(regression_run)
    assert headings(page) == [
        "Diagnostics", "Metrics", "Predictions", "Posterior draws", "Calibration (test rows)", "Inference", "Config",
    ]  # fmt: skip
    assert f"<h1>{regression_run.name}</h1>" in page
    assert "<td>max r-hat (function f)</td>" in page
    # 30 draws per chain cannot reach 400 effective draws: the row is flagged, in words too
    assert re.search(
        r'<tr class="problem"><td>min bulk ESS \(weights\)</td><td>\d+</td><td>problem</td>', page
    )
    assert re.search(
        r'<li class="problem">bulk ESS down to \d+ \(&lt; 400\): too few effective draws.</li>', page
    )
    assert "<td>rmse</td>" in page and "<th>test</th><th>train</th>" in page
    # every sampled site in the inference table; the plots show the values that mix worst
    post = load(regression_run / "posterior")
    for site, values in post.samples.items():
        assert re.search(
            rf"<td>{re.escape(site)}</td><td>{values[0, 0].size}</td><td>[\d.]+</td><td>\d+</td><td>\d+</td>",
            page,
        )
    # a forest plot of every value (10 here, at most 20), worst first; trace, density and rank of the worst 4
    labels = worst_labels(post)
    assert len(labels) == 10
    assert '["text",{"type":"ndarray","array":' + json.dumps(labels, separators=(",", ":")) in page
    for kind in ("Trace", "Density", "Rank"):
        assert re.findall(rf'"text":"{kind}: ([^"]+)"', page) == labels[:4]
    assert "name: sine" in page  # the config, escaped into a <pre>
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"?https?:", page)


def worst_labels(post):
    """The names of all values, worst mixing first, as the report's plots give them."""
    rows = plots.worst_elements(post, sum(v[0, 0].size for v in post.samples.values()))
    return [panel.label for panel in plots.trace(post, worst=rows)]


def test_classification_report_sections(classification_run):
    page = text(classification_run)
    assert headings(page) == [
        "Diagnostics", "Metrics", "Predictions", "Posterior draws", "Calibration (test rows)", "Inference", "Config",
    ]  # fmt: skip
    assert "<td>final loss</td>" in page and "<td>accuracy</td>" in page


def test_report_command_rebuilds_the_page(classification_run, capsys):
    page = classification_run / "report.html"
    page.unlink()
    assert main(["report", str(classification_run)]) == 0
    assert capsys.readouterr().out == f"report: {page}\n"
    assert headings(page.read_text(encoding="utf-8"))[0] == "Diagnostics"


def test_report_build_leaves_garbage_collection_as_it_found_it(classification_run):
    """The build freezes the objects it finds (``gc.freeze``, fewer to walk) and unfreezes them;
    objects someone else froze before stay frozen."""
    import gc

    from bnnppl.runs.report import write_report

    gc.unfreeze()
    write_report(classification_run)
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        write_report(classification_run)
        assert gc.get_freeze_count() > 0  # not unfrozen (a frozen object that dies leaves the count)
    finally:
        gc.unfreeze()


def test_header_says_how_the_run_was_made_and_metrics_say_what_they_mean(tmp_path, capsys):
    config = {
        "data": {"name": "sine", "params": {"n": 24}},
        "model": {**TINY_MODEL, "likelihood": {"family": "gaussian", "noise": 0.1}},
        "inference": {"method": "svi", "steps": 40, "draws": 20},
        "output": str(tmp_path / "runs"),
        "name": "h",
    }
    path = tmp_path / "h.yaml"
    path.write_text(yaml.safe_dump(config))
    assert main(["run", str(path), "--set", "seed=7", "--set", "inference.steps=30"]) == 0
    (run,) = (tmp_path / "runs").iterdir()
    page, made = text(run), json.loads((run / "run.json").read_text())
    assert (
        f"<tr><th>command</th><td><code>bnnppl run {path} --set seed=7 --set inference.steps=30</code>"
        in page
    )
    assert "<tr><th>overrides</th><td><code>seed=7</code>, <code>inference.steps=30</code></td></tr>" in page
    assert "<tr><th>seed</th><td>7</td></tr>" in page
    versions = ", ".join(f"{k} {v}" for k, v in {"python": made["python"], **made["versions"]}.items())
    assert f"<tr><th>versions</th><td>{versions}</td></tr>" in page and "numpyro " in versions
    assert f"<tr><th>started</th><td>{made['started']}</td></tr>" in page
    assert f"in {made['fit_seconds']:.1f} s" in page
    # every metric has its definition beside it
    assert "<th>metric</th><th>test</th><th>train</th><th>meaning</th>" in page
    assert (
        "<td>coverage_95</td><td>" in page
        and "share of targets inside the central 95 % predictive band" in page
    )
    assert re.search(
        r"<td>rmse</td>(<td>[^<]+</td>){2}<td>root mean squared error of the predictive mean", page
    )
    # a run made from Python has no command line: the header leaves that row out
    assert "<th>command</th>" not in text(tiny_run(tmp_path, config["data"], config["model"]["likelihood"],
                                                 config["inference"]))  # fmt: skip


def test_regression_with_many_inputs_shows_predicted_against_observed(tmp_path, chrome):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    table = np.column_stack([x, x @ [1.0, -1.0, 0.5] + 0.1 * rng.normal(size=40)])
    np.savetxt(tmp_path / "train.csv", table, delimiter=",", header="a,b,c,t", comments="")
    run = tiny_run(tmp_path, {"train": str(tmp_path / "train.csv"), "test_fraction": 0.25},
                   {"family": "gaussian"}, {"method": "svi", "steps": 100, "draws": 20})  # fmt: skip
    page = text(run)
    assert headings(page) == ["Diagnostics", "Metrics", "Predictions (test rows)", "Calibration (test rows)",
                              "Inference", "Config"]  # fmt: skip
    assert open_page(chrome, run / "report.html", timeout=60) >= 5  # two panels, calibration, loss, densities
    assert console_errors(chrome) == []


def test_contents_sidebar_lists_every_section(regression_run):
    page = text(regression_run)
    toc = re.findall(r'<li><a href="#([a-z0-9-]+)">(.*?)</a></li>', page)
    assert [title for _, title in toc] == headings(page)
    for anchor, title in toc:
        assert f'<section id="{anchor}"><h2>{title}</h2>' in page


LAYOUT_JS = """
const box = (e) => e.getBoundingClientRect();
const nav = box(document.querySelector("nav.contents")), main = box(document.querySelector("main"));
// bokeh's root divs have display: contents: their children are the flex items
const sections = Array.from(document.querySelectorAll(".plots")).map(
    (p) => Array.from(p.querySelectorAll(":scope > div > *")).map(box).filter((r) => r.width > 0)
        .map((r) => [Math.round(r.top), r.left, r.right]));
return {nav: [nav.left, nav.right, nav.top, nav.bottom], main: [main.left, main.right, main.top],
        sections: sections, overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth};
"""


def test_report_layout_at_1400_and_800_pixels(chrome, classification_run):
    """Wide: the contents sit left of the sections and the four 2-D maps fill two rows of two;
    narrow: the contents go above, one column, and nothing is wider than the window."""
    page = classification_run / "report.html"
    try:
        chrome.set_window_size(1400, 2000)
        open_page(chrome, page, timeout=60)
        wide = chrome.execute_script(LAYOUT_JS)
        assert wide["nav"][1] <= wide["main"][0]  # side by side
        maps = wide["sections"][2]  # Predictions: decision surface, entropy, mutual information, MAP draw
        assert len(maps) == 4 and [top for top, _, _ in maps].count(maps[0][0]) == 2, maps  # two per row
        assert all(right <= wide["main"][1] for section in wide["sections"] for _, _, right in section)
        assert wide["overflow"] <= 0
        chrome.set_window_size(800, 2000)
        open_page(chrome, page, timeout=60)
        narrow = chrome.execute_script(LAYOUT_JS)
        assert narrow["nav"][3] <= narrow["main"][2]  # the contents above the sections
        assert narrow["overflow"] <= 0, narrow
        for section in narrow["sections"]:
            assert len({top for top, _, _ in section}) == len(section)  # one plot per row
            assert all(right <= 800 for _, _, right in section)
        assert console_errors(chrome) == []
    finally:
        chrome.set_window_size(1280, 2000)


OVERHANG_JS = """
return Array.from(document.querySelectorAll(".plots > div > *")).map((e) => e.scrollWidth - e.clientWidth);
"""


def test_chain_plots_fit_a_1400_pixel_window(chrome, regression_run):
    """A NUTS report's seven plots (three of them arviz-plots', whose legends hang past the figure
    by default) fit their boxes at 1400 px: none scrolls sideways, nor does the page."""
    try:
        chrome.set_window_size(1400, 2000)
        open_page(chrome, regression_run / "report.html", timeout=60)
        assert chrome.execute_script(OVERHANG_JS) == [0] * 7
        assert chrome.execute_script(LAYOUT_JS)["overflow"] <= 0
    finally:
        chrome.set_window_size(1280, 2000)


@pytest.mark.parametrize("which", ["regression_run", "classification_run"])
def test_report_renders_offline_in_a_real_browser(chrome, request, which):
    run = request.getfixturevalue(which)
    plots = open_page(chrome, run / "report.html", timeout=60)
    assert plots >= 6
    assert console_errors(chrome) == []
    assert [u for u in requests_made(chrome) if u.startswith(("http:", "https:"))] == []
    for plot in plot_pixels(chrome):
        assert plot["width"] > 100 and plot["height"] > 100, plot
        assert plot["colours"] > 2 and plot["drawn"] > 0.005, plot  # something drawn beyond the background
    (slider,) = sliders(chrome)  # the animation over draws
    assert slider["value"] == 0 and slider["end"] >= 1
    before = [p["digest"] for p in plot_pixels(chrome)]
    assert move_slider(chrome, 0, 1) == 1
    after = [p["digest"] for p in plot_pixels(chrome)]
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert len(changed) == 1  # the animation's plot shows another draw; nothing else moved
    assert console_errors(chrome) == []


TEXTS_JS = """
const texts = [];
for (const doc of Bokeh.documents) for (const m of doc.all_models)
  if (m.type === "GlyphRenderer" && m.glyph.type === "Text") texts.push(Array.from(m.data_source.get_column("text")));
return texts;
"""


def test_forest_plot_in_a_real_browser(chrome, regression_run):
    """The browser draws the forest plot's names, the values that mix worst first, as the page
    says; the only other texts are the four rank plots' p-values of arviz-stats' uniformity test."""
    open_page(chrome, regression_run / "report.html", timeout=60)
    names, *p_values = chrome.execute_script(TEXTS_JS)
    assert names == worst_labels(load(regression_run / "posterior"))
    assert len(p_values) == 4 and all(
        len(t) == 1 and re.fullmatch(r"p=\d\.\d\d\(α=0\.01\) ", t[0]) for t in p_values
    )
    assert console_errors(chrome) == []


def test_run_without_a_test_set_calibrates_on_training_rows(tmp_path):
    run = tiny_run(
        tmp_path,
        {"name": "box", "params": {"n": 40}, "test_fraction": 0},
        {"family": "bernoulli"},
        {"method": "hmc", "step_size": 0.05, "num_steps": 4, "chains": 1, "warmup": 10, "samples": 20},
    )
    page = text(run)
    assert "Calibration (training rows)" in headings(page)
    # one chain: no r-hat in the forest plot, and no rank plot (it compares chains)
    assert '"text":"r-hat (n/a: one chain)"' in page
    assert len(re.findall(r'"text":"Trace: ', page)) == 4 and '"text":"Rank: ' not in page
    metrics = yaml.safe_load((run / "metrics.json").read_text())
    assert set(metrics) == {"train", "fit_seconds"}


def test_report_png_saves_every_plot_for_slides(regression_run, capsys):
    assert main(["report", str(regression_run), "--png"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"plots: {regression_run / 'plots'}"
    from PIL import Image

    names = sorted(p.name for p in (regression_run / "plots").iterdir())
    label = worst_labels(load(regression_run / "posterior"))[0]  # the worst-mixing value
    worst = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    assert names == [
        "01-posterior-predictive.png", "02-epistemic-uncertainty.png", "03-posterior-draw.png",
        "04-interval-coverage.png", f"05-forest-{worst}.png", f"06-trace-{worst}.png", f"07-rank-{worst}.png",
    ]  # fmt: skip
    for name in names:
        path = regression_run / "plots" / name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        with Image.open(path) as image:
            assert image.size[0] >= plots.export.MIN_WIDTH, (name, image.size)


def test_constant_prediction_check(regression_run, tmp_path):
    """A fit no better than the training targets' own mean and sd says so in the report (and in
    the CLI: tests/test_diagnostics_sampler.py); a fit that learned the sine does not."""
    from bnnppl.results.diagnostics import constant_warnings, linear_warnings, metric_warnings

    metrics = json.loads((regression_run / "metrics.json").read_text())
    assert metrics["test"]["log_likelihood"] > metrics["test"]["constant_log_likelihood"]
    assert metrics["test"]["log_likelihood"] > metrics["test"]["linear_log_likelihood"]
    assert metric_warnings(metrics) == [] and "no better than a constant" not in text(regression_run)
    assert "below a linear model" not in text(regression_run)
    assert "The predictions have problems" not in text(regression_run)
    config = RunConfig.from_dict({
        "data": {"name": "sine", "params": {"n": 24}},
        # a prior 1000 times too narrow pins f near 0: the fit cannot follow the sine
        "model": {**TINY_MODEL, "prior": {"scale": 0.001}, "likelihood": {"family": "gaussian", "noise": 0.1}},
        "inference": {"method": "svi", "steps": 50, "draws": 20},
        "output": str(tmp_path / "runs"), "name": "flat",
    })  # fmt: skip
    result = R.run(config)
    test = result.metrics["test"]
    assert test["log_likelihood"] <= test["constant_log_likelihood"]
    (words,) = [w for w in constant_warnings(result.metrics) if w.startswith("test")]
    assert words == (
        f"test log-likelihood {test['log_likelihood']:.4g} is no better than a constant prediction's "
        f"({test['constant_log_likelihood']:.4g}: the training targets' own mean and spread): the network "
        "learned nothing usable from the inputs; check the data's scaling, the prior and the fit."
    )
    assert f'<li class="problem">{html.escape(words)}</li>' in text(result.run_dir)
    # the sine's slope alone scores better than a pinned f: the linear baseline's warning too
    assert test["log_likelihood"] < test["linear_log_likelihood"]
    (linear,) = linear_warnings(result.metrics)
    assert f'<li class="problem">{html.escape(linear)}</li>' in text(result.run_dir)
    # the top of the page says so too: the Diagnostics section lists them under its own findings
    top = text(result.run_dir).split('<section id="diagnostics">')[1].split("</section>")[0]
    problems = "".join(f'<li class="problem">{html.escape(w)}</li>' for w in metric_warnings(result.metrics))
    assert f"<p>The predictions have problems (see Metrics):</p><ul>{problems}</ul>" in top


def test_the_header_says_how_the_data_were_scaled(regression_run, classification_run):
    """Every number in a report is in the data's own units; the header says what the model saw.
    A fixed noise keeps the regression target unscaled; labels are never scaled."""
    words = (
        "on inputs standardised with the training rows' mean and sd (every number and plot here is "
        "in the data's own units)."
    )
    assert words in text(regression_run) and words in text(classification_run)
