"""HD unlock payments: create, confirm, and apply Stripe webhook events, exactly once each.

A job is unlocked exactly when it has a SUCCEEDED payment. Every status change writes the
payment row and a PaymentEvent history row in one transaction; webhook event ids are unique
in that history, so a repeated or concurrent delivery changes nothing twice.
"""

from __future__ import annotations

import json
import logging

from app.auth.tables import User
from app.jobs import services as jobs
from app.jobs.tables import JobStatus
from app.lib.clock import now
from app.lib.db import locked, write_transaction
from app.lib.errors import DomainError
from app.lib.settings import get_settings

from . import gateway
from .schemas import PaymentOut
from .tables import Payment, PaymentEvent
from .tables import PaymentStatus as S

log = logging.getLogger("toonify.payments")

# which status changes are possible; anything else is stale or out of order and is ignored
TRANSITIONS = {
    S.PENDING.value: {S.SUCCEEDED.value, S.FAILED.value, S.CANCELED.value, S.REFUNDED.value},
    S.FAILED.value: {S.SUCCEEDED.value, S.CANCELED.value, S.REFUNDED.value},  # a retried intent may still succeed
    S.SUCCEEDED.value: {S.REFUNDED.value},
    S.CANCELED.value: set(),
    S.REFUNDED.value: set(),
}


def require_enabled() -> None:
    if not get_settings().payments_enabled:
        raise DomainError("payments_disabled", "Payments are not enabled on this server; downloads are free.")


def to_schema(payment: Payment, job_uuid: str, client_secret: str | None = None, unlocked: bool = False) -> PaymentOut:
    return PaymentOut(
        str(payment.uuid),
        job_uuid,
        payment.status,
        payment.amount,
        payment.currency,
        client_secret,
        get_settings().stripe_publishable_key or None,
        unlocked,
    )


async def create(user: User, job_uuid: str) -> PaymentOut:
    """A PaymentIntent for the job's HD download; asking again returns the same open one."""
    require_enabled()
    s = get_settings()
    job = await jobs.get_owned(user, job_uuid)
    if job.status != JobStatus.DONE.value:
        raise DomainError("not_ready", "The picture is not finished yet; unlock it once it is done.")
    if job.is_hd_unlocked:
        raise DomainError("already_unlocked", "HD is already unlocked for this picture.")
    open_payment = (
        await Payment.objects()
        .where((Payment.job == job.id) & Payment.status.is_in([S.PENDING.value, S.FAILED.value]))
        .order_by(Payment.id, ascending=False)
        .first()
    )
    if open_payment is not None:
        intent = await gateway.retrieve_intent(open_payment.gateway_reference)
        finished = intent.status
        if finished is None:
            return to_schema(open_payment, str(job.uuid), intent.client_secret)
        await apply(open_payment.id, finished, "create", None, intent.brief())  # a missed webhook
        if finished == S.SUCCEEDED.value:
            raise DomainError("already_unlocked", "HD is already unlocked for this picture.")
    # The idempotency key counts only *closed* attempts, so requests racing to create the
    # job's payment all send the same key and Stripe answers them with one PaymentIntent.
    closed = await Payment.count().where(
        (Payment.job == job.id) & Payment.status.is_in([S.CANCELED.value, S.REFUNDED.value])
    )
    intent = await gateway.create_intent(
        s.hd_price_cents,
        s.currency,
        {"job": str(job.uuid), "user": str(user.uuid)},
        idempotency_key=f"toonify-hd-{job.uuid}-{closed}",
    )
    existing = await Payment.objects().where(Payment.gateway_reference == intent.reference).first()
    if existing is not None:
        return to_schema(existing, str(job.uuid), intent.client_secret)
    payment = Payment(
        user=user.id,
        job=job.id,
        amount=intent.amount,
        currency=intent.currency,
        status=S.PENDING.value,
        gateway_reference=intent.reference,
        gateway_response=json.dumps(intent.brief()),
    )
    try:
        async with write_transaction(Payment):
            await payment.save()
            await PaymentEvent(payment=payment.id, source="create", from_status=None, to_status=S.PENDING.value).save()
    except Exception:  # a concurrent create stored the same intent first
        existing = await Payment.objects().where(Payment.gateway_reference == intent.reference).first()
        if existing is None:
            raise
        payment = existing
    return to_schema(payment, str(job.uuid), intent.client_secret)


