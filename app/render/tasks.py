"""Every task a render process can be given: one msgspec struct per kind, dispatched on its type.

One protocol for both transports. The local pool (`pool.py`) sends a task through its pipe as
msgpack; the queue (`queue.py`) carries it inside a SAQ job as plain JSON. Both decode with the
same tagged union, so a process rejects an unknown or malformed task by its tag instead of
guessing from names and keyword arguments. `work.py` holds the handler of each struct.

`LANE` says which pool lane runs a struct: full-size renders run at low CPU priority, previews and
small copies keep the CPU.
"""

from __future__ import annotations

from typing import ClassVar

import msgspec


class _Task(msgspec.Struct, frozen=True, tag_field="type"):
    LANE: ClassVar[str] = "preview"


class RenderJob(_Task, frozen=True, tag="render"):
    """Queue: render job `job` (a uuid) at full size, through storage and the database."""

    job: str


class RenderFile(_Task, frozen=True, tag="render_file"):
    """Pool: render image file `src` at full size to `dst`, with its SD copy and thumbnails,
    emitting progress and growing frames."""

    LANE: ClassVar[str] = "jobs"
    src: str
    dst: str
    sd: str
    thumb: str
    style: str
    params: dict
    quality: int
    max_dimension: int
    max_pixels: int
    sd_side: int
    thumb_side: int
    thumb_original: str | None = None


class WriteSmall(_Task, frozen=True, tag="write_small"):
    """Pool: write a copy of image file `src` at most `side` px long (proves the file decodes)."""

    src: str
    dst: str
    side: int
    max_pixels: int


class LoadSource(_Task, frozen=True, tag="load_source"):
    """Pool: decode image file `path` into a preview session's shared-memory block."""

    shm_name: str
    path: str
    side: int
    max_pixels: int


class RenderPreview(_Task, frozen=True, tag="render_preview"):
    """Pool: render one live-preview frame from a session's shared-memory source."""

    shm_name: str
    shape: list[int]
    version: int
    style: str
    params: dict
    side: int
    fmt: str
    quality: int


class RenderCamera(_Task, frozen=True, tag="render_camera"):
    """Pool: decode and render one camera frame (encoded image bytes)."""

    session: str
    data: bytes
    style: str
    params: dict
    side: int
    quality: int
    reset: bool = False


class Crash(_Task, frozen=True, tag="crash"):
    """Pool: end the process abruptly (tests of the pool's recovery)."""

    LANE: ClassVar[str] = "jobs"


Task = RenderJob | RenderFile | WriteSmall | LoadSource | RenderPreview | RenderCamera | Crash

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Task)


def to_wire(task: Task) -> bytes:
    """The pool's encoding (msgpack keeps camera bytes as bytes)."""
    return _encoder.encode(task)


def from_wire(data: bytes) -> Task:
    return _decoder.decode(data)


def encode(task: Task) -> dict:
    """The queue's encoding: JSON-safe builtins with the "type" tag."""
    return msgspec.to_builtins(task)


def decode(raw: object) -> Task:
    return msgspec.convert(raw, Task)
