"""Share links: the owner's API and the public page."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.di import Provide
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Response, Template

import effects
from app.auth.deps import provide_user
from app.auth.tables import User
from app.jobs import services as jobs
from app.lib.objects import get_store
from app.render.pool import Pool
from app.server import openapi
from app.web.pages import page

from . import services
from .schemas import ShareCreate, ShareOut

# a share page must not leak its token to other sites, nor be indexed
PUBLIC_HEADERS = {"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow", "Cache-Control": "no-cache"}


def _base(request: HTMXRequest) -> str:
    return str(request.base_url).rstrip("/")


class ShareController(Controller):
    tags = ["shares"]
    dependencies = {"user": Provide(provide_user)}
    security = openapi.LOGIN

    @post("/images/{job_id:str}/share", status_code=201, summary="Create a public link to a finished picture")
    async def create_share(
        self, request: HTMXRequest, user: User, job_id: str, pool: Pool, data: ShareCreate | None = None
    ) -> ShareOut:
        days = data.expires_in_days if data else None
        return await services.create(user, job_id, days, _base(request), pool)

    @get("/images/{job_id:str}/shares", summary="The picture's live share links")
    async def list_shares(self, request: HTMXRequest, user: User, job_id: str) -> list[ShareOut]:
        return await services.list_for_job(user, job_id, _base(request))

    @delete("/shares/{share_id:str}", status_code=204, summary="Revoke a share link (its page is gone at once)")
    async def revoke_share(self, user: User, share_id: str) -> None:
        await services.revoke(user, share_id)


class SharePages(Controller):
    """Public: no login. Only the shared picture, before and after; nothing about its owner."""

    path = "/s"
    include_in_schema = False

    @get("/{token:str}")
    async def share_page(self, request: HTMXRequest, token: str) -> Template:
        found = await services.resolve(token)
        if found is None:
            return page(request, "share.html", status=404, missing=True, headers=PUBLIC_HEADERS)
        share, job = found
        await services.count_view(share)
        base = _base(request) + services.public_path(share.token)
        hd = bool(job.is_hd_unlocked)
        width, height = (job.output_width, job.output_height) if hd else _sd_size(job)
        style = effects.label(str(job.style)) if str(job.style) in effects.STYLES else str(job.style)
        return page(
            request,
            "share.html",
            missing=False,
            style=style,
            title=f"{'An' if style[0].lower() in 'aeiou' else 'A'} {style.lower()} picture",
            page_url=base,
            image_url=f"{base}/{services.image_name(job)}",
            before_url=f"{base}/before.jpg",
            width=width,
            height=height,
            headers=PUBLIC_HEADERS,
        )

    @get("/{token:str}/{name:str}")
    async def share_file(self, token: str, name: str) -> Response:
        found = await services.resolve(token)
        if found is not None:
            _, job = found
            keys = jobs.keys_of(job)
            if name == services.image_name(job):
                key = keys.result if job.is_hd_unlocked else keys.sd
            elif name == "before.jpg":
                key = keys.thumb("before")
            else:
                key = None
            if key and await get_store().exists(key):
                return await get_store().download(key, None, headers=PUBLIC_HEADERS)
        return Response("Not found", status_code=404, media_type="text/plain", headers=PUBLIC_HEADERS)


def _sd_size(job) -> tuple[int, int]:
    from app.lib.settings import get_settings

    w, h, side = job.output_width, job.output_height, get_settings().sd_max_side
    scale = min(1.0, side / max(w, h, 1))
    return max(1, round(w * scale)), max(1, round(h * scale))
