"""Checkout Session (setup mode): request parameters and the JSON object."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from paykeep.domain.checkout_sessions import MAX_CLIENT_REFERENCE_ID, CheckoutSession, CheckoutSessionStatus
from paykeep.wire.params import CreatedFilter, ExpandParams, ListParams, Metadata


class CheckoutSessionCreate(ExpandParams):
    """POST /v1/checkout/sessions/setup (the seed's path; `mode` optional) and POST /v1/checkout/sessions."""

    mode: str | None = None
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


class CheckoutSessionList(ListParams):
    customer: str | None = None
    setup_intent: str | None = None
    status: str | None = None
    created: CreatedFilter | int | None = None


def render_checkout_session(session: CheckoutSession, *, url: str | None = None) -> dict[str, Any]:
    """The session as the API shows it. `url` is its hosted link (services/checkout_sessions.py `render`
    computes it: it needs the public URL and a key); shown while the session is open, null after."""
    return {
        "id": session.id,
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": None,
        "amount_total": None,
        "billing_address_collection": None,
        "cancel_url": session.cancel_url,
        "client_reference_id": session.client_reference_id,
        "created": session.created,
        "currency": None,
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
        "payment_intent": None,
        "payment_link": None,
        "payment_method_types": list(session.payment_method_types or ["card"]),
        "payment_status": "no_payment_required",
        "setup_intent": session.setup_intent,
        "status": session.status.value,
        "success_url": session.success_url,
        "ui_mode": "hosted",
        "url": url if session.status == CheckoutSessionStatus.OPEN else None,
    }
