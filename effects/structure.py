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

Departure from the paper: the ellipse's elongation is fixed per direction (`stretch`) rather
than computed per pixel from the anisotropy A; A instead sets how much a pixel favours the
direction of its own structure, so isotropic areas get the average of the directions (a
rounder footprint) and strongly oriented ones the elongated ellipse.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

LUMA = np.array([0.114, 0.587, 0.299], np.float32)  # BGR weights


def structure_tensor(gray: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Smoothed structure tensor (E, F, G) = G_sigma * (gx², gx·gy, gy²) of a float32 image in 0..1."""
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3, scale=0.125)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3, scale=0.125)
    tensor = cv2.merge([gx * gx, gx * gy, gy * gy])
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


def anisotropic_kuwahara(
    image: np.ndarray,
    radius: float,
    *,
    directions: int = 4,
    stretch: float = 1.6,
    sharpness: float = 8.0,
    tensor_sigma: float = 2.0,
) -> np.ndarray:
    """Anisotropic Kuwahara filter of a BGR uint8 image; `radius` in pixels of `image`.

    `directions` ellipse orientations are computed; each pixel blends them by its own structure
    tensor orientation and anisotropy. `stretch` is the ellipse's elongation at full anisotropy,
    `sharpness` the exponent q of the sector weights 1 / (1 + sigma_i^q).
    """
    # (one numpy pass, not a float copy and then a scaled one: the same values)
    img = np.multiply(image, np.float32(1.0 / 255.0), dtype=np.float32)
    h, w = img.shape[:2]
    # luma and two chroma axes: a linear color space whose first channel is the luma, so sector
    # means of the luma come with the color means
    yuv = cv2.split(cv2.transform(img, _TO_YUV))
    luma = yuv[0]
    angle, aniso = orientation(luma, tensor_sigma)
    # how each pixel shares itself among the directions: a von Mises bump on the doubled angle,
    # flat where the structure is isotropic
    # (cos(2a - 2t) = cos 2a cos 2t + sin 2a sin 2t: one cos and sin of the field for all
    # directions, then single-pass cv2 arithmetic instead of numpy temporaries per direction)
    kappa = cv2.multiply(aniso, 3.0)
    c2, s2 = cv2.polarToCart(None, cv2.multiply(angle, 2.0))
    shares, total = [], None
    for k in range(directions):
        t = 2.0 * np.pi * k / directions
        w_k = cv2.exp(cv2.multiply(kappa, cv2.addWeighted(c2, np.cos(t), s2, np.sin(t), -1.0)))
        shares.append(w_k)
        total = w_k if total is None else cv2.add(total, w_k)
    # the four planes (Y, U, V, Y²) stacked one above the other, each with its own reflected
    # border, so one filter2D call per kernel filters them all
    pad = int(np.ceil(radius * max(stretch, 1.0 / stretch))) + 1
    # (each plane bordered straight into its place in the stack: no separate copies to stack)
    tall = np.empty((4 * (h + 2 * pad), w), np.float32)
    for i, q in enumerate((*yuv, cv2.multiply(luma, luma))):
        at = i * (h + 2 * pad)
        cv2.copyMakeBorder(q, pad, pad, 0, 0, cv2.BORDER_REFLECT, dst=tall[at : at + h + 2 * pad])
    rows = [slice(i * (h + 2 * pad) + pad, i * (h + 2 * pad) + pad + h) for i in range(4)]
    scale = float((255.0 * 3.0) ** 2)  # luma variance in the paper's 255-per-channel units, squared
    power = max(1, round(sharpness / 4))  # weights 1 / (1 + (s * var)^(2 * power)), q = 4 * power
    out = [np.zeros((h, w), np.float32) for _ in range(3)]
    # every intermediate goes into buffers made once (dst=): a fresh 3 MB output per filter2D
    # call, 24 per render, cost more in allocation and page faults than the filtering itself
    # (24 calls at 512 px: 9-11 ms allocating, 6.7 ms reusing one buffer); same bytes
    m = np.empty_like(tall)
    var, wgt = np.empty((h, w), np.float32), np.empty((h, w), np.float32)
    num = [np.empty((h, w), np.float32) for _ in range(3)]
    den = np.empty((h, w), np.float32)
    for k in range(directions):
        for acc in (*num, den):
            acc[:] = 0.0
        for kernel, anchor in sector_kernels(round(radius, 3), np.pi * k / directions, stretch):
            cv2.filter2D(tall, -1, kernel, dst=m, anchor=anchor, borderType=cv2.BORDER_REFLECT)
            my, mu, mv, myy = (m[r] for r in rows)
            cv2.subtract(myy, cv2.multiply(my, my, dst=var), dst=var)
            cv2.multiply(var, var, dst=var, scale=scale)
            for _ in range(power - 1):
                cv2.multiply(var, var, dst=var)
            cv2.divide(1.0, cv2.add(var, 1.0, dst=var), dst=wgt)
            for acc, mean in zip(num, (my, mu, mv), strict=True):
                cv2.accumulateProduct(mean, wgt, acc)
            cv2.add(den, wgt, dst=den)
        share = cv2.divide(shares[k], cv2.multiply(total, den, dst=var), dst=wgt)
        for acc, part in zip(out, num, strict=True):
            cv2.accumulateProduct(part, share, acc)
    bgr = cv2.transform(cv2.merge(out), _FROM_YUV)
    # in place: three fewer 2 MB temporaries, the same values
    np.multiply(bgr, np.float32(255.0), out=bgr)
    np.add(bgr, np.float32(0.5), out=bgr)
    return np.clip(bgr, 0, 255, out=bgr).astype(np.uint8)


_TO_YUV = np.array([LUMA, [0.5, -0.331, -0.169], [-0.081, -0.419, 0.5]], np.float32)  # rows: Y, U, V from B, G, R
_FROM_YUV = np.linalg.inv(_TO_YUV).astype(np.float32)


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
