"""Behaviour behind the speed work (issue 13): reduced decodes, one decode per job, layer caches.

No timings here: the benches in bench/ measure; these tests pin what the fast paths must keep.
"""

from __future__ import annotations

import pathlib
import time
from multiprocessing import shared_memory

import cv2
import numpy as np
import pytest

import effects
from app.lib.settings import get_settings, override
from app.render import work
from app.render.tasks import LoadSource, RenderFile
from effects import blocks, io
from tests.imaging import photo, ssim, to_side

ORIENTED = [photo(f"exif-orientation/Landscape_{n}.jpg") for n in range(9)] + [photo("portrait-orientation-6.jpg")]


def _resized(image: np.ndarray, side: int) -> np.ndarray:
    h, w = image.shape[:2]
    f = side / max(h, w)
    return cv2.resize(image, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)


class DecodeSpy:
    """Records the flags of every cv2.imdecode call made through effects.io."""

    def __init__(self, monkeypatch):
        self.flags: list[int] = []
        real = cv2.imdecode

        def spy(buf, flags):
            self.flags.append(flags)
            return real(buf, flags)

        monkeypatch.setattr(io.cv2, "imdecode", spy)


@pytest.mark.parametrize("path", ORIENTED, ids=lambda p: p.name)
@pytest.mark.parametrize("side", [64, 150])
def test_reduced_decode_is_upright_and_sized_like_a_downscaled_full_decode(path, side):
    data = path.read_bytes()
    full = io.decode(data)
    small, size = io.decode_reduced(data, side)
    expected = _resized(full, side)
    assert size == (full.shape[1], full.shape[0])
    assert small.shape == expected.shape and small.dtype == np.uint8
    # same picture, same way up: a wrong orientation or mirror would make this far lower
    assert ssim(small, expected) > 0.8
    assert np.abs(small.astype(int) - expected).mean() < 8


@pytest.mark.parametrize("path", ORIENTED, ids=lambda p: p.name)
def test_orientation_is_read_from_exif_and_applied_like_opencv(path):
    data = path.read_bytes()
    raw = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    upright = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert np.array_equal(io.orient(raw, io.exif_orientation(data)), upright)


def test_reduced_decode_uses_dct_scaling_and_never_the_full_size(monkeypatch):
    data = photo("book-beside-flowers.jpg").read_bytes()  # 2048 px long
    spy = DecodeSpy(monkeypatch)
    small, size = io.decode_reduced(data, 512)
    assert spy.flags and all(f & ~cv2.IMREAD_IGNORE_ORIENTATION == cv2.IMREAD_REDUCED_COLOR_4 for f in spy.flags)
    assert max(small.shape[:2]) == 512 and max(size) == 2048


def test_small_or_non_jpeg_sources_decode_normally():
    for name in ("density_plot.png", "denali.webp", "prairie_falcon.jpg"):
        data = photo(name).read_bytes()
        full = io.decode(data)
        small, size = io.decode_reduced(data, 4096)
        assert size == (full.shape[1], full.shape[0]) and np.array_equal(small, full)


@pytest.mark.parametrize("path", [*ORIENTED, photo("denali.webp"), photo("density_plot.png")], ids=lambda p: p.name)
def test_upright_size_from_headers_matches_the_decode(path, monkeypatch):
    data = path.read_bytes()
    h, w = io.decode(data).shape[:2]
    monkeypatch.setattr(io.cv2, "imdecode", None)  # headers only: any decode would fail
    assert io.upright_size(data) == (w, h)


def test_damaged_scan_header_is_refused_without_decoding(monkeypatch):
    data = bytearray(photo("prairie_falcon.jpg").read_bytes())
    sos = bytes(data).find(b"\xff\xda")
    data[sos + 2 : sos + 4] = b"\x00\x01"
    monkeypatch.setattr(io.cv2, "imdecode", None)
    with pytest.raises(effects.InvalidImage, match="corrupt"):
        io.inspect(bytes(data))


def test_every_test_photo_passes_the_header_checks():
    for path in sorted(photo("").glob("**/*.jpg")):
        io.inspect(path.read_bytes())


