"""Account pages: log in, register, log out, profile and password."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, get, post
from litestar.response import Redirect, Response, Template

from app.auth import services as auth
from app.auth.deps import REFRESH_COOKIE, client_address
from app.auth.schemas import Email, Password
from app.auth.tables import RefreshToken, User
from app.lib.errors import DomainError

from .pages import LOGIN_REQUIRED, go, page
from .session import auth_cookies, cleared_cookies, web_user


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
                await auth.login(values["email"], values["password"], client_address(request))
                return go(request, "/toonify", auth_cookies(await auth.issue_tokens(user)))
            except DomainError as exc:
                errors["email" if exc.code == "email_taken" else "form"] = exc.message
        values.pop("password"), values.pop("confirm")
        return page(request, "_register_form.html", errors=errors, values=values)

    @post("/logout")
    async def logout(self, request: Request) -> Response:
        refresh = request.cookies.get(REFRESH_COOKIE)
        if refresh:
            try:
                claims = auth.security.decode(refresh, "refresh")
                await RefreshToken.update({RefreshToken.revoked: True}).where(RefreshToken.family == claims.get("fam"))
            except DomainError:
                pass
        return go(request, "/login", cleared_cookies())

    @get("/account", **LOGIN_REQUIRED)
    async def account_page(self, request: Request, user: User) -> Template:
        return page(request, "account.html", user=user, profile={}, password={})

    @post("/account/profile", **LOGIN_REQUIRED)
    async def account_profile(self, request: Request, user: User) -> Template:
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
            except DomainError as exc:
                result["error"] = exc.message
        return page(request, "_account_profile.html", user=user, profile=result)

    @post("/account/password", **LOGIN_REQUIRED)
    async def account_password(self, request: Request, user: User) -> Template:
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
            except DomainError as exc:
                result["error"] = exc.message
        return page(request, "_account_password.html", user=user, password=result, cookies=cookies)
