"""The API-token section of the account page (loaded into account.html by htmx)."""

from __future__ import annotations

import contextlib

from litestar import Controller, get, post
from litestar.di import Provide
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from app.auth.tables import User
from app.lib.errors import DomainError
from app.web.pages import LoginRequired, page, provide_web_user, to_login

from . import services


class TokenPages(Controller):
    path = "/account/tokens"
    include_in_schema = False
    # every page here needs a login (the pages' LOGIN_REQUIRED, spelled out for the type checker)
    dependencies = {"user": Provide(provide_web_user)}
    exception_handlers = {LoginRequired: to_login}

    async def _section(self, request: HTMXRequest, user: User, **extra) -> Template:
        tokens = await services.list_for(user)
        return page(request, "_account_tokens.html", user=user, tokens=tokens, **extra)

    @get("/")
    async def tokens_section(self, request: HTMXRequest, user: User) -> Template:
        return await self._section(request, user)

    @post("/")
    async def create_token(self, request: HTMXRequest, user: User) -> Template:
        form = await request.form()
        name, scope = str(form.get("name", "")).strip(), form.get("scope", "read")
        if not name or len(name) > 100:
            return await self._section(request, user, error="Give the token a name of up to 100 characters.")
        if scope not in ("read", "write"):
            return await self._section(request, user, error="Choose read or write.")
        try:
            created = await services.create(user, name, scope)
        except DomainError as exc:
            return await self._section(request, user, error=exc.message)
        return await self._section(request, user, created=created)

    @post("/{token_id:str}/revoke")
    async def revoke_token(self, request: HTMXRequest, user: User, token_id: str) -> Template:
        with contextlib.suppress(DomainError):  # already gone: the list shows the truth either way
            await services.revoke(user, token_id)
        return await self._section(request, user, ok="Token revoked.")
