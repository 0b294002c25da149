"""/auth and /users endpoints."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.di import Provide

from . import services
from .deps import provide_user
from .schemas import Login, PasswordChange, RefreshRequest, Tokens, UserCreate, UserOut, UserUpdate
from .tables import User


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post("/register", status_code=201, summary="Create an account")
    async def register_user(self, data: UserCreate) -> UserOut:
        return services.user_out(await services.register(data.email, data.password, data.full_name))

    @post("/login", status_code=200, summary="Log in: access and refresh tokens")
    async def login(self, data: Login) -> Tokens:
        return await services.issue_tokens(await services.login(data.email, data.password))

    @post("/refresh", status_code=200, summary="Rotate a refresh token")
    async def refresh_tokens(self, data: RefreshRequest) -> Tokens:
        return await services.refresh(data.refresh_token)


class UserController(Controller):
    path = "/users"
    tags = ["users"]
    dependencies = {"user": Provide(provide_user)}

    @get("/me", summary="Your profile")
    async def get_me(self, user: User) -> UserOut:
        return services.user_out(user)

    @put("/me", summary="Update your profile")
    async def update_me(self, user: User, data: UserUpdate) -> UserOut:
        return services.user_out(await services.update_profile(user, data.full_name, data.email))

    @post("/me/change-password", status_code=204, summary="Change your password (old tokens stop working)")
    async def change_password(self, user: User, data: PasswordChange) -> None:
        await services.change_password(user, data.current_password, data.new_password)
