"""Checkout Session (setup and payment mode): request parameters, the JSON object and its line items."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from paykeep.domain.checkout_sessions import MAX_CLIENT_REFERENCE_ID, CheckoutSession, CheckoutSessionStatus
from paykeep.wire.params import CreatedFilter, ExpandParams, ListParams, Metadata, Params, Shipping


class LineItemProductData(Params):
    name: str = Field(max_length=5000)
    description: str | None = Field(None, max_length=40000)
    images: list[str] | None = None
    metadata: Metadata | None = None
    unit_label: str | None = Field(None, max_length=12)


class LineItemPriceData(Params):
    """An inline price: made with the session (inactive, so it is never reused), of `product` or of a new
    product from `product_data`."""

    currency: str = Field(max_length=10)
    product: str | None = Field(None, max_length=40)
    product_data: LineItemProductData | None = None
    unit_amount: int | None = None
    unit_amount_decimal: str | None = Field(None, max_length=40)
    tax_behavior: str | None = None


class LineItem(Params):
    price: str | None = Field(None, max_length=40)
    price_data: LineItemPriceData | None = None
    quantity: int | None = None
    metadata: Metadata | None = None


class PaymentIntentData(Params):
    """What the session's PaymentIntent is made with."""

    capture_method: Literal["automatic", "automatic_async", "manual"] | None = None
    setup_future_usage: Literal["off_session", "on_session"] | None = None
    description: str | None = Field(None, max_length=1000)
    metadata: Metadata | None = None
    receipt_email: str | None = Field(None, max_length=512)
    shipping: Shipping | None = None
    statement_descriptor: str | None = Field(None, max_length=22)
    statement_descriptor_suffix: str | None = Field(None, max_length=22)


class CheckoutSessionCreate(ExpandParams):
    """POST /v1/checkout/sessions/setup (the seed's path; `mode` optional) and POST /v1/checkout/sessions."""

    mode: str | None = None
    line_items: list[LineItem] | None = None  # payment mode
    payment_intent_data: PaymentIntentData | None = None  # payment mode
    submit_type: str | None = None  # payment mode
    customer_creation: Literal["always", "if_required"] | None = None
    success_url: str
    cancel_url: str | None = None
    customer: str | None = None
    customer_email: str | None = Field(None, max_length=512)
    payment_method_types: list[str] | None = None
    metadata: Metadata | None = None
    client_reference_id: str | None = Field(None, max_length=MAX_CLIENT_REFERENCE_ID)


class CheckoutSessionRetrieve(ExpandParams):
    pass


class CheckoutSessionExpire(ExpandParams):
    pass


class CheckoutSessionLineItems(ListParams):
    """GET /v1/checkout/sessions/{id}/line_items"""


class CheckoutSessionList(ListParams):
    customer: str | None = None
    setup_intent: str | None = None
    payment_intent: str | None = None
    status: str | None = None
    created: CreatedFilter | int | None = None


def render_checkout_session(session: CheckoutSession, *, url: str | None = None) -> dict[str, Any]:
    """The session as the API shows it. `url` is its hosted link (services/checkout_sessions.py `render`
    computes it: it needs the public URL and a key); shown while the session is open, null after."""
    payment = session.mode == "payment"
    return {
        "id": session.id,
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": session.amount_subtotal,
        "amount_total": session.amount_total,
        "billing_address_collection": None,
        "cancel_url": session.cancel_url,
        "client_reference_id": session.client_reference_id,
        "created": session.created,
        "currency": session.currency,
        "customer": session.customer,
        "customer_creation": session.customer_creation,
        "customer_details": session.customer_details,
        "customer_email": session.customer_email,
        "expires_at": session.expires_at,
        "livemode": session.livemode,
        "live_mode": session.livemode,  # WooshPay's setup-mode example carries both spellings
        "locale": None,
        "metadata": session.metadata or {},
        "mode": session.mode,
        "payment_intent": session.payment_intent,
        "payment_link": None,
        "payment_method_types": list(session.payment_method_types or ["card"]),
        "payment_status": session.payment_status or "no_payment_required",
        "setup_intent": session.setup_intent,
        "status": session.status.value,
        "submit_type": session.submit_type,
        "success_url": session.success_url,
        "total_details": ({"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0} if payment else None),
        "ui_mode": "hosted",
        "url": url if session.status == CheckoutSessionStatus.OPEN else None,
    }


def render_line_item(item: dict[str, Any]) -> dict[str, Any]:
    """A stored line (domain/checkout_sessions.py `line_item`) as Stripe's `item` object."""
    return {
        "id": item["id"],
        "object": "item",
        "amount_discount": 0,
        "amount_subtotal": item["amount_subtotal"],
        "amount_tax": 0,
        "amount_total": item["amount_total"],
        "currency": item["currency"],
        "description": item["description"],
        "metadata": item.get("metadata") or {},
        "price": dict(item["price"]),
        "quantity": item["quantity"],
    }
