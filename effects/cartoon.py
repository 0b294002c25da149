"""Cartoon: flat color regions from a palette learned from the image, with bold clean outlines."""

from __future__ import annotations

import cv2

from . import blocks
from .spec import number

LABEL = "Cartoon"
ORDER = 10
SPEC = (
    number("colors", "Colors", 8, 2, 24, 1, "How many flat colors the palette has.", integer=True),
    number("smoothness", "Smoothness", 4, 0, 10, 1, "How strongly detail is flattened before coloring.", integer=True),
    number("line_width", "Line width", 1.5, 0, 6, 0.25, "Outline thickness in px at 1024 px (0 = no outlines)."),
    number(
        "line_threshold", "Line detail", 0.5, 0, 1, 0.05, "Lower draws more, finer outlines; higher only the strongest."
    ),
    number("saturation", "Saturation", 1.25, 0, 2.5, 0.05, "Color intensity of the palette (1 = as photographed)."),
)


def render(frame: blocks.Frame, p: dict, progress) -> cv2.Mat:
    smooth = frame.memo(("smooth", p["smoothness"]), lambda: blocks.smooth_colors(frame.work, p["smoothness"]))
    palette = frame.memo(("palette", p["smoothness"], p["colors"]), lambda: blocks.kmeans_palette(smooth, p["colors"]))
    palette = blocks.saturate(palette.reshape(-1, 1, 3), p["saturation"]).reshape(-1, 3)
    progress(0.3, smooth)
    ink = None
    if p["line_width"] > 0:
        # outlines follow the smoothed picture, so they trace regions rather than texture
        field = frame.memo(
            ("lines", p["smoothness"], p["line_width"], p["line_threshold"]),
            lambda: blocks.line_field(
                cv2.cvtColor(blocks.enlarge(smooth, frame.ref.shape), cv2.COLOR_BGR2GRAY),
                frame.px(p["line_width"], frame.ref),
                p["line_threshold"],
            ),
        )
        ink = blocks.crisp(field, frame.shape)
    # palette colors and outlines are drawn in one pass over the output
    out = blocks.map_to_palette(smooth, palette, frame.shape, ink)
    progress(0.7, out)
    return out
