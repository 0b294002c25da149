"""Websocket handshakes: who is connecting, and refusing cross-site cookie use."""

from __future__ import annotations

from litestar import WebSocket

from app.auth import services
from app.auth.deps import ACCESS_COOKIE, API_TOKEN_PREFIX, same_origin, token_from
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
        if token.startswith(API_TOKEN_PREFIX):  # personal API token: read-only ones may only follow jobs
            from app.tokens import services as api_tokens

            user, row = await api_tokens.authenticate(token)
            if not api_tokens.can_write(row) and not socket.scope["path"].startswith("/ws/jobs/"):
                await socket.close(code=CLOSE_FORBIDDEN_ORIGIN, reason="read-only API token")
                return None
            return user
        return await services.user_from_access(token)
    except DomainError:
        await socket.close(code=CLOSE_UNAUTHORIZED, reason="invalid or expired token")
        return None
