"""Screentones: printed dot screens drawn crisply at the output size.

A screen is a lattice of dots turned 45 degrees with a period given in pixels of the output.
For each output pixel we keep its distance to the nearest dot centre (cached per size and
period: a worker rendering many images of one size pays once). A tone of coverage c then
inks the pixels closer than r = period * sqrt(c / pi) to a centre, anti-aliased over one
pixel; tones darker than the touching point (c > pi/4) are drawn as white dots on black.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

STEPS = 42  # distance steps per tone in the combined lookup (six tones fit a uint8 index)


@lru_cache(maxsize=4)
def dot_distance(shape: tuple[int, int], period: float) -> tuple[np.ndarray, float]:
    """Distance of every pixel to its nearest dot centre, as uint8 steps of `unit` px (0..STEPS-1)."""
    h, w = shape
    period = max(period, 2.0)
    c = np.float32(np.sqrt(0.5) / period)
    ys = np.arange(h, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(w, dtype=np.float32)[None, :] + 0.5
    u = (xs + ys) * c  # lattice coordinates along the two 45-degree axes
    v = (xs - ys) * c
    u -= np.round(u)
    v -= np.round(v)
    dist = np.sqrt(u * u + v * v) * np.float32(period)  # in output pixels, 0..period/sqrt(2)
    unit = (period * np.sqrt(0.5) + 1.0) / (STEPS - 1)
    out = np.minimum(dist * np.float32(1.0 / unit) + 0.5, STEPS - 1).astype(np.uint8)
    out.setflags(write=False)
    return out, unit


def tone_table(coverages: list[float], period: float, unit: float) -> np.ndarray:
    """A 256-entry gray lookup for index = tone * STEPS + distance step: 0 is ink, 255 paper.

    `coverages` (0 = white paper .. 1 = solid black) for each tone index.
    """
    table = np.full(256, 255, np.uint8)
    d = (np.arange(STEPS) + 0.0) * unit  # distance in output px
    for i, cov in enumerate(coverages):
        if cov <= 0.0:
            ink = np.zeros(STEPS)
        elif cov >= 1.0:
            ink = np.ones(STEPS)
        elif cov <= np.pi / 4:
            r = period * np.sqrt(cov / np.pi)
            ink = np.clip(r - d + 0.5, 0.0, 1.0)
        else:  # white dots on black: the white share is 1 - cov
            r = period * np.sqrt((1.0 - cov) / np.pi)
            ink = 1.0 - np.clip(r - d + 0.5, 0.0, 1.0)
        table[i * STEPS : (i + 1) * STEPS] = np.round(255.0 * (1.0 - ink)).astype(np.uint8)
    return table


def screen(levels: np.ndarray, period: float, coverages: list[float]) -> np.ndarray:
    """Draw a map of tone indices (uint8, at the output size) as crisp screentone (uint8 gray)."""
    if len(coverages) * STEPS > 256:
        raise ValueError(f"at most {256 // STEPS} tones, not {len(coverages)}")
    dist, unit = dot_distance(levels.shape[:2], round(period, 2))
    index = cv2.add(cv2.multiply(levels, STEPS), dist)
    return cv2.LUT(index, tone_table(coverages, period, unit))
