"""Write docs/styles.png: every style on two photos (plus the originals), labelled.

    python bench/contact_sheet.py [--out docs/styles.png] [--width 360]
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import cv2
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import effects  # noqa: E402
from effects import io  # noqa: E402

PHOTOS = ROOT.parent / "shared" / "images" / "photos"


def labelled(image: np.ndarray, text: str, width: int) -> np.ndarray:
    h = round(image.shape[0] * width / image.shape[1])
    tile = cv2.resize(image, (width, h), interpolation=cv2.INTER_AREA)
    cv2.rectangle(tile, (0, 0), (width, 26), (30, 30, 30), -1)
    cv2.putText(tile, text, (8, 19), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1, cv2.LINE_AA)
    return tile


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=str(ROOT / "docs" / "styles.png"))
    ap.add_argument("--width", type=int, default=300)
    ap.add_argument("photos", nargs="*", default=["portrait.jpg", "japanese-shop.jpg"])
    args = ap.parse_args()
    rows = []
    for name in args.photos:
        img = io.read_image(PHOTOS / name)
        tiles = [labelled(img, "original", args.width)]
        tiles += [labelled(effects.apply(img, s), s, args.width) for s in effects.STYLES]
        h = max(t.shape[0] for t in tiles)
        tiles = [cv2.copyMakeBorder(t, 0, h - t.shape[0] + 4, 0, 4, cv2.BORDER_CONSTANT, value=(255, 255, 255)) for t in tiles]
        rows.append(np.hstack(tiles))
    sheet = np.vstack(rows)
    cv2.imwrite(args.out, sheet)
    print(f"wrote {args.out} ({sheet.shape[1]}x{sheet.shape[0]})")


if __name__ == "__main__":
    main()
