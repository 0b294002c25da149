"""Reading and writing image files safely: format sniffing, header size checks before decoding,
truncation detection, EXIF orientation, and atomic writes. numpy + OpenCV only."""

from __future__ import annotations

import os
import pathlib
import struct
import tempfile
import zlib

import cv2
import numpy as np

from . import blocks
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


def _check_jpeg_segments(data: bytes) -> None:
    """Walk the JPEG's marker segments up to the first scan and check the ones a decoder relies on
    (frame and scan headers), so a damaged header is refused without decoding any pixels."""
    i, frame = 2, False
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise InvalidImage("the JPEG file is corrupt (a header segment is damaged)")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # segments without a length
            i += 2
            continue
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        body = data[i + 4 : i + 2 + length]
        if length < 2 or len(body) != length - 2:
            raise InvalidImage("the JPEG file is corrupt (a header segment has a wrong length)")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if length < 8 or body[5] not in (1, 3, 4) or length != 8 + 3 * body[5]:
                raise InvalidImage("the JPEG file is corrupt (its frame header is damaged)")
            frame = True
        elif marker == 0xDA:  # the first scan: entropy-coded data follows
            if not frame or length < 6 or not 1 <= body[0] <= 4 or length != 6 + 2 * body[0]:
                raise InvalidImage("the JPEG file is corrupt (its scan header is damaged)")
            return
        i += 2 + length
    raise InvalidImage("the JPEG file is corrupt (it has no image data)")


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
    if fmt == "jpeg":
        _check_jpeg_segments(data)
    elif fmt == "png":
        _check_png_chunks(data)
    return fmt


def _check_png_chunks(data: bytes) -> None:
    """Walk the PNG's chunks up to IEND and check each CRC (zlib's crc32 runs at GB/s): a
    damaged PNG is refused here, at upload, instead of failing later in its job."""
    i = 8
    while i + 12 <= len(data):
        length = struct.unpack(">I", data[i : i + 4])[0]
        kind = data[i + 4 : i + 8]
        end = i + 8 + length
        if end + 4 > len(data):
            raise InvalidImage("the PNG file is truncated or corrupt (a chunk runs past its end)")
        if zlib.crc32(data[i + 4 : end]) & 0xFFFFFFFF != struct.unpack(">I", data[end : end + 4])[0]:
            raise InvalidImage(f"the PNG file is corrupt (its {kind.decode('latin-1')!r} chunk fails its checksum)")
        if kind == b"IEND":
            return
        i = end + 4
    raise InvalidImage("the PNG file is truncated or corrupt (it has no end marker)")


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


def exif_orientation(data: bytes) -> int:
    """The EXIF orientation (1-8) of JPEG bytes; 1 (upright) when there is none or it is unreadable."""
    i = 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker in (0xDA, 0xD9):  # image data: no EXIF after this point
            break
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker == 0xE1 and data[i + 4 : i + 10] == b"Exif\0\0":
            return _tiff_orientation(data[i + 10 : i + 2 + length])
        i += 2 + length
    return 1


def _tiff_orientation(tiff: bytes) -> int:
    try:
        order = {b"II": "<", b"MM": ">"}[tiff[:2]]
        (ifd,) = struct.unpack(order + "I", tiff[4:8])
        (count,) = struct.unpack(order + "H", tiff[ifd : ifd + 2])
        for k in range(count):
            entry = tiff[ifd + 2 + 12 * k : ifd + 14 + 12 * k]
            tag, kind = struct.unpack(order + "HH", entry[:4])
            if tag == 0x0112 and kind == 3:  # Orientation, SHORT
                (value,) = struct.unpack(order + "H", entry[8:10])
                return value if 1 <= value <= 8 else 1
    except (KeyError, struct.error):
        pass
    return 1


def orient(image: np.ndarray, orientation: int) -> np.ndarray:
    """Turn an image stored with EXIF `orientation` upright (what IMREAD_COLOR does for JPEGs)."""
    if orientation in (2, 3, 4):
        return cv2.flip(image, {2: 1, 3: -1, 4: 0}[orientation])
    if orientation == 5:
        return cv2.transpose(image)
    if orientation == 6:
        return cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
    if orientation == 7:
        return cv2.flip(cv2.transpose(image), -1)
    if orientation == 8:
        return cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
    return image


def upright_size(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[int, int]:
    """(width, height) of the picture as `decode` returns it, from the headers alone (`inspect` runs
    first): JPEG orientations 5-8 swap the stored sides."""
    return oriented_size(data, inspect(data, max_pixels))


def oriented_size(data: bytes, fmt: str) -> tuple[int, int]:
    """`upright_size` for bytes already inspected as `fmt` (no second pass over the file)."""
    w, h = header_size(data, fmt)
    if fmt == "jpeg" and exif_orientation(data) >= 5:
        return h, w
    return w, h


_REDUCED = {2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4, 8: cv2.IMREAD_REDUCED_COLOR_8}


def decode_reduced(data: bytes, side: int, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[np.ndarray, tuple[int, int]]:
    """Decode to an upright image whose longest side is at most `side`, cheaply.

    JPEGs are decoded with libjpeg's DCT scaling (1/2, 1/4 or 1/8: the largest factor that still
    leaves at least `side` px), so a 12 MP photo never exists at full size; what is left (less
    than 2x) is a bilinear resize. EXIF orientation is applied here, from the file's own EXIF, whatever the OpenCV
    version does for reduced reads. Returns (image, (full width, full height) upright).
    """
    fmt = inspect(data, max_pixels)
    w, h = header_size(data, fmt)
    longest = max(w, h)
    if fmt != "jpeg" or longest < 2 * side:
        image = decode(data, max_pixels)
        return blocks.shrink(image, side), (image.shape[1], image.shape[0])
    scale = max(k for k in _REDUCED if -(-longest // k) >= side)
    raw = cv2.imdecode(np.frombuffer(data, np.uint8), _REDUCED[scale] | cv2.IMREAD_IGNORE_ORIENTATION)
    if raw is None:
        raise InvalidImage("the JPEG file is corrupt and cannot be decoded")
    orientation = exif_orientation(data)
    image = orient(as_bgr8(raw), orientation)
    full = (h, w) if orientation >= 5 else (w, h)
    # the size a downscale of the full decode would have, to the pixel
    f = side / longest
    size = (max(1, round(full[0] * f)), max(1, round(full[1] * f)))
    if max(image.shape[:2]) >= 2 * side:  # beyond what 1/8 scaling reaches (over 16k px)
        image = blocks.shrink(image, side)
    if (image.shape[1], image.shape[0]) != size:
        # what is left is a factor below 2, where bilinear samples average 2x2 pixels like an
        # area filter does, at a tenth of its cost
        image = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
    return image, full


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
