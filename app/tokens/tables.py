"""Personal API tokens."""

from __future__ import annotations

import enum
import uuid

from piccolo.columns import UUID, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.auth.tables import User


class TokenScope(enum.StrEnum):
    READ = "read"
    WRITE = "write"


class ApiToken(Table, tablename="api_tokens"):
    uuid = UUID(default=uuid.uuid4, unique=True, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=100)
    scope = Varchar(length=10, choices=TokenScope)
    token_hash = Varchar(length=64, unique=True, index=True, help_text="sha256 hex of the whole token.")
    hint = Varchar(length=16, help_text="The token's first characters, to recognise it in a list.")
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None, help_text="Updated on use, at most once a minute.")
