"""Batches: many photos in one request, each an ordinary job (app/jobs/services.create and the
runner, exactly as POST /images/transform); status and counts are read from those jobs."""

from __future__ import annotations

import datetime as dt
import io as _io
import itertools
import json
import pathlib
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any

import anyio
from litestar.datastructures import UploadFile

import effects
from app.auth.tables import User
from app.jobs import services as jobs
from app.jobs.tables import ImageJob, JobStatus
from app.lib import ratelimit, storage
from app.lib.clock import now
from app.lib.db import locked, write_transaction
from app.lib.errors import DomainError, from_effects, not_found
from app.lib.objects import JobKeys, get_store
from app.lib.settings import get_settings
from app.render.tasks import WriteSmall
from effects import io as image_io

from .schemas import Batch as BatchOut
from .schemas import BatchCounts, BatchCreated, BatchLinks
from .tables import Batch

PENDING = (JobStatus.QUEUED.value, JobStatus.PROCESSING.value)
UPLOAD_GRACE = dt.timedelta(minutes=10)  # a batch still receiving photos counts as in flight this long


def _plain(value) -> str:
    return getattr(value, "value", value)


def _links(batch_uuid: str) -> BatchLinks:
    return BatchLinks(f"/batches/{batch_uuid}", f"/batches/{batch_uuid}/zip", f"/batch/{batch_uuid}")


def _params(batch: Batch) -> dict[str, Any]:
    raw = batch.params_json
    return json.loads(raw) if isinstance(raw, str) else dict(raw or {})


def summarise(batch: Batch, rows: list[ImageJob]) -> tuple[str, BatchCounts, float]:
    """(status, counts, progress) of a batch from its jobs.

    QUEUED: nothing started; PROCESSING: some work done or running, some left; DONE: every
    photo rendered; FAILED: none rendered; PARTIAL: finished, some rendered and some failed."""
    statuses = [_plain(r.status) for r in rows]
    counts = BatchCounts(
        queued=statuses.count(JobStatus.QUEUED.value),
        processing=statuses.count(JobStatus.PROCESSING.value),
        done=statuses.count(JobStatus.DONE.value),
        failed=statuses.count(JobStatus.FAILED.value),
    )
    finished = counts.done + counts.failed
    progress = sum(
        1.0 if _plain(r.status) in (JobStatus.DONE.value, JobStatus.FAILED.value) else r.progress for r in rows
    )
    progress = round(progress / len(rows), 3) if rows else (0.0 if not batch.submitted else 1.0)
    if counts.queued + counts.processing or not batch.submitted:
        status = "QUEUED" if counts.processing == 0 and finished == 0 else "PROCESSING"
    elif counts.failed == 0:
        status = "DONE"
    elif counts.done == 0:
        status = "FAILED"
    else:
        status = "PARTIAL"
    return status, counts, progress


async def _rows(batch: Batch) -> list[ImageJob]:
    return await ImageJob.objects().where(ImageJob.batch == batch.uuid).order_by(ImageJob.id)


async def get_owned(user: User, batch_uuid: str) -> Batch:
    try:
        key = uuid.UUID(str(batch_uuid))
    except ValueError:
        raise not_found("batch") from None
    batch = await Batch.objects().where((Batch.uuid == key) & (Batch.user == user.id)).first()
    if batch is None:
        raise not_found("batch")
    return batch


async def to_schema(batch: Batch) -> BatchOut:
    rows = await _rows(batch)
    status, counts, progress = summarise(batch, rows)
    u = str(batch.uuid)
    return BatchOut(
        uuid=u,
        status=status,
        style=batch.style,
        params=_params(batch),
        preset=batch.preset,
        total=batch.total,
        progress=progress,
        counts=counts,
        jobs=[jobs.to_schema(r) for r in rows],
        created_at=batch.created_at,
        links=_links(u),
    )


async def in_flight(user: User) -> int:
    """Batches of `user` with photos still waiting or rendering (or still being uploaded)."""
    pending = await (
        ImageJob.select(ImageJob.batch)
        .where((ImageJob.user == user.id) & ImageJob.batch.is_not_null() & ImageJob.status.is_in(list(PENDING)))
        .distinct()
    )
    uploading = await Batch.select(Batch.uuid).where(
        (Batch.user == user.id) & (Batch.submitted == False) & (Batch.created_at > now() - UPLOAD_GRACE)  # noqa: E712
    )
    return len({str(r["batch"]) for r in pending} | {str(r["uuid"]) for r in uploading})


