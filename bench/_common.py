"""Shared by the bench scripts: where the photos are, the machine, percentiles, parameter sweeps.

The 12 MP photos live outside the repository, in ../shared/images/photos (next to the checkout):
book-beside-flowers.jpg (4032x3024, EXIF-rotated phone photo) and japanese-shop.jpg (4217x2817),
both from immich-app/test-assets (public domain). Without them the benches fall back to the
2048 px copies in tests/photos and say so: the numbers are then not 12 MP numbers.
"""

from __future__ import annotations

import os
import pathlib
import platform
import statistics
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "images" / "photos"
TEST_PHOTOS = ROOT / "tests" / "photos"
BIG = ("book-beside-flowers.jpg", "japanese-shop.jpg")


def big_photos() -> list[pathlib.Path]:
    """The 12 MP photos, or the small test copies with a warning on stderr."""
    found = [SHARED / n for n in BIG if (SHARED / n).exists()]
    if found:
        return found
    print(
        f"NOTE: 12 MP photos not found in {SHARED}; get book-beside-flowers.jpg and japanese-shop.jpg "
        "(immich-app/test-assets on GitHub, public domain) into that folder for real numbers. "
        "Falling back to the 2048 px copies in tests/photos.",
        file=sys.stderr,
    )
    return [TEST_PHOTOS / n for n in BIG]


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        load = " load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        load = ""
    return f"CPU: {model}, {cores} cores available ({os.cpu_count()} online),{load}; Python {platform.python_version()}"


def pct(values, p: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def median(values) -> float:
    return statistics.median(values) if values else float("nan")


def sweep_values(param, steps: int = 12) -> list:
    """Values a person dragging `param` from one end to the other and back would send."""
    if param.type == "bool":
        return [not param.default, param.default] * (steps // 2)
    if param.type == "choice":
        choices = list(param.choices)
        return (choices * steps)[: max(steps, len(choices))]
    n = max(2, steps // 2)
    up = [param.min + (param.max - param.min) * i / (n - 1) for i in range(n)]
    values = []
    for v in up + up[::-1]:
        v = round(round((v - param.min) / param.step) * param.step + param.min, 6)
        values.append(int(v) if param.type == "int" else float(v))
    return values
