"""Shared helpers of the server-rendered pages: rendering, navigation, the login gate."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request
from litestar.datastructures import Cookie
from litestar.di import Provide
from litestar.plugins.htmx import ClientRedirect, HTMXRequest, HTMXTemplate
from litestar.response import Redirect, Response

import effects
from app.auth.tables import User
from app.lib.settings import get_settings

from . import thumbs
from .session import pending_cookies, web_user

# pages behind the login are never stored by the browser or a proxy: Back after logging out
# asks the server again (and lands on the login page) instead of showing a private page
PRIVATE = {"Cache-Control": "no-store"}


def page(
    request: HTMXRequest,
    name: str,
    user: User | None = None,
    status: int = 200,
    cookies: list[Cookie] | None = None,
    headers: dict | None = None,
    trigger: str | None = None,
    **context,
) -> HTMXTemplate:
    s = get_settings()
    context.update(
        user=user,
        max_mb=s.max_file_size_mb,
        payments=s.payments_enabled,
        price=price_label(),
        path=request.url.path,
        htmx=bool(request.htmx),
        label=style_label,
        styles=effects.STYLES,
        thumb=thumbs.url,
    )
    # the login and register forms are not private, but a stored copy would be shown by Back
    # after logging in: no page is worth caching, all are cheap to render
    return HTMXTemplate(
        template_name=name,
        context=context,
        status_code=status,
        cookies=(cookies or []) + pending_cookies(request),
        headers={**PRIVATE, **(headers or {})},
        trigger_event=trigger,
        after="receive" if trigger else None,
    )


def style_label(style: str) -> str:
    """The name people read for a style (a style since removed keeps a readable name)."""
    try:
        return effects.label(style)
    except effects.UnknownStyle:
        return str(style).replace("_", " ").capitalize()


def price_label() -> str:
    s = get_settings()
    return f"{s.hd_price_cents / 100:.2f} {s.currency.upper()}"


def go(request: HTMXRequest, url: str, cookies: list[Cookie] | None = None) -> Response:
    """Navigate: a client redirect for htmx requests, a 303 for plain form posts."""
    cookies = (cookies or []) + pending_cookies(request)
    if request.htmx:
        response = ClientRedirect(url)
        response.status_code = 200  # htmx acts on redirects in 2xx answers; a POST would default to 201
        response.cookies.extend(cookies)
        response.headers.update(PRIVATE)
        return response
    return Redirect(url, status_code=303, cookies=cookies, headers=PRIVATE)


class LoginRequired(Exception):
    """Raised by `provide_web_user`; the pages answer it with a redirect to the login page."""


async def provide_web_user(request: Request) -> User:
    user = await web_user(request)
    if user is None:
        raise LoginRequired()
    return user


def to_login(request: Request, exc: Exception | None = None) -> Response:
    if request.method != "GET":
        return Response(
            "Your session has expired. Please log in again.", status_code=401, media_type="text/plain", headers=PRIVATE
        )
    return Redirect(f"/login?next={quote(request.url.path)}", status_code=303, headers=PRIVATE)


LOGIN_REQUIRED: dict[str, Any] = {
    "dependencies": {"user": Provide(provide_web_user)},
    "exception_handlers": {LoginRequired: to_login},
}
