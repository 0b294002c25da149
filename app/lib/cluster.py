"""Cluster plumbing shared by web nodes and workers: the Redis client and the start-up checks.

A cluster is a PostgreSQL database, Redis and an S3 bucket (app/lib/settings.py `is_cluster`).
Every process checks all three before it serves anything: a missing piece is one sentence on
stderr and exit status 1, never a half-working node.
"""

from __future__ import annotations

from urllib.parse import urlparse

from redis.asyncio import Redis

from .db import DatabaseUnavailable
from .db import check as check_database
from .objects import StorageUnavailable, get_store
from .settings import get_settings


class Unavailable(Exception):
    """A service the cluster needs cannot be used; the message is one sentence for an operator."""


def describe_redis(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        parsed = parsed._replace(netloc=parsed.netloc.replace(f":{parsed.password}@", ":***@"))
    return parsed.geturl()


def make_redis() -> Redis:
    # short timeouts: a lost Redis must surface as an error, not as a hung request
    return Redis.from_url(get_settings().redis_url, socket_connect_timeout=3, health_check_interval=15)


async def check_redis(redis: Redis | None = None) -> None:
    s = get_settings()
    client = redis or make_redis()
    try:
        await client.ping()  # type: ignore[misc]  # redis-py types ping for both clients
    except Exception as exc:  # connection refused, auth, timeout: all mean the same here
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise Unavailable(f"cannot use Redis at {describe_redis(s.redis_url)}: {reason}") from None
    finally:
        if redis is None:
            await client.aclose()


async def check_all() -> None:
    """Database, and in cluster mode Redis and the bucket (created if missing)."""
    try:
        await check_database()
        if get_settings().is_cluster:
            await check_redis()
        await get_store().check()
    except (DatabaseUnavailable, StorageUnavailable) as exc:
        raise Unavailable(str(exc)) from None
