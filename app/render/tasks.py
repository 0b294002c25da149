"""The tasks a worker can be given: msgspec structs, dispatched on their type.

They travel through the queue as plain JSON (msgspec.to_builtins) with a "type" tag, so a worker
rejects an unknown or malformed task by name instead of guessing.
"""

from __future__ import annotations

import msgspec


class RenderJob(msgspec.Struct, tag="render", frozen=True):
    """Render job `job` (a uuid) at full size: result, SD copy and result thumbnail."""

    job: str


Task = RenderJob  # a union of every task struct, as more kinds are added


def encode(task: Task) -> dict:
    return msgspec.to_builtins(task)


def decode(raw: object) -> Task:
    return msgspec.convert(raw, Task)
