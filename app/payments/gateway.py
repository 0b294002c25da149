"""The one module that knows Stripe: PaymentIntents and signed webhook events.

It answers in neutral structs (`Intent`, `Event`) whose statuses are ours (PaymentStatus), so
the payment service never sees a Stripe object, status or event name. A second provider is a
second module with the same four functions.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import msgspec
import stripe

from app.lib.errors import DomainError
from app.lib.settings import get_settings

from .tables import PaymentStatus as S

WEBHOOK_TOLERANCE_SECONDS = 300  # Stripe's default: older signed timestamps are replays

# Stripe's PaymentIntent statuses that settle a payment; the others are still open
_INTENT_STATUS = {"succeeded": S.SUCCEEDED.value, "canceled": S.CANCELED.value}
# Stripe's event types and the status each one moves a payment to
_EVENT_STATUS = {
    "payment_intent.succeeded": S.SUCCEEDED.value,
    "payment_intent.payment_failed": S.FAILED.value,
    "payment_intent.canceled": S.CANCELED.value,
    "charge.refunded": S.REFUNDED.value,
}


class Intent(msgspec.Struct, frozen=True):
    """A payment at the provider: `status` is ours, or None while the payer has not finished."""

    reference: str
    status: str | None
    amount: int
    amount_received: int
    currency: str
    client_secret: str | None
    metadata: dict[str, str]

    def brief(self) -> dict[str, Any]:
        return {"id": self.reference, "status": self.status, "amount": self.amount, "currency": self.currency}


class Event(msgspec.Struct, frozen=True):
    """A verified webhook event that concerns a payment (`status` None: nothing for us to do)."""

    id: str
    kind: str
    status: str | None
    reference: str | None
    amount: int | None


@lru_cache(maxsize=1)
def _client() -> stripe.StripeClient:
    s = get_settings()
    bases: Any = {"api": s.stripe_api_base.rstrip("/")} if s.stripe_api_base else None
    # the httpx client has async methods: Stripe calls never block the event loop
    return stripe.StripeClient(
        s.stripe_secret_key, base_addresses=bases, http_client=stripe.HTTPXClient(), max_network_retries=2
    )


def _intent(obj: Any) -> Intent:
    meta = obj.metadata.to_dict() if getattr(obj, "metadata", None) else {}
    return Intent(
        reference=obj.id,
        status=_INTENT_STATUS.get(obj.status),
        amount=int(obj.amount),
        amount_received=int(obj.amount_received or 0),
        currency=obj.currency,
        client_secret=obj.client_secret,
        metadata={str(k): str(v) for k, v in meta.items()},
    )


async def _call(make: Any) -> Any:
    try:
        return await make
    except stripe.StripeError as exc:
        # Stripe could not be asked: the payer can try again; nothing was changed here
        raise DomainError("unavailable", "The payment provider cannot be reached just now; try again.") from exc


async def create_intent(amount: int, currency: str, metadata: dict[str, str], idempotency_key: str) -> Intent:
    obj = await _call(
        _client().v1.payment_intents.create_async(
            params={
                "amount": amount,
                "currency": currency,
                "metadata": metadata,
                "automatic_payment_methods": {"enabled": True},
                "description": "Toonify HD download",
            },
            options={"idempotency_key": idempotency_key},
        )
    )
    return _intent(obj)


async def retrieve_intent(reference: str) -> Intent:
    return _intent(await _call(_client().v1.payment_intents.retrieve_async(reference)))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def verify_event(payload: bytes, signature: str | None) -> Event:
    """The event, if `signature` is Stripe's valid signature of `payload` within the tolerance.

    A bad signature is `bad_signature`; a signed body of an unexpected shape is read as an
    event that concerns no payment (Stripe would retry a refusal for days).
    """
    if not signature:
        raise DomainError("bad_signature", "The webhook signature is missing.")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8", "replace"),
            signature,
            get_settings().stripe_webhook_secret,
            WEBHOOK_TOLERANCE_SECONDS,
        )
        raw = msgspec.json.decode(payload)
    except stripe.SignatureVerificationError as exc:
        raise DomainError("bad_signature", f"The webhook signature is not valid: {exc}") from None
    except msgspec.DecodeError:
        raise DomainError("invalid_json", "The webhook body is not JSON.") from None
    event = raw if isinstance(raw, dict) else {}
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    obj = obj if isinstance(obj, dict) else {}
    kind = event.get("type")
    kind = kind if isinstance(kind, str) else ""
    status = _EVENT_STATUS.get(kind)
    if kind == "charge.refunded":
        refunded = obj.get("refunded") is True or (_int(obj.get("amount_refunded")) or 0) > 0
        reference, amount = obj.get("payment_intent"), None
        status = status if refunded else None
    else:
        reference, amount = obj.get("id"), _int(obj.get("amount_received", obj.get("amount")))
    return Event(
        id=str(event.get("id") or ""),
        kind=kind,
        status=status,
        reference=reference if isinstance(reference, str) else None,
        amount=amount,
    )
