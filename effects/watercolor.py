"""Watercolor: soft bleeding washes, pigment pooled at darker wet edges, on grainy paper."""

from __future__ import annotations

import cv2
import numpy as np

from . import blocks
from .spec import number

LABEL = "Watercolor"
ORDER = 50
SPEC = (
    number("bleed", "Bleed", 4, 0, 16, 0.5, "How far the colors run into each other, px at 1024 px."),
    number("wet_edges", "Wet edges", 0.6, 0, 1, 0.05, "Darkening where washes dry at their borders."),
    number("washes", "Washes", 6, 2, 16, 1, "Number of tones the paint separates into.", integer=True),
    number("lightness", "Lightness", 0.2, 0, 0.8, 0.05, "How much water thins the pigment."),
    number("saturation", "Saturation", 1.6, 0, 2.5, 0.05, "Color intensity of the pigments."),
    number("paper", "Paper texture", 0.6, 0, 1, 0.05, "Strength of the paper grain and pigment granulation."),
)


_BLOOM = np.clip(238 + (np.arange(256) - 128) * 0.45, 205, 255).astype(np.uint8)


def render(frame: blocks.Frame, p: dict, progress) -> np.ndarray:
    base = frame.memo(("wash-base",), lambda: cv2.medianBlur(blocks.smooth_colors(frame.work, 2), 5))
    work = blocks.saturate(base, p["saturation"])
    # flat washes: a coarse posterise, then bled together by a blur the size of `bleed`
    step = 256 // p["washes"]
    lut = np.clip((np.arange(256) // step) * step + step // 2, 0, 255).astype(np.uint8)
    washes = cv2.LUT(work, lut)
    sigma = frame.px(p["bleed"], frame.work)
    if sigma > 0.3:
        washes = cv2.GaussianBlur(washes, (0, 0), sigma)
    washes = cv2.addWeighted(washes, 0.6, work, 0.4, 0)
    # wet edges: pigment collects where a wash differs from its neighbourhood
    gray = cv2.cvtColor(washes, cv2.COLOR_BGR2GRAY)
    ring = cv2.absdiff(gray, cv2.GaussianBlur(gray, (0, 0), max(1.0, frame.px(3, frame.work))))
    edge = cv2.convertScaleAbs(ring, alpha=10.0 * p["wet_edges"])
    progress(0.4, washes)
    thin = 1.0 - p["lightness"]
    # water thins the pigment: lift every color toward the paper white
    lifted = cv2.addWeighted(washes, thin, np.full_like(washes, 255), 1 - thin, 0)
    full = blocks.enlarge(lifted, frame.shape)
    # blooms: pigment settles unevenly, in patches a few brush-widths across
    bloom = cv2.LUT(blocks.texture(frame.shape, 24.0, seed=21), _BLOOM)
    full = cv2.subtract(255, blocks.multiply(cv2.subtract(255, full), bloom))
    full = blocks.multiply(full, cv2.subtract(255, blocks.enlarge(edge, frame.shape)))
    return blocks.multiply(full, blocks.paper(frame.shape, p["paper"]))
