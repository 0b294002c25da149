"""/users/me/tokens: personal API tokens for scripts."""

from __future__ import annotations

from litestar import Controller, Request, delete, get, post
from litestar.di import Provide

from app.auth.deps import provide_user
from app.auth.tables import User
from app.lib.errors import DomainError
from app.server import openapi

from . import services
from .schemas import TokenCreate, TokenCreated, TokenOut


def _not_by_token(request: Request) -> None:
    """Tokens are managed with a login (password), never with another token: a leaked token
    must not be able to mint itself a successor."""
    if getattr(request.state, "api_token", None) is not None:
        raise DomainError(
            "login_required",
            "API tokens cannot create or revoke tokens. Log in with your password (or use the account page).",
        )


class TokenController(Controller):
    path = "/users/me/tokens"
    tags = ["tokens"]
    dependencies = {"user": Provide(provide_user)}
    security = openapi.LOGIN

    @post("/", status_code=201, summary="Create an API token (the secret is shown only in this answer)")
    async def create_token(self, request: Request, user: User, data: TokenCreate) -> TokenCreated:
        _not_by_token(request)
        return await services.create(user, data.name, data.scope)

    @get("/", summary="Your API tokens (without their secrets)")
    async def list_tokens(self, user: User) -> list[TokenOut]:
        return await services.list_for(user)

    @delete("/{token_id:str}", status_code=204, summary="Revoke an API token")
    async def revoke_token(self, request: Request, user: User, token_id: str) -> None:
        _not_by_token(request)
        await services.revoke(user, token_id)
