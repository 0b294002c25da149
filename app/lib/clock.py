"""The one clock: timezone-aware UTC, for every timestamp the service writes or compares."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