async def confirm(user: User, job_uuid: str) -> PaymentOut:
    """Ask Stripe (never the client) whether the job's payment succeeded, and unlock if so."""
    require_enabled()
    job = await jobs.get_owned(user, job_uuid)
    payment = (
        await Payment.objects()
        .where((Payment.job == job.id) & (Payment.user == user.id))
        .order_by(Payment.id, ascending=False)
        .first()
    )
    if payment is None:
        raise DomainError("not_found", "There is no payment for this picture yet.")
    intent = await gateway.retrieve_intent(payment.gateway_reference)
    if intent.metadata.get("job") != str(job.uuid) or intent.metadata.get("user") != str(user.uuid):
        raise DomainError("mismatch", "This payment does not belong to this picture.")
    target = intent.status
    if target == S.SUCCEEDED.value and (intent.amount_received or intent.amount) < payment.amount:
        raise DomainError("amount_mismatch", "The amount paid does not match the price.")
    if target:
        await apply(payment.id, target, "confirm", None, intent.brief())
    payment = await Payment.objects().where(Payment.id == payment.id).first()
    return to_schema(payment, str(job.uuid), None, await jobs.is_hd_unlocked(job.id))


async def apply(payment_id: int, target: str, source: str, event_id: str | None, response: dict | None) -> bool:
    """Move a payment to `target` (if allowed), record it, and set the job's HD flag to match.

    Returns False when nothing changed: a duplicate event id, or a stale transition.
    """
    async with write_transaction(Payment):
        payment = await locked(Payment.objects().where(Payment.id == payment_id)).first()
        if event_id and await PaymentEvent.exists().where(PaymentEvent.event_id == event_id):
            return False
        changed = target in TRANSITIONS[payment.status]
        if event_id or changed:
            await PaymentEvent(
                payment=payment.id,
                event_id=event_id,
                source=source,
                from_status=payment.status,
                to_status=target if changed else payment.status,
            ).save()
        if not changed:
            return False
        values = {Payment.status: target, Payment.updated_at: now()}
        if response:
            values[Payment.gateway_response] = json.dumps(response)
        await Payment.update(values).where(Payment.id == payment.id)
        unlocked = await Payment.exists().where((Payment.job == payment.job) & (Payment.status == S.SUCCEEDED.value))
        await jobs.set_hd_unlocked(payment.job, unlocked)
    return True


async def handle_webhook(payload: bytes, signature: str | None) -> dict:
    require_enabled()
    event = gateway.verify_event(payload, signature)
    if event.status is None or event.reference is None:
        return {"received": True, "handled": False}
    payment = await Payment.objects().where(Payment.gateway_reference == event.reference).first()
    if payment is None:
        log.info("webhook %s for an unknown payment %s", event.id, event.reference)
        return {"received": True, "handled": False}
    if event.status == S.SUCCEEDED.value and event.amount != payment.amount:
        log.warning("webhook %s: amount %s does not match payment %s", event.id, event.amount, payment.uuid)
        return {"received": True, "handled": False}
    try:
        changed = await apply(
            payment.id, event.status, "webhook", event.id or None, {"event": event.kind, "object": event.reference}
        )
    except Exception:
        # a concurrent delivery of the same event won the unique event id: nothing to do twice
        if event.id and await PaymentEvent.exists().where(PaymentEvent.event_id == event.id):
            return {"received": True, "handled": False, "duplicate": True}
        raise
    return {"received": True, "handled": changed}


async def succeeded_amounts(user: User) -> list[int]:
    """The amounts (smallest currency unit) of `user`'s succeeded HD unlocks."""
    rows = await Payment.select(Payment.amount).where((Payment.user == user.id) & (Payment.status == S.SUCCEEDED.value))
    return [r["amount"] for r in rows]
