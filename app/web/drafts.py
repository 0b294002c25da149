"""Photos put into the studio before any render: kept per person so a reload (or a dropped
preview socket) can bring the same photo back. The URL names them (`?photo=<id>`).

Files live in <data>/studio/<user uuid>/<id>.<ext> with the shown name beside them in
<id>.name; only the newest few per person are kept.
"""

from __future__ import annotations

import pathlib
import uuid

import anyio

from app.auth.tables import User
from app.jobs import services as jobs
from app.lib import storage
from app.lib.settings import get_settings

KEEP = 5


def _folder(user: User) -> pathlib.Path:
    return get_settings().data_dir / "studio" / str(user.uuid)


def find(user: User, photo_id: str | None) -> pathlib.Path | None:
    """The stored photo `photo_id` of `user`, or None."""
    try:
        key = str(uuid.UUID(str(photo_id)))
    except ValueError:
        return None
    folder = _folder(user)
    for ext in storage.EXT.values():
        path = folder / f"{key}.{ext}"
        if path.is_file():
            return path
    return None


def name_of(path: pathlib.Path) -> str:
    try:
        return path.with_suffix(".name").read_text()
    except OSError:
        return "photo"


async def save(user: User, data: bytes, filename: str) -> str:
    """Check the upload like the API does (size, type, header; raises DomainError with a message
    for a person) and keep it; returns its id."""
    fmt = jobs.check_upload(data, filename)
    key = str(uuid.uuid4())
    folder = _folder(user)
    path = folder / f"{key}.{storage.EXT[fmt]}"

    def write() -> None:
        from effects import io

        folder.mkdir(parents=True, exist_ok=True)
        io.write_atomic(path, data)
        path.with_suffix(".name").write_text(jobs.safe_filename(filename))
        photos = sorted((p for p in folder.iterdir() if p.suffix != ".name"), key=lambda p: p.stat().st_mtime)
        for old in photos[:-KEEP]:
            storage.remove([old, old.with_suffix(".name")])

    await anyio.to_thread.run_sync(write)
    return key
