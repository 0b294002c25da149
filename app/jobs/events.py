"""In-process fan-out of job events to the websockets following them.

Each follower gets a bounded queue: a slow reader loses intermediate frames (the newest is
kept) but never the status messages, and never grows the server's memory.
"""

from __future__ import annotations

import asyncio
import collections


class Follower:
    MAX_FRAMES = 2

    def __init__(self) -> None:
        self.events: collections.deque[dict] = collections.deque()
        self.wakeup = asyncio.Event()

    def push(self, event: dict) -> None:
        if event["type"] == "frame":
            frames = [e for e in self.events if e["type"] == "frame"]
            if len(frames) >= self.MAX_FRAMES:
                self.events.remove(frames[0])
        elif len(self.events) > 64:  # status floods are coalesced to the newest
            self.events = collections.deque(e for e in self.events if e["type"] == "frame")
        self.events.append(event)
        self.wakeup.set()

    async def next(self) -> dict:
        while not self.events:
            self.wakeup.clear()
            await self.wakeup.wait()
        return self.events.popleft()


class JobEvents:
    def __init__(self) -> None:
        self._followers: dict[str, set[Follower]] = collections.defaultdict(set)

    def follow(self, job_uuid: str) -> Follower:
        f = Follower()
        self._followers[job_uuid].add(f)
        return f

    def unfollow(self, job_uuid: str, follower: Follower) -> None:
        group = self._followers.get(job_uuid)
        if group is not None:
            group.discard(follower)
            if not group:
                del self._followers[job_uuid]

    def publish(self, job_uuid: str, event: dict) -> None:
        for f in list(self._followers.get(job_uuid, ())):
            f.push(event)
