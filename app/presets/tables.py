"""A person's own presets (built-in ones live in code: app/presets/builtin.py)."""

from __future__ import annotations

import uuid

from piccolo.columns import JSON, UUID, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.auth.tables import User


class Preset(Table, tablename="presets"):
    uuid = UUID(default=uuid.uuid4, unique=True, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=60)
    name_key = Varchar(length=60, help_text="The name case-folded: unique per user and style.")
    style = Varchar(length=40, help_text="A name of effects.STYLES (lower case).")
    params_json = JSON(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
