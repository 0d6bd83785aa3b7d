"""save_html: one standalone HTML file, checked as text and in a real (offline) Chromium."""

import json
import os
import re
import time
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import holoviews as hv
import numpy as np
import pytest

from bnnppl.runs import html as _html
from bnnppl.runs.html import save_html
from browser import (
    buttons,
    click_button,
    console_errors,
    move_slider,
    open_page,
    plot_pixels,
    requests_made,
    sliders,
)

XS = np.linspace(0.0, 1.0, 60)
RED = "#d62728"
TABLE = "<table><tr><th>metric</th><th>value</th></tr><tr><td>RMSE</td><td>0.123</td></tr></table>"


def _sections():
    curve = hv.Curve((XS, np.sin(5 * XS)), "x", "y").opts(color=RED)
    image = hv.Image(np.random.default_rng(0).random((20, 20)))
    frames = hv.HoloMap({k: hv.Curve((XS, np.sin((k + 1) * 3 * XS)), "x", "y") for k in range(5)}, kdims="k")
    return ["<h1>Fit report</h1>", TABLE, curve, "<p>Posterior mean.</p>", image, frames, "<p>The end.</p>"]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    return save_html(_sections(), tmp_path_factory.mktemp("report") / "report.html", title="Fit <report>")


class _Resources(HTMLParser):
    """Every tag's attributes that make a browser fetch something, and the inline CSS and JSON."""

    def __init__(self):
        super().__init__()
        self.urls, self.css, self.json, self.tags = [], [], [], []
        self._in = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        self.urls += [
            v for k, v in attrs.items() if k in {"src", "href", "srcset", "data", "poster", "action"} and v
        ]
        self._in = "css" if tag == "style" else "json" if attrs.get("type") == "application/json" else None
        if self._in:
            getattr(self, self._in).append("")

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in:
            getattr(self, self._in)[-1] += data


def _parse(text):
    parser = _Resources()
    parser.feed(text)
    return parser


def _remote(url):
    return url.startswith("//") or urlsplit(url).scheme not in {"", "file", "data", "blob", "about"}


def _stylesheet_urls(node):
    if isinstance(node, dict):
        if node.get("name") == "ImportedStyleSheet":
            yield node["attributes"]["url"]
        for value in node.values():
            yield from _stylesheet_urls(value)
    elif isinstance(node, list):
        for value in node:
            yield from _stylesheet_urls(value)


# --- the file -------------------------------------------------------------------------------------


def test_file_is_one_complete_document(page):
    text = page.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<!DOCTYPE html>")
    assert text.rstrip().endswith("</html>")
    assert _parse(text).tags.count("html") == _parse(text).tags.count("body") == 1
    assert "<title>Fit &lt;report&gt;</title>" in text
    assert "<h1>Fit report</h1>" in text and TABLE in text  # fragments are written as given, in the page
    assert (
        text.index("<h1>Fit report</h1>")
        < text.index("<p>Posterior mean.</p>")
        < text.index("<p>The end.</p>")
    )
    assert [p.name for p in page.parent.iterdir()] == ["report.html"]  # no temporary file left


def test_file_has_no_external_resources(page):
    text = page.read_text(encoding="utf-8")
    parsed = _parse(text)
    assert [url for url in parsed.urls if _remote(url)] == []
    assert "link" not in parsed.tags  # every stylesheet is inline
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*[\"']?(https?:)?//", text, re.I)
    assert not re.search(r"@import|url\(\s*[\"']?(https?:)?//", "".join(parsed.css), re.I)
    docs = [json.loads(unescape(blob)) for blob in parsed.json]  # bokeh HTML-escapes it
    assert docs, "the bokeh document is embedded as JSON"
    assert list(_stylesheet_urls(docs)) == []  # Panel's CDN stylesheets were inlined


def test_plain_html_page_has_no_javascript(tmp_path):
    page = save_html(["<h1>Only text</h1>", TABLE], tmp_path / "plain.html", title="Text")
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text and TABLE in text and text.startswith("<!DOCTYPE html>")


def test_folder_is_created_and_path_returned(tmp_path):
    page = save_html([hv.Curve([1, 2, 3])], str(tmp_path / "a" / "b.html"), title="t")
    assert page == tmp_path / "a" / "b.html" and page.is_file()


