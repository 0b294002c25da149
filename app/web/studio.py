"""Studio pages: Toonify (live preview), gallery, job detail and dashboard."""

from __future__ import annotations

import contextlib
import json

import msgspec
from litestar import Controller, delete, get, post
from litestar.exceptions import NotFoundException
from litestar.plugins.htmx import HTMXRequest, HTMXTemplate
from litestar.response import File, Response

import effects
from app.auth.tables import User
from app.jobs import services as jobs
from app.jobs.controllers import UPLOAD_BODY_LIMIT
from app.lib.errors import DomainError
from app.lib.objects import get_store
from app.lib.settings import get_settings

from . import drafts, stats, thumbs
from .pages import LOGIN_REQUIRED, PRIVATE, page

PER_PAGE = 12
STATE_KEYS = {"photo", "style", "render", "job"}


class StudioPages(Controller):
    include_in_schema = False

    @get("/toonify", **LOGIN_REQUIRED)
    async def toonify_page(self, request: HTMXRequest, user: User) -> HTMXTemplate:
        """The studio; its state comes from the URL: photo (a stored photo or a job's original),
        style, one query value per parameter, and render (the job being rendered). `job` (from
        the gallery's Tweak) opens a job's original with its style and settings."""
        query = request.query_params
        style, values, photo, render = _style(query.get("style")), {}, None, None
        if job_id := query.get("job"):
            try:
                row = await jobs.get_owned(user, job_id)
                photo = {"kind": "job", "id": str(row.uuid), "name": row.original_filename}
                style, values = str(row.style), jobs.params_of(row)
            except DomainError:
                pass
        if photo_id := query.get("photo"):
            if draft := await drafts.find(user, photo_id):
                photo = {"kind": "draft", "id": draft["id"], "name": draft["name"]}
            else:
                try:
                    row = await jobs.get_owned(user, photo_id)
                    photo = {"kind": "job", "id": str(row.uuid), "name": row.original_filename}
                except DomainError:
                    pass
        if photo and (render_id := query.get("render")):
            with contextlib.suppress(DomainError):
                render = jobs.to_schema(await jobs.get_owned(user, render_id))
        if not values:
            values = _values_from_query(style, {k: v for k, v in query.items() if k not in STATE_KEYS})
        return page(
            request,
            "toonify.html",
            user=user,
            styles=effects.STYLES,
            thumb=thumbs.url,
            style=style,
            spec=_spec(style),
            values={**effects.defaults(style), **values},
            photo=photo,
            render=render,
            max_bytes=get_settings().max_file_bytes,
        )

    @get("/toonify/controls")
    async def controls(self, request: HTMXRequest, style: str = effects.STYLES[0]) -> HTMXTemplate:
        style = _style(style)
        return page(request, "_controls.html", style=style, spec=_spec(style), values=effects.defaults(style))

    @post("/toonify/photo", request_max_body_size=UPLOAD_BODY_LIMIT, **LOGIN_REQUIRED)
    async def put_photo(self, request: HTMXRequest, user: User, name: str = "photo") -> Response:
        """Keep a photo put into the studio (raw body) so a reload can bring it back."""
        try:
            key = await drafts.save(user, await request.body(), name)
        except DomainError as exc:
            return Response({"message": exc.message}, status_code=exc.status, headers=PRIVATE)
        return Response({"photo": key}, status_code=201, headers=PRIVATE)

    @get("/toonify/photo/{photo_id:str}", **LOGIN_REQUIRED)
    async def get_photo(self, user: User, photo_id: str) -> Response:
        draft = await drafts.find(user, photo_id)
        if draft is None:
            raise NotFoundException("No such photo.")
        try:
            return await get_store().download(
                drafts.key_of(user, draft), None, headers={"Cache-Control": "private, max-age=3600"}
            )
        except DomainError:  # named in the index, gone from storage
            raise NotFoundException("No such photo.") from None

    @get("/styles/{name:str}")
    async def style_thumbnail(self, name: str) -> File:
        try:
            style = effects.style_name(name.removesuffix(".jpg"))
        except effects.UnknownStyle:
            raise NotFoundException("No such style.") from None
        return File(
            path=await thumbs.thumbnail_path(style),
            media_type="image/jpeg",
            content_disposition_type="inline",
            headers={"Cache-Control": "public, max-age=31536000, immutable"},
        )

    @get("/gallery", **LOGIN_REQUIRED)
    async def gallery_page(self, request: HTMXRequest, user: User) -> HTMXTemplate:
        result = await jobs.list_page(user, 1, PER_PAGE)
        return page(request, "gallery.html", user=user, result=result)

    @get("/gallery/items", **LOGIN_REQUIRED)
    async def gallery_items(self, request: HTMXRequest, user: User, page_no: int = 1) -> HTMXTemplate:
        result = await jobs.list_page(user, max(1, page_no), PER_PAGE)
        return page(request, "_gallery_items.html", user=user, result=result)

    @get("/gallery/{job_id:str}", **LOGIN_REQUIRED)
    async def job_page(self, request: HTMXRequest, user: User, job_id: str) -> HTMXTemplate:
        try:
            job = jobs.to_schema(await jobs.get_owned(user, job_id))
        except DomainError:
            return page(request, "not_found.html", user=user, status=404)
        return page(request, "job.html", user=user, job=job)

    @delete("/gallery/{job_id:str}", status_code=200, **LOGIN_REQUIRED)
    async def delete_job(self, request: HTMXRequest, user: User, job_id: str) -> HTMXTemplate:
        try:
            await jobs.delete(await jobs.get_owned(user, job_id))
        except DomainError as exc:
            if exc.code != "not_found":  # a storage fault must be seen; a job already gone is fine
                raise
        # the card is replaced by nothing; the count beside the title follows (out of band)
        return page(request, "_gallery_count.html", total=await jobs.count_for(user), oob=True, trigger="job-deleted")

    @get("/dashboard", **LOGIN_REQUIRED)
    async def dashboard_page(self, request: HTMXRequest, user: User) -> HTMXTemplate:
        numbers = await stats.for_user(user, payments=get_settings().payments_enabled)
        return page(request, "dashboard.html", user=user, stats=numbers, stats_json=json.dumps(numbers))


def _style(raw: str | None) -> str:
    try:
        return effects.style_name(raw or "")
    except effects.UnknownStyle:
        return effects.STYLES[0]


def _values_from_query(style: str, query: dict) -> dict:
    """Parameter values from the URL, each checked by the style's spec; a bad one is dropped."""
    values = {}
    for p in effects.params(style):
        raw = query.get(p.name)
        if raw is None:
            continue
        value = raw
        try:
            if p.type == "bool":
                value = raw in ("true", "1", "on")
            elif p.type == "int":
                value = int(raw)
            elif p.type == "float":
                value = float(raw)
            effects.validate(style, {p.name: value})
        except (ValueError, effects.EffectsError):
            continue
        values[p.name] = value
    return values


def _spec(style: str) -> list[dict]:
    return [msgspec.to_builtins(p) for p in effects.params(style)]
