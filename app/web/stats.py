"""The dashboard's numbers for one user, in terms a person uses (pictures, days, seconds)."""

from __future__ import annotations

import collections
import datetime as dt

import effects
from app.auth.tables import User
from app.jobs import services as jobs
from app.lib.clock import now
from app.shares import services as shares


async def for_user(user: User, days: int = 30, payments: bool = False) -> dict:
    rows = await jobs.stats_rows(user)
    by_style = collections.Counter(str(r["style"]) for r in rows)
    by_status = collections.Counter(str(r["status"]) for r in rows)
    done = [r for r in rows if r["status"] == "DONE"]
    times = [r["render_ms"] for r in done if r["render_ms"]]
    today = now().date()
    dates = [_date(r["created_at"]) for r in rows]
    per_day = collections.Counter(dates)
    day_list = [today - dt.timedelta(days=i) for i in range(days - 1, -1, -1)]
    week_start = today - dt.timedelta(days=6)
    favorite = max(effects.STYLES, key=lambda s: by_style.get(s, 0)) if rows else None
    paid = await _payments(user) if payments else {"unlocked": 0, "spent": 0}
    return {
        **paid,
        "share_views": await shares.view_count(user),
        "total": len(rows),
        "this_week": sum(1 for d in dates if d >= week_start),
        "done": by_status.get("DONE", 0),
        "failed": by_status.get("FAILED", 0),
        "active": by_status.get("QUEUED", 0) + by_status.get("PROCESSING", 0),
        "favorite": effects.label(favorite) if favorite else None,
        "favorite_count": by_style.get(favorite, 0) if favorite else 0,
        "avg_wait_s": max(0.1, round(sum(times) / len(times) / 1000, 1)) if times else None,
        "largest_mp": round(max((r["output_width"] * r["output_height"] for r in done), default=0) / 1e6, 1),
        "bytes": sum(r["output_bytes"] or 0 for r in done),
        "by_style": {s: by_style.get(s, 0) for s in effects.STYLES},
        "style_labels": {s: effects.label(s) for s in effects.STYLES},
        "by_status": {s: by_status.get(s, 0) for s in ("QUEUED", "PROCESSING", "DONE", "FAILED")},
        "days": [d.isoformat() for d in day_list],
        "per_day": [per_day.get(d, 0) for d in day_list],
    }


def _date(value) -> dt.date:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.astimezone(dt.UTC).date() if value.tzinfo else value.date()


async def _payments(user: User) -> dict:
    from app.payments import services as payments

    amounts = await payments.succeeded_amounts(user)
    return {"unlocked": len(amounts), "spent": round(sum(amounts) / 100, 2)}
