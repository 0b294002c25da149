"""Websockets against the running server: /ws/preview and /ws/jobs (docs/protocol.md)."""

from __future__ import annotations

import asyncio
import json
import os

import pytest
import websockets

import effects
from app.live.frames import unpack
from effects import io
from tests.conftest import new_user, upload, wait_done
from tests.imaging import photo

pytestmark = pytest.mark.asyncio


def connect(server, path, token=None, **kw):
    url = f"{server.ws_url}{path}"
    if token:
        url += ("&" if "?" in url else "?") + f"token={token}"
    return websockets.connect(url, max_size=None, open_timeout=10, **kw)


async def recv(ws, timeout=20.0):
    msg = await asyncio.wait_for(ws.recv(), timeout)
    if isinstance(msg, bytes):
        header, data = unpack(msg)
        return {**header, "_data": data}
    return json.loads(msg)


async def until(ws, pred, timeout=30.0):
    """Receive until a message matches; returns (match, everything received)."""
    seen = []
    async with asyncio.timeout(timeout):
        while True:
            m = await recv(ws, timeout)
            seen.append(m)
            if pred(m):
                return m, seen


async def open_session(server, token, name="prairie_falcon.jpg"):
    ws = await connect(server, "/ws/preview", token)
    await ws.send(photo(name).read_bytes())
    ready = await recv(ws)
    assert ready["type"] == "ready", ready
    return ws, ready


@pytest.fixture()
def token(client):
    return new_user(client)["tokens"]["access_token"]


async def test_preview_renders_every_style(server, token):
    ws, ready = await open_session(server, token, "book-beside-flowers.jpg")
    async with ws:
        assert ready["source"] == {"width": 1536, "height": 2048}
        assert ready["preview"] == {"width": 768, "height": 1024}
        for seq, style in enumerate(effects.STYLES, start=1):
            await ws.send(json.dumps({"type": "render", "seq": seq, "style": style, "params": {}}))
            frame, _ = await until(ws, lambda m: m.get("type") == "frame" and m.get("final"))
            assert frame["seq"] == seq and frame["mime"] == "image/jpeg" and frame["render_ms"] > 0
            img = io.decode(frame["_data"])
            assert img.shape[:2] == (frame["height"], frame["width"]) == (1024, 768)


async def test_upper_case_styles_and_webp_frames(server, token):
    ws, _ = await open_session(server, token)
    async with ws:
        await ws.send(json.dumps({"type": "render", "seq": 1, "style": "WATERCOLOR", "format": "webp"}))
        frame, _ = await until(ws, lambda m: m.get("type") == "frame")
        assert frame["mime"] in ("image/webp", "image/jpeg")
        assert io.FORMATS[io.sniff(frame["_data"])] == frame["mime"]


async def test_burst_of_renders_ends_with_the_last_seq(server, token):
    ws, _ = await open_session(server, token, "japanese-shop.jpg")
    async with ws:
        for seq in range(1, 51):  # the last request is clearly unlike all the others
            brush = 16 if seq == 50 else 2 + (seq % 8) / 2
            await ws.send(
                json.dumps({"type": "render", "seq": seq, "style": "oil_painting", "params": {"brush_size": brush}})
            )
        last, seen = await until(ws, lambda m: m.get("type") == "frame" and m["seq"] == 50 and m["final"])
        frames = [m for m in seen if m.get("type") == "frame"]
        assert len(frames) < 25, f"latest wins: {len(frames)} frames for 50 requests"
        assert [f["seq"] for f in frames] == sorted(f["seq"] for f in frames)
        # the last frame is the render of the last request's parameters (equal but for JPEG),
        # and clearly not that of an earlier request
        small = effects.blocks.shrink(io.read_image(photo("japanese-shop.jpg")), 1024)
        got = io.decode(last["_data"]).astype(int)
        diff = lambda brush: abs(got - effects.apply(small, "oil_painting", {"brush_size": brush})).mean()  # noqa: E731
        assert diff(16) < 6 and diff(16) < diff(2 + 7 / 2) * 0.7


