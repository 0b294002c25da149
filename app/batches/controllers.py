"""/batches endpoints."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.openapi.spec import Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.response import Stream

from app.auth.deps import provide_user
from app.auth.tables import User
from app.jobs import services as jobs
from app.jobs.schemas import Job
from app.lib.errors import DomainError
from app.lib.inputs import read_form
from app.lib.settings import get_settings
from app.presets import services as presets
from app.render.base import Renderer
from app.render.pool import Pool
from app.server import openapi

from . import services
from .schemas import Batch, BatchCreated

# the body limit is the batch limit plus room for the multipart framing and other fields
BATCH_BODY_LIMIT = get_settings().batch_max_bytes + 1024 * 1024


class BatchController(Controller):
    path = "/batches"
    tags = ["batches"]
    dependencies = {"user": Provide(provide_user)}
    security = openapi.LOGIN

    @post(
        "/",
        status_code=202,
        request_max_body_size=BATCH_BODY_LIMIT,
        summary="Upload several photos in one style (multipart: files (repeated), style, params JSON or preset)",
        operation_class=openapi.body(
            {
                "multipart/form-data": openapi.render_form(
                    {"files": Schema(type=OpenAPIType.ARRAY, items=openapi.BINARY)}, ["files"]
                )
            },
            "The photos (one `files` part each, up to TOONIFY_BATCH_MAX_PHOTOS), the style, and its "
            "parameters as JSON or a preset.",
        ),
    )
    async def create_batch(self, request: Request, user: User, runner: Renderer) -> BatchCreated:
        try:
            form = await read_form(request)
        except DomainError as exc:
            if exc.code != "file_too_large":
                raise
            raise DomainError(
                "batch_too_large", f"The batch is too large: its photos may add up to {get_settings().batch_max_mb} MB."
            ) from None
        files = [f for f in form.getall("files") if isinstance(f, UploadFile)] if "files" in form else []
        services.check_limits(files)
        style, params, preset = await presets.choose(user, form.get("style"), form.get("params"), form.get("preset"))
        return await services.create(user, files, style, params, preset, runner)

    @get("/{batch_id:str}", summary="A batch: status, counts and every job")
    async def get_batch(self, user: User, batch_id: str) -> Batch:
        return await services.to_schema(await services.get_owned(user, batch_id))

    @get("/{batch_id:str}/zip", summary="Download every finished picture of the batch as one zip (streamed)")
    async def get_zip(self, user: User, batch_id: str) -> Stream:
        batch, entries = await services.zip_of(user, batch_id)
        name = f"toonify-batch-{str(batch.uuid)[:8]}.zip"
        return Stream(
            services.stream_zip(entries),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"},
        )

    @post("/{batch_id:str}/jobs/{job_id:str}/retry", status_code=202, summary="Queue a failed photo again")
    async def retry_job(self, user: User, batch_id: str, job_id: str, pool: Pool, runner: Renderer) -> Job:
        return jobs.to_schema(await services.retry(user, batch_id, job_id, pool, runner))
