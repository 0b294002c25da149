"""create_app(): the Litestar application with every feature wired in."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

from litestar import Litestar, Response, get
from litestar.config.cors import CORSConfig
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import RedocRenderPlugin
from litestar.plugins.htmx import HTMXRequest
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from app import ROOT
from app.auth.controllers import AuthController, UserController
from app.batches.controllers import BatchController
from app.batches.pages import BatchPages
from app.jobs.controllers import ImageController
from app.jobs.deps import provide_events, provide_pool, provide_runner
from app.jobs.events import JobEvents
from app.jobs.runner import JobRunner
from app.lib import storage
from app.lib.errors import EXCEPTION_HANDLERS
from app.lib.settings import get_settings
from app.live.jobs import job_socket
from app.live.preview import preview_socket
from app.payments.controllers import PaymentController
from app.presets.controllers import PresetController
from app.render.pool import Pool
from app.server import openapi
from app.server.middleware import metrics_middleware, request_guard
from app.shares.controllers import ShareController, SharePages
from app.tokens.controllers import TokenController
from app.tokens.pages import TokenPages
from app.web.account import AccountPages
from app.web.studio import StudioPages

log = logging.getLogger("toonify")


@asynccontextmanager
async def lifespan(app: Litestar):
    from piccolo_conf import DB

    s = get_settings()
    storage.ensure_dirs()
    storage.clear_sessions()  # preview sources left behind by a crash belong to no one now
    storage.clear_trash()  # files a deletion renamed aside but could not unlink
    pooled = s.is_postgres
    if pooled:
        await DB.start_connection_pool(max_size=10)
    # a web node of a cluster renders no full-size jobs: its jobs lane is the smallest there is
    pool = Pool(job_workers=1 if s.is_cluster else s.pool_size, preview_workers=s.preview_workers)
    app.state.pool = pool
    nodes = await cluster_parts() if s.is_cluster else None
    if nodes:
        app.state.redis, app.state.events, app.state.runner, app.state.queue = nodes
    else:
        app.state.redis = app.state.queue = None
        app.state.events = JobEvents()
        app.state.runner = JobRunner(pool, app.state.events)
    resumed = await app.state.runner.resume()
    if resumed:
        log.info("resumed %d unfinished jobs", resumed)
    try:
        # requests are taken once a preview worker has warmed up (about a second): a person's
        # first preview must not wait behind the pool's start
        if not await pool.lane("preview").wait_warm(timeout=60):
            log.warning("no preview worker was ready after 60 s; serving anyway")
        yield
    finally:
        await app.state.runner.close()
        pool.close()
        if nodes:
            await app.state.events.close()
            await app.state.queue.disconnect()
        if pooled:
            await DB.close_connection_pool()


async def cluster_parts() -> tuple:
    """Redis, job events through it, and the queue runner: what a cluster's web node uses."""
    from app.auth import throttle
    from app.lib import ratelimit
    from app.lib.cluster import make_redis
    from app.render.events import RedisJobEvents
    from app.render.queue import QueueRunner, make_queue

    s = get_settings()
    redis = make_redis()
    throttle.use_redis(redis, s.redis_prefix)
    ratelimit.use_redis(redis, s.redis_prefix)
    events = RedisJobEvents(redis, s.redis_prefix)
    await events.start(listen=True)
    queue = make_queue(redis, s.redis_prefix)
    return redis, events, QueueRunner(queue), queue


@get("/health", include_in_schema=False)
async def health() -> dict:
    """The process answers (liveness); says nothing about the process or its neighbours."""
    return {"status": "ok"}


async def _check_renderer(pool) -> None:
    # a node whose preview workers are still warming up would keep a person's first preview
    # waiting (hundreds of ms): a load balancer sends nobody there until one is ready
    if not pool.lane("preview").warm:
        raise RuntimeError("no preview worker is ready yet")


@get("/ready", include_in_schema=False, cache=False)
async def ready(state: State) -> Response:
    """Ready to serve: a preview worker has warmed up, and the database (in a cluster Redis and
    the bucket too) answers now. 503 with the names of what is missing (never addresses or
    secrets)."""
    from app.lib.cluster import check_redis
    from app.lib.db import check as check_database
    from app.lib.objects import get_store

    checks: dict = {
        "database": check_database(),
        "storage": get_store().check(),
        "renderer": _check_renderer(state.pool),
    }
    if state.redis is not None:
        checks["redis"] = check_redis(state.redis)
    results = await asyncio.gather(*checks.values(), return_exceptions=True)
    failing = sorted(name for name, r in zip(checks, results, strict=True) if isinstance(r, BaseException))
    body = {"status": "unavailable" if failing else "ready", "failing": failing}
    return Response(body, status_code=503 if failing else 200)


@get("/metrics", include_in_schema=False, cache=False)
async def metrics_endpoint(state: State) -> Response:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    from app.lib import metrics

    metrics.sample_pool(state.pool)
    if state.queue is not None:
        await metrics.sample_queue(state.queue)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def create_app() -> Litestar:
    s = get_settings()
    app = Litestar(
        route_handlers=[
            AuthController,
            UserController,
            ImageController,
            PaymentController,
            preview_socket,
            job_socket,
            health,
            ready,
            metrics_endpoint,
            AccountPages,
            StudioPages,
            TokenController,
            TokenPages,
            PresetController,
            ShareController,
            SharePages,
            BatchController,
            BatchPages,
            create_static_files_router(path="/static", directories=[ROOT / "static"], include_in_schema=False),
        ],
        template_config=TemplateConfig(directory=ROOT / "templates", engine=JinjaTemplateEngine),
        lifespan=[lifespan],
        # every page handler may answer htmx requests as such (request.htmx)
        request_class=HTMXRequest,
        # the service objects made in `lifespan`, injected where a handler names them
        dependencies={
            "pool": Provide(provide_pool, sync_to_thread=False),
            "runner": Provide(provide_runner, sync_to_thread=False),
            "events": Provide(provide_events, sync_to_thread=False),
        },
        middleware=[request_guard, metrics_middleware],
        exception_handlers=EXCEPTION_HANDLERS,
        cors_config=CORSConfig(allow_origins=s.cors_origins, allow_credentials=True),
        # the docs page uses the vendored Redoc bundle: nothing comes from a CDN
        openapi_config=OpenAPIConfig(
            title="Toonify",
            version="0.1.0",
            components=openapi.SECURITY_SCHEMES,
            path="/schema",
            render_plugins=[
                RedocRenderPlugin(
                    js_url="/static/vendor/redoc.standalone.js",
                    google_fonts=False,
                    favicon="<link rel='icon' href='/static/favicon.jpg'>",
                )
            ],
        ),
        request_max_body_size=1024 * 1024,
        debug=False,
    )
    openapi.document_errors(app.openapi_schema)
    return app
