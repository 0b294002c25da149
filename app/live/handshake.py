"""Websocket handshakes: who is connecting, and refusing cross-site cookie use."""

from __future__ import annotations

from litestar import WebSocket

from app.auth import services
from app.auth.deps import ACCESS_COOKIE, same_origin, token_from
from app.auth.tables import User
from app.lib.errors import DomainError

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN_ORIGIN = 4403
CLOSE_NOT_FOUND = 4404


async def authenticate(socket: WebSocket) -> User | None:
    """Accept the socket and return its user, or close it (4401 / 4403) and return None."""
    token = token_from(socket, allow_query=True)
    by_cookie = (
        token is not None
        and token == socket.cookies.get(ACCESS_COOKIE)
        and not socket.headers.get("authorization")
        and not socket.query_params.get("token")
    )
    await socket.accept()
    if by_cookie and not same_origin(socket):
        await socket.close(code=CLOSE_FORBIDDEN_ORIGIN, reason="cross-site websocket refused")
        return None
    if not token:
        await socket.close(code=CLOSE_UNAUTHORIZED, reason="authentication required")
        return None
    try:
        return await services.user_from_access(token)
    except DomainError:
        await socket.close(code=CLOSE_UNAUTHORIZED, reason="invalid or expired token")
        return None
