"""What runs inside the pool's processes (OpenCV, never on the event loop): a handler per task
struct of `tasks.py`, dispatched on the struct's type.

Tasks carry file paths or shared-memory names, never images, and report progress through
`emit(message)`, which the pool relays to the event loop.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pathlib
import threading
import time
from collections.abc import Callable
from multiprocessing import shared_memory
from multiprocessing.connection import Connection
from typing import Any

import cv2
import numpy as np

import effects
from app.lib.settings import get_settings
from effects import blocks, io

from .tasks import Crash, LoadSource, RenderCamera, RenderFile, RenderPreview, WriteSmall, from_wire

Emit = Callable[[dict], None]

PREVIEW_FRAME_SIDES = (256, 512, 1024)  # job frames grow through these sizes


def _small(image: np.ndarray, side: int) -> np.ndarray:
    """A copy at most `side` px long for a progress frame or a small file.

    A picture more than 4x too big is first decimated by striding (a progress frame need not
    be anti-aliased, and reading every pixel of a 12 MP picture costs more than encoding it).
    """
    k = max(image.shape[:2]) // (2 * side)
    if k >= 2:
        image = image[::k, ::k]
    return blocks.shrink(np.ascontiguousarray(image), side)


def _frame(image: np.ndarray, side: int, quality: int = 80) -> dict:
    small = _small(image, side)
    return {
        "width": small.shape[1],
        "height": small.shape[0],
        "mime": "image/jpeg",
        "data": io.encode(small, "jpeg", quality),
    }


def _write_copy(path: str, image: np.ndarray, side: int, quality: int) -> None:
    """Write a copy at most `side` px long, in the format of `path`."""
    io.write_atomic(path, io.encode(blocks.shrink(image, side), io.format_for(path), quality))


def _fit(image: np.ndarray, side: int) -> np.ndarray:
    """Scale a full-size picture down to `side` (the service's maximum dimension).

    Less than 2x is a bilinear resize (it averages 2x2 pixels like an area filter, at a fraction
    of its cost on 12 MP); more is an area downscale.
    """
    h, w = image.shape[:2]
    if max(h, w) <= side:
        return image
    if max(h, w) < 2 * side:
        f = side / max(h, w)
        return cv2.resize(image, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_LINEAR)
    return blocks.shrink(image, side)


def render_file(t: RenderFile, emit: Emit) -> dict:
    """Render a full-resolution job from file `t.src` to file `t.dst`, emitting growing frames.

    The upload is decoded once, here (the upload itself only checks headers). The original's
    thumbnail comes from the 1024 px reference copy the render makes anyway, the SD copy from
    the result, and the result's thumbnail from the SD copy. Frames stay smaller than the SD
    copy: the finished SD file is the stream's final frame.
    """
    t0 = time.perf_counter()
    image = _fit(io.read_image(t.src, t.max_pixels), t.max_dimension)
    cache: dict = {}
    frame = blocks.Frame.of(image, cache)  # effects.apply reuses it (and its reference copies)
    if t.thumb_original:
        _write_copy(t.thumb_original, frame.ref, t.thumb_side, 80)
    emit({"progress": 0.1})
    sides = iter(PREVIEW_FRAME_SIDES)

    def frame_of(picture: np.ndarray) -> dict:
        side = next(sides, None)
        return {"frame": _frame(picture, side, 70)} if side and side < t.sd_side else {}

    def progress(fraction: float, partial: np.ndarray | None) -> None:
        emit({"progress": 0.1 + 0.8 * fraction, **(frame_of(partial) if partial is not None else {})})

    out = effects.apply(image, t.style, t.params, progress, cache=cache)
    del cache, frame, image
    small = blocks.shrink(out, t.sd_side)
    emit({"progress": 0.92, **frame_of(small)})  # the result itself, if the sizes have not reached SD yet
    data = io.encode(out, io.format_for(t.dst), t.quality)
    # the small copies first: the full-size file appearing is what marks the job finished
    _write_copy(t.thumb, small, t.thumb_side, 80)
    _write_copy(t.sd, small, t.sd_side, t.quality)
    io.write_atomic(t.dst, data)
    emit({"progress": 1.0})
    return {
        "width": out.shape[1],
        "height": out.shape[0],
        "bytes": len(data),
        "render_ms": (time.perf_counter() - t0) * 1000,
    }


def write_small(t: WriteSmall, emit: Emit) -> dict:
    """Write a copy of image file `src` at most `side` px long (decoded reduced, EXIF applied);
    proves the file decodes. Returns its full upright size."""
    small, (width, height) = io.decode_reduced(pathlib.Path(t.src).read_bytes(), t.side, t.max_pixels)
    _write_copy(t.dst, small, t.side, 80)
    return {"width": width, "height": height}


def load_source(t: LoadSource, emit: Emit) -> dict:
    """Decode an image file into a session's shared-memory block at preview size."""
    try:
        data = pathlib.Path(t.path).read_bytes()
    except OSError as exc:
        raise effects.InvalidImage(f"cannot read the image: {exc.strerror}") from None
    # a 12 MP JPEG is decoded straight to about the preview size (libjpeg DCT scaling)
    small, (width, height) = io.decode_reduced(data, t.side, t.max_pixels)
    small = np.ascontiguousarray(small)
    shm = shared_memory.SharedMemory(name=t.shm_name)
    try:
        np.ndarray(small.shape, np.uint8, buffer=shm.buf)[:] = small
    finally:
        shm.close()
    return {"source": [width, height], "shape": list(small.shape)}


_sources: dict = {}  # per worker: the few newest session sources and their layer caches
# Older sources are forgotten while all caches together pass this: the newest source may use its
# whole LAYER_BUDGET (256 MB), and the others share what is left (384 MB per worker at most,
# where 4 full caches would hold 1 GB).
_SOURCES_MAX, _SOURCES_BUDGET = 4, 384 * 2**20


def _keep_newest_sources() -> None:
    while len(_sources) > 1 and (
        len(_sources) > _SOURCES_MAX
        or sum(blocks.cache_bytes(e["cache"]) + e["image"].nbytes for e in _sources.values()) > _SOURCES_BUDGET
    ):
        del _sources[next(iter(_sources))]


def render_preview(t: RenderPreview, emit: Emit) -> dict:
    """Render a preview frame from a session's shared-memory source; returns encoded bytes.

    The source is copied out of shared memory once per version and kept with a layer cache,
    so moving one slider recomputes only the layers that slider feeds.
    """
    t0 = time.perf_counter()
    key = (t.shm_name, t.version, t.side)
    entry = _sources.pop(key, None)
    if entry is None:
        shm = shared_memory.SharedMemory(name=t.shm_name)
        try:
            image = np.ndarray(t.shape, np.uint8, buffer=shm.buf).copy()
        finally:
            shm.close()
        entry = {"image": blocks.shrink(image, t.side), "cache": {}}
    _sources[key] = entry  # most recently used last
    out = effects.apply(entry["image"], t.style, t.params, cache=entry["cache"])
    _keep_newest_sources()  # after the render: the newest source's layers have grown
    _AHEAD.follow(entry, t.style, effects.validate(t.style, t.params))
    data, fmt = io.encode(out, "jpeg", t.quality), t.fmt
    if fmt == "webp":
        webp = io.encode(out, "webp", t.quality)
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


def render_camera(t: RenderCamera, emit: Emit) -> dict:
    """Decode one camera frame (JPEG, PNG or WebP bytes), render it at most `side` px long and
    return it encoded as JPEG. Palettes and thresholds carry over between a session's frames
    (`effects.apply`'s `cache["stable"]`) so a still scene does not flicker."""
    t0 = time.perf_counter()
    image = blocks.shrink(io.decode(t.data, CAMERA_MAX_PIXELS), t.side)
    stable = _cameras.pop((t.session, t.style), None)
    if stable is None or t.reset:
        stable = {}
    _cameras[(t.session, t.style)] = stable  # most recently used last
    while len(_cameras) > 16:
        del _cameras[next(iter(_cameras))]
    out = effects.apply(image, t.style, t.params, cache={"stable": stable})
    encoded = io.encode(out, "jpeg", t.quality)
    return {
        "width": out.shape[1],
        "height": out.shape[0],
        "mime": "image/jpeg",
        "data": encoded,
        "render_ms": (time.perf_counter() - t0) * 1000,
    }


class LookAhead:
    """Builds, on a low-priority thread, the layers the next requests of a slider drag will need.

    When two consecutive previews of a source differ in one numeric control, a person is dragging
    it: the next values are likely one and two strides further. Rendering them fills the source's
    layer cache (smoothing, palettes, paint, textures keyed by the values that feed them), so the
    real request finds its expensive layers made, or waits for the one being made instead of
    making it twice. OpenCV releases the GIL, so the thread uses the other core; it runs at the
    preview worker's priority (see LOOK_AHEAD_NICE). A newer drag replaces any look-ahead not
    started yet.

    Off unless TOONIFY_PREVIEW_LOOK_AHEAD=1 (settings): on the shared 2-core machine it halved the median of
    the costliest upstream slider (cartoon smoothness, 19 -> 10 ms render) but its p95 effect was
    mixed (the extra thread competes for the CPU when no core is idle), and p95 is the goal.
    Same params give the same bytes whether or not a layer came from here (layers are pure
    functions of their key).
    """

    STEPS = 2

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.wanted: tuple | None = None
        self.last: dict = {}  # id(entry) -> (style, params) of its last preview
        self.thread: threading.Thread | None = None
        self.made = 0  # look-ahead renders done (for tests)

    def follow(self, entry: dict, style: str, params: dict) -> None:
        if not get_settings().preview_look_ahead:
            return
        prev = self.last.get(id(entry))
        self.last = {id(entry): (style, params)}  # only the newest source is looked ahead for
        if prev is None or prev[0] != style:
            return
        moved = [k for k in params if params[k] != prev[1].get(k)]
        if len(moved) != 1 or isinstance(params[moved[0]], bool) or not isinstance(params[moved[0]], (int, float)):
            return
        name = moved[0]
        spec = next(p for p in effects.params(style) if p.name == name)
        stride = params[name] - prev[1][name]
        ahead = []
        for i in range(1, self.STEPS + 1):
            value = params[name] + stride * i
            if not spec.min <= value <= spec.max:
                break
            value = round(value, 6) if spec.type == "float" else int(value)
            ahead.append({**params, name: value})
        if not ahead:
            return
        with self.cond:
            self.wanted = (entry, style, ahead)
            self.cond.notify()
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, daemon=True, name="look-ahead")
            self.thread.start()

    def _run(self) -> None:
        if LOOK_AHEAD_NICE:
            with contextlib.suppress(AttributeError, OSError):
                # this thread only (Linux)
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOOK_AHEAD_NICE)
        while True:
            with self.cond:
                while self.wanted is None:
                    self.cond.wait()
                entry, style, ahead = self.wanted
                self.wanted = None
            for params in ahead:
                with self.cond:
                    if self.wanted is not None:  # a newer drag: follow that instead
                        break
                with contextlib.suppress(Exception):  # a guess that fails costs nothing; the real request reports
                    effects.apply(entry["image"], style, params, cache=entry["cache"])
                self.made += 1


