"""Prometheus metrics of web nodes and workers (prometheus-client, default registry).

Web nodes serve them at /metrics; workers on their own port (`toonify worker --metrics-port`).
Labels are bounded sets (route templates, style names, statuses), never ids.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator

from prometheus_client import Counter, Gauge, Histogram, start_http_server

log = logging.getLogger("toonify.metrics")

REQUEST_SECONDS = Histogram("toonify_http_request_seconds", "HTTP request latency", ["route", "method", "status"])
JOBS = Counter("toonify_jobs_total", "Jobs that reached a status", ["style", "status"])
RENDER_SECONDS = Histogram(
    "toonify_render_seconds", "Full-size render time per delivery", buckets=(0.25, 0.5, 1, 2, 4, 8, 16, 32, 64)
)
QUEUE_DEPTH = Gauge("toonify_queue_depth", "Jobs waiting in the render queue")
QUEUE_AGE = Gauge("toonify_queue_oldest_seconds", "Age of the oldest unfinished job (QUEUED or PROCESSING)")
_PREVIEW_BUCKETS = (0.01, 0.025, 0.033, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6)
PREVIEW_SECONDS = Histogram("toonify_preview_seconds", "Live preview render time in the pool", buckets=_PREVIEW_BUCKETS)
# what a person waits: from the request arriving on the socket to its final frame being sent
# (queueing behind other previews, rendering, encoding and the send), the 33 ms goal's measure
PREVIEW_LATENCY = Histogram(
    "toonify_preview_latency_seconds", "Live preview request to final frame sent", buckets=_PREVIEW_BUCKETS
)
WS_SESSIONS = Gauge("toonify_websocket_sessions", "Open websocket sessions", ["kind"])
POOL_BUSY = Gauge("toonify_pool_busy_workers", "Pool workers running a task", ["lane"])
RENDERS_RUNNING = Gauge("toonify_renders_running", "Full-size renders running in this process's pool")


@contextlib.contextmanager
def rendering() -> Iterator[None]:
    RENDERS_RUNNING.inc()
    t0 = time.perf_counter()
    try:
        yield
    finally:
        RENDERS_RUNNING.dec()
        RENDER_SECONDS.observe(time.perf_counter() - t0)


def sample_pool(pool) -> None:
    """Busy workers per lane, read when metrics are scraped."""
    for name, lane in pool.lanes.items():
        POOL_BUSY.labels(name).set(sum(1 for w in lane.workers if w.task is not None))


async def sample_queue(queue) -> None:
    """Queue depth from SAQ, oldest unfinished job from the database."""
    from app.jobs.tables import ImageJob, JobStatus
    from app.lib.clock import now

    try:
        info = await queue.info()
        QUEUE_DEPTH.set(info.get("queued", 0))
    except Exception as exc:
        log.info("queue depth not sampled: %s", exc)
    row = await (
        ImageJob.select(ImageJob.created_at)
        .where(ImageJob.status.is_in([JobStatus.QUEUED.value, JobStatus.PROCESSING.value]))
        .order_by(ImageJob.created_at)
        .first()
    )
    QUEUE_AGE.set((now() - row["created_at"]).total_seconds() if row else 0)


def serve_worker_metrics(port: int) -> None:
    if port:
        start_http_server(port, addr="0.0.0.0")  # noqa: S104 - scraped by Prometheus from another host
