"""Sketch: graphite on paper, from a color-dodge of the photo over its own blur."""

from __future__ import annotations

from functools import lru_cache

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
    gray = frame.memo(("gray-full",), lambda: cv2.cvtColor(frame.full, cv2.COLOR_BGR2GRAY))
    size = max(0.5, frame.px(p["pencil_size"], frame.work))
    blur = frame.memo(
        ("pencil-blur", size),
        lambda: blocks.enlarge(
            cv2.GaussianBlur(cv2.cvtColor(frame.work, cv2.COLOR_BGR2GRAY), (0, 0), size), frame.shape
        ),
    )
    # color dodge: the photo divided by its own blur leaves only the edges, as pencil lines
    dodge = cv2.divide(gray, blur, scale=256)
    lines = cv2.LUT(dodge, _darkness_lut(p["darkness"]), dst=dodge)
    if p["shading"] <= 0:  # no tone: the hatched shading below would be white everywhere
        return lines
    tone = cv2.LUT(blur, _shade_lut(p["shading"]))
    # shading is laid down in diagonal strokes: the hatch texture thins it out unevenly
    tone = cv2.max(tone, _hatch(frame.shape), dst=tone)
    return cv2.multiply(lines, tone, dst=lines, scale=1 / 255)


def _hatch(shape: tuple[int, int]) -> np.ndarray:
    return blocks.cached(("hatch-60", shape), lambda: cv2.subtract(blocks.texture(shape, 1.2, seed=3, streak=9), 60))


@lru_cache(maxsize=64)
def _darkness_lut(darkness: float) -> np.ndarray:
    return (np.power(np.arange(256) / 255.0, darkness) * 255.0).astype(np.uint8)


@lru_cache(maxsize=64)
def _shade_lut(amount: float) -> np.ndarray:
    v = np.arange(256, dtype=np.float32)
    return np.clip(255.0 - amount * (255.0 - v) * 0.9, 0, 255).astype(np.uint8)


# the warm paper tint as one lookup table per channel (what cv2.transform by PAPER_TINT gives)
# (float32 products rounded half to even, exactly as cv2.transform computes them)
_TINT = [np.rint(np.arange(256, dtype=np.float32) * t).astype(np.uint8) for t in PAPER_TINT[:, 0]]


def tint(drawing: np.ndarray) -> np.ndarray:
    """A single-channel drawing on the warm off-white paper, as BGR."""
    return cv2.merge([cv2.LUT(drawing, t) for t in _TINT])


def render(frame: blocks.Frame, p: dict, progress) -> np.ndarray:
    drawing = graphite(frame, p)
    progress(0.6, None)
    drawing = cv2.multiply(drawing, blocks.paper(frame.shape, p["paper"]), dst=drawing, scale=1 / 255)
    return tint(drawing)
