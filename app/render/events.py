"""Job events across processes, through Redis pub/sub.

Workers publish every status, progress step and frame of the job they render on the channel
`<prefix>:job:<uuid>` (msgpack, so frames stay bytes). Every web node holds one pattern
subscription and hands each event to its local followers through JobEvents' bounded queues,
so a slow websocket reader still loses only intermediate frames, never status messages.
"""

from __future__ import annotations

import asyncio
import logging

import msgspec
from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.jobs.events import JobEvents

log = logging.getLogger("toonify.events")


class RedisJobEvents(JobEvents):
    def __init__(self, redis: Redis, prefix: str) -> None:
        super().__init__()
        self.redis, self.prefix = redis, prefix
        self._outbox: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self._tasks: list[asyncio.Task] = []
        self._subscribed = asyncio.Event()

    def channel(self, job_uuid: str) -> str:
        return f"{self.prefix}:job:{job_uuid}"

    async def start(self, listen: bool) -> None:
        """Start sending what is published; with `listen`, also deliver every job's events here."""
        self._tasks.append(asyncio.create_task(self._send()))
        if listen:
            self._tasks.append(asyncio.create_task(self._listen()))
            await asyncio.wait_for(self._subscribed.wait(), 10)

    def publish(self, job_uuid: str, event: dict) -> None:
        # one sender task keeps the order of a job's events (status before frames before DONE)
        self._outbox.put_nowait((self.channel(job_uuid), msgspec.msgpack.encode(event)))

    async def flush(self) -> None:
        """Wait until everything published so far has reached Redis."""
        await self._outbox.join()

    async def _send(self) -> None:
        while True:
            channel, data = await self._outbox.get()
            try:
                for attempt in range(5):
                    try:
                        await self.redis.publish(channel, data)
                        break
                    except RedisError as exc:
                        log.warning("could not publish a job event (attempt %d): %s", attempt + 1, exc)
                        await asyncio.sleep(0.2 * (attempt + 1))
            finally:
                self._outbox.task_done()

    async def _listen(self) -> None:
        pattern = f"{self.prefix}:job:*"
        start = len(pattern) - 1
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.psubscribe(pattern)
                self._subscribed.set()
                async for message in pubsub.listen():
                    if message["type"] != "pmessage":
                        continue
                    channel = message["channel"].decode()
                    try:
                        event = msgspec.msgpack.decode(message["data"])
                    except msgspec.DecodeError:
                        log.warning("undecodable event on %s", channel)
                        continue
                    super().publish(channel[start:], event)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                log.warning("job events subscription lost, reconnecting: %s", exc)
                await asyncio.sleep(0.5)
            finally:
                await pubsub.aclose()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
