"""Charge: one successful authorization of a PaymentIntent (GET/POST /v1/charges…, `latest_charge`, events).

The object carries every field Stripe always returns on a charge (stripe 16.1.0's annotations), null or
Stripe's default where paykeep has nothing to say: no Connect (`application*`, `on_behalf_of`,
`transfer*`), no Radar (`review`, `fraud_details` empty), no balance transactions or disputes."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from paykeep.domain.payment_intents import Charge
from paykeep.wire.params import CreatedFilter, ExpandParams, ListParams, Metadata, Shipping
from paykeep.wire.payment_methods import render_billing_details

DEFAULT_STATEMENT_DESCRIPTOR = "PAYKEEP"  # the account's descriptor when a payment names none


class ChargeList(ListParams):
    customer: str | None = Field(None, max_length=40)
    payment_intent: str | None = Field(None, max_length=40)
    created: CreatedFilter | int | None = None


class ChargeRetrieve(ExpandParams):
    pass


class ChargeUpdate(ExpandParams):
    customer: str | None = Field(None, max_length=40, description="Only while the charge has none.")
    description: str | None = Field(None, max_length=1000)
    metadata: Metadata | None = None
    receipt_email: str | None = Field(None, max_length=512)
    shipping: Shipping | str | None = None  # "" unsets


class ChargeCapture(ExpandParams):
    amount: int | None = None
    receipt_email: str | None = Field(None, max_length=512)
    statement_descriptor: str | None = Field(None, max_length=22)
    statement_descriptor_suffix: str | None = Field(None, max_length=22)


def calculated_statement_descriptor(charge: Charge) -> str:
    """What the cardholder's statement shows: the descriptor, with the suffix after `* ` (22 characters)."""
    base = charge.statement_descriptor or DEFAULT_STATEMENT_DESCRIPTOR
    if charge.statement_descriptor_suffix:
        base = f"{base[:10]}* {charge.statement_descriptor_suffix}"
    return base[:22]


def render_charge(charge: Charge) -> dict[str, Any]:
    refunded = charge.amount_refunded
    fully_refunded = charge.released or (charge.captured and refunded >= charge.amount_captured > 0)
    return {
        "id": charge.id,
        "object": "charge",
        "amount": charge.amount,
        "amount_captured": charge.amount_captured,
        "amount_refunded": refunded,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": None,
        "billing_details": render_billing_details(charge.billing_details),
        "calculated_statement_descriptor": calculated_statement_descriptor(charge),
        "captured": charge.captured,
        "created": charge.created,
        "currency": charge.currency,
        "customer": charge.customer,
        "description": charge.description,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "livemode": charge.livemode,
        "metadata": charge.metadata or {},
        "on_behalf_of": None,
        "outcome": {
            "advice_code": None, "network_advice_code": None, "network_decline_code": None,
            "network_status": "approved_by_network", "reason": None, "risk_level": "normal",
            "seller_message": "Payment complete.", "type": "authorized",
        },
        "paid": True,
        "payment_intent": charge.payment_intent,
        "payment_method": charge.payment_method,
        "payment_method_details": charge.payment_method_details or {},
        "receipt_email": charge.receipt_email,
        "receipt_number": None,
        "receipt_url": None,
        "refunded": bool(fully_refunded),
        "review": None,
        "shipping": charge.shipping,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": charge.statement_descriptor,
        "statement_descriptor_suffix": charge.statement_descriptor_suffix,
        "status": charge.status,
        "transfer_data": None,
        "transfer_group": None,
    }
