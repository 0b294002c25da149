"""Stained glass: pieces of saturated glass, one flat color each, held by dark lead lines.

The pieces are Voronoi cells (cv2.Subdiv2D) of seeds on a jittered grid laid in reference
pixels, with smaller pieces where the photo has detail (a grid cell whose gradient energy is
high gets four seeds instead of one), so faces and edges keep their shape while flat areas
become large panes. Each piece takes the mean color of the photo under it (measured on the
working copy), is pulled to a small set of glass colors (k-means) and made more saturated
and luminous. Pieces and lead are drawn as polygons at the output size, so edges are crisp
at 12 MP, and a faint low-frequency mottle gives the hand-made glass its unevenness.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import cv2
import numpy as np

from . import blocks
from .registry import Progress
from .spec import number

LABEL = "Stained glass"
ORDER = 90
SPEC = (
    number("piece_size", "Piece size", 48, 16, 120, 1, "Typical width of a glass piece, px at 1024 px."),
    number(
        "detail",
        "Detail",
        0.5,
        0,
        1,
        0.05,
        "Share of the picture, the most detailed, cut into smaller pieces (twice at most).",
    ),
    number("lead_width", "Lead width", 2.5, 0.5, 8, 0.25, "Thickness of the dark lead lines, px at 1024 px."),
    number("colors", "Glass colors", 16, 4, 48, 1, "How many different glass colors the window uses.", integer=True),
    number("saturation", "Saturation", 1.4, 0, 2.5, 0.05, "Color intensity of the glass."),
)

LEAD = (28, 30, 32)  # BGR
SHIFT = 4  # polygon coordinates carry 4 fractional bits (sub-pixel accurate edges)


_JITTER = np.random.default_rng(2006).uniform(-1.0, 1.0, (4096, 3))


def _jitter(ix: np.ndarray, iy: np.ndarray, level: int) -> np.ndarray:
    """A fixed pseudo-random (dx, dy, tint) in -1..1 per grid cell: the same cell always gets the
    same jitter, whatever other cells did (a preview and a 12 MP render agree piece by piece)."""
    return _JITTER[(iy * 7919 + ix * 104729 + level * 15485863) % len(_JITTER)]


def seeds(frame: blocks.Frame, piece: float, detail: float) -> tuple[np.ndarray, np.ndarray]:
    """Seed points (N x 2, in reference pixels) of the pieces, and a tint (-1..1) per piece.

    A quadtree: a grid of `piece`-sized cells, each split in four, twice at most, while its
    mean gradient magnitude is above the level that a share `detail` of the grid cells reach
    (1.8 times that level for the second split).
    """
    h, w = frame.shape
    f = blocks.REFERENCE_SIDE / max(h, w)
    rw, rh = w * f, h * f  # the picture in reference pixels
    gray = cv2.cvtColor(frame.work, cv2.COLOR_BGR2GRAY).astype(np.float32)
    mag = cv2.magnitude(cv2.Sobel(gray, cv2.CV_32F, 1, 0), cv2.Sobel(gray, cv2.CV_32F, 0, 1))
    integral = cv2.integral(mag)
    to_work = frame.work.shape[1] / rw

    def energy(ix: np.ndarray, iy: np.ndarray, size: float) -> np.ndarray:
        x0 = np.clip(np.round(ix * size * to_work), 0, mag.shape[1] - 1).astype(int)
        y0 = np.clip(np.round(iy * size * to_work), 0, mag.shape[0] - 1).astype(int)
        x1 = np.clip(np.round((ix + 1) * size * to_work), x0 + 1, mag.shape[1]).astype(int)
        y1 = np.clip(np.round((iy + 1) * size * to_work), y0 + 1, mag.shape[0]).astype(int)
        total = integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]
        return total / ((x1 - x0) * (y1 - y0))

    nx, ny = int(np.ceil(rw / piece)), int(np.ceil(rh / piece))
    iy, ix = (a.ravel() for a in np.mgrid[-1 : ny + 1, -1 : nx + 1])  # one ring outside the frame
    inside = (ix >= 0) & (iy >= 0) & (ix < nx) & (iy < ny)
    e = np.where(inside, energy(ix, iy, piece), 0.0)
    cut = max(float(np.quantile(e[inside], 1.0 - detail)), 1.0) if detail > 0 else np.inf
    points, tints, size = [], [], piece
    for level in range(3):
        split = (e >= cut * (1.0 + 0.8 * level)) if level < 2 else np.zeros(len(ix), bool)  # finer: busier
        keep = ~split
        j = _jitter(ix[keep], iy[keep], level)
        points.append((np.stack([ix[keep], iy[keep]], axis=1) + 0.5 + 0.38 * j[:, :2]) * size)
        tints.append(j[:, 2])
        if not split.any():
            break
        ix = (2 * ix[split, None] + np.array([0, 1, 0, 1])).ravel()
        iy = (2 * iy[split, None] + np.array([0, 0, 1, 1])).ravel()
        size /= 2
        e = energy(ix, iy, size)
    return np.concatenate(points), np.concatenate(tints)


def voronoi(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Voronoi cells of `points` (cv2.Subdiv2D), as all vertices (float, same units as the
    points) and the offsets where each cell's vertices start and end."""
    margin = 2 * float(np.abs(points).max()) + 10
    sub = cv2.Subdiv2D((-margin, -margin, 3 * margin, 3 * margin))
    sub.insert([(float(x), float(y)) for x, y in points])
    facets, _ = sub.getVoronoiFacetList([])
    return np.concatenate(facets), np.cumsum([0] + [len(f) for f in facets])