async def test_open_a_job_as_source_and_commit(server, client, token):
    headers = {"Authorization": f"Bearer {token}"}
    job = upload(client, headers, photo("denali.webp"), style="sketch").json()
    async with connect(server, "/ws/preview", token) as ws:
        await ws.send(json.dumps({"type": "open", "job": job["uuid"]}))
        ready = await recv(ws)
        assert ready["type"] == "ready" and ready["source"] == {"width": 600, "height": 315}
        await ws.send(json.dumps({"type": "render", "seq": 7, "style": "pop_art", "params": {"grid": True}}))
        await until(ws, lambda m: m.get("type") == "frame" and m["seq"] == 7)
        await ws.send(json.dumps({"type": "commit", "seq": 7}))
        answer, _ = await until(ws, lambda m: m.get("type") == "job")
        assert answer["status"] == "QUEUED"
    done = wait_done(client, headers, answer["uuid"])
    assert done["status"] == "DONE" and done["style"] == "pop_art" and done["params"]["grid"] is True


async def test_bad_messages_get_errors_and_the_session_goes_on(server, token):
    async with connect(server, "/ws/preview", token) as ws:
        await ws.send(json.dumps({"type": "render", "seq": 1, "style": "cartoon"}))
        assert (await recv(ws))["code"] == "invalid_message"  # no source yet
        await ws.send(b"\x00\x01garbage bytes")
        m = await recv(ws)
        assert m["type"] == "error" and m["code"] == "invalid_image"
        jpeg = photo("prairie_falcon.jpg").read_bytes()
        await ws.send(jpeg[: len(jpeg) // 2])
        assert (await recv(ws))["code"] == "invalid_image"
        await ws.send(jpeg)
        assert (await recv(ws))["type"] == "ready"
        for bad in [
            "not json",
            "[1,2]",
            json.dumps({"no": "type"}),
            json.dumps({"type": "dance"}),
            json.dumps({"type": "render", "seq": "one", "style": "cartoon"}),
        ]:
            await ws.send(bad)
            m = await recv(ws)
            assert m["type"] == "error" and m["code"] == "invalid_message" and m["message"]
        await ws.send(json.dumps({"type": "render", "seq": 2, "style": "cartoon", "params": {"colors": 500}}))
        m = await recv(ws)
        assert (
            m["code"] == "invalid_params" and "colors" in m["message"] and "2 to 24" in m["message"] and m["seq"] == 2
        )
        await ws.send(json.dumps({"type": "render", "seq": 3, "style": "cubism"}))
        assert (await recv(ws))["code"] == "invalid_params"
        await ws.send(json.dumps({"type": "render", "seq": 3, "style": "cartoon"}))  # rejected seqs are not spent
        assert (await until(ws, lambda m: m.get("type") == "frame" and m["final"]))[0]["seq"] == 3
        await ws.send(json.dumps({"type": "render", "seq": 3, "style": "cartoon"}))
        assert (await recv(ws))["code"] == "invalid_message"  # seq must increase
        await ws.send(json.dumps({"type": "commit", "seq": 999}))
        assert (await recv(ws))["code"] == "invalid_message"
        await ws.send(json.dumps({"type": "render", "seq": 4, "style": "cartoon"}))
        frame, _ = await until(ws, lambda m: m.get("type") == "frame" and m["final"])
        assert frame["seq"] == 4


async def test_oversized_claims_are_image_too_large(server, token):
    import struct

    png = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", 60000, 60000) + bytes(100)
    async with connect(server, "/ws/preview", token) as ws:
        await ws.send(png)
        assert (await recv(ws))["code"] == "image_too_large"


async def test_missing_or_bad_token_is_refused(server):
    for token in (None, "not-a-jwt"):
        async with connect(server, "/ws/preview", token) as ws:
            with pytest.raises(websockets.ConnectionClosed) as info:
                await recv(ws)
            assert info.value.rcvd.code == 4401


async def test_bearer_header_and_same_origin_cookie_work(server, token):
    async with connect(server, "/ws/preview", additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        await ws.send(json.dumps({"type": "ping"}))
        assert (await recv(ws))["type"] == "pong"
    async with connect(
        server, "/ws/preview", origin=server.url, additional_headers={"Cookie": f"toonify_access={token}"}
    ) as ws:
        await ws.send(json.dumps({"type": "ping"}))
        assert (await recv(ws))["type"] == "pong"


async def test_cookie_from_a_foreign_origin_is_refused(server, token):
    async with connect(
        server, "/ws/preview", origin="https://evil.example", additional_headers={"Cookie": f"toonify_access={token}"}
    ) as ws:
        with pytest.raises(websockets.ConnectionClosed) as info:
            await recv(ws)
        assert info.value.rcvd.code == 4403


async def test_tokens_never_appear_in_the_logs(server, token):
    async with connect(server, "/ws/preview", token) as ws:
        await ws.send(json.dumps({"type": "ping"}))
        await recv(ws)  # the handshake (and its log line, with the query) happened before the pong
    log = server.log_tail() + (server.data_dir / "server.log").read_text()
    assert token not in log and token.split(".")[2] not in log


async def test_non_owner_cannot_follow_or_open_a_job(server, client):
    a, b = new_user(client), new_user(client)
    job = upload(client, a["headers"], photo("denali.webp")).json()
    async with connect(server, f"/ws/jobs/{job['uuid']}", b["tokens"]["access_token"]) as ws:
        m = await recv(ws)
        assert m["type"] == "error" and m["code"] == "not_found"
        with pytest.raises(websockets.ConnectionClosed) as info:
            await recv(ws)
        assert info.value.rcvd.code == 4404
    async with connect(server, "/ws/preview", b["tokens"]["access_token"]) as ws:
        await ws.send(json.dumps({"type": "open", "job": job["uuid"]}))
        assert (await recv(ws))["code"] == "not_found"


async def test_job_progress_from_queued_to_done_with_frames(server, client):
    u = new_user(client)
    job = upload(client, u["headers"], photo("book-beside-flowers.jpg"), style="cartoon").json()
    async with connect(server, f"/ws/jobs/{job['uuid']}", u["tokens"]["access_token"]) as ws:
        seen = []
        with pytest.raises(websockets.ConnectionClosedOK):
            while True:
                seen.append(await recv(ws, 60))
        assert ws.close_code == 1000
    statuses = [m for m in seen if m.get("type") == "status"]
    frames = [m for m in seen if m.get("type") == "frame"]
    assert statuses[0]["status"] in ("QUEUED", "PROCESSING")
    progress = [m["progress"] for m in statuses]
    assert progress == sorted(progress) and statuses[-1]["status"] == "DONE"
    assert set(statuses[-1]["links"]) == {"processed", "original"}
    partial = [f for f in frames if not f["final"]]
    assert partial, "frames arrive while the job runs"
    sizes = [f["width"] for f in partial]
    assert sizes == sorted(sizes), "frames never shrink (how many a late follower sees depends on when it joined)"
    assert frames[-1]["final"] and io.decode(frames[-1]["_data"]).shape[:2] == (
        frames[-1]["height"],
        frames[-1]["width"],
    )
    assert sum(f["final"] for f in frames) == 1, "the finished picture is sent once"
    assert all(f["width"] < frames[-1]["width"] for f in partial)
    # a late follower gets the final status and a frame at once
    async with connect(server, f"/ws/jobs/{job['uuid']}", u["tokens"]["access_token"]) as ws:
        m1, m2 = await recv(ws), await recv(ws)
        assert m1["status"] == "DONE" and m2["type"] == "frame" and m2["final"]


async def test_disconnect_mid_render_leaves_nothing_behind(server, token):
    sessions = server.data_dir / "sessions"
    shm_before = set(os.listdir("/dev/shm"))
    for _ in range(5):
        ws, _ = await open_session(server, token, "book-beside-flowers.jpg")
        for seq in range(1, 4):
            await ws.send(json.dumps({"type": "render", "seq": seq, "style": "oil_painting"}))
        await ws.close()
    async with asyncio.timeout(10):
        while (sessions.exists() and any(sessions.iterdir())) or (set(os.listdir("/dev/shm")) - shm_before):
            await asyncio.sleep(0.1)
    ws, _ = await open_session(server, token)  # the server and its pool are fine
    async with ws:
        await ws.send(json.dumps({"type": "render", "seq": 1, "style": "sketch"}))
        frame, _ = await until(ws, lambda m: m.get("type") == "frame" and m["final"])
        assert frame["final"]


async def test_a_reader_that_stops_reading_does_not_block_others(server, token):
    slow, _ = await open_session(server, token, "book-beside-flowers.jpg")
    for seq in range(1, 301):  # never read
        await slow.send(
            json.dumps({"type": "render", "seq": seq, "style": "pop_art", "params": {"dot_size": 2 + seq % 20}})
        )
    fast, _ = await open_session(server, token)
    async with fast:
        for seq in range(1, 6):
            await fast.send(json.dumps({"type": "render", "seq": seq, "style": "cartoon"}))
            frame, _ = await until(fast, lambda m: m.get("type") == "frame" and m["final"], timeout=10)
            assert frame["seq"] == seq
    # the slow client finally reads: only a handful of frames waited for it, the newest last
    _, seen = await until(slow, lambda m: m.get("type") == "frame" and m["seq"] == 300, timeout=30)
    # latest wins: far fewer frames than requests were made while nobody read
    assert len([m for m in seen if m.get("type") == "frame"]) < 300 // 4
    await slow.close()


async def test_a_big_photo_is_previewed_from_a_reduced_decode(server, token):
    """The 2048 px test photo is decoded straight to the 1024 px preview (DCT scaling) and stays upright."""
    w, h = io.upright_size(photo("book-beside-flowers.jpg").read_bytes())
    ws, ready = await open_session(server, token, "book-beside-flowers.jpg")
    async with ws:
        assert ready["source"] == {"width": w, "height": h}
        assert max(ready["preview"].values()) == 1024
        assert ready["preview"]["height"] / ready["preview"]["width"] == pytest.approx(h / w, abs=0.01)
        await ws.send(json.dumps({"type": "render", "seq": 1, "style": "sketch", "params": {}}))
        frame, _ = await until(ws, lambda m: m.get("type") == "frame" and m.get("final"))
        assert (frame["width"], frame["height"]) == (ready["preview"]["width"], ready["preview"]["height"])


async def test_the_job_writes_the_original_thumbnail(server, client):
    user = new_user(client)
    job = upload(client, user["headers"], photo("portrait-orientation-6.jpg"), style="pop_art").json()
    upright = io.read_image(photo("portrait-orientation-6.jpg"))
    assert (job["width"], job["height"]) == (upright.shape[1], upright.shape[0]), "sizes from the headers, upright"
    assert wait_done(client, user["headers"], job["uuid"])["status"] == "DONE"
    r = client.get(f"/images/{job['uuid']}/thumbnail?kind=original", headers=user["headers"])
    assert r.status_code == 200
    thumb = io.decode(r.content)
    assert max(thumb.shape[:2]) <= 360
    assert (thumb.shape[0] > thumb.shape[1]) == (upright.shape[0] > upright.shape[1]), "upright, like the upload"


def _sample(text: str, name: str) -> float:
    """The value of one sample line of a Prometheus text page (0 when it is absent)."""
    for line in text.splitlines():
        if line.rsplit(" ", 1)[0] == name:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_embedded_metrics_count_jobs_by_style_and_time_previews_end_to_end(server, client, token):
    headers = {"Authorization": f"Bearer {token}"}
    done = 'toonify_jobs_total{status="DONE",style="sketch"}'
    before = client.get("/metrics").text
    job = upload(client, headers, photo("prairie_falcon.jpg"), style="sketch").json()
    assert wait_done(client, headers, job["uuid"])["status"] == "DONE"
    ws, _ = await open_session(server, token)
    async with ws:
        await ws.send(json.dumps({"type": "render", "seq": 1, "style": "sketch", "params": {}}))
        await until(ws, lambda m: m.get("type") == "frame" and m.get("final"))
    after = client.get("/metrics").text
    assert _sample(after, done) == _sample(before, done) + 1  # counted once, by the embedded runner
    latency = "toonify_preview_latency_seconds_count"
    assert _sample(after, latency) >= _sample(before, latency) + 1
    assert _sample(after, "toonify_render_seconds_count") >= _sample(before, "toonify_render_seconds_count") + 1


async def test_a_coarse_frame_comes_before_the_final_one_and_every_request_ends_final(server, token):
    """A style's first render in a session (its layers are not made yet) gets a half-size coarse
    frame first when a second preview worker is idle; the full-size final frame always follows,
    and a drag ends on the final frame of its last request."""
    ws, ready = await open_session(server, token, "book-beside-flowers.jpg")
    full = (ready["preview"]["width"], ready["preview"]["height"])
    async with ws:
        frames = []
        for seq, style in enumerate(effects.STYLES, start=1):
            await ws.send(json.dumps({"type": "render", "seq": seq, "style": style, "params": {}}))
            _, seen = await until(ws, lambda m, seq=seq: m.get("type") == "frame" and m["seq"] == seq and m["final"])
            frames += [m for m in seen if m.get("type") == "frame"]
        for seq in range(1, len(effects.STYLES) + 1):
            mine = [f for f in frames if f["seq"] == seq]
            assert [f["final"] for f in mine] in ([True], [False, True]), mine
            assert (mine[-1]["width"], mine[-1]["height"]) == full and not mine[-1]["coarse"]
            for f in mine[:-1]:
                assert f["coarse"] and (f["width"], f["height"]) == (full[0] // 2, full[1] // 2)
                assert io.decode(f["_data"]).shape[:2] == (f["height"], f["width"])
        # with two idle preview workers, the cold renders of the heavier styles get one
        assert any(not f["final"] for f in frames), "no coarse frame for any first render of a style"
        # a drag: every request after the first may get a coarse frame; the last ends final
        last = len(effects.STYLES) + 12
        for seq in range(len(effects.STYLES) + 1, last + 1):
            await ws.send(
                json.dumps({"type": "render", "seq": seq, "style": "stained_glass", "params": {"piece_size": 20 + seq}})
            )
        final, seen = await until(ws, lambda m: m.get("type") == "frame" and m["seq"] == last and m["final"])
        got = [(m["seq"], m["final"]) for m in seen if m.get("type") == "frame"]
        assert got == sorted(got), "frames come in seq order, a coarse one before its final one"
        assert got[-1] == (last, True) and (final["width"], final["height"]) == full


async def test_render_side_sets_the_frame_size(server, token):
    """`side` is the size the client shows: rounded up to 128 px steps, 256 to the preview size."""
    ws, _ = await open_session(server, token, "book-beside-flowers.jpg")  # 768 x 1024 preview
    async with ws:
        for seq, (side, longest) in enumerate([(700, 768), (100, 256), (5000, 1024), (768, 768)], start=1):
            await ws.send(json.dumps({"type": "render", "seq": seq, "style": "sketch", "params": {}, "side": side}))
            frame, _ = await until(ws, lambda m, seq=seq: m.get("type") == "frame" and m["seq"] == seq and m["final"])
            assert max(frame["width"], frame["height"]) == longest and not frame["coarse"]
            assert io.decode(frame["_data"]).shape[:2] == (frame["height"], frame["width"])
        for bad in (0, -5, "big", 1.5, True):
            await ws.send(json.dumps({"type": "render", "seq": 10, "style": "sketch", "side": bad}))
            m = await recv(ws)
            assert m["code"] == "invalid_params" and "side" in m["message"] and m["seq"] == 10
