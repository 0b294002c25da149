"""Share links: create (owner, finished pictures only), list, revoke, resolve publicly, count views.

The token in the URL is 32 url-safe characters (192 random bits). It is stored as it is: the
owner can list their links again, and knowing the row gives nothing the public URL does not.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import secrets
import uuid

from piccolo.query.functions.aggregate import Sum

from app.auth.tables import User
from app.jobs import services as jobs
from app.jobs.tables import ImageJob, JobStatus
from app.lib.clock import now
from app.lib.errors import DomainError, not_found
from app.lib.objects import get_store
from app.lib.settings import get_settings
from app.render.tasks import WriteSmall

from .schemas import ShareOut
from .tables import Share

MAX_ACTIVE_PER_JOB = 20


def public_path(token: str) -> str:
    return f"/s/{token}"


def image_name(job: ImageJob) -> str:
    """The public file name of the shared result: `image.jpg`, `image.png` or `image.webp`."""
    return "image" + pathlib.PurePath(job.original_path).suffix


def is_expired(share: Share, moment: dt.datetime | None = None) -> bool:
    return share.expires_at is not None and share.expires_at <= (moment or now())


def to_schema(share: Share, job_uuid: str, base_url: str, image: str) -> ShareOut:
    base = base_url.rstrip("/")
    return ShareOut(
        uuid=str(share.uuid),
        url=base + public_path(share.token),
        job=job_uuid,
        created_at=share.created_at,
        expires_at=share.expires_at,
        expired=is_expired(share),
        views=share.views,
        image_url=f"{base}{public_path(share.token)}/{image}",
    )


async def ensure_before_copy(job: ImageJob, pool) -> None:
    """The public page's "before" picture: the original at SD size (never the full upload)."""
    store, keys = get_store(), jobs.keys_of(job)
    if await store.exists(keys.thumb("before")):
        return
    s = get_settings()
    async with store.workspace([keys.original], [keys.thumb("before")]) as files:
        await pool.run(
            WriteSmall(
                src=str(files[keys.original]),
                dst=str(files[keys.thumb("before")]),
                side=s.sd_max_side,
                max_pixels=s.max_image_pixels,
            )
        )


async def create(user: User, job_uuid: str, expires_in_days: int | None, base_url: str, pool) -> ShareOut:
    job = await jobs.get_owned(user, job_uuid)
    if str(job.status) != JobStatus.DONE.value:
        raise DomainError("not_ready", "Only a finished picture can be shared; wait until it is done.")
    active = await Share.count().where((Share.job == job.id) & Share.revoked_at.is_null())
    if active >= MAX_ACTIVE_PER_JOB:
        raise DomainError("too_many_shares", f"This picture already has {MAX_ACTIVE_PER_JOB} links; revoke some.")
    await ensure_before_copy(job, pool)
    expires = now() + dt.timedelta(days=expires_in_days) if expires_in_days else None
    share = Share(user=user.id, job=job.id, token=secrets.token_urlsafe(24), expires_at=expires)
    await share.save()
    return to_schema(share, str(job.uuid), base_url, image_name(job))


async def list_for_job(user: User, job_uuid: str, base_url: str) -> list[ShareOut]:
    job = await jobs.get_owned(user, job_uuid)
    rows = await (
        Share.objects()
        .where((Share.job == job.id) & Share.revoked_at.is_null())
        .order_by(Share.created_at, ascending=False)
    )
    return [to_schema(r, str(job.uuid), base_url, image_name(job)) for r in rows]


async def revoke(user: User, share_uuid: str) -> None:
    try:
        key = uuid.UUID(str(share_uuid))
    except ValueError:
        raise not_found("share link") from None
    done = (
        await Share.update({Share.revoked_at: now()})
        .where((Share.uuid == key) & (Share.user == user.id) & Share.revoked_at.is_null())
        .returning(Share.id)
    )
    if not done:
        raise not_found("share link")


async def resolve(token: str) -> tuple[Share, ImageJob] | None:
    """The live share behind a public token and its finished job; None if revoked, expired or gone."""
    if not token or len(token) > 64:
        return None
    share = await Share.objects().where((Share.token == token) & Share.revoked_at.is_null()).first()
    if share is None or is_expired(share):
        return None
    job = await ImageJob.objects().where(ImageJob.id == share.job).first()
    if job is None or str(job.status) != JobStatus.DONE.value:
        return None
    return share, job


async def count_view(share: Share) -> None:
    await Share.update({Share.views: Share.views + 1}).where(Share.id == share.id)


async def view_count(user: User) -> int:
    """How many times the user's share pages were viewed, over all links (revoked ones too):
    the number for the dashboard."""
    rows = await Share.select(Sum(Share.views).as_alias("total")).where(Share.user == user.id)
    return int((rows[0]["total"] if rows else 0) or 0)
