"""Batch pages: the "New batch" form and a batch's live progress."""

from __future__ import annotations

import msgspec
from litestar import Controller, get
from litestar.di import Provide
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

import effects
from app.auth.tables import User
from app.lib.errors import DomainError
from app.lib.settings import get_settings
from app.web.pages import LoginRequired, page, provide_web_user, to_login

from . import services


class BatchPages(Controller):
    include_in_schema = False
    # every page here needs a login (the pages' LOGIN_REQUIRED, spelled out for the type checker)
    dependencies = {"user": Provide(provide_web_user)}
    exception_handlers = {LoginRequired: to_login}

    @get("/batch")
    async def new_batch_page(self, request: HTMXRequest, user: User) -> Template:
        s = get_settings()
        return page(
            request,
            "batch.html",
            user=user,
            batch=None,
            limits={"photos": s.batch_max_photos, "mb": s.batch_max_mb, "file_mb": s.max_file_size_mb},
        )

    @get("/batch/{batch_id:str}")
    async def batch_page(self, request: HTMXRequest, user: User, batch_id: str) -> Template:
        try:
            batch = await services.to_schema(await services.get_owned(user, batch_id))
        except DomainError:
            return page(request, "not_found.html", user=user, status=404)
        return page(
            request,
            "batch.html",
            user=user,
            batch=batch,
            batch_json=msgspec.json.encode(batch).decode().replace("</", "<\\/"),  # safe inside <script>
            style_label=effects.label(batch.style) if batch.style in effects.STYLES else batch.style,
        )
