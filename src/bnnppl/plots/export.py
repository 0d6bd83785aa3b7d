"""``save_png``: one PNG of any builder's output, through holoviews' matplotlib backend."""

from __future__ import annotations

import io
import math
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
    ``HoloMap`` (``draws_animation``) is saved as its last frame. The folder is made if missing.
    ``dpi``: the resolution; by default the one (150 or more) that makes the image at least
    ``MIN_WIDTH`` (1200) pixels wide, the same picture, only sharper. Returns the path.

    >>> import tempfile
    >>> curve = hv.Curve(([0, 1, 2], [1, 3, 2]))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = save_png(curve, Path(tmp) / "curve.png")
    ...     out.read_bytes()[:4]
    b'\\x89PNG'
    """
    if not isinstance(obj, hv.core.Dimensioned):
        raise spec_error(
            "obj", f"must be a holoviews object (from bnnppl.plots), got {_quote(obj)}.", TypeError
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
    used = dpi or 150
    png = _render(obj, used)
    # the width grows nearly, not exactly, in proportion to the dpi (a tight bounding box): a
    # second try can come out a pixel short
    for _ in range(3 if dpi is None else 0):
        if (width := _png_width(png)) >= MIN_WIDTH:
            break
        used = math.ceil(used * MIN_WIDTH / width) + 1
        png = _render(obj, used)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda tmp: tmp.write_bytes(png))


def _render(obj: Any, dpi: int) -> bytes:
    buffer = io.BytesIO()
    hv.save(obj, buffer, fmt="png", backend="matplotlib", dpi=dpi)
    return buffer.getvalue()


def _png_width(png: bytes) -> int:
    """The width in pixels a PNG's header states (bytes 16-19 of the IHDR chunk)."""
    return int.from_bytes(png[16:20], "big")
