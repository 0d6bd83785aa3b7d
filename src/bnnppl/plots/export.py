"""``save_png``: one PNG of any builder's output, through matplotlib (holoviews' matplotlib
backend, or the figure of an arviz-plots ``PlotCollection`` drawn with ``backend="matplotlib"``)."""

from __future__ import annotations

import io
import math
import sys
from pathlib import Path
from typing import Any

import holoviews as hv

from bnnppl._checks import check_count, spec_error
from bnnppl._io import atomic_write
from bnnppl.plots._common import _has_matplotlib, _load_backends, _quote

# --------------------------------------------------------------------------- saving


MIN_WIDTH = 1200
"""The least width in pixels of a PNG from ``save_png`` with ``dpi=None``: sharp on a slide."""


def save_png(obj: Any, path: str | Path, *, dpi: int | None = None) -> Path:
    """Write ``obj`` (any builder's output) to the PNG file ``path``, whole or not at all.

    Rendered with holoviews' matplotlib backend (no browser needed; needs ``matplotlib``). A
    ``HoloMap`` (``draws_animation``) is saved as its last frame. An arviz-plots
    ``PlotCollection`` (``forest``, ``trace_dist``, ``rank_ecdf``) must be drawn with
    ``backend="matplotlib"``; its figure is saved (and left open: ``matplotlib.pyplot.close`` it
    when done). The folder is made if missing.
    ``dpi``: the resolution; by default the one (150 or more) that makes the image at least
    ``MIN_WIDTH`` (1200) pixels wide, the same picture, only sharper. Returns the path.

    >>> import tempfile
    >>> curve = hv.Curve(([0, 1, 2], [1, 3, 2]))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = save_png(curve, Path(tmp) / "curve.png")
    ...     out.read_bytes()[:4]
    b'\\x89PNG'
    """
    figure = _matplotlib_figure(obj)
    if figure is None and not isinstance(obj, hv.core.Dimensioned):
        raise spec_error(
            "obj",
            "must be a holoviews object or an arviz-plots PlotCollection (from bnnppl.plots), got "
            f"{_quote(obj)}.",
            TypeError,
        )
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"path: must end in '.png', got {str(path)!r}.")
    if dpi is not None:
        dpi = check_count("dpi", dpi)
    _load_backends()
    if not _has_matplotlib():
        raise ImportError("save_png: needs matplotlib; install it with: pip install matplotlib")
    if isinstance(obj, hv.HoloMap):
        obj = obj.last
    render, target = (_render, obj) if figure is None else (_render_figure, figure)
    used = dpi or 150
    png = render(target, used)
    # the width grows nearly, not exactly, in proportion to the dpi (a tight bounding box): a
    # second try can come out a pixel short
    for _ in range(3 if dpi is None else 0):
        if (width := _png_width(png)) >= MIN_WIDTH:
            break
        used = math.ceil(used * MIN_WIDTH / width) + 1
        png = render(target, used)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda tmp: tmp.write_bytes(png))


def _render(obj: Any, dpi: int) -> bytes:
    buffer = io.BytesIO()
    hv.save(obj, buffer, fmt="png", backend="matplotlib", dpi=dpi)
    return buffer.getvalue()


def _matplotlib_figure(obj: Any) -> Any:
    """The matplotlib figure of an arviz-plots ``PlotCollection``; ``None`` for anything else."""
    arviz_plots = sys.modules.get("arviz_plots")  # not imported: obj cannot be one of its objects
    if arviz_plots is None or not isinstance(obj, arviz_plots.PlotCollection):
        return None
    if obj.backend != "matplotlib":
        raise ValueError(
            f"obj: an arviz-plots PlotCollection drawn with backend={obj.backend!r}; a PNG needs one drawn "
            "with backend='matplotlib' (bnnppl.plots.forest(posterior, backend='matplotlib'), ...)."
        )
    return obj.viz["figure"].item()


def _render_figure(figure: Any, dpi: int) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def _png_width(png: bytes) -> int:
    """The width in pixels a PNG's header states (bytes 16-19 of the IHDR chunk)."""
    return int.from_bytes(png[16:20], "big")
