"""Account pages: log in, register, log out, profile and password."""

from __future__ import annotations

import typing

import msgspec
from litestar import Controller, get, post
from litestar.plugins.htmx import HTMXRequest, HTMXTemplate
from litestar.response import Redirect, Response

from app.auth import services as auth
from app.auth.deps import REFRESH_COOKIE, client_address
from app.auth.schemas import Email, Name, Password
from app.auth.tables import User
from app.lib.errors import DomainError

from .pages import LOGIN_REQUIRED, PRIVATE, go, page
from .session import auth_cookies, cleared_cookies, web_user


def _meta(kind) -> msgspec.Meta:
    return next(m for m in typing.get_args(kind)[1:] if isinstance(m, msgspec.Meta))


def _check(kind, value: str) -> str | None:
    """Validate one field with the API's own rules (app/auth/schemas.py); a message for a
    person, or None. The limits in the messages are read from those rules."""
    try:
        msgspec.convert(value, kind)
        return None
    except msgspec.ValidationError:
        meta = _meta(kind)
        if kind is Email:
            return "Enter an email address like name@example.com."
        if meta.min_length and len(value) < meta.min_length:
            return f"Use at least {meta.min_length} characters."
        return f"Keep it under {meta.max_length} characters."


def password_hint() -> str:
    return f"At least {_meta(Password).min_length} characters."


def _safe_next(url: str | None) -> str:
    return url if url and url.startswith("/") and not url.startswith("//") else "/toonify"


class AccountPages(Controller):
    include_in_schema = False

    @get("/")
    async def home(self, request: HTMXRequest) -> Redirect:
        return Redirect("/toonify" if await web_user(request) else "/login", status_code=303, headers=PRIVATE)

    @get("/login")
    async def login_page(self, request: HTMXRequest, next: str | None = None) -> HTMXTemplate | Redirect:
        if await web_user(request):
            return Redirect(_safe_next(next), status_code=303, headers=PRIVATE)
        return page(request, "login.html", next=_safe_next(next), errors={}, values={})

    @post("/login")
    async def login_submit(self, request: HTMXRequest) -> HTMXTemplate | Response:
        form = await request.form()
        email, password = form.get("email", "").strip(), form.get("password", "")
        errors = {}
        if not email:
            errors["email"] = "Enter your email address."
        if not password:
            errors["password"] = "Enter your password."  # noqa: S105 (a message, not a secret)
        if not errors:
            try:
                user = await auth.login(email, password, client_address(request))
                tokens = await auth.issue_tokens(user)
                return go(request, _safe_next(form.get("next")), auth_cookies(tokens))
            except DomainError as exc:
                errors["form"] = exc.message
        return page(
            request,
            "_login_form.html",
            status=200,
            errors=errors,
            values={"email": email},
            next=_safe_next(form.get("next")),
        )

    @get("/register")
    async def register_page(self, request: HTMXRequest) -> HTMXTemplate | Redirect:
        if await web_user(request):
            return Redirect("/toonify", status_code=303, headers=PRIVATE)
        return page(request, "register.html", errors={}, values={}, hint=password_hint())

    @post("/register")
    async def register_submit(self, request: HTMXRequest) -> HTMXTemplate | Response:
        form = await request.form()
        values = {k: form.get(k, "") for k in ("email", "full_name", "password", "confirm")}
        errors = {}
        if message := _check(Email, values["email"].strip()):
            errors["email"] = message
        if message := _check(Password, values["password"]):
            errors["password"] = message
        elif values["password"] != values["confirm"]:
            errors["confirm"] = "The passwords do not match."
        if message := _check(Name, values["full_name"]):
            errors["full_name"] = message
        if not errors:
            try:
                user = await auth.register(values["email"], values["password"], values["full_name"])
                await auth.login(values["email"], values["password"], client_address(request))
                return go(request, "/toonify", auth_cookies(await auth.issue_tokens(user)))
            except DomainError as exc:
                errors["email" if exc.code == "email_taken" else "form"] = exc.message
        values.pop("password"), values.pop("confirm")
        return page(request, "_register_form.html", errors=errors, values=values, hint=password_hint())

    @post("/logout")
    async def logout(self, request: HTMXRequest) -> Response:
        await auth.revoke_refresh(request.cookies.get(REFRESH_COOKIE))
        return go(request, "/login", cleared_cookies())

    @get("/account", **LOGIN_REQUIRED)
    async def account_page(self, request: HTMXRequest, user: User) -> HTMXTemplate:
        return page(request, "account.html", user=user, profile={}, password={}, hint=password_hint())

    @post("/account/profile", **LOGIN_REQUIRED)
    async def account_profile(self, request: HTMXRequest, user: User) -> HTMXTemplate:
        form = await request.form()
        name, email = form.get("full_name", "").strip(), form.get("email", "").strip()
        result = {}
        if message := _check(Email, email) or _check(Name, name):
            result["error"] = message
        else:
            try:
                user = await auth.update_profile(user, name, email)
                result["ok"] = "Profile saved."
            except DomainError as exc:
                result["error"] = exc.message
        return page(request, "_account_profile.html", user=user, profile=result)

    @post("/account/password", **LOGIN_REQUIRED)
    async def account_password(self, request: HTMXRequest, user: User) -> HTMXTemplate:
        form = await request.form()
        current, new, confirm = form.get("current_password", ""), form.get("new_password", ""), form.get("confirm", "")
        result, cookies = {}, []
        if message := _check(Password, new):
            result["error"] = f"The new password: {message[0].lower()}{message[1:]}"
        elif new != confirm:
            result["error"] = "The new passwords do not match."
        else:
            try:
                await auth.change_password(user, current, new)
                user = await auth.reload_user(user)
                # every other session was signed out; keep this browser logged in
                cookies = auth_cookies(await auth.issue_tokens(user))
                result["ok"] = "Password changed. Other devices have been signed out."
            except DomainError as exc:
                result["error"] = exc.message
        return page(
            request, "_account_password.html", user=user, password=result, cookies=cookies, hint=password_hint()
        )