def test_failed_render_leaves_no_file(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("render failed")

    monkeypatch.setattr(_html, "file_html", broken)
    with pytest.raises(RuntimeError, match="render failed"):
        save_html(["<h1>x</h1>", hv.Curve([1, 2])], tmp_path / "report.html", title="t")
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_text("old report", encoding="utf-8")

    def broken(src, dst):
        assert Path(src).parent == tmp_path and Path(src).read_text(encoding="utf-8").startswith("<!DOCTYPE")
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        save_html(["<h1>new</h1>"], target, title="t")
    assert list(tmp_path.iterdir()) == [target]
    assert target.read_text(encoding="utf-8") == "old report"


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        (
            "<h1>x</h1>",
            r"^sections: must be a list of HTML strings, holoviews objects and bokeh layouts, got '<h1>x</h1>'\.$",
        ),
        (
            ["<p>ok</p>", 3],
            r"^sections\[1\]: expected an HTML string, a holoviews object \(element, Overlay, Layout, HoloMap\) or a bokeh layout, got int 3\.$",
        ),
        (
            [hv.DynamicMap(lambda k: hv.Curve([k, 1]), kdims="k")],
            r"^sections\[0\]: a DynamicMap needs a running Python process",
        ),
    ],
)
def test_bad_sections(tmp_path, sections, message):
    with pytest.raises(TypeError, match=message):
        save_html(sections, tmp_path / "x.html", title="t")
    assert list(tmp_path.iterdir()) == []


def test_bokeh_layouts_go_in_as_they_are(chrome, tmp_path):
    """A bokeh layout (as arviz-plots draws) sits between the fragments and holoviews plots it was
    given with, drawn in the browser; one already in a page is refused, before anything is written."""
    from bokeh.layouts import gridplot
    from bokeh.plotting import figure

    panels = [figure(width=320, height=220, title=f"panel {i}") for i in range(2)]
    for i, panel in enumerate(panels):
        panel.line(XS, np.sin((i + 1) * 3 * XS), color=RED, line_width=3)
    sections = [
        "<h2>first</h2>",
        gridplot([panels]),
        "<h2>second</h2>",
        hv.Curve((XS, XS), "x", "y"),
        "<p>end</p>",
    ]
    page = save_html(sections, tmp_path / "bokeh.html", title="bokeh")
    text = page.read_text(encoding="utf-8")
    assert text.index("<h2>first</h2>") < text.index("<h2>second</h2>") < text.index("<p>end</p>")
    assert not [url for url in _parse(text).urls if _remote(url)]
    assert open_page(chrome, page) == 3  # the grid's two plots and the curve
    assert console_errors(chrome) == []
    pixels = plot_pixels(chrome)
    assert all(p["drawn"] > 0.005 for p in pixels), pixels
    assert [p["palette"].get(RED + "ff", 0) > 0.002 for p in pixels] == [True, True, False]  # red: the grid's
    with pytest.raises(
        ValueError,
        match=r"^sections\[0\]: this bokeh GridPlot is already in a bokeh document \(another page or notebook output\); draw it again for this page\.$",
    ):
        save_html([sections[1]], tmp_path / "again.html", title="again")
    assert not (tmp_path / "again.html").exists()


def test_bad_title(tmp_path):
    with pytest.raises(TypeError, match=r"^title: must be a string, got NoneType None\.$"):
        save_html(["<p>x</p>"], tmp_path / "x.html", title=None)


# --- in the browser, with no network --------------------------------------------------------------


