"""Building blocks shared by the styles: input checks, scales, smoothing, palettes, lines, paper.

Resolution independence: every style works on a `Frame`, which knows how the image relates
to the 1024 px reference size. Smooth layers (color washes, palettes, edge fields) are computed
on small copies whose size is fixed *relative to the reference*, so the 1024 px preview and the
12 MP render see the same structures. Crisp things (line edges, paper grain, halftone dots) are
produced at the output resolution by thresholding or texturing the upsampled layers.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from .errors import InvalidImage

# Frame-to-frame stability for a stream of frames (the live camera): `effects.apply` puts
# `cache["stable"]` (a dict the caller keeps for the whole stream) here for one render. Palettes
# then start k-means from the previous frame's colors and move toward the new ones slowly, and
# line thresholds follow the picture slowly, so a still scene does not flicker.
STABLE: contextvars.ContextVar[dict | None] = contextvars.ContextVar("stable", default=None)
STABLE_RATE = 0.25  # how far a palette or threshold moves toward a new frame's value per frame

REFERENCE_SIDE = 1024  # lengths in parameters are pixels at this longest side
WORK_SIDE = 512  # smooth color layers are computed at this longest side
MIN_SIDE = 2


def as_bgr8(image: np.ndarray) -> np.ndarray:
    """Return `image` as a contiguous HxWx3 uint8 BGR array (a new array when converted).

    Accepts grayscale (HxW or HxWx1), BGR, BGRA (composited over white) and 16-bit or float
    (0..1) images. Raises InvalidImage for anything else or for images smaller than 2x2.
    """
    if not isinstance(image, np.ndarray):
        raise InvalidImage(f"image must be a numpy array, not {type(image).__name__}")
    if image.ndim not in (2, 3) or image.size == 0:
        raise InvalidImage(f"image must be a non-empty HxW or HxWxC array, got shape {image.shape}")
    h, w = image.shape[:2]
    if h < MIN_SIDE or w < MIN_SIDE:
        raise InvalidImage(f"image is {w}x{h} pixels; it must be at least {MIN_SIDE}x{MIN_SIDE}")
    channels = 1 if image.ndim == 2 else image.shape[2]
    if channels not in (1, 3, 4):
        raise InvalidImage(f"image must have 1, 3 or 4 channels, not {channels}")
    img = _to_uint8(image)
    if channels == 1:
        return cv2.cvtColor(img.reshape(h, w), cv2.COLOR_GRAY2BGR)
    if channels == 4:
        alpha = img[:, :, 3:4].astype(np.float32) / 255.0
        over_white = img[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
        return np.ascontiguousarray(np.clip(over_white + 0.5, 0, 255).astype(np.uint8))
    return np.ascontiguousarray(img)


def _to_uint8(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.uint16:
        return (image >> 8).astype(np.uint8)
    if np.issubdtype(image.dtype, np.floating):
        if not np.isfinite(image).all():
            raise InvalidImage("image contains NaN or infinite values")
        return np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8)
    raise InvalidImage(f"image dtype {image.dtype} is not supported (use uint8, uint16 or float)")


def shrink(image: np.ndarray, side: int) -> np.ndarray:
    """Area-downscale so the longest side is at most `side`; never upscales."""
    h, w = image.shape[:2]
    if max(h, w) <= side:
        return image
    k = max(h, w) // side
    if k >= 2:
        # an exact integer factor takes OpenCV's fast area path (about 3x quicker at 12 MP)
        image = cv2.resize(image, None, fx=1.0 / k, fy=1.0 / k, interpolation=cv2.INTER_AREA)
        h, w = image.shape[:2]
        if max(h, w) <= side:
            return image
    f = side / max(h, w)
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def enlarge(layer: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Bilinear-resize a layer to `shape` (h, w); a no-op when already that size."""
    h, w = shape[:2]
    if layer.shape[:2] == (h, w):
        return layer
    return cv2.resize(layer, (w, h), interpolation=cv2.INTER_LINEAR)


