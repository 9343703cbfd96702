"""PaymentIntent: request parameters and the JSON object (API.md §3-§4; Stripe's object beyond WooshPay's)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, Field, field_validator

from paykeep.domain.payment_intents import PaymentIntent
from paykeep.wire.params import CreatedFilter, ExpandParams, ListParams, Metadata, Params, Shipping
from paykeep.wire.setup_intents import (  # the same card input as SetupIntents
    AutomaticPaymentMethods,
    PaymentMethodData,
    check_return_url,
    render_automatic_payment_methods,
)

ThreeDSecure = Literal["auto", "any", "automatic", "challenge"]
CancellationReason = Literal["duplicate", "fraudulent", "requested_by_customer", "abandoned"]
OffSession = bool | Literal["one_off", "recurring"]
FutureUsage = Literal["on_session", "off_session"]


class CardOptions(Params):
    request_three_d_secure: ThreeDSecure | None = None
    capture_method: Literal["manual", ""] | None = None  # WooshPay's older guides nest it here
    setup_future_usage: FutureUsage | Literal[""] | None = None


class PaymentMethodOptions(Params):
    card: CardOptions | None = None


class _Confirmable(ExpandParams):
    """What create (with confirm=true) and confirm share."""

    payment_method: str | None = Field(None, max_length=40)
    payment_method_data: PaymentMethodData | None = None
    payment_method_options: PaymentMethodOptions | None = None
    off_session: OffSession | None = Field(None, validation_alias=AliasChoices("off_session", "off-session"))
    return_url: str | None = Field(None, max_length=2048)
    use_stripe_sdk: bool | None = None  # Stripe dialect: a challenge as next_action use_stripe_sdk
    error_on_requires_action: bool | None = None  # a card that asks for 3-D Secure declines instead
    setup_future_usage: FutureUsage | Literal[""] | None = None
    capture_method: Literal["automatic", "automatic_async", "manual"] | None = None
    receipt_email: str | None = Field(None, max_length=512)
    shipping: Shipping | Literal[""] | None = None

    @field_validator("return_url")
    @classmethod
    def _absolute_return_url(cls, value: str | None) -> str | None:
        return check_return_url(value)


class PaymentIntentCreate(_Confirmable):
    amount: int
    automatic_payment_methods: AutomaticPaymentMethods | None = None
    currency: str = Field(max_length=10)
    confirm: bool = False
    customer: str | None = Field(None, max_length=40)
    confirmation_method: Literal["automatic", "manual"] | None = None
    payment_method_types: list[str] | None = None
    description: str | None = Field(None, max_length=1000)
    merchant_order_id: str | None = Field(None, max_length=255)
    metadata: Metadata | None = None
    statement_descriptor: str | None = Field(None, max_length=22)
    statement_descriptor_suffix: str | None = Field(None, max_length=22)


class PaymentIntentUpdate(ExpandParams):
    amount: int | None = None
    currency: str | None = Field(None, max_length=10)
    customer: str | None = Field(None, max_length=40)
    payment_method: str | None = Field(None, max_length=40)
    payment_method_data: PaymentMethodData | None = None
    payment_method_types: list[str] | None = None
    payment_method_options: PaymentMethodOptions | None = None
    capture_method: Literal["automatic", "automatic_async", "manual"] | None = None
    setup_future_usage: FutureUsage | Literal[""] | None = None
    description: str | None = Field(None, max_length=1000)
    merchant_order_id: str | None = Field(None, max_length=255)
    metadata: Metadata | None = None
    receipt_email: str | None = Field(None, max_length=512)
    shipping: Shipping | Literal[""] | None = None
    statement_descriptor: str | None = Field(None, max_length=22)
    statement_descriptor_suffix: str | None = Field(None, max_length=22)


class PaymentIntentConfirm(_Confirmable):
    client_secret: str | None = Field(None, max_length=200)
    # Stripe.js's confirmCardPayment: attach the card to the intent's customer once paid (docs/browser-api.md)
    save_payment_method: bool | None = None


class PaymentIntentCapture(ExpandParams):
    amount_to_capture: int | None = None
    metadata: Metadata | None = None


class PaymentIntentCancel(ExpandParams):
    cancellation_reason: CancellationReason | None = None


class PaymentIntentRetrieve(ExpandParams):
    client_secret: str | None = Field(None, max_length=200)


class PaymentIntentList(ListParams):
    customer: str | None = Field(None, max_length=40)
    created: CreatedFilter | int | None = None


def render_payment_intent(intent: PaymentIntent) -> dict[str, Any]:
    return {
        "id": intent.id,
        "object": "payment_intent",
        "amount": intent.amount,
        "amount_capturable": intent.amount_capturable,
        "amount_received": intent.amount_received,
        "automatic_payment_methods": render_automatic_payment_methods(intent.automatic_payment_methods),
        "canceled_at": intent.canceled_at,
        "cancellation_reason": intent.cancellation_reason,
        "capture_method": intent.capture_method,
        "client_secret": intent.client_secret,
        "confirmation_method": intent.confirmation_method,
        "created": intent.created,
        "currency": intent.currency,
        "customer": intent.customer,
        "description": intent.description,
        "last_payment_error": intent.last_payment_error,
        "latest_charge": intent.latest_charge,
        "livemode": intent.livemode,
        "merchant_order_id": intent.merchant_order_id,
        "metadata": intent.metadata or {},
        "next_action": intent.next_action,
        "off_session": intent.off_session,
        "payment_method": intent.payment_method,
        "payment_method_options": intent.payment_method_options or {},
        "payment_method_types": intent.payment_method_types or ["card"],
        "processing": None,
        "receipt_email": intent.receipt_email,
        "return_url": intent.return_url,
        "setup_future_usage": intent.setup_future_usage,
        "shipping": intent.shipping,
        "statement_descriptor": intent.statement_descriptor,
        "statement_descriptor_suffix": intent.statement_descriptor_suffix,
        "status": intent.status,
    }


# What a publishable key plus the client_secret may see (Stripe's client-side view: no customer, no metadata).
PUBLIC_FIELDS = (
    "id", "object", "amount", "automatic_payment_methods", "canceled_at", "cancellation_reason",
    "capture_method", "client_secret", "confirmation_method", "created", "currency", "description",
    "last_payment_error", "livemode",
    "next_action", "payment_method", "payment_method_types", "processing", "receipt_email",
    "setup_future_usage", "shipping", "status",
)


def render_payment_intent_public(intent: PaymentIntent) -> dict[str, Any]:
    full = render_payment_intent(intent)
    return {name: full[name] for name in PUBLIC_FIELDS}
