"""Who is calling: the access token from the Authorization header or the web login cookie."""

from __future__ import annotations

from litestar.connection import ASGIConnection

from app.lib.errors import unauthorized

from . import services
from .tables import User

ACCESS_COOKIE = "toonify_access"
REFRESH_COOKIE = "toonify_refresh"


def token_from(connection: ASGIConnection, allow_query: bool = False) -> str | None:
    header = connection.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    if allow_query and connection.query_params.get("token"):
        return connection.query_params.get("token")
    return connection.cookies.get(ACCESS_COOKIE)


async def provide_user(request: ASGIConnection) -> User:
    token = token_from(request)
    if not token:
        raise unauthorized()
    return await services.user_from_access(token)
