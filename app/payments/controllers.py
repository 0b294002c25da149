"""/payments endpoints."""

from __future__ import annotations

from litestar import Controller, Request, post
from litestar.di import Provide
from litestar.openapi.spec import Schema
from litestar.openapi.spec.enums import OpenAPIType

from app.auth.deps import provide_user
from app.auth.tables import User
from app.server import openapi

from . import services
from .schemas import PaymentConfirm, PaymentCreate, PaymentOut


class PaymentController(Controller):
    path = "/payments"
    tags = ["payments"]

    @post(
        "/create",
        status_code=200,
        dependencies={"user": Provide(provide_user)},
        security=openapi.LOGIN,
        summary="Create (or return the open) PaymentIntent for a job's HD download",
    )
    async def create_payment(self, user: User, data: PaymentCreate) -> PaymentOut:
        return await services.create(user, data.job)

    @post(
        "/confirm",
        status_code=200,
        dependencies={"user": Provide(provide_user)},
        security=openapi.LOGIN,
        summary="Re-check the job's payment with Stripe and unlock HD if it succeeded",
    )
    async def confirm_payment(self, user: User, data: PaymentConfirm) -> PaymentOut:
        return await services.confirm(user, data.job)

    @post(
        "/webhook",
        status_code=200,
        summary="Stripe webhook (signed with the Stripe-Signature header)",
        request_max_body_size=1024 * 1024,
        operation_class=openapi.body(
            {"application/json": Schema(type=OpenAPIType.OBJECT)}, "A Stripe event, exactly as Stripe signed it."
        ),
    )
    async def stripe_webhook(self, request: Request) -> dict:
        return await services.handle_webhook(await request.body(), request.headers.get("stripe-signature"))
