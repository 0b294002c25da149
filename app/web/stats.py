"""The dashboard's numbers for one user."""

from __future__ import annotations

import collections
import datetime as dt

import effects
from app.auth.tables import User
from app.jobs.tables import ImageJob


async def for_user(user: User, days: int = 30, payments: bool = False) -> dict:
    rows = await ImageJob.select(
        ImageJob.style,
        ImageJob.status,
        ImageJob.created_at,
        ImageJob.output_width,
        ImageJob.output_height,
        ImageJob.render_ms,
        ImageJob.output_bytes,
    ).where(ImageJob.user == user.id)
    by_style = collections.Counter(str(r["style"]) for r in rows)
    by_status = collections.Counter(str(r["status"]) for r in rows)
    done = [r for r in rows if r["status"] == "DONE"]
    times = [r["render_ms"] for r in done if r["render_ms"]]
    today = dt.datetime.now(dt.timezone.utc).date()
    per_day = collections.Counter(_date(r["created_at"]) for r in rows)
    day_list = [today - dt.timedelta(days=i) for i in range(days - 1, -1, -1)]
    paid = await _payments(user) if payments else {"unlocked": 0, "spent": 0}
    return {
        **paid,
        "total": len(rows),
        "done": by_status.get("DONE", 0),
        "failed": by_status.get("FAILED", 0),
        "active": by_status.get("QUEUED", 0) + by_status.get("PROCESSING", 0),
        "megapixels": round(sum(r["output_width"] * r["output_height"] for r in done) / 1e6, 1),
        "avg_render_ms": round(sum(times) / len(times)) if times else None,
        "bytes": sum(r["output_bytes"] or 0 for r in done),
        "by_style": {s: by_style.get(s, 0) for s in effects.STYLES},
        "by_status": {s: by_status.get(s, 0) for s in ("QUEUED", "PROCESSING", "DONE", "FAILED")},
        "days": [d.isoformat() for d in day_list],
        "per_day": [per_day.get(d, 0) for d in day_list],
    }


def _date(value) -> dt.date:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.astimezone(dt.timezone.utc).date() if value.tzinfo else value.date()


async def _payments(user: User) -> dict:
    from app.payments.tables import Payment

    rows = await Payment.select(Payment.amount).where((Payment.user == user.id) & (Payment.status == "SUCCEEDED"))
    return {"unlocked": len(rows), "spent": round(sum(r["amount"] for r in rows) / 100, 2)}
