"""Pixel art: a coarse grid of big square pixels in a small palette picked from the photo, Bayer-dithered.

The grid is set in reference pixels, so a preview and a 12 MP render have the same number
of blocks (the grid scales with the image) and the same colors in them. The palette is
learned with k-means from the downscaled photo (seeded from luminance quantiles, as
`blocks.kmeans_palette` does, so it is stable across sizes); ordered dithering with a 4x4
Bayer matrix (Bayer 1973) mixes neighbouring palette colors in gradients, as 8-bit artists
do by hand. The blocks are enlarged with nearest-neighbour sampling: crisp at any size.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from . import blocks
from .registry import Progress
from .spec import number

LABEL = "Pixel art"
ORDER = 80
SPEC = (
    number("pixel_size", "Pixel size", 12, 2, 32, 1, "Side of one big pixel, px at 1024 px."),
    number("colors", "Colors", 12, 2, 32, 1, "How many colors the palette has.", integer=True),
    number("dither", "Dithering", 0.5, 0, 1, 0.05, "Strength of the ordered (Bayer) dither pattern in gradients."),
    number("saturation", "Saturation", 1.3, 0, 2.5, 0.05, "Color intensity of the palette."),
)

# the 4x4 Bayer index matrix, as thresholds centred on 0 (-0.47 .. 0.47)
BAYER4 = (np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]], np.float32) + 0.5) / 16 - 0.5


def grid(shape: tuple[int, ...], pixel_size: float) -> tuple[int, int]:
    """Blocks across and down: the picture at 1024 px divided by the block size (same at every size)."""
    h, w = shape[:2]
    f = blocks.REFERENCE_SIDE / max(h, w)
    return max(1, round(w * f / pixel_size)), max(1, round(h * f / pixel_size))


def _cells(frame: blocks.Frame, pixel_size: float) -> np.ndarray:
    nx, ny = grid(frame.shape, pixel_size)
    src = frame.work if nx <= frame.work.shape[1] and ny <= frame.work.shape[0] else frame.ref
    return cv2.resize(src, (nx, ny), interpolation=cv2.INTER_AREA)


def render(frame: blocks.Frame, p: dict[str, Any], progress: Progress) -> np.ndarray:
    cells = frame.memo(("cells", p["pixel_size"]), lambda: _cells(frame, p["pixel_size"]))
    cells = blocks.saturate(cells, p["saturation"])
    palette = blocks.kmeans_palette(cells, p["colors"])
    progress(0.3, cells)
    if p["dither"] > 0:
        # the threshold matrix spread over about one palette step
        step = 255.0 / max(2.0, len(palette) ** (1 / 3) + 1)
        ny, nx = cells.shape[:2]
        tile = np.tile(BAYER4, (ny // 4 + 1, nx // 4 + 1))[:ny, :nx] * np.float32(step * p["dither"])
        cells = np.clip(cells.astype(np.float32) + tile[:, :, None] + 0.5, 0, 255).astype(np.uint8)
    art = _nearest(cells, palette)
    h, w = frame.shape
    return cv2.resize(art, (w, h), interpolation=cv2.INTER_NEAREST)


def _nearest(cells: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Each cell's nearest palette color (exact).

    |p - c|^2 = |p|^2 - 2 p.c + |c|^2, and |p|^2 is the same for every c: the argmin of
    |c|^2 - 2 p.c needs one cells x colors array instead of a cells x colors x 3 one (a grid of
    512 x 384 cells at the smallest pixel size made that 80 ms). All terms are integers below
    2^24, so float32 computes them exactly and the choice (first minimum on ties) is the same.
    Three broadcast products rather than a matrix product: numpy's BLAS would start threads,
    which on a busy machine cost more than the product.
    """
    px = cells.reshape(-1, 3).astype(np.float32)
    pal = palette.astype(np.float32)
    dist = (pal * pal).sum(axis=1)[None, :] - 2.0 * px[:, 0:1] * pal[None, :, 0]
    for c in (1, 2):
        dist -= 2.0 * px[:, c : c + 1] * pal[None, :, c]
    return np.take(palette, np.argmin(dist, axis=1), axis=0).reshape(cells.shape)
