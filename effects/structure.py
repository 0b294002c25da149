"""Local image structure: the smoothed structure tensor, and the anisotropic Kuwahara filter built on it.

Kyprianidis, Kang and Döllner, "Image and Video Abstraction by Anisotropic Kuwahara Filtering"
(Computer Graphics Forum 28(7), 2009). The structure tensor of the picture, smoothed, gives at
every pixel the orientation of the local structure and how anisotropic it is. The filter
averages colors over an ellipse stretched along that orientation, split into eight sectors;
each sector's mean is weighted by how flat (low-variance) the sector is, so edges stay sharp
and flat areas are painted with brush-like strokes that follow the picture's lines.

Speed: the ellipse's orientation is quantised into a few directions. For each direction the
eight sector kernels are fixed, so their means and variances come from `cv2.filter2D` over
four stacked planes (Y, U, V, Y²); pixels then blend the directions with weights peaked on
their own orientation, more sharply the more anisotropic they are (all directions alike where
the picture has no orientation), which keeps the result continuous. Sector weights are smooth
and sum to one at every point of the ellipse (the paper's smoothed characteristic functions),
so flat areas show no square quadrants.

Departure from the paper: the ellipse's elongation is fixed per direction (`STRETCH`) rather
than computed per pixel from the anisotropy A; A instead sets how much a pixel favours the
direction of its own structure, so isotropic areas get the average of the directions (a
rounder footprint) and strongly oriented ones the elongated ellipse.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import cv2
import numpy as np

LUMA = np.array([0.114, 0.587, 0.299], np.float32)  # BGR weights


def gradient_products(gray: np.ndarray, scale: float = 0.125) -> np.ndarray:
    """The unsmoothed structure tensor (gx², gx·gy, gy²) of a float32 image, as 3 channels; the
    gradients are Sobel's times `scale` (0.125: per pixel, for an image in 0..1)."""
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3, scale=scale)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3, scale=scale)
    return cv2.merge([gx * gx, gx * gy, gy * gy])


