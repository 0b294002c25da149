"""Building blocks shared by the styles: input checks, scales, smoothing, palettes, lines, paper.

Resolution independence: every style works on a `Frame`, which knows how the image relates
to the 1024 px reference size. Smooth layers (color washes, palettes, edge fields) are computed
on small copies whose size is fixed *relative to the reference*, so the 1024 px preview and the
12 MP render see the same structures. Crisp things (line edges, paper grain, halftone dots) are
produced at the output resolution by thresholding or texturing the upsampled layers.
"""

from __future__ import annotations

import contextvars
import threading
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


_MEMO_LOCK = threading.Lock()


class _Making:
    """A layer one thread is making; others wait for it."""

    __slots__ = ("done", "ok", "value")

    def __init__(self) -> None:
        self.done, self.ok, self.value = threading.Event(), False, None


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
    def of(cls, image: np.ndarray, cache: dict | None = None) -> Frame:
        if cache is not None and "frame" in cache:
            return cache["frame"]
        ref = shrink(image, REFERENCE_SIDE)
        frame = cls(image, ref, shrink(ref, WORK_SIDE), cache)
        if cache is not None:
            cache["frame"] = frame
        return frame

    def memo(self, key: tuple, make):
        """`make()`, remembered under `key` when the frame has a cache (layers are read-only).

        Thread-safe: a layer another thread (a preview's look-ahead) is making is waited for,
        not made twice.
        """
        if self.cache is None:
            return make()
        with _MEMO_LOCK:
            layer = self.cache.pop(key, None)
            mine = layer is None
            if mine:
                layer = _Making()
            self.cache[key] = layer  # most recently used last: the layers a drag keeps using stay
        if not mine:
            if not isinstance(layer, _Making):
                return layer
            if layer.done.wait(30) and layer.ok:
                return layer.value
            return make()  # its maker failed (or hangs): make it here, uncached
        try:
            value = make()
        except BaseException:
            with _MEMO_LOCK:
                if self.cache.get(key) is layer:
                    del self.cache[key]
            layer.done.set()
            raise
        with _MEMO_LOCK:
            if self.cache.get(key) is layer:
                self.cache[key] = value
                _within_budget(self.cache, key, value)
        layer.value, layer.ok = value, True
        layer.done.set()
        return value

    @property
    def shape(self) -> tuple[int, int]:
        return self.full.shape[:2]

    def px(self, ref_px: float, layer: np.ndarray) -> float:
        """Convert a length in reference pixels to pixels of `layer`."""
        return ref_px * max(layer.shape[:2]) / REFERENCE_SIDE

    def full_px(self, ref_px: float) -> float:
        return self.px(ref_px, self.full)


# Layers kept per source cache, in bytes. A count bound (24 layers) forgot, during a drag from one
# end of a slider to the other, the layers of the values passed early on, so the drag back missed
# every one of them; at 1024 px a whole drag there (12 values, a few layers each) takes 20-120 MB.
# (A preview worker keeping several sources bounds their sum as well: app/render/work.py.)
LAYER_BUDGET = 256 * 2**20
_SIZES = "_layer_bytes"  # the cache's own bookkeeping: {key: bytes} of the layers it holds


def cache_bytes(cache: dict) -> int:
    """About how many bytes of layers `cache` holds."""
    return sum(cache.get(_SIZES, {}).values())


def _within_budget(cache: dict, key: tuple, value) -> None:
    """Account `value` (just stored under `key`) and forget the least recently used layers
    while the cache holds more than LAYER_BUDGET bytes (caller holds _MEMO_LOCK)."""
    sizes = cache.setdefault(_SIZES, {})
    sizes[key] = _nbytes(value)
    used = cache_bytes(cache)
    if used <= LAYER_BUDGET:
        return
    for old in list(cache):
        if used <= LAYER_BUDGET:
            break
        if old == key or old not in sizes:  # the newest layer, a layer being made, "frame", "stable"
            continue
        used -= sizes.pop(old)
        del cache[old]


