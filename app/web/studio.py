"""Studio pages: Toonify (live preview), gallery, job detail and dashboard."""

from __future__ import annotations

import json

import msgspec
from litestar import Controller, Request, delete, get
from litestar.response import Response, Template

import effects
from app.auth.tables import User
from app.jobs import services as jobs
from app.lib.errors import DomainError
from app.lib.settings import get_settings

from . import stats
from .pages import LOGIN_REQUIRED, page
from .session import pending_cookies

PER_PAGE = 12


class StudioPages(Controller):
    include_in_schema = False

    @get("/toonify", **LOGIN_REQUIRED)
    async def toonify_page(self, request: Request, user: User, job: str | None = None) -> Template:
        reopen, style, values = None, "cartoon", {}
        if job:
            try:
                row = await jobs.get_owned(user, job)
                reopen, style, values = str(row.uuid), str(row.style), jobs.params_of(row)
            except DomainError:
                pass
        return page(
            request,
            "toonify.html",
            user=user,
            styles=effects.STYLES,
            style=style,
            spec=_spec(style),
            values={**effects.defaults(style), **values},
            reopen=reopen,
            max_bytes=get_settings().max_file_bytes,
        )

    @get("/toonify/controls")
    async def controls(self, request: Request, style: str = "cartoon") -> Template:
        try:
            style = effects.style_name(style)
        except effects.UnknownStyle:
            style = "cartoon"
        return page(request, "_controls.html", style=style, spec=_spec(style), values=effects.defaults(style))

    @get("/gallery", **LOGIN_REQUIRED)
    async def gallery_page(self, request: Request, user: User) -> Template:
        result = await jobs.list_page(user, 1, PER_PAGE)
        return page(request, "gallery.html", user=user, result=result)

    @get("/gallery/items", **LOGIN_REQUIRED)
    async def gallery_items(self, request: Request, user: User, page_no: int = 1) -> Template:
        result = await jobs.list_page(user, max(1, page_no), PER_PAGE)
        return page(request, "_gallery_items.html", user=user, result=result)

    @get("/gallery/{job_id:str}", **LOGIN_REQUIRED)
    async def job_page(self, request: Request, user: User, job_id: str) -> Template:
        try:
            job = jobs.to_schema(await jobs.get_owned(user, job_id))
        except DomainError:
            return page(request, "not_found.html", user=user, status=404)
        return page(request, "job.html", user=user, job=job)

    @delete("/gallery/{job_id:str}", status_code=200, **LOGIN_REQUIRED)
    async def delete_job(self, request: Request, user: User, job_id: str) -> Response:
        try:
            await jobs.delete(await jobs.get_owned(user, job_id))
        except DomainError:
            pass  # already gone: the card disappears either way
        return Response(
            "", media_type="text/html", headers={"HX-Trigger": "job-deleted"}, cookies=pending_cookies(request)
        )

    @get("/dashboard", **LOGIN_REQUIRED)
    async def dashboard_page(self, request: Request, user: User) -> Template:
        numbers = await stats.for_user(user, payments=get_settings().payments_enabled)
        return page(request, "dashboard.html", user=user, stats=numbers, stats_json=json.dumps(numbers))


def _spec(style: str) -> list[dict]:
    return [msgspec.to_builtins(p) for p in effects.params(style)]
