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

from collections import deque
from functools import lru_cache
from itertools import pairwise, repeat
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
    mag, integral = frame.memo(("glass-energy",), lambda: _energy(frame.work))  # every piece size uses it
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


def _energy(work: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradient magnitude of the working copy and its integral image."""
    gray = cv2.cvtColor(work, cv2.COLOR_BGR2GRAY).astype(np.float32)
    mag = cv2.magnitude(cv2.Sobel(gray, cv2.CV_32F, 1, 0), cv2.Sobel(gray, cv2.CV_32F, 0, 1))
    return mag, cv2.integral(mag)


def voronoi(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Voronoi cells of `points` (cv2.Subdiv2D), as all vertices (float, same units as the
    points) and the offsets where each cell's vertices start and end."""
    margin = 2 * float(np.abs(points).max()) + 10
    sub = cv2.Subdiv2D((-margin, -margin, 3 * margin, 3 * margin))
    sub.insert(points.astype(np.float32))  # one array: a Python list of 18k tuples cost 8 ms more
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


def _pieces(frame: blocks.Frame, piece: float, detail: float) -> tuple[np.ndarray, ...]:
    """The pieces (Voronoi vertices and offsets, reference px), the mean color under each
    (uint8; measured on the working copy), how many working pixels each covers, and its tint."""
    pts, tints = seeds(frame, piece, detail)
    verts, bounds = voronoi(pts)
    ww = frame.work.shape[1]
    v = verts.astype(np.float64) * (ww / (frame.shape[1] * blocks.REFERENCE_SIDE / max(frame.shape)))
    count, sums = polygon_sums(np.ascontiguousarray(v[:, 0]), np.ascontiguousarray(v[:, 1]), bounds, frame.work)
    means = sums / np.maximum(count, 1)[:, None]
    return verts, bounds, np.clip(means + 0.5, 0, 255).astype(np.uint8), count.astype(np.int64), tints


def polygon_sums(vx: np.ndarray, vy: np.ndarray, bounds: np.ndarray, image: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per convex polygon (vertices `vx`, `vy` in pixels of `image`, offsets `bounds`): how many
    pixel centres of `image` lie inside (rows y with ymin <= y < ymax, columns xl <= x < xr, so
    polygons that share edges share out every pixel exactly once) and the per-channel sums of
    those pixels.

    Scanlines without rasterising: a row's sum inside a convex polygon is a row prefix sum at
    its right crossing minus one at its left crossing, so every (edge, row) crossing adds or
    subtracts one prefix sum to its polygon: a few numpy passes over all pieces at once, instead
    of one fillConvexPoly call per piece into a label image (18k calls, 16 ms at piece size 16).
    """
    h, w, channels = image.shape
    n = len(bounds) - 1
    poly = np.repeat(np.arange(n), np.diff(bounds))
    nxt = np.arange(1, len(vx) + 1)
    nxt[bounds[1:] - 1] = bounds[:-1]
    dx, dy = vx[nxt] - vx, vy[nxt] - vy
    area = np.bincount(poly, vx * vy[nxt] - vx[nxt] * vy, minlength=n)
    r0 = np.clip(np.ceil(np.minimum(vy, vy[nxt])), 0, h).astype(np.int64)
    rows = np.clip(np.ceil(np.maximum(vy, vy[nxt])), 0, h).astype(np.int64) - r0
    edge = np.flatnonzero(rows > 0)
    rows = rows[edge]
    # per edge first, then spread over its rows (one gather per quantity)
    slope = dx[edge] / dy[edge]
    # the right-hand chain of a polygon adds its crossing's prefix sum, the left-hand one subtracts
    side = np.where((dy[edge] > 0) == (area[poly[edge]] >= 0), 1.0, -1.0)
    at = np.repeat(np.arange(len(edge)), rows)  # one entry per (edge, row) crossing
    y = np.arange(len(at)) + np.repeat(r0[edge] - (np.cumsum(rows) - rows), rows)
    x = np.clip(np.ceil(vx[edge][at] + (y - vy[edge][at]) * slope[at]), 0, w).astype(np.int64)
    owner = poly[edge][at]
    sign = side[at]
    # row prefix sums per channel as differences of consecutive rows of its integral image
    # (cv2.integral: 0.1 ms; a numpy cumsum along the rows of a 512 px BGR picture took 3 ms, and
    # gathering from one plane at a time is twice as quick as gathering 3-channel rows)
    cell = y * (w + 1) + x
    count = np.bincount(owner, sign * x, minlength=n)
    sums = np.empty((n, channels))
    for c, plane in enumerate(cv2.split(image)):
        table = cv2.integral(plane)
        prefix = cv2.subtract(table[1:], table[:-1])  # (h, w + 1): sum of the row left of x
        sums[:, c] = np.bincount(owner, sign * prefix.ravel().take(cell), minlength=n)
    return np.rint(count), sums


def _glass(means: np.ndarray, count: np.ndarray, tints: np.ndarray, colors: int) -> np.ndarray:
    """The glass color of each piece: its mean color pulled toward a small palette of glass
    colors learned from the means, and lightly tinted piece by piece."""
    # 1500 of the pieces are plenty to learn a few glass colors (k-means on 9k took 10 ms, 1.7 on 1.5k)
    palette = blocks.kmeans_palette(means[count > 0].reshape(-1, 1, 3), colors, samples=1500)
    glass = 0.6 * palette[_nearest(means, palette)] + 0.4 * means  # shading survives
    glass *= (1.0 + 0.07 * tints)[:, None]
    # glass glows: stretch the pieces' brightness over the window's range, so a dim photo still
    # makes a luminous window (and the lead stays the darkest thing in it)
    luma = glass @ np.array([0.114, 0.587, 0.299])
    lo, hi = np.percentile(luma[count > 0], [5, 97])
    target = 70 + (luma - lo) * (170 / max(hi - lo, 1.0))
    glass *= (np.clip(target, 55, 250) / np.maximum(luma, 1.0))[:, None]
    return np.clip(glass + 0.5, 0, 255).astype(np.uint8)


def _nearest(colors: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Index of each color's nearest palette color: the argmin of |c|^2 - 2 p.c, exact in float32
    (integers below 2^24) and without a colors x palette x 3 array (8 ms for 18k pieces)."""
    px, pal = colors.astype(np.float32), palette.astype(np.float32)
    dist = (pal * pal).sum(axis=1)[None, :] - 2.0 * px[:, 0:1] * pal[None, :, 0]
    for c in (1, 2):
        dist -= 2.0 * px[:, c : c + 1] * pal[None, :, c]
    return np.argmin(dist, axis=1)


def render(frame: blocks.Frame, p: dict[str, Any], progress: Progress) -> np.ndarray:
    # the pieces and their colors are cached apart: the colors slider does not redo the pieces
    verts, bounds, means, count, tints = frame.memo(
        ("glass-pieces", p["piece_size"], p["detail"]), lambda: _pieces(frame, p["piece_size"], p["detail"])
    )
    colors = frame.memo(
        ("glass", p["piece_size"], p["detail"], p["colors"]), lambda: _glass(means, count, tints, p["colors"])
    )
    colors = blocks.saturate(colors.reshape(-1, 1, 3), p["saturation"]).reshape(-1, 3)
    colors = cv2.LUT(colors, _GLOW)  # light shining through: lifted, never muddy
    progress(0.3, None)
    h, w = frame.shape
    thick = max(1, round(frame.full_px(p["lead_width"])))
    panes, shrunk, rest = frame.memo(
        ("glass-panes", p["piece_size"], p["detail"], min(thick, 5)),  # all lead above 4 px is alike
        lambda: _panes(verts, bounds, (w, h), thick),
    )
    out = np.empty((h, w, 3), np.uint8)
    if shrunk:
        # 2-4 px lead: the window starts as lead and each piece is filled shrunk by half the
        # lead's width, anti-aliased. That leaves the same lead as thick anti-aliased lines along
        # every edge did (each with two round caps: 4x the cost of the fill) for a fraction of it
        # row by row from one prepared row (broadcasting a 3-value color over every pixel: 3 ms)
        out.reshape(h, w * 3)[:] = np.tile(np.array(LEAD, np.uint8), w)
    idx, polys, kinds = panes
    rgb = colors.tolist()
    # thousands of calls: driven by map (no Python loop body), consumed by a zero-length deque
    deque(map(cv2.fillConvexPoly, repeat(out), polys, [rgb[i] for i in idx], kinds, repeat(SHIFT)), maxlen=0)
    progress(0.6, None)
    mottle = blocks.cached(
        ("glass-mottle", frame.shape), lambda: cv2.LUT(blocks.texture(frame.shape, 9.0, seed=77), _MOTTLE)
    )
    out = blocks.multiply(out, mottle)
    if thick > 4:  # anti-aliasing costs three times as much there and shows no difference at 12 MP
        cv2.polylines(out, rest, True, LEAD, thick, cv2.LINE_8, SHIFT)
    elif thick == 1:  # a thin line has no caps and its own profile: drawn as it is
        cv2.polylines(out, rest, False, LEAD, thick, cv2.LINE_AA, SHIFT)
    elif rest:  # pieces too small or too sharp to shrink: their own edges drawn as lines
        cv2.polylines(out, rest, True, LEAD, thick, cv2.LINE_AA, SHIFT)
    return out


Panes = tuple[list[int], list[np.ndarray], list[int]]  # piece indices, polygons, line types


def _panes(verts: np.ndarray, bounds: np.ndarray, size: tuple[int, int], thick: int) -> tuple[Panes, bool, list]:
    """What `render` draws at the output size: the pieces that show (piece index, polygon and
    line type, as three lists), whether they are shrunk for their lead (on a window of lead), and
    the polygons whose edges are drawn as lead lines.

    Lead thicker than 4 px is 8-connected lines along every polygon (anti-aliasing costs three
    times as much there and shows no difference at 12 MP). Thinner lead is what is left between
    the pieces shrunk by half its width (`_inset`); a piece that cannot be shrunk that way (an
    edge shorter than the lead is wide between two sharp corners, or a piece thinner than the
    lead) is filled whole and its edges are drawn as anti-aliased lines, as before.
    """
    w, h = size
    scale = max(size) / blocks.REFERENCE_SIDE
    vx, vy = (np.ascontiguousarray(c) for c in (verts.astype(np.float64) * scale).T)
    first = bounds[:-1]
    # only the pieces that reach into the picture (a lead's width of margin)
    pad = thick + 2.0
    lo_x, hi_x = np.minimum.reduceat(vx, first), np.maximum.reduceat(vx, first)
    lo_y, hi_y = np.minimum.reduceat(vy, first), np.maximum.reduceat(vy, first)
    shown = np.flatnonzero((hi_x >= -pad) & (lo_x <= w + pad) & (hi_y >= -pad) & (lo_y <= h + pad))
    if thick > 4 or thick == 1:
        whole = cells(verts, bounds, scale)
        # thin lines: every shared edge once (a thin line has no caps and its own profile)
        lines = [whole[i] for i in shown.tolist()] if thick > 4 else lead_segments(whole, size)
        drawn = shown.tolist()
        return (drawn, [whole[i] for i in drawn], [cv2.LINE_8] * len(drawn)), False, lines
    # 0.9: fitted (SSIM at 512 px against the lines it replaces: 0.99-0.999 at the default
    # piece size for lead 2-4 px, 0.92 at the smallest pieces, where pieces thinner than the
    # lead used to show specks of color through the lines' anti-aliased fringe)
    # float32: half the memory traffic of float64, and still sub-pixel corners at 12 MP
    fx, fy = vx.astype(np.float32), vy.astype(np.float32)
    fixed, start, count, state = _inset(fx, fy, bounds, _lead_inset(thick) * 0.9, size)
    # the pieces drawn, in order: shrunk ones (1) anti-aliased; ones that could not be shrunk
    # reliably (2) whole, with their edges drawn as lines; 0 (thinner than the lead) all lead.
    # Built by list comprehensions over arrays: a Python loop with a branch per piece cost 6 ms
    # at 7k pieces
    idx = shown[state[shown] > 0]
    polys = [fixed[a:b] for a, b in zip(start[idx].tolist(), (start[idx] + count[idx]).tolist(), strict=True)]
    kinds = [cv2.LINE_AA] * len(polys)
    rest = []
    for j in np.flatnonzero(state[idx] == 2).tolist():
        i = int(idx[j])
        polys[j] = np.round(verts[bounds[i] : bounds[i + 1]] * (scale * (1 << SHIFT))).astype(np.int32)
        kinds[j] = cv2.LINE_8
        rest.append(polys[j])
    return (idx.tolist(), polys, kinds), True, rest


def _inset(
    vx: np.ndarray, vy: np.ndarray, bounds: np.ndarray, d: float, size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Convex polygons (vertices `vx`, `vy`, offsets `bounds`) shrunk by `d`: every edge moved
    inward by `d` (except edges wholly outside the picture of `size`, whose lead would not show
    but whose anti-aliased fringe would darken the picture's border), corners where the moved
    edges cross. An edge that shrinks to nothing (short, between sharp corners) drops out and
    its neighbours meet instead, as in a straight skeleton, a few at a time for all polygons at
    once.

    Returns the shrunk polygons' vertices (int32 with SHIFT bits), where each polygon starts
    among them and how many it has, and per polygon 1 (shrunk), 0 (nothing left: the piece is
    thinner than the lead) or 2 (not settled: draw it whole with lines).
    """
    n = len(bounds) - 1
    poly = np.repeat(np.arange(n), np.diff(bounds))
    nxt = np.arange(1, len(vx) + 1)
    nxt[bounds[1:] - 1] = bounds[:-1]
    # (each gathered or derived array made once: at 18k pieces every pass over the ~110k edges
    # costs a fraction of a millisecond)
    wx, wy = vx[nxt], vy[nxt]
    ex, ey = wx - vx, wy - vy
    length = np.hypot(ex, ey)
    area = np.bincount(poly, vx * wy - wx * vy, minlength=n)
    w, h = size
    outside = np.maximum(vx, wx) < -0.5
    outside |= np.minimum(vx, wx) > w - 0.5
    outside |= np.maximum(vy, wy) < -0.5
    outside |= np.minimum(vy, wy) > h - 0.5
    away = np.where(outside, np.float32(0.0), np.float32(d))
    keep = length > 1e-9
    if not keep.all():
        away, poly, ex, ey, length, vx, vy = (a[keep] for a in (away, poly, ex, ey, length, vx, vy))
    # the inward normal is left of a positive polygon's edges
    away *= np.where(area >= 0, np.float32(1.0), np.float32(-1.0))[poly]
    ux, uy = ex / length, ey / length
    px, py = vx - away * uy, vy + away * ux  # a point of each moved edge
    state = np.zeros(n, np.int8)
    done: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for rounds in range(12, -1, -1):
        # each polygon's edges are one run of `poly`: its neighbours from the runs' ends
        k = np.arange(len(poly))
        starts = np.flatnonzero(np.r_[True, poly[1:] != poly[:-1]])
        runs = np.diff(np.r_[starts, len(poly)])
        ends = starts + runs - 1
        at = k - np.repeat(starts, runs)
        sides = np.repeat(runs, runs)
        prv, nx = k - 1, k + 1
        prv[starts], nx[ends] = ends, starts
        count = np.zeros(n, np.int64)
        count[poly[starts]] = runs
        # the corner starting each edge: where the previous moved edge crosses this one
        pux, puy, ppx, ppy = ux[prv], uy[prv], px[prv], py[prv]
        cross = pux * uy - puy * ux
        flat = np.abs(cross) < 1e-9  # (nearly) parallel: the edges continue each other
        t = ((px - ppx) * uy - (py - ppy) * ux) / np.where(flat, 1.0, cross)
        cx = np.where(flat, px, ppx + t * pux)
        cy = np.where(flat, py, ppy + t * puy)
        span = (cx[nx] - cx) * ux + (cy[nx] - cy) * uy  # a shrunk edge keeps its direction
        bad = (span <= 1e-3) | (sides < 3)
        unsettled = np.bincount(poly, bad, minlength=n) > 0
        finished = ~unsettled[poly]
        done.append((poly[finished], at[finished], cx[finished], cy[finished]))
        state[~unsettled & (count >= 3)] = 1
        # drop the bad edges that shrank most among their neighbours (the neighbours of a dropped
        # edge get new corners and are judged again next round; the position breaks ties), and
        # polygons down to two edges (nothing left of those: all lead)
        key = span + 1e-9 * at
        drop = bad & (key < key[prv]) & (key < key[nx]) | (sides < 3)
        going = ~finished & ~drop
        if rounds == 0 or not going.any():
            state[np.unique(poly[going])] = 2  # not settled: drawn whole, with lines
            break
        poly, ux, uy, px, py = poly[going], ux[going], uy[going], px[going], py[going]
    which_poly = np.concatenate([c[0] for c in done])
    count = np.bincount(which_poly, minlength=n)
    start = np.cumsum(count) - count
    # each polygon finished in one round with all its corners: corner `at` of polygon p goes to
    # start[p] + at (a scatter, not an argsort of all corners)
    where = start[which_poly] + np.concatenate([c[1] for c in done])
    xy = np.empty((len(which_poly), 2))
    xy[where, 0] = np.concatenate([c[2] for c in done])
    xy[where, 1] = np.concatenate([c[3] for c in done])
    fixed = np.round(xy * (1 << SHIFT)).astype(np.int32)
    return fixed, start, count, state


@lru_cache(maxsize=8)
def _lead_inset(thick: int) -> float:
    """How far to shrink the pieces so the lead left between them is as wide as an anti-aliased
    line of `thick` (cv2.polylines, LINE_AA) was: half the width such a line covers, plus the
    half pixel or so by which an anti-aliased polygon fill covers more than its own outline.

    Both are measured with OpenCV rather than assumed: its thick anti-aliased lines are wider
    than their nominal thickness (2 covers about 3.4 px, 3 and 4 about 5.4 px).
    """
    img = np.zeros((64, 64), np.uint8)
    cv2.line(img, (8 << SHIFT, 20 << SHIFT), (56 << SHIFT, 20 << SHIFT), 255, thick, cv2.LINE_AA, SHIFT)
    across = img[:, 32].sum() / 255.0
    img[:] = 0
    cv2.line(img, (8 << SHIFT, (40 << SHIFT) + 5), (56 << SHIFT, (52 << SHIFT) + 5), 255, thick, cv2.LINE_AA, SHIFT)
    diagonal = img[:, 20:44].sum() / 255.0 / np.hypot(24, 6)  # its area per unit of length
    # a half-plane y >= 20.3 filled anti-aliased: rows are centred on integers, so it would cover
    # 63.5 - 20.3 rows of a column exactly
    img[:] = 0
    top = (20 << SHIFT) + 5
    far = 72 << SHIFT
    plane = np.array([[-far, top], [far, top], [far, far], [-far, far]], np.int32)
    cv2.fillConvexPoly(img, plane, 255, cv2.LINE_AA, SHIFT)
    spill = img[:, 32].sum() / 255.0 - (63.5 - top / (1 << SHIFT))
    return float(across + diagonal) / 4.0 + float(spill)


_GLOW = np.clip(30 + np.arange(256) * (225 / 255), 0, 255).astype(np.uint8)
_MOTTLE = np.clip(255 - np.abs(np.arange(256) - 128.0) * 0.45, 0, 255).astype(np.uint8)
