"""Runs jobs in the pool's `jobs` lane and keeps their rows and followers up to date."""

from __future__ import annotations

import asyncio
import logging
import time

import effects
from app.lib import metrics
from app.lib.clock import now
from app.lib.db import persist
from app.lib.errors import fault
from app.lib.objects import JobKeys, get_store
from app.lib.settings import get_settings
from app.render.base import Renderer
from app.render.pool import Pool, TaskFailed, WorkerCrashed
from app.render.tasks import RenderFile

from .events import JobEvents
from .services import THUMB_SIDE, params_of
from .tables import ImageJob, JobStatus

log = logging.getLogger("toonify.jobs")


class JobRunner(Renderer):
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
        self._spawn(self._run(job_uuid))

    async def _run(self, job_uuid: str) -> None:
        job = await persist(lambda: ImageJob.objects().where(ImageJob.uuid == job_uuid).first())
        if job is None or str(job.status) in (JobStatus.DONE.value, JobStatus.FAILED.value):
            return  # deleted, or finished by an earlier delivery: the result is written once
        s = get_settings()
        store = get_store()
        keys = JobKeys.of(job_uuid, job.original_path)
        # a job delivered again (its worker died) carries on from what followers already saw
        again = str(job.status) == JobStatus.PROCESSING.value
        last = {"progress": job.progress if again else 0.0, "at": 0.0}
        started: list[asyncio.Future] = []

        def on_start() -> None:  # a worker took the job: until now it was honestly QUEUED
            if again:
                return
            # followers hear of the start before any progress (the row is written meanwhile)
            self.events.publish(job_uuid, status_event(job_uuid, JobStatus.PROCESSING.value, 0.0))
            started.append(asyncio.ensure_future(self._write(job_uuid, status=JobStatus.PROCESSING, progress=0.0)))

        def on_progress(msg: dict) -> None:
            if "frame" in msg:
                self.events.publish(job_uuid, {"type": "frame", "job": job_uuid, **msg["frame"], "final": False})
            p = round(msg.get("progress", last["progress"]), 3)
            if p > last["progress"]:
                last["progress"] = p
                self.events.publish(job_uuid, status_event(job_uuid, JobStatus.PROCESSING.value, p))
                tick = time.monotonic()
                if tick - last["at"] > 0.25:  # the row's progress need not be exact; spare the DB
                    last["at"] = tick
                    # fire and forget; a late one must not touch a finished job
                    self._spawn(self._write_progress(job_uuid, p))

        try:
            # the full-size result is stored last: its appearing is what marks the job finished
            outputs = [keys.thumb("original"), keys.thumb("result"), keys.sd, keys.result]
            async with store.workspace([keys.original], outputs) as files:
                with metrics.rendering():
                    meta = await self.pool.run(
                        RenderFile(
                            src=str(files[keys.original]),
                            dst=str(files[keys.result]),
                            sd=str(files[keys.sd]),
                            thumb=str(files[keys.thumb("result")]),
                            thumb_original=str(files[keys.thumb("original")]),
                            style=job.style,
                            params=params_of(job),
                            quality=s.default_output_quality,
                            max_dimension=s.max_image_dimension,
                            max_pixels=s.max_image_pixels,
                            sd_side=s.sd_max_side,
                            thumb_side=THUMB_SIDE,
                        ),
                        on_progress,
                        on_start=on_start,
                    )
            error = None
        except effects.EffectsError as exc:
            error = f"This image could not be rendered: {exc}"
        except WorkerCrashed as exc:
            error = f"Rendering failed: {exc}. Please try again."
        except TaskFailed:
            error = "Rendering failed because of an internal error. Please try again."
        except OSError as exc:
            known = fault(exc)
            error = f"Rendering failed: {known.message if known else 'the result could not be written.'}"
        await asyncio.gather(*started, return_exceptions=True)  # PROCESSING is written before the outcome
        if error:
            await self._fail(job_uuid, error)
            return
        if not await persist(lambda: ImageJob.exists().where(ImageJob.uuid == job_uuid)):
            await store.remove(keys.all)  # deleted while rendering
            return
        await self._update(
            job_uuid,
            status=JobStatus.DONE,
            progress=1.0,
            output_path=store.location(keys.result),
            processed_at=now(),
            output_width=meta["width"],
            output_height=meta["height"],
            output_bytes=meta["bytes"],
            render_ms=round(meta["render_ms"], 1),
            error_message=None,
        )

    async def _fail(self, job_uuid: str, message: str) -> None:
        log.warning("job %s failed: %s", job_uuid, message)
        await self._update(job_uuid, status=JobStatus.FAILED, error_message=message, processed_at=now())

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _write_progress(self, job_uuid: str, progress: float) -> None:
        """The row's progress is a hint for pollers; losing one write to a database hiccup is fine."""
        try:
            await ImageJob.update({ImageJob.progress: progress}).where(
                (ImageJob.uuid == job_uuid) & (ImageJob.status == JobStatus.PROCESSING.value)
            )
        except Exception as exc:  # the next write or the final status carries the truth
            log.info("progress of job %s not written: %s", job_uuid, exc)

    async def _write(self, job_uuid: str, status: JobStatus, **values) -> str | None:
        """Write the status unless the job already finished (a job delivered twice finishes once);
        returns the job's style if it was written."""
        values["status"] = status.value
        changed = await persist(
            lambda: (
                ImageJob.update({getattr(ImageJob, k): v for k, v in values.items()})
                .where(
                    (ImageJob.uuid == job_uuid) & ImageJob.status.not_in([JobStatus.DONE.value, JobStatus.FAILED.value])
                )
                .returning(ImageJob.style)
            )
        )
        return str(changed[0]["style"]) if changed else None

    async def _update(self, job_uuid: str, status: JobStatus, **values) -> None:
        """Write a status change (and other columns) and tell the job's followers, once."""
        style = await self._write(job_uuid, status, **values)
        if style is None:
            return
        metrics.JOBS.labels(style, status.value).inc()  # counted where the status is written: once
        progress = values.get("progress", 1.0 if status == JobStatus.DONE else 0.0)
        self.events.publish(job_uuid, status_event(job_uuid, status.value, progress, values.get("error_message")))

    # workers (app/render/worker.py) run a delivered job to its end, and the reconciler fails one
    run = _run
    fail = _fail

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def status_event(job_uuid: str, status: str, progress: float, error: str | None = None) -> dict:
    """The protocol's status message; DONE carries the download links, FAILED the reason."""
    event = {"type": "status", "job": job_uuid, "status": status, "progress": round(progress, 3)}
    if status == JobStatus.DONE.value:
        event["links"] = {"processed": f"/images/{job_uuid}/processed", "original": f"/images/{job_uuid}/original"}
    if status == JobStatus.FAILED.value:
        event["error"] = error
    return event
