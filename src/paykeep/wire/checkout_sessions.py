"""Checkout Session (setup mode): request parameters and the JSON object."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from paykeep.domain.checkout_sessions import MAX_CLIENT_REFERENCE_ID
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


def render_checkout_session(row: dict[str, Any]) -> dict[str, Any]:
    """The session as the API shows it. `url` is set by the service (it needs the public URL and a key)."""
    is_open = row["status"] == "open"
    return {
        "id": row["id"],
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": None,
        "amount_total": None,
        "billing_address_collection": None,
        "cancel_url": row.get("cancel_url"),
        "client_reference_id": row.get("client_reference_id"),
        "created": row["created"],
        "currency": None,
        "customer": row["customer"],
        "customer_creation": row.get("customer_creation"),
        "customer_details": row.get("customer_details"),
        "customer_email": row.get("customer_email"),
        "expires_at": row["expires_at"],
        "livemode": row["livemode"],
        "live_mode": row["livemode"],  # WooshPay's setup-mode example carries both spellings
        "locale": None,
        "metadata": row.get("metadata") or {},
        "mode": row["mode"],
        "payment_intent": None,
        "payment_link": None,
        "payment_method_types": list(row.get("payment_method_types") or ["card"]),
        "payment_status": "no_payment_required",
        "setup_intent": row["setup_intent"],
        "status": row["status"],
        "success_url": row["success_url"],
        "ui_mode": "hosted",
        "url": row.get("url") if is_open else None,
    }
