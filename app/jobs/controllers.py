"""/images endpoints."""

from __future__ import annotations

import pathlib

from litestar import Controller, Request, delete, get, post
from litestar.di import Provide
from litestar.response import File

from app.auth.deps import provide_user
from app.auth.tables import User
from app.lib import storage
from app.lib.errors import DomainError, bad_request
from app.lib.inputs import PageNumber, PerPage, read_form, upload_of
from app.lib.settings import get_settings
from app.presets import services as presets
from app.server import openapi

from . import services
from .deps import provide_owned_job
from .runner import JobRunner
from .schemas import Job, JobPage
from .tables import ImageJob, JobStatus

# the body limit is the file limit plus room for the other form fields
UPLOAD_BODY_LIMIT = get_settings().max_file_bytes + 256 * 1024


class ImageController(Controller):
    path = "/images"
    tags = ["images"]
    dependencies = {"user": Provide(provide_user), "job": Provide(provide_owned_job)}
    security = openapi.LOGIN

    @post(
        "/transform",
        status_code=202,
        request_max_body_size=UPLOAD_BODY_LIMIT,
        summary="Upload a photo and render it (multipart: file, style, and params as JSON or a preset)",
        operation_class=openapi.body(
            {"multipart/form-data": openapi.render_form({"file": openapi.BINARY}, ["file"])},
            "The photo (JPEG, PNG or WebP), the style, and its parameters as JSON or a preset.",
        ),
    )
    async def create_job(self, request: Request, user: User, runner: JobRunner) -> Job:
        form = await read_form(request)
        upload = upload_of(form, "file")
        style, params, _ = await presets.choose(user, form.get("style"), form.get("params"), form.get("preset"))
        data = await upload.read()
        job = await services.create(user, data, upload.filename, style, params)
        runner.submit(str(job.uuid))
        return services.to_schema(job)

    @get("/", summary="Your jobs, newest first")
    async def list_jobs(self, user: User, page: PageNumber = 1, per_page: PerPage = 20) -> JobPage:
        return await services.list_page(user, page, per_page)

    @get("/{job_id:str}", summary="One job")
    async def get_job(self, job: ImageJob) -> Job:
        return services.to_schema(job)

    @get("/{job_id:str}/original", summary="Download the uploaded photo")
    async def get_original(self, job: ImageJob) -> File:
        return _file(job.original_path, job.original_filename)

    @get("/{job_id:str}/thumbnail", summary="A small picture for the gallery")
    async def get_thumbnail(self, job: ImageJob, kind: str = "auto") -> File:
        done = str(job.status) == JobStatus.DONE.value
        which = "result" if (kind == "result" or (kind == "auto" and done)) else "original"
        path = storage.thumb_path(str(job.uuid), which)
        if not path.exists():
            raise DomainError("not_ready", "The result is not ready yet.")
        return File(
            path=path,
            media_type="image/jpeg",
            content_disposition_type="inline",
            headers={"Cache-Control": "private, max-age=3600"},
        )

    @get("/{job_id:str}/processed", summary="Download the result (size=hd for full size when payments are on)")
    async def get_processed(self, job: ImageJob, size: str = "auto") -> File:
        status = str(job.status)
        if status != JobStatus.DONE.value:
            reason = job.error_message if status == JobStatus.FAILED.value else f"it is {status.lower()}"
            raise DomainError("not_ready", f"The result is not available: {reason}.")
        if size not in ("auto", "hd", "sd"):
            raise bad_request("size must be hd or sd.")
        sd = size == "sd" or (get_settings().payments_enabled and not job.is_hd_unlocked)
        name = f"toonify-{job.style}-{'sd' if sd else 'hd'}-{services.safe_filename(job.original_filename)}"
        path = job.output_path
        if get_settings().payments_enabled and not job.is_hd_unlocked:
            if size == "hd":
                raise DomainError("payment_required", "Unlock HD for this picture to download it at full size.")
            path = str(storage.sd_path(str(job.uuid), job.original_path))
        elif size == "sd":
            path = str(storage.sd_path(str(job.uuid), job.original_path))
        return _file(path, name)

    @delete("/{job_id:str}", status_code=204, summary="Delete a job and its files")
    async def delete_job(self, job: ImageJob) -> None:
        await services.delete(job)


def _file(path: str, filename: str) -> File:
    if not path or not pathlib.Path(path).is_file():  # e.g. a batch photo refused before it was stored
        raise DomainError("not_found", "This file is not stored on the server.")
    return File(path=path, filename=filename, media_type=storage.mime_of(path))
