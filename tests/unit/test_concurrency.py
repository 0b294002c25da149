"""The concurrency pieces in-process: job followers and the worker pool's lanes (real processes)."""

from __future__ import annotations

import asyncio

import pytest

from app.jobs.events import Follower, JobEvents
from app.render.pool import Pool, WorkerCrashed
from app.render.tasks import Crash, WriteSmall
from tests.imaging import photo


def _status(n: int) -> dict:
    return {"type": "status", "progress": n}


def _frame(n: int) -> dict:
    return {"type": "frame", "n": n}


def test_a_slow_follower_keeps_every_status_and_only_the_newest_frames():
    f = Follower()
    for n in range(10):
        f.push(_frame(n))
        f.push(_status(n))
    frames = [e["n"] for e in f.events if e["type"] == "frame"]
    statuses = [e["progress"] for e in f.events if e["type"] == "status"]
    assert frames == list(range(10))[-Follower.MAX_FRAMES :]
    assert statuses == list(range(10))


def test_a_status_flood_is_coalesced_and_memory_stays_bounded():
    f = Follower()
    for n in range(1000):
        f.push(_status(n))
    assert len(f.events) <= 66
    assert f.events[-1]["progress"] == 999, "the newest status is never lost"


async def test_events_reach_every_follower_of_their_job_only():
    events = JobEvents()
    a1, a2, b = events.follow("a"), events.follow("a"), events.follow("b")
    events.publish("a", _status(1))
    assert (await a1.next(), await a2.next()) == (_status(1), _status(1))
    assert not b.events
    waiter = asyncio.ensure_future(b.next())
    events.publish("b", _status(2))
    assert await asyncio.wait_for(waiter, 5) == _status(2)
    for f in (a1, a2):
        events.unfollow("a", f)
    events.unfollow("b", b)
    assert not events._followers, "no follower left behind"


@pytest.fixture()
async def pool():
    p = Pool(job_workers=1, preview_workers=1)
    yield p
    p.close()


async def test_a_lane_runs_tasks_reports_their_start_and_survives_a_crash(pool, tmp_path):
    started: list[str] = []
    kwargs = {"src": str(photo("prairie_falcon.jpg")), "max_pixels": 10**8, "side": 64}
    size = await pool.run(WriteSmall(dst=str(tmp_path / "a.jpg"), **kwargs), on_start=lambda: started.append("a"))
    assert size == {"width": 800, "height": 533} and started == ["a"]
    assert (tmp_path / "a.jpg").exists()
    with pytest.raises(WorkerCrashed):
        await pool.run(Crash())  # the jobs lane
    # the lane replaced its worker: the next task runs
    again = await pool.run(WriteSmall(dst=str(tmp_path / "b.jpg"), **kwargs))
    assert again == size


async def test_a_task_cancelled_while_waiting_never_starts(pool, tmp_path):
    started: list[str] = []
    kwargs = {"src": str(photo("book-beside-flowers.jpg")), "max_pixels": 10**8, "side": 64}
    first = asyncio.ensure_future(
        pool.run(WriteSmall(dst=str(tmp_path / "1.jpg"), **kwargs), on_start=lambda: started.append("first"))
    )
    second = asyncio.ensure_future(
        pool.run(WriteSmall(dst=str(tmp_path / "2.jpg"), **kwargs), on_start=lambda: started.append("second"))
    )
    await asyncio.sleep(0)  # both submitted; the lane's one worker (preview lane) takes the first
    second.cancel()
    assert (await first)["width"] == 1536
    with pytest.raises(asyncio.CancelledError):
        await second
    assert started == ["first"] and not (tmp_path / "2.jpg").exists()
