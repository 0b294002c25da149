"""Login throttling by account *and* client address, kept in memory (embedded mode).

- Failures are counted per (email, client address). After `login_max_failures` in a row, that
  pair waits `login_lock_seconds`, doubling with each further failure (capped at 15 minutes).
  The account itself is never locked: a stranger guessing from elsewhere cannot keep its owner
  out, and the owner's success clears only the owner's own pair.
- Failures are also counted per client address over every email, registered or not, so
  password spraying from one address stops after `login_address_max_failures` in IP_WINDOW seconds.

The state is per process; a cluster keeps it in Redis instead (docs/security.md).
"""

from __future__ import annotations

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


@dataclass
class LoginThrottle:
    pairs: OrderedDict[tuple[str, str], _Pair] = field(default_factory=OrderedDict)
    addresses: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)

    def check(self, email: str, client: str) -> None:
        """Raise `too_many_attempts` (with Retry-After) if this login may not be tried now."""
        now = time.monotonic()
        pair = self.pairs.get((email, client))
        wait = pair.until - now if pair else 0.0
        recent = self._recent(client, now)
        if len(recent) >= get_settings().login_address_max_failures:
            wait = max(wait, recent[0] + IP_WINDOW - now)
        if wait > 0:
            seconds = int(wait) + 1
            raise DomainError(
                "too_many_attempts",
                f"Too many failed logins; try again in {seconds} seconds.",
                {"Retry-After": str(seconds)},
            )

    def failed(self, email: str, client: str) -> None:
        now = time.monotonic()
        s = get_settings()
        pair = self.pairs.pop((email, client), None) or _Pair()
        pair.failures += 1
        if pair.failures >= s.login_max_failures:
            pair.until = now + min(MAX_LOCK, s.login_lock_seconds * 2 ** (pair.failures - s.login_max_failures))
        self.pairs[(email, client)] = pair
        recent = self.addresses.pop(client, None) or deque()
        recent.append(now)
        self.addresses[client] = recent
        for table in (self.pairs, self.addresses):
            while len(table) > MAX_KEYS:
                table.popitem(last=False)

    def succeeded(self, email: str, client: str) -> None:
        self.pairs.pop((email, client), None)

    def _recent(self, client: str, now: float) -> deque[float]:
        recent = self.addresses.get(client) or deque()
        while recent and recent[0] < now - IP_WINDOW:
            recent.popleft()
        return recent


throttle = LoginThrottle()
