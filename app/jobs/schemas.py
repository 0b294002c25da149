"""Bodies of /images."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec


class JobLinks(msgspec.Struct):
    self: str
    original: str
    processed: str
    thumbnail: str
    websocket: str


class Job(msgspec.Struct):
    uuid: str
    style: str
    params: dict[str, Any]
    status: str
    progress: float
    error_message: str | None
    original_filename: str
    width: int
    height: int
    output_width: int
    output_height: int
    original_bytes: int
    output_bytes: int
    render_ms: float | None
    is_hd_unlocked: bool
    created_at: dt.datetime
    processed_at: dt.datetime | None
    links: JobLinks
    batch: str | None = None  # the batch (POST /batches) this photo came in, if any


class JobPage(msgspec.Struct):
    items: list[Job]
    total: int
    page: int
    per_page: int
    pages: int
