"""Standalone offline HTML pages from HTML fragments, holoviews objects and bokeh layouts.

`save_html` is the one function: it writes a single ``.html`` file that opens in any browser with
no network. BokehJS and Panel's JS/CSS are inlined (bokeh's ``INLINE`` resources; Panel's own
stylesheets, which it otherwise links from its CDN, are inlined too), and every `holoviews.HoloMap`
keeps working with no Python behind it. One of one key dimension (``draws_animation``) becomes a
player: its first frame drawn once, a play/pause button and a slider under it, and per frame only
the data of the layers that change, swapped in by the slider (20 frames of a decision surface
with its boundary: 0.4 s to build, where recording every frame as Panel's ``embed`` does took
7.3 s). Any other HoloMap keeps Panel's widgets, its frames embedded as recorded states.

A bokeh layout or plot (arviz-plots' bokeh figures: ``PlotCollection.viz["figure"].item()``) is
put in the page as it is, one root of the same document, with the same inlined BokehJS.

Each holoviews section is embedded on its own, so the number of recorded states is the sum of the
sections' frame counts, never their product. A page with three plots and a 10-frame HoloMap is
about 3 MB, nearly all of it the inlined BokehJS and Panel libraries (measured with bokeh 3.10,
panel 1.10); each frame adds its own data.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from html import escape
from pathlib import Path

import holoviews as hv
import holoviews.plotting.bokeh  # noqa: F401  (loads the bokeh backend: needed to render, and by .opts())
import numpy as np
import panel as pn
from bokeh.document import Document
from bokeh.layouts import column, row
from bokeh.models import Button, ColumnDataSource, CustomJS, LayoutDOM, Slider, UIElement
from bokeh.resources import INLINE
from bokeh.settings import SettingProvenance, settings
from panel.io.embed import embed_state
from panel.io.notebook import patch_inline_stylesheets
from panel.io.resources import set_resource_mode
from panel.io.save import file_html
from pyviz_comms import Comm

__all__ = ["save_html"]

_STYLE = """<style>
  body { font-family: system-ui, sans-serif; margin: 1rem 2rem; height: auto; }
  table { border-collapse: collapse; margin: 0.5rem 0; }
  th, td { border: 1px solid #ccc; padding: 0.2rem 0.6rem; text-align: right; }
</style>
"""
# Extends bokeh's file template: author fragments go in the page itself (so page CSS applies to
# them), each bokeh root in its own div, in the order given. `before` maps a root's id to the
# fragments that precede it; roots that are no section (Panel's state models) get empty divs.
_TEMPLATE = (
    "{% block postamble %}" + _STYLE + "{% endblock %}"
    """
{% block contents %}
{% for root in roots %}{{ before.get(root.id, "") }}{{ embed(root) }}
{% endfor %}{{ tail }}
{% endblock %}
"""
)
# A page with no plots needs no JavaScript.
_PLAIN = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
{style}</head>
<body>
{body}
</body>
</html>
"""


def save_html(
    sections: Sequence[str | hv.core.Dimensioned | LayoutDOM], path: str | os.PathLike, *, title: str
) -> Path:
    """Write `sections` as one standalone HTML page that works offline; return its path.

    Args:
        sections: in page order, each a string of HTML (headings, paragraphs, tables; put in
            the page as written, not escaped), a holoviews object (an element, ``Overlay``,
            ``Layout``, ``HoloMap``, ...) rendered with the bokeh backend, or a bokeh layout or
            plot (a ``LayoutDOM``: ``gridplot``, ``figure``, ...; each in one page only). A
            ``HoloMap`` gets a slider (one key dimension: and a play button) that works with no
            Python behind it.
        path: the file to write; its folder is created if missing. The page is built in memory,
            written to a temporary file in the same folder and moved onto `path`, so `path` is
            either the old file or the complete new one, never half written.
        title: the page's ``<title>``.

    Example:
        >>> import tempfile, holoviews as hv
        >>> folder = tempfile.mkdtemp()
        >>> page = save_html(["<h1>Fit</h1>", hv.Curve([1, 3, 2])], f"{folder}/report.html", title="Fit")
        >>> text = page.read_text(encoding="utf-8")
        >>> text.startswith("<!DOCTYPE html>"), "<title>Fit</title>" in text, "<script src=" in text
        (True, True, False)
    """
    if not isinstance(title, str):
        raise TypeError(f"title: must be a string, got {type(title).__name__} {title!r:.80}.")
    html = _render(_check_sections(sections), title)
    return _write_atomic(Path(path), html)


def _check_sections(sections) -> list:
    if isinstance(sections, str) or not isinstance(sections, Sequence):
        raise TypeError(
            f"sections: must be a list of HTML strings, holoviews objects and bokeh layouts, got "
            f"{sections!r:.80}."
        )
    for i, item in enumerate(sections):
        if isinstance(item, hv.DynamicMap):
            raise TypeError(
                f"sections[{i}]: a DynamicMap needs a running Python process to draw its frames and cannot "
                "be saved offline. Collect its frames first: hv.HoloMap({key: dmap[key] for key in keys})."
            )
        if not isinstance(item, (str, hv.core.Dimensioned, LayoutDOM)):
            raise TypeError(
                f"sections[{i}]: expected an HTML string, a holoviews object (element, Overlay, Layout, "
                f"HoloMap) or a bokeh layout, got {type(item).__name__} {item!r:.80}."
            )
        if isinstance(item, LayoutDOM) and item.document is not None:
            raise ValueError(
                f"sections[{i}]: this bokeh {type(item).__name__} is already in a bokeh document (another "
                "page or notebook output); draw it again for this page."
            )
    return list(sections)


def _render(sections: list, title: str) -> str:
    """One bokeh document, one root per plot section; mirrors `panel.io.save.save(embed=True)`."""
    doc, comm = Document(), Comm()
    before, pending = {}, []
    # frozen: the document lists its models once, when the last root is in, not at each add_root
    # (each listing walks every root so far: 0.4 s of the 2.2 s of an 8-chain MCLMC report's page)
    with pn.config.set(embed=True), set_resource_mode("inline"), doc.models.freeze():
        for item in sections:
            if isinstance(item, str):
                pending.append(item)
                continue
            if isinstance(item, LayoutDOM):
                root = item  # a bokeh layout (arviz-plots' figures) goes in as it is
            else:
                root = _player(item) if isinstance(item, hv.HoloMap) else None
            if root is not None:
                doc.add_root(root)
            else:
                view = pn.panel(item, backend="bokeh")  # the plot, or a layout of plot + widgets
                root = view.get_root(doc, comm)
                for model in root.select({"type": UIElement}):
                    # Panel links its design stylesheets from its CDN even with INLINE resources.
                    patch_inline_stylesheets(model, doc)
                embed_state(view, root, doc, max_states=1000, json=False, progress=False)
                # embed_state leaves the document holding its events; held events make the next
                # section's plots try to push them to a notebook that is not there.
                doc.unhold()
            before[root.id], pending = "\n".join(pending), []
    tail = "\n".join(pending)
    if not doc.roots:
        return _PLAIN.format(title=escape(title), style=_STYLE, body=tail)
    with _unvalidated():
        return file_html(
            doc, INLINE, title, template=_TEMPLATE, template_variables={"before": before, "tail": tail}
        )


@contextlib.contextmanager
def _unvalidated() -> Iterator[None]:
    """Bokeh's document validation off inside: it walks every model of the page to log warnings
    (0.1-0.4 s of a report's build, a third of writing the page) and changes nothing written.
    A value the user set is put back after."""
    setting = settings.perform_document_validation
    value, origin = setting.get_value_with_provenance()
    setting.set_value(False)
    try:
        yield
    finally:
        if origin is SettingProvenance.USER_SET:
            setting.set_value(value)
        else:
            setting.unset_value()


_PLAY = """
const i = slider.value, key = keys[i];
for (let j = 0; j < sources.length; j++) { sources[j].data = frames[j][i].data; }
slider.title = `${name} ${key} (${i + 1} of ${keys.length})`;
"""
_TOGGLE = """
if (button.tags.length) {
  clearInterval(button.tags[0]); button.tags = []; button.label = "\u25b6 Play";
} else {
  const step = () => { slider.value = (slider.value + 1) % (slider.end + 1); };
  button.tags = [setInterval(step, 600)]; button.label = "\u275a\u275a Pause";
}
"""


def _player(hmap: hv.HoloMap) -> LayoutDOM | None:
    """A HoloMap of one key dimension as its first frame with a slider and a play/pause button
    under it: only the data that change between frames are recorded, one set per frame, and
    swapped in by the slider in the browser (no re-rendering per frame, as Panel's embed does).

    The first frame is drawn by holoviews (axes widened to hold every frame); each frame's data
    come from the same holoviews plot classes (``get_data``). ``None`` when the map is not of that
    simple kind (several key dimensions, frames of different layers): Panel's embed draws it.
    """
    if len(hmap.kdims) != 1 or len(hmap) < 2:
        return None
    keys = list(hmap.keys())
    frames = [hmap[k] for k in keys]
    plot = hv.renderer("bokeh").get_plot(frames[0])
    overlay = isinstance(plot, hv.plotting.bokeh.OverlayPlot)
    layers = list(plot.subplots.items()) if overlay else [(None, plot)]
    if any("source" not in sub.handles for _, sub in layers):
        return None
    sources, per_layer = [], []
    for key, sub in layers:
        source = sub.handles["source"]
        data = []
        for frame in frames:
            element = frame if key is None else frame.data.get(key)
            if element is None or type(element) is not type(sub.current_frame):
                return None
            values = sub.get_data(element, {}, sub.style[sub.cyclic_index])[0]
            if set(values) != set(source.data):
                return None
            data.append(values)
        if any(not _same(d, data[0]) for d in data[1:]):
            sources.append(source)
            per_layer.append(data)
            _widen(plot.state, sub.handles.get("glyph"), data)
    if not sources:
        return None
    frames_js = [[ColumnDataSource(data=d) for d in data] for data in per_layer]
    name = hmap.kdims[0].pprint_label
    width = max(200, (plot.state.width or 520) - 110)
    slider = Slider(start=0, end=len(keys) - 1, value=0, step=1, show_value=False, width=width,
                    title=f"{name} {keys[0]} (1 of {len(keys)})")  # fmt: skip
    button = Button(label="\u25b6 Play", width=100)
    args = {
        "slider": slider,
        "sources": sources,
        "frames": frames_js,
        "keys": [str(k) for k in keys],
        "name": name,
    }
    slider.js_on_change("value", CustomJS(args=args, code=_PLAY))
    button.js_on_event("button_click", CustomJS(args={"button": button, "slider": slider}, code=_TOGGLE))
    return column(plot.state, row(button, slider))


def _same(a: dict, b: dict) -> bool:
    return all(np.array_equal(np.asarray(a[k], dtype=object), np.asarray(b[k], dtype=object)) for k in a)


def _widen(figure, glyph, data: list[dict]) -> None:
    """Stretch the figure's axes (holoviews set them for the first frame) to every frame's data."""
    for axis in ("x", "y"):
        field = getattr(glyph, axis, None)
        rng = getattr(figure, f"{axis}_range", None)
        if not isinstance(field, str) or not hasattr(rng, "start"):
            continue
        try:
            values = np.concatenate([np.asarray(d[field], dtype=float).ravel() for d in data])
        except (KeyError, TypeError, ValueError):
            continue
        values = values[np.isfinite(values)]
        if values.size == 0 or rng.start is None or rng.end is None:
            continue
        lo, hi = float(values.min()), float(values.max())
        pad = 0.05 * (hi - lo)
        rng.start, rng.end = min(rng.start, lo - pad), max(rng.end, hi + pad)


def _write_atomic(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with open(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it 0o600; a report is meant to be read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
