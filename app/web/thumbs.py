"""Style picker thumbnails drawn by the styles themselves.

GET /styles/{name}.jpg renders `effects.apply` on one neutral sample (static/sample.jpg, a
crop of tests/photos/tanners_ridge.jpg, public domain) the first time it is asked for,
off the event loop, and keeps the JPEG in the data folder under a key made of the style's
module source and the sample's bytes. A new or changed style gets its thumbnail without
anyone drawing one; the URL carries the key, so browsers may keep it for good.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import importlib
import inspect

import anyio

import effects
from app import ROOT
from app.lib.settings import get_settings

SAMPLE = ROOT / "static" / "sample.jpg"
_locks: dict[str, asyncio.Lock] = {}


@functools.cache
def key(style: str) -> str:
    """A hash of what the thumbnail depends on: the style's module source and the sample."""
    module = importlib.import_module(f"{effects.__name__}.{style}")
    digest = hashlib.sha256(inspect.getsource(module).encode())
    digest.update(repr(effects.params(style)).encode())
    digest.update(SAMPLE.read_bytes())
    return digest.hexdigest()[:16]


def url(style: str) -> str:
    return f"/styles/{style}.jpg?v={key(style)}"


def _render(style: str, path) -> None:
    from effects import io

    image = io.read_image(SAMPLE)
    out = effects.apply(image, style)
    io.write_atomic(path, io.encode(out, "jpeg", 82))


async def thumbnail_path(style: str):
    path = get_settings().data_dir / "styles" / f"{style}-{key(style)}.jpg"
    if path.exists():
        return path
    async with _locks.setdefault(style, asyncio.Lock()):
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            await anyio.to_thread.run_sync(_render, style, path)
    return path
