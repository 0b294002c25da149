"""Batches. Their photos are ordinary jobs whose `batch` column holds the batch uuid; a batch's
status is computed from those jobs (one source of truth), never stored."""

from __future__ import annotations

import uuid

from piccolo.columns import JSON, UUID, Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.auth.tables import User


class Batch(Table, tablename="batches"):
    uuid = UUID(default=uuid.uuid4, unique=True, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    style = Varchar(length=40)
    params_json = JSON(default="{}")
    preset = Varchar(length=60, null=True, default=None, help_text="The preset's name when one was used.")
    total = Integer(default=0, help_text="Photos received.")
    submitted = Boolean(default=False, help_text="True once every photo has its job row.")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
