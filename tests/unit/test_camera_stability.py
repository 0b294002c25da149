"""Frame-to-frame stability of the live camera (effects.apply with cache["stable"])."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import effects
from app.render import work
from app.render.tasks import RenderCamera
from effects import blocks, io
from tests.imaging import photo, to_side


def camera_frame(seed: int = 0, shift: int = 0) -> np.ndarray:
    """A 640 px photo as a webcam would give it: a little sensor noise, maybe moved a pixel or two."""
    image = to_side(cv2.imread(str(photo("prairie_falcon.jpg"))), 640)
    if shift:
        image = np.roll(image, shift, axis=1)
    noise = np.random.default_rng(seed).normal(0, 2.0, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.mark.parametrize("style", effects.STYLES)
def test_two_identical_frames_give_nearly_identical_outputs(style):
    stable: dict = {}
    frame = camera_frame()
    first = effects.apply(frame, style, cache={"stable": stable})
    second = effects.apply(frame, style, cache={"stable": stable})
    assert mad(first, second) < 1.0, style


def test_the_palette_does_not_jump_between_two_slightly_different_frames():
    stable: dict = {}
    a, b = camera_frame(seed=1), camera_frame(seed=2)  # sensor noise only
    params = {"colors": 8}
    first = effects.apply(a, "cartoon", params, cache={"stable": stable})
    palette_a = stable[("palette", 8, 1)].copy()
    second = effects.apply(b, "cartoon", params, cache={"stable": stable})
    palette_b = stable[("palette", 8, 1)]
    # the session's palette moves only a little between the two frames
    assert float(np.abs(palette_a - palette_b).mean()) < 2.0
    assert mad(first, second) < 4.0


def test_without_a_stream_the_palette_is_the_frame_own():
    # outside a camera session nothing carries over: the same call gives the same bytes
    frame = camera_frame()
    assert np.array_equal(effects.apply(frame, "cartoon"), effects.apply(frame, "cartoon"))
    assert blocks.STABLE.get() is None


def test_a_session_palette_follows_a_new_scene_slowly_but_surely():
    stable: dict = {}
    a = camera_frame()
    b = np.ascontiguousarray(a[:, ::-1, ::-1])  # another scene: colors swapped
    effects.apply(a, "cartoon", {"colors": 6}, cache={"stable": stable})
    start = stable[("palette", 6, 1)].copy()
    target = blocks.kmeans_palette(blocks.smooth_colors(blocks.shrink(b, 512), 5), 6).astype(np.float32)
    for _ in range(20):
        effects.apply(b, "cartoon", {"colors": 6}, cache={"stable": stable})
    end = stable[("palette", 6, 1)]
    assert np.abs(end - start).mean() > 5  # it moved
    assert np.sort(np.abs(end - target).sum(axis=1)).mean() < np.sort(np.abs(start - target).sum(axis=1)).mean()


def test_render_camera_task_decodes_renders_and_keeps_state_per_session():
    data = io.encode(camera_frame(), "jpeg", 85)
    out = work.render_camera(RenderCamera("s1", data, "cartoon", {}, 640, 75), lambda m: None)
    assert out["mime"] == "image/jpeg" and max(out["width"], out["height"]) == 640
    assert ("s1", "cartoon") in work._cameras
    with pytest.raises(effects.InvalidImage):
        work.render_camera(RenderCamera("s1", b"\xff\xd8not a jpeg", "cartoon", {}, 640, 75), lambda m: None)
