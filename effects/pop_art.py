"""Pop art: a Warhol-style screen print with a few saturated inks, halftone and a 2x2 grid."""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from . import blocks
from .spec import choice, flag, number

# inks from shadow to highlight, BGR
PALETTES = {
    "warhol": [(80, 20, 30), (150, 30, 220), (0, 140, 255), (80, 230, 255), (230, 250, 255)],
    "neon": [(60, 0, 40), (255, 0, 180), (0, 255, 120), (0, 240, 255), (255, 255, 200)],
    "primary": [(20, 20, 20), (160, 40, 0), (30, 20, 220), (0, 215, 255), (250, 250, 250)],
    "retro": [(60, 40, 40), (60, 80, 200), (120, 170, 60), (130, 210, 240), (215, 240, 250)],
}

LABEL = "Pop art"
ORDER = 60
SPEC = (
    choice("palette", "Palette", "warhol", PALETTES, "The set of inks the print uses."),
    number("levels", "Tones", 4, 2, 5, 1, "How many ink tones separate the picture.", integer=True),
    flag("grid", "2x2 grid", False, "Repeat the print four times, each with its own inks."),
    flag("halftone", "Halftone", True, "Blend tones with a printed dot screen."),
    number("dot_size", "Dot size", 6, 2, 24, 0.5, "Spacing of the halftone dots, px at 1024 px."),
    number("line_width", "Outline", 1.0, 0, 6, 0.25, "Black outline thickness, px at 1024 px (0 = none)."),
)


def render(frame: blocks.Frame, p: dict, progress) -> np.ndarray:
    if not p["grid"]:
        return _print(frame, p, p["palette"])
    h, w = frame.shape
    half = frame.memo(
        ("half",), lambda: blocks.Frame.of(blocks.shrink(frame.full, max((h + 1) // 2, (w + 1) // 2)), {})
    )
    names = list(PALETTES)
    start = names.index(p["palette"])
    cells = []
    for i in range(4):
        cells.append(_print(half, p, names[(start + i) % 4]))
        progress(0.2 * (i + 1), None)
    grid = np.vstack([np.hstack(cells[:2]), np.hstack(cells[2:])])
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_AREA)


def _print(frame: blocks.Frame, p: dict, palette: str) -> np.ndarray:
    # equalised: every ink gets a fair share of the picture
    tone = frame.memo(
        ("tone", frame.work.shape),
        lambda: cv2.equalizeHist(cv2.cvtColor(blocks.smooth_colors(frame.work, 2), cv2.COLOR_BGR2GRAY)),
    )
    tone = blocks.enlarge(tone, frame.shape)
    if p["halftone"]:
        screen = _screen(frame.shape, round(frame.full_px(p["dot_size"]), 2), 200 // p["levels"])
        tone = cv2.add(cv2.subtract(tone, 100 // p["levels"]), screen)
    ink = None
    if p["line_width"] > 0:
        field = frame.memo(
            ("pop-lines", p["line_width"]),
            lambda: blocks.line_field(
                cv2.cvtColor(frame.ref, cv2.COLOR_BGR2GRAY), frame.px(p["line_width"], frame.ref), 0.55
            ),
        )
        ink = blocks.crisp(field, frame.shape)
    # one single-channel lookup per ink channel, outlines subtracted in the same pass
    channels = []
    for table in _ink_tables(palette, p["levels"]):
        channel = cv2.LUT(tone, table)
        channels.append(channel if ink is None else cv2.subtract(channel, ink, dst=channel))
    return cv2.merge(channels)


@lru_cache(maxsize=16)
def _ink_table(palette: str, levels: int) -> np.ndarray:
    inks = PALETTES[palette]
    picks = np.linspace(0, len(inks) - 1, levels).round().astype(int)
    index = np.minimum(np.arange(256) * levels // 256, levels - 1)
    return np.array([inks[picks[i]] for i in index], np.uint8).reshape(256, 1, 3)


@lru_cache(maxsize=16)
def _ink_tables(palette: str, levels: int) -> tuple[np.ndarray, ...]:
    table = _ink_table(palette, levels)
    return tuple(np.ascontiguousarray(table[:, 0, c]) for c in range(3))


@lru_cache(maxsize=4)
def _screen(shape: tuple[int, int], period: float, amplitude: int) -> np.ndarray:
    """A dot screen (uint8, 0..amplitude): the sum of two cosines is an outer product."""
    h, w = shape
    k = 2 * np.pi / max(period, 2.0)
    cy = np.cos(np.arange(h, dtype=np.float32) * k)
    cx = np.cos(np.arange(w, dtype=np.float32) * k)
    dots = (np.outer(cy, cx) + 1.0) * (amplitude / 2.0)
    out = dots.astype(np.uint8)
    out.setflags(write=False)
    return out
