"""Work that runs inside the pool's worker processes (OpenCV, never on the event loop).

Tasks take file paths or shared-memory names, never pickled images, and report progress
through `emit(message)`, which the pool relays to the event loop.
"""

from __future__ import annotations

import os
import time
from multiprocessing import shared_memory
from multiprocessing.connection import Connection

import cv2
import numpy as np

import effects
from effects import blocks, io

PREVIEW_FRAME_SIDES = (256, 512, 1024)  # job frames grow through these sizes


def _frame(image: np.ndarray, side: int, quality: int = 80) -> dict:
    small = blocks.shrink(image, side)
    return {
        "width": small.shape[1],
        "height": small.shape[0],
        "mime": "image/jpeg",
        "data": io.encode(small, "jpeg", quality),
    }


def _write_copy(path: str, image: np.ndarray, side: int, quality: int) -> None:
    """Write a copy at most `side` px long, in the format of `path`."""
    io.write_atomic(path, io.encode(blocks.shrink(image, side), io.format_for(path), quality))


def probe(path: str, max_pixels: int, thumb: str, thumb_side: int) -> dict:
    """Decode a stored upload fully to prove it is a readable picture; write its thumbnail."""
    image = io.read_image(path, max_pixels)
    _write_copy(thumb, image, thumb_side, 80)
    return {"width": image.shape[1], "height": image.shape[0]}


def render_job(
    src: str,
    dst: str,
    sd: str,
    thumb: str,
    style: str,
    params: dict,
    quality: int,
    max_dimension: int,
    max_pixels: int,
    sd_side: int,
    thumb_side: int,
    emit,
) -> dict:
    """Render a full-resolution job from file `src` to file `dst`, emitting growing frames.

    Frames stay smaller than the SD copy: the finished SD file is the stream's final frame.
    """
    t0 = time.perf_counter()
    image = blocks.shrink(io.read_image(src, max_pixels), max_dimension)
    emit({"progress": 0.1})
    sides = iter(PREVIEW_FRAME_SIDES)

    def frame_of(picture: np.ndarray) -> dict:
        side = next(sides, None)
        return {"frame": _frame(picture, side, 70)} if side and side < sd_side else {}

    def progress(fraction: float, partial: np.ndarray | None) -> None:
        emit({"progress": 0.1 + 0.8 * fraction, **(frame_of(partial) if partial is not None else {})})

    out = effects.apply(image, style, params, progress)
    emit({"progress": 0.92, **frame_of(out)})  # the result itself, if the sizes have not reached SD yet
    data = io.encode(out, io.format_for(dst), quality)
    # the small copies first: the full-size file appearing is what marks the job finished
    _write_copy(thumb, out, thumb_side, 80)
    _write_copy(sd, out, sd_side, quality)
    io.write_atomic(dst, data)
    emit({"progress": 1.0})
    return {
        "width": out.shape[1],
        "height": out.shape[0],
        "bytes": len(data),
        "render_ms": (time.perf_counter() - t0) * 1000,
    }


def load_source(shm_name: str, path: str, side: int, max_pixels: int) -> dict:
    """Decode an image file into a session's shared-memory block at preview size."""
    image = io.read_image(path, max_pixels)
    small = np.ascontiguousarray(blocks.shrink(image, side))
    shm = shared_memory.SharedMemory(name=shm_name)
    try:
        np.ndarray(small.shape, np.uint8, buffer=shm.buf)[:] = small
    finally:
        shm.close()
    return {"source": [image.shape[1], image.shape[0]], "shape": list(small.shape)}


_sources: dict = {}  # per worker: the few newest session sources and their layer caches


def render_preview(
    shm_name: str, shape: list[int], version: int, style: str, params: dict, side: int, fmt: str, quality: int
) -> dict:
    """Render a preview frame from a session's shared-memory source; returns encoded bytes.

    The source is copied out of shared memory once per version and kept with a layer cache,
    so moving one slider recomputes only the layers that slider feeds.
    """
    t0 = time.perf_counter()
    key = (shm_name, version, side)
    entry = _sources.pop(key, None)
    if entry is None:
        shm = shared_memory.SharedMemory(name=shm_name)
        try:
            image = np.ndarray(shape, np.uint8, buffer=shm.buf).copy()
        finally:
            shm.close()
        entry = {"image": blocks.shrink(image, side), "cache": {}}
    _sources[key] = entry  # most recently used last
    while len(_sources) > 4:
        del _sources[next(iter(_sources))]
    out = effects.apply(entry["image"], style, params, cache=entry["cache"])
    data = io.encode(out, "jpeg", quality)
    if fmt == "webp":
        webp = io.encode(out, "webp", quality)
        if len(webp) < len(data):
            data, fmt = webp, "webp"
        else:
            fmt = "jpeg"
    return {
        "width": out.shape[1],
        "height": out.shape[0],
        "mime": io.FORMATS[fmt],
        "data": data,
        "render_ms": (time.perf_counter() - t0) * 1000,
    }


_cameras: dict = {}  # per worker: the newest camera sessions' stable state (palettes, thresholds)
CAMERA_MAX_PIXELS = 4_200_000  # a camera frame larger than 2560 x 1640 is refused


def render_camera(
    session: str, data: bytes, style: str, params: dict, side: int, quality: int, reset: bool = False
) -> dict:
    """Decode one camera frame (JPEG, PNG or WebP bytes), render it at most `side` px long and
    return it encoded as JPEG. Palettes and thresholds carry over between a session's frames
    (`effects.apply`'s `cache["stable"]`) so a still scene does not flicker."""
    t0 = time.perf_counter()
    image = blocks.shrink(io.decode(data, CAMERA_MAX_PIXELS), side)
    stable = _cameras.pop((session, style), None)
    if stable is None or reset:
        stable = {}
    _cameras[(session, style)] = stable  # most recently used last
    while len(_cameras) > 16:
        del _cameras[next(iter(_cameras))]
    out = effects.apply(image, style, params, cache={"stable": stable})
    encoded = io.encode(out, "jpeg", quality)
    return {
        "width": out.shape[1],
        "height": out.shape[0],
        "mime": "image/jpeg",
        "data": encoded,
        "render_ms": (time.perf_counter() - t0) * 1000,
    }


def crash(emit) -> None:
    """Kill this worker abruptly (used by tests of the pool's recovery)."""
    os._exit(17)


TASKS = {f.__name__: f for f in (probe, render_job, load_source, render_preview, render_camera, crash)}
NEEDS_EMIT = {"render_job", "crash"}


def worker_main(conn: Connection, niceness: int) -> None:
    """A worker process: warm up once, then serve tasks from the pipe until it closes."""
    if niceness:
        os.nice(niceness)
    cv2.setNumThreads(1)
    effects.apply(np.zeros((8, 8, 3), np.uint8), "cartoon")  # import and JIT-free warm-up
    conn.send(("ready", None, os.getpid()))
    while True:
        try:
            task_id, name, kwargs = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            if name in NEEDS_EMIT:
                kwargs["emit"] = lambda msg, _id=task_id: conn.send(("progress", _id, msg))
            result = TASKS[name](**kwargs)
            conn.send(("done", task_id, result))
        except effects.EffectsError as exc:
            conn.send(("error", task_id, (type(exc).__name__, str(exc), getattr(exc, "code", None))))
        except OSError as exc:  # storage faults keep their errno: the parent says what happened
            conn.send(("error", task_id, ("OSError", exc.strerror or str(exc), exc.errno)))
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which logs it
            conn.send(("error", task_id, ("internal", f"{type(exc).__name__}: {exc}", None)))
