"""/ws/preview: a live slider session (docs/protocol.md).

One source image per session, decoded once at preview size into shared memory; at most one
render in flight; a newer request replaces the waiting one (latest wins), so the backlog is
never more than one request whatever the client sends.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import pathlib
import struct
import time
import uuid
from multiprocessing import shared_memory
from typing import Any, cast

import anyio
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

import effects
from app.jobs import services as jobs
from app.lib import storage
from app.lib.errors import DomainError, from_effects
from app.lib.inputs import parse_json
from app.lib.metrics import PREVIEW_LATENCY, PREVIEW_SECONDS
from app.lib.objects import get_store
from app.lib.settings import get_settings
from app.render.pool import WorkerCrashed
from app.render.tasks import LoadSource, RenderCamera, RenderPreview
from app.render.work import CAMERA_MAX_PIXELS
from effects import io

from .frames import error, pack
from .handshake import authenticate

log = logging.getLogger("toonify.live")

KEEP_REQUESTS = 64  # recent requests remembered for `commit`
BUSY_BACKLOG = 8  # queued renders per preview worker beyond which sessions are told `busy`
CAMERA_SIDE = 640  # camera frames are rendered at most this long (the client sends them this size)
CAMERA_QUALITY = 75
CAMERA_MAX_BYTES = 4 * 1024 * 1024  # one camera frame's image bytes
CAMERA_MAX_HEADER = 4096  # one camera frame's JSON header
SIDE_STEP = 128  # a render's `side` is rounded up to a multiple of this
MIN_SIDE = 256


class PreviewSession:
    def __init__(self, socket: WebSocket, user, state) -> None:
        self.socket, self.user, self.pool, self.runner = socket, user, state.pool, state.runner
        self.settings = get_settings()
        self.id = uuid.uuid4().hex
        self.affinity = uuid.UUID(self.id).int % 1024
        self.shm: shared_memory.SharedMemory | None = None
        self.shape: list[int] | None = None
        self.version = 0
        self.source_path: pathlib.Path | None = None  # the full-size original, for commit
        self.source_is_temp = False
        self.source_name = "photo"
        self.next_name = "photo"  # set by a `source` message before the image bytes
        self.pending: dict | None = None
        self.wake = asyncio.Event()
        self.source_lock = asyncio.Lock()  # a source is never replaced under a running render
        self.requests: collections.OrderedDict[int, dict] = collections.OrderedDict()
        self.last_seq: int | None = None
        self.told_busy = False
        self.camera_pending: dict | None = None  # the newest camera frame not rendered yet
        self.last_camera_seq: int | None = None
        self.full_ms: dict[str, float] = {}  # style -> its last full-size preview's render time

    # -- plumbing -------------------------------------------------------------------------
    async def send_json(self, message: dict) -> None:
        await self.socket.send_text(json.dumps(message))

    async def fail(self, code: str, message: str, seq: int | None = None) -> None:
        await self.send_json(error(code, message, seq))

    async def camera_fail(self, code: str, message: str, seq: int | None = None) -> None:
        """An error about a camera frame: marked `"camera": true` so a client tells it apart."""
        await self.send_json({**error(code, message, seq), "camera": True})

    async def run(self) -> None:
        renderer = asyncio.create_task(self.render_loop())
        try:
            await self.receive_loop()
        finally:
            # a waiting render is withdrawn from the pool; a running one (milliseconds) is dropped
            renderer.cancel()
            await asyncio.gather(renderer, return_exceptions=True)

    async def receive_loop(self) -> None:
        while True:
            try:
                with anyio.fail_after(self.settings.ws_idle_timeout):
                    event = await self.socket.receive()
            except TimeoutError:
                await self.socket.close(code=1001, reason="idle")
                return
            except WebSocketDisconnect:
                return
            message = cast("dict[str, Any]", event)
            if message["type"] == "websocket.disconnect":
                return
            data, text = message.get("bytes"), message.get("text")
            if data is not None:
                # a camera frame starts with its header's length (first byte 0) and the header's
                # "{"; an image file never does (JPEG FF D8, PNG 89 50, WebP "RIFF")
                camera = data[:1] == b"\x00" and data[4:5] == b"{"
                await (self.on_camera(data) if camera else self.on_image(data))
            elif text is not None:
                await self.on_text(text)

    def close(self) -> None:
        if self.shm is not None:
            self.shm.close()
            self.shm.unlink()
            self.shm = None
        self._drop_temp_source()

    def _drop_temp_source(self) -> None:
        if self.source_is_temp and self.source_path is not None:
            storage.remove([self.source_path])
        self.source_path, self.source_is_temp = None, False

    # -- sources --------------------------------------------------------------------------
    async def on_image(self, data: bytes) -> None:
        try:
            fmt = await anyio.to_thread.run_sync(jobs.check_upload, data, "")  # walks the file: off the loop
        except DomainError as exc:
            await self.fail(exc.ws_code, exc.message)
            return
        path = storage.sessions_dir() / f"{self.id}-{self.version + 1}.{storage.EXT[fmt]}"
        path.parent.mkdir(parents=True, exist_ok=True)
        await anyio.to_thread.run_sync(path.write_bytes, data)
        if await self.load(path, temp=True):
            self.source_name = self.next_name if self.next_name != "photo" else f"photo.{storage.EXT[fmt]}"
        self.next_name = "photo"

    async def on_open(self, msg: dict) -> None:
        try:
            job = await jobs.get_owned(self.user, str(msg.get("job") or ""))
        except DomainError:
            await self.fail("not_found", "No such job.")
            return
        # a copy in the sessions folder: the original may live in object storage
        path = storage.sessions_dir() / f"{self.id}-{self.version + 1}{pathlib.PurePath(job.original_path).suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            await get_store().copy_to(jobs.keys_of(job).original, path)
        except FileNotFoundError:
            await self.fail("not_found", "No such job.")
            return
        if await self.load(path, temp=True):
            self.source_name = job.original_filename

    async def load(self, path: pathlib.Path, temp: bool) -> bool:
        side = self.settings.preview_size
        async with self.source_lock:
            if self.shm is None:
                self.shm = shared_memory.SharedMemory(create=True, size=side * side * 3)
            try:
                info = await self.pool.run(
                    LoadSource(
                        shm_name=self.shm.name,
                        path=str(path),
                        side=side,
                        max_pixels=self.settings.max_image_pixels,
                    ),
                    affinity=self.affinity,
                )
            except (effects.InvalidImage, WorkerCrashed) as exc:
                if temp:
                    storage.remove([path])
                if isinstance(exc, WorkerCrashed):
                    await self.fail("internal", "The preview renderer restarted; send the image again.")
                else:
                    await self.fail(from_effects(exc).ws_code, str(exc))
                return False
            self._drop_temp_source()
            self.source_path, self.source_is_temp = path, temp
            self.shape = info["shape"]
            self.version += 1
            self.pending = None
        h, w = self.shape[:2]
        await self.send_json(
            {
                "type": "ready",
                "source": {"width": info["source"][0], "height": info["source"][1]},
                "preview": {"width": w, "height": h},
            }
        )
        return True

    # -- the live camera -------------------------------------------------------------------
    async def on_camera(self, data: bytes) -> None:
        """A camera frame: 4-byte header length, JSON header {"type":"camera","seq",...}, image.
        Only the newest frame waits; one that arrives while another waits replaces it."""
        if len(data) < 4:
            await self.camera_fail("invalid_message", "A camera frame needs a 4-byte header length.")
            return
        (n,) = struct.unpack(">I", data[:4])
        if n > CAMERA_MAX_HEADER or 4 + n > len(data):
            await self.camera_fail(
                "invalid_message", f"A camera frame's header must be at most {CAMERA_MAX_HEADER} bytes."
            )
            return
        try:
            header = parse_json(data[4 : 4 + n], "The camera frame's header")
        except DomainError as exc:
            await self.camera_fail("invalid_message", exc.message)
            return
        if not isinstance(header, dict) or header.get("type") != "camera":
            await self.camera_fail(
                "invalid_message", 'A camera frame\'s header must be {"type": "camera", "seq": ...}.'
            )
            return
        seq = _seq(header)
        if seq is None:
            await self.camera_fail("invalid_message", 'A camera frame needs an integer "seq".')
            return
        if self.last_camera_seq is not None and seq <= self.last_camera_seq:
            await self.camera_fail(
                "invalid_message", f"Camera seq must increase: {seq} is not after {self.last_camera_seq}.", seq
            )
            return
        try:
            style = effects.style_name(header.get("style"))  # type: ignore[arg-type]  # a non-string is refused
            params = effects.validate(style, header.get("params") or {})
        except effects.EffectsError as exc:
            await self.camera_fail("invalid_params", str(exc), seq)
            return
        image = data[4 + n :]
        if len(image) > CAMERA_MAX_BYTES:
            await self.camera_fail(
                "image_too_large", f"A camera frame may be at most {CAMERA_MAX_BYTES // 1048576} MB.", seq
            )
            return
        try:
            io.inspect(image, CAMERA_MAX_PIXELS)  # cheap: no pixel decoding
        except effects.InvalidImage as exc:
            await self.camera_fail(from_effects(exc).ws_code, f"The camera frame was refused: {exc}", seq)
            return
        self.last_camera_seq = seq
        reset = header.get("reset") is True or bool(self.camera_pending and self.camera_pending["reset"])
        self.camera_pending = {"seq": seq, "style": style, "params": params, "data": image, "reset": reset}
        self.wake.set()

    async def render_camera(self, request: dict) -> bool:
        """Render one camera frame and send it; False when the socket is gone."""
        try:
            frame = await self.pool.run(
                RenderCamera(
                    session=self.id,
                    data=request["data"],
                    style=request["style"],
                    params=request["params"],
                    side=CAMERA_SIDE,
                    quality=CAMERA_QUALITY,
                    reset=request["reset"],
                ),
                affinity=self.affinity,
            )
        except effects.InvalidImage as exc:
            await self.camera_fail(from_effects(exc).ws_code, f"The camera frame was refused: {exc}", request["seq"])
            return True
        except effects.EffectsError as exc:
            await self.camera_fail("invalid_params", str(exc), request["seq"])
            return True
        except WorkerCrashed:
            await self.camera_fail("internal", "The renderer restarted; the next frame will be shown.", request["seq"])
            return True
        header = {
            "type": "frame",
            "camera": True,
            "seq": request["seq"],
            "width": frame["width"],
            "height": frame["height"],
            "mime": frame["mime"],
            "final": True,
            "coarse": False,
            "render_ms": round(frame["render_ms"], 1),
            "style": request["style"],
        }
        try:
            await self.socket.send_bytes(pack(header, frame["data"]))
        except (WebSocketDisconnect, RuntimeError, OSError):
            return False
        return True

    # -- messages -------------------------------------------------------------------------
    async def on_text(self, text: str) -> None:
        try:
            msg = parse_json(text, "The message")
        except DomainError as exc:
            await self.fail("invalid_message", f'{exc.message} Messages are JSON objects with a "type".')
            return
        if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
            await self.fail("invalid_message", 'Messages must be JSON objects with a "type".')
            return
        handler = {
            "render": self.on_render,
            "open": self.on_open,
            "commit": self.on_commit,
            "ping": self.on_ping,
            "source": self.on_source,
        }.get(msg["type"])
        if handler is None:
            await self.fail(
                "invalid_message",
                f"Unknown message type {msg['type']!r}: use open, source, render, commit or ping.",
                _seq(msg),
            )
            return
        await handler(msg)

    async def on_source(self, msg: dict) -> None:
        """Names the image the next binary message carries (shown in the gallery)."""
        self.next_name = jobs.safe_filename(str(msg.get("filename") or ""))

    async def on_ping(self, msg: dict) -> None:
        await self.send_json({"type": "pong"})

    async def on_render(self, msg: dict) -> None:
        seq = _seq(msg)
        if seq is None:
            await self.fail("invalid_message", 'render needs an integer "seq".')
            return
        if self.last_seq is not None and seq <= self.last_seq:
            await self.fail("invalid_message", f"seq must increase: {seq} is not after {self.last_seq}.", seq)
            return
        try:
            style = effects.style_name(msg.get("style"))  # type: ignore[arg-type]  # a non-string is refused
            params = effects.validate(style, msg.get("params") or {})
        except effects.EffectsError as exc:
            await self.fail("invalid_params", str(exc), seq)
            return
        full = self.settings.preview_size
        wanted = msg.get("side", full)
        if not isinstance(wanted, int) or isinstance(wanted, bool) or wanted < 1:
            await self.fail("invalid_params", '"side" must be a positive integer (px).', seq)
            return
        if self.shape is None:
            await self.fail("invalid_message", "Send an image (a binary message) or open a job first.", seq)
            return
        fmt = "webp" if msg.get("format") == "webp" else "jpeg"
        self.last_seq = seq
        # the size the client shows, in steps of SIDE_STEP (each size keeps its own layer cache)
        side = min(full, max(MIN_SIDE, -(-wanted // SIDE_STEP) * SIDE_STEP))
        request = {
            "seq": seq,
            "style": style,
            "params": params,
            "format": fmt,
            "side": side,
            "at": time.perf_counter(),
        }
        self.requests[seq] = request
        while len(self.requests) > KEEP_REQUESTS:
            self.requests.popitem(last=False)
        self.pending = request  # latest wins: an older waiting request is dropped
        self.wake.set()

    async def on_commit(self, msg: dict) -> None:
        seq = _seq(msg)
        request = self.requests.get(seq) if seq is not None else None
        if request is None or self.source_path is None:
            await self.fail("invalid_message", "commit needs the seq of a recent render request.", seq)
            return
        try:
            data = await anyio.to_thread.run_sync(self.source_path.read_bytes)
            job = await jobs.create(self.user, data, self.source_name, request["style"], request["params"])
        except DomainError as exc:
            await self.fail(exc.ws_code, exc.message, seq)
            return
        except FileNotFoundError:
            await self.fail("not_found", "The source image is gone; open it again.", seq)
            return
        self.runner.submit(str(job.uuid))
        await self.send_json({"type": "job", "uuid": str(job.uuid), "status": "QUEUED", "seq": seq})

    # -- rendering ------------------------------------------------------------------------
    async def render_loop(self) -> None:
        lane = self.pool.lane("preview")
        while True:
            await self.wake.wait()
            self.wake.clear()
            camera, self.camera_pending = self.camera_pending, None
            if camera is not None:
                if not await self.render_camera(camera):
                    return
                if self.pending is not None or self.camera_pending is not None:
                    self.wake.set()
                continue
            request, self.pending = self.pending, None
            if request is None:
                continue
            # Fairness under load: the lane's queue is FIFO and holds at most one request per
            # session, so sessions take turns. A long queue gets coarser frames; a very long one
            # is told `busy` (once) and waits for room, still rendering only its newest request.
            if lane.backlog >= BUSY_BACKLOG * lane.size:
                if not self.told_busy:
                    self.told_busy = True
                    await self.fail("busy", "The server is busy; your preview will update shortly.", request["seq"])
                while lane.backlog >= BUSY_BACKLOG * lane.size:
                    await asyncio.sleep(0.02)
                request, self.pending = self.pending or request, None
            self.told_busy = False
            side = request["side"] if lane.backlog < lane.size else request["side"] // 2
            started = time.perf_counter()
            async with self.source_lock:
                if self.shm is None or self.shape is None:  # the session is closing
                    return
                final = asyncio.ensure_future(self.pool.run(self._task(request, side), affinity=self.affinity))
                coarse = None
                if side == request["side"] and self._wants_coarse(request, lane):
                    # on another, idle worker, at the same time: a quick small frame to show while
                    # the full one renders (it is never waited for)
                    coarse = asyncio.ensure_future(
                        self.pool.run(self._task(request, side // 2), affinity=self.affinity + 1)
                    )
                try:
                    if coarse is not None and not await self._send_coarse(request, coarse, final):
                        final.cancel()
                        return
                    frame = await final
                except effects.EffectsError as exc:
                    await self.fail("invalid_params", str(exc), request["seq"])
                    continue
                except WorkerCrashed:
                    await self.fail("internal", "The renderer restarted; move the slider again.", request["seq"])
                    continue
                finally:
                    # withdrawn if waiting (a running one finishes and is dropped): a closing
                    # session's renders, and a coarse frame the full one overtook
                    for task in (final, coarse):
                        if task is None:
                            continue
                        if not task.done():
                            task.cancel()
                        elif not task.cancelled():
                            task.exception()  # retrieved: a failed coarse frame is not an error
            PREVIEW_SECONDS.observe(frame["render_ms"] / 1000)
            if side == request["side"]:
                self.full_ms[request["style"]] = frame["render_ms"]
            header = self._header(request, frame, final=True, coarse=side < request["side"])
            header["wait_ms"] = round((started - request["at"]) * 1000, 1)
            header["server_ms"] = round((time.perf_counter() - request["at"]) * 1000, 1)
            try:
                # a slow reader blocks here, not in memory: the socket's send buffer is bounded
                # and newer requests keep replacing the one waiting (latest wins)
                await self.socket.send_bytes(pack(header, frame["data"]))
            except (WebSocketDisconnect, RuntimeError, OSError):
                return
            PREVIEW_LATENCY.observe(time.perf_counter() - request["at"])

    def _task(self, request: dict, side: int) -> RenderPreview:
        assert self.shm is not None and self.shape is not None
        return RenderPreview(
            shm_name=self.shm.name,
            shape=self.shape,
            version=self.version,
            style=request["style"],
            params=request["params"],
            side=side,
            fmt=request["format"],
            quality=80,
        )

    def _header(self, request: dict, frame: dict, final: bool, coarse: bool) -> dict:
        return {
            "type": "frame",
            "seq": request["seq"],
            "width": frame["width"],
            "height": frame["height"],
            "mime": frame["mime"],
            "final": final,
            "coarse": coarse,
            "render_ms": round(frame["render_ms"], 1),
            "style": request["style"],
        }

    def _wants_coarse(self, request: dict, lane) -> bool:
        """A coarse frame first when this style's full frame is slow here (or not made yet: the
        first render of a style builds its layers) and a second preview worker is idle, so it
        costs the full frame nothing but a share of an idle core."""
        coarse_above = self.settings.preview_coarse_above_ms
        if coarse_above < 0 or lane.backlog > 0:
            return False
        if self.full_ms.get(request["style"], float("inf")) <= coarse_above:
            return False
        idle = [w for w in lane.workers if w.ready and w.alive and w.task is None]
        return len(idle) >= 2  # one for the full frame, one for the coarse

    async def _send_coarse(self, request: dict, coarse: asyncio.Future, final: asyncio.Future) -> bool:
        """Send the coarse frame if it is ready before the full one; False when the socket is gone."""
        await asyncio.wait({coarse, final}, return_when=asyncio.FIRST_COMPLETED)
        if final.done() or coarse.cancelled() or coarse.exception() is not None:
            return True  # the full frame is ready (or the small one failed): it alone is sent
        frame = coarse.result()
        header = self._header(request, frame, final=False, coarse=True)
        header["server_ms"] = round((time.perf_counter() - request["at"]) * 1000, 1)
        try:
            await self.socket.send_bytes(pack(header, frame["data"]))
        except (WebSocketDisconnect, RuntimeError, OSError):
            return False
        return True


def _seq(msg: dict) -> int | None:
    seq = msg.get("seq")
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else None


@websocket("/ws/preview")
async def preview_socket(socket: WebSocket) -> None:
    user = await authenticate(socket)
    if user is None:
        return
    session = PreviewSession(socket, user, socket.app.state)
    try:
        await session.run()
    except WebSocketDisconnect:
        pass
    finally:
        session.close()
