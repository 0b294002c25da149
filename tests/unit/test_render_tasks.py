"""The render protocol: one struct per task, the same decoding for the local pool and the queue."""

from __future__ import annotations

import msgspec
import pytest

from app.render import tasks, work


def _every_task() -> list[tasks.Task]:
    return [
        tasks.RenderJob(job="0b7c6f0e-8d5e-4c43-9a0c-1a2b3c4d5e6f"),
        tasks.RenderFile("a.jpg", "b.jpg", "c.jpg", "d.jpg", "cartoon", {"colors": 8}, 90, 4096, 10**8, 1200, 256),
        tasks.WriteSmall("a.jpg", "b.jpg", 256, 10**8),
        tasks.LoadSource("psm_1", "a.jpg", 1024, 10**8),
        tasks.RenderPreview("psm_1", [10, 20, 3], 2, "sketch", {}, 1024, "webp", 80),
        tasks.RenderCamera("s1", b"\xff\xd8\x00binary", "pop_art", {"dot_size": 6}, 640, 75, reset=True),
        tasks.Crash(),
    ]


@pytest.mark.parametrize("task", _every_task(), ids=lambda t: type(t).__name__)
def test_every_task_travels_both_ways_unchanged(task):
    assert tasks.from_wire(tasks.to_wire(task)) == task  # the pool's pipe
    assert tasks.decode(msgspec.json.decode(msgspec.json.encode(tasks.encode(task)))) == task  # the queue's JSON


def test_every_pool_task_has_a_handler_and_a_lane():
    for task in _every_task():
        if isinstance(task, tasks.RenderJob):
            assert type(task) not in work.HANDLERS  # whole jobs run in app/render/worker.py
            continue
        assert type(task) in work.HANDLERS
        assert task.LANE in ("jobs", "preview")
    assert tasks.RenderFile.LANE == "jobs" and tasks.RenderPreview.LANE == "preview"


@pytest.mark.parametrize(
    "raw",
    [
        {"type": "render_everything", "job": "x"},  # an unknown kind
        {"job": "x"},  # no tag
        {"type": "render", "job": 5},  # a wrong field type
        {"type": "write_small", "src": "a.jpg"},  # missing fields
    ],
)
def test_a_malformed_task_is_refused_by_name(raw):
    with pytest.raises(msgspec.ValidationError):
        tasks.decode(raw)
    with pytest.raises(msgspec.ValidationError):
        tasks.from_wire(msgspec.msgpack.encode(raw))
