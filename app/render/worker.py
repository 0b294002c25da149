"""`toonify worker`: takes render tasks from the queue and runs them in a local process pool.

Sources come from object storage into a temporary folder, results go back to it (the same
JobRunner code as embedded mode, through app/lib/objects.py), and every event goes out
through Redis to whichever web node follows the job.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys

from saq import Worker

from app.jobs.runner import JobRunner
from app.lib import cluster, metrics
from app.lib.logs import job_id
from app.lib.settings import get_settings
from app.render.pool import Pool

from . import queue, tasks
from .events import RedisJobEvents

log = logging.getLogger("toonify.worker")


async def _heartbeat(job, every: float) -> None:
    """Tell the queue this delivery is alive; a killed worker stops, and its job is swept."""
    while True:
        await asyncio.sleep(every)
        try:
            await job.update()
        except Exception as exc:  # a missed beat is retried; too many and the job moves on
            log.warning("heartbeat of %s failed: %s", job.key, exc)


async def _reconcile_forever(q, runner: JobRunner, pool: Pool, every: float) -> None:
    while True:
        metrics.sample_pool(pool)
        try:
            await metrics.sample_queue(q)
        except Exception as exc:
            log.info("queue metrics not sampled: %s", exc)
        try:
            done = await queue.reconcile(q, runner)
            if any(done.values()):
                log.info("reconciled unfinished jobs: %s", done)
        except Exception:
            log.exception("reconciling failed; trying again")
        await asyncio.sleep(every)


async def run(concurrency: int, metrics_port: int) -> int:
    from piccolo_conf import DB

    s = get_settings()
    if not s.is_cluster:
        print(
            "toonify: a worker needs a cluster: set TOONIFY_REDIS_URL, TOONIFY_STORAGE_URL and a PostgreSQL "
            "TOONIFY_DATABASE_URL",
            file=sys.stderr,
        )
        return 1
    try:
        await cluster.check_all()
    except cluster.Unavailable as exc:
        print(f"toonify: {exc}", file=sys.stderr)
        return 1
    await DB.start_connection_pool(max_size=max(10, concurrency + 2))  # asyncpg min_size is 10
    redis = cluster.make_redis()
    events = RedisJobEvents(redis, s.redis_prefix)
    await events.start(listen=False)
    pool = Pool(job_workers=concurrency, preview_workers=1)
    runner = JobRunner(pool, events)
    q = queue.make_queue(redis, s.redis_prefix)
    worker_id = f"{socket.gethostname()}:{os.getpid()}"

    async def render(ctx, *, task: dict) -> None:
        order = tasks.decode(task)
        if not isinstance(order, tasks.RenderJob):  # the queue carries whole jobs; pool tasks stay local
            raise TypeError(f"a queue worker does not run {type(order).__name__} tasks")
        job = ctx["job"]
        beat = asyncio.create_task(_heartbeat(job, max(0.5, s.job_heartbeat / 3)))
        token = job_id.set(order.job)
        try:
            await runner.run(order.job)
        finally:
            beat.cancel()
            await events.flush()  # followers hear DONE before the queue forgets the job
            job_id.reset(token)

    worker = Worker(
        q,
        functions=[("render", render)],
        id=worker_id,
        concurrency=concurrency,
        # sweeping (finding jobs of dead workers) as often as heartbeats are due
        timers={"sweep": max(1, s.job_heartbeat // 2), "abort": 1},  # type: ignore[arg-type]
    )
    metrics.serve_worker_metrics(metrics_port)
    reconciler = asyncio.create_task(_reconcile_forever(q, runner, pool, s.reconcile_interval))
    log.info("worker %s: %d renders at a time, queue %s", worker_id, concurrency, q.name)
    try:
        await worker.start()  # returns on SIGINT/SIGTERM, after running jobs finish
    finally:
        reconciler.cancel()
        await asyncio.gather(reconciler, return_exceptions=True)
        await runner.close()
        pool.close()
        await events.close()
        await q.disconnect()
        await DB.close_connection_pool()
    return 0


def main(concurrency: int | None = None, metrics_port: int | None = None) -> int:
    from app.lib.logs import setup_logging

    s = get_settings()
    setup_logging()
    return asyncio.run(run(concurrency or s.pool_size, s.metrics_port if metrics_port is None else metrics_port))
