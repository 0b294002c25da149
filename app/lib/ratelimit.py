"""Per-user rate limits (the original design's roadmap): requests per minute and renders per hour.

Counted per signed-in user, in fixed windows aligned to the clock (window n covers
[n * seconds, (n + 1) * seconds)). A fixed window lets a user spend up to twice a limit across a
window's edge; in exchange one counter per user and window is all the state there is, and in a
cluster one Redis round trip (INCRBY + EXPIRE in a transaction) counts it atomically for every
web node. Embedded mode keeps the counters in this process's memory, bounded.

- `requests`: every HTTP request made with a user's login or API token (TOONIFY_RATE_LIMIT_REQUESTS
  per minute). Live previews travel over a websocket and are not requests; opening one is.
- `renders`: full-size renders queued (uploads, studio renders, batch photos, retries;
  TOONIFY_RATE_LIMIT_RENDERS per hour). A batch is counted whole before it starts, so it is
  refused whole instead of half-made.

What is refused is not counted. A limit of 0 turns it off. If Redis cannot be reached the request
goes through (logged): losing the limiter must not take the service down with it.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from dataclasses import dataclass

from .errors import DomainError
from .settings import get_settings

log = logging.getLogger("toonify.ratelimit")
MAX_KEYS = 100_000  # bounded memory in embedded mode: the oldest windows are forgotten first


@dataclass(frozen=True)
class Limit:
    name: str
    seconds: int
    code: str
    unit: str  # what is counted, for the message
    per: str  # the window, for the message

    def allowed(self) -> int:
        return int(getattr(get_settings(), f"rate_limit_{self.name}"))


REQUESTS = Limit("requests", 60, "too_many_requests", "requests", "a minute")
RENDERS = Limit("renders", 3600, "too_many_renders", "renders", "an hour")


class MemoryCounters:
    def __init__(self) -> None:
        self.counts: OrderedDict[str, int] = OrderedDict()

    async def add(self, key: str, amount: int, seconds: int) -> int:
        count = self.counts.pop(key, 0) + amount
        self.counts[key] = count  # most recently used last
        while len(self.counts) > MAX_KEYS:
            self.counts.popitem(last=False)
        return count


class RedisCounters:
    def __init__(self, redis, prefix: str) -> None:
        self.redis, self.prefix = redis, prefix

    async def add(self, key: str, amount: int, seconds: int) -> int:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incrby(f"{self.prefix}:rate:{key}", amount).expire(f"{self.prefix}:rate:{key}", seconds + 5)
            count, _ = await pipe.execute()
        return int(count)


counters: MemoryCounters | RedisCounters = MemoryCounters()


def use_redis(redis, prefix: str) -> None:
    """Cluster mode: count in Redis, so every web node sees every request (called once at start)."""
    global counters
    counters = RedisCounters(redis, prefix)


async def spend(limit: Limit, user: str, amount: int = 1) -> None:
    """Count `amount` against `user`'s `limit`, or raise 429 (with Retry-After) if it would pass it."""
    allowed = limit.allowed()
    if allowed <= 0 or amount <= 0:
        return
    now = time.time()
    window = int(now // limit.seconds)
    key = f"{limit.name}:{user}:{window}"
    try:
        used = await counters.add(key, amount, limit.seconds)
        if used <= allowed:
            return
        await counters.add(key, -amount, limit.seconds)  # what is refused is not counted
    except Exception as exc:  # Redis gone: serve rather than fail every request
        log.warning("rate limit %s not counted: %s", limit.name, exc)
        return
    wait = max(1, math.ceil((window + 1) * limit.seconds - now))
    what = f"{amount} more {limit.unit}" if amount > 1 else f"more {limit.unit}"
    raise DomainError(
        limit.code,
        f"You have reached the limit of {allowed} {limit.unit} in {limit.per}; {what} can be made in {wait} seconds.",
        {"Retry-After": str(wait)},
    )
