"""Server-rendered pages (Jinja + htmx). Forms answer with fragments for htmx, or redirects."""

from __future__ import annotations

import json
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.datastructures import Cookie
from litestar.di import Provide
from litestar.response import Redirect, Response, Template

import effects
from app.auth import services as auth
from app.auth.deps import REFRESH_COOKIE
from app.auth.schemas import Email, Password
from app.auth.tables import RefreshToken, User
from app.jobs import services as jobs
from app.lib.errors import ApiError
from app.lib.settings import get_settings

from . import stats
from .session import auth_cookies, cleared_cookies, pending_cookies, web_user

PER_PAGE = 12


def page(request: Request, name: str, user: User | None = None, status: int = 200,
         cookies: list[Cookie] | None = None, headers: dict | None = None, **context) -> Template:
    s = get_settings()
    context.update(user=user, max_mb=s.max_file_size_mb, payments=s.payments_enabled, price=price_label(),
                   path=request.url.path, htmx=request.headers.get("hx-request") == "true")
    return Template(template_name=name, context=context, status_code=status,
                    cookies=(cookies or []) + pending_cookies(request), headers=headers or {})


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


def _check(kind, value) -> str | None:
    """Validate one field with the API's own rules; a message for a person, or None."""
    try:
        msgspec.convert(value, kind)
        return None
    except msgspec.ValidationError:
        return None if kind is not Email else "Enter an email address like name@example.com."


def _safe_next(url: str | None) -> str:
    return url if url and url.startswith("/") and not url.startswith("//") else "/toonify"


class AccountPages(Controller):
    include_in_schema = False

    @get("/")
    async def home(self, request: Request) -> Redirect:
        return Redirect("/toonify" if await web_user(request) else "/login", status_code=303)

    @get("/login")
    async def login_page(self, request: Request, next: str | None = None) -> Template | Redirect:
        if await web_user(request):
            return Redirect(_safe_next(next), status_code=303)
        return page(request, "login.html", next=_safe_next(next), errors={}, values={})

    @post("/login")
    async def login_submit(self, request: Request) -> Template | Response:
        form = await request.form()
        email, password = form.get("email", "").strip(), form.get("password", "")
        errors = {}
        if not email:
            errors["email"] = "Enter your email address."
        if not password:
            errors["password"] = "Enter your password."
        if not errors:
            try:
                user = await auth.login(email, password)
                tokens = await auth.issue_tokens(user)
                return go(request, _safe_next(form.get("next")), auth_cookies(tokens))
            except ApiError as exc:
                errors["form"] = exc.message
        return page(request, "_login_form.html", status=200, errors=errors, values={"email": email},
                    next=_safe_next(form.get("next")))

    @get("/register")
    async def register_page(self, request: Request) -> Template:
        return page(request, "register.html", errors={}, values={})

    @post("/register")
    async def register_submit(self, request: Request) -> Template | Response:
        form = await request.form()
        values = {k: form.get(k, "") for k in ("email", "full_name", "password", "confirm")}
        errors = {}
        if message := _check(Email, values["email"].strip()):
            errors["email"] = message
        if len(values["password"]) < 8:
            errors["password"] = "Use at least 8 characters."
        elif values["password"] != values["confirm"]:
            errors["confirm"] = "The passwords do not match."
        if len(values["full_name"]) > 200:
            errors["full_name"] = "Keep your name under 200 characters."
        if not errors:
            try:
                user = await auth.register(values["email"], values["password"], values["full_name"])
                await auth.login(values["email"], values["password"])
                return go(request, "/toonify", auth_cookies(await auth.issue_tokens(user)))
            except ApiError as exc:
                errors["email" if exc.code == "email_taken" else "form"] = exc.message
        values.pop("password"), values.pop("confirm")
        return page(request, "_register_form.html", errors=errors, values=values)

    @post("/logout")
    async def logout(self, request: Request) -> Response:
        refresh = request.cookies.get(REFRESH_COOKIE)
        if refresh:
            try:
                claims = auth.security.decode(refresh, "refresh")
                await RefreshToken.update({RefreshToken.revoked: True}).where(
                    RefreshToken.family == claims.get("fam"))
            except ApiError:
                pass
        return go(request, "/login", cleared_cookies())

    @get("/account", **LOGIN_REQUIRED)
    async def account_page(self, request: Request, user: User) -> Template | Redirect:
        return page(request, "account.html", user=user, profile={}, password={})

    @post("/account/profile", **LOGIN_REQUIRED)
    async def account_profile(self, request: Request, user: User) -> Template | Redirect:
        form = await request.form()
        name, email = form.get("full_name", "").strip(), form.get("email", "").strip()
        result = {}
        if message := _check(Email, email):
            result["error"] = message
        elif len(name) > 200:
            result["error"] = "Keep your name under 200 characters."
        else:
            try:
                user = await auth.update_profile(user, name, email)
                result["ok"] = "Profile saved."
            except ApiError as exc:
                result["error"] = exc.message
        return page(request, "_account_profile.html", user=user, profile=result)

    @post("/account/password", **LOGIN_REQUIRED)
    async def account_password(self, request: Request, user: User) -> Template | Redirect:
        form = await request.form()
        current, new, confirm = form.get("current_password", ""), form.get("new_password", ""), form.get("confirm", "")
        result, cookies = {}, []
        if _check(Password, new) is not None or len(new) < 8:
            result["error"] = "The new password needs at least 8 characters."
        elif new != confirm:
            result["error"] = "The new passwords do not match."
        else:
            try:
                await auth.change_password(user, current, new)
                user = await User.objects().where(User.id == user.id).first()
                # every other session was signed out; keep this browser logged in
                cookies = auth_cookies(await auth.issue_tokens(user))
                result["ok"] = "Password changed. Other devices have been signed out."
            except ApiError as exc:
                result["error"] = exc.message
        return page(request, "_account_password.html", user=user, password=result, cookies=cookies)


