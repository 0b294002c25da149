"""What the web node needs from whoever renders its jobs (the type handlers are given)."""

from __future__ import annotations

from abc import ABC, abstractmethod


class Renderer(ABC):
    """Embedded: app.jobs.runner.JobRunner (the local pool). Cluster: app.render.queue.QueueRunner."""

    @abstractmethod
    def submit(self, job_uuid: str) -> None:
        """Start rendering a QUEUED job (returns at once; progress goes to the job's followers)."""

    @abstractmethod
    async def resume(self) -> int:
        """At start: take up jobs left unfinished; returns how many."""

    @abstractmethod
    async def close(self) -> None: ...
