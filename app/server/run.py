"""`toonify serve`: apply migrations, then run uvicorn with the app."""

from __future__ import annotations

import asyncio
import logging
import sys


def migrate() -> int:
    """Apply pending migrations; an unreachable database is one clear sentence and status 1."""
    from app.lib.db import DatabaseUnavailable
    from app.lib.db import migrate as run_migrations

    try:
        asyncio.run(run_migrations())
    except DatabaseUnavailable as exc:
        print(f"toonify: {exc}", file=sys.stderr)
        return 1
    return 0


def serve(host: str = "127.0.0.1", port: int = 8000, workers: int | None = None) -> int:
    import uvicorn

    from app.lib.settings import get_settings, override

    if workers:
        override(pool_size=workers)
    from app.lib.logs import setup_logging

    setup_logging()
    s = get_settings()
    if migrate():
        return 1
    from app.lib.cluster import Unavailable, check_all

    try:
        asyncio.run(check_all())  # in a cluster: Redis and the bucket too (created if missing)
    except Unavailable as exc:
        print(f"toonify: {exc}", file=sys.stderr)
        return 1
    db = "PostgreSQL" if s.is_postgres else f"SQLite ({s.database_url[len('sqlite:///') :]})"
    if s.is_cluster:
        logging.getLogger("toonify").info("cluster web node: database %s, jobs rendered by workers", db)
    else:
        logging.getLogger("toonify").info("data in %s, database %s, %d job workers", s.data_dir, db, s.pool_size)
    # access logs off: they would print websocket URLs, and a ?token= query must never be logged
    from app.lib.logs import uvicorn_log_config

    uvicorn.run(
        "app.server.app:create_app",
        factory=True,
        host=host,
        port=port,
        access_log=False,
        log_level="info",
        log_config=uvicorn_log_config(),
        # room for one upload-sized source image plus framing; larger messages are closed (1009)
        ws_max_size=s.max_file_bytes + 1024 * 1024,
        # no permessage-deflate: the sockets carry JPEG/PNG/WebP bytes, which do not shrink, and
        # compressing them cost ~50 ms per 1.6 MB photo sent (in the browser or client) and a
        # few ms per preview frame on both ends (issue 13)
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=5,
    )
    return 0
