"""Watercolor from its physics: flat washes of pigment in water, as Bousseau et al. (2006) render them.

Bousseau, Kaplan, Thollot and Sillion, "Interactive watercolor rendering with temporal
coherence and abstraction" (NPAR 2006), after the pigment model of Curtis et al.,
"Computer-generated watercolor" (SIGGRAPH 1997):

1. Abstraction: the photo is smoothed (bilateral) and its colors simplified to a few washes
   (a k-means palette), then specks are cleaned away: a painter lays areas, not pixels.
2. Wobbly edges: the washes are displaced by a low-frequency noise, so their borders wander
   like a hand-held brush, and bled softly into each other.
3. Pigment density: every effect is a change of pigment density d applied to a color C in
   0..1 the way pigment layers combine, C' = C (1 - (1 - C)(d - 1)): d > 1 darkens and
   saturates, d < 1 thins toward the paper, and white paper (C = 1) stays white whatever d.
   - turbulent flow: low-frequency noise (the pigment settles unevenly in the water),
   - edge darkening: pigment migrates to a wash's border as it dries; d rises with the
     gradient of the washes,
   - granulation: high-frequency noise at the output size (pigment caught in the paper's
     valleys).
4. White paper: where the photo is light no pigment is laid at all.

Smooth parts run at the working (512 px) and reference (1024 px) sizes; the granulation and
paper grain are drawn at the output size.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import cv2
import numpy as np

from . import blocks
from .registry import Progress
from .spec import number

LABEL = "Watercolor"
ORDER = 50
SPEC = (
    number("washes", "Washes", 8, 2, 16, 1, "Number of colors the paint separates into.", integer=True),
    number("bleed", "Bleed", 1.5, 0, 16, 0.25, "How far the washes run into each other, px at 1024 px."),
    number(
        "wobble", "Edge wobble", 3, 0, 8, 0.25, "How far wash borders wander from the photo's edges, px at 1024 px."
    ),
    number("wet_edges", "Wet edges", 0.6, 0, 1, 0.05, "Pigment pooled and darkened along the borders of the washes."),
    number("pigment", "Pigment flow", 0.5, 0, 1, 0.05, "Uneven, cloudy pigment density inside the washes."),
    number("granulation", "Granulation", 0.5, 0, 1, 0.05, "Pigment grains settled in the paper texture."),
    number("lightness", "Lightness", 0.25, 0, 0.8, 0.05, "How much water thins the pigment; light areas stay white."),
    number("saturation", "Saturation", 1.3, 0, 2.5, 0.05, "Color intensity of the pigments."),
    number("paper", "Paper texture", 0.4, 0, 1, 0.05, "Strength of the paper grain."),
)


def abstraction(frame: blocks.Frame, washes: int) -> tuple[np.ndarray, float]:
    """Flat washes at the working size (bilateral smoothing, a k-means palette, specks removed)
    and the luminance (0..1) above which the paper is left white."""
    smooth = frame.memo(("smooth", 3), lambda: blocks.smooth_colors(frame.work, 3))
    palette = frame.memo(("palette", 3, washes), lambda: blocks.kmeans_palette(smooth, washes))
    flat = cv2.medianBlur(blocks.map_to_palette(smooth, palette, smooth.shape), 5)
    # a wash keeps some of the local color under it (the palette alone turns mixed areas muddy)
    wash = cv2.addWeighted(flat, 0.65, smooth, 0.35, 0)
    luma = cv2.cvtColor(smooth, cv2.COLOR_BGR2GRAY)
    white = float(np.percentile(luma[::2, ::2], 98)) / 255.0
    return wash, float(np.clip(white * 0.9, 0.72, _PAPER_WHITE))


def density(color: np.ndarray, d1: np.ndarray) -> np.ndarray:
    """The pigment density model C' = C (1 - (1 - C)(d - 1)) on a BGR uint8 image, with d - 1
    given per pixel (float32 HxW): C(1 - C) comes from a lookup table, and the darkening and
    lightening parts of d - 1 are applied as two uint8 products."""
    cc = cv2.LUT(color, _PIGMENT_LUT)  # 4 C (1 - C) as 0..255
    # d - 1 in 1/64 steps (up to 4): C' = C - cc (d - 1) / 4, i.e. cc * steps / 256
    # the two halves by threshold (the same values as cv2.max/min with 0.0, which cost about
    # 1 ms each at 1024 px against ~0.1 ms: a scalar argument goes through a slower path)
    up = cv2.threshold(d1, 0.0, 0.0, cv2.THRESH_TOZERO)[1]
    down = cv2.threshold(d1, 0.0, 0.0, cv2.THRESH_TOZERO_INV)[1]
    up = cv2.cvtColor(cv2.convertScaleAbs(up, alpha=64.0), cv2.COLOR_GRAY2BGR)
    down = cv2.cvtColor(cv2.convertScaleAbs(down, alpha=64.0), cv2.COLOR_GRAY2BGR)
    out = cv2.subtract(color, cv2.multiply(cc, up, scale=1.0 / 256))
    return cv2.add(out, cv2.multiply(cc, down, scale=1.0 / 256))


def _wobbly(image: np.ndarray, frame: blocks.Frame, amount: float) -> np.ndarray:
    if amount <= 0:
        return image
    dx, dy, xs, ys, _ = _fields(image.shape[:2])
    k = frame.px(amount, image)
    mx, my = cv2.scaleAdd(dx, k, xs), cv2.scaleAdd(dy, k, ys)
    return cv2.remap(image, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


@lru_cache(maxsize=4)
def _fields(shape: tuple[int, int]) -> tuple[np.ndarray, ...]:
    """Per image size: the wobble displacement (dx, dy, unit spread), pixel coordinates, and the
    turbulent-flow noise (two octaves, about -1..1), all float32 and read-only."""
    h, w = shape

    def unit(t: np.ndarray) -> np.ndarray:
        return (t.astype(np.float32) - 128.0) * np.float32(1.0 / 51.0)  # the textures' spread is ~51

    dx = unit(blocks.texture(shape, 28.0, seed=31))
    dy = unit(blocks.texture(shape, 28.0, seed=32))
    turb = cv2.addWeighted(
        unit(blocks.texture(shape, 60.0, seed=41)), 0.6, unit(blocks.texture(shape, 14.0, seed=42)), 0.4, 0
    )
    xs = np.repeat(np.arange(w, dtype=np.float32)[None, :], h, axis=0)
    ys = np.repeat(np.arange(h, dtype=np.float32)[:, None], w, axis=1)
    out = (dx, dy, xs, ys, turb)
    for a in out:
        a.setflags(write=False)
    return out


@lru_cache(maxsize=4)
def _granules(shape: tuple[int, int]) -> np.ndarray:
    """Pigment grains at the output size: fine specks over slightly larger clumps."""
    out = cv2.addWeighted(blocks.texture(shape, 0.6, seed=43), 0.55, blocks.texture(shape, 1.8, seed=44), 0.45, 0)
    out.setflags(write=False)
    return out


# pigment (0..1) laid as a function of the wash's luminance: none where the photo is near white
_PAPER_WHITE = 0.86


def _laid(
    frame: blocks.Frame, flat: np.ndarray, white: float, p: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, float]:
    """The washes laid on paper at the working size (wobble, bleed, water, white paper), the
    blurred magnitude of their gradient (where pigment pools as it dries) and that blur's width."""
    # wobble, bleed, water and the wash borders at the working size (the borders wander by a
    # few reference px: no need for more resolution), the pigment density at the reference size
    wash = _wobbly(flat, frame, p["wobble"])
    sigma = frame.px(p["bleed"], wash)
    if sigma > 0.3:
        wash = cv2.GaussianBlur(wash, (0, 0), sigma)
    # water and white paper: lift every color toward white, fully where the photo is light
    # (light relative to this photo's own whites); no ink-black: watercolor is transparent
    laid = cv2.LUT(cv2.cvtColor(wash, cv2.COLOR_BGR2GRAY), _laid_lut(white, p["lightness"]))
    c = cv2.subtract(255, blocks.multiply(cv2.LUT(cv2.subtract(255, wash), _TRANSPARENT), laid))
    gx = cv2.Sobel(c, cv2.CV_32F, 1, 0, ksize=3, scale=0.125 / 255)
    gy = cv2.Sobel(c, cv2.CV_32F, 0, 1, ksize=3, scale=0.125 / 255)
    grad = cv2.transform(cv2.add(cv2.multiply(gx, gx), cv2.multiply(gy, gy)), np.ones((1, 3), np.float32))
    width = max(0.5, frame.px(1.0, c))
    return c, cv2.GaussianBlur(cv2.sqrt(grad), (0, 0), width), width