def test_preview_source_is_loaded_at_preview_size_from_a_reduced_decode(monkeypatch):
    spy = DecodeSpy(monkeypatch)
    shm = shared_memory.SharedMemory(create=True, size=512 * 512 * 3)
    try:
        info = work.load_source(
            LoadSource(shm.name, str(photo("book-beside-flowers.jpg")), 512, io.DEFAULT_MAX_PIXELS), lambda m: None
        )
        h, w, _ = info["shape"]
        got = np.ndarray(info["shape"], np.uint8, buffer=shm.buf).copy()
    finally:
        shm.close()
        shm.unlink()
    full = io.read_image(photo("book-beside-flowers.jpg"))
    assert info["source"] == [full.shape[1], full.shape[0]] and max(h, w) == 512
    assert spy.flags[0] & ~cv2.IMREAD_IGNORE_ORIENTATION == cv2.IMREAD_REDUCED_COLOR_4
    assert ssim(got, _resized(full, 512)) > 0.9


def test_a_job_decodes_its_upload_once_and_writes_every_copy(tmp_path, monkeypatch):
    src = tmp_path / "in.jpg"
    src.write_bytes(photo("portrait-orientation-6.jpg").read_bytes())
    paths = {k: tmp_path / f"{k}.jpg" for k in ("out", "sd", "thumb", "thumb_original")}
    spy = DecodeSpy(monkeypatch)
    messages: list[dict] = []
    meta = work.render_file(
        RenderFile(
            src=str(src),
            dst=str(paths["out"]),
            sd=str(paths["sd"]),
            thumb=str(paths["thumb"]),
            thumb_original=str(paths["thumb_original"]),
            style="cartoon",
            params={},
            quality=85,
            max_dimension=4096,
            max_pixels=io.DEFAULT_MAX_PIXELS,
            sd_side=600,
            thumb_side=100,
        ),
        messages.append,
    )
    assert len(spy.flags) == 1, "the upload is decoded exactly once"
    upright = io.read_image(src)
    out = io.read_image(paths["out"])
    assert out.shape == upright.shape and (meta["width"], meta["height"]) == (out.shape[1], out.shape[0])
    assert max(io.read_image(paths["sd"]).shape[:2]) == 600
    assert max(io.read_image(paths["thumb"]).shape[:2]) == 100
    original_thumb = io.read_image(paths["thumb_original"])
    expected = cv2.resize(to_side(upright, 100), original_thumb.shape[1::-1], interpolation=cv2.INTER_AREA)
    assert max(original_thumb.shape[:2]) == 100 and original_thumb.shape[2] == 3
    assert abs(original_thumb.shape[0] / original_thumb.shape[1] - upright.shape[0] / upright.shape[1]) < 0.02
    assert ssim(original_thumb, expected) > 0.8, "the original's thumbnail shows the upload, upright"
    assert ssim(io.read_image(paths["thumb"]), to_side(out, 100)) > 0.8
    frames = [m["frame"] for m in messages if "frame" in m]
    assert frames and all(max(f["width"], f["height"]) < 600 for f in frames)
    assert [m["progress"] for m in messages] == sorted(m["progress"] for m in messages)


def test_jobs_above_the_maximum_dimension_are_scaled_to_it(tmp_path):
    src = tmp_path / "in.jpg"
    src.write_bytes(photo("japanese-shop.jpg").read_bytes())  # 2048 px long
    out = tmp_path / "out.jpg"
    meta = work.render_file(RenderFile(
        src=str(src), dst=str(out), sd=str(tmp_path / "sd.jpg"), thumb=str(tmp_path / "t.jpg"), style="sketch",
        params={}, quality=85, max_dimension=1500, max_pixels=io.DEFAULT_MAX_PIXELS, sd_side=256, thumb_side=64,
    ), lambda m: None)  # fmt: skip
    assert max(meta["width"], meta["height"]) == 1500
    assert not (tmp_path / "thumb_original.jpg").exists()


