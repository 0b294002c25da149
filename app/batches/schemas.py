"""Bodies of /batches."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from app.jobs.schemas import Job


class BatchCounts(msgspec.Struct):
    queued: int
    processing: int
    done: int
    failed: int


class BatchLinks(msgspec.Struct):
    self: str
    zip: str
    page: str


class BatchCreated(msgspec.Struct):
    """The answer to POST /batches: the job uuids in upload order."""

    uuid: str
    status: str
    style: str
    params: dict[str, Any]
    preset: str | None
    total: int
    jobs: list[str]
    counts: BatchCounts
    created_at: dt.datetime
    links: BatchLinks


class Batch(msgspec.Struct):
    """GET /batches/{uuid}: every job exactly as GET /images/{uuid} shows it."""

    uuid: str
    status: str
    style: str
    params: dict[str, Any]
    preset: str | None
    total: int
    progress: float
    counts: BatchCounts
    jobs: list[Job]
    created_at: dt.datetime
    links: BatchLinks