def cells(verts: np.ndarray, bounds: np.ndarray, scale: float) -> list[np.ndarray]:
    """The Voronoi polygons scaled by `scale` (reference px -> pixels of some image), as int32
    arrays with SHIFT fractional bits. A Voronoi diagram scales with its seeds, so one diagram
    serves every size, and neighbours share their vertices exactly at each."""
    fixed = np.round(verts * (scale * (1 << SHIFT))).astype(np.int32)
    return [fixed[a:b] for a, b in pairwise(bounds)]


def lead_segments(polys: list[np.ndarray], size: tuple[int, int]) -> list[np.ndarray]:
    """Every edge between two pieces once (neighbouring polygons share their vertices exactly),
    keeping only edges that touch the picture."""
    w, h = size
    starts = np.concatenate(polys)
    lengths = np.array([len(q) for q in polys])
    first = np.repeat(np.cumsum(lengths) - lengths, lengths)  # index of each vertex's polygon start
    nxt = np.arange(len(starts)) + 1
    nxt[np.cumsum(lengths) - 1] = first[np.cumsum(lengths) - 1]  # the last vertex closes the polygon
    ends = starts[nxt]
    seg = np.concatenate([starts, ends], axis=1)
    # a shared edge is a -> b in one polygon and b -> a in its neighbour: keep the copy with a < b
    once = (seg[:, 0] < seg[:, 2]) | ((seg[:, 0] == seg[:, 2]) & (seg[:, 1] < seg[:, 3]))
    seg = seg[once]
    x0, x1 = np.minimum(seg[:, 0], seg[:, 2]), np.maximum(seg[:, 0], seg[:, 2])
    y0, y1 = np.minimum(seg[:, 1], seg[:, 3]), np.maximum(seg[:, 1], seg[:, 3])
    pad = 8 << SHIFT
    visible = (x1 >= -pad) & (x0 <= (w << SHIFT) + pad) & (y1 >= -pad) & (y0 <= (h << SHIFT) + pad)
    return list(seg[visible].reshape(-1, 2, 2))