class StudioPages(Controller):
    include_in_schema = False

    @get("/toonify", **LOGIN_REQUIRED)
    async def toonify_page(self, request: Request, user: User, job: str | None = None) -> Template | Redirect:
        reopen, style, values = None, "cartoon", {}
        if job:
            try:
                row = await jobs.get_owned(user, job)
                reopen, style, values = str(row.uuid), str(row.style).lower(), jobs.params_of(row)
            except ApiError:
                pass
        return page(request, "toonify.html", user=user, styles=effects.STYLES, style=style,
                    spec=_spec(style), values={**effects.defaults(style), **values}, reopen=reopen,
                    max_bytes=get_settings().max_file_bytes)

    @get("/toonify/controls")
    async def controls(self, request: Request, style: str = "cartoon") -> Template:
        try:
            style = effects.style_name(style)
        except effects.UnknownStyle:
            style = "cartoon"
        return page(request, "_controls.html", style=style, spec=_spec(style), values=effects.defaults(style))

    @get("/gallery", **LOGIN_REQUIRED)
    async def gallery_page(self, request: Request, user: User) -> Template | Redirect:
        result = await jobs.list_page(user, 1, PER_PAGE)
        return page(request, "gallery.html", user=user, result=result)

    @get("/gallery/items", **LOGIN_REQUIRED)
    async def gallery_items(self, request: Request, user: User, page_no: int = 1) -> Template | Redirect:
        result = await jobs.list_page(user, max(1, page_no), PER_PAGE)
        return page(request, "_gallery_items.html", user=user, result=result)

    @get("/gallery/{job_id:str}", **LOGIN_REQUIRED)
    async def job_page(self, request: Request, user: User, job_id: str) -> Template | Redirect:
        try:
            job = jobs.to_schema(await jobs.get_owned(user, job_id))
        except ApiError:
            return page(request, "not_found.html", user=user, status=404)
        return page(request, "job.html", user=user, job=job)

    @delete("/gallery/{job_id:str}", status_code=200, **LOGIN_REQUIRED)
    async def delete_job(self, request: Request, user: User, job_id: str) -> Response:
        try:
            await jobs.delete(await jobs.get_owned(user, job_id))
        except ApiError:
            pass  # already gone: the card disappears either way
        return Response("", media_type="text/html", headers={"HX-Trigger": "job-deleted"},
                        cookies=pending_cookies(request))

    @get("/dashboard", **LOGIN_REQUIRED)
    async def dashboard_page(self, request: Request, user: User) -> Template | Redirect:
        numbers = await stats.for_user(user, payments=get_settings().payments_enabled)
        return page(request, "dashboard.html", user=user, stats=numbers, stats_json=json.dumps(numbers))


def _spec(style: str) -> list[dict]:
    return [msgspec.to_builtins(p) for p in effects.params(style)]
