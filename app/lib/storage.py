"""Where files live. Names come from job uuids only; client filenames never reach the disk."""

from __future__ import annotations

import contextlib
import logging
import os
import pathlib
from collections.abc import Iterator

from .settings import get_settings

log = logging.getLogger("toonify.storage")

EXT = {"jpeg": "jpg", "png": "png", "webp": "webp"}
MIME = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def ensure_dirs() -> None:
    s = get_settings()
    for d in (s.uploads, s.processed, s.processed / "thumbs", s.processed / "sd"):
        d.mkdir(parents=True, exist_ok=True)


def sessions_dir() -> pathlib.Path:
    """Where live-preview sessions keep the source a person dropped (until they commit or leave)."""
    return get_settings().data_dir / "sessions"


def clear_sessions() -> None:
    folder = sessions_dir()
    if folder.exists():
        remove([p for p in folder.iterdir() if p.is_file()])


def original_path(job_uuid: str, fmt: str) -> pathlib.Path:
    return get_settings().uploads / f"{job_uuid}.{EXT[fmt]}"


def output_path(job_uuid: str, original: str) -> pathlib.Path:
    """The result keeps the upload's format."""
    return get_settings().processed / f"{job_uuid}{pathlib.Path(original).suffix}"


def sd_path(job_uuid: str, original: str) -> pathlib.Path:
    return get_settings().processed / "sd" / f"{job_uuid}{pathlib.Path(original).suffix}"


def thumb_path(job_uuid: str, kind: str) -> pathlib.Path:
    """Small JPEGs for the gallery: kind is "original" or "result"."""
    return get_settings().processed / "thumbs" / f"{job_uuid}-{kind}.jpg"


def all_paths(job_uuid: str, original: str) -> list[pathlib.Path]:
    return [
        pathlib.Path(original),
        output_path(job_uuid, original),
        sd_path(job_uuid, original),
        thumb_path(job_uuid, "original"),
        thumb_path(job_uuid, "result"),
        thumb_path(job_uuid, "before"),  # the SD-sized original of a shared picture (app/shares)
    ]


def mime_of(path: str | os.PathLike) -> str:
    return MIME.get(pathlib.Path(path).suffix.lstrip(".").lower(), "application/octet-stream")


def remove(paths: list[pathlib.Path]) -> None:
    for p in paths:
        p.unlink(missing_ok=True)


def discard(paths: list[pathlib.Path]) -> None:
    """Best-effort cleanup after a failure: what cannot be removed is left for clear_trash()."""
    try:
        remove(paths)
    except OSError as exc:
        log.warning("could not remove %s: %s", [str(p) for p in paths], exc)


TRASH = ".deleting-"


@contextlib.contextmanager
def deleting(paths: list[pathlib.Path]) -> Iterator[None]:
    """Delete files all or nothing around a database change (the `with` body).

    Each file is first renamed aside; if a rename or the body fails, the renamed files are put
    back and nothing is lost. Only after the body succeeds are they unlinked.
    """
    moved: list[tuple[pathlib.Path, pathlib.Path]] = []
    try:
        for p in paths:
            aside = p.with_name(TRASH + p.name)
            try:
                p.rename(aside)
            except FileNotFoundError:
                continue
            moved.append((p, aside))
        yield
    except BaseException:
        for p, aside in reversed(moved):
            aside.rename(p)
        raise
    discard([aside for _, aside in moved])


def clear_trash() -> None:
    """Unlink files a deletion renamed aside but could not remove (at start)."""
    s = get_settings()
    for folder in (s.uploads, s.processed, s.processed / "thumbs", s.processed / "sd"):
        if folder.exists():
            discard(list(folder.glob(TRASH + "*")))