def structure_tensor(gray: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Smoothed structure tensor (E, F, G) = G_sigma * (gx², gx·gy, gy²) of a float32 image in 0..1."""
    tensor = gradient_products(gray)
    if sigma > 0.3:
        tensor = cv2.GaussianBlur(tensor, (0, 0), sigma)
    e, f, g = cv2.split(tensor)
    return e, f, g


def orientation(gray: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Per pixel: the angle of the local *tangent* (along the edges, radians in -pi/2..pi/2) and the
    anisotropy A = (l1 - l2) / (l1 + l2) in 0..1 (0: no preferred direction, 1: a clean edge)."""
    e, f, g = structure_tensor(gray, sigma)
    diff = e - g
    root = np.sqrt(diff * diff + 4.0 * f * f)
    anisotropy = root / (e + g + 1e-6)
    # the gradient's double angle is atan2(2F, E - G); the tangent is perpendicular to it
    angle = 0.5 * cv2.phase(diff, 2.0 * f) + np.float32(np.pi / 2)
    angle = np.where(angle > np.pi / 2, angle - np.float32(np.pi), angle)
    return angle.astype(np.float32), np.clip(anisotropy, 0.0, 1.0).astype(np.float32)


def coherence(gray: np.ndarray, sigma: float) -> float:
    """Mean anisotropy of the structure tensor weighted by gradient energy (0..1): how much the
    picture is made of oriented strokes rather than isotropic texture."""
    e, f, g = structure_tensor(gray, sigma)
    diff = e - g
    root = np.sqrt(diff * diff + 4.0 * f * f)
    return float(root.sum() / (e + g).sum())


SECTORS = 8


@lru_cache(maxsize=32)
def sector_kernels(
    radius: float, angle: float, stretch: float, sectors: int = SECTORS
) -> tuple[tuple[np.ndarray, tuple[int, int]], ...]:
    """The `sectors` weighting kernels of an ellipse with semi-axes radius*stretch (along `angle`)
    and radius/stretch (across), as float32 arrays that each sum to 1, each with its anchor.

    In the ellipse's own unit-disk coordinates v, sector i weighs w_i(v) = s_i(angle of v) * g(|v|):
    s_i are smooth angular lobes normalised to sum to 1 everywhere (a partition of unity, so the
    sectors together weigh the disk evenly) and g is a Gaussian falling to 0 at the rim.
    Each pixel is supersampled 4x4 so small kernels are not jagged.
    """
    a, b = radius * stretch, radius / stretch
    half = int(np.ceil(max(a, b)))
    sub = (np.arange(4, dtype=np.float64) + 0.5) / 4 - 0.5
    grid = np.arange(-half, half + 1, dtype=np.float64)
    ys = (grid[:, None] + sub[None, :]).reshape(-1)
    y, x = np.meshgrid(ys, ys, indexing="ij")
    c, s = np.cos(angle), np.sin(angle)
    vt = (x * c + y * s) / a  # along the tangent
    vn = (-x * s + y * c) / b  # across
    r2 = vt * vt + vn * vn
    fall = np.exp(-r2 / (2 * 0.45**2)) * np.clip((1.0 - r2) * 4.0, 0.0, 1.0)
    phi = np.arctan2(vn, vt)
    lobes = np.stack([((1 + np.cos(phi - 2 * np.pi * i / sectors)) / 2) ** 6 for i in range(sectors)])
    lobes /= lobes.sum(axis=0, keepdims=True)
    n = 2 * half + 1
    out = []
    for lobe in lobes:
        k = (lobe * fall).reshape(n, 4, n, 4).sum(axis=(1, 3))
        # weights below 2 % of the peak are dropped and the kernel cropped to what is left (with
        # the anchor kept on the centre pixel): a sector is about half the disk, so filter2D
        # does about half the work
        k[k < 0.02 * k.max()] = 0.0
        rows, cols = np.flatnonzero(k.any(axis=1)), np.flatnonzero(k.any(axis=0))
        k = k[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        out.append(((k / k.sum()).astype(np.float32), (int(half - cols[0]), int(half - rows[0]))))
    return tuple(out)


_TO_YUV = np.array([LUMA, [0.5, -0.331, -0.169], [-0.081, -0.419, 0.5]], np.float32)  # rows: Y, U, V from B, G, R
_FROM_YUV = np.linalg.inv(_TO_YUV).astype(np.float32)


# --- the anisotropic Kuwahara filter (Kyprianidis, Kang and Döllner 2009) ------------------------
#
# Each pixel takes the mean of the flattest of 8 sectors of an ellipse stretched along the local
# structure, for 3 ellipse orientations blended by the pixel's own orientation and anisotropy.
# Arranged for speed, since the oil painting's brush-size drag runs it with 24 sector kernels
# over 4 planes at 512 px whatever the brush (the same filter, within one level of the plain
# formulation):
# - luma comes pre-scaled by sqrt(765) (in 0..255 units), so E[Y^2] - E[Y]^2 is already
#   765 x the 0..1 variance the sector weights 1 / (1 + (765 var)^4) take: no scaling pass;
# - the fourth plane is -Y^2, so one accumulateSquare turns its sector mean into -variance in
#   place (even powers only follow), and one cv2.pow makes the 4th power;
# - the first sector of a direction writes the sums instead of adding to zeroed buffers;
# - the direction shares come straight from the structure tensor: kappa cos(2a - 2t) is
#   -3 ((E - G) cos 2t + 2F sin 2t) / (E + G), with no angle, anisotropy, sqrt or phase;
# - what depends only on the picture (its planes and raw structure tensor) is made apart, so a
#   caller can keep it for the next radius.

DIRECTIONS = 3
STRETCH = 1.6  # the ellipse's elongation along the strokes
_SCALE = np.float32(np.sqrt(765.0) / 255.0)  # luma of 0..255 pixels -> sqrt(765) x its 0..1 value
_K_TO_YUV = (_TO_YUV * _SCALE).astype(np.float32)
# back to BGR in 0..255, plus 0.5 so the truncation to uint8 rounds
_K_FROM_YUV = np.hstack([_FROM_YUV / _SCALE, np.full((3, 1), 0.5, np.float32)]).astype(np.float32)


def kuwahara_pad(radius: float) -> int:
    """Reflected rows the planes need around them for `radius`: the same for every radius up to
    2.6 px (so planes made once serve all of them), more for larger ones."""
    return int(np.ceil(max(radius, 2.6) * STRETCH)) + 1


def kuwahara_planes(image: np.ndarray, pad: int) -> tuple[np.ndarray, np.ndarray]:
    """What the filter needs of `image` whatever the brush: its planes Y, U, V and -Y^2 one above
    the other, each with `pad` reflected rows above and below (so one filter2D call per kernel
    filters all four; it reflects the columns itself), and its raw structure tensor."""
    h, w = image.shape[:2]
    yuv = cv2.copyMakeBorder(cv2.transform(image.astype(np.float32), _K_TO_YUV), pad, pad, 0, 0, cv2.BORDER_REFLECT)
    n = h + 2 * pad
    tall = np.empty((4 * n, w), np.float32)
    for i in range(3):
        cv2.extractChannel(yuv, i, dst=tall[i * n : (i + 1) * n])
    cv2.multiply(tall[:n], tall[:n], dst=tall[3 * n :], scale=-1.0)
    # (E, F, G) of the 0..1 luma (the plane holds sqrt(765) x it), blurred by each brush's sigma later
    tensor = gradient_products(tall[pad : pad + h], scale=0.125 / float(np.sqrt(765.0)))
    tall.setflags(write=False)
    tensor.setflags(write=False)
    return tall, tensor


def anisotropic_kuwahara(planes: tuple[np.ndarray, np.ndarray], radius: float, tensor_sigma: float) -> np.ndarray:
    """Anisotropic Kuwahara filter (BGR uint8) of the picture `kuwahara_planes` gave `planes`;
    `radius` in its pixels, `tensor_sigma` the blur of its structure tensor."""
    tall, tensor = planes
    h, w = tensor.shape[:2]
    pad = (tall.shape[0] // 4 - h) // 2
    # fewer reflected rows than the kernels reach would blend each plane with its neighbour
    assert pad >= kuwahara_pad(radius), f"planes padded for a smaller radius than {radius}"
    shares = _direction_shares(tensor, tensor_sigma)
    rows = [slice(i * (h + 2 * pad) + pad, i * (h + 2 * pad) + pad + h) for i in range(4)]
    # every intermediate goes into buffers made once: fresh 3 MB arrays per filter2D call cost
    # more in allocation and page faults than the filtering
    m = np.empty_like(tall)
    q, wgt = np.empty((h, w), np.float32), np.empty((h, w), np.float32)
    num = [np.empty((h, w), np.float32) for _ in range(3)]
    den = np.empty((h, w), np.float32)
    out = [np.empty((h, w), np.float32) for _ in range(3)]
    for k in range(DIRECTIONS):
        kernels = sector_kernels(round(radius, 3), np.pi * k / DIRECTIONS, STRETCH)
        for i, (kernel, anchor) in enumerate(kernels):
            cv2.filter2D(tall, -1, kernel, dst=m, anchor=anchor, borderType=cv2.BORDER_REFLECT)
            my, mu, mv, minus_var = (m[r] for r in rows)
            cv2.accumulateSquare(my, minus_var)  # -E[Y^2] + E[Y]^2
            cv2.add(cv2.pow(minus_var, 4, dst=q), 1.0, dst=q)
            cv2.divide(1.0, q, dst=wgt)  # flat sectors weigh most
            _weigh(num, (my, mu, mv), wgt, first=i == 0)
            if i == 0:
                np.copyto(den, wgt)
            else:
                cv2.add(den, wgt, dst=den)
        _weigh(out, num, cv2.divide(shares[k], den, dst=wgt), first=k == 0)
    bgr = cv2.transform(cv2.merge(out), _K_FROM_YUV)
    # a convex mix of the picture's own colors, so within 0..255 (+0.5): truncating rounds
    return bgr.astype(np.uint8)


def _direction_shares(tensor: np.ndarray, sigma: float) -> list[np.ndarray]:
    """How each pixel shares itself among the directions: a von Mises bump exp(kappa cos(2a - 2t))
    on the doubled angle a of its structure tensor (blurred by `sigma`), with kappa = 3 x its
    anisotropy (flat where the picture has no orientation), normalised to sum to 1."""
    e, f, g = cv2.split(cv2.GaussianBlur(tensor, (0, 0), sigma))
    # kappa cos(2a - 2t) = -3 ((E - G) cos 2t + 2F sin 2t) / (E + G)
    diff = cv2.subtract(e, g)
    inv = cv2.divide(-3.0, cv2.add(cv2.add(e, g, dst=e), 1e-6, dst=e), dst=e)
    cv2.multiply(diff, inv, dst=diff)
    cv2.multiply(f, inv, dst=f, scale=2.0)
    shares = []
    for k in range(DIRECTIONS):
        t = 2.0 * np.pi * k / DIRECTIONS
        shares.append(cv2.exp(cv2.addWeighted(diff, np.cos(t), f, np.sin(t), 0.0)))
    total = cv2.add(shares[0], shares[1])
    for more in shares[2:]:
        cv2.add(total, more, dst=total)
    return [cv2.divide(s, total, dst=s) for s in shares]


def _weigh(sums: list[np.ndarray], parts: Sequence[np.ndarray], weight: np.ndarray, first: bool) -> None:
    """sums[c] = parts[c] * weight (first) or sums[c] += parts[c] * weight."""
    for acc, part in zip(sums, parts, strict=True):
        if first:
            cv2.multiply(part, weight, dst=acc)
        else:
            cv2.accumulateProduct(part, weight, acc)


def tangent_field(angle: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The unit tangent (tx, ty) of an orientation field `angle`, resized to `shape` (h, w).

    Orientations are resized through their doubled angle (cos 2a, sin 2a), which has no jump
    between +90 and -90 degrees.
    """
    h, w = shape[:2]
    c2 = cv2.resize(np.cos(2 * angle), (w, h), interpolation=cv2.INTER_LINEAR)
    s2 = cv2.resize(np.sin(2 * angle), (w, h), interpolation=cv2.INTER_LINEAR)
    # the same arithmetic as sqrt(clip((1 +- c2) / 2)), done in place: a dozen fewer temporaries
    norm = c2 * c2
    norm += s2 * s2
    np.sqrt(norm, out=norm)
    norm += np.float32(1e-6)
    c2 /= norm
    tx = c2 + np.float32(1.0)
    tx *= np.float32(0.5)
    np.sqrt(np.clip(tx, 0, 1, out=tx), out=tx)
    ty = np.subtract(np.float32(1.0), c2)
    ty *= np.float32(0.5)
    np.sqrt(np.clip(ty, 0, 1, out=ty), out=ty)
    return tx, np.copysign(ty, s2, out=ty)


@lru_cache(maxsize=4)
def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel x and y coordinates (float32, contiguous, read-only). Broadcast views (stride 0)
    were copied by OpenCV's bindings on every call that took them."""
    xs = np.repeat(np.arange(w, dtype=np.float32)[None, :], h, axis=0)
    ys = np.repeat(np.arange(h, dtype=np.float32)[:, None], w, axis=1)
    xs.setflags(write=False)
    ys.setflags(write=False)
    return xs, ys


def smear_along(
    texture: np.ndarray, tangent: tuple[np.ndarray, np.ndarray], length: float, taps: int = 2
) -> np.ndarray:
    """Line-integral convolution, straight-line version: average `texture` over a segment of
    `length` px centred on each pixel and pointing along the tangent field (brush hairs)."""
    h, w = texture.shape[:2]
    tx, ty = tangent
    xs, ys = _grid(h, w)
    acc = texture.astype(np.float32)
    step = length / (2 * taps)
    for s in range(1, taps + 1):
        for sign in (1.0, -1.0):
            d = sign * s * step
            mx, my = cv2.scaleAdd(tx, d, xs), cv2.scaleAdd(ty, d, ys)
            cv2.accumulate(cv2.remap(texture, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT), acc)
    # averaging flattens the grain; stretch it back to its former contrast around mid-gray
    gain = np.sqrt(2 * taps + 1) * 0.7
    acc *= np.float32(1.0 / (2 * taps + 1))
    acc -= np.float32(128.0)
    acc *= np.float32(gain)
    acc += np.float32(128.5)
    return np.clip(acc, 0, 255, out=acc).astype(np.uint8)
