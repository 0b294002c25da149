"""Payments for HD downloads, their state history, and the webhook events already handled."""

from __future__ import annotations

import enum
import uuid

from piccolo.columns import JSON, UUID, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.auth.tables import User
from app.jobs.tables import ImageJob


class PaymentStatus(enum.StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    REFUNDED = "REFUNDED"


class Payment(Table, tablename="payments"):
    uuid = UUID(default=uuid.uuid4, unique=True, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    job = ForeignKey(references=ImageJob, on_delete=OnDelete.cascade, index=True)
    amount = Integer(help_text="In the currency's smallest unit (cents).")
    currency = Varchar(length=3)
    status = Varchar(length=12, choices=PaymentStatus, default=PaymentStatus.PENDING)
    gateway_reference = Varchar(length=255, unique=True, help_text="Stripe PaymentIntent id.")
    gateway_response = JSON(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class PaymentEvent(Table, tablename="payment_events"):
    """Every state change of a payment, and every Stripe event id handled (idempotency)."""

    payment = ForeignKey(references=Payment, on_delete=OnDelete.cascade, index=True)
    event_id = Varchar(length=255, unique=True, null=True, default=None, help_text="Stripe event id, if any.")
    source = Varchar(length=20, help_text="create, confirm or webhook.")
    from_status = Varchar(length=12, null=True, default=None)
    to_status = Varchar(length=12)
    created_at = Timestamptz(default=TimestamptzNow())
