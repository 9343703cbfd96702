"""Charge: one successful authorization of a PaymentIntent (via `latest_charge`, expand[], events)."""

from __future__ import annotations

from typing import Any

from paykeep.domain.payment_intents import Charge


def render_charge(charge: Charge) -> dict[str, Any]:
    refunded = charge.amount_refunded
    fully_refunded = charge.released or (charge.captured and refunded >= charge.amount_captured > 0)
    return {
        "id": charge.id,
        "object": "charge",
        "amount": charge.amount,
        "amount_captured": charge.amount_captured,
        "amount_refunded": refunded,
        "captured": charge.captured,
        "created": charge.created,
        "currency": charge.currency,
        "customer": charge.customer,
        "description": charge.description,
        "livemode": charge.livemode,
        "metadata": charge.metadata or {},
        "outcome": {"network_status": "approved_by_network", "type": "authorized"},
        "paid": True,
        "payment_intent": charge.payment_intent,
        "payment_method": charge.payment_method,
        "payment_method_details": charge.payment_method_details or {},
        "refunded": bool(fully_refunded),
        "status": charge.status,
    }
