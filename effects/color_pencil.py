"""Color pencil: colored strokes laid on paper, with pencil outlines in the local color."""

from __future__ import annotations

from functools import lru_cache

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
    progress(0.3, color)
    lines = sketch.graphite(frame, {"pencil_size": p["pencil_size"], "darkness": 2.0, "shading": 0.0})
    strokes = blocks.texture(frame.shape, 0.9, seed=11, streak=p["stroke_length"])
    # pencil coverage: where the stroke texture rises above a level set by `coverage`
    cover = cv2.LUT(strokes, _coverage_ramp(p["coverage"]))
    # outlines and paper grain are both single-channel multipliers: combine them first
    shade = cv2.multiply(lines, blocks.paper(frame.shape, p["paper"]), dst=lines, scale=1 / 255)
    progress(0.7, None)
    # per channel c: out = (paper - (paper - color) * cover) * shade, single-channel passes only
    # (a 3-channel lookup or multiply costs several times a single-channel one)
    channels = []
    for c, small in enumerate(cv2.split(color)):
        gap = cv2.LUT(blocks.enlarge(small, frame.shape), _FROM_PAPER_C[c])
        gap = cv2.multiply(gap, cover, dst=gap, scale=1 / 255)
        out = cv2.LUT(gap, _FROM_PAPER_C[c], dst=gap)
        channels.append(cv2.multiply(out, shade, dst=out, scale=1 / 255))
    return cv2.merge(channels)


@lru_cache(maxsize=64)
def _coverage_ramp(coverage: float) -> np.ndarray:
    level = 255 * (1 - coverage)
    return np.clip((np.arange(256) - level + 40) * 3.0, 0, 255).astype(np.uint8)


# paper - v per channel: used both to measure the gap to the paper and to come back from it
_FROM_PAPER = (
    np.clip(np.array(PAPER, np.int16)[None, :] - np.arange(256, dtype=np.int16)[:, None], 0, 255)
    .astype(np.uint8)
    .reshape(256, 1, 3)
)
_FROM_PAPER_C = [np.ascontiguousarray(_FROM_PAPER[:, 0, c]) for c in range(3)]