def _size(upload: UploadFile) -> int:
    f = upload.file
    f.seek(0, 2)
    size = f.tell()
    f.seek(0)
    return size


def check_limits(files: list[UploadFile]) -> None:
    s = get_settings()
    if not files:
        raise DomainError("missing_files", "Attach the photos as multipart fields named 'files' (one per photo).")
    if len(files) > s.batch_max_photos:
        raise DomainError(
            "too_many_photos",
            f"A batch takes at most {s.batch_max_photos} photos; you sent {len(files)}. "
            "Split them into several batches.",
        )
    total = sum(_size(f) for f in files)
    if total > s.batch_max_bytes:
        raise DomainError(
            "batch_too_large",
            f"The photos add up to {total / 1048576:.0f} MB; a batch takes at most {s.batch_max_mb} MB.",
        )


async def _open_batch(user: User, style: str, params: dict, preset: str | None, total: int) -> Batch:
    """Insert the batch row unless the user already has the maximum in flight (429).
    The user's row is locked so two simultaneous requests cannot both squeeze in."""
    limit = get_settings().batches_in_flight
    async with write_transaction(Batch):
        await locked(User.select(User.id).where(User.id == user.id))
        if await in_flight(user) >= limit:
            raise DomainError(
                "too_many_batches",
                f"You already have {limit} batches rendering; wait until one finishes, then send this one.",
            )
        batch = Batch(user=user.id, style=style, params_json=json.dumps(params), preset=preset, total=total)
        await batch.save()
    return batch


async def _refused_job(
    user: User, batch: Batch, data: bytes, filename: str, style: str, params: dict, reason: str, size: int
) -> ImageJob:
    """A photo the upload checks refused: a FAILED job carrying the reason, so the rest of the
    batch goes on. The bytes are kept when they are a recognisable picture format (the person
    can download what they sent, and retry)."""
    job_uuid = uuid.uuid4()
    store = get_store()
    location = store.location(JobKeys(str(job_uuid), ".rejected").original)  # names nothing stored
    try:
        # kept when it is one of our formats by its content, damaged or not (a retry checks it again)
        fmt = image_io.sniff(data)
        key = JobKeys(str(job_uuid), "." + storage.EXT[fmt]).original
        async with store.workspace([], [key]) as files:
            await anyio.to_thread.run_sync(image_io.write_atomic, files[key], data)
        location = store.location(key)
    except effects.EffectsError:
        pass
    job = ImageJob(
        uuid=job_uuid,
        user=user.id,
        original_filename=jobs.safe_filename(filename),
        original_path=location,
        style=style,
        params_json=json.dumps(params),
        status=JobStatus.FAILED.value,
        error_message=f"This photo was not accepted: {reason.rstrip('.')}.",
        processed_at=now(),
        original_bytes=size,
        batch=batch.uuid,
    )
    await job.save()
    return job


async def create(
    user: User, files: list[UploadFile], style: str, params: dict, preset: str | None, runner
) -> BatchCreated:
    check_limits(files)
    await ratelimit.spend(ratelimit.RENDERS, str(user.uuid), len(files))
    batch = await _open_batch(user, style, params, preset, len(files))
    made: list[ImageJob] = []
    try:
        limit = get_settings().max_file_size_mb
        for upload in files:
            size = _size(upload)
            if size > limit * 1024 * 1024:  # refused unread: one photo never fills the memory
                reason = f"the file is larger than the {limit} MB limit."
                job = await _refused_job(user, batch, b"", upload.filename, style, params, reason, size)
                made.append(job)
                continue
            data = await upload.read()
            try:
                job = await jobs.create(user, data, upload.filename, style, params, batch=str(batch.uuid))
            except DomainError as exc:
                job = await _refused_job(user, batch, data, upload.filename, style, params, exc.message, size)
            else:
                runner.submit(str(job.uuid))
            made.append(job)
    finally:
        await Batch.update({Batch.submitted: True}).where(Batch.id == batch.id)
        batch.submitted = True
    status, counts, _ = summarise(batch, made)
    u = str(batch.uuid)
    return BatchCreated(
        uuid=u,
        status=status,
        style=style,
        params=params,
        preset=preset,
        total=len(made),
        jobs=[str(j.uuid) for j in made],
        counts=counts,
        created_at=batch.created_at,
        links=_links(u),
    )


