"""Shared helpers of the server-rendered pages: rendering, navigation, the login gate."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Request
from litestar.datastructures import Cookie
from litestar.di import Provide
from litestar.response import Redirect, Response, Template

from app.auth.tables import User
from app.lib.settings import get_settings

from .session import pending_cookies, web_user


def page(
    request: Request,
    name: str,
    user: User | None = None,
    status: int = 200,
    cookies: list[Cookie] | None = None,
    headers: dict | None = None,
    **context,
) -> Template:
    s = get_settings()
    context.update(
        user=user,
        max_mb=s.max_file_size_mb,
        payments=s.payments_enabled,
        price=price_label(),
        path=request.url.path,
        htmx=request.headers.get("hx-request") == "true",
    )
    return Template(
        template_name=name,
        context=context,
        status_code=status,
        cookies=(cookies or []) + pending_cookies(request),
        headers=headers or {},
    )


def price_label() -> str:
    s = get_settings()
    return f"{s.hd_price_cents / 100:.2f} {s.currency.upper()}"


def go(request: Request, url: str, cookies: list[Cookie] | None = None) -> Response:
    """Navigate: HX-Redirect for htmx requests, a 303 for plain form posts."""
    cookies = (cookies or []) + pending_cookies(request)
    if request.headers.get("hx-request") == "true":
        return Response(b"", headers={"HX-Redirect": url}, cookies=cookies)
    return Redirect(url, status_code=303, cookies=cookies)


class LoginRequired(Exception):
    """Raised by `provide_web_user`; the pages answer it with a redirect to the login page."""


async def provide_web_user(request: Request) -> User:
    user = await web_user(request)
    if user is None:
        raise LoginRequired()
    return user


def to_login(request: Request, exc: Exception | None = None) -> Response:
    if request.method != "GET":
        return Response("Your session has expired. Please log in again.", status_code=401, media_type="text/plain")
    return Redirect(f"/login?next={quote(request.url.path)}", status_code=303)


LOGIN_REQUIRED = {"dependencies": {"user": Provide(provide_web_user)}, "exception_handlers": {LoginRequired: to_login}}
