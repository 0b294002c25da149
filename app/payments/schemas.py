"""Bodies of /payments."""

from __future__ import annotations

import msgspec


class PaymentCreate(msgspec.Struct):
    job: str


class PaymentConfirm(msgspec.Struct):
    job: str


class PaymentOut(msgspec.Struct):
    uuid: str
    job: str
    status: str
    amount: int
    currency: str
    client_secret: str | None = None
    publishable_key: str | None = None
    is_hd_unlocked: bool = False
