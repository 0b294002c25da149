"""Image metrics and fixtures shared by the tests."""

from __future__ import annotations

import pathlib

import cv2
import numpy as np

# The tests carry their own photos (tests/photos/README.md gives their sources and licences).
PHOTOS = pathlib.Path(__file__).resolve().parent / "photos"


def photo(name: str) -> pathlib.Path:
    """Path of a test photo committed under tests/photos."""
    path = PHOTOS / name
    assert path.exists(), f"test photo {path} is missing"
    return path


def to_side(image: np.ndarray, side: int) -> np.ndarray:
    h, w = image.shape[:2]
    f = side / max(h, w)
    return cv2.resize(image, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean structural similarity (Wang et al. 2004) of two images on their luminance."""
    if a.ndim == 3:
        a = cv2.cvtColor(a, cv2.COLOR_BGR2GRAY)
    if b.ndim == 3:
        b = cv2.cvtColor(b, cv2.COLOR_BGR2GRAY)
    x, y = a.astype(np.float64), b.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    blur = lambda z: cv2.GaussianBlur(z, (11, 11), 1.5)  # noqa: E731
    mx, my = blur(x), blur(y)
    sxx, syy, sxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    num = (2 * mx * my + c1) * (2 * sxy + c2)
    den = (mx * mx + my * my + c1) * (sxx + syy + c2)
    return float((num / den).mean())


def sharpness(image: np.ndarray) -> float:
    """Variance of the Laplacian: high-frequency energy."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())
