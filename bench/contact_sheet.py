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


def write_thumbnails(folder: pathlib.Path) -> None:
    """The style picker's pictures: each style on the same square crop of a shared photo."""
    img = io.read_image(PHOTOS / "prairie_falcon.jpg")
    h, w = img.shape[:2]
    side = min(h, w)
    crop = img[(h - side) // 2 : (h + side) // 2, (w - side) // 2 + 60 : (w + side) // 2 + 60]
    folder.mkdir(parents=True, exist_ok=True)
    for style in effects.STYLES:
        tile = cv2.resize(effects.apply(crop, style), (160, 160), interpolation=cv2.INTER_AREA)
        io.write_image(folder / f"{style}.jpg", tile, quality=85)
    print(f"wrote {len(effects.STYLES)} thumbnails to {folder}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=str(ROOT / "docs" / "styles.png"))
    ap.add_argument("--width", type=int, default=300)
    ap.add_argument("--thumbs", help="also write one 160 px thumbnail per style into this folder")
    ap.add_argument("photos", nargs="*", default=["tanners_ridge.jpg", "prairie_falcon.jpg", "portrait.jpg"])
    args = ap.parse_args()
    if args.thumbs:
        write_thumbnails(pathlib.Path(args.thumbs))
    rows = []
    for name in args.photos:
        img = io.read_image(PHOTOS / name)
        tiles = [labelled(img, "original", args.width)]
        tiles += [labelled(effects.apply(img, s), s, args.width) for s in effects.STYLES]
        h = max(t.shape[0] for t in tiles)
        tiles = [
            cv2.copyMakeBorder(t, 0, h - t.shape[0] + 4, 0, 4, cv2.BORDER_CONSTANT, value=(255, 255, 255))
            for t in tiles
        ]
        rows.append(np.hstack(tiles))
    sheet = np.vstack(rows)
    cv2.imwrite(args.out, sheet)
    print(f"wrote {args.out} ({sheet.shape[1]}x{sheet.shape[0]})")


if __name__ == "__main__":
    main()