def render(frame: blocks.Frame, p: dict[str, Any], progress: Progress) -> np.ndarray:
    flat, white = frame.memo(("washes", p["washes"]), lambda: abstraction(frame, p["washes"]))
    flat = frame.memo(("washes-sat", p["washes"], p["saturation"]), lambda: blocks.saturate(flat, p["saturation"]))
    progress(0.3, flat)
    ref_shape = frame.ref.shape
    # the laid washes and their border gradient depend on these five controls only: kept as a
    # layer, so moving wet edges, pigment flow, granulation or paper skips the wobble (a remap),
    # the bleed and the gradient (about half of such a render before)
    key = ("laid", p["washes"], p["saturation"], p["wobble"], p["bleed"], p["lightness"])
    c, grad, width = frame.memo(key, lambda: _laid(frame, flat, white, p))
    # density d - 1: turbulent flow (two octaves of low-frequency noise) and darkened wash borders
    d = _fields(ref_shape[:2])[4] * np.float32(p["pigment"] * 0.4)
    if p["wet_edges"] > 0:
        k = p["wet_edges"] * 12.0 * width
        # min(grad, 2.5 / k) by truncation: the same values, without cv2.min's slow scalar path
        pooled = cv2.threshold(grad, 2.5 / k, 0.0, cv2.THRESH_TRUNC)[1] * np.float32(k)
        d = cv2.add(d, blocks.enlarge(pooled, ref_shape))
    c = blocks.enlarge(c, ref_shape)
    c = density(c, d)
    progress(0.6, None)
    out = blocks.enlarge(c, frame.shape)
    # granulation at the output size: C' = C - C(1 - C)(d - 1) with d - 1 from the grain texture
    if p["granulation"] > 0:
        grain = cv2.LUT(_granules(frame.shape[:2]), _grain_lut(p["granulation"]))
        out = cv2.subtract(out, blocks.multiply(cv2.LUT(out, _PIGMENT_LUT), grain))
    return blocks.multiply(out, blocks.paper(frame.shape, p["paper"] * 0.6))


# watercolor has no opaque blacks: shadows are layered, transparent pigment (applied to 255 - C)
_TRANSPARENT = (255.0 - np.power(1.0 - np.arange(256) / 255.0, 0.7) * 255.0 + 0.5).astype(np.uint8)


def _laid_lut(white: float, lightness: float) -> np.ndarray:
    """Pigment laid (255 = all of it) by the wash's luminance: none above `white`."""
    v = np.arange(256, dtype=np.float32) / 255.0
    laid = np.clip((white - v) / 0.12, 0.0, 1.0) * (0.85 * (1.0 - lightness))
    return (laid * 255.0 + 0.5).astype(np.uint8)


# C(1 - C) * 4 (0..1 as 0..255): how much a density change moves a color
_PIGMENT_LUT = (np.arange(256) / 255.0 * (1 - np.arange(256) / 255.0) * 4 * 255).astype(np.uint8)


def _grain_lut(amount: float) -> np.ndarray:
    # grains darken only (pigment caught in the paper's valleys): d - 1 up to ~0.6
    v = np.arange(256, dtype=np.float32)
    return np.clip((v - 128.0) * 1.2 * amount, 0, 255).astype(np.uint8)
