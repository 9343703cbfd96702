"""Refund: request parameters and the JSON object."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from paykeep.domain.payment_intents import Refund
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


def render_refund(refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.id,
        "object": "refund",
        "amount": refund.amount,
        "balance_transaction": None,
        "charge": refund.charge,
        "created": refund.created,
        "currency": refund.currency,
        "description": refund.description,
        "failure_reason": refund.failure_reason,
        "livemode": refund.livemode,
        "metadata": refund.metadata or {},
        "payment_intent": refund.payment_intent,
        "reason": refund.reason,
        "receipt_number": None,
        "status": refund.status,
    }
