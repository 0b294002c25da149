"""Manga: black ink lines, flat black fills, white paper and a few gray screentones of printed dots.

The photo's smoothed luminance is split by its own quantiles into solid black, a few
screentone grays and white, so every picture gets a full range of tones. The tone borders
are cut at the output size from an upsampled layer, and the dots are drawn there too
(`effects.halftone`: dot spacing in reference px, so a 12 MP page has the same dots, crisper).
Outlines are the difference-of-Gaussians ink field shared with the cartoon style.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from . import blocks, halftone
from .registry import Progress
from .spec import number

LABEL = "Manga"
ORDER = 70
SPEC = (
    number("line_width", "Line width", 1.25, 0, 4, 0.25, "Ink line thickness in px at 1024 px (0 = no lines)."),
    number(
        "line_threshold", "Line detail", 0.45, 0, 1, 0.05, "Lower draws more, finer lines; higher only the strongest."
    ),
    number("tones", "Screentones", 2, 1, 4, 1, "How many gray dot screens lie between black and white.", integer=True),
    number("dot_size", "Dot size", 5, 2.5, 14, 0.5, "Spacing of the screentone dots, px at 1024 px."),
    number("black", "Black fill", 0.15, 0, 0.5, 0.05, "Share of the picture, the darkest, filled solid black."),
    number("white", "White paper", 0.3, 0, 0.7, 0.05, "Share of the picture, the lightest, left white."),
)


def _tone_layer(frame: blocks.Frame) -> np.ndarray:
    smooth = blocks.smooth_colors(frame.work, 2)
    return cv2.cvtColor(smooth, cv2.COLOR_BGR2GRAY)


def _level_lut(gray: np.ndarray, tones: int, black: float, white: float) -> tuple[np.ndarray, list[float]]:
    """Lookup from luminance to tone index (0 white, 1..tones screens, tones + 1 black) by quantiles,
    and each index's ink coverage."""
    sample = np.sort(gray[::2, ::2].ravel())
    shares = np.linspace(white, 1.0 - black, tones + 1)  # cumulative share from the light end
    cuts = [float(sample[min(len(sample) - 1, int(len(sample) * (1 - s)))]) for s in shares]
    cuts = [float(c) for c in blocks.steady(("manga-cuts", tones, black, white), np.array(cuts))]  # live camera
    lut = np.full(256, tones + 1, np.uint8)
    v = np.arange(256)
    for i, cut in enumerate(cuts):  # darker than cut i: at least index i + 1
        lut[v > cut] = np.minimum(lut[v > cut], i)
    coverages = [0.0, *np.linspace(0.12, 0.55, tones).tolist(), 1.0] if tones > 1 else [0.0, 0.3, 1.0]
    return lut, coverages


def render(frame: blocks.Frame, p: dict[str, Any], progress: Progress) -> np.ndarray:
    gray = frame.memo(("manga-tone",), lambda: _tone_layer(frame))
    lut, coverages = _level_lut(gray, p["tones"], p["black"], p["white"])
    levels = cv2.LUT(blocks.enlarge(gray, frame.shape), lut)
    progress(0.4, None)
    page = halftone.screen(levels, frame.full_px(p["dot_size"]), coverages)
    if p["line_width"] > 0:
        ref_gray = cv2.cvtColor(
            blocks.enlarge(frame.memo(("smooth", 1), lambda: blocks.smooth_colors(frame.work, 1)), frame.ref.shape),
            cv2.COLOR_BGR2GRAY,
        )
        field = blocks.line_field(ref_gray, frame.px(p["line_width"], frame.ref), p["line_threshold"])
        page = cv2.subtract(page, blocks.crisp(field, frame.shape))
    return cv2.cvtColor(page, cv2.COLOR_GRAY2BGR)
