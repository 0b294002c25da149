"""/ws/jobs/{uuid}: status, progress and growing frames of one job, for its owner only."""

from __future__ import annotations

import asyncio
import json

import anyio
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from app.jobs import services as jobs
from app.jobs.events import JobEvents
from app.jobs.runner import status_event
from app.jobs.tables import JobStatus
from app.lib import storage
from app.lib.errors import DomainError
from app.lib.settings import get_settings
from effects import io

from .frames import error, pack
from .handshake import CLOSE_NOT_FOUND, authenticate

TERMINAL = {JobStatus.DONE.value, JobStatus.FAILED.value}


async def _final_frame(job) -> bytes | None:
    """The finished result as a frame: its standard-definition copy (at most 1024 px)."""
    path = storage.sd_path(str(job.uuid), job.original_path)
    try:
        data = await anyio.to_thread.run_sync(path.read_bytes)
    except FileNotFoundError:
        return None
    w, h = io.header_size(data)
    header = {
        "type": "frame",
        "job": str(job.uuid),
        "width": w,
        "height": h,
        "mime": storage.mime_of(path),
        "final": True,
        "render_ms": job.render_ms,
    }
    return pack(header, data)


async def _finish(socket: WebSocket, job) -> None:
    await socket.send_text(json.dumps(status_event(str(job.uuid), str(job.status), job.progress, job.error_message)))
    if str(job.status) == JobStatus.DONE.value:
        frame = await _final_frame(job)
        if frame:
            await socket.send_bytes(frame)
    await socket.close(code=1000)


async def _drain(socket: WebSocket) -> None:
    """Read (and ignore) what the client sends, so a disconnect is noticed at once."""
    try:
        while True:
            event = await socket.receive()
            if event["type"] == "websocket.disconnect":
                return
    except WebSocketDisconnect:
        return


@websocket("/ws/jobs/{job_id:str}")
async def job_socket(socket: WebSocket, job_id: str, events: JobEvents) -> None:
    user = await authenticate(socket)
    if user is None:
        return
    try:
        job = await jobs.get_owned(user, job_id)
    except DomainError:
        await socket.send_text(json.dumps(error("not_found", "No such job.")))
        await socket.close(code=CLOSE_NOT_FOUND, reason="not found")
        return
    key = str(job.uuid)
    follower = events.follow(key)  # before re-reading the row, so no event falls in between
    reader = asyncio.create_task(_drain(socket))
    try:
        job = await jobs.reload(job)
        if str(job.status) in TERMINAL:
            await _finish(socket, job)
            return
        await socket.send_text(json.dumps(status_event(key, str(job.status), job.progress)))
        timeout = get_settings().ws_idle_timeout
        while not reader.done():
            waiter = asyncio.ensure_future(follower.next())
            done, _ = await asyncio.wait({waiter, reader}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if waiter not in done:
                waiter.cancel()
                if not done:  # nothing happened for a long time
                    await socket.close(code=1001, reason="idle")
                return
            event = waiter.result()
            if event["type"] == "frame":
                # events are shared by every follower: read them, never change them
                header = {k: v for k, v in event.items() if k != "data"}
                await socket.send_bytes(pack({**header, "render_ms": None}, event["data"]))
            elif event["status"] in TERMINAL:
                await _finish(socket, await jobs.reload(job))
                return
            else:
                await socket.send_text(json.dumps(event))
    except (WebSocketDisconnect, DomainError, RuntimeError, OSError):
        pass  # the client left, or the job was deleted while followed
    finally:
        events.unfollow(key, follower)
        reader.cancel()