async def retry(user: User, batch_uuid: str, job_uuid: str, pool, runner) -> ImageJob:
    """Queue a FAILED photo of the batch again. Its stored photo is decoded first: one that
    still cannot be read is answered with the reason (422) and stays FAILED."""
    batch = await get_owned(user, batch_uuid)
    job = await jobs.get_owned(user, job_uuid)
    if job.batch != batch.uuid:
        raise not_found("job in this batch")
    if _plain(job.status) != JobStatus.FAILED.value:
        raise DomainError(
            "not_failed", f"Only a failed photo can be retried; this one is {_plain(job.status).lower()}."
        )
    store, keys = get_store(), jobs.keys_of(job)
    if not await store.exists(keys.original):
        raise DomainError("not_retryable", f"{job.error_message} Nothing was stored to retry: upload the photo again.")
    await ratelimit.spend(ratelimit.RENDERS, str(user.uuid))
    s = get_settings()
    try:
        async with store.workspace([keys.original], [keys.thumb("original")]) as files:
            size = await pool.run(
                WriteSmall(
                    src=str(files[keys.original]),
                    dst=str(files[keys.thumb("original")]),
                    side=jobs.THUMB_SIDE,
                    max_pixels=s.max_image_pixels,
                )
            )
    except effects.EffectsError as exc:
        raise from_effects(exc) from None
    requeued = (
        await ImageJob.update(
            {
                ImageJob.status: JobStatus.QUEUED.value,
                ImageJob.progress: 0.0,
                ImageJob.error_message: None,
                ImageJob.processed_at: None,
                ImageJob.width: size["width"],
                ImageJob.height: size["height"],
            }
        )
        .where((ImageJob.id == job.id) & (ImageJob.status == JobStatus.FAILED.value))
        .returning(ImageJob.id)
    )
    if not requeued:
        raise DomainError("not_failed", "This photo is already being retried.")
    runner.submit(str(job.uuid))
    return await ImageJob.objects().where(ImageJob.id == job.id).first()


def zip_entries(rows: list[ImageJob]) -> list[tuple[str, str, tuple]]:
    """(name in the archive, stored key, date) of each finished job, in upload order. The size
    follows GET /images/{uuid}/processed: SD unless payments are off or HD was unlocked."""
    payments = get_settings().payments_enabled
    out = []
    for i, job in enumerate(rows, 1):
        if _plain(job.status) != JobStatus.DONE.value or not job.output_path:
            continue
        keys = jobs.keys_of(job)
        key = keys.result if (not payments or job.is_hd_unlocked) else keys.sd
        stem = pathlib.PurePath(jobs.safe_filename(job.original_filename)).stem[:80] or "photo"
        out.append((f"{i:02d}-{stem}-{_plain(job.style).lower()}{keys.suffix}", key, _stamp(job.processed_at)))
    return out


class _Sink(_io.RawIOBase):
    """A write-only, unseekable stream that hands its bytes to the generator."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.buffer += b
        self.position += len(b)
        return len(b)

    def tell(self) -> int:
        return self.position

    def take(self) -> bytes:
        out = bytes(self.buffer)
        self.buffer.clear()
        return out


CHUNK = 1 << 20


def stream_zip(entries: list[tuple[str, str, tuple]]) -> Iterator[bytes]:
    """A zip archive written as it is read: at most one chunk is held in memory, nothing is
    written to disk. Pictures are already compressed, so entries are stored, not deflated."""
    sink = _Sink()
    store = get_store()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, key, stamp in entries:
            pieces = store.chunks(key)
            try:
                first = next(pieces, b"")
            except FileNotFoundError:
                continue  # deleted since the list was made
            with archive.open(zipfile.ZipInfo(name, date_time=stamp), mode="w", force_zip64=False) as dst:
                for chunk in itertools.chain([first], pieces):
                    dst.write(chunk)
                    yield sink.take()
            yield sink.take()
    yield sink.take()


def _stamp(when: dt.datetime | None) -> tuple[int, int, int, int, int, int]:
    t = when or now()
    return (max(t.year, 1980), t.month, t.day, t.hour, t.minute, t.second)


async def zip_of(user: User, batch_uuid: str) -> tuple[Batch, list[tuple[str, str, tuple]]]:
    batch = await get_owned(user, batch_uuid)
    entries = zip_entries(await _rows(batch))
    if not entries:
        raise DomainError("not_ready", "No photo of this batch is finished yet; download when one is done.")
    return batch, entries
