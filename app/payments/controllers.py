"""/payments endpoints."""

from __future__ import annotations

from litestar import Controller, Request, post
from litestar.di import Provide

from app.auth.deps import provide_user
from app.auth.tables import User

from . import services
from .schemas import PaymentConfirm, PaymentCreate, PaymentOut


class PaymentController(Controller):
    path = "/payments"
    tags = ["payments"]

    @post(
        "/create",
        status_code=200,
        dependencies={"user": Provide(provide_user)},
        summary="Create (or return the open) PaymentIntent for a job's HD download",
    )
    async def create_payment(self, user: User, data: PaymentCreate) -> PaymentOut:
        return await services.create(user, data.job)

    @post(
        "/confirm",
        status_code=200,
        dependencies={"user": Provide(provide_user)},
        summary="Re-check the job's payment with Stripe and unlock HD if it succeeded",
    )
    async def confirm_payment(self, user: User, data: PaymentConfirm) -> PaymentOut:
        return await services.confirm(user, data.job)

    @post("/webhook", status_code=200, summary="Stripe webhook (signed)", request_max_body_size=1024 * 1024)
    async def stripe_webhook(self, request: Request) -> dict:
        return await services.handle_webhook(await request.body(), request.headers.get("stripe-signature"))
