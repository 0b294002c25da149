"""Per-style render times on one core, beside the original design's pipelines.

    python bench/effects.py [--repeat 3] [--baseline/--no-baseline]

Prints, for each 12 MP photo in ../shared/images/photos: the JPEG decode time, then per style
the median time at 12 MP, at 1024 px (render + JPEG encode), the seed's baseline at 12 MP
and the speed-up, and the peak extra memory of one 12 MP render as a multiple of the decoded
image size (numpy/OpenCV allocations traced with tracemalloc).
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time
import tracemalloc

import cv2
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import effects  # noqa: E402
from effects import blocks, io  # noqa: E402

PHOTOS = ROOT.parent / "shared" / "images" / "photos"


def seed_cartoon(img):
    color = cv2.bilateralFilter(img, 9, 200, 200)
    gray = cv2.medianBlur(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), 7)
    edges = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 9, 9)
    return cv2.bitwise_and(color, color, mask=edges)


BASELINES = {
    "cartoon": seed_cartoon,
    "oil_painting": lambda img: cv2.stylization(img, sigma_s=60, sigma_r=0.6),
    "watercolor": lambda img: cv2.edgePreservingFilter(img, flags=cv2.RECURS_FILTER, sigma_s=60, sigma_r=0.4),
}


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def peak_ratio(img: np.ndarray, style: str) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    effects.apply(img, style)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / img.nbytes


# a slider that does not feed the cached layers, per style (what a person drags most)
SLIDERS = {
    "cartoon": ("line_width", 1.0, 3.0),
    "sketch": ("darkness", 1.0, 2.5),
    "color_pencil": ("coverage", 0.4, 0.9),
    "oil_painting": ("relief", 0.2, 0.9),
    "watercolor": ("wet_edges", 0.2, 0.9),
    "pop_art": ("dot_size", 4, 12),
}


def slider_costs(small: np.ndarray, repeat: int) -> None:
    """1024 px render time from scratch vs. with the session's layer cache, moving one slider."""
    print(
        f"\n1024 px: full render vs. a slider move with the layer cache ({'/'.join(str(x) for x in small.shape[:2])})"
    )
    for style in effects.STYLES:
        name, a, b = SLIDERS[style]
        cold = timed(lambda: effects.apply(small, style, {name: a}), max(5, repeat))
        cache: dict = {}
        effects.apply(small, style, {name: a}, cache=cache)
        values = iter([a, b] * 50)
        warm = timed(lambda: effects.apply(small, style, {name: next(values)}, cache=cache), max(5, repeat))
        print(f"{style:<14}{cold:>8.1f} ms -> {warm:5.1f} ms moving {name}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-baseline", action="store_true", help="skip the slow seed pipelines")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    for path in sorted(PHOTOS.glob("*.jpg")):
        data = path.read_bytes()
        img = io.decode(data)
        if img.shape[0] * img.shape[1] < 10_000_000:
            continue
        decode_ms = timed(lambda: io.decode(data), args.repeat)
        small = blocks.shrink(img, 1024)
        print(
            f"\n{path.name}: {img.shape[1]}x{img.shape[0]}, decode {decode_ms:.0f} ms (budget 2x = {2 * decode_ms:.0f} ms)"
        )
        print(
            f"{'style':<14}{'12MP ms':>9}{'x decode':>10}{'1024px ms':>11}{'seed ms':>9}{'speed-up':>10}{'peak mem':>10}"
        )
        for style in effects.STYLES:
            effects.apply(img, style)  # warm caches (textures, screens) as a running worker has them
            full = timed(lambda: effects.apply(img, style), args.repeat)
            prev = timed(lambda: io.encode(effects.apply(small, style), "jpeg", 85), max(5, args.repeat))
            seed = speed = ""
            if style in BASELINES and not args.no_baseline:
                base = timed(lambda: BASELINES[style](img), 1)
                seed, speed = f"{base:.0f}", f"{base / full:.1f}x"
            mem = peak_ratio(img, style)
            print(f"{style:<14}{full:>9.0f}{full / decode_ms:>10.2f}{prev:>11.1f}{seed:>9}{speed:>10}{mem:>9.1f}x")
        slider_costs(small, args.repeat)


if __name__ == "__main__":
    main()