def test_small_copies_of_huge_partials_keep_the_picture():
    img = io.read_image(photo("japanese-shop.jpg"))
    small = work._small(img, 128)
    assert max(small.shape[:2]) == 128
    assert ssim(small, to_side(img, 128)) > 0.7


def test_frame_of_reuses_a_cached_frame():
    img = to_side(io.read_image(photo("prairie_falcon.jpg")), 300)
    cache: dict = {}
    frame = blocks.Frame.of(img, cache)
    assert blocks.Frame.of(img, cache) is frame
    assert effects.apply(img, "sketch", cache=cache).tobytes() == effects.apply(img, "sketch").tobytes()


def test_pathlib_is_what_tasks_read(tmp_path):
    # load_source refuses a missing file with the effects error the session reports
    with pytest.raises(effects.InvalidImage):
        work.load_source(LoadSource("none", str(pathlib.Path(tmp_path) / "missing.jpg"), 64, 10**8), lambda m: None)


@pytest.mark.parametrize("k", [3, 13, 31])
def test_diagonal_smear_equals_the_anti_diagonal_kernel(k):
    lattice = np.random.default_rng(k).random((90, 70), dtype=np.float32)
    kernel = np.eye(k, dtype=np.float32)[::-1] / k
    expected = cv2.filter2D(lattice, -1, kernel, borderType=cv2.BORDER_REFLECT)
    assert np.allclose(blocks._smear(lattice, k), expected, atol=1e-5)


def test_textures_are_the_same_at_every_size_and_cached_within_a_byte_budget():
    full = blocks.texture((800, 600), 4.0, seed=2, streak=3)
    small = blocks.texture((400, 300), 4.0, seed=2, streak=3)
    assert blocks.texture((800, 600), 4.0, seed=2, streak=3) is full, "cached"
    assert not full.flags.writeable
    assert ssim(to_side(full, 400), small) > 0.8, "a preview's texture is the full-size texture scaled down"
    budget = blocks._Budget(3 * 1000)
    for i in range(5):
        budget.get(i, lambda: np.zeros(1000, np.uint8))
    assert list(budget.items) == [2, 3, 4] and budget.used == 3000


def test_sketch_tint_equals_the_color_transform():
    from effects import sketch

    drawing = np.arange(256, dtype=np.uint8).reshape(16, 16)
    assert np.array_equal(sketch.tint(drawing), cv2.transform(drawing[:, :, None], sketch.PAPER_TINT))


def test_palette_mapping_with_ink_equals_mapping_then_darkening():
    rng = np.random.default_rng(3)
    layer = cv2.GaussianBlur(rng.integers(0, 255, (40, 30, 3), dtype=np.uint8), (0, 0), 2)
    palette = blocks.kmeans_palette(layer, 6)
    ink = rng.integers(0, 255, (80, 60), dtype=np.uint8)
    flat = blocks.map_to_palette(layer, palette, (80, 60))
    assert np.array_equal(blocks.map_to_palette(layer, palette, (80, 60), ink), blocks.darken(flat, ink))
    assert len(np.unique(flat.reshape(-1, 3), axis=0)) <= 6


@pytest.fixture()
def look_ahead():
    before = get_settings()
    override(preview_look_ahead=True)
    yield
    override(preview_look_ahead=before.preview_look_ahead)


def test_look_ahead_is_off_unless_asked_for():
    assert not get_settings().preview_look_ahead
    entry = {"image": np.zeros((40, 40, 3), np.uint8), "cache": {}}
    ahead = work.LookAhead()
    for s in (1, 2):
        ahead.follow(entry, "cartoon", {**effects.defaults("cartoon"), "smoothness": s})
    assert ahead.thread is None