@dataclass(frozen=True)
class Frame:
    """An image with its reference-size copies, built once per render.

    `cache` (optional) keeps intermediate layers between renders of the *same* image, so a
    live preview that only moves the outline slider does not redo the smoothing.
    """

    full: np.ndarray  # the output resolution, BGR uint8
    ref: np.ndarray  # longest side min(1024, full)
    work: np.ndarray  # longest side min(512, full)
    cache: dict | None = None

    @classmethod
    def of(cls, image: np.ndarray, cache: dict | None = None) -> "Frame":
        if cache is not None and "frame" in cache:
            return cache["frame"]
        ref = shrink(image, REFERENCE_SIDE)
        frame = cls(image, ref, shrink(ref, WORK_SIDE), cache)
        if cache is not None:
            cache["frame"] = frame
        return frame

    def memo(self, key: tuple, make):
        """`make()`, remembered under `key` when the frame has a cache (layers are read-only)."""
        if self.cache is None:
            return make()
        if key not in self.cache:
            if len(self.cache) > 24:  # a long slider session: forget the oldest layers
                for old in [k for k in self.cache if k != "frame"][:8]:
                    del self.cache[old]
            self.cache[key] = make()
        return self.cache[key]

    @property
    def shape(self) -> tuple[int, int]:
        return self.full.shape[:2]

    def px(self, ref_px: float, layer: np.ndarray) -> float:
        """Convert a length in reference pixels to pixels of `layer`."""
        return ref_px * max(layer.shape[:2]) / REFERENCE_SIDE

    def full_px(self, ref_px: float) -> float:
        return self.px(ref_px, self.full)


def odd(n: float) -> int:
    """The nearest odd integer >= 1 (kernel sizes)."""
    k = max(1, int(round(n)))
    return k if k % 2 else k + 1


def smooth_colors(work: np.ndarray, strength: float) -> np.ndarray:
    """Edge-preserving smoothing: `strength` (0..10) rounds of a bilateral filter."""
    out = work
    rounds = int(round(strength))
    sigma_space = WORK_SIDE / REFERENCE_SIDE * 4.0 * max(work.shape[:2]) / WORK_SIDE
    for _ in range(rounds):
        out = cv2.bilateralFilter(out, 5, 30 + 4 * strength, max(1.0, sigma_space))
    return out


def kmeans_palette(image: np.ndarray, k: int, samples: int = 6000) -> np.ndarray:
    """A palette of `k` BGR colors learned from `image` with k-means (deterministic).

    k-means starts from luminance quantiles rather than random seeds: slightly different
    copies of a picture (a preview and a 12 MP original) then settle on the same palette.
    In a stream of frames (`STABLE` set) it starts from the previous frame's palette instead
    and the result moves only `STABLE_RATE` of the way toward the new frame's colors.
    """
    pixels = image.reshape(-1, 3)
    step = max(1, len(pixels) // samples)
    data = np.ascontiguousarray(pixels[::step], dtype=np.float32)
    k = max(1, min(k, len(data)))
    stable = STABLE.get()
    key = None
    if stable is not None:
        calls = stable.setdefault("_calls", {})
        n = calls[("palette", k)] = calls.get(("palette", k), 0) + 1
        key = ("palette", k, n)
    previous = stable.get(key) if stable is not None else None
    if previous is not None and len(previous) == k:
        dist = ((data[:, None, :] - previous[None, :, :]) ** 2).sum(axis=2)
        labels = np.argmin(dist, axis=1).astype(np.int32)
        criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 5, 0.5)
    else:
        luma = data @ np.array([0.114, 0.587, 0.299], np.float32)
        labels = np.empty(len(data), np.int32)
        labels[np.argsort(luma, kind="stable")] = np.arange(len(data)) * k // len(data)
        criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.2)
        previous = None
    _, _, centers = cv2.kmeans(data, k, labels.reshape(-1, 1), criteria, 1, cv2.KMEANS_USE_INITIAL_LABELS)
    if previous is not None:
        centers = previous + STABLE_RATE * (centers - previous)
    if stable is not None:
        stable[key] = centers.astype(np.float32)
    return np.clip(centers + 0.5, 0, 255).astype(np.uint8)


