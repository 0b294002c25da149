"""The one place that talks to Stripe (PaymentIntents and webhook signatures)."""

from __future__ import annotations

from functools import lru_cache

import stripe

from app.lib.settings import get_settings

WEBHOOK_TOLERANCE_SECONDS = 300  # Stripe's default: older signed timestamps are replays


@lru_cache(maxsize=1)
def client() -> stripe.StripeClient:
    s = get_settings()
    bases = {"api": s.stripe_api_base.rstrip("/")} if s.stripe_api_base else None
    # the httpx client has async methods: Stripe calls never block the event loop
    return stripe.StripeClient(
        s.stripe_secret_key, base_addresses=bases, http_client=stripe.HTTPXClient(), max_network_retries=2
    )


async def create_intent(amount: int, currency: str, metadata: dict, idempotency_key: str) -> stripe.PaymentIntent:
    return await client().v1.payment_intents.create_async(
        params={
            "amount": amount,
            "currency": currency,
            "metadata": metadata,
            "automatic_payment_methods": {"enabled": True},
            "description": "Toonify HD download",
        },
        options={"idempotency_key": idempotency_key},
    )


async def retrieve_intent(intent_id: str) -> stripe.PaymentIntent:
    return await client().v1.payment_intents.retrieve_async(intent_id)


def verify_event(payload: bytes, signature: str | None) -> dict:
    """The event, if `signature` is Stripe's valid signature of `payload` within the tolerance.

    Raises stripe.SignatureVerificationError (or ValueError for a body that is not JSON).
    """
    if not signature:
        raise stripe.SignatureVerificationError("missing Stripe-Signature header", signature, payload)
    event = stripe.Webhook.construct_event(
        payload, signature, get_settings().stripe_webhook_secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
    )
    return event.to_dict() if hasattr(event, "to_dict") else dict(event)