def test_look_ahead_builds_the_next_layers_of_a_drag_and_changes_no_bytes(look_ahead):
    img = to_side(io.read_image(photo("prairie_falcon.jpg")), 320)
    entry = {"image": img, "cache": {}}
    ahead = work.LookAhead()
    first = {**effects.defaults("cartoon"), "smoothness": 1}
    second = {**first, "smoothness": 2}
    for params in (first, second):
        effects.apply(img, "cartoon", params, cache=entry["cache"])
        ahead.follow(entry, "cartoon", params)
    deadline = time.monotonic() + 20
    while ahead.made < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ahead.made == 2, "smoothness 3 and 4 were looked ahead"
    smooth_keys = {k for k in entry["cache"] if isinstance(k, tuple) and k[0] == "smooth"}
    assert smooth_keys >= {("smooth", 3), ("smooth", 4)}
    for s in (3, 4):
        params = {**first, "smoothness": s}
        cached = effects.apply(img, "cartoon", params, cache=entry["cache"])
        assert cached.tobytes() == effects.apply(img, "cartoon", params).tobytes()


def test_look_ahead_ignores_style_switches_and_several_moved_controls(look_ahead):
    img = to_side(io.read_image(photo("prairie_falcon.jpg")), 200)
    entry = {"image": img, "cache": {}}
    ahead = work.LookAhead()
    ahead.follow(entry, "cartoon", effects.defaults("cartoon"))
    ahead.follow(entry, "sketch", effects.defaults("sketch"))
    ahead.follow(entry, "sketch", {**effects.defaults("sketch"), "darkness": 1.0, "shading": 0.1})
    ahead.follow(entry, "sketch", {**effects.defaults("sketch"), "darkness": 4.0, "shading": 0.1})  # beyond max
    assert ahead.thread is None and ahead.made == 0


def test_a_layer_being_made_by_another_thread_is_waited_for_not_made_twice():
    import threading

    frame = blocks.Frame.of(np.zeros((20, 20, 3), np.uint8), {})
    calls, started, release = [], threading.Event(), threading.Event()

    def slow():
        calls.append(1)
        started.set()
        release.wait(10)
        return np.ones(3)

    other = threading.Thread(target=lambda: frame.memo(("layer",), slow))
    other.start()
    started.wait(10)
    got = []
    waiter = threading.Thread(target=lambda: got.append(frame.memo(("layer",), slow)))
    waiter.start()
    release.set()
    other.join(10)
    waiter.join(10)
    assert len(calls) == 1 and np.array_equal(got[0], np.ones(3))
    assert frame.memo(("layer",), slow) is got[0], "kept in the cache"


def test_a_failed_layer_is_not_cached():
    frame = blocks.Frame.of(np.zeros((20, 20, 3), np.uint8), {})

    def bad():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        frame.memo(("x",), bad)
    assert ("x",) not in frame.cache and frame.memo(("x",), lambda: 5) == 5


def test_the_layer_cache_is_bounded_in_bytes_least_recently_used_first(monkeypatch):
    # a drag there and back must find the layers of the way there: the bound is bytes, not a count
    monkeypatch.setattr(blocks, "LAYER_BUDGET", 10_000)
    frame = blocks.Frame.of(np.zeros((20, 20, 3), np.uint8), {})
    for i in range(40):  # small layers: far more than the old 24-entry bound, all kept
        frame.memo(("small", i), lambda: np.zeros(10, np.uint8))
    assert all(("small", i) in frame.cache for i in range(40))
    frame.memo(("small", 0), lambda: None)  # used again: now the most recent
    big = frame.memo(("big",), lambda: np.zeros(9_000, np.uint8))
    assert frame.memo(("big",), lambda: None) is big, "the newest layer stays even alone over budget"
    assert ("small", 0) in frame.cache and ("small", 1) not in frame.cache, "least recently used go first"
    assert "frame" in frame.cache
    assert sum(frame.cache[blocks._SIZES].values()) <= 10_000


