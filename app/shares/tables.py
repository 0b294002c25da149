"""Share links of finished pictures."""

from __future__ import annotations

import uuid

from piccolo.columns import UUID, BigInt, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.auth.tables import User
from app.jobs.tables import ImageJob


class Share(Table, tablename="shares"):
    uuid = UUID(default=uuid.uuid4, unique=True, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    job = ForeignKey(references=ImageJob, on_delete=OnDelete.cascade, index=True)
    token = Varchar(length=64, unique=True, index=True, help_text="The unguessable part of the public URL.")
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    views = BigInt(default=0)
