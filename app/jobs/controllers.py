"""/images endpoints."""

from __future__ import annotations

from litestar import Controller, Request, delete, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.response import File

from app.auth.deps import provide_user
from app.auth.tables import User
from app.lib import storage
from app.lib.errors import ApiError, bad_request
from app.lib.settings import get_settings

from . import services
from .schemas import Job, JobPage
from .tables import JobStatus

# the body limit is the file limit plus room for the other form fields
UPLOAD_BODY_LIMIT = get_settings().max_file_bytes + 256 * 1024


class ImageController(Controller):
    path = "/images"
    tags = ["images"]
    dependencies = {"user": Provide(provide_user)}

    @post(
        "/transform",
        status_code=202,
        request_max_body_size=UPLOAD_BODY_LIMIT,
        summary="Upload a photo and render it (multipart: file, style, params as JSON)",
    )
    async def create_job(self, request: Request, user: User) -> Job:
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise bad_request("Attach the photo as the multipart field 'file'.", "missing_file")
        style = services.parse_style(form.get("style"))
        params = services.parse_params(style, form.get("params"))
        data = await upload.read()
        job = await services.create(user, data, upload.filename, style, params, request.app.state.pool)
        request.app.state.runner.submit(str(job.uuid))
        return services.to_schema(job)

    @get("/", summary="Your jobs, newest first")
    async def list_jobs(self, user: User, page: int = 1, per_page: int = 20) -> JobPage:
        return await services.list_page(user, page, per_page)

    @get("/{job_id:str}", summary="One job")
    async def get_job(self, user: User, job_id: str) -> Job:
        return services.to_schema(await services.get_owned(user, job_id))

    @get("/{job_id:str}/original", summary="Download the uploaded photo")
    async def get_original(self, user: User, job_id: str) -> File:
        job = await services.get_owned(user, job_id)
        return _file(job.original_path, job.original_filename)

    @get("/{job_id:str}/thumbnail", summary="A small picture for the gallery")
    async def get_thumbnail(self, user: User, job_id: str, kind: str = "auto") -> File:
        job = await services.get_owned(user, job_id)
        done = str(job.status) == JobStatus.DONE.value
        which = "result" if (kind == "result" or (kind == "auto" and done)) else "original"
        path = storage.thumb_path(str(job.uuid), which)
        if not path.exists():
            raise ApiError(409, "not_ready", "The result is not ready yet.")
        return File(
            path=path,
            media_type="image/jpeg",
            content_disposition_type="inline",
            headers={"Cache-Control": "private, max-age=3600"},
        )

    @get("/{job_id:str}/processed", summary="Download the result (size=hd for full size when payments are on)")
    async def get_processed(self, user: User, job_id: str, size: str = "auto") -> File:
        job = await services.get_owned(user, job_id)
        status = str(job.status)
        if status != JobStatus.DONE.value:
            reason = job.error_message if status == JobStatus.FAILED.value else f"it is {status.lower()}"
            raise ApiError(409, "not_ready", f"The result is not available: {reason}.")
        if size not in ("auto", "hd", "sd"):
            raise bad_request("size must be hd or sd.")
        sd = size == "sd" or (get_settings().payments_enabled and not job.is_hd_unlocked)
        name = f"toonify-{job.style.lower()}-{'sd' if sd else 'hd'}-{services.safe_filename(job.original_filename)}"
        path = job.output_path
        if get_settings().payments_enabled and not job.is_hd_unlocked:
            if size == "hd":
                raise ApiError(402, "payment_required", "Unlock HD for this picture to download it at full size.")
            path = str(storage.sd_path(str(job.uuid), job.original_path))
        elif size == "sd":
            path = str(storage.sd_path(str(job.uuid), job.original_path))
        return _file(path, name)

    @delete("/{job_id:str}", status_code=204, summary="Delete a job and its files")
    async def delete_job(self, user: User, job_id: str) -> None:
        await services.delete(await services.get_owned(user, job_id))


def _file(path: str, filename: str) -> File:
    return File(path=path, filename=filename, media_type=storage.mime_of(path))
