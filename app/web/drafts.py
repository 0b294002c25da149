"""Photos put into the studio before any render: kept per person so a reload (or a dropped
preview socket, or the next request landing on another web node) can bring the same photo back.
The URL names them (`?photo=<id>`).

They live in the job storage (app/lib/objects.py: the data folder, or the cluster's bucket) under
studio/<user uuid>/: the photos as <id>.<ext>, and index.json listing the newest KEEP of them
(id, extension, shown name), oldest first. Two saves by one person on two nodes at the same
instant can leave one photo out of the index (it is then simply not offered back); nothing else
depends on the index being exact.
"""

from __future__ import annotations

import json
import uuid
from typing import TypedDict

import anyio

from app.auth.tables import User
from app.jobs import services as jobs
from app.lib import storage
from app.lib.objects import get_store

KEEP = 5


class Draft(TypedDict):
    id: str
    ext: str
    name: str


def _key(user: User, name: str) -> str:
    return f"studio/{user.uuid}/{name}"


def key_of(user: User, draft: Draft) -> str:
    """The storage key of a draft's photo."""
    return _key(user, f"{draft['id']}.{draft['ext']}")


async def _index(user: User) -> list[Draft]:
    raw = await get_store().read(_key(user, "index.json"))
    try:
        entries = json.loads(raw) if raw else []
    except ValueError:  # a damaged index forgets the drafts, never breaks the studio
        return []
    if not isinstance(entries, list):
        return []
    return [
        Draft(id=str(e["id"]), ext=str(e["ext"]), name=str(e["name"]))
        for e in entries
        if isinstance(e, dict) and {"id", "ext", "name"} <= e.keys()
    ]


async def find(user: User, photo_id: str | None) -> Draft | None:
    """The stored photo `photo_id` of `user`, or None."""
    try:
        wanted = str(uuid.UUID(str(photo_id)))
    except ValueError:
        return None
    return next((d for d in await _index(user) if d["id"] == wanted), None)


async def save(user: User, data: bytes, filename: str) -> str:
    """Check the upload like the API does (size, type, header; raises DomainError with a message
    for a person) and keep it; returns its id."""
    from effects import io

    fmt = jobs.check_upload(data, filename)
    draft = Draft(id=str(uuid.uuid4()), ext=storage.EXT[fmt], name=jobs.safe_filename(filename))
    store = get_store()
    entries = [*await _index(user), draft]
    index = _key(user, "index.json")
    # the photo is stored before the index names it
    for key, content in ((key_of(user, draft), data), (index, json.dumps(entries[-KEEP:]).encode())):
        async with store.workspace([], [key]) as files:
            files[key].parent.mkdir(parents=True, exist_ok=True)
            await anyio.to_thread.run_sync(io.write_atomic, files[key], content)
    await store.remove([key_of(user, old) for old in entries[:-KEEP]])
    return draft["id"]
