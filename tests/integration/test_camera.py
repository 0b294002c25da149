"""The live camera over /ws/preview against the running server (docs/protocol.md, "Live camera")."""

from __future__ import annotations

import asyncio
import json
import struct
import time

import cv2
import numpy as np
import pytest

from effects import io
from tests.conftest import new_user
from tests.imaging import photo, to_side
from tests.integration.test_live import connect, recv

pytestmark = pytest.mark.asyncio


@pytest.fixture()
def token(client):
    return new_user(client)["tokens"]["access_token"]


def camera_jpeg(seed: int = 0) -> bytes:
    image = to_side(cv2.imread(str(photo("prairie_falcon.jpg"))), 640)
    noise = np.random.default_rng(seed).normal(0, 2.0, image.shape)
    return io.encode(np.clip(image + noise, 0, 255).astype(np.uint8), "jpeg", 80)


def camera_message(seq: int, image: bytes, style: str = "cartoon", params: dict | None = None, **extra) -> bytes:
    head = json.dumps({"type": "camera", "seq": seq, "style": style, "params": params or {}, **extra}).encode()
    return struct.pack(">I", len(head)) + head + image


async def frames_until(ws, last_seq: int, timeout: float = 60.0) -> list[dict]:
    """Every message until the camera frame for `last_seq` arrives."""
    seen = []
    async with asyncio.timeout(timeout):
        while True:
            m = await recv(ws, timeout)
            seen.append(m)
            if m.get("type") == "frame" and m.get("camera") and m["seq"] == last_seq:
                return seen


async def test_camera_frames_come_back_in_order_latest_wins(server, token):
    image = camera_jpeg()
    async with connect(server, "/ws/preview", token) as ws:
        # no photo needed: a camera frame is its own source
        await ws.send(camera_message(1, image))
        first = (await frames_until(ws, 1))[-1]
        assert first["camera"] is True and first["final"] is True and first["mime"] == "image/jpeg"
        assert max(first["width"], first["height"]) == 640 and first["style"] == "cartoon"
        assert io.decode(first["_data"]).shape[:2] == (first["height"], first["width"])
        for seq in range(2, 12):  # ten frames as fast as the socket takes them
            await ws.send(camera_message(seq, image))
        seen = await frames_until(ws, 11)
        frames = [m for m in seen if m.get("type") == "frame"]
        assert not [m for m in seen if m.get("type") == "error"], seen
        seqs = [f["seq"] for f in frames]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        assert len(frames) < 10, f"every one of 10 frames was rendered ({seqs}): stale frames were queued"
        assert seqs[-1] == 11


async def test_a_bad_camera_frame_gets_an_error_and_the_session_goes_on(server, token):
    image = camera_jpeg()
    async with connect(server, "/ws/preview", token) as ws:
        await ws.send(camera_message(1, b"\xff\xd8\xff\xe0 this is no jpeg at all"))
        err = await recv(ws)
        assert err["type"] == "error" and err["code"] == "invalid_image" and err["seq"] == 1
        await ws.send(camera_message(2, image, style="no_such_style"))
        err = await recv(ws)
        assert err["code"] == "invalid_params" and err["seq"] == 2
        await ws.send(camera_message(3, image, params={"colors": 999}))
        err = await recv(ws)
        assert err["code"] == "invalid_params" and "colors" in err["message"]
        await ws.send(b"\x00\x00\x00\x05{bad}")
        assert (await recv(ws))["code"] == "invalid_message"
        await ws.send(b"\x00\x00\xff\xff{}")  # a header longer than the message
        assert (await recv(ws))["code"] == "invalid_message"
        await ws.send(camera_message(4, image, style="manga"))
        frame = (await frames_until(ws, 4))[-1]
        assert frame["style"] == "manga"
        # seq must increase
        await ws.send(camera_message(4, image))
        assert (await recv(ws))["code"] == "invalid_message"
        # photo previews still work in the same session
        await ws.send(photo("prairie_falcon.jpg").read_bytes())
        assert (await recv(ws))["type"] == "ready"
        await ws.send(json.dumps({"type": "render", "seq": 1, "style": "sketch", "params": {}}))
        m = await recv(ws)
        assert m["type"] == "frame" and not m.get("camera") and m["seq"] == 1


async def test_style_change_applies_to_the_next_camera_frame(server, token):
    image = camera_jpeg()
    async with connect(server, "/ws/preview", token) as ws:
        await ws.send(camera_message(1, image, style="cartoon"))
        a = (await frames_until(ws, 1))[-1]
        await ws.send(camera_message(2, image, style="sketch"))
        b = (await frames_until(ws, 2))[-1]
        assert (a["style"], b["style"]) == ("cartoon", "sketch")
        da, db = io.decode(a["_data"]), io.decode(b["_data"])
        assert np.abs(da.astype(int) - db.astype(int)).mean() > 10


async def test_a_camera_session_is_steady_on_a_still_scene(server, token):
    async with connect(server, "/ws/preview", token) as ws:
        outs = []
        for seq in range(1, 4):
            await ws.send(camera_message(seq, camera_jpeg(seed=seq), params={"colors": 8}))
            outs.append(io.decode((await frames_until(ws, seq))[-1]["_data"]).astype(int))
        # frames of a still scene (sensor noise only) stay close to each other: no region changes
        # color (the comparison is blurred so JPEG and per-pixel noise do not count)
        blur = [cv2.GaussianBlur(o.astype(np.uint8), (0, 0), 3).astype(int) for o in outs]
        assert np.abs(blur[1] - blur[2]).mean() < 3.0


async def test_a_client_sending_as_fast_as_frames_come_back_gets_a_steady_stream(server, token):
    image = camera_jpeg()
    async with connect(server, "/ws/preview", token) as ws:
        t0 = time.perf_counter()
        for seq in range(1, 6):
            await ws.send(camera_message(seq, image, style="pixel_art"))
            await frames_until(ws, seq)
        assert time.perf_counter() - t0 < 30