def _nbytes(value) -> int:
    """About how many bytes a layer holds: arrays, and tuples and lists of them (long lists of
    small polygons are estimated from a sample; Python's own overhead counted at 64 bytes each)."""
    if isinstance(value, np.ndarray):
        return value.nbytes + 112
    if isinstance(value, (tuple, list)):
        n = len(value)
        if n > 64:
            sample = value[:: n // 32]
            return 64 * n + sum(_nbytes(v) for v in sample) * n // len(sample)
        return 64 * n + sum(_nbytes(v) for v in value)
    return 64


def odd(n: float) -> int:
    """The nearest odd integer >= 1 (kernel sizes)."""
    k = max(1, round(n))
    return k if k % 2 else k + 1


def smooth_colors(work: np.ndarray, strength: float) -> np.ndarray:
    """Edge-preserving smoothing: `strength` (0..10) rounds of a bilateral filter."""
    out = work
    rounds = round(strength)
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


def map_to_palette(
    layer: np.ndarray, palette: np.ndarray, shape: tuple[int, ...], ink: np.ndarray | None = None
) -> np.ndarray:
    """Enlarge a smooth BGR `layer` to `shape` and replace each pixel by its nearest palette color.

    Region borders come out crisp at the output resolution. Each channel is enlarged on its
    own and coded through a 32x32x32 color cube that knows every cube cell's nearest color,
    so a 12 MP image costs a few table lookups per pixel instead of k distance computations.
    `ink` (single channel, 255 = black, output size) is drawn on in the same pass (`darken`).
    """
    nearest = _nearest_in_cube(np.ascontiguousarray(palette, np.uint8).tobytes())
    code = None
    for channel, table in zip(cv2.split(layer), _CODES, strict=True):  # one channel at a time: less memory
        part = cv2.LUT(enlarge(channel, shape), table)
        code = part if code is None else cv2.add(code, part, dst=code)
    del part
    assert code is not None  # a BGR layer has three channels
    # np.take turns its indices into 64-bit integers: in bands of rows, that copy stays small
    labels = np.empty(code.shape, np.uint8)
    for y in range(0, code.shape[0], 256):
        np.take(nearest, code[y : y + 256], out=labels[y : y + 256])
    del code
    channels = []
    for c in range(3):
        table = np.zeros(256, np.uint8)
        table[: len(palette)] = palette[:, c]
        channel = cv2.LUT(labels, table)
        channels.append(channel if ink is None else cv2.subtract(channel, ink, dst=channel))
    return cv2.merge(channels)


@lru_cache(maxsize=64)
def _nearest_in_cube(palette_bytes: bytes) -> np.ndarray:
    """For every cell of the 32x32x32 color cube, the index of the nearest palette color."""
    palette = np.frombuffer(palette_bytes, np.uint8).reshape(-1, 3).astype(np.float32)
    levels = 1 << _BITS
    centers = (np.arange(levels, dtype=np.float32) + 0.5) * (256 / levels)
    cube = np.stack(np.meshgrid(centers, centers, centers, indexing="ij"), axis=-1).reshape(-1, 3)
    # |c - p|^2 = |c|^2 - 2 c.p + |p|^2; |c|^2 is the same for every p, so it drops out of argmin
    dist = (palette * palette).sum(axis=1)[None, :] - 2.0 * (cube @ palette.T)
    nearest = np.argmin(dist, axis=1).astype(np.uint8)
    nearest.setflags(write=False)
    return nearest


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
    return _banded(image, ink, lambda a, f, out: cv2.subtract(a, f, dst=out))


@lru_cache(maxsize=8)
def _noise(h: int, w: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((h, w), dtype=np.float32)


class _Budget:
    """A least-recently-used cache of read-only arrays bounded by their total size in bytes.

    Textures of a 12 MP picture are 12 MB each and a preview's under 1 MB: a count-bounded cache
    either thrashes on previews (a slider through many stroke lengths) or holds too much at 12 MP.
    """

    def __init__(self, budget: int):
        self.budget, self.used = budget, 0
        self.items: dict = {}
        self.lock = threading.Lock()

    def get(self, key, make):
        with self.lock:
            item = self.items.pop(key, None)
            if item is not None:
                self.items[key] = item  # most recently used last
                return item
        item = make()  # outside the lock: a preview's look-ahead thread may be making another
        item.setflags(write=False)
        with self.lock:
            old = self.items.pop(key, None)
            self.used += item.nbytes - (0 if old is None else old.nbytes)
            while self.items and self.used > self.budget:
                self.used -= self.items.pop(next(iter(self.items))).nbytes
            self.items[key] = item
        return item

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.used = 0


_TEXTURES = _Budget(256 * 2**20)  # a job worker's textures for every style at two 12 MP sizes


def cached(key: tuple, make) -> np.ndarray:
    """`make()` kept (read-only) in the size-bounded texture cache under `key`: for layers that
    depend only on the output size, like textures and what styles derive from them."""
    return _TEXTURES.get(key, make)


def texture(shape: tuple[int, ...], ref_cell: float, seed: int, streak: float = 0.0) -> np.ndarray:
    """Deterministic noise texture (uint8 HxW, mean ~128) whose grain is `ref_cell` reference px.

    The noise lattice is sized relative to the image, so the grain looks the same at every
    resolution; `streak` > 0 smears it diagonally over that many cells (hatching, bristles).
    Results are cached (read-only) because the same texture serves every render of a size.
    """
    # smears are odd-length kernels: stroke lengths 10 and 11 share one texture
    key = ("texture", tuple(shape[:2]), round(ref_cell, 3), seed, float(odd(streak)) if streak > 0 else 0.0)
    return _TEXTURES.get(key, lambda: _texture(*key[1:]))


@lru_cache(maxsize=32)
def _lattice(ref_cell: float, seed: int, streak: float) -> np.ndarray:
    """The texture's square lattice (uint8), the same for every output size."""
    cells = REFERENCE_SIDE / ref_cell
    n = int(np.ceil(cells)) + 4
    lattice = _noise(n, n, seed)
    if streak > 0:
        lattice = _smear(lattice, odd(streak))
    mean, std = cv2.meanStdDev(lattice)
    # (lattice - mean) * 0.2 / std + 0.5, times 255, truncated to uint8 in one pass
    alpha = 0.2 / (float(std[0, 0]) + 1e-6) * 255.0
    offset = (0.5 - float(mean[0, 0]) * alpha / 255.0) * 255.0 - 0.5  # -0.5: rounding instead of truncation
    small = cv2.addWeighted(lattice, alpha, lattice, 0.0, offset, dtype=cv2.CV_8U)  # saturating
    small.setflags(write=False)
    return small


def _smear(lattice: np.ndarray, k: int) -> np.ndarray:
    """Mean over `k` cells along the anti-diagonal (reflected borders), as filter2D with a k x k
    anti-diagonal kernel computes it.

    Above 11 cells filter2D goes through a DFT (13 ms for a 1142-cell lattice): instead the k
    cells are added as k shifted views of the reflected lattice, k single-pass SIMD additions
    (2-5 ms, against 7-11 ms for the shear and box filter this replaced).
    """
    if k <= 11:  # filter2D's direct path is quickest for short kernels
        return cv2.filter2D(lattice, -1, np.eye(k, dtype=np.float32)[::-1] / k, borderType=cv2.BORDER_REFLECT)
    c = k // 2
    padded = cv2.copyMakeBorder(lattice, c, c, c, c, cv2.BORDER_REFLECT)
    h, w = lattice.shape
    # out(y, x) = mean over t in -c..c of lattice(y + t, x - t)
    acc = padded[0:h, 2 * c : 2 * c + w].copy()
    for t in range(1 - c, c + 1):
        cv2.add(acc, padded[c + t : c + t + h, c - t : c - t + w], dst=acc)
    acc *= np.float32(1.0 / k)
    return acc


def _texture(shape, ref_cell, seed, streak):
    h, w = shape
    # One square lattice per texture, whatever the output size: `cells` lattice cells span the
    # longest side, and an exact affine map (no per-size rounding) samples it, so a preview's
    # texture is the full-size texture scaled down, cell for cell.
    cells = REFERENCE_SIDE / ref_cell
    lattice = _lattice(ref_cell, seed, streak)
    s = cells / max(h, w)  # lattice cells per output pixel
    # cells smaller than a pixel are averaged, not point-sampled (which would alias into noise):
    # sample at an integer supersampling factor, then area-shrink
    k = max(1, int(np.ceil(s)))
    t = s / k
    # sample centre x -> lattice t * (x + 0.5) + 1.5. A separable cubic resize by the exact
    # factor 1/t maps x -> (x + 0.5) * t - 0.5 in its source, so it runs on the lattice from
    # cell 2 on (about 4x cheaper than the equivalent warpAffine)
    need = (int(np.ceil((w * k + 1) * t)) + 3, int(np.ceil((h * k + 1) * t)) + 3)
    src = lattice[2 : 2 + need[1], 2 : 2 + need[0]]
    if src.shape[0] < need[1] or src.shape[1] < need[0]:
        pad = (max(0, need[1] - src.shape[0]), max(0, need[0] - src.shape[1]))
        src = cv2.copyMakeBorder(src, 0, pad[0], 0, pad[1], cv2.BORDER_REFLECT)
    out = cv2.resize(src, None, fx=1.0 / t, fy=1.0 / t, interpolation=cv2.INTER_CUBIC)[: h * k, : w * k]
    if k > 1:
        out = cv2.resize(out, (w, h), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(out)


def paper(shape: tuple[int, ...], amount: float, seed: int = 7) -> np.ndarray:
    """A paper-grain multiplier (uint8 HxW, 255 = no change); `amount` in 0..1."""
    shape = tuple(shape[:2])
    amount = round(amount, 3)
    return _TEXTURES.get(("paper", shape, amount, seed), lambda: cv2.LUT(_grain(shape, seed), _paper_lut(amount)))


def _grain(shape, seed):
    def make():  # its two textures serve only the grain: not cached on their own
        fine = _texture(shape, 0.8, seed, 0.0)
        coarse = _texture(shape, 5.0, seed + 1, 0.0)
        return cv2.addWeighted(fine, 0.6, coarse, 0.4, 0, dst=fine)

    return _TEXTURES.get(("grain", shape, seed), make)


@lru_cache(maxsize=64)
def _paper_lut(amount: float) -> np.ndarray:
    # mostly white: only the grain's raised half shades the paper
    return np.clip(255.0 - amount * 0.4 * np.maximum(np.arange(256) - 64, 0), 0, 255).astype(np.uint8)


def multiply(image: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """Multiply a BGR image by a single-channel uint8 factor (255 = 1.0)."""
    return _banded(image, factor, lambda a, f, out: cv2.multiply(a, f, dst=out, scale=1.0 / 255.0))


_BAND = 256  # rows per band: a 3-channel copy of a band of a single-channel layer stays small


def _banded(image: np.ndarray, single: np.ndarray, op) -> np.ndarray:
    """`op(image, single as BGR, out)` in bands of rows: the 3-channel copy of `single` that
    OpenCV's arithmetic needs is made one band at a time instead of for the whole picture."""
    if image.shape[0] <= _BAND:
        return op(image, cv2.cvtColor(single, cv2.COLOR_GRAY2BGR), None)
    out = np.empty_like(image)
    for y in range(0, image.shape[0], _BAND):
        band = slice(y, y + _BAND)
        op(image[band], cv2.cvtColor(single[band], cv2.COLOR_GRAY2BGR), out[band])
    return out


def saturate(image: np.ndarray, amount: float) -> np.ndarray:
    """Scale color saturation by `amount` (1 = unchanged)."""
    if amount == 1.0:
        return image
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV)
    lut = np.clip(np.arange(256) * amount, 0, 255).astype(np.uint8)
    hsv[:, :, 1] = cv2.LUT(hsv[:, :, 1], lut)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)
