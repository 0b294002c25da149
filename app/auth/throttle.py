"""Login throttling by account *and* client address, kept in memory (embedded mode).

- Failures are counted per (email, client address). After `login_max_failures` in a row, that
  pair waits `login_lock_seconds`, doubling with each further failure (capped at 15 minutes).
  The account itself is never locked: a stranger guessing from elsewhere cannot keep its owner
  out, and the owner's success clears only the owner's own pair.
- Failures are also counted per client address over every email, registered or not, so
  password spraying from one address stops after `login_address_max_failures` in IP_WINDOW seconds.

The state is per process in embedded mode; a cluster keeps it in Redis (RedisLoginThrottle),
so every web node sees every failure.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from app.lib.errors import DomainError
from app.lib.settings import get_settings

IP_WINDOW = 15 * 60
MAX_LOCK = 15 * 60
MAX_KEYS = 100_000  # bounded memory: the oldest entries are forgotten first


@dataclass
class _Pair:
    failures: int = 0
    until: float = 0.0


def lock_seconds(failures: int) -> float:
    """How long a pair waits after its `failures`-th failure in a row (0: not locked yet)."""
    s = get_settings()
    if failures < s.login_max_failures:
        return 0.0
    return min(MAX_LOCK, s.login_lock_seconds * 2 ** (failures - s.login_max_failures))


def refuse_if_waiting(pair_until: float, recent: int, oldest: float, now: float) -> None:
    """Raise `too_many_attempts` (with Retry-After) if this login may not be tried now."""
    wait = pair_until - now
    if recent >= get_settings().login_address_max_failures:
        wait = max(wait, oldest + IP_WINDOW - now)
    if wait > 0:
        seconds = int(wait) + 1
        raise DomainError(
            "too_many_attempts",
            f"Too many failed logins; try again in {seconds} seconds.",
            {"Retry-After": str(seconds)},
        )


@dataclass
class LoginThrottle:
    """In this process's memory (embedded mode)."""

    pairs: OrderedDict[tuple[str, str], _Pair] = field(default_factory=OrderedDict)
    addresses: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)

    async def check(self, email: str, client: str) -> None:
        now = time.monotonic()
        pair = self.pairs.get((email, client))
        recent = self._recent(client, now)
        refuse_if_waiting(pair.until if pair else 0.0, len(recent), recent[0] if recent else now, now)

    async def failed(self, email: str, client: str) -> None:
        now = time.monotonic()
        pair = self.pairs.pop((email, client), None) or _Pair()
        pair.failures += 1
        if lock_seconds(pair.failures):
            pair.until = now + lock_seconds(pair.failures)
        self.pairs[(email, client)] = pair
        recent = self.addresses.pop(client, None) or deque()
        recent.append(now)
        self.addresses[client] = recent
        for table in (self.pairs, self.addresses):
            while len(table) > MAX_KEYS:
                table.popitem(last=False)

    async def succeeded(self, email: str, client: str) -> None:
        self.pairs.pop((email, client), None)

    def _recent(self, client: str, now: float) -> deque[float]:
        recent = self.addresses.get(client) or deque()
        while recent and recent[0] < now - IP_WINDOW:
            recent.popleft()
        return recent


class RedisLoginThrottle:
    """The same rules with the state in Redis (cluster mode): every web node sees every failure.
    Wall-clock times, since the nodes share them; keys expire on their own."""

    def __init__(self, redis, prefix: str) -> None:
        self.redis, self.prefix = redis, prefix

    def _keys(self, email: str, client: str) -> tuple[str, str]:
        who = hashlib.sha256(email.encode()).hexdigest()[:32]  # no addresses of users in Redis key names
        return f"{self.prefix}:login:pair:{who}:{client}", f"{self.prefix}:login:addr:{client}"

    async def check(self, email: str, client: str) -> None:
        pair_key, addr_key = self._keys(email, client)
        now = time.time()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hget(pair_key, "until").zremrangebyscore(addr_key, 0, now - IP_WINDOW)
            pipe.zcard(addr_key).zrange(addr_key, 0, 0, withscores=True)
            until, _, recent, oldest = await pipe.execute()
        refuse_if_waiting(float(until or 0), int(recent), oldest[0][1] if oldest else now, now)

    async def failed(self, email: str, client: str) -> None:
        pair_key, addr_key = self._keys(email, client)
        now = time.time()
        failures = await self.redis.hincrby(pair_key, "failures", 1)
        async with self.redis.pipeline(transaction=True) as pipe:
            if lock_seconds(failures):
                pipe.hset(pair_key, "until", now + lock_seconds(failures))
            pipe.expire(pair_key, MAX_LOCK + IP_WINDOW)
            pipe.zadd(addr_key, {f"{now}:{failures}:{pair_key[-8:]}": now}).expire(addr_key, IP_WINDOW)
            await pipe.execute()

    async def succeeded(self, email: str, client: str) -> None:
        await self.redis.delete(self._keys(email, client)[0])


throttle: LoginThrottle | RedisLoginThrottle = LoginThrottle()


def use_redis(redis, prefix: str) -> None:
    """Cluster mode: keep the throttle's state in Redis (called once at start)."""
    global throttle
    throttle = RedisLoginThrottle(redis, prefix)
