"""Where files live. Names come from job uuids only; client filenames never reach the disk."""

from __future__ import annotations

import os
import pathlib

from .settings import get_settings

EXT = {"jpeg": "jpg", "png": "png", "webp": "webp"}
MIME = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def ensure_dirs() -> None:
    s = get_settings()
    for d in (s.upload_dir, s.processed_dir, s.processed_dir / "thumbs", s.processed_dir / "sd"):
        d.mkdir(parents=True, exist_ok=True)


def sessions_dir() -> pathlib.Path:
    """Where live-preview sessions keep the source a person dropped (until they commit or leave)."""
    return get_settings().data_dir / "sessions"


def clear_sessions() -> None:
    folder = sessions_dir()
    if folder.exists():
        remove([p for p in folder.iterdir() if p.is_file()])


def original_path(job_uuid: str, fmt: str) -> pathlib.Path:
    return get_settings().upload_dir / f"{job_uuid}.{EXT[fmt]}"


def output_path(job_uuid: str, original: str) -> pathlib.Path:
    """The result keeps the upload's format."""
    return get_settings().processed_dir / f"{job_uuid}{pathlib.Path(original).suffix}"


def sd_path(job_uuid: str, original: str) -> pathlib.Path:
    return get_settings().processed_dir / "sd" / f"{job_uuid}{pathlib.Path(original).suffix}"


def thumb_path(job_uuid: str, kind: str) -> pathlib.Path:
    """Small JPEGs for the gallery: kind is "original" or "result"."""
    return get_settings().processed_dir / "thumbs" / f"{job_uuid}-{kind}.jpg"


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
        try:
            p.unlink()
        except FileNotFoundError:
            pass
