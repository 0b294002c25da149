"""Bodies of /users/me/tokens."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

TokenName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class TokenCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: TokenName
    scope: Literal["read", "write"] = "read"


class TokenOut(msgspec.Struct):
    uuid: str
    name: str
    scope: str
    hint: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None


class TokenCreated(msgspec.Struct):
    """The only response that carries the secret."""

    uuid: str
    token: str
    name: str
    scope: str
    hint: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None = None