def test_a_preview_worker_bounds_the_layers_of_all_its_sources_together(monkeypatch):
    # four sources with full caches would hold 1 GB: older sources are forgotten past the bound,
    # and the newest is kept whatever it holds
    def entry(layer_bytes: int) -> dict:
        cache: dict = {}
        blocks._within_budget(cache, ("layer",), np.zeros(layer_bytes, np.uint8))
        return {"image": np.zeros((10, 10, 3), np.uint8), "cache": cache}

    monkeypatch.setattr(work, "_sources", {})
    monkeypatch.setattr(work, "_SOURCES_BUDGET", 1_000_000)
    for name in "abc":
        work._sources[name] = entry(300_000)
    work._keep_newest_sources()
    assert list(work._sources) == ["a", "b", "c"], "under the bound: all kept"
    work._sources["d"] = entry(300_000)
    work._keep_newest_sources()
    assert list(work._sources) == ["b", "c", "d"], "the oldest goes first"
    work._sources["e"] = entry(5_000_000)
    work._keep_newest_sources()
    assert list(work._sources) == ["e"], "the newest stays even alone over the bound"
    for name in "fghij":
        work._sources[name] = entry(10)
    work._keep_newest_sources()
    assert list(work._sources) == list("fghij")[-work._SOURCES_MAX :], "and at most a few sources"


def test_stained_glass_piece_sums_share_out_every_pixel_to_its_nearest_seed():
    # the scanline prefix sums that replaced rasterising a label image: Voronoi cells are the
    # nearest-seed regions, so a brute-force nearest seed per pixel centre must give the same sums
    from effects import stained_glass

    rng = np.random.default_rng(3)
    h, w = 48, 64
    points = rng.uniform([-8, -8], [w + 8, h + 8], (60, 2))
    verts, bounds = stained_glass.voronoi(points)
    image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    vx, vy = (np.ascontiguousarray(c) for c in verts.astype(np.float64).T)
    count, sums = stained_glass.polygon_sums(vx, vy, bounds, image)
    seeds = points.astype(np.float32).astype(np.float64)  # as Subdiv2D holds them
    ys, xs = np.mgrid[0:h, 0:w]
    d = (xs[..., None] - seeds[:, 0]) ** 2 + (ys[..., None] - seeds[:, 1]) ** 2
    label = d.argmin(axis=2).ravel()
    assert count.sum() == h * w
    assert np.array_equal(count, np.bincount(label, minlength=len(points)))
    for c in range(3):
        assert np.array_equal(sums[:, c], np.bincount(label, image[:, :, c].ravel(), minlength=len(points)))


@pytest.mark.parametrize(
    "style, moves",
    [
        ("watercolor", [{"wet_edges": 0.0}, {"wet_edges": 1.0}, {"washes": 3}, {"pigment": 0.9, "washes": 3}]),
        ("oil_painting", [{"brush_size": 2.0}, {"brush_size": 3.5}, {"bristles": 0.0}, {"brush_size": 2.0}]),
    ],
)
def test_layers_from_the_cache_give_the_same_bytes_as_a_fresh_render(style, moves):
    # watercolor keeps its laid washes and their border gradient as a layer, oil its paint: a
    # slider drag that finds them in the cache must show exactly what a fresh render shows
    img = to_side(io.read_image(photo("book-beside-flowers.jpg")), 800)
    cache: dict = {}
    effects.apply(img, style, cache=cache)
    for params in moves:
        cached = effects.apply(img, style, params, cache=cache)
        assert cached.tobytes() == effects.apply(img, style, params).tobytes(), params


def test_the_kuwahara_filter_keeps_flat_colours_exactly_and_never_writes_its_shared_planes():
    # the planes are a cached layer every brush up to 5 shares: the filter must only read them
    from effects import structure

    flat = np.full((40, 60, 3), (12, 200, 77), np.uint8)
    planes = structure.kuwahara_planes(flat, structure.kuwahara_pad(2.0))
    before = [p.copy() for p in planes]
    out = structure.anisotropic_kuwahara(planes, 2.0, tensor_sigma=1.6)
    assert out.dtype == np.uint8 and np.array_equal(out, flat), "each sector's mean of one colour is that colour"
    assert all(np.array_equal(a, b) and not a.flags.writeable for a, b in zip(planes, before, strict=True))
    rng = np.random.default_rng(5)
    noisy = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    edges = structure.anisotropic_kuwahara(structure.kuwahara_planes(noisy, 8), 2.0, tensor_sigma=1.6)
    assert edges.std() < noisy.std(), "noise is painted over"
    with pytest.raises(AssertionError):  # planes padded for a smaller brush would mix the planes
        structure.anisotropic_kuwahara(planes, 4.0, tensor_sigma=3.2)
