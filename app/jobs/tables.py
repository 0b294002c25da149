"""Image jobs: one upload rendered in one style."""

from __future__ import annotations

import enum
import uuid

from piccolo.columns import JSON, UUID, BigInt, Boolean, Float, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.auth.tables import User


class JobStatus(enum.StrEnum):
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    DONE = "DONE"
    FAILED = "FAILED"


class ImageJob(Table, tablename="image_jobs"):
    uuid = UUID(default=uuid.uuid4, unique=True, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    original_filename = Varchar(length=255, help_text="As the client named it; never used as a path.")
    original_path = Varchar(length=500)
    output_path = Varchar(length=500, null=True, default=None)
    style = Varchar(length=50, help_text="A name from effects.STYLES, checked by the service (no list here).")
    params_json = JSON(default="{}")
    status = Varchar(length=12, choices=JobStatus, default=JobStatus.QUEUED, index=True)
    progress = Float(default=0.0)
    error_message = Text(null=True, default=None)
    is_hd_unlocked = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    processed_at = Timestamptz(null=True, default=None)
    width = Integer(default=0, help_text="Upright size of the upload.")
    height = Integer(default=0)
    output_width = Integer(default=0)
    output_height = Integer(default=0)
    original_bytes = BigInt(default=0)
    output_bytes = BigInt(default=0)
    render_ms = Float(null=True, default=None, help_text="Worker time: decode, render, encode.")
    batch = UUID(null=True, default=None, index=True, help_text="The batch (app/batches) this photo came in.")
