"""Color pencil: colored strokes laid on paper, with pencil outlines in the local color."""

from __future__ import annotations

import cv2
import numpy as np

from . import blocks, sketch
from .spec import number

LABEL = "Color pencil"
ORDER = 30
SPEC = (
    number("pencil_size", "Pencil size", 5, 1, 30, 0.5, "Reach of the outline strokes in px at 1024 px."),
    number("coverage", "Color coverage", 0.6, 0, 1, 0.05, "How densely the colored strokes cover the paper."),
    number("saturation", "Saturation", 1.3, 0, 2.5, 0.05, "Color intensity of the pencils."),
    number("stroke_length", "Stroke length", 10, 2, 30, 1, "Length of the hatching strokes in px at 1024 px."),
    number("paper", "Paper texture", 0.35, 0, 1, 0.05, "Strength of the paper grain."),
)

PAPER = (244, 248, 250)  # BGR


def render(frame: blocks.Frame, p: dict, progress) -> np.ndarray:
    color = blocks.saturate(frame.memo(("smooth", 2), lambda: blocks.smooth_colors(frame.work, 2)), p["saturation"])
    color = blocks.enlarge(color, frame.shape)
    progress(0.3, color)
    lines = sketch.graphite(frame, {"pencil_size": p["pencil_size"], "darkness": 2.0, "shading": 0.0})
    strokes = blocks.texture(frame.shape, 0.9, seed=11, streak=p["stroke_length"])
    # pencil coverage: where the stroke texture rises above a level set by `coverage`
    level = 255 * (1 - p["coverage"])
    ramp = np.clip((np.arange(256) - level + 40) * 3.0, 0, 255).astype(np.uint8)
    cover = cv2.LUT(strokes, ramp)
    # out = paper - (paper - color) * cover, with the constant paper folded into lookup tables
    gap = cv2.LUT(color, _FROM_PAPER)
    out = cv2.LUT(blocks.multiply(gap, cover), _FROM_PAPER)
    progress(0.7, out)
    # outlines and paper grain are both single-channel multipliers: combine them first
    shade = cv2.multiply(lines, blocks.paper(frame.shape, p["paper"]), scale=1 / 255)
    return blocks.multiply(out, shade)


# paper - v per channel: used both to measure the gap to the paper and to come back from it
_FROM_PAPER = (
    np.clip(np.array(PAPER, np.int16)[None, :] - np.arange(256, dtype=np.int16)[:, None], 0, 255)
    .astype(np.uint8)
    .reshape(256, 1, 3)
)
