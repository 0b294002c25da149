"""Write docs/styles.jpg: every style on four kinds of photo, plus full-size crops of the painted styles.

    python bench/contact_sheet.py [--out docs/styles.jpg] [--width 220]

Rows: a face (portrait.jpg), a landscape (tanners_ridge.jpg), a street (japanese-shop.jpg) and
an animal (prairie_falcon.jpg), read from tests/photos so the sheet needs nothing outside the
repository; columns: the original, then every style in `effects.STYLES` (new styles appear
by themselves). A last row shows the oil painting and the watercolor of the 12 MP
book-beside-flowers.jpg (../shared/images/photos; the largest test photo when absent) whole
and as a 1:1 crop of the full-size render, where brush hairs, canvas, granulation and paper
are visible. (The style picker's thumbnails are rendered by the service itself: app/web/thumbs.py.)
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

TESTS = ROOT / "tests" / "photos"
SHARED = ROOT.parent / "shared" / "images" / "photos"
ROWS = ["portrait.jpg", "tanners_ridge.jpg", "japanese-shop.jpg", "prairie_falcon.jpg"]
CROPPED = ("oil_painting", "watercolor")
WHITE = (255, 255, 255)


def labelled(image: np.ndarray, text: str, width: int | None = None, height: int | None = None) -> np.ndarray:
    """`image` resized to `width` (or `height`) with a caption bar."""
    h, w = image.shape[:2]
    if width is None:
        width = round(w * height / h) if height is not None else w
    size = (width, height if height is not None else round(h * width / w))
    tile = cv2.resize(image, size, interpolation=cv2.INTER_AREA) if size != (w, h) else image.copy()
    cv2.rectangle(tile, (0, 0), (tile.shape[1], 20), (30, 30, 30), -1)
    cv2.putText(tile, text, (6, 15), cv2.FONT_HERSHEY_SIMPLEX, 0.45, WHITE, 1, cv2.LINE_AA)
    return tile


def pad_row(tiles: list[np.ndarray], width: int) -> np.ndarray:
    h = max(t.shape[0] for t in tiles)
    tiles = [cv2.copyMakeBorder(t, 0, h - t.shape[0] + 4, 0, 4, cv2.BORDER_CONSTANT, value=WHITE) for t in tiles]
    row = np.hstack(tiles)
    return cv2.copyMakeBorder(row, 0, 0, 0, max(0, width - row.shape[1]), cv2.BORDER_CONSTANT, value=WHITE)


def style_rows(width: int) -> list[np.ndarray]:
    rows = []
    for name in ROWS:
        img = io.read_image(TESTS / name)
        tiles = [labelled(img, "Original", width)]
        tiles += [labelled(effects.apply(img, s), effects.label(s), width) for s in effects.STYLES]
        rows.append(tiles)
        print(f"  {name}: {len(tiles) - 1} styles")
    full = max(sum(t.shape[1] + 4 for t in tiles) for tiles in rows)
    return [pad_row(tiles, full) for tiles in rows]


def crop_row(height: int, sheet_width: int) -> np.ndarray:
    """Whole picture and a 1:1 crop of its full-size render, for the original and the painted styles."""
    big = SHARED / "book-beside-flowers.jpg"
    if not big.exists():
        big = max(TESTS.glob("*.jpg"), key=lambda p: np.prod(cv2.imread(str(p)).shape[:2]))
    img = io.read_image(big)
    h, w = img.shape[:2]
    side = height
    cy, cx = int(h * 0.36), int(w * 0.42)  # flowers over the page: fine detail and flat paper
    box = np.s_[cy - side // 2 : cy + side // 2, cx - side * 3 // 4 : cx + side * 3 // 4]
    tiles = []
    for style in (None, *CROPPED):
        out = img if style is None else effects.apply(img, style)
        name = "Original" if style is None else effects.label(style)
        whole = labelled(out, f"{name}, {w}x{h}", height=height)
        cv2.rectangle(whole, *_box_in(whole, box, (h, w)), (0, 0, 255), 2)
        tiles += [whole, labelled(out[box], f"{name}, 1:1 crop")]
        print(f"  crop: {name}")
    return pad_row(tiles, sheet_width)


def _box_in(tile: np.ndarray, box: tuple[slice, slice], shape: tuple[int, int]) -> tuple[tuple[int, int], ...]:
    f = tile.shape[0] / shape[0]
    ys, xs = box
    return (round(xs.start * f), round(ys.start * f)), (round(xs.stop * f), round(ys.stop * f))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "docs" / "styles.jpg"))
    ap.add_argument("--width", type=int, default=220, help="tile width in px")
    ap.add_argument("--quality", type=int, default=85, help="JPEG quality")
    args = ap.parse_args()
    rows = style_rows(args.width)
    rows.append(crop_row(300, rows[0].shape[1]))
    sheet = np.vstack(rows)
    cv2.imwrite(args.out, sheet, [cv2.IMWRITE_JPEG_QUALITY, args.quality, cv2.IMWRITE_JPEG_OPTIMIZE, 1])
    kb = pathlib.Path(args.out).stat().st_size // 1024
    print(f"wrote {args.out} ({sheet.shape[1]}x{sheet.shape[0]}, {kb} KB)")


if __name__ == "__main__":
    main()
