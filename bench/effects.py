"""Per-style costs on one core: 12 MP renders, peak memory, and every control at 1024 px.

    python bench/effects.py [--repeat 3] [--steps 12] [--photo NAME] [--baseline]

For each 12 MP photo (../shared/images/photos, see bench/_common.py):
- decode times: full JPEG decode, and the DCT-scaled decode the live preview uses for its source;
- per style in effects.STYLES: median render time at 12 MP (one core) and as a multiple of the
  decode time, what a whole job costs in the worker (decode + render + JPEG encode + small
  copies), and the peak memory of one 12 MP render (numpy/OpenCV arrays traced with tracemalloc)
  as a multiple of the decoded image;
- per control of every style (effects.params), the 1024 px preview cost when only that control
  moves (render with the session's layer cache + JPEG encode, what a preview worker does), over
  a sweep from one end of the slider to the other and back.

Goals (issue 13) are printed beside the numbers; the bench never passes or fails.
`--baseline` also times the original design's three OpenCV pipelines for reference.
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
from app.render import work  # noqa: E402
from bench._common import big_photos, machine, pct, sweep_values  # noqa: E402
from effects import blocks, io  # noqa: E402

GOAL_X_DECODE = 1.5
GOAL_MEMORY = 4.0
GOAL_CONTROL_MS = 33.0  # request to frame; the render is only part of it


def seed_cartoon(img):
    color = cv2.bilateralFilter(img, 9, 200, 200)
    gray = cv2.medianBlur(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), 7)
    edges = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 9, 9)
    return cv2.bitwise_and(color, color, mask=edges)


# the original design's pipelines (not styles of this library): printed for reference only
SEED_PIPELINES = (
    ("seed cartoon: bilateral + adaptive threshold", seed_cartoon),
    ("seed oil: cv2.stylization", lambda img: cv2.stylization(img, sigma_s=60, sigma_r=0.6)),
    (
        "seed watercolor: cv2.edgePreservingFilter",
        lambda img: cv2.edgePreservingFilter(img, flags=cv2.RECURS_FILTER, sigma_s=60, sigma_r=0.4),
    ),
)


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


def job_cost(data: bytes, style: str, max_dimension: int = 4096) -> None:
    """What a job worker does with an upload, minus the file writes."""
    fit = getattr(work, "_fit", blocks.shrink)  # (older checkouts had no _fit)
    image = fit(io.decode(data), max_dimension)
    out = effects.apply(image, style)
    io.encode(out, "jpeg", 85)
    small = blocks.shrink(out, 1024)
    io.encode(small, "jpeg", 85)
    io.encode(blocks.shrink(small, 360), "jpeg", 80)


def control_costs(small: np.ndarray, steps: int) -> None:
    """1024 px: render (with the layer cache a preview worker keeps) + JPEG encode, one control moving."""
    h, w = small.shape[:2]
    print(f"\n1024 px preview ({w}x{h}), one control moving, render with layer cache + JPEG q80, ms")
    print(f"(the whole request->frame goal is {GOAL_CONTROL_MS:.0f} ms p95; transport and queueing come on top)")
    print(f"{'style':<14}{'control':<16}{'cold':>7}{'p50':>7}{'p95':>7}{'max':>7}")
    for style in effects.STYLES:
        cold = timed(lambda style=style: io.encode(effects.apply(small, style), "jpeg", 80), 3)
        for param in effects.params(style):
            cache: dict = {}
            effects.apply(small, style, cache=cache)
            times = []
            for value in sweep_values(param, steps):
                t = time.perf_counter()
                io.encode(effects.apply(small, style, {param.name: value}, cache=cache), "jpeg", 80)
                times.append((time.perf_counter() - t) * 1000)
            print(
                f"{style:<14}{param.name:<16}{cold:7.1f}{statistics.median(times):7.1f}{pct(times, 95):7.1f}"
                f"{max(times):7.1f}"
            )
            cold = float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--steps", type=int, default=12, help="values per control sweep")
    ap.add_argument("--photo", help="only this photo (a file name in the photos folder)")
    ap.add_argument("--baseline", action="store_true", help="also time the original design's pipelines")
    ap.add_argument("--skip-controls", action="store_true")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    print(machine() + "; OpenCV threads: 1")
    for path in big_photos():
        if args.photo and path.name != args.photo:
            continue
        data = path.read_bytes()
        img = io.decode(data)
        decode_ms = timed(lambda data=data: io.decode(data), max(3, args.repeat))
        if hasattr(io, "decode_reduced"):
            reduced_ms = timed(lambda data=data: io.decode_reduced(data, 1024), max(3, args.repeat))
        else:  # older checkouts decoded the full picture and shrank it
            reduced_ms = timed(lambda data=data: blocks.shrink(io.decode(data), 1024), max(3, args.repeat))
        small = blocks.shrink(img, 1024)
        print(
            f"\n{path.name}: {img.shape[1]}x{img.shape[0]}, decode {decode_ms:.0f} ms; preview source "
            f"(DCT-scaled decode to 1024 px) {reduced_ms:.0f} ms"
        )
        print(
            f"goals: 12 MP render <= {GOAL_X_DECODE}x decode = {GOAL_X_DECODE * decode_ms:.0f} ms, "
            f"peak memory <= {GOAL_MEMORY:.0f}x the decoded image ({img.nbytes / 2**20:.0f} MiB)"
        )
        print("(decode and render timed alternately per style, so both see the same machine load)")
        print(f"{'style':<14}{'12MP ms':>9}{'decode ms':>11}{'x decode':>10}{'job ms':>8}{'peak mem':>10}")
        for style in effects.STYLES:
            effects.apply(img, style)  # warm caches (textures, screens) as a running worker has them
            renders, decodes = [], []
            for _ in range(args.repeat):
                decodes.append(timed(lambda data=data: io.decode(data), 1))
                renders.append(timed(lambda style=style, img=img: effects.apply(img, style), 1))
            full, dec = statistics.median(renders), statistics.median(decodes)
            job = timed(lambda style=style, data=data: job_cost(data, style), max(1, args.repeat - 1))
            mem = peak_ratio(img, style)
            print(f"{style:<14}{full:>9.0f}{dec:>11.0f}{full / dec:>10.2f}{job:>8.0f}{mem:>9.1f}x")
        if args.baseline:
            for label, fn in SEED_PIPELINES:
                print(f"{label:<46}{timed(lambda fn=fn, img=img: fn(img), 1):>8.0f} ms")
        if not args.skip_controls:
            control_costs(small, args.steps)


if __name__ == "__main__":
    main()
