"""The job queue (SAQ on Redis) and what the web node and the reconciler do with it.

Delivery guarantees (docs/decisions.md): a job is one SAQ job whose key is the job's uuid, so
enqueueing it again while it waits or runs changes nothing. A worker heartbeats its running
jobs; a job whose worker stops heartbeating (killed, lost) is swept by any live worker and
delivered again, up to `render_attempts` deliveries. The database row is the truth for users:
`reconcile` makes the row and the queue agree (re-enqueue what the queue lost, FAIL what the
queue gave up on), and JobRunner writes DONE at most once.
"""

from __future__ import annotations

import asyncio
import logging

from saq import Job, Queue
from saq.job import Status
from saq.utils import now as now_ms

from app.jobs.tables import ImageJob, JobStatus

from . import tasks
from .base import Renderer

log = logging.getLogger("toonify.render")
JOB_TIMEOUT = 600  # seconds one delivery may run at most (a 50 MP render under load is far below)


def make_queue(redis, prefix: str) -> Queue:
    from saq.queue.redis import RedisQueue

    return RedisQueue(redis, name=f"{prefix}-render", swept_error_message="the worker rendering it stopped")


async def enqueue(queue: Queue, job_uuid: str) -> None:
    from app.lib.settings import get_settings

    s = get_settings()
    await queue.enqueue(
        Job(
            function="render",
            kwargs={"task": tasks.encode(tasks.RenderJob(job=job_uuid))},
            key=job_uuid,
            retries=s.render_attempts,
            heartbeat=s.job_heartbeat,
            timeout=JOB_TIMEOUT,
        )
    )


async def unfinished() -> list[str]:
    rows = await (
        ImageJob.select(ImageJob.uuid)
        .where(ImageJob.status.is_in([JobStatus.QUEUED.value, JobStatus.PROCESSING.value]))
        .order_by(ImageJob.created_at)
    )
    return [str(r["uuid"]) for r in rows]


class QueueRunner(Renderer):
    """The web node's runner in cluster mode: it queues jobs and renders none itself."""

    def __init__(self, queue: Queue) -> None:
        self.queue = queue
        self._tasks: set[asyncio.Task] = set()

    def submit(self, job_uuid: str) -> None:
        task = asyncio.ensure_future(self._enqueue(job_uuid))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _enqueue(self, job_uuid: str) -> None:
        try:
            await enqueue(self.queue, job_uuid)
        except Exception as exc:  # the reconciler enqueues it later: the row is QUEUED
            log.warning("job %s not queued yet: %s", job_uuid, exc)

    async def resume(self) -> int:
        """Queue the unfinished jobs the queue does not know. Those it holds carry on; those it
        gave up on are the reconciler's (enqueueing a finished SAQ job would reset its attempts)."""
        missing = [j for j in await unfinished() if await self.queue.job(j) is None]
        for job_uuid in missing:
            await enqueue(self.queue, job_uuid)
        return len(missing)

    async def close(self) -> None:
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def reconcile(queue: Queue, runner) -> dict[str, int]:
    """Make unfinished rows and the queue agree; returns what was done (for logs and tests).

    - the queue has no such job (lost before it was queued, or Redis was emptied): queue it;
    - the queue gave up (every delivery failed or its worker died each time): FAIL the row
      with a sentence, through the runner so followers hear it once;
    - the job is left ABORTING: a worker sweeping a dead worker's job marks it so, takes it off
      the active list and waits up to SWEEP_ABORT_WAIT for the abort before queueing it again; a
      sweeper killed in that wait leaves it in no list at all, where nothing else would find it.
      Once that wait is long over, do what the sweeper would have done.
    """
    done = {"queued": 0, "failed": 0, "unstuck": 0}
    for job_uuid in await unfinished():
        job = await queue.job(job_uuid)
        if job is None:
            await enqueue(queue, job_uuid)
            done["queued"] += 1
        elif job.status == Status.ABORTING and _abandoned(job):
            error = "the worker rendering it stopped"
            if job.retryable:
                await queue.retry(job, error=error)
            else:  # the next pass FAILs the row
                await queue.finish(job, Status.ABORTED, error=error)
            done["unstuck"] += 1
        elif job.status in (Status.FAILED, Status.ABORTED):
            await runner.fail(
                job_uuid,
                f"Rendering failed {job.attempts} times (last: {_reason(job.error)}). Please try again.",
            )
            done["failed"] += 1
    return done


SWEEP_ABORT_WAIT = 5  # seconds SAQ's sweep waits for an abort (saq.queue.redis.RedisQueue.sweep)


def _abandoned(job: Job) -> bool:
    """ABORTING for much longer than a sweep waits after the last heartbeat (three times over)."""
    quiet = (now_ms() - job.touched) / 1000
    return quiet > job.heartbeat + 3 * SWEEP_ABORT_WAIT


def _reason(error: str | None) -> str:
    lines = [line for line in (error or "").strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "unknown error"
