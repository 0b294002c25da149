"""The browser's login: HttpOnly, SameSite=Lax cookies holding the access and refresh tokens.

Pages never see tokens in JavaScript. An expired access cookie is renewed from the refresh
cookie (rotating it) while a page loads, so a tab left open a day still works.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import Cookie

from app.auth import services
from app.auth.deps import ACCESS_COOKIE, REFRESH_COOKIE
from app.auth.schemas import Tokens
from app.auth.tables import User
from app.lib.errors import DomainError
from app.lib.settings import get_settings


def auth_cookies(tokens: Tokens) -> list[Cookie]:
    s = get_settings()
    common: dict[str, Any] = {"path": "/", "httponly": True, "samesite": "lax"}
    return [
        Cookie(key=ACCESS_COOKIE, value=tokens.access_token, max_age=s.access_token_expire_minutes * 60, **common),
        Cookie(key=REFRESH_COOKIE, value=tokens.refresh_token, max_age=s.refresh_token_expire_days * 86400, **common),
    ]


def cleared_cookies() -> list[Cookie]:
    return [
        Cookie(key=k, value="", max_age=0, path="/", httponly=True, samesite="lax")
        for k in (ACCESS_COOKIE, REFRESH_COOKIE)
    ]


async def web_user(request: Request) -> User | None:
    """The logged-in user of a page request, renewing the access cookie when needed."""
    token = request.cookies.get(ACCESS_COOKIE)
    if token:
        try:
            return await services.user_from_access(token)
        except DomainError:
            pass
    refresh = request.cookies.get(REFRESH_COOKIE)
    if not refresh:
        return None
    try:
        tokens = await services.refresh(refresh)
    except DomainError:
        return None
    request.state.new_cookies = auth_cookies(tokens)
    return await services.user_from_access(tokens.access_token)


def pending_cookies(request: Request) -> list[Cookie]:
    return getattr(request.state, "new_cookies", [])
