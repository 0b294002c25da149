"""Runs jobs in the pool's `jobs` lane and keeps their rows and followers up to date."""

from __future__ import annotations

import asyncio
import logging
import time

import effects
from app.lib import storage
from app.lib.pool import Pool, TaskFailed, WorkerCrashed
from app.lib.settings import get_settings

from .events import JobEvents
from .services import THUMB_SIDE, params_of
from .tables import ImageJob, JobStatus

log = logging.getLogger("toonify.jobs")


class JobRunner:
    def __init__(self, pool: Pool, events: JobEvents):
        self.pool, self.events = pool, events
        self._tasks: set[asyncio.Task] = set()

    async def resume(self) -> int:
        """Pick up jobs left QUEUED or PROCESSING when the server last stopped."""
        rows = await (
            ImageJob.select(ImageJob.uuid)
            .where(ImageJob.status.is_in([JobStatus.QUEUED.value, JobStatus.PROCESSING.value]))
            .order_by(ImageJob.created_at)
        )
        for row in rows:
            self.submit(str(row["uuid"]))
        return len(rows)

    def submit(self, job_uuid: str) -> None:
        task = asyncio.get_running_loop().create_task(self._run(job_uuid))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, job_uuid: str) -> None:
        job = await ImageJob.objects().where(ImageJob.uuid == job_uuid).first()
        if job is None:
            return
        s = get_settings()
        out = storage.output_path(job_uuid, job.original_path)
        await self._update(job_uuid, status=JobStatus.PROCESSING, progress=0.0)
        last = {"progress": 0.0, "at": 0.0}

        def on_progress(msg: dict) -> None:
            if "frame" in msg:
                self.events.publish(job_uuid, {"type": "frame", "job": job_uuid, **msg["frame"], "final": False})
            p = round(msg.get("progress", last["progress"]), 3)
            if p > last["progress"]:
                last["progress"] = p
                self.events.publish(job_uuid, status_event(job_uuid, JobStatus.PROCESSING.value, p))
                now = time.monotonic()
                if now - last["at"] > 0.25:  # the row's progress need not be exact; spare the DB
                    last["at"] = now
                    asyncio.ensure_future(  # fire and forget; a late one must not touch a finished job
                        ImageJob.update({ImageJob.progress: p}).where(
                            (ImageJob.uuid == job_uuid) & (ImageJob.status == JobStatus.PROCESSING.value)
                        )
                    )

        try:
            meta = await self.pool.run(
                "jobs",
                "render_job",
                on_progress,
                src=job.original_path,
                dst=str(out),
                sd=str(storage.sd_path(job_uuid, job.original_path)),
                thumb=str(storage.thumb_path(job_uuid, "result")),
                style=str(job.style).lower(),
                params=params_of(job),
                quality=s.default_output_quality,
                max_dimension=s.max_image_dimension,
                max_pixels=s.max_image_pixels,
                sd_side=s.sd_max_side,
                thumb_side=THUMB_SIDE,
            )
        except effects.EffectsError as exc:
            await self._fail(job_uuid, f"This image could not be rendered: {exc}")
        except WorkerCrashed as exc:
            await self._fail(job_uuid, f"Rendering failed: {exc}. Please try again.")
        except TaskFailed:
            await self._fail(job_uuid, "Rendering failed because of an internal error. Please try again.")
        except asyncio.CancelledError:
            raise
        else:
            if not await ImageJob.exists().where(ImageJob.uuid == job_uuid):
                storage.remove(storage.all_paths(job_uuid, job.original_path))  # deleted while rendering
                return
            await self._update(
                job_uuid,
                status=JobStatus.DONE,
                progress=1.0,
                output_path=str(out),
                processed_at=_now(),
                output_width=meta["width"],
                output_height=meta["height"],
                output_bytes=meta["bytes"],
                render_ms=round(meta["render_ms"], 1),
                error_message=None,
            )

    async def _fail(self, job_uuid: str, message: str) -> None:
        log.warning("job %s failed: %s", job_uuid, message)
        await self._update(job_uuid, status=JobStatus.FAILED, error_message=message, processed_at=_now())

    async def _update(self, job_uuid: str, **values) -> None:
        if "status" in values:
            values["status"] = values["status"].value
        await ImageJob.update({getattr(ImageJob, k): v for k, v in values.items()}).where(ImageJob.uuid == job_uuid)
        if "status" in values:
            job = await ImageJob.objects().where(ImageJob.uuid == job_uuid).first()
            if job is not None:
                self.events.publish(job_uuid, status_event(job_uuid, values["status"], job.progress, job))

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def status_event(job_uuid: str, status: str, progress: float, job: ImageJob | None = None) -> dict:
    event = {"type": "status", "job": job_uuid, "status": status, "progress": round(progress, 3)}
    if job is not None and status == JobStatus.DONE.value:
        event["links"] = {"processed": f"/images/{job_uuid}/processed", "original": f"/images/{job_uuid}/original"}
    if job is not None and status == JobStatus.FAILED.value:
        event["error"] = job.error_message
    return event


def _now():
    from app.auth.security import now

    return now()
