"""The process pool: warm worker processes in two lanes, fed through pipes.

- `jobs` lane: full-resolution renders, run at a lower CPU priority (nice 10) so that
- `preview` lane: live slider previews, keep the CPU when both are busy.

Each worker has a reader thread that hands messages to the event loop. A worker that dies
fails its task with WorkerCrashed and is replaced; queued tasks carry on.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import effects

from . import work
from .tasks import Task, to_wire

log = logging.getLogger("toonify.pool")
_ids = itertools.count(1)

# One thread per pool process for numpy's BLAS too (OpenCV's is set in the worker): a lane already
# has a process per core, and BLAS threads in each only fight over them. Read at numpy's import,
# so it goes into the environment the spawned processes start with: set once, here.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")


class WorkerCrashed(RuntimeError):
    pass


class TaskFailed(RuntimeError):
    pass


@dataclass
class Order:
    """A task waiting for, or running in, a pool process."""

    task: Task
    future: asyncio.Future
    on_progress: Callable[[dict], None] | None = None
    on_start: Callable[[], None] | None = None  # called when a worker takes the task
    affinity: int | None = None  # preferred worker index: its layer cache holds this session's image
    id: int = field(default_factory=lambda: next(_ids))


class Worker:
    def __init__(self, lane: Lane):
        self.lane = lane
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(
            target=work.worker_main, args=(child, lane.niceness), daemon=True, name=f"toonify-{lane.name}"
        )
        self.process.start()
        child.close()
        self.task: Order | None = None
        self.ready = False
        self.alive = True
        threading.Thread(target=self._read, daemon=True, name=f"reader-{self.process.pid}").start()

    def _read(self) -> None:
        while True:
            try:
                msg = self.conn.recv()
            # stop() closing the pipe under a blocked recv() surfaces as whatever the half-closed
            # connection raises (EOFError, OSError, TypeError on its cleared handle): all mean gone
            except Exception as exc:
                if self.alive and not isinstance(exc, (EOFError, OSError)):
                    log.warning("worker %s: unreadable message, replacing it (%r)", self.process.pid, exc)
                self._tell(self.lane.on_death, self)
                return
            self._tell(self.lane.on_message, self, msg)

    def _tell(self, callback, *args) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is left to tell
            self.lane.loop.call_soon_threadsafe(callback, *args)

    def start(self, task: Order) -> None:
        self.task = task
        self.conn.send((task.id, to_wire(task.task)))
        if task.on_start:
            task.on_start()

    def stop(self) -> None:
        self.alive = False
        with contextlib.suppress(OSError):
            self.conn.close()
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=2)


class Lane:
    def __init__(self, name: str, size: int, niceness: int, loop: asyncio.AbstractEventLoop):
        self.name, self.size, self.niceness, self.loop = name, max(1, size), niceness, loop
        self.pending: collections.deque[Order] = collections.deque()
        self.workers = [Worker(self) for _ in range(self.size)]
        self.closed = False

    @property
    def backlog(self) -> int:
        return len(self.pending)

    @property
    def warm(self) -> bool:
        """At least one worker has started and warmed up (see work._warm_up)."""
        return any(w.ready and w.alive for w in self.workers)

    async def wait_warm(self, timeout: float) -> bool:
        """Wait until `warm`, at most `timeout` seconds; whether it is."""
        deadline = self.loop.time() + timeout
        while not self.warm and self.loop.time() < deadline:
            await asyncio.sleep(0.02)
        return self.warm

    def submit(self, task: Order) -> None:
        self.pending.append(task)
        self._dispatch()

    def cancel(self, task: Order) -> None:
        # a task already running finishes and its result is dropped
        with contextlib.suppress(ValueError):
            self.pending.remove(task)

    def _dispatch(self) -> None:
        while self.pending:
            idle = [i for i, w in enumerate(self.workers) if w.ready and w.task is None and w.alive]
            if not idle:
                return
            task = self.pending.popleft()
            if task.future.done():  # cancelled while waiting
                continue
            preferred = None if task.affinity is None else task.affinity % len(self.workers)
            self.workers[preferred if preferred in idle else idle[0]].start(task)

    def on_message(self, worker: Worker, msg: tuple) -> None:
        kind, task_id, payload = msg
        if kind == "ready":
            worker.ready = True
            self._dispatch()
            return
        task = worker.task
        if task is None or task.id != task_id:
            return
        if kind == "progress":
            if task.on_progress and not task.future.done():
                try:
                    task.on_progress(payload)
                except Exception:  # a listener's bug must not break the pool
                    log.exception("progress listener failed")
            return
        worker.task = None
        if not task.future.done():
            if kind == "done":
                task.future.set_result(payload)
            else:
                kind_name, message, code = payload
                exc_type = getattr(effects, kind_name, None)
                exc: Exception
                if isinstance(exc_type, type) and issubclass(exc_type, effects.EffectsError):
                    exc = exc_type(message, code) if kind_name == "InvalidImage" else exc_type(message)
                elif kind_name == "OSError":
                    exc = OSError(code, message)
                else:
                    log.error("task %s failed in worker: %s", type(task.task).__name__, message)
                    exc = TaskFailed(message)
                task.future.set_exception(exc)
        self._dispatch()

    def on_death(self, worker: Worker) -> None:
        if worker not in self.workers:
            return
        self.workers.remove(worker)
        task, worker.task = worker.task, None
        if task and not task.future.done():
            log.error("worker %s died during %s", worker.process.pid, type(task.task).__name__)
            task.future.set_exception(WorkerCrashed("the renderer stopped unexpectedly while working on this image"))
        worker.stop()
        if not self.closed:
            self.workers.append(Worker(self))

    def close(self) -> None:
        self.closed = True
        for task in self.pending:
            if not task.future.done():
                task.future.cancel()
        self.pending.clear()
        for worker in list(self.workers):
            worker.stop()


class Pool:
    def __init__(self, job_workers: int, preview_workers: int):
        loop = asyncio.get_running_loop()
        self.lanes = {
            "jobs": Lane("jobs", job_workers, niceness=10, loop=loop),
            "preview": Lane("preview", preview_workers, niceness=0, loop=loop),
        }

    def lane(self, name: str) -> Lane:
        return self.lanes[name]

    async def run(
        self,
        task: Task,
        on_progress: Callable[[dict], None] | None = None,
        affinity: int | None = None,
        on_start: Callable[[], None] | None = None,
    ) -> Any:
        """Run `task` in a process of its lane (`task.LANE`) and return its result.

        Raises the effects error the task raised, WorkerCrashed, or TaskFailed. Cancelling the
        caller withdraws a task that has not started yet.
        """
        future = asyncio.get_running_loop().create_future()
        order = Order(task, future, on_progress=on_progress, on_start=on_start, affinity=affinity)
        target = self.lanes[task.LANE]
        target.submit(order)
        try:
            return await order.future
        except asyncio.CancelledError:
            target.cancel(order)
            raise

    def pids(self) -> dict[str, list[int]]:
        return {name: [w.process.pid or 0 for w in lane.workers] for name, lane in self.lanes.items()}

    def close(self) -> None:
        for lane in self.lanes.values():
            lane.close()
