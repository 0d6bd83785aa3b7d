"""Headless Chromium for tests of offline HTML pages (a helper module; it holds no tests).

Use it from a test module (``tests/conftest.py`` imports the `chrome` fixture for every test)::

    from browser import console_errors, open_page

    def test_page(chrome, tmp_path):
        open_page(chrome, tmp_path / "page.html")
        assert console_errors(chrome) == []

The `chrome` fixture (one browser per test module) is Debian's ``chromium`` driven through its
``chromedriver`` by selenium, started with no network at all: every host name resolves to nothing
and the tab runs under DevTools' offline emulation, so a page only renders if it is standalone.
It skips the test, saying what to install, when selenium, chromium or chromedriver is missing, and
fails for anything else. Helpers, all taking the driver first:

- ``open_page(driver, path)``: load a local file, wait for bokeh to render; return the plot count.
- ``console_errors(driver)``: SEVERE console messages since the last call, unfiltered.
- ``requests_made(driver)``: every URL the page asked for since the last call (file, data, ...).
- ``wait_rendered(driver)``: wait until every bokeh root has a view and every plot has finished.
- ``plot_pixels(driver)``: per bokeh plot, what its canvas holds (size, colours, digest, ...).
- ``buttons(driver)`` / ``click_button(driver, index)``: read / click bokeh buttons.
- ``sliders(driver)`` / ``move_slider(driver, index, steps)``: read / move slider widgets with the
  keyboard, as a reader would.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--enable-unsafe-swiftshader",  # software WebGL for bokeh's webgl plots, without a deprecation warning
    "--window-size=1280,2000",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no host name resolves: nothing leaves the machine
)
_INSTALL = "apt-get install chromium chromium-driver (Debian) and pip install selenium"

# Prefix of the scripts below: `views`, every bokeh view of every root; `plots`, those with a canvas.
_VIEWS_JS = """
const views = [];
const walk = (v) => { views.push(v); for (const c of (v.children ? Array.from(v.children()) : [])) walk(c); };
if (window.Bokeh) for (const v of Object.values(Bokeh.index)) walk(v);
const plots = views.filter((v) => "canvas_view" in v && "frame" in v);
"""

_RENDERED_JS = """
if (!window.Bokeh || Bokeh.documents.length === 0) return -1;
const roots = Bokeh.documents.reduce((n, d) => n + d.roots().length, 0);
if (Object.keys(Bokeh.index).length < roots) return -1;
return plots.every((v) => v.has_finished()) ? plots.length : -1;
"""

_PIXELS_JS = """
return plots.map((v) => {
  const canvas = v.canvas_view.primary.canvas, r = v.canvas_view.pixel_ratio, b = v.frame.bbox;
  const ctx = canvas.getContext("2d");
  let hash = 2166136261;
  for (const byte of ctx.getImageData(0, 0, canvas.width, canvas.height).data) hash = Math.imul(hash ^ byte, 16777619);
  const w = Math.max(1, Math.floor(b.width * r)), h = Math.max(1, Math.floor(b.height * r));
  const data = new Uint32Array(ctx.getImageData(Math.floor(b.x0 * r), Math.floor(b.y0 * r), w, h).data.buffer);
  const counts = new Map();
  for (const px of data) counts.set(px, (counts.get(px) ?? 0) + 1);
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  const hex = (px) => "#" + [0, 8, 16, 24].map((s) => ((px >>> s) & 255).toString(16).padStart(2, "0")).join("");
  return {id: v.model.id, type: v.model.type, width: canvas.width, height: canvas.height,
          colours: counts.size, drawn: 1 - top[0][1] / data.length, digest: (hash >>> 0).toString(16),
          palette: Object.fromEntries(top.slice(0, 12).map(([px, n]) => [hex(px), n / data.length]))};
});
"""

_SLIDERS_JS = """
return views.filter((v) => v.model.type === "Slider").map((v) => ({
  id: v.model.id, value: v.model.value, start: v.model.start, end: v.model.end,
  handle: v.shadow_el.querySelector(".noUi-handle")}));
"""

_BUTTONS_JS = """
return views.filter((v) => v.model.type === "Button").map((v) => ({
  id: v.model.id, label: v.model.label, element: v.shadow_el.querySelector("button")}));
