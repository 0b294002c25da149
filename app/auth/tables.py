"""Users and their refresh tokens."""

from __future__ import annotations

import uuid

from piccolo.columns import UUID, Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class User(Table, tablename="users"):
    uuid = UUID(default=uuid.uuid4, unique=True, index=True)
    email = Varchar(length=320, unique=True, index=True, help_text="Stored lower-cased.")
    password_hash = Varchar(length=255, help_text="argon2id hash.")
    full_name = Varchar(length=200, default="")
    is_active = Boolean(default=True)
    is_admin = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    last_login = Timestamptz(null=True, default=None)
    token_version = Integer(default=0, help_text="Bumped on password change: older tokens stop working.")


class RefreshToken(Table, tablename="refresh_tokens"):
    """One row per issued refresh token; a login's tokens share a family."""

    jti = UUID(unique=True, index=True)
    family = UUID(index=True, help_text="All tokens rotated from one login.")
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None, help_text="Set when rotated; reuse revokes the family.")
    revoked = Boolean(default=False)
