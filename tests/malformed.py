"""A corpus of malformed and unusual images, made in code (or kept under tests/photos/odd/), each
with the answer the service must give. Used by the upload tests and by the API fuzzer."""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np

from tests.imaging import PHOTOS


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width: int, height: int, raw: bytes, depth: int = 8, bad_crc: bool = False) -> bytes:
    """A grayscale PNG written by hand: any header, any (compressed) pixel bytes."""
    ihdr = _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, 0, 0, 0, 0))
    idat = _chunk(b"IDAT", zlib.compress(raw, 9))
    if bad_crc:
        idat = idat[:-4] + bytes(4)
    return b"\x89PNG\r\n\x1a\n" + ihdr + idat + _chunk(b"IEND", b"")


MVG = b"push graphic-context\nviewbox 0 0 640 480\npop graphic-context\n"
SVG = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"


def refused() -> dict[str, tuple[bytes, int, str]]:
    """name -> (bytes, HTTP status, error code)."""
    jpeg = (PHOTOS / "prairie_falcon.jpg").read_bytes()
    rows = b"".join(b"\x00" + bytes(range(8)) for _ in range(8))
    sof = jpeg.index(b"\xff\xc0")
    webp = (PHOTOS / "denali.webp").read_bytes()
    return {
        "truncated.jpg": (jpeg[: len(jpeg) // 2], 422, "invalid_image"),
        "bad-crc.png": (png(8, 8, rows, bad_crc=True), 422, "invalid_image"),
        "huge-header.png": (png(100_000, 100_000, b""), 413, "image_too_large"),
        # 400 megapixels of zeros in 50 KB: refused from the header, never decoded
        "bomb.png": (png(20_000, 20_000, bytes((1 + 2500) * 20_000), depth=1), 413, "image_too_large"),
        "huge-header.jpg": (
            jpeg[: sof + 5] + struct.pack(">HH", 60000, 60000) + jpeg[sof + 9 :],
            413,
            "image_too_large",
        ),
        "zero-size.png": (png(0, 0, b""), 422, "invalid_image"),
        "garbage-after-magic.jpg": (b"\xff\xd8\xff" + bytes(range(256)) * 40, 422, "invalid_image"),
        # ImageMagick's MVG script language named .png: never handed to any decoder
        "mvg-polyglot.png": (MVG, 415, "unsupported_type"),
        "svg.jpg": (SVG, 415, "unsupported_type"),
        "wrong-riff-length.webp": (webp[:4] + struct.pack("<I", len(webp) * 4) + webp[8:], 422, "invalid_image"),
        "empty.jpg": (b"", 422, "empty_file"),
    }


def accepted() -> dict[str, bytes]:
    """Unusual but valid images: each must render."""
    rows = b"".join(b"\x00" + bytes(range(8)) for _ in range(8))
    sixteen = (np.random.default_rng(1).random((64, 64, 3)) * 65535).astype(np.uint16)
    odd = {p.name: p.read_bytes() for p in sorted((PHOTOS / "odd").iterdir()) if p.suffix != ".md"}
    return {
        "png-with-zip-appended.png": png(8, 8, rows) + b"PK\x03\x04" + bytes(100),
        "sixteen-bit.png": cv2.imencode(".png", sixteen)[1].tobytes(),
        **odd,
    }
