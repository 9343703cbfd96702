"""Refund: request parameters and the JSON object."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from paykeep.wire.params import CreatedFilter, ExpandParams, ListParams, Metadata

RefundReason = Literal["duplicate", "fraudulent", "requested_by_customer"]


class RefundCreate(ExpandParams):
    payment_intent: str | None = Field(None, max_length=40)
    charge: str | None = Field(None, max_length=40)
    amount: int | None = None
    reason: RefundReason | None = None
    description: str | None = Field(None, max_length=1000)
    metadata: Metadata | None = None


class RefundUpdate(ExpandParams):
    metadata: Metadata | None = None


class RefundRetrieve(ExpandParams):
    pass


class RefundList(ListParams):
    payment_intent: str | None = Field(None, max_length=40)
    charge: str | None = Field(None, max_length=40)
    created: CreatedFilter | int | None = None


def render_refund(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "object": "refund",
        "amount": row["amount"],
        "balance_transaction": None,
        "charge": row["charge"],
        "created": row["created"],
        "currency": row["currency"],
        "description": row.get("description"),
        "failure_reason": row.get("failure_reason"),
        "livemode": row["livemode"],
        "metadata": row.get("metadata") or {},
        "payment_intent": row["payment_intent"],
        "reason": row.get("reason"),
        "receipt_number": None,
        "status": row["status"],
    }
