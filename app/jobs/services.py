"""Job records: create from an upload, find (owner only), list, delete."""

from __future__ import annotations

import json
import pathlib
import uuid

import anyio

import effects
from effects import io
from app.auth.tables import User
from app.lib import storage
from app.lib.errors import ApiError, bad_request, from_effects, not_found
from app.lib.settings import get_settings

from .schemas import Job, JobLinks, JobPage
from .tables import ImageJob, JobStatus, JobStyle

THUMB_SIDE = 360


def parse_style(raw: str | None) -> str:
    if not raw:
        raise ApiError(422, "invalid_style", f"Choose a style: {', '.join(effects.STYLES)}.")
    try:
        return effects.style_name(raw)
    except effects.UnknownStyle as exc:
        raise from_effects(exc) from None


def parse_params(style: str, raw: str | dict | None) -> dict:
    if raw in (None, ""):
        values = {}
    elif isinstance(raw, dict):
        values = raw
    else:
        try:
            values = json.loads(raw)
        except (json.JSONDecodeError, TypeError):
            raise ApiError(422, "invalid_params", 'params must be a JSON object, e.g. {"colors": 8}.') from None
    try:
        return effects.validate(style, values)
    except effects.EffectsError as exc:
        raise from_effects(exc) from None


def check_upload(data: bytes, filename: str) -> str:
    """Cheap checks on the event loop (no pixel decoding): size, format, header size, truncation.
    Returns the sniffed format."""
    s = get_settings()
    if len(data) > s.max_file_bytes:
        raise ApiError(413, "file_too_large", f"The file is larger than the {s.max_file_size_mb} MB limit.")
    ext = pathlib.PurePath(filename or "").suffix.lower().lstrip(".")
    if ext and ext not in s.allowed_extensions:
        raise ApiError(415, "unsupported_type", f"{ext.upper()} files are not supported: upload JPEG, PNG or WebP.")
    try:
        fmt = io.inspect(data, s.max_image_pixels)
    except effects.InvalidImage as exc:
        raise from_effects(exc) from None
    if fmt.replace("jpeg", "jpg") not in s.allowed_extensions and fmt not in s.allowed_extensions:
        raise ApiError(415, "unsupported_type", f"{fmt.upper()} uploads are turned off on this server.")
    return fmt


def safe_filename(name: str | None) -> str:
    """A display name only: path parts and control characters removed."""
    base = pathlib.PurePath((name or "").replace("\\", "/")).name
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|:*?')[:200]
    return cleaned or "photo"


async def create(user: User, data: bytes, filename: str, style: str, params: dict, pool) -> ImageJob:
    """Check the upload's headers, store it, then insert the QUEUED row. Any failure removes
    what was written: no half-made job.

    The pixels are decoded once, by the job (app/lib/tasks.py: render_job), which also writes the
    original's thumbnail; a file whose headers pass but whose image data does not decode ends
    as a FAILED job. `pool` is kept for callers; nothing here runs in it any more.
    """
    fmt = check_upload(data, filename)
    job_uuid = str(uuid.uuid4())
    path = storage.original_path(job_uuid, fmt)
    paths = storage.all_paths(job_uuid, str(path))
    try:
        width, height = io.upright_size(data, get_settings().max_image_pixels)
        await anyio.to_thread.run_sync(io.write_atomic, path, data)
        size = {"width": width, "height": height}
        job = ImageJob(
            uuid=uuid.UUID(job_uuid),
            user=user.id,
            original_filename=safe_filename(filename),
            original_path=str(path),
            style=JobStyle(style.upper()).value,
            params_json=json.dumps(params),
            status=JobStatus.QUEUED.value,
            width=size["width"],
            height=size["height"],
            original_bytes=len(data),
        )
        await job.save()
    except effects.EffectsError as exc:
        storage.remove(paths)
        raise from_effects(exc) from None
    except BaseException:
        storage.remove(paths)
        raise
    return job


async def get_owned(user: User, job_uuid: str) -> ImageJob:
    """The caller's job, or 404 exactly as for a job that does not exist."""
    try:
        key = uuid.UUID(str(job_uuid))
    except ValueError:
        raise not_found() from None
    job = await ImageJob.objects().where((ImageJob.uuid == key) & (ImageJob.user == user.id)).first()
    if job is None:
        raise not_found()
    return job


async def list_page(user: User, page: int, per_page: int) -> JobPage:
    if page < 1 or not 1 <= per_page <= 100:
        raise bad_request("page must be 1 or more and per_page between 1 and 100.")
    total = await ImageJob.count().where(ImageJob.user == user.id)
    rows = await (
        ImageJob.objects()
        .where(ImageJob.user == user.id)
        .order_by(ImageJob.created_at, ascending=False)
        .order_by(ImageJob.id, ascending=False)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return JobPage([to_schema(j) for j in rows], total, page, per_page, max(1, -(-total // per_page)))


async def delete(job: ImageJob) -> None:
    await ImageJob.delete().where(ImageJob.id == job.id)
    storage.remove(storage.all_paths(str(job.uuid), job.original_path))


def params_of(job: ImageJob) -> dict:
    raw = job.params_json
    return json.loads(raw) if isinstance(raw, str) else dict(raw or {})


def to_schema(job: ImageJob) -> Job:
    u = str(job.uuid)
    links = JobLinks(
        f"/images/{u}", f"/images/{u}/original", f"/images/{u}/processed", f"/images/{u}/thumbnail", f"/ws/jobs/{u}"
    )
    copied = {name: getattr(job, name) for name in _SAME_NAMED}
    return Job(
        uuid=u, style=_plain(job.style).lower(), params=params_of(job), status=_plain(job.status), links=links, **copied
    )


# Job fields that are the table's columns under the same name
_SAME_NAMED = tuple(f for f in Job.__struct_fields__ if f not in {"uuid", "style", "params", "status", "links"})


def _plain(value) -> str:
    """Enum members and the strings read back from the database alike."""
    return getattr(value, "value", value)
