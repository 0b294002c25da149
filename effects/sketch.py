"""Sketch: graphite on paper, from a color-dodge of the photo over its own blur."""

from __future__ import annotations

import cv2
import numpy as np

from . import blocks
from .spec import number

LABEL = "Sketch"
ORDER = 20
SPEC = (
    number(
        "pencil_size", "Pencil size", 6, 1, 30, 0.5, "Reach of the strokes in px at 1024 px: larger gives bolder lines."
    ),
    number("darkness", "Darkness", 1.6, 0.5, 4, 0.1, "How dark the graphite lays down."),
    number("shading", "Shading", 0.35, 0, 1, 0.05, "How much of the photo's light and shade is hatched in."),
    number("paper", "Paper texture", 0.4, 0, 1, 0.05, "Strength of the paper grain."),
)

PAPER_TINT = np.array([[0.94], [0.97], [0.99]], np.float32)  # warm off-white, BGR


def graphite(frame: blocks.Frame, p: dict) -> np.ndarray:
    """Single-channel graphite drawing (uint8, 255 = bare paper) at full resolution."""
    gray = cv2.cvtColor(frame.full, cv2.COLOR_BGR2GRAY)
    small = cv2.cvtColor(frame.work, cv2.COLOR_BGR2GRAY)
    blur = cv2.GaussianBlur(small, (0, 0), max(0.5, frame.px(p["pencil_size"], small)))
    # color dodge: the photo divided by its own blur leaves only the edges, as pencil lines
    dodge = cv2.divide(gray, blocks.enlarge(blur, frame.shape), scale=256)
    lut = (np.power(np.arange(256) / 255.0, p["darkness"]) * 255.0).astype(np.uint8)
    lines = cv2.LUT(dodge, lut)
    tone = cv2.LUT(blocks.enlarge(blur, frame.shape), _shade_lut(p["shading"]))
    hatch = blocks.texture(frame.shape, 1.2, seed=3, streak=9)
    # shading is laid down in diagonal strokes: the hatch texture thins it out unevenly
    tone = cv2.max(tone, cv2.subtract(hatch, 60))
    return cv2.multiply(lines, tone, scale=1 / 255)


def _shade_lut(amount: float) -> np.ndarray:
    v = np.arange(256, dtype=np.float32)
    return np.clip(255.0 - amount * (255.0 - v) * 0.9, 0, 255).astype(np.uint8)


def render(frame: blocks.Frame, p: dict, progress) -> np.ndarray:
    drawing = graphite(frame, p)
    progress(0.6, None)
    drawing = cv2.multiply(drawing, blocks.paper(frame.shape, p["paper"]), scale=1 / 255)
    return cv2.transform(drawing[:, :, None], PAPER_TINT)
