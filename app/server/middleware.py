"""ASGI middleware: a request id for every request, a deadline for request bodies, and a note
when the client went away (so a dropped upload is one quiet log line, not a traceback)."""

from __future__ import annotations

import time
import uuid

import anyio
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from app.lib.errors import DomainError
from app.lib.logs import request_id
from app.lib.settings import get_settings


class BodyTooSlow(DomainError):
    def __init__(self, seconds: int):
        super().__init__("request_timeout", f"The request body did not arrive within {seconds} seconds.")


def request_guard(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["request_id"] = uuid.uuid4().hex[:12]
        request_id.set(state["request_id"])  # for every log line of this request (app/lib/logs.py)
        if scope["type"] == "websocket":
            await app(scope, receive, send)
            return
        s = get_settings()
        # a batch upload (app/batches) carries up to batch_max_mb of photos: it gets longer
        seconds = s.batch_body_timeout if scope["path"].rstrip("/") == "/batches" else s.body_timeout
        deadline: float | None = None
        body_done = False

        async def guarded() -> ReceiveMessage:
            # Slowloris: the whole body must arrive within `seconds` of asking for it. After
            # the body, receive() only waits for a disconnect, which may take any time.
            nonlocal deadline, body_done
            if body_done:
                message = await receive()
            else:
                deadline = deadline or time.monotonic() + seconds
                with anyio.move_on_after(max(0.0, deadline - time.monotonic())) as scope_:
                    message = await receive()
                if scope_.cancelled_caught:
                    raise BodyTooSlow(seconds)
                if message["type"] == "http.request" and not message.get("more_body", False):
                    body_done = True
            if message["type"] == "http.disconnect":
                state["client_gone"] = True
            return message

        await app(scope, guarded, send)

    return middleware


def metrics_middleware(app: ASGIApp) -> ASGIApp:
    """Request latency by route template (never the raw path: ids would explode the labels)."""
    from app.lib.metrics import REQUEST_SECONDS, WS_SESSIONS

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            kind = "jobs" if scope["path"].startswith("/ws/jobs") else "preview"
            WS_SESSIONS.labels(kind).inc()
            try:
                await app(scope, receive, send)
            finally:
                WS_SESSIONS.labels(kind).dec()
            return
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = {"code": 500}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await app(scope, receive, sending)
        finally:
            route = scope.get("path_template") or "unmatched"  # set by Litestar's router before middleware
            REQUEST_SECONDS.labels(str(route), str(scope.get("method")), str(status["code"])).observe(
                time.perf_counter() - t0
            )

    return middleware
