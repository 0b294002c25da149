"""Who is calling: the access token from the Authorization header or the web login cookie."""

from __future__ import annotations

from urllib.parse import urlparse

from litestar.connection import ASGIConnection

from app.lib import ratelimit
from app.lib.errors import DomainError, unauthorized
from app.lib.logs import user_id
from app.lib.settings import get_settings

from . import services
from .tables import User

ACCESS_COOKIE = "toonify_access"
REFRESH_COOKIE = "toonify_refresh"
API_TOKEN_PREFIX = "tfy_"  # noqa: S105 (a prefix, not a secret)


def token_from(connection: ASGIConnection, allow_query: bool = False) -> str | None:
    header = connection.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    if allow_query and connection.query_params.get("token"):
        return connection.query_params.get("token")
    return connection.cookies.get(ACCESS_COOKIE)


SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def client_address(connection: ASGIConnection) -> str:
    """The peer's address (the service is reached directly or through a proxy that speaks for it)."""
    return connection.client.host if connection.client else "-"


def same_origin(connection: ASGIConnection) -> bool:
    """True unless the browser says the request comes from another site: by Origin, or when a
    browser sends no Origin, by Referer. A request with neither is not from a web page."""
    source = connection.headers.get("origin") or connection.headers.get("referer")
    if not source or source == "null":
        return source != "null"
    parsed = urlparse(source)
    here = f"{parsed.scheme}://{parsed.netloc}"
    allowed = {o.rstrip("/") for o in get_settings().cors_origins}
    return parsed.netloc == connection.headers.get("host", "") or here in allowed


async def provide_user(request: ASGIConnection) -> User:
    token = token_from(request)
    if not token:
        raise unauthorized()
    by_cookie = not request.headers.get("authorization")
    # the login cookie is ambient: a foreign page must not be able to spend it (CSRF)
    if by_cookie and request.scope.get("method") not in SAFE_METHODS and not same_origin(request):
        raise DomainError("forbidden", "Cross-site requests with the login cookie are not allowed.")
    if token.startswith(API_TOKEN_PREFIX):  # a personal API token (app/tokens), not a login JWT
        from app.tokens import services as api_tokens

        user, row = await api_tokens.authenticate(token)
        request.state.api_token = row
        user_id.set(str(user.uuid))
        await _count_request(request, user)
        if not api_tokens.can_write(row) and request.scope.get("method") not in SAFE_METHODS:
            raise api_tokens.read_only_error()
        return user
    user = await services.user_from_access(token)
    user_id.set(str(user.uuid))  # for the request's log lines (app/lib/logs.py)
    await _count_request(request, user)
    return user


async def _count_request(connection: ASGIConnection, user: User) -> None:
    """Every HTTP request a user makes counts against their per-minute limit; a websocket counts
    once, when it opens (its messages are previews, not requests)."""
    if connection.scope["type"] == "http":
        await ratelimit.spend(ratelimit.REQUESTS, str(user.uuid))