def test_browser_rig_sees_network_use(chrome, tmp_path):
    """The rig itself: a page that wants the network logs errors and its requests are seen (and fail)."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html><body><img src="https://example.com/a.png"></body></html>', encoding="utf-8"
    )
    console_errors(chrome)
    requests_made(chrome)
    chrome.get(bad.as_uri())
    assert "https://example.com/a.png" in requests_made(chrome)
    assert any("example.com/a.png" in message for message in console_errors(chrome))


def test_page_renders_offline_without_errors(chrome, page):
    assert open_page(chrome, page) == 3  # the curve, the image and the HoloMap's plot
    assert console_errors(chrome) == []
    assert [url for url in requests_made(chrome) if _remote(url)] == []
    headings = chrome.execute_script(
        "return [...document.querySelectorAll('h1, td')].map((e) => e.textContent)"
    )
    assert headings == ["Fit report", "RMSE", "0.123"]


def test_every_plot_is_drawn(chrome, page):
    open_page(chrome, page)
    curve, image, frame = plot_pixels(chrome)
    for plot in (curve, image, frame):
        assert plot["width"] > 100 and plot["height"] > 100
        assert plot["colours"] > 2 and plot["drawn"] > 0.005, plot
    assert curve["palette"].get(RED + "ff", 0) > 0.002  # the red line is there, not just axes and grid
    assert image["drawn"] > 0.9  # the image fills its frame
    assert console_errors(chrome) == []


def test_slider_shows_every_frame(chrome, page):
    open_page(chrome, page)
    (slider,) = sliders(chrome)
    assert (slider["start"], slider["end"], slider["value"]) == (0, 4, 0)
    before = plot_pixels(chrome)
    digests = [before[2]["digest"]]
    for step in range(1, 5):
        assert move_slider(chrome, 0, 1) == step
        now = plot_pixels(chrome)
        assert [p["digest"] for p in now[:2]] == [p["digest"] for p in before[:2]]  # other plots untouched
        digests.append(now[2]["digest"])
    assert len(set(digests)) == 5  # five different frames
    assert move_slider(chrome, 0, -4) == 0
    assert plot_pixels(chrome)[2]["digest"] == digests[0]  # and back to the first
    assert console_errors(chrome) == []
    assert [url for url in requests_made(chrome) if _remote(url)] == []


def test_play_button_runs_through_the_frames(chrome, page):
    open_page(chrome, page)
    assert [b["label"] for b in buttons(chrome)] == ["\u25b6 Play"]
    assert click_button(chrome, 0) == "\u275a\u275a Pause"
    deadline = time.monotonic() + 10
    while sliders(chrome)[0]["value"] < 2 and time.monotonic() < deadline:  # a frame every 0.6 s
        time.sleep(0.1)
    assert sliders(chrome)[0]["value"] >= 2
    assert click_button(chrome, 0) == "\u25b6 Play"
    stopped = sliders(chrome)[0]["value"]
    time.sleep(1.5)
    assert sliders(chrome)[0]["value"] == stopped  # paused
    assert console_errors(chrome) == []


def test_a_holomap_becomes_a_player():
    """One key dimension: the first frame drawn once, a play button and a slider under it; per frame
    only the data of the layers that change; axes that hold every frame."""
    frames = hv.HoloMap(
        {key: hv.Curve((XS, (i + 1) * np.sin(3 * XS)), "x", "y") * hv.Scatter(([0.5], [0.0]), "x", "y")
         for i, key in enumerate((0, 5, 10, 15))},
        kdims=hv.Dimension("draw"),
    )  # fmt: skip
    figure, controls = _html._player(frames).children
    button, slider = controls.children
    assert (slider.start, slider.end, slider.value, slider.title) == (0, 3, 0, "draw 0 (1 of 4)")
    assert button.label == "\u25b6 Play"
    (callback,) = slider.js_property_callbacks["change:value"]
    assert callback.args["keys"] == ["0", "5", "10", "15"]
    (curve_frames,) = callback.args["frames"]  # the point is the same in every frame: not recorded
    for k, frame in enumerate(curve_frames):
        np.testing.assert_allclose(frame.data["y"], (k + 1) * np.sin(3 * XS))
    assert figure.y_range.start <= 0.0 and figure.y_range.end >= 4.0  # the tallest frame fits
    assert _html._player(frames[0:6]) is not None and _html._player(frames[0:1]) is None  # one frame: a plot
    two_keys = hv.HoloMap(
        {(a, b): hv.Curve((XS, a * XS + b)) for a in (1, 2) for b in (0, 1)}, kdims=["a", "b"]
    )
    assert _html._player(two_keys) is None  # Panel's embed: a slider per key dimension


def test_holomaps_are_embedded_apart(chrome, tmp_path):
    """Two HoloMaps, even with the same key name, get their own sliders: one moves its plot only."""

    def holomap(phase):
        return hv.HoloMap({k: hv.Curve((XS, np.sin(3 * k * XS + phase))) for k in range(3)}, kdims="k")

    page = save_html([holomap(0.0), "<p>and</p>", holomap(1.0)], tmp_path / "two.html", title="two")
    assert open_page(chrome, page) == 2
    start = [p["digest"] for p in plot_pixels(chrome)]
    assert move_slider(chrome, 1, 2) == 2
    second = [p["digest"] for p in plot_pixels(chrome)]
    assert second[0] == start[0] and second[1] != start[1]
    assert [s["value"] for s in sliders(chrome)] == [0, 2]
    assert move_slider(chrome, 0, 1) == 1
    first = [p["digest"] for p in plot_pixels(chrome)]
    assert first[0] != start[0] and first[1] == second[1]
    assert console_errors(chrome) == []
