"""Reading and writing image files safely: format sniffing, header size checks before decoding,
truncation detection, EXIF orientation, and atomic writes. numpy + OpenCV only."""

from __future__ import annotations

import os
import pathlib
import struct
import tempfile

import cv2
import numpy as np

from .blocks import MIN_SIDE, as_bgr8
from .errors import InvalidImage

FORMATS = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
EXTENSIONS = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".webp": "webp"}
DEFAULT_MAX_PIXELS = 50_000_000


def sniff(data: bytes) -> str:
    """The format of encoded image bytes from their magic number: jpeg, png or webp."""
    if not data:
        raise InvalidImage("the file is empty", "unsupported_type")
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    raise InvalidImage("the file is not a JPEG, PNG or WebP image", "unsupported_type")


def header_size(data: bytes, fmt: str | None = None) -> tuple[int, int]:
    """(width, height) read from the file header, without decoding any pixels."""
    fmt = fmt or sniff(data)
    try:
        if fmt == "png":
            if data[12:16] != b"IHDR":
                raise ValueError
            return struct.unpack(">II", data[16:24])
        if fmt == "webp":
            return _webp_size(data)
        return _jpeg_size(data)
    except (ValueError, struct.error, IndexError):
        raise InvalidImage(f"the {fmt.upper()} header is damaged or incomplete") from None


def _jpeg_size(data: bytes) -> tuple[int, int]:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            raise ValueError
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return w, h
        i += 2 + length
    raise ValueError


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8X":
        w = int.from_bytes(data[24:27], "little") + 1
        h = int.from_bytes(data[27:30], "little") + 1
        return w, h
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 ":
        w, h = struct.unpack("<HH", data[26:30])
        return w & 0x3FFF, h & 0x3FFF
    raise ValueError


def check_complete(data: bytes, fmt: str) -> None:
    """Raise InvalidImage if the file was cut short (decoders silently grey-fill the rest)."""
    if fmt == "jpeg":
        scan = data.rfind(b"\xff\xda")
        if scan < 0 or data.find(b"\xff\xd9", scan) < 0:
            raise InvalidImage("the JPEG file is truncated or corrupt (its image data ends early)")
    elif fmt == "png":
        if data.rfind(b"IEND") < 0:
            raise InvalidImage("the PNG file is truncated or corrupt (it has no end marker)")
    elif fmt == "webp":
        declared = int.from_bytes(data[4:8], "little") + 8
        if len(data) < declared:
            raise InvalidImage("the WebP file is truncated (shorter than its header says)")


def inspect(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> str:
    """Every check that needs no pixel decoding: format, header, size limits, truncation.

    Returns the format. Cheap enough for a web server's event loop; a tiny file claiming a
    huge size is refused without allocating anything.
    """
    fmt = sniff(data)
    w, h = header_size(data, fmt)
    if w < MIN_SIDE or h < MIN_SIDE:
        raise InvalidImage(f"the image is only {w}x{h} pixels; it must be at least {MIN_SIDE}x{MIN_SIDE}")
    if w * h > max_pixels:
        raise InvalidImage(
            f"the image is {w}x{h} = {w * h / 1e6:.1f} megapixels; the limit is {max_pixels / 1e6:.0f} megapixels",
            "image_too_large",
        )
    check_complete(data, fmt)
    return fmt


def decode(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode JPEG, PNG or WebP bytes to an upright BGR uint8 image, with clear errors
    (`inspect` runs first)."""
    fmt = inspect(data, max_pixels)
    # JPEGs carry EXIF orientation, which IMREAD_COLOR applies; PNG/WebP may carry alpha
    flags = cv2.IMREAD_COLOR if fmt == "jpeg" else cv2.IMREAD_UNCHANGED
    image = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if image is None:
        raise InvalidImage(f"the {fmt.upper()} file is corrupt and cannot be decoded")
    return as_bgr8(image)


def read_image(path: str | os.PathLike, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Read an image file (see `decode`)."""
    try:
        data = pathlib.Path(path).read_bytes()
    except OSError as exc:
        raise InvalidImage(f"cannot read {path}: {exc.strerror}") from None
    return decode(data, max_pixels)


def format_for(path: str | os.PathLike) -> str:
    """The output format implied by a file name's extension."""
    ext = pathlib.Path(path).suffix.lower()
    if ext not in EXTENSIONS:
        raise InvalidImage(f"cannot write {ext or 'files without an extension'}: use .jpg, .png or .webp")
    return EXTENSIONS[ext]


def encode(image: np.ndarray, fmt: str = "jpeg", quality: int = 85) -> bytes:
    """Encode a BGR image as JPEG, PNG or WebP bytes."""
    ext, opts = {
        "jpeg": (".jpg", [cv2.IMWRITE_JPEG_QUALITY, quality]),
        "webp": (".webp", [cv2.IMWRITE_WEBP_QUALITY, quality]),
        "png": (".png", [cv2.IMWRITE_PNG_COMPRESSION, 3]),
    }[fmt]
    ok, buf = cv2.imencode(ext, image, opts)
    if not ok:
        raise InvalidImage(f"could not encode the image as {fmt}")
    return buf.tobytes()


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write bytes so readers see either no file or the whole file, never half of one."""
    path = pathlib.Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_image(path: str | os.PathLike, image: np.ndarray, quality: int = 85) -> None:
    """Encode `image` by the file's extension and write it atomically."""
    write_atomic(path, encode(image, format_for(path), quality))
