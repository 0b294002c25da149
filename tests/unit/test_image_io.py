"""File handling: sniffing, header sizes, truncation, EXIF orientation, atomic writes, the CLI."""

from __future__ import annotations

import struct

import numpy as np
import pytest

import effects
from app.cli import main
from effects import io
from tests.imaging import PHOTOS, photo


def test_header_sizes_match_decoded_sizes():
    for name in ["prairie_falcon.jpg", "denali.webp", "density_plot.png", "japanese-shop.jpg"]:
        data = photo(name).read_bytes()
        w, h = io.header_size(data)
        img = io.decode(data)
        assert (w, h) == (img.shape[1], img.shape[0]), name


@pytest.mark.parametrize("n", range(9))
def test_every_exif_orientation_comes_out_upright(n):
    ref = io.read_image(PHOTOS / "exif-orientation" / "Landscape_1.jpg").astype(np.int16)
    img = io.read_image(PHOTOS / "exif-orientation" / f"Landscape_{n}.jpg")
    assert img.shape == (400, 600, 3)
    assert np.abs(img.astype(np.int16) - ref).mean() < 8


def test_portrait_orientation_6_is_upright():
    upright = io.read_image(photo("portrait.jpg")).astype(np.int16)
    img = io.read_image(photo("portrait-orientation-6.jpg"))
    assert img.shape == upright.shape
    assert np.abs(img - upright).mean() < 8


@pytest.mark.parametrize("name", ["prairie_falcon.jpg", "density_plot.png", "denali.webp"])
def test_truncated_files_are_refused(name):
    data = photo(name).read_bytes()
    with pytest.raises(effects.InvalidImage, match="truncated"):
        io.decode(data[: len(data) * 2 // 3])


def test_garbage_is_not_an_image():
    with pytest.raises(effects.InvalidImage, match="not a JPEG, PNG or WebP"):
        io.decode(b"GIF89a" + bytes(100))
    with pytest.raises(effects.InvalidImage, match="empty"):
        io.decode(b"")


def test_huge_claimed_size_is_refused_from_the_header_without_decoding(monkeypatch):
    png = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", 50000, 50000) + bytes(200)

    def no_decoding(*args, **kwargs):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(io.cv2, "imdecode", no_decoding)
    with pytest.raises(effects.InvalidImage, match="megapixels") as info:
        io.decode(png, max_pixels=40_000_000)
    assert info.value.code == "image_too_large"


def test_jpeg_header_claiming_huge_size_is_refused():
    data = bytearray(photo("prairie_falcon.jpg").read_bytes())
    w, h = io.header_size(bytes(data))
    i = bytes(data).find(struct.pack(">HH", h, w))
    data[i : i + 4] = struct.pack(">HH", 60000, 60000)
    with pytest.raises(effects.InvalidImage, match="megapixels"):
        io.decode(bytes(data))


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path):
    img = io.read_image(photo("denali.webp"))
    for ext in ("jpg", "png", "webp"):
        io.write_image(tmp_path / f"out.{ext}", img)
        assert io.decode((tmp_path / f"out.{ext}").read_bytes()).shape == img.shape
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jpg", "out.png", "out.webp"]


@pytest.mark.parametrize("style", effects.STYLES)
def test_cli_apply_writes_the_styled_file(style, tmp_path, capsys):
    out = tmp_path / "out.webp"
    assert main(["apply", str(photo("portrait-orientation-6.jpg")), str(out), "--style", style.upper()]) == 0
    assert io.read_image(out).shape[:2] == io.read_image(photo("portrait.jpg")).shape[:2]


def test_cli_params_and_errors(tmp_path, capsys):
    src = str(photo("denali.webp"))
    assert (
        main(
            [
                "apply",
                src,
                str(tmp_path / "a.png"),
                "--style",
                "pop_art",
                "--param",
                "palette=neon",
                "--param",
                "grid=true",
            ]
        )
        == 0
    )
    assert main(["apply", src, str(tmp_path / "b.png"), "--param", "colors=99"]) == 2
    assert "colors=99" in capsys.readouterr().err
    assert main(["apply", str(PHOTOS / "README.md"), str(tmp_path / "c.png")]) == 2
    assert main(["apply", src, str(tmp_path / "d.gif")]) == 2
    assert main(["apply", str(tmp_path / "missing.jpg"), str(tmp_path / "e.png")]) == 2
    assert not (tmp_path / "b.png").exists() and not (tmp_path / "d.gif").exists()
