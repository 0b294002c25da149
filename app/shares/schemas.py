"""Bodies of the share-link endpoints."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

Days = Annotated[int, msgspec.Meta(ge=1, le=365)]


class ShareCreate(msgspec.Struct, forbid_unknown_fields=True):
    expires_in_days: Days | None = None


class ShareOut(msgspec.Struct):
    uuid: str
    url: str
    job: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    expired: bool
    views: int
    image_url: str
