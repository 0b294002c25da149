"""Oil painting: anisotropic Kuwahara brush strokes that follow the picture, with impasto relief.

The paint is the anisotropic Kuwahara filter (Kyprianidis, Kang and Döllner 2009, see
`effects.structure`) computed on a small copy whose size is set by the brush, so a brush
always spans the same few filter pixels and the cost stays flat. At the output size the
paint is lit from the top left as a relief of its own luminance plus brush hairs that run
along the strokes (a line-integral convolution of grain along the structure tensor's
tangent, at the working size) over canvas grain drawn at the output size, with a one-pixel
unsharp mask folded into the same kernel.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from . import blocks, structure
from .registry import Progress
from .spec import number

LABEL = "Oil painting"
ORDER = 40
SPEC = (
    number("brush_size", "Brush size", 8, 2, 20, 0.5, "Size of the paint dabs in px at 1024 px."),
    number("relief", "Impasto", 0.5, 0, 1, 0.05, "Height of the paint ridges catching the light."),
    number("bristles", "Bristle texture", 0.4, 0, 1, 0.05, "How visible the brush hairs are."),
    number("saturation", "Saturation", 1.25, 0, 2.5, 0.05, "Color intensity of the paint."),
)

FILTER_RADIUS = 2.5  # the brush spans this many pixels of the layer the filter runs on


def paint_layer(frame: blocks.Frame, brush: float) -> tuple[np.ndarray, np.ndarray]:
    """The Kuwahara paint and its orientation field, on a copy sized so the brush is FILTER_RADIUS px."""
    side = int(min(blocks.WORK_SIDE, round(blocks.REFERENCE_SIDE * FILTER_RADIUS / brush)))
    small = blocks.shrink(frame.work, side)
    radius = max(1.0, frame.px(brush, small))
    pad = structure.kuwahara_pad(radius)
    if small is frame.work:  # every brush up to 5: the same copy, so its planes serve the next brush
        planes = frame.memo(("oil-planes", pad), lambda: structure.kuwahara_planes(small, pad))
    else:
        planes = structure.kuwahara_planes(small, pad)
    paint = structure.anisotropic_kuwahara(planes, radius, tensor_sigma=max(1.0, radius * 0.8))
    # the hairs follow a smoother flow than the filter: long strokes rather than swirls. A field
    # that smooth (sigma of 2 brush radii) comes out the same from a half-size copy for a quarter
    # of the cost (the 3-channel blur at 512 px was most of 3 ms); `bristles` resizes it anyway
    gray = cv2.cvtColor(paint, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255.0
    sigma = 2 * radius
    if sigma >= 3.0:
        gray = cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        sigma /= 2
    angle, _ = structure.orientation(gray, sigma)
    return paint, angle


def _to_reference(frame: blocks.Frame, paint: np.ndarray) -> np.ndarray:
    """The paint at the reference size with crisp stroke borders.

    Bicubic first (a bilinear 12x enlargement would show each paint pixel as a little square
    at 12 MP), then one step of a shock filter (Osher and Rudin 1990): each pixel takes the
    3x3 maximum where the luminance is concave and the minimum where it is convex (across stroke
    borders only: where the luminance changes by more than 2 levels a reference px), which turns
    the enlarged, soft stroke borders back into sharp ones at the reference size; a 0.6 px blur
    then anti-aliases the steps.
    """
    h, w = frame.ref.shape[:2]
    big = cv2.resize(paint, (w, h), interpolation=cv2.INTER_CUBIC)
    scale = max(h, w) / max(paint.shape[:2])
    if scale < 1.5:
        return big
    # the luminance's shape, from the small paint (smooth once enlarged, no blur needed at 1024 px)
    small = cv2.GaussianBlur(cv2.cvtColor(paint, cv2.COLOR_BGR2GRAY).astype(np.float32), (0, 0), 0.5)
    luma = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    concave = cv2.compare(cv2.Laplacian(luma, cv2.CV_32F, ksize=3), 0.0, cv2.CMP_LT)
    # only across stroke borders (the slope, measured on the small paint, above 2 levels per
    # reference px): smooth gradients inside a stroke stay smooth, without terraces
    slope = cv2.magnitude(*(cv2.Sobel(small, cv2.CV_32F, dx, 1 - dx, ksize=3, scale=0.125) for dx in (1, 0)))
    border = cv2.compare(cv2.resize(slope, (w, h), interpolation=cv2.INTER_LINEAR), 2.0 * scale, cv2.CMP_GT)
    box = np.ones((3, 3), np.uint8)
    out = big.copy()
    cv2.copyTo(cv2.dilate(big, box), cv2.bitwise_and(concave, border), out)
    cv2.copyTo(cv2.erode(big, box), cv2.bitwise_and(cv2.bitwise_not(concave), border), out)
    return cv2.GaussianBlur(out, (0, 0), 0.6)  # anti-alias the one-pixel steps it leaves


def bristles(frame: blocks.Frame, angle: np.ndarray) -> np.ndarray:
    """Brush-hair grain (uint8, mean ~128) at the working size, combed along the strokes."""
    shape = frame.work.shape
    grain = blocks.texture(shape, 1.2, seed=5)
    return structure.smear_along(grain, structure.tangent_field(angle, shape), frame.px(6.0, frame.work))


def render(frame: blocks.Frame, p: dict[str, Any], progress: Progress) -> np.ndarray:
    paint, angle = frame.memo(("aniso-paint", p["brush_size"]), lambda: paint_layer(frame, p["brush_size"]))
    paint = blocks.saturate(paint, p["saturation"])
    progress(0.4, paint)
    sharp = frame.memo(("oil-ref", p["brush_size"], p["saturation"]), lambda: _to_reference(frame, paint))
    canvas = blocks.enlarge(sharp, frame.shape)
    height = cv2.cvtColor(canvas, cv2.COLOR_BGR2GRAY)
    if p["bristles"] > 0:
        hair = frame.memo(("hair", p["brush_size"]), lambda: bristles(frame, angle))
        # the combed hairs come from the reference size; the canvas grain under them is drawn at
        # the output size, so a 12 MP painting has its own fine texture
        hair = cv2.addWeighted(blocks.enlarge(hair, frame.shape), 0.7, blocks.texture(frame.shape, 0.5, seed=9), 0.3, 0)
        height = cv2.addWeighted(height, 1.0 - p["bristles"] * 0.6, hair, p["bristles"] * 0.6, 0)
    return emboss(canvas, height, p["relief"], reach=blocks.odd(frame.full_px(0.5) * 2 + 1), sharpen=0.7)


def _unsharp(size: int) -> np.ndarray:
    """A centred delta minus a Gaussian blur filling `size` x `size`: an unsharp-mask kernel."""
    g = cv2.getGaussianKernel(size, size / 4.0)
    kernel = -(g @ g.T)
    kernel[size // 2, size // 2] += 1.0
    return kernel.astype(np.float32)


_BAND = 256  # rows per band


def emboss(image: np.ndarray, height: np.ndarray, amount: float, reach: int, sharpen: float = 0.0) -> np.ndarray:
    """Light `image` from the top left as if `height` were its surface.

    `sharpen` adds an unsharp mask of one output pixel to the same kernel (it is linear too), so
    paint edges stay crisp at 12 MP at no extra cost, while a preview scaled down is unaffected.
    Done in bands of rows (each filtered with its kernel's reach of rows above and below): the
    slope, its two halves and their 3-channel copies then stay in the CPU cache, which halves
    the cost at 12 MP (about 50 -> 30 ms) and keeps those copies small; the bytes are the same.
    """
    r = max(1, reach // 2)
    reach = 2 * r + 1
    kernel = np.zeros((reach, reach), np.float32)
    kernel[:r, :r] = 1.0
    kernel[r + 1 :, r + 1 :] = -1.0
    kernel *= amount * 1.5 / (r * r)
    kernel[r - 1 : r + 2, r - 1 : r + 2] += sharpen * _unsharp(3)
    h = height.shape[0]
    # rows beyond the picture reflected as filter2D does at its border (columns it handles itself)
    padded = cv2.copyMakeBorder(height, r, r, 0, 0, cv2.BORDER_REFLECT_101) if h > r else None
    out = np.empty_like(image)
    for y in range(0, h, _BAND):
        n = min(_BAND, h - y)
        if padded is None:  # tiny picture: in one piece
            slope = cv2.filter2D(height, cv2.CV_16S, kernel)
        else:
            slope = cv2.filter2D(padded[y : y + n + 2 * r], cv2.CV_16S, kernel)[r : r + n]
        band = out[y : y + n]
        cv2.add(image[y : y + n], cv2.cvtColor(cv2.convertScaleAbs(cv2.max(slope, 0)), cv2.COLOR_GRAY2BGR), dst=band)
        cv2.subtract(band, cv2.cvtColor(cv2.convertScaleAbs(cv2.min(slope, 0)), cv2.COLOR_GRAY2BGR), dst=band)
    return out