def _glass(frame: blocks.Frame, piece: float, detail: float, colors: int) -> tuple[np.ndarray, ...]:
    """The pieces (Voronoi vertices and offsets, reference px) and the glass color of each:
    the mean color under it, pulled toward a small palette of glass colors learned from those
    means, and lightly tinted piece by piece."""
    pts, tints = seeds(frame, piece, detail)
    verts, bounds = voronoi(pts)
    wh, ww = frame.work.shape[:2]
    polys = cells(verts, bounds, ww / (frame.shape[1] * blocks.REFERENCE_SIDE / max(frame.shape)))
    labels = np.zeros((wh, ww), np.int32)
    for i, poly in enumerate(polys):
        cv2.fillConvexPoly(labels, poly, i, cv2.LINE_8, SHIFT)
    flat = labels.ravel()
    count = np.bincount(flat, minlength=len(polys))
    means = (
        np.stack([np.bincount(flat, frame.work[:, :, c].ravel(), minlength=len(polys)) for c in range(3)], axis=1)
        / np.maximum(count, 1)[:, None]
    )
    means = np.clip(means + 0.5, 0, 255).astype(np.uint8)
    palette = blocks.kmeans_palette(means[count > 0].reshape(-1, 1, 3), colors)
    dist = ((means[:, None, :].astype(np.float32) - palette[None].astype(np.float32)) ** 2).sum(axis=2)
    glass = 0.6 * palette[np.argmin(dist, axis=1)] + 0.4 * means  # shading survives
    glass *= (1.0 + 0.07 * tints)[:, None]
    # glass glows: stretch the pieces' brightness over the window's range, so a dim photo still
    # makes a luminous window (and the lead stays the darkest thing in it)
    luma = glass @ np.array([0.114, 0.587, 0.299])
    lo, hi = np.percentile(luma[count > 0], [5, 97])
    target = 70 + (luma - lo) * (170 / max(hi - lo, 1.0))
    glass *= (np.clip(target, 55, 250) / np.maximum(luma, 1.0))[:, None]
    return verts, bounds, np.clip(glass + 0.5, 0, 255).astype(np.uint8)


def render(frame: blocks.Frame, p: dict[str, Any], progress: Progress) -> np.ndarray:
    verts, bounds, colors = frame.memo(
        ("glass", p["piece_size"], p["detail"], p["colors"]),
        lambda: _glass(frame, p["piece_size"], p["detail"], p["colors"]),
    )
    colors = blocks.saturate(colors.reshape(-1, 1, 3), p["saturation"]).reshape(-1, 3)
    colors = cv2.LUT(colors, _GLOW)  # light shining through: lifted, never muddy
    progress(0.3, None)
    h, w = frame.shape
    polys, segments = frame.memo(
        ("glass-lead", p["piece_size"], p["detail"]),
        lambda: _outline(verts, bounds, (w, h)),
    )
    out = np.empty((h, w, 3), np.uint8)
    for poly, color in zip(polys, colors.tolist(), strict=True):
        cv2.fillConvexPoly(out, poly, color, cv2.LINE_8, SHIFT)
    progress(0.6, None)
    out = blocks.multiply(out, cv2.LUT(blocks.texture(frame.shape, 9.0, seed=77), _MOTTLE))
    thick = max(1, round(frame.full_px(p["lead_width"])))
    if thick <= 4:  # thin lines need anti-aliasing; thick ones at 12 MP do not (and it costs 3x)
        cv2.polylines(out, segments, False, LEAD, thick, cv2.LINE_AA, SHIFT)
    else:
        cv2.polylines(out, polys, True, LEAD, thick, cv2.LINE_8, SHIFT)
    return out


def _outline(verts: np.ndarray, bounds: np.ndarray, size: tuple[int, int]) -> tuple[list, list]:
    """The pieces at the output size and their lead segments (each shared edge once)."""
    polys = cells(verts, bounds, max(size) / blocks.REFERENCE_SIDE)
    return polys, lead_segments(polys, size)


_GLOW = np.clip(30 + np.arange(256) * (225 / 255), 0, 255).astype(np.uint8)
_MOTTLE = np.clip(255 - np.abs(np.arange(256) - 128.0) * 0.45, 0, 255).astype(np.uint8)
