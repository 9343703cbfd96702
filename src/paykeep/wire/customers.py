"""Customer: request parameters and the JSON object."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from paykeep.wire.params import (
    Address,
    CreatedFilter,
    ExpandParams,
    ListParams,
    Metadata,
    Params,
    Shipping,
    Unset,
)


class InvoiceSettings(Params):
    default_payment_method: str | None = None


class CustomerCreate(ExpandParams):
    email: str | None = Field(None, max_length=512)
    name: str | None = Field(None, max_length=256)
    phone: str | None = Field(None, max_length=64)
    description: str | None = Field(None, max_length=5000)
    address: Address | Unset | None = None
    shipping: Shipping | Unset | None = None
    metadata: Metadata | None = None
    invoice_settings: InvoiceSettings | None = None


class CustomerUpdate(CustomerCreate):
    pass


class CustomerList(ListParams):
    email: str | None = None
    created: CreatedFilter | int | None = None


class CustomerRetrieve(ExpandParams):
    pass


def render_customer(row: dict[str, Any]) -> dict[str, Any]:
    if row.get("deleted"):
        return {"id": row["id"], "object": "customer", "deleted": True}
    invoice_settings = row.get("invoice_settings") or {}
    return {
        "id": row["id"],
        "object": "customer",
        "address": row.get("address"),
        "balance": 0,
        "created": row["created"],
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": row.get("description"),
        "email": row.get("email"),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": invoice_settings.get("default_payment_method"),
            "footer": None,
        },
        "livemode": row["livemode"],
        "metadata": row.get("metadata") or {},
        "name": row.get("name"),
        "phone": row.get("phone"),
        "shipping": row.get("shipping"),
    }