def steady(name: tuple, value):
    """`value` (a number or array measured on this frame) smoothed over a stream of frames:
    unchanged outside a stream; within one, it moves `STABLE_RATE` of the way from the last
    frame's value. `name` identifies the quantity (calls with one name are told apart by order)."""
    stable = STABLE.get()
    if stable is None:
        return value
    calls = stable.setdefault("_calls", {})
    n = calls[name] = calls.get(name, 0) + 1
    key = ("steady", name, n)
    previous = stable.get(key)
    if previous is not None and np.shape(previous) == np.shape(value):
        value = previous + STABLE_RATE * (np.asarray(value, np.float64) - previous)
    stable[key] = np.asarray(value, np.float64)
    return value


_BITS = 5  # color-cube resolution of the palette lookup (32 levels per channel)
_CODES = [((np.arange(256, dtype=np.uint16) >> (8 - _BITS)) << (_BITS * i)).astype(np.uint16) for i in (2, 1, 0)]


def map_to_palette(layer: np.ndarray, palette: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Enlarge a smooth BGR `layer` to `shape` and replace each pixel by its nearest palette color.

    Region borders come out crisp at the output resolution. Each channel is enlarged on its
    own and coded through a 32x32x32 color cube that knows every cube cell's nearest color,
    so a 12 MP image costs a few table lookups per pixel instead of k distance computations.
    """
    levels = 1 << _BITS
    centers = (np.arange(levels, dtype=np.float32) + 0.5) * (256 / levels)
    cube = np.stack(np.meshgrid(centers, centers, centers, indexing="ij"), axis=-1).reshape(-1, 1, 3)
    dist = ((cube - palette.reshape(1, -1, 3).astype(np.float32)) ** 2).sum(axis=2)
    nearest = np.argmin(dist, axis=1).astype(np.uint8)
    b, g, r = (cv2.LUT(enlarge(c, shape), code) for c, code in zip(cv2.split(layer), _CODES))
    labels = np.take(nearest, cv2.add(cv2.add(b, g), r))
    table = np.zeros((256, 1, 3), np.uint8)
    table[: len(palette), 0] = palette
    return cv2.LUT(cv2.cvtColor(labels, cv2.COLOR_GRAY2BGR), table)


def line_field(gray: np.ndarray, width: float, threshold: float) -> np.ndarray:
    """Dark-line strength (uint8, 128 = the line's edge, 255 = solid line) from a
    difference of Gaussians.

    `width` is the line scale in pixels of `gray`; `threshold` (0..1) sets how much of the
    picture becomes line: 0 draws lines on about 18 % of it, 1 on about 2 %. The cut is a
    quantile of this image's own edge strengths (with a floor so flat areas stay clean),
    which gives bold outlines on soft and busy photos alike.
    """
    g = gray.astype(np.float32) * (1.0 / 255.0)
    sigma = max(0.4, width * 0.5)
    d = cv2.GaussianBlur(g, (0, 0), sigma * 1.6)
    d -= cv2.GaussianBlur(g, (0, 0), sigma)  # positive on the dark side of an edge
    share = 0.02 + 0.16 * (1.0 - threshold)
    sample = d[::3, ::3].ravel()
    cut = max(0.0015, float(np.partition(sample, int(len(sample) * (1 - share)))[int(len(sample) * (1 - share))]))
    cut = float(steady(("line-cut", round(width, 3), threshold), cut))
    ink = 0.5 + (d - cut) * (0.5 / max(cut, 0.004))
    return np.clip(ink * 255.0, 0, 255).astype(np.uint8)


_RAMP = np.clip((np.arange(256, dtype=np.float32) - 96.0) * (255.0 / 64.0), 0, 255).astype(np.uint8)


def crisp(field: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Upsample a soft uint8 field to `shape` and sharpen it into anti-aliased strokes there."""
    return cv2.LUT(enlarge(field, shape), _RAMP)


def darken(image: np.ndarray, ink: np.ndarray) -> np.ndarray:
    """Draw single-channel `ink` (255 = black) onto a BGR image."""
    return cv2.subtract(image, cv2.cvtColor(ink, cv2.COLOR_GRAY2BGR))


@lru_cache(maxsize=4)
def _noise(h: int, w: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((h, w), dtype=np.float32)


def texture(shape: tuple[int, ...], ref_cell: float, seed: int, streak: float = 0.0) -> np.ndarray:
    """Deterministic noise texture (uint8 HxW, mean ~128) whose grain is `ref_cell` reference px.

    The noise lattice is sized relative to the image, so the grain looks the same at every
    resolution; `streak` > 0 smears it diagonally over that many cells (hatching, bristles).
    Results are cached (read-only) because the same texture serves every render of a size.
    """
    return _texture(tuple(shape[:2]), round(ref_cell, 3), seed, round(streak, 3))


@lru_cache(maxsize=6)
def _texture(shape, ref_cell, seed, streak):
    h, w = shape
    # One square lattice per texture, whatever the output size: `cells` lattice cells span the
    # longest side, and an exact affine map (no per-size rounding) samples it, so a preview's
    # texture is the full-size texture scaled down, cell for cell.
    cells = REFERENCE_SIDE / ref_cell
    n = int(np.ceil(cells)) + 4
    lattice = _noise(n, n, seed)
    if streak > 0:
        k = odd(streak)
        lattice = cv2.filter2D(lattice, -1, np.eye(k, dtype=np.float32)[::-1] / k, borderType=cv2.BORDER_REFLECT)
    lattice = (lattice - lattice.mean()) * (0.2 / (lattice.std() + 1e-6)) + 0.5
    small = np.clip(lattice * 255.0, 0, 255).astype(np.uint8)
    s = cells / max(h, w)  # lattice cells per output pixel
    # cells smaller than a pixel are averaged, not point-sampled (which would alias into noise):
    # sample at an integer supersampling factor, then area-shrink
    k = max(1, int(np.ceil(s)))
    t = s / k
    to_lattice = np.float32([[t, 0, 0.5 * t + 1.5], [0, t, 0.5 * t + 1.5]])  # sample centre -> lattice
    out = cv2.warpAffine(
        small, to_lattice, (w * k, h * k), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT
    )
    if k > 1:
        out = cv2.resize(out, (w, h), interpolation=cv2.INTER_AREA)
    out.setflags(write=False)
    return out


def paper(shape: tuple[int, ...], amount: float, seed: int = 7) -> np.ndarray:
    """A paper-grain multiplier (uint8 HxW, 255 = no change); `amount` in 0..1."""
    return _paper(tuple(shape[:2]), round(amount, 3), seed)


@lru_cache(maxsize=4)
def _paper(shape, amount, seed):
    fine = texture(shape, 0.8, seed)
    coarse = texture(shape, 5.0, seed + 1)
    grain = cv2.addWeighted(fine, 0.6, coarse, 0.4, 0)
    # mostly white: only the grain's raised half shades the paper
    out = cv2.LUT(grain, np.clip(255.0 - amount * 0.4 * np.maximum(np.arange(256) - 64, 0), 0, 255).astype(np.uint8))
    out.setflags(write=False)
    return out


def multiply(image: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """Multiply a BGR image by a single-channel uint8 factor (255 = 1.0)."""
    return cv2.multiply(image, cv2.cvtColor(factor, cv2.COLOR_GRAY2BGR), scale=1.0 / 255.0)


def saturate(image: np.ndarray, amount: float) -> np.ndarray:
    """Scale color saturation by `amount` (1 = unchanged)."""
    if amount == 1.0:
        return image
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV)
    lut = np.clip(np.arange(256) * amount, 0, 255).astype(np.uint8)
    hsv[:, :, 1] = cv2.LUT(hsv[:, :, 1], lut)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)
