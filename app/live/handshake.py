"""Websocket handshakes: who is connecting, and refusing cross-site cookie use."""

from __future__ import annotations

from urllib.parse import urlparse

from litestar import WebSocket

from app.auth import services
from app.auth.deps import ACCESS_COOKIE, token_from
from app.auth.tables import User
from app.lib.errors import ApiError
from app.lib.settings import get_settings

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN_ORIGIN = 4403
CLOSE_NOT_FOUND = 4404


def same_site_origin(socket: WebSocket) -> bool:
    """A browser always sends Origin; a cookie may only be used from our own pages."""
    origin = socket.headers.get("origin")
    if origin is None:
        return True  # not a browser: the cookie cannot have been attached by a foreign page
    host = socket.headers.get("host", "")
    parsed = urlparse(origin)
    return parsed.netloc == host or origin.rstrip("/") in {o.rstrip("/") for o in get_settings().cors_origins}


async def authenticate(socket: WebSocket) -> User | None:
    """Accept the socket and return its user, or close it (4401 / 4403) and return None."""
    token = token_from(socket, allow_query=True)
    by_cookie = token is not None and token == socket.cookies.get(ACCESS_COOKIE) \
        and not socket.headers.get("authorization") and not socket.query_params.get("token")
    await socket.accept()
    if by_cookie and not same_site_origin(socket):
        await socket.close(code=CLOSE_FORBIDDEN_ORIGIN, reason="cross-site websocket refused")
        return None
    if not token:
        await socket.close(code=CLOSE_UNAUTHORIZED, reason="authentication required")
        return None
    try:
        return await services.user_from_access(token)
    except ApiError:
        await socket.close(code=CLOSE_UNAUTHORIZED, reason="invalid or expired token")
        return None
