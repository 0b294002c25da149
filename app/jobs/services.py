"""Job records: create from an upload, find (owner only), list, delete."""

from __future__ import annotations

import json
import pathlib
import uuid

import anyio

import effects
from app.auth.tables import User
from app.lib import ratelimit, storage
from app.lib.errors import DomainError, bad_request, from_effects, not_found
from app.lib.inputs import MAX_PAGE, parse_json
from app.lib.objects import JobKeys, get_store
from app.lib.settings import get_settings
from effects import io

from .schemas import Job, JobLinks, JobPage
from .tables import ImageJob, JobStatus

THUMB_SIDE = 360


def parse_style(raw: str | None) -> str:
    if not raw:
        raise DomainError("invalid_style", f"Choose a style: {', '.join(effects.STYLES)}.")
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
        values = parse_json(raw, "params", code="invalid_params", example=' Send a JSON object, e.g. {"colors": 8}.')
    try:
        return effects.validate(style, values)
    except effects.EffectsError as exc:
        raise from_effects(exc) from None


def check_upload(data: bytes, filename: str) -> str:
    """Cheap checks on the event loop (no pixel decoding): size, format, header size, truncation.
    Returns the sniffed format."""
    s = get_settings()
    if not data:
        raise DomainError("empty_file", "The file is empty: choose a photo.")
    if len(data) > s.max_file_bytes:
        raise DomainError("file_too_large", f"The file is larger than the {s.max_file_size_mb} MB limit.")
    ext = pathlib.PurePath(filename or "").suffix.lower().lstrip(".")
    if ext and ext not in s.allowed_extensions:
        raise DomainError("unsupported_type", f"{ext.upper()} files are not supported: upload JPEG, PNG or WebP.")
    try:
        fmt = io.inspect(data, s.max_image_pixels)
    except effects.InvalidImage as exc:
        raise from_effects(exc) from None
    if fmt.replace("jpeg", "jpg") not in s.allowed_extensions and fmt not in s.allowed_extensions:
        raise DomainError("unsupported_type", f"{fmt.upper()} uploads are turned off on this server.")
    return fmt


def safe_filename(name: str | None) -> str:
    """A display name only: path parts and control characters removed."""
    base = pathlib.PurePath((name or "").replace("\\", "/")).name
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|:*?')[:200]
    return cleaned or "photo"


def _checked_size(data: bytes, filename: str) -> tuple[str, tuple[int, int]]:
    fmt = check_upload(data, filename)
    return fmt, io.oriented_size(data, fmt)


async def create(
    user: User, data: bytes, filename: str, style: str, params: dict, batch: str | None = None
) -> ImageJob:
    """Check the upload's headers, store it, then insert the QUEUED row. Any failure removes
    what was written: no half-made job.

    The pixels are decoded once, by the job (app/render/work.py: render_file), which also writes the
    original's thumbnail; a file whose headers pass but whose image data does not decode ends
    as a FAILED job.
    """
    if batch is None:  # a batch counts all its photos before it starts (app/batches)
        await ratelimit.spend(ratelimit.RENDERS, str(user.uuid))
    # header checks walk the whole file (PNG checksums): off the event loop, once
    fmt, (width, height) = await anyio.to_thread.run_sync(_checked_size, data, filename)
    job_uuid = str(uuid.uuid4())
    store = get_store()
    keys = JobKeys(job_uuid, "." + storage.EXT[fmt])
    try:
        async with store.workspace([], [keys.original]) as files:
            await anyio.to_thread.run_sync(io.write_atomic, files[keys.original], data)
    except effects.EffectsError as exc:
        raise from_effects(exc) from None
    job = ImageJob(
        uuid=uuid.UUID(job_uuid),
        user=user.id,
        original_filename=safe_filename(filename),
        original_path=store.location(keys.original),
        style=style,
        params_json=json.dumps(params),
        status=JobStatus.QUEUED.value,
        width=width,
        height=height,
        original_bytes=len(data),
        batch=uuid.UUID(batch) if batch else None,
    )
    try:
        await job.save()
    except BaseException:
        await store.remove(keys.all)
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


async def reload(job: ImageJob) -> ImageJob:
    """The job's row as it is now; a job deleted meanwhile is not found."""
    fresh = await ImageJob.objects().where(ImageJob.id == job.id).first()
    if fresh is None:
        raise not_found()
    return fresh


async def list_page(user: User, page: int, per_page: int) -> JobPage:
    if not 1 <= page <= MAX_PAGE or not 1 <= per_page <= 100:
        raise bad_request(f"page must be 1 to {MAX_PAGE} and per_page between 1 and 100.")
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
    """The row and its files go together: if either cannot go, both stay."""
    async with get_store().deleting(keys_of(job).all):
        await ImageJob.delete().where(ImageJob.id == job.id)


def keys_of(job: ImageJob) -> JobKeys:
    return JobKeys.of(str(job.uuid), job.original_path)


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
        uuid=u,
        style=job.style,
        params=params_of(job),
        status=_plain(job.status),
        links=links,
        batch=str(job.batch) if job.batch else None,
        **copied,
    )


# Job fields that are the table's columns under the same name
_CONVERTED = {"uuid", "style", "params", "status", "links", "batch"}
_SAME_NAMED = tuple(f for f in Job.__struct_fields__ if f not in _CONVERTED)


def _plain(value) -> str:
    """Enum members and the strings read back from the database alike."""
    return getattr(value, "value", value)


async def is_hd_unlocked(job_id: int) -> bool:
    row = await ImageJob.select(ImageJob.is_hd_unlocked).where(ImageJob.id == job_id).first()
    return bool(row and row["is_hd_unlocked"])


async def set_hd_unlocked(job_id: int, unlocked: bool) -> None:
    """The HD flag follows the job's payments; the payment service calls this inside its transaction."""
    await ImageJob.update({ImageJob.is_hd_unlocked: unlocked}).where(ImageJob.id == job_id)


async def stats_rows(user: User) -> list[dict]:
    """One row per job of `user` with what the dashboard counts (style, status, dates, sizes)."""
    return await ImageJob.select(
        ImageJob.style,
        ImageJob.status,
        ImageJob.created_at,
        ImageJob.width,
        ImageJob.height,
        ImageJob.output_width,
        ImageJob.output_height,
        ImageJob.render_ms,
        ImageJob.output_bytes,
    ).where(ImageJob.user == user.id)


async def count_for(user: User) -> int:
    """How many pictures `user` has (the gallery's count)."""
    return await ImageJob.count().where(ImageJob.user == user.id)
