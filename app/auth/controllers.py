"""/auth and /users endpoints."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.di import Provide

from app.lib.errors import bad_request
from app.lib.inputs import parse_json, read_form
from app.server import openapi

from . import services
from .deps import client_address, provide_user
from .schemas import Login, PasswordChange, RefreshRequest, Tokens, UserCreate, UserOut, UserUpdate
from .tables import User


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post("/register", status_code=201, summary="Create an account")
    async def register_user(self, data: UserCreate) -> UserOut:
        return services.user_out(await services.register(data.email, data.password, data.full_name))

    @post(
        "/login",
        status_code=200,
        summary="Log in: access and refresh tokens (JSON, or a form with username)",
        operation_class=openapi.body(
            {
                "application/json": openapi.form(
                    {"email": openapi.TEXT, "password": openapi.TEXT}, ["email", "password"]
                ),
                "application/x-www-form-urlencoded": openapi.form(
                    {"username": openapi.TEXT, "password": openapi.TEXT}, ["username", "password"]
                ),
            },
            "The email and password, as JSON or as an OAuth2 password form.",
        ),
    )
    async def login(self, request: Request) -> Tokens:
        data = await _login_body(request)
        user = await services.login(data.email, data.password, client_address(request))
        return await services.issue_tokens(user)

    @post("/refresh", status_code=200, summary="Rotate a refresh token")
    async def refresh_tokens(self, data: RefreshRequest) -> Tokens:
        return await services.refresh(data.refresh_token)


class UserController(Controller):
    path = "/users"
    tags = ["users"]
    security = openapi.LOGIN
    dependencies = {"user": Provide(provide_user)}

    @get("/me", summary="Your profile")
    async def get_me(self, user: User) -> UserOut:
        return services.user_out(user)

    @put("/me", summary="Update your profile")
    async def update_me(self, user: User, data: UserUpdate) -> UserOut:
        return services.user_out(await services.update_profile(user, data.full_name, data.email))

    @post("/me/change-password", status_code=200, summary="Change your password (old tokens stop working)")
    async def change_password(self, user: User, data: PasswordChange) -> dict:
        await services.change_password(user, data.current_password, data.new_password)
        return {"message": "Password changed. Log in again with the new password."}


async def _login_body(request: Request) -> Login:
    """JSON {"email", "password"}, or an OAuth2-style form (username or email, password)."""
    if request.content_type[0].startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await read_form(request)
        email, password = form.get("email") or form.get("username"), form.get("password")
        if not isinstance(email, str) or not isinstance(password, str):
            raise bad_request("Send email (or username) and password.")
        raw: object = {"email": email, "password": password}
    else:
        raw = parse_json(await request.body(), "The login body")
    try:
        return msgspec.convert(raw, Login)
    except msgspec.ValidationError as exc:
        raise bad_request(f"Send email and password as text ({exc}).") from None
