"""Toonify effects: photo-to-cartoon styles as pure functions over numpy images.

    >>> import cv2, effects
    >>> img = cv2.imread("photo.jpg")
    >>> out = effects.apply(img, "cartoon", {"colors": 10, "line_width": 2})

Images are BGR uint8 HxWx3 (grayscale, BGRA and 16-bit inputs are converted). Parameter
lengths are in pixels at a 1024 px longest side, so a preview on a small copy looks like the
full-size result scaled down. This package imports only numpy, OpenCV and msgspec.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import blocks
from .errors import EffectsError, InvalidImage, InvalidParams, UnknownStyle
from .registry import Progress, StyleModule, discover
from .spec import Param, resolve

# every module of this package that declares a style (effects/registry.py says how)
_MODULES: dict[str, StyleModule] = discover()

STYLES: tuple[str, ...] = tuple(_MODULES)

__all__ = [
    "STYLES",
    "EffectsError",
    "InvalidImage",
    "InvalidParams",
    "Param",
    "StyleModule",
    "UnknownStyle",
    "apply",
    "defaults",
    "label",
    "params",
    "style_name",
    "validate",
]


def style_name(style: str) -> str:
    """Normalise a style name: `cartoon`, `CARTOON` and `Cartoon` all give `cartoon`."""
    name = style.strip().lower() if isinstance(style, str) else None
    if name not in _MODULES:
        raise UnknownStyle(f"unknown style {style!r}; choose one of {', '.join(STYLES)}")
    return name


def label(style: str) -> str:
    """The name people read: `label("color_pencil")` is "Color pencil"."""
    return _MODULES[style_name(style)].LABEL


def params(style: str) -> tuple[Param, ...]:
    """The parameter spec of `style`: name, label, type, default, min, max, step, help."""
    return _MODULES[style_name(style)].SPEC


def defaults(style: str) -> dict[str, Any]:
    """The default value of every parameter of `style`."""
    return {p.name: p.default for p in params(style)}


def validate(style: str, values: dict[str, Any] | None) -> dict[str, Any]:
    """Full, validated parameters for `style`: defaults overlaid with `values`.

    Raises UnknownStyle or InvalidParams (naming the parameter, value and allowed range).
    """
    name = style_name(style)
    return resolve(params(name), values, name)


def apply(
    image: np.ndarray,
    style: str,
    params: dict[str, Any] | None = None,
    progress: Progress | None = None,
    cache: dict | None = None,
) -> np.ndarray:
    """Render `image` in `style`.

    Parameters
    ----------
    image : ndarray, HxW, HxWx1, HxWx3 (BGR) or HxWx4 (BGRA); uint8, uint16 or float in 0..1
    style : one of STYLES (case-insensitive)
    params : parameter values; missing ones take their defaults
    progress : optional callback ``progress(fraction, partial)`` called as stages finish;
        `partial` is an intermediate BGR picture (possibly smaller) or None
    cache : optional dict kept by the caller between renders of the same image; reuses
        intermediate layers (smoothing, palettes, paint) whose parameters did not change.
        Use one dict per source image. For a stream of frames (a live camera), give each
        frame a new dict holding `"stable"`: one dict kept for the whole stream, in which
        palettes and line thresholds carry over from frame to frame and change slowly.

    Returns
    -------
    ndarray, HxWx3 uint8 BGR, same height and width as `image`; the input is never modified
    and the same input and params always give the same bytes.
    """
    values = validate(style, params)
    frame = blocks.Frame.of(blocks.as_bgr8(image), cache)
    report = progress or _ignore
    stable = cache.get("stable") if cache is not None else None
    if stable is not None:
        stable["_calls"] = {}  # palettes and cuts are matched by their order within a render
    token = blocks.STABLE.set(stable)
    try:
        out = _MODULES[style_name(style)].render(frame, values, report)
    finally:
        blocks.STABLE.reset(token)
    report(1.0, None)
    return out


def _ignore(fraction: float, partial: np.ndarray | None) -> None:
    pass