"""


@pytest.fixture(scope="module")
def chrome(tmp_path_factory):
    """A headless Chromium (selenium WebDriver) with no network and console logging on."""
    webdriver = pytest.importorskip("selenium.webdriver", reason=f"selenium is not installed: {_INSTALL}")
    binary, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if binary is None or driver_path is None:
        missing = " and ".join(
            n for n, p in (("chromium", binary), ("chromedriver", driver_path)) if p is None
        )
        pytest.skip(f"{missing} not found on PATH: {_INSTALL}")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        offline = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", offline)
        yield driver
    finally:
        driver.quit()


def open_page(driver, path: str | Path, *, timeout: float = 30.0, at_least: int = 0) -> int:
    """Load the local file `path` (logs of earlier pages are dropped); return its number of bokeh plots
    (waiting for `at_least` of them: see `wait_rendered`)."""
    console_errors(driver)
    requests_made(driver)
    driver.get(Path(path).resolve().as_uri())
    return wait_rendered(driver, timeout=timeout, at_least=at_least)


def wait_rendered(driver, *, timeout: float = 30.0, at_least: int = 0) -> int:
    """Wait until bokeh has a view for every root and every plot has finished drawing; return the plot count.

    `at_least`: also wait until there are that many plots. A notebook's page holds a bokeh document
    per output cell, each embedded by its own script: on a busy machine the first can be drawn
    before the next ones exist. Past the deadline the count so far is returned, for the caller's
    assertion to show. A page without bokeh times out: `TimeoutError`, with the console errors so
    far in its message.
    """
    deadline = time.monotonic() + timeout
    while (plots := driver.execute_script(_VIEWS_JS + _RENDERED_JS)) < at_least:  # -1: not yet
        if time.monotonic() > deadline:
            if plots >= 0:  # drawn, but fewer plots than asked: the caller's assertion shows it
                break
            raise TimeoutError(
                f"bokeh did not render within {timeout} s; console errors: {console_errors(driver)}"
            )
        time.sleep(0.05)
    _next_frames(driver)
    return plots


def _next_frames(driver, frames: int = 2) -> None:
    """Wait for `frames` animation frames: bokeh paints its canvases in the frame after a change."""
    driver.execute_async_script(
        "const [n, done] = arguments; const tick = (k) => k ? requestAnimationFrame(() => tick(k - 1)) : done(); tick(n);",
        frames,
    )


def console_errors(driver) -> list[str]:
    """The SEVERE browser console messages (uncaught errors, failed loads) since the last call."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def requests_made(driver) -> list[str]:
    """Every URL the browser requested since the last call, in order (file:, data:, blob:, http:, ...)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def plot_pixels(driver) -> list[dict]:
    """What each bokeh plot's main canvas holds, in page order.

    Each dict: ``id``, ``type`` (the bokeh model), ``width``/``height`` (canvas pixels), ``digest``
    (a hash of the whole canvas: changes when anything redraws differently), and over the data
    area (inside the axes) ``colours`` (distinct colours), ``drawn`` (fraction of pixels not of
    the commonest colour) and ``palette`` (the 12 commonest colours as ``#rrggbbaa`` -> fraction).
    """
    return driver.execute_script(_VIEWS_JS + _PIXELS_JS)


def sliders(driver) -> list[dict]:
    """The page's bokeh slider widgets, in page order: ``id``, ``value``, ``start``, ``end``, ``handle``."""
    return driver.execute_script(_VIEWS_JS + _SLIDERS_JS)


def buttons(driver) -> list[dict]:
    """The page's bokeh buttons, in page order: ``id``, ``label`` and ``element`` (to click)."""
    return driver.execute_script(_VIEWS_JS + _BUTTONS_JS)


def click_button(driver, index: int = 0) -> str:
    """Click button `index`; wait for the redraw; return its label then."""
    buttons(driver)[index]["element"].click()
    wait_rendered(driver)
    return buttons(driver)[index]["label"]


def move_slider(driver, index: int = 0, steps: int = 1) -> float:
    """Move slider `index` by `steps` with the arrow keys (negative: left); wait for the redraw; return its value."""
    from selenium.webdriver.common.keys import Keys

    slider = sliders(driver)[index]
    key = Keys.ARROW_RIGHT if steps > 0 else Keys.ARROW_LEFT
    slider["handle"].send_keys(*[key] * abs(steps))
    wait_rendered(driver)
    return sliders(driver)[index]["value"]
