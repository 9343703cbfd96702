"""Customer: request parameters and the JSON object."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from paykeep.domain.customers import Customer
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


class CustomerUpdate(ExpandParams):
    email: str | None = Field(None, max_length=512)
    name: str | None = Field(None, max_length=256)
    phone: str | None = Field(None, max_length=64)
    description: str | None = Field(None, max_length=5000)
    address: Address | Unset | None = None
    shipping: Shipping | Unset | None = None
    metadata: Metadata | None = None
    invoice_settings: InvoiceSettings | None = None


class CustomerCreate(CustomerUpdate):
    payment_method: str | None = Field(None, max_length=40)  # attached to the new customer
    test_clock: str | None = None  # a test clock the new customer lives on (only at creation, as Stripe)


class CustomerList(ListParams):
    email: str | None = None
    created: CreatedFilter | int | None = None
    test_clock: str | None = None  # that clock's customers; without it, customers on no clock (as Stripe)


class CustomerRetrieve(ExpandParams):
    pass


def render_customer(customer: Customer) -> dict[str, Any]:
    if customer.deleted:
        return {"id": customer.id, "object": "customer", "deleted": True}
    invoice_settings = customer.invoice_settings or {}
    return {
        "id": customer.id,
        "object": "customer",
        "address": customer.address,
        "balance": 0,
        "created": customer.created,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": customer.description,
        "email": customer.email,
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": invoice_settings.get("default_payment_method"),
            "footer": None,
        },
        "livemode": customer.livemode,
        "metadata": customer.metadata or {},
        "name": customer.name,
        "phone": customer.phone,
        "shipping": customer.shipping,
        "test_clock": customer.test_clock,
    }
