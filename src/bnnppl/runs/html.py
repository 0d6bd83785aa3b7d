"""Standalone offline HTML pages from HTML fragments and holoviews objects.

`save_html` is the one function: it writes a single ``.html`` file that opens in any browser with
no network. BokehJS and Panel's JS/CSS are inlined (bokeh's ``INLINE`` resources; Panel's own
stylesheets, which it otherwise links from its CDN, are inlined too), and every widget of a
`holoviews.HoloMap` (slider, select) keeps working because all of its frames are embedded in the
file as recorded states (Panel's ``embed``), replayed in the browser without Python.

Each holoviews section is embedded on its own, so the number of recorded states is the sum of the
sections' frame counts, never their product. A page with three plots and a 10-frame HoloMap is
about 3 MB, nearly all of it the inlined BokehJS and Panel libraries (measured with bokeh 3.10,
panel 1.10); each frame adds its own data.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from html import escape
from pathlib import Path

import holoviews as hv
import holoviews.plotting.bokeh  # noqa: F401  (loads the bokeh backend: needed to render, and by .opts())
import panel as pn
from bokeh.document import Document
from bokeh.models import UIElement
from bokeh.resources import INLINE
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


def save_html(sections: Sequence[str | hv.core.Dimensioned], path: str | os.PathLike, *, title: str) -> Path:
    """Write `sections` as one standalone HTML page that works offline; return its path.

    Args:
        sections: in page order, each either a string of HTML (headings, paragraphs, tables; put in
            the page as written, not escaped) or a holoviews object (an element, ``Overlay``,
            ``Layout``, ``HoloMap``, ...) rendered with the bokeh backend. A ``HoloMap`` gets its
            widgets with every frame embedded, so its slider works with no Python behind it.
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
            f"sections: must be a list of HTML strings and holoviews objects, got {sections!r:.80}."
        )
    for i, item in enumerate(sections):
        if isinstance(item, hv.DynamicMap):
            raise TypeError(
                f"sections[{i}]: a DynamicMap needs a running Python process to draw its frames and cannot "
                "be saved offline. Collect its frames first: hv.HoloMap({key: dmap[key] for key in keys})."
            )
        if not isinstance(item, (str, hv.core.Dimensioned)):
            raise TypeError(
                f"sections[{i}]: expected an HTML string or a holoviews object (element, Overlay, Layout, "
                f"HoloMap), got {type(item).__name__} {item!r:.80}."
            )
    return list(sections)


def _render(sections: list, title: str) -> str:
    """One bokeh document, one root per holoviews section; mirrors `panel.io.save.save(embed=True)`."""
    doc, comm = Document(), Comm()
    before, pending = {}, []
    with pn.config.set(embed=True), set_resource_mode("inline"):
        for item in sections:
            if isinstance(item, str):
                pending.append(item)
                continue
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
    return file_html(
        doc, INLINE, title, template=_TEMPLATE, template_variables={"before": before, "tail": tail}
    )


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
