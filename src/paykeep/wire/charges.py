"""Charge: one successful authorization of a PaymentIntent (via `latest_charge`, expand[], events)."""

from __future__ import annotations

from typing import Any


def render_charge(row: dict[str, Any]) -> dict[str, Any]:
    refunded = row["amount_refunded"]
    fully_refunded = row["released"] or (row["captured"] and refunded >= row["amount_captured"] > 0)
    return {
        "id": row["id"],
        "object": "charge",
        "amount": row["amount"],
        "amount_captured": row["amount_captured"],
        "amount_refunded": refunded,
        "captured": row["captured"],
        "created": row["created"],
        "currency": row["currency"],
        "customer": row.get("customer"),
        "description": row.get("description"),
        "livemode": row["livemode"],
        "metadata": row.get("metadata") or {},
        "outcome": {"network_status": "approved_by_network", "type": "authorized"},
        "paid": True,
        "payment_intent": row["payment_intent"],
        "payment_method": row.get("payment_method"),
        "payment_method_details": row.get("payment_method_details") or {},
        "refunded": bool(fully_refunded),
        "status": row["status"],
    }
