"""`toonify serve`: apply migrations, then run uvicorn with the app."""

from __future__ import annotations

import asyncio
import logging
import os


def serve(host: str = "127.0.0.1", port: int = 8000, workers: int | None = None) -> int:
    import uvicorn

    if workers:
        os.environ["TOONIFY_POOL_SIZE"] = str(workers)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        from app.lib.logs import RedactTokens

        handler.addFilter(RedactTokens())
    from app.lib.db import migrate
    from app.lib.settings import get_settings

    s = get_settings()
    asyncio.run(migrate())
    db = "PostgreSQL" if s.is_postgres else f"SQLite ({s.database_url[len('sqlite:///') :]})"
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
        timeout_graceful_shutdown=5,
    )
    return 0