# The preview thread waits for a layer the look-ahead is making (effects.blocks.Frame.memo): a
# look-ahead at a lower priority than the preview thread would make it wait behind other work
# (measured: cartoon smoothness p95 23 ms -> 225 ms at nice 5 on the loaded machine), so it
# runs at the preview worker's own priority, above the 12 MP jobs (nice 10).
LOOK_AHEAD_NICE = 0
_AHEAD = LookAhead()


def crash(t: Crash, emit: Emit) -> None:
    """Kill this worker abruptly (used by tests of the pool's recovery)."""
    os._exit(17)


# what runs each task struct in a pool process (the queue's RenderJob runs in app/render/worker.py)
HANDLERS: dict[type, Callable[[Any, Emit], Any]] = {
    RenderFile: render_file,
    WriteSmall: write_small,
    LoadSource: load_source,
    RenderPreview: render_preview,
    RenderCamera: render_camera,
    Crash: crash,
}


def _send_progress(conn: Connection, task_id: int, msg: dict) -> None:
    conn.send(("progress", task_id, msg))


def _warm_up() -> None:
    """Pay a process's first-use costs before it says it is ready, not in a person's first preview:
    libjpeg's reduced decode and encode, and each style's first render (imports, lookup tables,
    OpenCV's first calls). A cold first decode measured 160-330 ms against 75-110 ms warm."""
    rng = np.random.default_rng(0)
    sample = cv2.GaussianBlur(rng.integers(0, 255, (512, 384, 3), dtype=np.uint8), (0, 0), 3)
    small, _ = io.decode_reduced(io.encode(sample, "jpeg", 90), 96)
    for style in effects.STYLES:
        io.encode(effects.apply(small, style), "jpeg", 80)


def worker_main(conn: Connection, niceness: int) -> None:
    """A worker process: warm up once, then serve tasks from the pipe until it closes."""
    if niceness:
        os.nice(niceness)
    cv2.setNumThreads(1)
    _warm_up()
    conn.send(("ready", None, os.getpid()))
    while True:
        try:
            task_id, wire = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            task = from_wire(wire)
            handler = HANDLERS.get(type(task))
            if handler is None:
                raise TypeError(f"a pool process does not run {type(task).__name__} tasks")
            result = handler(task, functools.partial(_send_progress, conn, task_id))
            conn.send(("done", task_id, result))
        except effects.EffectsError as exc:
            conn.send(("error", task_id, (type(exc).__name__, str(exc), getattr(exc, "code", None))))
        except OSError as exc:  # storage faults keep their errno: the parent says what happened
            conn.send(("error", task_id, ("OSError", exc.strerror or str(exc), exc.errno)))
        except Exception as exc:
            conn.send(("error", task_id, ("internal", f"{type(exc).__name__}: {exc}", None)))
